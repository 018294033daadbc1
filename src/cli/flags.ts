/** Flags shared by the commands that filter events. */
import * as Flags from '@oclif/core/flags';

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
  since: Flags.string({
    description: 'from this time: ISO (2025-01-15T10:00:00Z) or a duration before now (15m, 24h, 7d)',
    helpValue: 'TIME',
  }),
  until: Flags.string({ description: 'before this time: ISO or a duration before now', helpValue: 'TIME' }),
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

export const outputFlag = Flags.string({
  char: 'o',
  description: 'output format for listings (table on a TTY)',
  options: ['table', 'jsonl', 'csv'],
});
