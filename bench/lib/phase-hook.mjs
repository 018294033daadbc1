/**
 * Preloaded into a measured process (`node --import ./phase-hook.mjs bin/run.js ...`): turns on
 * oclif's performance markers (settings.performanceEnabled, read from globalThis.oclif) and on
 * exit writes where the start-up went, in ms, to the file named by BENCH_PHASES_OUT:
 *
 *   node     process start to this hook (Node's own start-up)
 *   oclif    this hook to oclif's main.run (importing bin/run.js and @oclif/core)
 *   config   main.run's start-up: Config.load (package.json, the plugins and their manifests),
 *            the init hook, finding the command
 *   load     importing the command's module (its whole import graph)
 *   run      the command's run, store open and queries included
 *   exit     main.run's end to the process's exit (flushing output, closing handles)
 *
 * A phase the command did not reach (--version, help) is absent. Without BENCH_PHASES_OUT the
 * hook does nothing.
 */
import fs from 'node:fs';

const out = process.env.BENCH_PHASES_OUT;
if (out) {
  const hookAt = performance.now();
  globalThis.oclif = { ...globalThis.oclif, performanceEnabled: true };
  process.on('exit', () => {
    try {
      fs.writeFileSync(out, JSON.stringify(phases(hookAt, performance.now())));
    } catch {
      /* best effort */
    }
  });
}

function phases(hookAt, exitAt) {
  const m = new Map(performance.getEntriesByType('measure').map((e) => [e.name, e]));
  const find = (prefix) => [...m.values()].find((e) => e.name.startsWith(prefix));
  const main = m.get('main.run');
  const init = m.get('main.run#init');
  const runCommand = find('config.runCommand#');
  const findCommand = find('plugin.findCommand#');
  const r = { node: hookAt };
  if (main) r.oclif = main.startTime - hookAt;
  if (init) r.config = init.duration;
  if (findCommand) r.load = findCommand.duration;
  if (runCommand) r.run = runCommand.duration - (findCommand?.duration ?? 0);
  if (main) r.exit = exitAt - (main.startTime + main.duration);
  r.total = exitAt;
  return r;
}
