/**
 * Sizes in DuckDB's syntax: a number and a unit, `128MB`, `1.5GB`, `512MiB`, `64KB`
 * (KB, MB, GB, TB are powers of 1000, KiB, MiB, GiB, TiB powers of 1024, as in DuckDB).
 */
const UNITS: Record<string, number> = {
  b: 1,
  byte: 1,
  bytes: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([a-z]+)?$/i;

export type SizeRange = {
  /** Smallest accepted, in bytes. */
  min: number;
  /** Largest accepted, in bytes. */
  max: number;
  /** A bare number is a count of bytes (otherwise a unit is required, as DuckDB requires one). */
  bare?: boolean;
};

/** A byte count in the unit it reads best in: 1048576 -> "1MiB", 128000000 -> "128MB", 100 -> "100B". */
export function formatSize(bytes: number): string {
  for (const u of ['TB', 'TiB', 'GB', 'GiB', 'MB', 'MiB', 'KB', 'KiB'])
    if (bytes >= UNITS[u.toLowerCase()]! && bytes % UNITS[u.toLowerCase()]! === 0)
      return `${bytes / UNITS[u.toLowerCase()]!}${u}`;
  return `${bytes}B`;
}

/** Read a size within `range`: its bytes (whole), or why it cannot be one. */
export function readSize(
  text: string,
  range: SizeRange,
): { ok: true; bytes: number } | { ok: false; reason: string } {
  const expected = `expected a size from ${formatSize(range.min)} to ${formatSize(range.max)}, like ${range.bare ? '4096, ' : ''}64KiB, 128MB, 1GB`;
  const m = SIZE_RE.exec(text.trim());
  const unit = m?.[2] === undefined ? (range.bare ? 1 : undefined) : UNITS[m[2].toLowerCase()];
  if (!m || unit === undefined) return { ok: false, reason: `${expected}; got "${text}"` };
  const bytes = Math.round(Number(m[1]) * unit);
  if (!(bytes >= range.min && bytes <= range.max))
    return { ok: false, reason: `${expected}; "${text}" is out of range` };
  return { ok: true, bytes };
}
