/**
 * Line decoders, chosen per line (docs/design.md "Line formats"):
 *
 * 1. plain JSONL: the event object is the line;
 * 2. Fluent Bit `file` output default format: `TAG: [EPOCH.FRACTION, {record}]`;
 * 3. Docker json-file / Fluent Bit docker parser: `{"log":"<event JSON>\n","stream":..,"time":..}`;
 * 4. CRI: `TIME stdout|stderr P|F <text>`, `P` parts joined with the following ones;
 * 5. Fluent Bit records with `date` and the event at top level, or under `log`/`message`.
 *
 * Decoding never throws: it returns what the line is.
 */
/** `text`: a plain-text line, an ordinary log line that is not an event. */
export type FormatName = 'jsonl' | 'fluentbit' | 'docker' | 'cri' | 'fluentbit-json' | 'text';

export type Decoded =
  /** A JSON value to classify, with the event's JSON text. */
  | { kind: 'value'; value: unknown; raw: string; format: FormatName; fbTag?: string }
  /** Plain text, or a wrapper (docker, CRI) around it: an ordinary log line, not an event. */
  | { kind: 'text'; format: FormatName }
  /** A part of a longer line (CRI `P`, docker partial); held until its end arrives. */
  | { kind: 'partial'; format: FormatName }
  | { kind: 'blank' }
  | { kind: 'error'; reason: string };

/** The parts of a split line held until its last part arrives, bounded by bytes. */
export interface HeldParts {
  parts: string[];
  /** Bytes of text held so far (UTF-8), also those dropped past the limit. */
  bytes: number;
  /** Parts seen, also those dropped. */
  count: number;
}

/** Per-source state: the held parts of a split line, and the limit on a joined line. */
export interface DecodeState {
  cri?: HeldParts;
  docker?: HeldParts;
  /** A joined line longer than this (bytes) is an error; its parts are no longer held. */
  maxLineBytes?: number;
}

/** Docker's json-file driver splits a line into records of exactly this many bytes (all but the last without a newline). */
export const DOCKER_SPLIT_BYTES = 16 * 1024;

/** Hold one more part; past the limit only its length is kept. */
function hold(held: HeldParts | undefined, text: string, state: DecodeState): HeldParts {
  const h = held ?? { parts: [], bytes: 0, count: 0 };
  h.bytes += Buffer.byteLength(text);
  h.count++;
  if (h.bytes <= (state.maxLineBytes ?? Number.POSITIVE_INFINITY)) h.parts.push(text);
  else h.parts = [];
  return h;
}

/** The joined line of `held` + its last part, or an error when it is over the limit. */
function joined(held: HeldParts | undefined, last: string, state: DecodeState): string | Decoded {
  if (!held) return last;
  const limit = state.maxLineBytes ?? Number.POSITIVE_INFINITY;
  const bytes = held.bytes + Buffer.byteLength(last);
  if (bytes > limit) {
    return {
      kind: 'error',
      reason: `line joined from ${held.count + 1} parts is ${bytes} bytes, longer than --max-line-bytes ${limit}`,
    };
  }
  held.parts.push(last);
  return held.parts.join('');
}

const CRI_RE = /^(\d{4}-\d{2}-\d{2}T\S+) (stdout|stderr) ([PF])(?: (.*))?$/s;
const FB_RE = /^([^\s[\]{}":]+): \[(-?\d+(?:\.\d+)?), ?\{/;

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, reason: `invalid JSON: ${(e as Error).message}` };
  }
}

/** Decode text that should hold an event object (inside a wrapper). */
function inner(text: string, format: FormatName, fbTag?: string): Decoded {
  const t = text.trim();
  if (t === '') return { kind: 'text', format };
  if (t[0] !== '{') return { kind: 'text', format };
  const p = parseJson(t);
  if (!p.ok) return { kind: 'error', reason: `${format} record: the event inside is ${p.reason}` };
  return { kind: 'value', value: p.value, raw: t, format, fbTag };
}

