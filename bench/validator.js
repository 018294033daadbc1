#!/usr/bin/env node
/**
 * Micro-timing of event validation (issue 13): zod's safeParse against the fast check generated
 * from the same schemas (src/lib/schema/fast.ts), and classify() as ingest calls it, in µs per
 * event over the known-type events of a generated log. Not a test; runs the built code.
 *
 *   npm run build && node bench/validator.js [--events 100000] [--seed 1] [--runs 3]
 */
import { parseArgs } from 'node:util';
import { generateEvents } from '../examples/generate.mjs';
import { classify, isKnownType } from '../dist/lib/schema/index.js';
import { compileFast } from '../dist/lib/schema/fast.js';
import * as decision from '../dist/lib/schema/scheduling-decision.js';
import * as relocation from '../dist/lib/schema/workload-relocation.js';
import * as reconfiguration from '../dist/lib/schema/cluster-reconfiguration.js';
import * as inefficiency from '../dist/lib/schema/inefficiency-detected.js';
import * as policy from '../dist/lib/schema/policy-change.js';

const { values: opts } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '1' },
    runs: { type: 'string', default: '3' },
  },
});
const MODULES = {
  scheduling_decision: decision,
  workload_relocation: relocation,
  cluster_reconfiguration: reconfiguration,
  inefficiency_detected: inefficiency,
  policy_change: policy,
};

const events = generateEvents({ events: Number(opts.events), seed: Number(opts.seed) })
  .lines.map((l) => {
    try {
      return JSON.parse(l);
    } catch {
      return undefined;
    }
  })
  .filter((o) => o && typeof o === 'object' && !Array.isArray(o) && isKnownType(o.event_type));

/** Each event with the schema of its shape and that schema's fast check. */
const fastOf = new Map();
const cases = events.map((o) => {
  const mod = MODULES[o.event_type];
  const schema = mod.isFlat(o) ? mod.flat : mod.nested;
  if (!fastOf.has(schema)) fastOf.set(schema, compileFast(schema));
  return { o, schema, fast: fastOf.get(schema) };
});

/**
 * Best of `runs` timed passes (after one warm-up pass), in µs of CPU time per event: CPU time, not
 * wall time, so that other work on a shared machine does not count.
 */
function time(fn) {
  let best = Infinity;
  for (let r = 0; r <= Number(opts.runs); r++) {
    const t0 = process.cpuUsage();
    for (const c of cases) fn(c);
    const { user, system } = process.cpuUsage(t0);
    const us = (user + system) / cases.length;
    if (r > 0) best = Math.min(best, us);
  }
  return best;
}

const zodValid = cases.filter((c) => c.schema.safeParse(c.o).success).length;
const fastValid = cases.filter((c) => c.fast(c.o)).length;
const unsound = cases.filter((c) => c.fast(c.o) && !c.schema.safeParse(c.o).success).length;
const row = (name, us) => console.log(`${name.padEnd(34)} ${us.toFixed(2).padStart(7)} µs/event`);

console.log(
  `${cases.length} known-type events of ${opts.events} generated (seed ${opts.seed}): zod accepts ${zodValid}, ` +
    `the fast check ${fastValid}${unsound ? `, UNSOUND on ${unsound}` : ''}`,
);
row(
  'zod safeParse',
  time((c) => c.schema.safeParse(c.o)),
);
row(
  'fast check',
  time((c) => c.fast(c.o)),
);
row(
  'classify (fast, zod when it says no)',
  time((c) => classify(c.o)),
);
