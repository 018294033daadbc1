/** The tests' one wait (test/helpers.ts waitFor): on observable state, with a deadline. */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers.js';

describe('waitFor', () => {
  it('returns as soon as the condition holds', async () => {
    let n = 0;
    await waitFor(() => ++n >= 3, { what: 'three polls', everyMs: 1 });
    expect(n).toBe(3);
  });

  it('fails at its deadline naming what it waited for and the last state seen', async () => {
    const t0 = Date.now();
    await expect(
      waitFor(() => false, {
        what: '42 stored events',
        timeoutMs: 200,
        everyMs: 10,
        state: () => '7 events',
      }),
    ).rejects.toThrow('waited 200 ms for 42 stored events; last seen: "7 events"');
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