/** A JSON record: the event itself, or a wrapper holding it. */
function record(obj: unknown, raw: string, format: FormatName, state: DecodeState, fbTag?: string): Decoded {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj))
    return { kind: 'value', value: obj, raw, format, fbTag };
  const o = obj as Record<string, unknown>;
  if ('event_type' in o)
    return { kind: 'value', value: o, raw, format: 'date' in o ? 'fluentbit-json' : format, fbTag };
  for (const key of ['log', 'message'] as const) {
    const v = o[key];
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return { kind: 'value', value: v, raw: JSON.stringify(v), format: 'fluentbit-json', fbTag };
    }
    if (typeof v === 'string' && (key === 'log' || v.trimStart().startsWith('{'))) {
      const wrapper: FormatName = 'stream' in o || 'time' in o || '_p' in o ? 'docker' : 'fluentbit-json';
      // Docker json-file splits lines over 16 KiB into records of exactly 16 KiB without the
      // trailing newline; the last part has it. A shorter record without a newline is whole.
      if (key === 'log' && wrapper === 'docker' && !('_p' in o)) {
        if (!v.endsWith('\n') && Buffer.byteLength(v) >= DOCKER_SPLIT_BYTES) {
          state.docker = hold(state.docker, v, state);
          return { kind: 'partial', format: wrapper };
        }
        if (state.docker !== undefined) {
          const full = joined(state.docker, v, state);
          state.docker = undefined;
          return typeof full === 'string' ? inner(full, wrapper, fbTag) : full;
        }
      }
      return inner(v, wrapper, fbTag);
    }
  }
  // Some other JSON object without event_type: an ordinary log line.
  return { kind: 'value', value: o, raw, format, fbTag };
}

export function decodeLine(text: string, state: DecodeState): Decoded {
  // A byte order mark (a file written by some Windows tools) is not part of the line.
  const line = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const first = line.charCodeAt(0);
  if (first === 123 /* { */) {
    const p = parseJson(line);
    if (!p.ok) {
      state.docker = undefined;
      return { kind: 'error', reason: p.reason };
    }
    return record(p.value, line.trim(), 'jsonl', state);
  }
  if (line.trim() === '') return { kind: 'blank' };
  const fb = FB_RE.exec(line);
  if (fb) {
    const t = line.trimEnd();
    if (!t.endsWith(']')) return { kind: 'error', reason: 'Fluent Bit record is not closed by "]"' };
    const body = t.slice(fb[0].length - 1, -1);
    const p = parseJson(body);
    if (!p.ok) return { kind: 'error', reason: `Fluent Bit record: ${p.reason}` };
    return record(p.value, body, 'fluentbit', state, fb[1]);
  }
  const cri = CRI_RE.exec(line);
  if (cri) {
    const text = cri[4] ?? '';
    if (cri[3] === 'P') {
      state.cri = hold(state.cri, text, state);
      return { kind: 'partial', format: 'cri' };
    }
    const full = joined(state.cri, text, state);
    state.cri = undefined;
    return typeof full === 'string' ? inner(full, 'cri') : full;
  }
  const t = line.trimStart();
  if (t[0] === '{') return decodeLine(t, state);
  return plainText(t);
}

/** A Fluent Bit record's start (`TAG: [EPOCH,`) or a CRI line's (`TIME stdout|stderr`). */
const FB_LIKE_RE = /^[^\s[\]{}":]+: \[-?\d+(?:\.\d+)?,/;
const CRI_LIKE_RE = /^\d{4}-\d{2}-\d{2}T\S+ (?:stdout|stderr)(?: |$)/;

/**
 * A line that is neither JSON nor a known format: an ordinary log line (`text`, skipped), unless
 * it looks like what it failed to be (a JSON array of objects, a Fluent Bit record, a CRI line,
 * an event), which is a reject, so a damaged event is never skipped silently.
 */
function plainText(t: string): Decoded {
  if (/^\[\s*[{[]/.test(t)) {
    const p = parseJson(t.trimEnd());
    return p.ok
      ? { kind: 'value', value: p.value, raw: t.trimEnd(), format: 'jsonl' }
      : { kind: 'error', reason: p.reason };
  }
  if (FB_LIKE_RE.test(t))
    return {
      kind: 'error',
      reason: 'looks like a Fluent Bit record (TAG: [EPOCH, {record}]) but its record is not a JSON object',
    };
  if (CRI_LIKE_RE.test(t))
    return { kind: 'error', reason: 'looks like a CRI line (TIME stdout|stderr P|F TEXT) but is not one' };
  if (t.includes('"event_type"'))
    return {
      kind: 'error',
      reason:
        'not JSON and not a known log format (plain JSONL, Fluent Bit, Docker json-file, CRI), but it mentions "event_type"',
    };
  return { kind: 'text', format: 'text' };
}
