#!/usr/bin/env node
// Builds the server bundle (apps/server/dist/haven.mjs) when it is missing or older than its sources.
//   node scripts/build-server.mjs          build if needed (npm start runs this first)
//   node scripts/build-server.mjs --force  always build
//   node scripts/build-server.mjs --soft   a failed build is reported but does not stop `npm start`: `haven` then
//                                          runs the sources through tsx (a slower start, the same server)
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_FILE, buildBundle, bundleIsFresh } from '../apps/server/bin/bundle.mjs';

/** Builds the bundle if needed (or always with `force`); resolves to whether it built. */
export async function buildServerIfNeeded({ force = false, quiet = false } = {}) {
  if (!force && bundleIsFresh()) return false;
  const t0 = Date.now();
  await buildBundle();
  if (!quiet) process.stdout.write(`server built in ${Date.now() - t0} ms (${path.relative(process.cwd(), BUNDLE_FILE)})\n`);
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const built = await buildServerIfNeeded({ force: process.argv.includes('--force') });
    if (!built) process.stdout.write('server bundle is up to date (apps/server/dist/haven.mjs)\n');
  } catch (err) {
    process.stderr.write(`server build failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(process.argv.includes('--soft') ? 0 : 1);
  }
}
