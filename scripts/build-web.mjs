#!/usr/bin/env node
// Builds the web app (apps/web → apps/web/dist) when the build is missing or older than its sources.
//   node scripts/build-web.mjs          build if needed (npm start runs this first)
//   node scripts/build-web.mjs --force  always build
//   node scripts/build-web.mjs --soft   a failed build (e.g. an install without dev dependencies, so no Vite) is
//                                       reported but does not stop `npm start`: the server serves the previous
//                                       build, or the API only, and says so
// The e2e tests import `buildWebIfNeeded` and call it once before they start the server.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const webRoot = path.join(root, 'apps/web');
const dist = path.join(webRoot, 'dist', 'index.html');
// Everything the bundle is made of: the app, its config, and the API contract and SDK it imports.
const sources = [path.join(webRoot, 'src'), path.join(webRoot, 'public'), path.join(webRoot, 'index.html'), path.join(webRoot, 'vite.config.ts'), path.join(webRoot, 'package.json'), path.join(root, 'packages/api/src')];

function newest(p) {
  if (!existsSync(p)) return 0;
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(p).map((name) => newest(path.join(p, name))));
}

/** Whether apps/web/dist is missing or older than a source file. */
export function webBuildIsStale() {
  if (!existsSync(dist)) return true;
  const built = statSync(dist).mtimeMs;
  return sources.some((s) => newest(s) > built);
}

/** Builds the web app with Vite's JS API if needed (or always with `force`); resolves to whether it built. */
export async function buildWebIfNeeded({ force = false, quiet = false } = {}) {
  if (!force && !webBuildIsStale()) return false;
  const { build } = await import('vite');
  const t0 = Date.now();
  await build({ root: webRoot, configFile: path.join(webRoot, 'vite.config.ts'), logLevel: quiet ? 'error' : 'warn' });
  if (!quiet) process.stdout.write(`web app built in ${Date.now() - t0} ms (apps/web/dist)\n`);
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const built = await buildWebIfNeeded({ force: process.argv.includes('--force') });
    if (!built) process.stdout.write('web app is up to date (apps/web/dist)\n');
  } catch (err) {
    process.stderr.write(`web app build failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(process.argv.includes('--soft') ? 0 : 1);
  }
}
