/**
 * A session is how a command reaches its store: the library calls it makes, whether the store
 * is opened by this process (`localSession`) or kept open by a running service that the call is
 * sent to (`remoteSession`, client.ts). Either way the command makes the same call, with the same
 * arguments, and gets the same result type back; it renders the result itself, so its output is
 * the same too.
 *
 * A call names a library function taking the store first (`session.call(searchEvents, filter,
 * opts)`). Sent to a service, the call travels as the function's name and its arguments; the
 * service runs only the functions of its registry (ops.ts), and decides itself which are reads
 * and which are writes.
 */
import type { Store } from '../store/open.js';

/** A library function a session can call: the store, then arguments that survive structured clone. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type StoreFn<A extends any[], R> = (store: Store, ...args: A) => R;

export interface Session {
  /** The database, as this process names it. */
  readonly db: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call<A extends any[], R>(fn: StoreFn<A, R>, ...args: A): Promise<Awaited<R>>;
}

/** Calls on a store this process opened. */
export function localSession(store: Store): Session {
  return {
    db: store.path,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async call<A extends any[], R>(fn: StoreFn<A, R>, ...args: A): Promise<Awaited<R>> {
      return (await fn(store, ...args)) as Awaited<R>;
    },
  };
}
