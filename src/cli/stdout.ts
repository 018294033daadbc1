/**
 * The one writer of standard output, for every command.
 *
 * - Drain-aware: `write` resolves when the text is written or buffered below the stream's
 *   high-water mark, so an export of any size holds one chunk of rows at a time.
 * - One listener each for 'drain' and 'error', installed once (a listener per write piled up:
 *   MaxListenersExceededWarning on every large export).
 * - A closed pipe (`| head -1`: EPIPE) is the reader saying it has what it wants: the pending
 *   and every later `write` reject with PipeClosedError, the command stops producing, its store
 *   is closed on the way out (withStore), and BaseCommand ends it quietly with exit 0. Output
 *   written by other means (oclif's log, console.log) after that is dropped silently.
 */

/** Standard output was closed by its reader (EPIPE): stop producing; not an error. */
export class PipeClosedError extends Error {
  constructor() {
    super('standard output was closed');
    this.name = 'PipeClosedError';
  }
}

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

export class OutputWriter {
  private installed = false;
  private failure: Error | undefined;
  private waiters: Waiter[] = [];

  constructor(private readonly stream: NodeJS.WritableStream) {}

  /** Listen for 'drain' and 'error' (once for the stream's life; done by the first write too). */
  guard(): void {
    if (this.installed) return;
    this.installed = true;
    this.stream.on('drain', () => this.settle((w) => w.resolve()));
    this.stream.on('error', (e: NodeJS.ErrnoException) => {
      // EPIPE: the reader went away. Anything else (EIO, a full disk behind a redirect) fails
      // the write in progress, if any, and every later one.
      this.failure = e.code === 'EPIPE' ? new PipeClosedError() : e;
      this.settle((w) => w.reject(this.failure!));
    });
  }

  /** Has the reader closed the stream? */
  get closed(): boolean {
    return this.failure instanceof PipeClosedError;
  }

  /** Write text; wait while the stream's buffer is full. */
  write(text: string): Promise<void> {
    this.guard();
    if (this.failure) return Promise.reject(this.failure);
    if (this.stream.write(text)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private settle(fn: (w: Waiter) => void): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) fn(w);
  }
}

/** Standard output of this process. */
export const stdout = new OutputWriter(process.stdout);
