/**
 * The library calls a service runs for a CLI session (session.ts), by name: what the CLI's
 * commands call on their store, and nothing else. Each is a read (on a connection of its own,
 * committed data only) or a write (through the service's one writer); the service decides which,
 * never the client.
 */
import type { Store } from '../store/open.js';
import { checkTypes } from '../query/filters.js';
import { countEvents, searchEvents, streamEvents } from '../query/events.js';
import { runReadOnlySql, streamReadOnlySql } from '../query/sql.js';
import { listRejects, sourceReport, streamRejects } from '../query/sources.js';
import { traceWorkload } from '../query/trace.js';
import { tailStep } from '../query/tail.js';
import { analyzeSchedulingAt } from '../analyze/scheduling.js';
import { analyzeCost } from '../analyze/cost.js';
import { analyzeSla } from '../analyze/sla.js';
import { dataExtent } from '../analyze/window.js';
import { addRules, listStoredRules, loadStoredRules, removeRules } from '../alerts/store.js';
import { backtestAlerts, evaluateAlerts } from '../alerts/evaluate.js';
import { buildAuditReport } from '../report/audit.js';
import { verifyStore } from '../integrity/verify.js';
import { recordVerification } from '../integrity/verifications.js';
import { ingestPaths } from '../ingest/ingest.js';

export type OpKind = 'read' | 'write';

export interface Op {
  kind: OpKind;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  fn: (store: Store, ...args: any[]) => unknown;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const reads = (...fns: ((store: Store, ...args: any[]) => unknown)[]) =>
  fns.map((fn): [string, Op] => [fn.name, { kind: 'read', fn }]);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const writes = (...fns: ((store: Store, ...args: any[]) => unknown)[]) =>
  fns.map((fn): [string, Op] => [fn.name, { kind: 'write', fn }]);

/** Every call a session may send, by the function's name (what the client sends). */
export const OPS: ReadonlyMap<string, Op> = new Map([
  ...reads(
    checkTypes,
    searchEvents,
    countEvents,
    streamEvents,
    runReadOnlySql,
    streamReadOnlySql,
    sourceReport,
    listRejects,
    streamRejects,
    traceWorkload,
    tailStep,
    analyzeSchedulingAt,
    analyzeCost,
    analyzeSla,
    dataExtent,
    listStoredRules,
    loadStoredRules,
    backtestAlerts,
    evaluateAlerts,
    buildAuditReport,
    verifyStore,
  ),
  ...writes(addRules, removeRules, recordVerification, ingestPaths),
]);
