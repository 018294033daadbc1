/**
 * The audit report's shape: its options, the context every section computes from, what a section
 * module provides, and the report (a header, then one part per section, in this order).
 */
import type { Store } from '../store/open.js';
import type { EventFilter } from '../query/filters.js';
import type { Anchor } from '../integrity/anchors.js';
import type { ResolvedWindow } from '../analyze/window.js';
import type { SchedulingResult } from '../analyze/scheduling.js';
import type { CostResult } from '../analyze/cost.js';
import type { SlaResult, SloSet } from '../analyze/sla.js';
import type { Rule, RuleError } from '../alerts/rules.js';
import type { Section } from './blocks.js';
import type { ScopeCounts, ScopePart } from './sections/scope.js';
import type { CompletenessPart } from './sections/completeness.js';
import type { SchedulingPart } from './sections/scheduling.js';
import type { RelocationsPart } from './sections/relocations.js';
import type { ReconfigurationsPart } from './sections/reconfigurations.js';
import type { PolicyChangesPart } from './sections/policies.js';
import type { InefficienciesPart } from './sections/inefficiencies.js';
import type { CostPart } from './sections/cost.js';
import type { AlertsPart } from './sections/alerts.js';
import type { TimelinePart } from './sections/timeline.js';
import type { ChainHead, IntegrityPart } from './sections/integrity.js';
import type { VerifyProgress } from '../integrity/verify.js';

export const REPORT_TITLE = 'kcloud-log audit report';
export const DEFAULT_GAP_MS = 3_600_000;
export const AUTO_VERIFY_MAX_ROWS = 1_000_000;
export const DEFAULT_LIST_LIMIT = 50;

export interface AuditOptions {
  /** Epoch µs, inclusive. */
  since?: number;
  /** Epoch µs, exclusive. */
  until?: number;
  gapMs?: number;
  slos: SloSet;
  rules: Rule[];
  ruleErrors?: RuleError[];
  /** Where the rules came from (the database, a file). */
  rulesSource: string;
  /** true: verify the whole chain now; false: cite the latest recorded verification; undefined: verify now when the store has fewer than `autoVerifyMaxRows` events. */
  verify?: boolean;
  autoVerifyMaxRows?: number;
  /** External anchors to check (--anchor). */
  anchors?: readonly Anchor[];
  toolVersion: string;
  /** Id of the key the report will be signed with (--key). */
  signingKeyId?: string;
  /** Rows listed per section (counts are always complete). */
  listLimit?: number;
  dbPath: string;
  /** Called as each step starts (and, in the integrity section, as the verification checks rows). */
  onProgress?: (p: ReportProgress) => void;
}

/** Progress of a report: the step running of all, by name. */
export interface ReportProgress {
  /** `analyses` (scheduling, cost and SLA, side by side), then each section's name. */
  section: string;
  /** Steps done before this one. */
  step: number;
  steps: number;
  /** In the integrity section: the verification's progress. */
  verify?: VerifyProgress;
}

/** What every section computes from: the options, the scope, and the analyses' results. */
export interface AuditContext {
  options: AuditOptions;
  /** Rows listed per section (`listLimit` or its default). */
  limit: number;
  /** --since/--until as an event filter. */
  filter: EventFilter;
  /** The analysis window of the figures (the analyses' window rule): the scope clipped to the stored data. */
  window: ResolvedWindow;
  /** The timeline's bucket length (and the cost trend's), ms. */
  intervalMs: number;
  /** The events in the scope, by type. */
  counts: ScopeCounts;
  /** The chain head now (the whole store). */
  head: ChainHead;
  /** The same analyses as `analyze scheduling`, `analyze cost`, `analyze sla`, over the scope. */
  scheduling: SchedulingResult;
  cost: CostResult;
  sla: SlaResult;
}

export interface AuditReport {
  report: typeof REPORT_TITLE;
  format_version: 1;
  generated_at: string;
  tool: { name: 'kcloud-log'; version: string };
  database: string;
  scope: ScopePart;
  completeness: CompletenessPart;
  scheduling: SchedulingPart;
  relocations: RelocationsPart;
  reconfigurations: ReconfigurationsPart;
  policy_changes: PolicyChangesPart;
  inefficiencies: InefficienciesPart;
  sla: SlaResult;
  cost: CostPart;
  alerts: AlertsPart;
  timeline: TimelinePart;
  integrity: IntegrityPart;
}

/** The report's members that sections compute (all but the header). */
export type PartKey = Exclude<
  keyof AuditReport,
  'report' | 'format_version' | 'generated_at' | 'tool' | 'database'
>;

/** One section of the report: how its part is computed, and how it is shown. */
export interface ReportSection<K extends PartKey> {
  /** The member of the report it computes. */
  key: K;
  /** Its name (the id of its HTML section). */
  name: string;
  compute(store: Store, ctx: AuditContext): Promise<AuditReport[K]>;
  /** Its blocks (it may read other parts: the timeline's charts); none for a part only others show. */
  render?(r: AuditReport): Section;
}
