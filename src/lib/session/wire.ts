/**
 * What a call to a service and its answer look like on the wire (routes/cli.ts, client.ts).
 *
 * - The request body is the call's arguments, in V8's structured-clone format (`v8.serialize`):
 *   numbers, bigints, dates, maps, sets and regexps arrive as they were sent; functions (progress
 *   callbacks) are left out, as a service's work cannot call back into the client.
 * - The answer is a sequence of frames, each a 4-byte big-endian length and a structured-clone
 *   value: a `head` (the result, or the part of it that is not a stream), then for a streamed
 *   result its `item`s (chunks of rows) and an `end`; or, at any point, an `error`.
 */
import v8 from 'node:v8';
import * as Errors from '../errors.js';
import * as Failures from '../store/failure.js';

/** The result itself is a stream (''), or one of its properties is (its name), or neither (null). */
export type StreamAt = string | null;

export type Frame =
  | { t: 'head'; v: unknown; stream: StreamAt }
  | { t: 'item'; v: unknown }
  | { t: 'end' }
  /** The call is still running (keeps the connection from idling out). */
  | { t: 'tick' }
  | { t: 'error'; e: WireError };

export interface WireError {
  name: string;
  message: string;
  exitCode: number;
}

/** Where the calls go: `POST {CLI_PREFIX}call/{name}`. */
export const CLI_PREFIX = '/cli/v1/';
/** The header carrying the key of the service's instance file. */
export const CLI_KEY_HEADER = 'x-kcloud-cli-key';
/** The header carrying the client's --timeout, ms (0: none). */
export const CLI_TIMEOUT_HEADER = 'x-kcloud-timeout-ms';

export const FRAMES_TYPE = 'application/x-kcloud-frames';
/** The body of a call (its arguments). */
export const ARGS_TYPE = 'application/x-kcloud-args';

export function frame(f: Frame): Buffer {
  const body = v8.serialize(f);
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

/** The frames in a byte stream, as they complete (a large frame's chunks are joined once, when all are in). */
export async function* readFrames(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Frame> {
  let parts: Buffer[] = [];
  let have = 0;
  let need = 4; // the length, then the whole frame
  for await (const c of chunks) {
    parts.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
    have += c.byteLength;
    while (have >= need) {
      const buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts, have);
      parts = [buf];
      const n = buf.readUInt32BE(0);
      if (have < 4 + n) {
        need = 4 + n;
        break;
      }
      yield v8.deserialize(buf.subarray(4, 4 + n)) as Frame;
      const rest = buf.subarray(4 + n);
      parts = rest.length ? [rest] : [];
      have = rest.length;
      need = 4;
    }
  }
  if (have) throw new Error('the service closed the connection in the middle of an answer');
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;

/** A copy of `v` without its functions (at any depth of plain objects and arrays). */
export function withoutFunctions(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutFunctions);
  if (!isObject(v)) return typeof v === 'function' ? undefined : v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x !== 'function') out[k] = withoutFunctions(x);
  return out;
}

export const encodeArgs = (args: unknown[]): Buffer => v8.serialize(withoutFunctions(args));

export function decodeArgs(body: Buffer): unknown[] {
  const v = v8.deserialize(body) as unknown;
  if (!Array.isArray(v)) throw new Errors.UsageError('a call takes an array of arguments');
  return v;
}

const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> =>
  v !== null && typeof v === 'object' && Symbol.asyncIterator in v;

/** Where the stream of a result is, if it has one. */
export function streamOf(result: unknown): { at: StreamAt; stream?: AsyncIterable<unknown>; head: unknown } {
  if (isAsyncIterable(result)) return { at: '', stream: result, head: null };
  if (isObject(result))
    for (const [k, x] of Object.entries(result))
      if (isAsyncIterable(x)) return { at: k, stream: x, head: { ...result, [k]: null } };
  return { at: null, head: result };
}

// Every typed error a library call can throw, by name, so that the client throws the same class
// (commands test `instanceof`, and the exit code comes with the class).
const CLASSES: Record<string, new (message: string) => Error> = {};
for (const m of [Errors, Failures] as Record<string, unknown>[])
  for (const [name, c] of Object.entries(m))
    if (typeof c === 'function' && c.prototype instanceof Errors.KcloudError)
      CLASSES[name] = c as new (message: string) => Error;

export function encodeError(e: unknown): WireError {
  const err = e instanceof Error ? e : new Error(String(e));
  const exitCode = err instanceof Errors.KcloudError ? err.exitCode : Errors.EXIT.unexpected;
  return { name: err.name, message: err.message, exitCode };
}

/** The error a service sent, as the class it was thrown as (a plain Error for an unexpected one). */
export function decodeError(w: WireError): Error {
  const Class = CLASSES[w.name];
  if (Class) return new Class(w.message);
  const e = new Error(w.message);
  e.name = w.name;
  return e;
}
