/** The analysis window rule: the requested --since/--until clipped to the stored data. */
import { describe, expect, it } from 'vitest';
import { parseWindowFlags, resolveWindow } from '../../src/lib/analyze/window.js';
import { UsageError } from '../../src/lib/errors.js';

const H = 3600e6;
const FIRST = Date.UTC(2025, 0, 15, 6) * 1000;
const NEWEST = FIRST + 2 * H + 17;
const ext = { firstUs: FIRST, newestUs: NEWEST };
const span = (b: { since?: number; until?: number }, lookback?: number) => {
  const w = resolveWindow(b, ext, lookback === undefined ? undefined : { us: lookback, label: '30d' });
  return [w.startUs, w.endUs, w.empty];
};

describe('resolveWindow', () => {
  it('without flags: from the first stored event to just after the newest', () => {
    expect(span({})).toEqual([FIRST, NEWEST + 1, false]);
  });

  it('a window wider than the data is the data', () => {
    expect(span({ since: FIRST - 30 * 24 * H, until: NEWEST + 30 * 24 * H })).toEqual([
      FIRST,
      NEWEST + 1,
      false,
    ]);
    const w = resolveWindow({ since: FIRST - H, until: NEWEST + H }, ext);
    expect(w.info.basis).toBe(
      'from the first stored event (--since is earlier; nothing is stored before it) to just after the newest stored event (--until is later; nothing is stored after it)',
    );
    expect(w.info.requested).toEqual({ since: '2025-01-15T05:00:00Z', until: '2025-01-15T09:00:00.000017Z' });
  });

  it('bounds inside the data are kept', () => {
    expect(span({ since: FIRST + H, until: FIRST + 1.5 * H })).toEqual([FIRST + H, FIRST + 1.5 * H, false]);
    expect(resolveWindow({ until: FIRST + H }, ext).info.basis).toBe(
      'from the first stored event to --until (exclusive)',
    );
  });

  it('a window beside the data is empty', () => {
    expect(span({ since: NEWEST + H })).toEqual([NEWEST + H, NEWEST + H, true]);
    expect(span({ since: FIRST - 3 * H, until: FIRST - H })).toEqual([FIRST, FIRST, true]);
    expect(resolveWindow({ until: FIRST - H }, ext).info.basis).toMatch(/holds no stored event$/);
  });

  it('SLO look-back: one period before the end, not before the first event', () => {
    expect(span({}, 30 * 24 * H)).toEqual([FIRST, NEWEST + 1, false]);
    expect(span({}, H)).toEqual([NEWEST + 1 - H, NEWEST + 1, false]);
    expect(span({ until: FIRST + 1.5 * H }, H)).toEqual([FIRST + 0.5 * H, FIRST + 1.5 * H, false]);
    expect(span({ since: FIRST + 0.25 * H }, H)).toEqual([FIRST + 0.25 * H, NEWEST + 1, false]);
  });

  it('an empty store has no window', () => {
    const w = resolveWindow({ since: FIRST }, { firstUs: null, newestUs: null });
    expect([w.startUs, w.endUs, w.empty, w.info.basis]).toEqual([
      null,
      null,
      true,
      'the store has no events',
    ]);
  });
});

describe('parseWindowFlags', () => {
  it('reads ISO times and durations before now; --until must be after --since', () => {
    const now = Date.UTC(2025, 0, 16);
    expect(parseWindowFlags({ since: '2025-01-15', until: '1h' }, now)).toEqual({
      since: Date.UTC(2025, 0, 15) * 1000,
      until: (now - 3_600_000) * 1000,
    });
    expect(parseWindowFlags({})).toEqual({ since: undefined, until: undefined });
    expect(() => parseWindowFlags({ since: '2025-01-15', until: '2025-01-15' })).toThrow(UsageError);
    expect(() => parseWindowFlags({ since: 'yesterday' })).toThrow(/--since: cannot read "yesterday"/);
  });
});
