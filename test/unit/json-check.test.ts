import { describe, expect, it } from 'vitest';
import { checkJsonText, describeJsonProblem, MAX_JSON_DEPTH } from '../../src/lib/formats/json-check.js';

const check = (text: string) => checkJsonText(text, JSON.parse(text));

describe('checkJsonText', () => {
  it('accepts ordinary events, escapes, surrogate pairs and colons in strings', () => {
    for (const t of [
      '{"event_type":"x","timestamp":"2025-01-15T10:30:00Z","a":{"b":[1,2,{"c":"d"}]}}',
      '{"k":"a \\" quote: and \\\\","l":"\\u00e9\\ud83d\\ude00","m":":x"}',
      '{ "a" : 1 , "b" : { "a" : 2 } }',
      '[]',
    ])
      expect(check(t), t).toBeUndefined();
  });
  it('refuses a repeated key, also when spelled with escapes or spaces, naming where', () => {
    expect(check('{"a":1,"a":2}')).toBe('key "a" appears twice in the event');
    expect(check('{"a":1, "a" :2}')).toBe('key "a" appears twice in the event');
    expect(check('{"w":{"id":1,"i\\u0064":2}}')).toBe('key "id" appears twice in w');
    expect(check('{"w":[{"x":1},{"y":{"z":1,"z":2}}]}')).toBe('key "z" appears twice in w.[].y');
    expect(check('{"q\\"":1,"q\\"":2}')).toBe('key "q"" appears twice in the event');
  });
  it('refuses unpaired surrogate escapes', () => {
    expect(check('{"a":"\\ud800"}')).toMatch(/unpaired UTF-16 surrogate/);
    expect(check('{"a":"\\udc00x"}')).toMatch(/unpaired UTF-16 surrogate/);
    expect(check('{"a":"\\ud800\\u0041"}')).toMatch(/unpaired UTF-16 surrogate/);
  });
  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} levels`, () => {
    const deep = (n: number) => '{"a":' + '['.repeat(n - 1) + ']'.repeat(n - 1) + '}';
    expect(check(deep(MAX_JSON_DEPTH))).toBeUndefined();
    expect(check(deep(MAX_JSON_DEPTH + 1))).toMatch(/nesting deeper than 64 levels at a/);
    expect(check(deep(100_000))).toMatch(/nesting deeper/);
  });
  it('the fast path and the exact scan agree on random events', () => {
    let seed = 7;
    const r = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const keys = ['a', 'b', 'c', 'd'];
    const gen = (d: number): string => {
      const x = r();
      if (d > 3 || x < 0.3) return JSON.stringify(r() < 0.5 ? 'v:"' + r() : r());
      if (x < 0.5) return `[${Array.from({ length: 1 + Math.floor(r() * 3) }, () => gen(d + 1)).join(',')}]`;
      const n = 1 + Math.floor(r() * 4);
      return `{${Array.from({ length: n }, () => `${JSON.stringify(keys[Math.floor(r() * 4)])}${r() < 0.2 ? ' : ' : ':'}${gen(d + 1)}`).join(',')}}`;
    };
    for (let i = 0; i < 3000; i++) {
      const t = gen(0);
      expect(check(t), t).toBe(describeJsonProblem(t));
    }
  });
});
