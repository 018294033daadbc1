/**
 * GET /openapi.json: a valid OpenAPI 3.1 document of every route the server registered, whose
 * query parameters are the ones each endpoint reads, whose event schemas accept what the service
 * stores and refuse what it rejects, and whose answers are the ones the endpoints give.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Validator } from '@seriousme/openapi-schema-validator';
import { ingestPaths } from '../../src/lib/ingest/ingest.js';
import { FIXTURES, ROOT, decisionLine } from '../helpers.js';
import { post, startHarness, type Harness } from './harness.js';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
  security?: unknown[];
};
type Operation = {
  summary?: string;
  tags?: string[];
  parameters: { name: string; in: string }[];
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
};

let h: Harness;
let doc: Doc;
beforeAll(async () => {
  h = await startHarness();
  await h.shared.write((s) => ingestPaths(s, [path.join(ROOT, 'examples', 'logs')]));
  const res = await h.app.inject({ method: 'GET', url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  doc = res.json();
});
afterAll(async () => {
  await h.close();
  h.remove();
});

const DOC_ID = 'https://kcloud-log.invalid/openapi.json';
/** A validator of the document's schema at `pointer` (its $refs resolved in the document). */
function validatorAt(d: Doc, pointer: string[]) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ ...d, $id: DOC_ID });
  const fragment = pointer
    .map((p) => encodeURIComponent(p.replace(/~/g, '~0').replace(/\//g, '~1')))
    .join('/');
  return ajv.compile({ $ref: `${DOC_ID}#/${fragment}` });
}
const component = (d: Doc, name: string) => validatorAt(d, ['components', 'schemas', name]);

/** METHOD /path of every route in fastify's own listing (HEAD aside: fastify adds one to every GET). */
function registeredRoutes(tree: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack[depth] = (depth ? stack[depth - 1]! : '') + m[2]!;
    for (const method of m[3]?.split(', ') ?? [])
      if (method !== 'HEAD') out.push(`${method} ${stack[depth]!.replace(/:(\w+)/g, '{$1}')}`);
  }
  return out.sort();
}

const operations = (d: Doc) =>
  Object.entries(d.paths).flatMap(([p, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path: p, op })),
  );

