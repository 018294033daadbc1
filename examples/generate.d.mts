/** Types of examples/generate.mjs, the deterministic kcloud event log generator. */

export type Format = 'jsonl' | 'fluentbit' | 'fluentbit-json' | 'docker' | 'cri';
export type KnownEventType =
  | 'scheduling_decision'
  | 'workload_relocation'
  | 'inefficiency_detected'
  | 'cluster_reconfiguration'
  | 'policy_change';

export interface GenerateOptions {
  /** Records to write (default 1000). */
  events?: number;
  /** PRNG seed: a number or any text (default 1). */
  seed?: number | string;
  /** Rejected lines: a share below 1 (0.01) or an exact count (an integer >= 1). */
  bad?: number | string;
  /** Exact copies of an earlier stored line: share or count. */
  dup?: number | string;
  /** Module log lines without event_type: share or count. */
  skip?: number | string;
  /** Events of an unknown event_type (stored as generic events): share or count. */
  unknown?: number | string;
  /** Share of decisions, relocations and inefficiencies written in the flat shape. */
  flat?: number | string;
  /** cri/docker: share of events split over several physical lines. */
  split?: number | string;
  format?: Format;
  /** ISO 8601 time of the first record (default 2025-01-15T00:00:00Z). */
  start?: string;
  /** Events per second of simulated time (default 2). */
  rate?: number | string;
  /** Event types to emit: an array or a comma list (default: all five). */
  types?: readonly KnownEventType[] | string;
  /** Fluent Bit tag for the fluentbit format (default kcloud.events). */
  tag?: string;
  /** Escape non-ASCII as \uXXXX (implied by the fluentbit format). */
  ascii?: boolean;
}

/** The exact counts `kcloud-log ingest` reports for the output. */
export interface Expected {
  /** Logical records written (= options.events). */
  records: number;
  /** Physical lines: lines = stored + rejected + duplicates + skipped. */
  lines: number;
  stored: number;
  rejected: number;
  duplicates: number;
  skipped: number;
  /** Stored events per event_type, unknown types included under their own name; sums to `stored`. */
  by_type: Record<KnownEventType, number> & Record<string, number>;
  /** Stored events of an unknown event_type. */
  unknown_type: number;
  /** Stored events in the flat shape. */
  flat: number;
  /** Stored events that carry their own event_id (policy changes). */
  with_event_id: number;
  rejected_by_kind: { malformed: number; bad_timestamp: number; missing_field: number; wrong_type: number };
  /** partial_part: leading P / partial parts of split cri/docker lines. */
  skipped_by_kind: { log_line: number; text_line: number; partial_part: number };
  /** Stored scheduling decisions by outcome; not_cheapest: selected cost above the cheapest alternative. */
  decisions: { scheduled: number; failed: number; pending: number; not_cheapest: number };
  /** Distinct workloads in stored decisions and relocations. */
  workloads: number;
  /** Timestamps of the first and last stored event (ISO, UTC). */
  first_timestamp: string | null;
  last_timestamp: string | null;
  options: Record<string, unknown>;
}

export const FORMATS: readonly Format[];
export const EVENT_TYPES: readonly KnownEventType[];
export const TYPE_WEIGHTS: Readonly<Record<KnownEventType, number>>;
export const DEFAULTS: Readonly<
  Required<Omit<GenerateOptions, 'types'>> & { types: readonly KnownEventType[] }
>;

export function mulberry32(seed: number): () => number;
export function resolveOptions(options?: GenerateOptions): Record<string, unknown>;

/** Streaming: `lines` yields lines without newlines; `expected` is complete once `lines` is exhausted. */
export function createGenerator(options?: GenerateOptions): {
  options: Record<string, unknown>;
  expected: Expected;
  lines: Generator<string, void, undefined>;
};

/** Everything in memory: for tests and small files. */
export function generateEvents(options?: GenerateOptions): { lines: string[]; expected: Expected };

/** Write to a path (`.gz` = gzip), a writable stream, or standard output (`-`, the default). */
export function writeEvents(
  options?: GenerateOptions,
  out?: string | NodeJS.WritableStream,
): Promise<Expected>;

/** `expected` as written by --expected (pretty JSON with a trailing newline). */
export function expectedJson(expected: Expected): string;

/** The command line (`node examples/generate.mjs --help`). */
export function main(argv?: string[]): Promise<void>;
