/**
 * Keep the JavaScript heap near its live size during a long ingest.
 *
 * Ingest allocates a few hundred bytes of short-lived strings and objects per
 * line; V8 lets such a heap grow to several hundred MB of garbage before it
 * collects the old generation, and the process's peak memory then grows with
 * the input. A full collection once a second costs a few percent of the run
 * (the live set is one append of events) and keeps peak memory flat
 * (bench/README.md, "Peak memory").
 */
import v8 from 'node:v8';
import vm from 'node:vm';

export function keepHeapSmall(intervalMs = 1000): () => void {
  let gc: (() => void) | undefined;
  try {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  } catch {
    return () => undefined;
  }
  if (typeof gc !== 'function') return () => undefined;
  const timer = setInterval(gc, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