describe('the document', () => {
  it('is valid OpenAPI 3.1', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const validator = new Validator();
    const res = await validator.validate(structuredClone(doc));
    expect(res.errors).toBeUndefined();
    expect(res.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('holds every route fastify registered, each documented (a summary, a tag, a 200)', () => {
    const listed = operations(doc).map((o) => `${o.method} ${o.path}`);
    expect(listed.sort()).toEqual(registeredRoutes(h.app.printRoutes({ commonPrefix: false })));
    expect(listed).toEqual(
      expect.arrayContaining(['GET /openapi.json', 'POST /events/scheduling', 'DELETE /alerts/rules/{name}']),
    );
    for (const { method, path: p, op } of operations(doc)) {
      expect(op.summary, `${method} ${p}`).toBeTruthy();
      expect(op.tags, `${method} ${p}`).toHaveLength(1);
      expect(op.responses['200'], `${method} ${p}`).toBeDefined();
    }
  });

  it('documents the query parameters each endpoint reads, and no other', async () => {
    const sample: Record<string, string> = { type: 'relocation', id: 'etl-job-678', name: 'nope' };
    for (const { method, path: p, op } of operations(doc)) {
      const documented = op.parameters.filter((x) => x.in === 'query').map((x) => x.name);
      const url = p.replace(/\{(\w+)\}/g, (_m, n: string) => sample[n]!) + '?zz-unknown=1';
      const res = await h.app.inject({
        method: method as 'GET',
        url,
        ...(method === 'POST' ? { payload: '{}', headers: { 'content-type': 'application/json' } } : {}),
      });
      if (res.statusCode !== 400) {
        // /health, /metrics and /openapi.json read no parameter at all
        expect(documented, `${method} ${p}`).toEqual([]);
        continue;
      }
      const m = /^unknown parameter "zz-unknown"; this endpoint takes (.*)$/.exec(res.json().error.message);
      expect(m, `${method} ${p}: ${res.body}`).not.toBeNull();
      const read = m![1] === 'none' ? [] : m![1]!.split(', ');
      expect(read.sort(), `${method} ${p}`).toEqual([...documented].sort());
    }
  });

  it('says the bearer token is needed when the service has one, and not otherwise', async () => {
    expect(doc.security).toBeUndefined();
    expect(doc.components.securitySchemes).toBeUndefined();
    const token = 'a-token-long-enough-0123456789';
    const t = await startHarness({ token });
    try {
      const res = await t.app.inject({
        method: 'GET',
        url: '/openapi.json',
        headers: { authorization: `Bearer ${token}` },
      });
      const secured: Doc = res.json();
      expect(secured.security).toEqual([{ bearer: [] }]);
      expect(secured.components.securitySchemes).toEqual({ bearer: { type: 'http', scheme: 'bearer' } });
      for (const { op } of operations(secured)) expect(op.responses['401']).toBeDefined();
      expect((await t.app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(401);
    } finally {
      await t.close();
      t.remove();
    }
  });
});

const lines = (file: string) =>
  fs
    .readFileSync(path.join(FIXTURES, file), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const decision = JSON.parse(decisionLine(1)) as Record<string, unknown>;
/** Events the service rejects, each with why. */
const INVALID: [string, Record<string, unknown>][] = [
  ['no timestamp', { ...decision, timestamp: undefined }],
  ['a required field missing', { ...decision, execution_time_ms: undefined }],
  ['a field of the wrong type', { ...decision, execution_time_ms: 'fast' }],
  [
    'a negative power',
    {
      ...decision,
      workload: { id: 'w', type: 'batch', requirements: { cpu: 1, memory: 1, gpu: 0, power_budget: -1 } },
    },
  ],
  [
    'a memory that is no quantity',
    {
      ...decision,
      workload: { id: 'w', type: 'batch', requirements: { cpu: 1, memory: 'lots', gpu: 0, power_budget: 1 } },
    },
  ],
  [
    'a known type without its fields',
    { event_type: 'scheduling_decision', timestamp: '2025-01-15T00:00:00Z' },
  ],
  ['a blank event_type', { event_type: ' ', timestamp: '2025-01-15T00:00:00Z' }],
];

describe('the events: the schemas the service validates by', () => {
  const valid = [...lines('spec-events.jsonl'), ...lines('spec-events-flat.jsonl'), decision];

  it('accept every valid event of the fixtures, by its type and as any event', () => {
    const any = component(doc, 'Event');
    for (const e of valid) {
      const byType = component(
        doc,
        String(e.event_type).replace(/(?:^|_)([a-z])/g, (_m, c: string) => c.toUpperCase()),
      );
      expect(byType(e), `${e.event_type}: ${JSON.stringify(byType.errors)}`).toBe(true);
      expect(any(e)).toBe(true);
    }
    expect(valid.map((e) => e.event_type)).toEqual(
      expect.arrayContaining([
        'scheduling_decision',
        'workload_relocation',
        'cluster_reconfiguration',
        'inefficiency_detected',
        'policy_change',
      ]),
    );
    expect(any({ event_type: 'node_heartbeat', timestamp: 1736899200, node: 'n1' })).toBe(true);
  });

  it('refuse what the service rejects', async () => {
    const any = component(doc, 'Event');
    const typed = component(doc, 'SchedulingDecision');
    for (const [why, e] of INVALID) {
      expect(any(e), why).toBe(false);
      expect(typed(e), why).toBe(false);
      const res = await post(h.app, '/events', JSON.stringify(e));
      expect(res.json().events[0].status, why).toBe('rejected');
    }
    expect(typed(valid.find((e) => e.event_type === 'policy_change'))).toBe(false);
  });

  it("take one event or an array of them as a typed POST's JSON body", () => {
    const body = validatorAt(doc, [
      'paths',
      '/events/scheduling',
      'post',
      'requestBody',
      'content',
      'application/json',
      'schema',
    ]);
    expect(body(decision)).toBe(true);
    expect(body([decision, decision])).toBe(true);
    expect(body([decision, INVALID[0]![1]])).toBe(false);
    expect(body(valid.find((e) => e.event_type === 'policy_change'))).toBe(false);
  });

  it('leave generic events out when the service runs with --strict', async () => {
    const s = await startHarness({ strict: true });
    try {
      const strict: Doc = (await s.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      expect(strict.components.schemas.GenericEvent).toBeUndefined();
      const any = component(strict, 'Event');
      expect(any(decision)).toBe(true);
      expect(any({ event_type: 'node_heartbeat', timestamp: 1736899200 })).toBe(false);
    } finally {
      await s.close();
      s.remove();
    }
  });
});

describe('the answers: what the endpoints give is what the document says', () => {
  /** The answer to `url` checked against the document's schema for its status and content type. */
  async function answers(method: 'GET' | 'POST', url: string, docPath: string, payload?: string) {
    const res = await h.app.inject({
      method,
      url,
      ...(payload === undefined ? {} : { payload, headers: { 'content-type': 'application/json' } }),
    });
    const type = String(res.headers['content-type']).split(';')[0]!;
    const status = String(res.statusCode);
    const responses = doc.paths[docPath]![method.toLowerCase()]!.responses;
    const key = status in responses ? status : 'default';
    expect(responses[key]!.content?.[type], `${method} ${url}: ${status} ${type}`).toBeDefined();
    const check = validatorAt(doc, [
      'paths',
      docPath,
      method.toLowerCase(),
      'responses',
      key,
      'content',
      type,
      'schema',
    ]);
    expect(check(res.json()), `${method} ${url}: ${JSON.stringify(check.errors)}`).toBe(true);
    return res;
  }

  it.each([
    ['/events?limit=3', '/events'],
    ['/events/relocation?limit=2', '/events/{type}'],
    ['/events/workload/etl-job-678', '/events/workload/{id}'],
    ['/analytics/scheduling-performance', '/analytics/scheduling-performance'],
    ['/analytics/cost-efficiency', '/analytics/cost-efficiency'],
    ['/analytics/sla-compliance', '/analytics/sla-compliance'],
    ['/reports/audit', '/reports/audit'],
    ['/alerts/rules', '/alerts/rules'],
    ['/alerts/active', '/alerts/active'],
    ['/health', '/health'],
    ['/events?limit=abc', '/events'],
    ['/events/workload/nope-job', '/events/workload/{id}'],
  ])('GET %s', async (url, docPath) => {
    expect((await answers('GET', url, docPath)).statusCode).toBeLessThan(500);
  });

  it('POST /events: stored, duplicate, rejected (200), all rejected (422), malformed (400)', async () => {
    const line = JSON.parse(decisionLine(99_001)) as Record<string, unknown>;
    const ok = await answers('POST', '/events', '/events', JSON.stringify([line, line, INVALID[1]![1]]));
    expect(ok.statusCode).toBe(200);
    expect(ok.json().events.map((e: { status: string }) => e.status)).toEqual([
      'stored',
      'duplicate',
      'rejected',
    ]);
    expect((await answers('POST', '/events', '/events', JSON.stringify(INVALID[2]![1]))).statusCode).toBe(
      422,
    );
    expect((await answers('POST', '/events/scheduling', '/events/scheduling', '{"a": ')).statusCode).toBe(
      400,
    );
  });
});
