/**
 * A store kept open by one long-running process (`kcloud-log serve`): it owns the database, as
 * DuckDB's concurrency model wants, and everyone else talks to it.
 *
 * Writes (a follower's commits, a POST's events, alert rules) run through one queue, one at a
 * time, on the store's own connection: a DuckDB connection has one transaction, so two writers
 * on it would mix their statements. Reads get a connection of their own each, which sees only
 * what was committed (DuckDB's MVCC), never a writer's open transaction.
 *
 * Checkpoints: DuckDB checkpoints automatically inside the commit that takes its WAL over
 * `checkpoint_threshold` (16MB by default): a follower at 10k lines/s fills that every few
 * seconds, and the commit that checkpoints takes up to ~4 s instead of ~0.3 s. A store kept open
 * raises the threshold (SHARED_CHECKPOINT_THRESHOLD) and checkpoints when its writes pause
 * (`idleCheckpointMs`), and on close, as DuckDB does; nobody waits for those.
 */
import { QueryTimeoutError } from '../errors.js';
import { openStore, type OpenOptions, type Store } from './open.js';

/** DuckDB's automatic checkpoint threshold for a store kept open (its default is 16MB). */
export const SHARED_CHECKPOINT_THRESHOLD = '4GB';
/** Checkpoint once no write has come for this long. */
export const IDLE_CHECKPOINT_MS = 2000;

export interface SharedOptions {
  /** Checkpoint after this long without a write (0: never; DuckDB still checkpoints on close). */
  idleCheckpointMs?: number;
}

/** Open `dbPath` read-write to keep it open: the automatic checkpoints held back, an idle one instead. */
export async function openSharedStore(
  dbPath: string,
  opts: OpenOptions = {},
  shared: SharedOptions = { idleCheckpointMs: IDLE_CHECKPOINT_MS },
): Promise<SharedStore> {
  const config = { checkpoint_threshold: SHARED_CHECKPOINT_THRESHOLD, ...opts.config };
  return new SharedStore(await openStore(dbPath, { ...opts, config, readOnly: false }), shared);
}

/** A write that ended: how long it took (its wait in the queue not counted), and whether it succeeded. */
export interface WriteDone {
  ms: number;
  ok: boolean;
}

/** What runs a write on a store kept open (follow.ts takes one). */
export interface StoreWriter {
  write<T>(fn: (s: Store) => Promise<T>): Promise<T>;
}

export class SharedStore implements StoreWriter {
  private tail: Promise<unknown> = Promise.resolve();
  private closing = false;
  private readonly listeners = new Set<(w: WriteDone) => void>();
  /** Writes queued or running. */
  private pending = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly store: Store,
    private readonly opts: SharedOptions = {},
  ) {}

  get path(): string {
    return this.store.path;
  }

  /** Is the store open (and not closing)? */
  get open(): boolean {
    return !this.closing;
  }

  /** Run `fn` when every write queued before it has ended; its result or error is the caller's. */
  write<T>(fn: (s: Store) => Promise<T>): Promise<T> {
    return this.enqueue(fn, true);
  }

  private enqueue<T>(fn: (s: Store) => Promise<T>, notify: boolean): Promise<T> {
    if (this.closing) return Promise.reject(new StoreClosedError(this.path));
    clearTimeout(this.idleTimer);
    this.pending++;
    const run = this.tail.then(async () => {
      const t0 = performance.now();
      let ok = false;
      try {
        const r = await fn(this.store);
        ok = true;
        return r;
      } finally {
        this.pending--;
        if (notify) {
          this.emit({ ms: performance.now() - t0, ok });
          this.armIdleCheckpoint();
        }
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Once the queue has been empty for idleCheckpointMs, checkpoint (through the queue, after any write). */
  private armIdleCheckpoint(): void {
    const ms = this.opts.idleCheckpointMs ?? 0;
    if (!(ms > 0) || this.pending || this.closing) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.pending || this.closing) return;
      // a failed checkpoint leaves the WAL as it was: DuckDB checkpoints again later, or on close
      this.enqueue((s) => s.conn.run('CHECKPOINT'), false).catch(() => undefined);
    }, ms);
    this.idleTimer.unref();
  }

  /** Call `fn` after every write (a commit may have stored events); returns the unsubscribe. */
  subscribe(fn: (w: WriteDone) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(w: WriteDone): void {
    for (const fn of this.listeners) {
      try {
        fn(w);
      } catch {
        /* a listener's failure is its own */
      }
    }
  }

  /**
   * Run `fn` on a connection of its own (committed data only). After `timeoutMs` (0: none) the
   * connection is interrupted and the read fails with QueryTimeoutError.
   */
  async read<T>(fn: (s: Store) => Promise<T>, timeoutMs = 0): Promise<T> {
    if (this.closing) throw new StoreClosedError(this.path);
    const { instance } = this.store;
    const conn = await instance.connect();
    let expired = false;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            expired = true;
            conn.interrupt();
          }, timeoutMs)
        : undefined;
    const reader: Store = { path: this.path, readOnly: true, instance, conn, close: () => undefined };
    try {
      return await fn(reader);
    } catch (e) {
      if (expired)
        throw new QueryTimeoutError(
          `query interrupted after ${timeoutMs / 1000} s; narrow it (since, until, limit)`,
        );
      throw e;
    } finally {
      clearTimeout(timer);
      conn.closeSync();
    }
  }

  /** Refuse new work, wait for the queued writes, close the store. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.idleTimer);
    await this.tail;
    this.store.close();
  }
}

/** A request arrived while the service was shutting down. */
export class StoreClosedError extends Error {
  constructor(db: string) {
    super(`the store ${db} is closing: the service is shutting down`);
  }
}
