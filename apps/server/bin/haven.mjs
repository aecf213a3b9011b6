#!/usr/bin/env node
// The `haven` command. It runs the built server (dist/haven.mjs, see bundle.mjs) while that is fresh, and otherwise
// the TypeScript sources through tsx's loader. HAVEN_FROM_SOURCE=1 always runs the sources.
import { BUNDLE_FILE, bundleIsFresh } from './bundle.mjs';

if (process.env.HAVEN_FROM_SOURCE !== '1' && bundleIsFresh()) {
  // Stack traces name the TypeScript files (dist/haven.mjs.map).
  process.setSourceMapsEnabled(true);
  await import(new URL(`file://${BUNDLE_FILE}`).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
