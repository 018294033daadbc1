/**
 * Alerts: the active ones (`alerts`, without the resolved), and the stored rules (`alerts rules
 * list|add|remove`). Adding and removing rules are writes, through the store's one writer.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from '../../zod.js';
import { UsageError } from '../../errors.js';
import { describeRules, evaluateAlerts } from '../../alerts/evaluate.js';
import { EventRuleSchema, parseRules, selectRules, ThresholdRuleSchema } from '../../alerts/rules.js';
import { addRules, listStoredRules, loadStoredRules, removeRules } from '../../alerts/store.js';
import { DEFAULT_EVENT_LIMIT } from '../../alerts/evaluate.js';
import { ruleCondition } from '../../alerts/evaluate.js';
import { paramName, Query, type Params, type RawQuery } from '../query.js';
import type { RouteDoc } from '../openapi.js';
import { addedRulesShape, alertsShape, removedRulesShape, ruleShape } from '../shapes.js';
import type { RouteContext } from '../server.js';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: RawQuery; Body: unknown }>;

const ACTIVE_PARAMS = {
  rule: { kind: 'list', description: 'only these rules' },
  since: {
    kind: 'time',
    description:
      'start of the evaluated span (default: the oldest stored event for event rules, 7 days before `at` for threshold rules)',
  },
  at: { kind: 'time', description: 'the evaluation instant (default: the newest stored event)' },
  limit: {
    kind: 'count',
    min: 0,
    default: DEFAULT_EVENT_LIMIT,
    description: 'alerts listed per rule at most (counts stay exact)',
  },
} as const satisfies Params;
const REPLACE_PARAMS = {
  replace: { kind: 'flag', default: false, description: 'overwrite stored rules of the same names' },
} as const satisfies Params;

/** A rule as a rules file holds it (`kind` may be left out: with `metric` a threshold rule, else an event rule). */
const rule = z.union([EventRuleSchema.partial({ kind: true }), ThresholdRuleSchema.partial({ kind: true })]);

const ACTIVE_DOC: RouteDoc = {
  tag: 'alerts',
  summary: 'The firing and pending alerts of the stored rules (`alerts`)',
  query: ACTIVE_PARAMS,
  ok: { description: 'the evaluation', content: { 'application/json': alertsShape } },
};
const RULES_DOC: RouteDoc = {
  tag: 'alerts',
  summary: 'The stored alert rules (`alerts rules list`)',
  ok: {
    description: 'the rules',
    content: {
      'application/json': {
        type: 'object',
        required: ['rules'],
        properties: { rules: { type: 'array', items: ruleShape } },
      },
    },
  },
};
const ADD_DOC: RouteDoc = {
  tag: 'alerts',
  summary: 'Store alert rules (`alerts rules add`)',
  query: REPLACE_PARAMS,
  body: {
    description: 'one rule, a list of rules, or a rules document {"rules": [...]}',
    content: {
      'application/json': z.union([rule, z.array(rule), z.strictObject({ rules: z.array(rule) })]),
    },
  },
  ok: { description: 'the rules added and replaced', content: { 'application/json': addedRulesShape } },
};
const REMOVE_DOC: RouteDoc = {
  tag: 'alerts',
  summary: 'Remove a stored alert rule (`alerts rules remove`)',
  path: { name: "the rule's name" },
  ok: { description: 'the rule removed', content: { 'application/json': removedRulesShape } },
  errors: { 404: 'no stored rule of that name' },
};

export function alertRoutes(ctx: RouteContext) {
  return async (app: FastifyInstance) => {
    app.get('/alerts/active', { config: { doc: ACTIVE_DOC } }, async (req: Req) => {
      const q = new Query(req.query, ACTIVE_PARAMS);
      const names = q.many('rule');
      const { since, until: at } = q.timeRange('since', 'at');
      const limit = q.count('limit');
      q.done();
      const result = await ctx.read(async (store) => {
        const { rules, errors } = selectRules(await loadStoredRules(store, ctx.slos), names, paramName);
        return evaluateAlerts(store, rules, ctx.slos, { at, from: since, limit }, errors);
      });
      return { ...result, alerts: result.alerts.filter((a) => a.state !== 'resolved') };
    });

    app.get('/alerts/rules', { config: { doc: RULES_DOC } }, async (req: Req) => {
      new Query(req.query, {}).done();
      return { rules: describeRules(await ctx.read(listStoredRules)) };
    });

    app.post('/alerts/rules', { config: { doc: ADD_DOC } }, async (req: Req) => {
      const q = new Query(req.query, REPLACE_PARAMS);
      const replace = q.flag('replace');
      q.done();
      const body = req.body;
      if (body === undefined || body === null)
        throw new UsageError('expected a JSON rule, a list of rules, or {"rules": [...]} as the body');
      // one rule (an object with a name), or a rules document as in a rules file
      const doc = typeof body === 'object' && !Array.isArray(body) && 'name' in body ? [body] : body;
      const rules = parseRules(doc, 'body', ctx.slos);
      const res = await ctx.shared.write((store) => addRules(store, rules, 'http', replace));
      return {
        ...res,
        rules: rules.map((r) => ({ name: r.name, kind: r.kind, condition: ruleCondition(r), spec: r.spec })),
      };
    });

    app.delete('/alerts/rules/:name', { config: { doc: REMOVE_DOC } }, async (req: Req) => {
      new Query(req.query, {}).done();
      const removed = await ctx.shared.write((store) => removeRules(store, [req.params.name!]));
      return { removed };
    });
  };
}
