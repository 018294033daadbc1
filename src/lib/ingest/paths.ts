/**
 * Expanding `ingest` arguments into files: files as given, directories
 * recursively (log-like files only), globs (picomatch), `-` for stdin.
 */
import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';

export interface Target {
  kind: 'file' | 'stdin';
  path: string;
}

export interface PathError {
  path: string;
  reason: string;
}

/** Files met while walking a directory that are not logs. */
const NOT_LOGS =
  /\.(conf|ya?ml|toml|ini|md|txt\.lock|duckdb|wal|tmp|swp|js|mjs|cjs|ts|py|sh|lock|pid|pos|db|sqlite|html|png|svg|pem|pub|key)$/i;

export function isLogName(name: string): boolean {
  return !name.startsWith('.') && !NOT_LOGS.test(name) && !name.includes('.duckdb');
}

function walk(dir: string, out: string[], errors: PathError[], filter?: (p: string) => boolean): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    errors.push({ path: dir, reason: (e as NodeJS.ErrnoException).code ?? String(e) });
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      try {
        const st = fs.statSync(p);
        isDir = st.isDirectory();
        isFile = st.isFile();
      } catch {
        continue; // dangling link
      }
    }
    if (isDir) {
      if (!e.name.startsWith('.') && e.name !== 'node_modules') walk(p, out, errors, filter);
    } else if (isFile && (filter ? filter(p) : isLogName(e.name))) {
      out.push(p);
    }
  }
}

const errText = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return 'no such file or directory';
  if (err.code === 'EACCES') return 'permission denied';
  return err.message ?? String(e);
};

export function expandTargets(args: readonly string[]): { targets: Target[]; errors: PathError[] } {
  const targets: Target[] = [];
  const errors: PathError[] = [];
  const seen = new Set<string>();
  const add = (p: string) => {
    const abs = path.resolve(p);
    if (!seen.has(abs)) {
      seen.add(abs);
      targets.push({ kind: 'file', path: abs });
    }
  };
  for (const arg of args) {
    if (arg === '-') {
      targets.push({ kind: 'stdin', path: '-' });
      continue;
    }
    const scan = picomatch.scan(arg);
    if (scan.isGlob) {
      const base = path.resolve(scan.base || '.');
      const isMatch = picomatch(path.resolve(arg), { dot: false });
      const found: string[] = [];
      walk(base, found, errors, (p) => isMatch(p));
      if (!found.length) errors.push({ path: arg, reason: 'no files match this pattern' });
      found.forEach(add);
      continue;
    }
    let st: fs.Stats;
    try {
      st = fs.statSync(arg);
    } catch (e) {
      errors.push({ path: arg, reason: errText(e) });
      continue;
    }
    if (st.isDirectory()) {
      const found: string[] = [];
      walk(path.resolve(arg), found, errors);
      found.forEach(add);
    } else {
      try {
        fs.accessSync(arg, fs.constants.R_OK);
        add(arg);
      } catch (e) {
        errors.push({ path: arg, reason: errText(e) });
      }
    }
  }
  return { targets, errors };
}
