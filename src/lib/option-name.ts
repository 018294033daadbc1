/**
 * How a message names an option: the command line's `--limit`, or another reader's name for the
 * same thing (the service's query parameter `limit`). The readers of flag values (count.ts,
 * time.ts, query/filters.ts) name what they read through one of these, so the same check says
 * the same thing to each in the words it uses.
 */
export type OptionName = (name: string) => string;

/** A command-line flag: `--limit`. */
export const flagName: OptionName = (name) => `--${name}`;
