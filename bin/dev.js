#!/usr/bin/env node
// Development entry: runs the compiled commands after `npm run build`.
// (kept separate from run.js so oclif can tell development from production runs)
import { execute } from '@oclif/core';

await execute({ development: true, dir: import.meta.url });
