// The server's built form: apps/server/src (and the API contract it imports from packages/api) bundled by esbuild
// into one ES module, apps/server/dist/haven.mjs. Starting from it skips transpiling ~250 TypeScript files through
// tsx at every start (about 1.4 s of a 3 s cold start on the 2-core machine; bench/RESULTS.md §3).
//
// `haven` (bin/haven.mjs) runs the bundle only while it is fresh: newer than every file it is built from. Otherwise
// it runs the sources through tsx, so an edited or updated checkout never runs old code. `npm start` rebuilds it
// first (scripts/build-server.mjs). npm packages stay outside the bundle and load from node_modules as usual.
import { existsSync, readdirSync, renameSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const serverRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(serverRoot, '../..');

export const BUNDLE_FILE = path.join(serverRoot, 'dist', 'haven.mjs');
/** Everything the bundle is made of: the sources, and the lockfile that pins the libraries inlined (INLINE). */
export const BUNDLE_SOURCES = [
  path.join(serverRoot, 'src'),
  path.join(serverRoot, 'package.json'),
  path.join(repoRoot, 'packages/api/src'),
  path.join(repoRoot, 'packages/api/package.json'),
  path.join(repoRoot, 'package-lock.json'),
];

function newest(p) {
  if (!existsSync(p)) return 0;
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  let t = s.mtimeMs;
  for (const name of readdirSync(p)) t = Math.max(t, newest(path.join(p, name)));
  return t;
}

/** Whether `bundle` exists and is newer than every file under `sources`. */
export function bundleIsFresh(bundle = BUNDLE_FILE, sources = BUNDLE_SOURCES) {
  if (!existsSync(bundle)) return false;
  const built = statSync(bundle).mtimeMs;
  return sources.every((s) => newest(s) <= built);
}

/**
 * Packages bundled in rather than imported: the workspace's own (TypeScript sources), and pure ES-module libraries
 * made of hundreds of small files (loading typebox file by file takes ~0.3 s, kysely ~0.15 s).
 */
const INLINE = /^(@haven\/|typebox(\/|$)|kysely(\/|$))/;

/**
 * Bundles src/cli.ts into `outfile` (with a source map beside it). Workspace packages and the libraries in INLINE go into
 * the bundle; every other package stays an import. Written to a temporary name and renamed, so a
 * process starting meanwhile reads the old file or the new one, never half of one.
 */
export async function buildBundle({ outfile = BUNDLE_FILE } = {}) {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [path.join(serverRoot, 'src/cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    write: false,
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'error',
    plugins: [
      {
        name: 'packages-external',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) => (INLINE.test(args.path) ? undefined : { path: args.path, external: true }));
        },
      },
    ],
  });
  mkdirSync(path.dirname(outfile), { recursive: true });
  // The map first: a process that sees the new bundle finds its map.
  const files = [...result.outputFiles].sort((a, b) => (a.path.endsWith('.map') ? -1 : b.path.endsWith('.map') ? 1 : 0));
  for (const f of files) {
    const tmp = `${f.path}.${process.pid}.tmp`;
    writeFileSync(tmp, f.contents);
    renameSync(tmp, f.path);
  }
  return outfile;
}
