/**
 * Child processes for the benchmark: every child has a timeout, is tracked,
 * and is killed when the harness exits or is interrupted.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';

/** Live children: ChildProcess objects. */
const children = new Set();
/** Callbacks run on exit (synchronous: remove temporary files). */
const cleanups = [];

export function onCleanup(fn) {
  cleanups.push(fn);
}

function killAll(signal) {
  for (const c of children) {
    try {
      c.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

let interrupted = false;
/** True once SIGINT/SIGTERM/SIGHUP arrived: sections stop waiting and report nothing more. */
export const isInterrupted = () => interrupted;

let installed = false;
/** Install SIGINT/SIGTERM/exit handlers once: children are stopped, temporary files removed. */
export function installExitHandlers() {
  if (installed) return;
  installed = true;
  const onSignal = (sig) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\nbench: ${sig}: stopping ${children.size} child process(es)\n`);
    killAll('SIGTERM');
    const t = setTimeout(() => {
      killAll('SIGKILL');
      process.exit(130);
    }, 3000);
    const check = setInterval(() => {
      if (children.size === 0) {
        clearTimeout(t);
        clearInterval(check);
        process.exit(130);
      }
    }, 50);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('exit', () => {
    killAll('SIGKILL');
    for (const fn of cleanups.splice(0)) {
      try {
        fn();
      } catch {
        /* best effort */
      }
    }
  });
}

/**
 * Start a child process. Returns { child, done } where `done` resolves to
 * { code, signal, ms, stdout, stderr, timedOut, peakHwmKb } once it exited
 * and its output closed. `ms` is the wall time from spawn to exit.
 *
 * opts: timeoutMs (required), cwd, env, input (string for stdin),
 * sampleRss (sample /proc/PID/status VmHWM every 50 ms), keepOutput
 * (default true; false discards output but counts bytes), onStdout(chunk).
 */
export function start(cmd, args, opts) {
  if (!opts || !(opts.timeoutMs > 0)) throw new Error('start: timeoutMs is required');
  const keep = opts.keepOutput !== false;
  const t0 = performance.now();
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  let outBytes = 0;
  child.stdout.on('data', (c) => {
    outBytes += c.length;
    if (keep) stdout += c;
    opts.onStdout?.(c);
  });
  child.stderr.on('data', (c) => {
    if (stderr.length < 1 << 20) stderr += c;
  });
  if (opts.input !== undefined) child.stdin.end(opts.input);
  let peakHwmKb = 0;
  const readHwm = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakHwmKb = Math.max(peakHwmKb, Number(m[1]));
    } catch {
      /* exited */
    }
  };
  const sampler = opts.sampleRss ? setInterval(readHwm, 50) : undefined;
  let timedOut = false;
  let killTimer;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
  }, opts.timeoutMs);
  let exitMs;
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exitMs = performance.now() - t0;
      resolve({ code, signal });
    });
  });
  const done = new Promise((resolve) => {
    let spawnError;
    child.on('error', (e) => {
      spawnError = e;
    });
    child.on('close', async (code, signal) => {
      const ex = exitMs === undefined ? { code, signal } : await exited;
      clearTimeout(timer);
      clearTimeout(killTimer);
      if (sampler) clearInterval(sampler);
      children.delete(child);
      resolve({
        code: ex.code,
        signal: ex.signal,
        ms: exitMs ?? performance.now() - t0,
        stdout,
        stderr: spawnError ? String(spawnError) + '\n' + stderr : stderr,
        outBytes,
        timedOut,
        peakHwmKb,
      });
    });
  });
  return { child, done };
}

/** Run to completion (see start). */
export function run(cmd, args, opts) {
  return start(cmd, args, opts).done;
}

/** Wait for a child to exit, killing it after `ms`. */
export async function stop(handle, signal = 'SIGTERM', ms = 30_000) {
  if (handle.child.exitCode === null && handle.child.signalCode === null) handle.child.kill(signal);
  const t = setTimeout(() => handle.child.kill('SIGKILL'), ms);
  const r = await handle.done;
  clearTimeout(t);
  return r;
}
