import { beforeAll, describe, expect, it } from 'vitest';
import chalk from 'chalk';
import { closest, escapeControls, excerpt } from '../../src/lib/text.js';
import { cut, displayable, table, terminalText } from '../../src/cli/render.js';
import { listed } from '../../src/lib/specfile.js';
import { statusLine } from '../../src/cli/progress.js';
import { loadDisplayWidths } from '../../src/cli/table.js';

beforeAll(loadDisplayWidths); // as every command does before it prints (BaseCommand.init)

// eslint-disable-next-line no-control-regex -- what must not reach a terminal
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/;

describe('data shown on a terminal', () => {
  const evil = 'job\x1b]0;pwned\x07\x1b[2J\r\u009b31m\u202eevil\x00';

  it('escapes every control character into a visible escape', () => {
    const s = escapeControls(evil);
    expect(s).not.toMatch(RAW);
    expect(s).toBe('job\\x1b]0;pwned\\x07\\x1b[2J\\r\\x9b31m\\u202eevil\\x00');
    expect(escapeControls('a\nb\tc')).toBe('a\\nb\\tc');
    expect(escapeControls('최적 전력 효율성 → ok')).toBe('최적 전력 효율성 → ok');
  });

  it('keeps colours and line breaks only when asked (our own layout)', () => {
    expect(escapeControls('\x1b[31mred\x1b[39m\n', { colour: true, layout: true })).toBe(
      '\x1b[31mred\x1b[39m\n',
    );
    expect(escapeControls('\x1b[31mred\x1b[39m\n')).toBe('\\x1b[31mred\\x1b[39m\\n');
    expect(terminalText('line 1\nline\x07 2')).toBe('line 1\nline\\x07 2');
  });

  it('table cells, cut() and displayable() never pass control characters', () => {
    const level = chalk.level;
    for (const l of [0, 1] as const) {
      chalk.level = l;
      const t = table(['h\x1b[2J'], [[evil], [cut(evil, 12)]]);
      for (const raw of ['\x07', '\x1b[2J', '\x1b]']) expect(t).not.toContain(raw);
    }
    chalk.level = level;
    expect(cut(evil, 8)).toBe('job\\x1b…');
    const d = displayable({ a: [evil, 1, null], b: { c: evil } });
    expect(JSON.stringify(d)).not.toMatch(/\\u00(0|1[0-9a-f])/);
    expect(d.a[1]).toBe(1);
  });
});

describe('the follow status line', () => {
  it('escapes the file names it shows', () => {
    const file = { path: '/logs/app\x1b]0;x\x07.log', source_id: 1, offset: 0, size: 10, lag_bytes: 10 };
    const st = {
      elapsed_s: 1,
      cycles: 1,
      commits: 1,
      lines: 1,
      stored: 1,
      rejected: 0,
      duplicates: 0,
      skipped: 0,
    };
    const line = statusLine({ ...st, rate: 1, files: [file] });
    expect(line).toContain('app\\x1b]0;x\\x07.log');
    expect(line).not.toMatch(RAW);
  });
});

describe('quoting a file in an error message', () => {
  it('quotes at most a short excerpt, escaped, with the full length', () => {
    const long = 'root:x:0:0:root:/root:/bin/bash\n'.repeat(100);
    const q = excerpt(long);
    expect(q.length).toBeLessThan(100);
    expect(q).toContain(`(${long.length} characters)`);
    expect(q).not.toMatch(RAW);
    expect(q).not.toContain('\n');
    expect(excerpt('short')).toBe('"short"');
  });

  it('lists at most ten problems', () => {
    const items = Array.from({ length: 500 }, (_, i) => `problem ${i}`);
    expect(listed(items)).toEqual([...items.slice(0, 10), '… and 490 more']);
    expect(listed(items.slice(0, 3))).toEqual(items.slice(0, 3));
  });
});

describe('closest: the suggestion of "did you mean"', () => {
  const ids = ['events', 'ingest', 'analyze:sla', 'analyze:scheduling', 'sql', 'sources'];
  it('the nearest candidate within a third of the length (at least 2 edits), else none', () => {
    expect(closest('evnts', ids)).toBe('events');
    expect(closest('ingset', ids)).toBe('ingest');
    expect(closest('analyze:slaa', ids)).toBe('analyze:sla');
    expect(closest('sq', ids)).toBe('sql');
    expect(closest('xyzzy-plugh', ids)).toBeUndefined();
    expect(closest('events', [])).toBeUndefined();
  });
});
