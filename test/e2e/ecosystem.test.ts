/**
 * The habits of oclif CLIs: `help`, `version`, `autocomplete` (oclif's plugins), "did you mean"
 * for a mistyped command, and help text that reads well: every command has a summary and
 * examples, and descriptions are paragraphs that oclif wraps to the terminal (no hard line
 * breaks in the source that reflow into ragged lines).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cli, tmpDir } from '../helpers.js';

interface ManifestCommand {
  pluginName: string;
  summary?: string;
  description?: string;
  examples?: string[];
}
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, ManifestCommand>;
};
const ours = Object.entries(manifest.commands).filter(([, c]) => c.pluginName === 'kcloud-log');

let cache: string;
beforeAll(() => {
  cache = tmpDir('kcl-cache-');
});
afterAll(() => fs.rmSync(cache, { recursive: true, force: true }));

describe("oclif's plugins", () => {
  it('help, help COMMAND and --help', () => {
    const top = cli(['help']);
    expect(top.code, top.stderr).toBe(0);
    for (const c of ['ingest', 'events', 'autocomplete', 'version', 'help']) expect(top.stdout).toContain(c);
    const ev = cli(['help', 'events']);
    expect(ev.code).toBe(0);
    expect(ev.stdout).toMatch(/USAGE\n {2}\$ kcloud-log events/);
    expect(cli(['analyze', 'sla', '--help']).stdout).toMatch(/EXAMPLES\n {2}\$ kcloud-log analyze sla/);
  });

  it('version and --version', () => {
    for (const args of [['version'], ['--version']]) {
      const r = cli(args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^kcloud-log\/0\.1\.0 /);
    }
  });

  it('autocomplete: instructions, and a bash script completing our commands', () => {
    const env = { XDG_CACHE_HOME: cache };
    const r = cli(['autocomplete', 'bash'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('kcloud-log autocomplete script bash');
    expect(cli(['autocomplete', 'script', 'bash'], { env }).code).toBe(0);
    const bash = fs.readFileSync(
      path.join(cache, 'kcloud-log', 'autocomplete', 'functions', 'bash', 'kcloud-log.bash'),
      'utf8',
    );
    for (const c of ['ingest', 'events', 'analyze:sla', '--fail-on-rejects']) expect(bash).toContain(c);
  });

  it('a mistyped command: did you mean, exit 127 (not a command, as in a shell)', () => {
    for (const [args, typed, want] of [
      [['evnts'], 'evnts', 'events'],
      [['analyze', 'slaa'], 'analyze slaa', 'analyze sla'],
      [['ingset', 'examples/logs'], 'ingset', 'ingest'],
      [['alerts', 'rules', 'ad', 'x'], 'alerts rules ad', 'alerts rules add'],
    ] as const) {
      const r = cli([...args]);
      expect(r.code, r.stderr).toBe(127);
      expect(r.stderr).toBe(
        ` ›   Error: "${typed}" is not a kcloud-log command: did you mean "kcloud-log ${want}"? See kcloud-log help.\n`,
      );
    }
    const far = cli(['xyzzy-plugh']);
    expect(far.code).toBe(127);
    expect(far.stderr).not.toContain('did you mean');
    expect(far.stderr).toContain('kcloud-log help');
    const json = cli(['evnts', '--json']);
    expect(json.code).toBe(127);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'CommandNotFound', exit: 127 } });
  });

  it('a command given words it does not take: an unexpected argument, exit 2', () => {
    const r = cli(['verify', 'extra']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(' ›   Error: unexpected argument: extra (see kcloud-log verify --help)\n');
    const json = cli(['sources', 'extra', 'words', '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'UsageError', exit: 2 } });
  });

  it.each([
    ['events', '--output', 'xml'],
    ['report', 'audit', '--format', 'pdf'],
    ['events', '--limit'],
    ['analyze', 'sla', '--slo'],
  ])('a bad choice or a missing value is a usage error (exit 2, with --json too): %s %s %s', (...args) => {
    const r = cli(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const json = cli([...args, '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'UsageError', exit: 2 } });
  });
});

describe('help text', () => {
  it.each(ours.map(([id, c]) => [id.replaceAll(':', ' '), c] as const))('%s', (_id, c) => {
    expect(c.summary, 'a one-line summary').toBeTruthy();
    expect(c.summary).not.toContain('\n');
    expect(c.examples?.length, 'examples').toBeGreaterThan(0);
    for (const e of c.examples ?? []) expect(e).toMatch(/^<%= config\.bin %> |\| <%= config\.bin %> /);
    // a paragraph is one line; lines that start indented or with "- " are lists and tables
    for (const para of (c.description ?? '').split(/\n\n+/))
      for (const line of para.split('\n').slice(1))
        expect(line, `a hard line break in: ${para.slice(0, 80)}`).toMatch(/^(\s|- )/);
  });
});
