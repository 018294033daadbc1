/**
 * The end-to-end tests run the built CLI (bin/run.js -> dist/). After an edit
 * in src/, `npm test` would run them against the stale build: rebuild first
 * when anything the build reads is newer than the build (`dist/.built`, written
 * last by `npm run build`).
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function newest(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = st.mtimeMs;
  for (const e of fs.readdirSync(p)) t = Math.max(t, newest(path.join(p, e)));
  return t;
}

export function builtAt(): number {
  try {
    return fs.statSync(path.join(ROOT, 'dist', '.built')).mtimeMs;
  } catch {
    return 0;
  }
}

export function sourcesChangedAt(): number {
  return Math.max(
    ...['src', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts'].map((p) =>
      newest(path.join(ROOT, p)),
    ),
  );
}

export default function setup(): void {
  if (builtAt() >= sourcesChangedAt()) return;
  process.stderr.write('kcloud-log tests: src/ changed since the last build; running npm run build\n');
  execSync('npm run build', { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}
