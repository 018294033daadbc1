/** Output paths never land on the store's own files (report audit --out, report keygen --out). */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkOutputPath } from '../../src/lib/output-file.js';
import { tmpDir } from '../helpers.js';

describe('checkOutputPath', () => {
  it("refuses the store's own files, a running service's serve.json among them", () => {
    const db = path.join(tmpDir(), 'store.duckdb');
    for (const f of [`${db}.ingest.lock`, `${db}.serve.json`, `${db}.writer-waiting`])
      expect(() => checkOutputPath(f, { store: db })).toThrow(
        `--out ${f} belongs to the database; refusing to overwrite it`,
      );
    expect(checkOutputPath(`${db}.report.md`, { store: db })).toBe(`${db}.report.md`);
  });
});
