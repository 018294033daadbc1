import { describe, expect, it } from 'vitest';
import { builtAt, sourcesChangedAt } from '../global-setup.js';

describe('the build the end-to-end tests run', () => {
  it('is not older than src/ (test/global-setup.ts rebuilds a stale one)', () => {
    expect(builtAt()).toBeGreaterThanOrEqual(sourcesChangedAt());
  });
});
