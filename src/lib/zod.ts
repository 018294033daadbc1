/**
 * zod, for every schema of the library: import `z` from here, never from 'zod' (eslint says so).
 *
 * The package is ~95 ES modules; importing them costs 100-130 ms per process on the 2-core
 * machine. `npm run build` bundles it into dist/vendor/zod.js (scripts/bundle-vendor.mjs) and
 * builds this module as a re-export of that one file, which loads in ~40 ms. Without the build
 * (the tests run src/), the package is loaded as published.
 */
export { z } from 'zod';
