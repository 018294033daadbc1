/** `kcloud-log serve` as a real process (the built CLI) on a free port, for end-to-end tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach } from 'vitest';
import { BIN } from '../helpers.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

export interface Service {
  child: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Start `serve` and wait for its "listening on URL" line. */
export async function startServe(db: string, extra: string[] = []): Promise<Service> {
  const child = spawn(process.execPath, [BIN, 'serve', '--db', db, '--listen', '127.0.0.1:0', ...extra], {
    env: { ...process.env, NO_COLOR: '1' },
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const t = setInterval(() => {
      const m = /listening on (http:\/\/\S+)/.exec(stdout);
      if (m) {
        clearInterval(t);
        resolve(m[1]!);
      } else if (child.exitCode !== null) {
        clearInterval(t);
        reject(new Error(`serve exited ${child.exitCode}: ${stderr}`));
      }
    }, 50);
  });
  return { child, url, exited };
}

/** SIGTERM, and its exit. */
export async function stopServe(
  svc: Service,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  svc.child.kill('SIGTERM');
  return svc.exited;
}
