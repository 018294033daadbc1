/**
 * Flags shared by the commands, and the flag types that check a value's range when the command
 * line is parsed: a value out of range is a usage error (exit 2) naming the flag and the range,
 * before anything is opened or read.
 */
import * as Flags from '@oclif/core/flags';
import { UsageError } from '../lib/errors.js';
import { readSize, type SizeRange } from '../lib/size.js';
import { parseTimeBound, readDuration, type DurationRange } from '../lib/time.js';
import { OUTPUT_MODES } from './output.js';
import { MAX_COUNT, readCount, readNumber, type NumberRange } from '../lib/count.js';

export { MAX_COUNT, readCount, readNumber, type NumberRange };

const flagName = (opts: { name: string }) => `--${opts.name}`;

/** A whole number in a range (`min`, `max`: default MAX_COUNT). */
export const countFlag = Flags.custom<number, { min: number; max?: number }>({
  parse: async (input, _ctx, opts) => readCount(input, flagName(opts), opts.min, opts.max),
});

/** A decimal number in a range. */
export const numberFlag = Flags.custom<number, NumberRange>({
  parse: async (input, _ctx, opts) => readNumber(input, flagName(opts), opts),
});

/** A duration (`500ms`, `30s`, `5m`, `1h`, `7d`) in a range, as milliseconds. */
export const durationFlag = Flags.custom<number, DurationRange>({
  parse: async (input, _ctx, opts) => {
    const r = readDuration(input, opts);
    if (!r.ok) throw new UsageError(`${flagName(opts)}: ${r.reason}`);
    return r.ms;
  },
  helpValue: 'DURATION',
});

/** A duration checked like durationFlag, kept as written (alert rules store their text). */
export const durationTextFlag = Flags.custom<string, DurationRange>({
  parse: async (input, _ctx, opts) => {
    const r = readDuration(input, opts);
    if (!r.ok) throw new UsageError(`${flagName(opts)}: ${r.reason}`);
    return input.trim();
  },
  helpValue: 'DURATION',
});

/** A size in DuckDB's syntax (`128MB`, `1GiB`; bare bytes when `bare`) in a range, as bytes. */
export const sizeFlag = Flags.custom<number, SizeRange>({
  parse: async (input, _ctx, opts) => {
    const r = readSize(input, opts);
    if (!r.ok) throw new UsageError(`${flagName(opts)}: ${r.reason}`);
    return r.bytes;
  },
  helpValue: 'SIZE',
});

/**
 * A time bound (ISO, or a duration before now), checked now and kept as written: the command
 * reads it against one `now` for all its flags.
 */
export const timeFlag = Flags.custom<string>({
  parse: async (input, _ctx, opts) => {
    parseTimeBound(input, flagName(opts));
    return input;
  },
  helpValue: 'TIME',
});

/**
 * --since/--until: the one time-window pair of every command that reads a window (the command's
 * description says what it defaults to). Relative times count back from now, the same in every
 * command (docs/design.md "Time").
 */
export const windowFlags = {
  since: timeFlag({
    description:
      'window start (inclusive): ISO (2025-01-15T10:00:00Z) or a duration before now (15m, 24h, 7d)',
  }),
  until: timeFlag({ description: 'window end (exclusive): ISO or a duration before now' }),
};

export const filterFlags = {
  type: Flags.string({
    char: 't',
    description: 'event type(s), comma-separated or repeated',
    multiple: true,
    helpValue: 'TYPE',
  }),
  workload: Flags.string({ char: 'w', description: 'workload id(s)', multiple: true, helpValue: 'ID' }),
  cluster: Flags.string({ char: 'c', description: 'cluster id(s)', multiple: true, helpValue: 'ID' }),
  severity: Flags.string({
    description: 'severity (low, medium, high, critical)',
    multiple: true,
    helpValue: 'LEVEL',
  }),
  ...windowFlags,
  grep: Flags.string({
    char: 'g',
    description: 'text anywhere in the event (case-insensitive)',
    helpValue: 'TEXT',
  }),
  where: Flags.string({
    description: 'condition on a JSON field: PATH=VALUE, also !=, >, >=, <, <=, ~ (contains); repeatable',
    multiple: true,
    helpValue: 'PATH=VALUE',
  }),
};

/** The trend bucket of the analyses: 1s to 3650d. */
export const intervalFlag = durationFlag({
  description: 'trend bucket (default: chosen from the window, about 60 buckets)',
  min: 1000,
});

/**
 * `--output` of every listing command: a table (boxed on a terminal, plain columns otherwise),
 * json (the same document as --json), or the rows as jsonl / csv, streamed.
 */
export const outputFlag = Flags.string({
  char: 'o',
  description: 'table (default), json (as --json), or the rows as jsonl or csv',
  options: [...OUTPUT_MODES],
});
