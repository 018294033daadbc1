/**
 * The envelope: decide what a decoded JSON value is (a typed event, a generic
 * event of an unknown type, an ordinary log line to skip, or a reject), and
 * normalise typed events to one stored form.
 */
import type { z } from '../zod.js';
import { EVENT_TYPES, isKnownType, type EventType, type JsonObject, type TypedFields } from './columns.js';
import { compileFast } from './fast.js';
import { readEventTime } from '../time.js';
import * as decision from './scheduling-decision.js';
import * as relocation from './workload-relocation.js';
import * as reconfiguration from './cluster-reconfiguration.js';
import * as inefficiency from './inefficiency-detected.js';
import * as policy from './policy-change.js';

export type { EventType, Json, JsonObject } from './columns.js';
// Importing these from here loads the validators (zod) too: readers import them from columns.ts.
export { EVENT_TYPES, TYPED_FIELDS, isKnownType } from './columns.js';

interface TypeModule {
  nested: z.ZodType;
  flat: z.ZodType;
  /** The shape the event is validated, stored and derived in (flat when the nested probe is absent). */
  isFlat(o: JsonObject): boolean;
  /** The shape it resembles, for messages when it is invalid. */
  looksFlat(o: JsonObject): boolean;
  /** The stored form of a valid event of the shape `isFlat` chose. */
  normalise(e: never, flat: boolean): JsonObject;
  fields: TypedFields;
}

const MODULES: Record<EventType, TypeModule> = {
  scheduling_decision: decision,
  workload_relocation: relocation,
  cluster_reconfiguration: reconfiguration,
  inefficiency_detected: inefficiency,
  policy_change: policy,
};

/** Each type's fast checks per shape, generated from its zod schemas (fast.ts). */
const FAST = Object.fromEntries(
  EVENT_TYPES.map((t) => [t, { nested: compileFast(MODULES[t].nested), flat: compileFast(MODULES[t].flat) }]),
) as Record<EventType, { nested: (o: JsonObject) => boolean; flat: (o: JsonObject) => boolean }>;

/** True only when zod accepts `o` in the shape `isFlat` chose; false: ask zod (it says why). */
export function passesFast(type: EventType, o: JsonObject): boolean {
  const fast = FAST[type];
  return MODULES[type].isFlat(o) ? fast.flat(o) : fast.nested(o);
}

export type Classified =
  | { kind: 'event'; eventType: string; known: boolean; ts: number; ownId?: string }
  | { kind: 'skip'; reason: string }
  | { kind: 'reject'; reason: string };

export interface ClassifyOptions {
  /** Reject events whose `event_type` is not one of the known types. */
  strict?: boolean;
}

