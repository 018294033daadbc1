/**
 * A mistyped command: "did you mean". On a terminal, @oclif/plugin-not-found's own hook asks
 * whether to run the nearest command; elsewhere (scripts, CI, pipes), where that plugin prints no
 * suggestion at all, the nearest command is named in the error. Either way a command that does
 * not exist exits 127, as in a shell.
 */
import type { Hook } from '@oclif/core/hooks';
import { toConfiguredId } from '@oclif/core/util/ids';
import { closest } from '../lib/text.js';
import { EXIT } from '../lib/errors.js';

const hook: Hook.CommandNotFound = async function (opts) {
  if (process.stdin.isTTY && process.stderr.isTTY) {
    const { default: prompt } = await import('@oclif/plugin-not-found');
    return prompt.call(this, opts);
  }
  const { config } = opts;
  const ids = config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases]);
  // The id holds the arguments too (`ingset examples/logs` is "ingset:examples/logs"): the
  // longest leading words near a command of as many words.
  const words = opts.id.split(':');
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
  const hint = near
    ? `Did you mean "${config.bin} ${toConfiguredId(near, config)}"? See ${config.bin} help.`
    : `Run ${config.bin} help for a list of available commands.`;
  this.warn(`${toConfiguredId(typed, config)} is not a ${config.bin} command.`);
  this.error(hint, { exit: EXIT.notFound });
};

export default hook;
