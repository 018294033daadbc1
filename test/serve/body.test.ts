/** A POSTed JSON body cut into lines: its elements as written, or where it is not JSON. */
import { describe, expect, it } from 'vitest';
import { bodyLines } from '../../src/lib/serve/body.js';

const lines = (s: string) => bodyLines(Buffer.from(s), 'json').toString('utf8').split('\n');
const refusal = (s: string) => {
  try {
    bodyLines(Buffer.from(s), 'json');
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
};

describe('bodyLines', () => {
  it('cuts an array into its elements as written, strings with brackets and escapes included', () => {
    expect(lines('[1, "a\\"b,]", {"x": [1, {"y": "]"}]}, null, -0.5e3, true]')).toEqual([
      '1',
      '"a\\"b,]"',
      '{"x": [1, {"y": "]"}]}',
      'null',
      '-0.5e3',
      'true',
    ]);
  });

  it('keeps one value that is not an array whole, its line breaks as spaces', () => {
    expect(lines('\uFEFF {"a":\r\n "\\u00e9"}  ')).toEqual(['{"a":  "\\u00e9"}']);
  });

  it('leaves NDJSON as it is', () => {
    expect(bodyLines(Buffer.from('a\n{b\n'), 'ndjson').toString()).toBe('a\n{b\n');
  });

  it('names the line and column where a body stops being JSON', () => {
    expect(refusal('[1,]')).toBe('the body is not valid JSON at line 1, column 4: expected a value');
    expect(refusal('[{"a":1}\n {"b":2}]')).toBe(
      "the body is not valid JSON at line 2, column 2: expected ',' or ']' after an element",
    );
    expect(refusal('{"a" 1}')).toBe(
      "the body is not valid JSON at line 1, column 6: expected ':' after a member name",
    );
    expect(refusal('{"a":"\\q"}')).toBe(
      'the body is not valid JSON at line 1, column 7: invalid escape in a string',
    );
    expect(refusal('["abc')).toBe('the body is not valid JSON at line 1, column 2: unterminated string');
    expect(refusal('[1] x')).toBe(
      'the body is not valid JSON at line 1, column 5: unexpected text after the JSON value',
    );
    expect(refusal('[1, 2')).toBe(
      "the body is not valid JSON at line 1, column 6: expected ',' or ']' after an element",
    );
    expect(refusal('{a:1}')).toBe(
      'the body is not valid JSON at line 1, column 2: expected a double-quoted member name',
    );
    expect(refusal('{"a":1}\n{"a":2}\n')).toBe(
      'the body is not valid JSON at line 2, column 1: unexpected text after the JSON value (one event per line is NDJSON: send it as application/x-ndjson)',
    );
    expect(refusal('  ')).toBe('the body is empty: expected a JSON event or an array of them');
  });
});