/** Render zod issues as one readable sentence. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const parts = issues.slice(0, 5).map((i) => {
    const path = i.path.length ? i.path.map(String).join('.') : 'event';
    if (i.message === 'is missing' || /received undefined/.test(i.message)) return `${path} is missing`;
    const msg = i.message.replace(/^Invalid input: /, '');
    return `${path} ${msg}`;
  });
  if (issues.length > 5) parts.push(`and ${issues.length - 5} more`);
  return parts.join('; ');
}

// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\x00-\x1f]/;

/** The event's own id (`event_id`, else `id`), when it is a usable string or number. */
function ownId(o: JsonObject): string | undefined {
  for (const k of ['event_id', 'id']) {
    const v = o[k];
    if (typeof v === 'string' && v.trim() !== '' && !CONTROL_RE.test(v) && v.length <= 256) return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  return undefined;
}

/**
 * Why an event failed validation in the shape `isFlat` chose. The shape is exact (it is what SQL
 * derives the typed columns by), but an event that resembles the other shape, say a nested
 * decision whose selected_cluster is missing, is told what that shape lacks.
 */
function rejectReason(
  type: string,
  mod: TypeModule,
  o: JsonObject,
  flat: boolean,
  issues: readonly z.core.$ZodIssue[],
): string {
  if (mod.flat === mod.nested) return `${type}: ${describeIssues(issues)}`;
  const form = (f: boolean) => (f ? 'flat form' : 'nested form');
  const looksFlat = mod.looksFlat(o);
  if (looksFlat !== flat) {
    const other = (looksFlat ? mod.flat : mod.nested).safeParse(o);
    if (!other.success) return `${type} (${form(looksFlat)}): ${describeIssues(other.error.issues)}`;
    const probe = mod.fields.nestedProbe!.slice(2);
    return `${type}: has the ${form(looksFlat)}'s fields but ${flat ? 'no' : 'also'} ${probe}, which makes it the ${form(flat)}: ${describeIssues(issues)}`;
  }
  return `${type} (${form(flat)}): ${describeIssues(issues)}`;
}

/**
 * Classify one decoded JSON value. Typed events are validated against the
 * shape they carry (nested or flat); the caller keeps the raw text.
 */
export function classify(value: unknown, opts: ClassifyOptions = {}): Classified {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      kind: 'reject',
      reason: `not a JSON object (got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value})`,
    };
  }
  const o = value as JsonObject;
  const type = o.event_type;
  if (type === undefined) return { kind: 'skip', reason: 'no event_type (an ordinary log line)' };
  if (typeof type !== 'string' || type.trim() === '' || CONTROL_RE.test(type)) {
    return { kind: 'reject', reason: 'event_type must be a non-empty string without control characters' };
  }
  if (o.timestamp === undefined) return { kind: 'reject', reason: `${type}: timestamp is missing` };
  const time = readEventTime(o.timestamp);
  if (!time.ok) {
    const shown = JSON.stringify(o.timestamp) ?? String(o.timestamp);
    return {
      kind: 'reject',
      reason: `${type}: timestamp ${shown.length > 60 ? shown.slice(0, 57) + '...' : shown} ${time.reason} (ISO 8601, or epoch seconds below 1e11 / milliseconds)`,
    };
  }
  const ts = time.micros;
  if (!isKnownType(type)) {
    if (opts.strict) return { kind: 'reject', reason: `unknown event_type "${type}" (--strict)` };
    return { kind: 'event', eventType: type, known: false, ts, ownId: ownId(o) };
  }
  const mod = MODULES[type];
  const flat = mod.isFlat(o);
  // The common case, a valid event, never runs zod; anything else gets zod's verdict and reason.
  if (!(flat ? FAST[type].flat : FAST[type].nested)(o)) {
    const res = (flat ? mod.flat : mod.nested).safeParse(o);
    if (!res.success) return { kind: 'reject', reason: rejectReason(type, mod, o, flat, res.error.issues) };
  }
  return { kind: 'event', eventType: type, known: true, ts, ownId: ownId(o) };
}

/**
 * The stored event in its normalised form: for known types the nested shape
 * (flat fields mapped, percentages as numbers, severity lower case, decision
 * outcome defaulted), `timestamp` as ISO UTC, and `event_id`. Unknown types
 * are returned as logged.
 */
export function normaliseEvent(raw: JsonObject, eventId: string, isoTs: string): JsonObject {
  const type = raw.event_type as string;
  let body: JsonObject = raw;
  if (isKnownType(type)) {
    const mod = MODULES[type];
    const flat = mod.isFlat(raw);
    const res = (flat ? mod.flat : mod.nested).safeParse(raw);
    if (res.success) body = mod.normalise(res.data as never, flat);
  }
  const { event_type: _t, timestamp: _ts, event_id: _id, ...rest } = body;
  return { event_id: eventId, event_type: type, timestamp: isoTs, ...rest };
}

/** The zod schemas of a type's shapes: nested, then flat (one schema when both are the same). */
export function eventShapes(type: EventType): z.ZodType[] {
  const { nested, flat } = MODULES[type];
  return nested === flat ? [nested] : [nested, flat];
}
