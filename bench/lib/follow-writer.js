/**
 * Appends generated events to a file at a sustained rate, each line carrying
 * its ordinal and write time: {"bench_seq":K,"bench_written_at":EPOCH_MS,...event}.
 *
 *   node bench/lib/follow-writer.js --file F --rate 10000 --seconds 30 --first 1 --seed 7 --ticks TICKS.json
 *
 * Every ~10 ms it writes the lines due by then (rate x elapsed) in one write(2).
 * TICKS.json gets [[first_seq, count, written_at_ms], ...]; stdout a summary.
 * SIGTERM stops early (the summary still comes).
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGenerator } from '../../examples/generate.mjs';

const { values: a } = parseArgs({
  options: {
    file: { type: 'string' },
    rate: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '30' },
    first: { type: 'string', default: '1' },
    seed: { type: 'string', default: '7' },
    ticks: { type: 'string' },
    tick: { type: 'string', default: '10' },
  },
});
const rate = Number(a.rate);
const seconds = Number(a.seconds);
const total = Math.round(rate * seconds);
const first = Number(a.first);
const tickMs = Number(a.tick);

// Only valid events: every line is stored, so stored ordinals follow line ordinals.
const gen = createGenerator({
  events: total,
  seed: Number(a.seed),
  bad: 0,
  dup: 0,
  skip: 0,
  unknown: 0,
}).lines;

let stopping = false;
process.on('SIGTERM', () => (stopping = true));
process.on('SIGINT', () => (stopping = true));

const fd = fs.openSync(a.file, 'a');
const ticks = [];
let written = 0;
let maxBehind = 0;
const t0 = Date.now();
while (written < total && !stopping) {
  const now = Date.now();
  const due = Math.min(total, Math.floor(((now - t0) * rate) / 1000)) - written;
  if (due > 0) {
    maxBehind = Math.max(maxBehind, due);
    const parts = new Array(due);
    for (let i = 0; i < due; i++) {
      const line = gen.next().value;
      parts[i] = `{"bench_seq":${first + written + i},"bench_written_at":${now},` + line.slice(1);
    }
    fs.writeSync(fd, parts.join('\n') + '\n');
    ticks.push([first + written, due, now]);
    written += due;
  }
  await sleep(tickMs);
}
fs.closeSync(fd);
const elapsed = (Date.now() - t0) / 1000;
if (a.ticks) fs.writeFileSync(a.ticks, JSON.stringify(ticks));
process.stdout.write(
  JSON.stringify({
    written,
    seconds: elapsed,
    rate: written / elapsed,
    writes: ticks.length,
    max_lines_per_write: maxBehind,
    first,
    last: first + written - 1,
  }) + '\n',
);
