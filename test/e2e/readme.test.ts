/**
 * The README as a new user reads it: every command of its ```sh blocks runs as written, in order,
 * from a directory holding what a fresh clone has (examples/), with `kcloud-log` on PATH (as
 * `npm link` puts it there). A block right after `<!-- not run by test/e2e/readme.test.ts: WHY -->`
 * is not run (installing, development commands, a follower that runs until stopped). A command
 * exits 0 unless its comment says `exits N`. The README names nothing outside the repository.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, hasProgram, tmpDir } from '../helpers.js';

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const NOT_RUN = /^<!--\s*not run by test\/e2e\/readme\.test\.ts:\s*(.+?)\s*-->$/;

interface Command {
  /** Line of the README where the command starts. */
  line: number;
  text: string;
  exit: number;
}
interface Block {
  line: number;
  commands: Command[];
  /** Why the block is not run, from its marker. */
  notRun?: string;
}

/** The ```sh blocks of a Markdown text, their commands (continuation lines joined) and markers. */
function shBlocks(md: string): Block[] {
  const lines = md.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```sh\s*$/.test(lines[i]!)) continue;
    let prev = i - 1;
    while (prev >= 0 && lines[prev]!.trim() === '') prev--;
    const block: Block = { line: i + 1, commands: [], notRun: NOT_RUN.exec(lines[prev] ?? '')?.[1] };
    let j = i + 1;
    for (; j < lines.length && !lines[j]!.startsWith('```'); j++) {
      const start = j;
      let text = lines[j]!;
      while (text.endsWith('\\') && j + 1 < lines.length) text = text.slice(0, -1) + lines[++j]!.trim();
      if (text.trim() === '' || text.trim().startsWith('#')) continue;
      const exit = /#.*\bexits (\d+)\b/.exec(text);
      block.commands.push({ line: start + 1, text: text.trim(), exit: exit ? Number(exit[1]) : 0 });
    }
    blocks.push(block);
    i = j;
  }
  return blocks;
}

const blocks = shBlocks(README);

const hasLogrotate = hasProgram('logrotate');
const runnable = blocks.filter((b) => !b.notRun).flatMap((b) => b.commands);

let work: string;
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  work = tmpDir('kcl-readme-');
  fs.cpSync(path.join(ROOT, 'examples'), path.join(work, 'examples'), { recursive: true });
  // kcloud-log on PATH, as `npm link` puts it: this checkout's bin/run.js
  const bin = path.join(work, '.path');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'kcloud-log'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, {
    mode: 0o755,
  });
  env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}`, NO_COLOR: '1' };
  delete env.KCLOUD_LOG_DB;
  env.XDG_CACHE_HOME = path.join(work, '.cache');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('README', () => {
  it('has an install section that puts kcloud-log on PATH, and uses kcloud-log in its examples', () => {
    expect(README).toMatch(/^## Install$/m);
    const install = blocks.find((b) => b.commands.some((c) => /^npm link\b/.test(c.text)));
    expect(install?.notRun, 'the install block, marked as not run').toBeTruthy();
    expect(runnable.length).toBeGreaterThan(10);
    for (const c of runnable) expect(c.text, `README line ${c.line}`).toMatch(/^kcloud-log /);
  });

  it('says why each block that is not run is not run', () => {
    const notRun = blocks.filter((b) => b.notRun);
    expect(notRun.map((b) => b.notRun)).toEqual([
      expect.stringMatching(/install/),
      expect.stringMatching(/until stopped/),
      expect.stringMatching(/until stopped/), // the service (test/serve/e2e.test.ts runs it)
      expect.stringMatching(/development/),
    ]);
  });

  it('names nothing outside the repository; every file it links exists', () => {
    expect(README).not.toMatch(/DESIGN\.md|\.\.\/|\/work\/|shared\/fixtures/);
    const links = [...README.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!);
    for (const l of links.filter((l) => !/^[a-z]+:/.test(l)))
      expect(fs.existsSync(path.join(ROOT, l)), `link ${l}`).toBe(true);
    expect(links).toEqual(expect.arrayContaining(['examples/fluent-bit.conf', 'examples/logrotate.conf']));
    for (const f of ['fluent-bit.conf', 'fluent-bit-parsers.conf', 'logrotate.conf'])
      expect(fs.readFileSync(path.join(ROOT, 'examples', f), 'utf8'), f).not.toMatch(/\.\.\/|shared\//);
  });

  it.skipIf(!hasLogrotate)('examples/logrotate.conf is a configuration logrotate reads', () => {
    const r = spawnSync(
      'logrotate',
      ['-d', '-s', path.join(work, 'logrotate.state'), path.join(ROOT, 'examples', 'logrotate.conf')],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/error/i);
  });

  it.each(runnable.map((c) => [`line ${c.line}: ${c.text}`, c] as const))('%s', (_name, c) => {
    const r = spawnSync('sh', ['-c', c.text], { cwd: work, env, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, `${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`).toBe(c.exit);
  });
});
