/**
 * Preloaded into a measured process (`node --import ./rss-hook.mjs ...`): on
 * exit, writes the process's peak resident set size (getrusage ru_maxrss, kB)
 * to the file named by BENCH_RSS_OUT. Native memory (DuckDB) is included.
 */
import fs from 'node:fs';

const out = process.env.BENCH_RSS_OUT;
if (out) {
  process.on('exit', () => {
    try {
      fs.writeFileSync(out, JSON.stringify({ maxrss_kb: process.resourceUsage().maxRSS }));
    } catch {
      /* best effort */
    }
  });
}
