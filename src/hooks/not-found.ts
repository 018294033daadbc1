/**
 * A mistyped command: "did you mean". On a terminal, @oclif/plugin-not-found's own hook asks
 * whether to run the nearest command; elsewhere (scripts, CI, pipes), where that plugin prints no
 * suggestion at all, the nearest command is named in the error. Either way a command that does
 * not exist exits 127, as in a shell.
 */
import type { Hook } from '@oclif/core/hooks';
import { toConfiguredId } from '@oclif/core/util/ids';
import { closest, escapeControls } from '../lib/text.js';
import { EXIT } from '../lib/errors.js';

const hook: Hook.CommandNotFound = async function (opts) {
  if (process.stdin.isTTY && process.stderr.isTTY) {
    const { default: prompt } = await import('@oclif/plugin-not-found');
    return prompt.call(this, opts);
  }
  const { config } = opts;
  const json = (opts.argv ?? []).includes('--json') || process.argv.includes('--json');
  // One line on stderr, or with --json one JSON error document on stdout (as the commands do).
  const fail = (message: string, exit: number, code: string): void => {
    if (json) process.stdout.write(JSON.stringify({ error: { code, message, exit } }, null, 2) + '\n');
    else process.stderr.write(` ›   Error: ${escapeControls(message)}\n`);
    this.exit(exit); // throws oclif's ExitError: nothing more is printed
  };
  const all = config.commands.filter((c) => !c.hidden);
  const ids = all.flatMap((c) => [c.id, ...c.aliases]);
  // The id holds the arguments too (`ingset examples/logs` is "ingset:examples/logs").
  const words = opts.id.split(':');
  // A command followed by words it does not take (`verify extra`): an unexpected argument.
  for (let n = words.length - 1; n > 0; n--) {
    const id = words.slice(0, n).join(':');
    if (ids.includes(id) && !ids.some((x) => x.startsWith(id + ':')))
      return fail(
        `unexpected argument${words.length - n > 1 ? 's' : ''}: ${words.slice(n).join(' ')} (see ${config.bin} ${toConfiguredId(id, config)} --help)`,
        EXIT.usage,
        'UsageError',
      );
  }
  // Else the longest leading words near a command of as many words.
  let typed = opts.id;
  let near: string | undefined;
  for (let n = words.length; n > 0 && !near; n--) {
    typed = words.slice(0, n).join(':');
    near = closest(
      typed,
      ids.filter((id) => id.split(':').length === n),
    );
  }
  if (!near) typed = opts.id;
  const what = `"${toConfiguredId(typed, config)}" is not a ${config.bin} command`;
  return fail(
    near
      ? `${what}: did you mean "${config.bin} ${toConfiguredId(near, config)}"? See ${config.bin} help.`
      : `${what}. Run ${config.bin} help for a list of available commands.`,
    EXIT.notFound,
    'CommandNotFound',
  );
};

export default hook;
