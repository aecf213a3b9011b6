/**
 * Attachment benchmark: upload and download throughput of a 50 MB file, and the server's memory while doing it.
 *
 *   node --import tsx bench/attachments.ts [--mb 50] [--runs 3] [--backends local,s3] [--no-record]
 *
 * The server runs as a child process (`haven start`, production mode) on a fresh database of the machine's
 * PostgreSQL (HAVEN_BENCH_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/postgres), dropped afterwards.
 * The S3 backend is s3rver (a local S3-compatible server) inside this process: its CPU competes with the server's,
 * so S3 numbers are a lower bound. The server's RSS is read from /proc every 10 ms during each transfer.
 * Results are appended to bench/ATTACHMENTS-RESULTS.md.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import S3rver from 's3rver';
import { HavenClient } from '@haven/api';
import { loadConfig } from '../apps/server/src/config.js';
import { openRuntime } from '../apps/server/src/main.js';
import { createLogger } from '../apps/server/src/platform/log/logger.js';
import { log } from './lib/log.js';
import { busyCores, rssOf, waitQuiet as waitQuietFor } from './lib/machine.js';
import { withAdmin } from './lib/pg.js';
import { ephemeralPort, spawnServer, stopServer, type ServerProc } from './lib/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    mb: { type: 'string', default: '50' },
    runs: { type: 'string', default: '3' },
    backends: { type: 'string', default: 'local,s3' },
    'no-record': { type: 'boolean', default: false },
    'quiet-wait': { type: 'string', default: '60' },
  },
});
const MB = Number(opt.mb);
const RUNS = Number(opt.runs);
const ADMIN_URL = process.env.HAVEN_BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const admin = <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => withAdmin(ADMIN_URL, fn);

/** Waits (bounded by --quiet-wait) for one idle second; returns the busy cores measured last. */
async function waitQuiet(): Promise<number> {
  const maxSeconds = Number(opt['quiet-wait']);
  return maxSeconds > 0 ? waitQuietFor({ maxSeconds, what: 'a transfer', idleSeconds: 1 }) : busyCores();
}

interface Measure {
  seconds: number;
  mbps: number;
  baseRss: number;
  peakRss: number;
}

async function measured(pid: number, fn: () => Promise<void>): Promise<Measure> {
  const baseRss = rssOf(pid);
  let peakRss = baseRss;
  const timer = setInterval(() => (peakRss = Math.max(peakRss, rssOf(pid))), 10);
  const t0 = performance.now();
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  const seconds = (performance.now() - t0) / 1000;
  peakRss = Math.max(peakRss, rssOf(pid));
  return { seconds, mbps: MB / seconds, baseRss, peakRss };
}

/** A PDF header then pseudo-random filler, fed to the request in 64 KiB pieces (sent chunked). */
function body(total: number): ReadableStream<Uint8Array> {
  const head = Buffer.from('%PDF-1.7\n% bench\n');
  const filler = randomBytes(64 * 1024);
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent >= total) return c.close();
      const part = sent === 0 ? head : filler.subarray(0, Math.min(filler.length, total - sent));
      sent += part.length;
      c.enqueue(new Uint8Array(part));
    },
  });
}

