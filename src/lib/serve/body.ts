/**
 * The body of a POST of events, as the lines the ingester reads: NDJSON as it is (a bad line is
 * that line's reject, as in a file), a JSON body (one event, or an array of them) one element per
 * line. A JSON body that is not JSON is refused whole (400), naming the line and column.
 */
import { UsageError } from '../errors.js';

/** How a body is read, by its content type. */
export type BodyKind = 'json' | 'ndjson';

/** A JSON body that does not parse: refused whole, nothing of it is stored (HTTP 400). */
export class MalformedBodyError extends UsageError {}

/** The body's lines: NDJSON unchanged; each element of a JSON array (or the one JSON value) on a line of its own. */
export function bodyLines(body: Buffer, kind: BodyKind): Buffer {
  if (kind === 'ndjson') return body;
  const text = body.toString('utf8');
  if (text.trim() === '')
    throw new MalformedBodyError('the body is empty: expected a JSON event or an array of them');
  const elements = new JsonScanner(text).elements();
  // JSON text holds a line break only as whitespace between tokens (never raw inside a string).
  return Buffer.from(elements.map((e) => e.replace(/[\r\n]+/g, ' ')).join('\n'), 'utf8');
}

const WS = new Set([' ', '\t', '\n', '\r']);
const LITERAL = /true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * A JSON text checked by its grammar (RFC 8259) and cut into its top-level array's elements,
 * as written; where it goes wrong, a MalformedBodyError names the line and column.
 */
class JsonScanner {
  private i = 0;
  constructor(private readonly text: string) {
    if (text.charCodeAt(0) === 0xfeff) this.i = 1; // a byte order mark
  }

  /** The elements of the array the text is, or the one value it is. */
  elements(): string[] {
    this.space();
    const out: string[] = [];
    if (this.text[this.i] === '[') {
      this.i++;
      this.space();
      if (this.text[this.i] === ']') this.i++;
      else
        for (;;) {
          this.space();
          const start = this.i;
          this.value();
          out.push(this.text.slice(start, this.i));
          this.space();
          const c = this.text[this.i++];
          if (c === ']') break;
          if (c !== ',') this.fail("expected ',' or ']' after an element", this.i - 1);
        }
    } else {
      const start = this.i;
      this.value();
      out.push(this.text.slice(start, this.i));
    }
    this.space();
    if (this.i < this.text.length)
      this.fail(
        `unexpected text after the JSON value${this.text[this.i] === '{' ? ' (one event per line is NDJSON: send it as application/x-ndjson)' : ''}`,
      );
    return out;
  }

  private space(): void {
    while (WS.has(this.text[this.i]!)) this.i++;
  }

  private value(): void {
    const c = this.text[this.i];
    if (c === '{') return this.container('}', true);
    if (c === '[') return this.container(']', false);
    if (c === '"') return this.string();
    LITERAL.lastIndex = this.i;
    const m = LITERAL.exec(this.text);
    if (!m) this.fail(c === undefined ? 'the body ends where a value is expected' : 'expected a value');
    this.i += m![0].length;
  }

  private container(close: string, object: boolean): void {
    this.i++;
    this.space();
    if (this.text[this.i] === close) {
      this.i++;
      return;
    }
    for (;;) {
      this.space();
      if (object) {
        if (this.text[this.i] !== '"') this.fail('expected a double-quoted member name');
        this.string();
        this.space();
        if (this.text[this.i] !== ':') this.fail("expected ':' after a member name");
        this.i++;
        this.space();
      }
      this.value();
      this.space();
      const c = this.text[this.i];
      if (c === close) {
        this.i++;
        return;
      }
      if (c !== ',')
        this.fail(c === undefined ? 'the body ends inside a value' : `expected ',' or '${close}'`);
      this.i++;
    }
  }

  private string(): void {
    const start = this.i++;
    for (;;) {
      const c = this.text[this.i];
      if (c === undefined) this.fail('unterminated string', start);
      if (c === '"') break;
      if (c === '\\') {
        const e = this.text[this.i + 1];
        if (
          e === 'u'
            ? !/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.i + 2, this.i + 6))
            : !'"\\/bfnrt'.includes(e ?? 'x')
        )
          this.fail('invalid escape in a string');
        this.i += e === 'u' ? 6 : 2;
        continue;
      }
      if (c! < ' ') this.fail('a control character inside a string (it must be escaped)');
      this.i++;
    }
    this.i++;
  }

  private fail(reason: string, at = this.i): never {
    let line = 1;
    let start = 0;
    for (let n = this.text.indexOf('\n'); n !== -1 && n < at; n = this.text.indexOf('\n', n + 1)) {
      line++;
      start = n + 1;
    }
    throw new MalformedBodyError(
      `the body is not valid JSON at line ${line}, column ${at - start + 1}: ${reason}`,
    );
  }
}
