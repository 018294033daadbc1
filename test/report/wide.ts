/**
 * A store that stresses the report's layout and wording: Korean text, long
 * cluster, workload and file names, many kinds of reject reason (each kind
 * with several wordings), and policy changes with nested before/after.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openStore } from '../../src/lib/store/open.js';
import { ingestPaths } from '../../src/lib/ingest/ingest.js';
import { scenario, scenarioLine, type Ev } from '../scenario.js';

const long = (c: string) => `서울-리전-${c}-production-fleet-with-an-unusually-long-cluster-name`;

/** The scenario with long Korean cluster and workload names and Korean actors. */
export function wideEvents(): Ev[] {
  return scenario({ seed: 33, hours: 30, decisionGap: 240, slow: [20, 22] }).map((e): Ev => {
    switch (e.kind) {
      case 'decision':
        return { ...e, cluster: long(e.cluster), workload: `학습-작업-${e.workload}` };
      case 'relocation':
        return { ...e, from: long(e.from), to: long(e.to), workload: `추론-서비스-${e.workload}` };
      case 'inefficiency':
      case 'reconfig':
        return { ...e, cluster: long(e.cluster) };
      case 'policy':
        return { ...e, actor: '김민준@kcloud.example' };
    }
  });
}

/** Policy changes beyond the scenario's: nested fields, lists, a field dropped, one without a previous policy. */
export const WIDE_POLICIES = [
  {
    event_id: 'pol-wide-1',
    timestamp: '2025-03-01T04:00:00Z',
    event_type: 'policy_change',
    action: 'changed',
    policy: {
      id: '야간-전력-절감',
      name: '야간 전력 절감 (night power saving)',
      version: '7',
      rules: { max_cost_per_hour: 12.5, regions: ['서울', '부산'] },
    },
    previous: {
      id: '야간-전력-절감',
      version: '6',
      rules: { max_cost_per_hour: 15, regions: ['서울'] },
      owner: 'platform-team',
    },
    actor: '이서연@kcloud.example',
    reason: '야간 요금제 변경에 따른 조정',
  },
  {
    event_id: 'pol-wide-2',
    timestamp: '2025-03-01T05:00:00Z',
    event_type: 'policy_change',
    action: 'applied',
    policy: { id: 'gpu-burst-admission-control-for-the-training-fleet', name: 'GPU burst', version: 1 },
    actor: 'policy-bot',
  },
];

/** Timestamps that are no ISO time: one kind of reason, as many wordings as values. */
const BAD_TIMES = ['yesterday', 'soon', 'noon-ish', '2025-03-01 at noon'];
/** Unknown event types without a timestamp, in Korean: one kind each. */
const KOREAN_TYPES = ['정책_점검', '노드_상태', '전력_경보', '예산_초과', '용량_계획', '비용_분석'];

/** Rejected lines: [line, how many times]. */
export const WIDE_REJECTS: [string, number][] = [
  ...BAD_TIMES.map((t, i): [string, number] => [
    JSON.stringify({ event_type: 'scheduling_decision', timestamp: t }),
    i + 2,
  ]),
  ['fluent.kcloud: [1740787200, {"event_type":"scheduling_decision"}', 3],
  ['{"event_type": "scheduling_decision", "timestamp": ', 2],
  // JSON errors quoting the token and the line: one kind
  ['{"event_type": nope}', 2],
  ['{"event_type": what}', 1],
  ...KOREAN_TYPES.map((t): [string, number] => [JSON.stringify({ event_type: t }), 1]),
  [JSON.stringify({ event_type: `x${'0123456789abcdef'.repeat(12)}` }), 1],
  [
    JSON.stringify({ event_type: 'workload_relocation', timestamp: '2025-03-01T00:00:00Z', workload: 'w' }),
    1,
  ],
];

export const WIDE_REJECTED = WIDE_REJECTS.reduce((a, [, n]) => a + n, 0);

/** The source file's name: long, with Korean. */
export const WIDE_FILE =
  'kcloud-스케줄러-events-from-the-nightly-export-pipeline-of-the-production-fleet.jsonl';

/** Write the wide store to `dir/wide.duckdb` (all events stored, WIDE_REJECTED lines rejected). */
export async function buildWideDb(dir: string): Promise<{ db: string; events: Ev[] }> {
  const events = wideEvents();
  const lines = [
    ...events.map(scenarioLine),
    ...WIDE_POLICIES.map((p) => JSON.stringify(p)),
    ...WIDE_REJECTS.flatMap(([l, n]) => Array<string>(n).fill(l)),
  ];
  const file = path.join(dir, WIDE_FILE);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const db = path.join(dir, 'wide.duckdb');
  const store = await openStore(db);
  try {
    const res = await ingestPaths(store, [file]);
    if (res.stored !== events.length + WIDE_POLICIES.length || res.rejected !== WIDE_REJECTED)
      throw new Error(`wide store: stored ${res.stored}, rejected ${res.rejected}`);
  } finally {
    store.close();
  }
  return { db, events };
}