async function runBackend(name: 'local' | 's3', extraEnv: Record<string, string>) {
  const dbName = `haven_bench_att_${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'haven-bench-att-'));
  const masterKey = randomBytes(32).toString('base64');
  await admin((c) => c.query(`CREATE DATABASE ${dbName}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${dbName}`;
  const port = await ephemeralPort();
  const env: Record<string, string> = {
    DATABASE_URL: url.toString(),
    DATA_DIR: dataDir,
    HAVEN_MASTER_KEY: masterKey,
    PORT: String(port),
    REQUIRE_MFA_FOR_STAFF: 'false',
    LOG_LEVEL: 'warn',
    ATTACHMENT_MAX_BYTES: String((MB + 1) * 1024 * 1024),
    ...extraEnv,
  };
  let server: ServerProc | undefined;
  try {
    // Seed: an organization and its admin, in-process (as `haven init` does).
    const cfg = loadConfig({ HAVEN_ENV: 'production', DATA_DIR: dataDir }, { databaseUrl: env.DATABASE_URL, masterKey, demoSeed: false, requireMfaForStaff: false });
    const rt = await openRuntime(cfg, createLogger('silent'));
    const password = `bench-${randomBytes(12).toString('base64url')}-horse`;
    await rt.db.transaction().execute(async (tx) => {
      const orgId = await rt.services.orgs.create(tx, { slug: 'bench', name: 'Bench practice' });
      await rt.services.users.createIdentity(tx, { orgId, role: 'admin', email: 'admin@bench.test', name: 'Bench Admin', password });
    });
    await rt.close();

    server = await spawnServer({ root: ROOT, vars: env, logFile: path.join(dataDir, 'server.log') });
    const base = server.url;
    const adminClient = new HavenClient({ baseUrl: base });
    await adminClient.login('bench', 'admin@bench.test', password);
    const team = await adminClient.call('careTeams.create', { body: { name: 'Team' } });
    const patientPassword = `bench-${randomBytes(12).toString('base64url')}-horse`;
    await adminClient.call('patients.create', { body: { email: 'pat@bench.test', name: 'Bench Patient', password: patientPassword, careTeamIds: [team.id] } });
    const patient = new HavenClient({ baseUrl: base });
    await patient.login('bench', 'pat@bench.test', patientPassword);
    const thread = await patient.call('threads.create', { body: { subject: 'bench', topic: 'other' } });
    // Warm-up: one small transfer each way (module loading, key unwrapping).
    const warm = await patient.uploadAttachment(thread.id, crypto.randomUUID(), { data: body(256 * 1024), fileName: 'warm.pdf', contentType: 'application/pdf' });
    await patient.downloadAttachment(thread.id, warm.messageId, warm.id);

    const pid = server.child.pid!;
    const uploads: Measure[] = [];
    const downloads: Measure[] = [];
    const quiet: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      quiet.push(await waitQuiet());
      const messageId = crypto.randomUUID();
      let id = '';
      uploads.push(
        await measured(pid, async () => {
          const att = await patient.uploadAttachment(thread.id, messageId, { data: body(MB * 1024 * 1024), fileName: 'bench.pdf', contentType: 'application/pdf' });
          if (att.size !== MB * 1024 * 1024) throw new Error(`stored ${att.size} bytes`);
          id = att.id;
        }),
      );
      downloads.push(
        await measured(pid, async () => {
          // Stream the answer and count it: the client must not hold 50 MB either.
          const res = await fetch(`${base}/api/v1/threads/${thread.id}/messages/${messageId}/attachments/${id}/content`, { headers: { authorization: `Bearer ${patient.token}` } });
          if (!res.ok) throw new Error(`download ${res.status}`);
          let n = 0;
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) n += chunk.length;
          if (n !== MB * 1024 * 1024) throw new Error(`downloaded ${n} bytes`);
        }),
      );
      log(`${name} run ${r + 1}: upload ${uploads.at(-1)!.mbps.toFixed(1)} MB/s, download ${downloads.at(-1)!.mbps.toFixed(1)} MB/s`);
    }
    return { name, uploads, downloads, quiet };
  } finally {
    if (server) await stopServer(server);
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = (b: number) => (b / 1024 / 1024).toFixed(0);

const results: Awaited<ReturnType<typeof runBackend>>[] = [];
const wanted = String(opt.backends).split(',');
if (wanted.includes('local')) results.push(await runBackend('local', {}));
if (wanted.includes('s3')) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'haven-bench-s3-'));
  const s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: 'bench', configs: [] }] });
  const { port } = await s3.run();
  try {
    results.push(
      await runBackend('s3', { S3_BUCKET: 'bench', S3_ENDPOINT: `http://127.0.0.1:${port}`, S3_FORCE_PATH_STYLE: 'true', S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER' }),
    );
  } finally {
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const pgVersion = await admin(async (c) => (await c.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]!.v);
const lines = [
  `## ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — ${MB} MB file, ${RUNS} runs per backend (median, [min–max])`,
  '',
  `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}; Node ${process.version}; PostgreSQL ${pgVersion} (machine's). ` +
    `Server: child process, production mode, client and server on the same cores. Busy cores before each run: ${results.flatMap((r) => r.quiet).map((q) => q.toFixed(2)).join(', ')}.`,
  '',
  '| backend | upload MB/s | download MB/s | server RSS before | peak server RSS during upload | peak during download |',
  '| --- | --- | --- | --- | --- | --- |',
  ...results.map((r) => {
    const u = r.uploads.map((m) => m.mbps);
    const d = r.downloads.map((m) => m.mbps);
    return `| ${r.name} | ${med(u).toFixed(1)} [${Math.min(...u).toFixed(1)}–${Math.max(...u).toFixed(1)}] | ${med(d).toFixed(1)} [${Math.min(...d).toFixed(1)}–${Math.max(...d).toFixed(1)}] | ${mib(med(r.uploads.map((m) => m.baseRss)))} MiB | ${mib(Math.max(...r.uploads.map((m) => m.peakRss)))} MiB | ${mib(Math.max(...r.downloads.map((m) => m.peakRss)))} MiB |`;
  }),
  '',
];
process.stdout.write(lines.join('\n') + '\n');
if (!opt['no-record']) appendFileSync(path.join(ROOT, 'bench/ATTACHMENTS-RESULTS.md'), lines.join('\n') + '\n');
