/**
 * Standard input as a followed source (`ingest --follow -`): read as it
 * arrives, beside the followed files, and committed with them; its last line
 * needs no newline once the stream ends.
 */
import { sleep } from '../sleep.js';
import type { Ingester, SourceState } from './ingest.js';

export class StdinSource {
  private readonly done: Promise<void>;

  /** Start reading `input` into `state`; `onEnd` is called once it has ended. */
  constructor(
    readonly state: SourceState,
    ing: Ingester,
    input: AsyncIterable<string | Buffer>,
    onEnd: () => void,
  ) {
    this.done = (async () => {
      for await (const c of input) ing.feed(state, typeof c === 'string' ? Buffer.from(c) : c);
      state.splitter.flushFinal((line) => ing.handleLine(state, line));
      onEnd();
    })();
  }

  /** Has the stream ended (and its last line been fed)? Rejects with its read error. */
  async ended(): Promise<boolean> {
    return Promise.race([this.done.then(() => true), sleep(0).then(() => false)]);
  }
}
