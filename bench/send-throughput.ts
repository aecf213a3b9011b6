/**
 * Haven performance benchmark: send throughput, latest-50 history reads, cold start, and where a send spends its time.
 *
 *   cd /work/main && node --import tsx bench/send-throughput.ts [--db embedded|external|both] [--concurrency 32]
 *       [--duration 15] [--warmup 3] [--no-record] [--help]
 *
 * How the server runs: the HTTP measurements (§1, §2) run against a real `haven start` in a CHILD PROCESS
 * (apps/server/bin/haven.mjs, HAVEN_ENV=production, request log on, default pool size). In-process, the load
 * generator's own work (fetch, JSON, timers) would run on the server's event loop and be billed to the server;
 * in a child process the server has its own event loop and heap, as in production, and the CPU each side uses is
 * measured separately. The per-step breakdown (§4) runs IN-PROCESS (openRuntime/buildApp on the same database),
 * because it times the server's own functions directly.
 *
 * Everything stays on loopback (127.0.0.1); every loop is bounded by a deadline and a count. Markdown goes to
 * stdout (progress to stderr) and is appended to bench/RESULTS.md with the ratio to the previous recorded run.
 * See bench/README.md for what each number means.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { HavenClient, type Role } from '@haven/api';
import { buildApp, type Services } from '../apps/server/src/app.js';
import { isLoopback, loadConfig, type Config } from '../apps/server/src/config.js';
import { openRuntime } from '../apps/server/src/main.js';
import { eventDigest } from '../apps/server/src/modules/audit/audit.chain.js';
import { bodyAad } from '../apps/server/src/modules/messages/message.service.js';
import { MessageStore } from '../apps/server/src/modules/messages/message.store.js';
import { hmac } from '../apps/server/src/platform/crypto/hash.js';
import { createDb, type Db } from '../apps/server/src/platform/db/database.js';
import type { RequestContext } from '../apps/server/src/platform/http/context.js';
import { createLogger } from '../apps/server/src/platform/log/logger.js';
import { keepAlive, leanFetch } from './lib/http.js';
import { pmap } from './lib/pmap.js';
import { Cleanups, log, sleep } from './lib/log.js';
import { codeVersion as codeVersionAt, machineCpu, machineFacts, procStat, waitQuiet as waitQuietFor } from './lib/machine.js';
import { databaseUrl, pgTreeCpu, withAdmin as withAdminAt } from './lib/pg.js';
import { appendSection, dataComment, previousRun as previousRunIn, putMetric, ratioTable, type Metrics, type PreviousRun } from './lib/results.js';
import { freePort, logLines, serverErrors, spawnServer as spawnServerChild, stopServer, tail, type ServerProc } from './lib/server.js';
import { dist, f0, f1, f2, median, type Dist } from './lib/stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ───────────────────────────── options ─────────────────────────────

const USAGE = `Usage: node --import tsx bench/send-throughput.ts [options]
  --db embedded|external|both   which PostgreSQL (default both)
  --external-url URL            admin URL of the machine's PostgreSQL (loopback only; default postgres://postgres@127.0.0.1:5432/postgres)
  --concurrency N               concurrent HTTP requests for §1/§2 (default 32)
  --warmup S / --duration S     warm-up and measured seconds per load run (default 3 / 15)
  --serial-duration S           measured seconds of the 1-client runs (default 5)
  --patients N --teams N --staff-per-team N --threads-per-patient N   seed shape (default 20 / 4 / 2 / 3)
  --history-min N               messages per thread before the history read (default 200)
  --iterations N                iterations per step of the in-process breakdown (default 1000)
  --cold-runs N                 cold starts per kind (default 3)
  --skip LIST                   comma list of: send,read,serial,breakdown,syncoff,cold
  --max-requests N              hard cap on requests per load run (default 1000000)
  --quiet-wait S                before each measured phase, wait up to S seconds for other processes to leave the
                                CPUs idle (default 120; 0 = do not wait); their CPU use is reported either way
  --profile-server DIR          run the load servers with node --cpu-prof, writing .cpuprofile files to DIR
  --results FILE                results file (default bench/RESULTS.md)
  --no-record                   print only; do not append to the results file`;

const { values: opt } = parseArgs({
  options: {
    db: { type: 'string', default: 'both' },
    'external-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    concurrency: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '3' },
    duration: { type: 'string', default: '15' },
    'serial-duration': { type: 'string', default: '5' },
    patients: { type: 'string', default: '20' },
    teams: { type: 'string', default: '4' },
    'staff-per-team': { type: 'string', default: '2' },
    'threads-per-patient': { type: 'string', default: '3' },
    'history-min': { type: 'string', default: '200' },
    iterations: { type: 'string', default: '1000' },
    'cold-runs': { type: 'string', default: '3' },
    skip: { type: 'string', default: '' },
    'max-requests': { type: 'string', default: '1000000' },
    'quiet-wait': { type: 'string', default: '120' },
    'profile-server': { type: 'string' },
    results: { type: 'string', default: path.join(ROOT, 'bench/RESULTS.md') },
    'no-record': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

function intOpt(name: keyof typeof opt, min: number, max: number): number {
  const v = Number(opt[name]);
  if (!Number.isInteger(v) || v < min || v > max) {
    process.stderr.write(`--${name} must be an integer in [${min}, ${max}]\n`);
    process.exit(2);
  }
  return v;
}
const CONCURRENCY = intOpt('concurrency', 1, 256);
const WARMUP_S = intOpt('warmup', 0, 120);
const DURATION_S = intOpt('duration', 1, 600);
const SERIAL_S = intOpt('serial-duration', 1, 120);
const PATIENTS = intOpt('patients', 1, 500);
const TEAMS = intOpt('teams', 1, 50);
const STAFF_PER_TEAM = intOpt('staff-per-team', 1, 20);
const THREADS_PER_PATIENT = intOpt('threads-per-patient', 1, 20);
const HISTORY_MIN = intOpt('history-min', 50, 5000);
const ITERATIONS = intOpt('iterations', 10, 100_000);
const COLD_RUNS = intOpt('cold-runs', 1, 10);
const MAX_REQUESTS = intOpt('max-requests', 100, 10_000_000);
const QUIET_WAIT_S = intOpt('quiet-wait', 0, 1800);
const PROFILE_DIR = opt['profile-server'] ? path.resolve(opt['profile-server']) : undefined;
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const SKIP = new Set((opt.skip ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const DB_CHOICE = opt.db ?? 'both';
if (!['embedded', 'external', 'both'].includes(DB_CHOICE)) {
  process.stderr.write('--db must be embedded, external or both\n');
  process.exit(2);
}
const EXTERNAL_ADMIN_URL = opt['external-url'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
if (!isLoopback(new URL(EXTERNAL_ADMIN_URL).hostname)) {
  process.stderr.write('--external-url must point at a loopback address\n');
  process.exit(2);
}
const RESULTS_FILE = path.resolve(opt.results ?? path.join(ROOT, 'bench/RESULTS.md'));
const COMMAND = ['node', ...process.execArgv, path.relative(process.cwd(), process.argv[1] ?? 'bench/send-throughput.ts') || 'bench/send-throughput.ts', ...process.argv.slice(2)].join(' ');

// ───────────────────────────── small helpers ─────────────────────────────

const hex = (n: number) => randomBytes(n).toString('hex');
const strongPassword = (): string => `bp-${randomBytes(12).toString('base64url')}-staple-lantern`;
let nextPgPort = 55432;
let nextHttpPort = 18480;
async function pgPort(): Promise<number> {
  const p = await freePort(nextPgPort);
  nextPgPort = p + 1;
  return p;
}
async function httpPort(): Promise<number> {
  const p = await freePort(nextHttpPort);
  nextHttpPort = p + 1;
  return p;
}

const withAdmin = <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => withAdminAt(EXTERNAL_ADMIN_URL, fn);
const dbUrl = (name: string): string => databaseUrl(EXTERNAL_ADMIN_URL, name, process.env.BENCH_PG_SOCKET);
const codeVersion = (): string => codeVersionAt(ROOT);

const cleanups = new Cleanups();
cleanups.installHandlers();
/** openRuntime, unless the run was interrupted (with embedded PostgreSQL it starts a cluster in this process). */
const openRuntimeChecked = (...args: Parameters<typeof openRuntime>): ReturnType<typeof openRuntime> => {
  cleanups.check();
  return openRuntime(...args);
};

// ───────────────────────────── CPU accounting (/proc) ─────────────────────────────

interface CpuSnap {
  machineBusy: number;
  machineTotal: number;
  server: number;
  pg: number;
  client: number;
}
function cpuSnap(serverPid: number | undefined, postmaster: number | undefined): CpuSnap {
  const m = machineCpu();
  const u = process.cpuUsage();
  return { machineBusy: m.busy, machineTotal: m.total, server: serverPid ? (procStat(serverPid)?.cpuS ?? NaN) : NaN, pg: pgTreeCpu(postmaster), client: (u.user + u.system) / 1e6 };
}
interface CpuUse {
  /** CPU-µs per completed request. */
  serverUs: number;
  pgUs: number;
  clientUs: number;
  /** Average busy cores of the whole machine during the window. */
  machineCores: number;
  /** Average cores used by everything else on the machine (other PostgreSQL clusters, other sessions' tests, ...). */
  otherCores: number;
}
function cpuUse(a: CpuSnap, b: CpuSnap, requests: number, seconds: number): CpuUse {
  const per = (x: number) => ((x * 1e6) / Math.max(1, requests));
  const ours = (n: number) => (Number.isFinite(n) ? n : 0);
  const machineCores = (b.machineBusy - a.machineBusy) / seconds;
  const oursCores = (ours(b.server - a.server) + ours(b.pg - a.pg) + (b.client - a.client)) / seconds;
  return { serverUs: per(b.server - a.server), pgUs: per(b.pg - a.pg), clientUs: per(b.client - a.client), machineCores, otherCores: Math.max(0, machineCores - oursCores) };
}

/** Other processes (e.g. a test run) would distort the numbers: wait, bounded, for three idle seconds in a row. */
async function waitQuiet(what: string): Promise<void> {
  await waitQuietFor({ maxSeconds: QUIET_WAIT_S, what, stop: () => cleanups.interrupted });
}

// ───────────────────────────── pg_stat_activity sampling ─────────────────────────────

/** Samples what the server's database sessions are doing, every 50 ms, to show where sends wait. */
class WaitSampler {
  private counts = new Map<string, number>();
  private samples = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  constructor(private readonly pool: pg.Pool) {}
  start(): void {
    this.running = true;
    this.loop = (async () => {
      for (let i = 0; this.running && i < 100_000; i++) {
        try {
          const { rows } = await this.pool.query<{ state: string | null; wait_event_type: string | null; wait_event: string | null }>(
            `SELECT state, wait_event_type, wait_event FROM pg_stat_activity
              WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
          );
          for (const r of rows) {
            const k = classify(r.state, r.wait_event_type, r.wait_event);
            this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
          }
          this.samples++;
        } catch {
          /* a failed sample is skipped */
        }
        await sleep(50);
      }
    })();
  }
  async stop(): Promise<Record<string, number>> {
    this.running = false;
    await this.loop;
    const out: Record<string, number> = {};
    for (const [k, v] of this.counts) out[k] = v / Math.max(1, this.samples);
    return out;
  }
}
function classify(state: string | null, type: string | null, event: string | null): string {
  if (state === 'idle') return 'idle in pool';
  if (state === 'idle in transaction') return 'in transaction, waiting for Node';
  if (state !== 'active') return `other (${state})`;
  if (!type) return 'running (CPU)';
  if (type === 'Lock') return `waiting for a lock (${event})`;
  if ((type === 'IO' && /^WAL/.test(event ?? '')) || (type === 'LWLock' && /^WAL/.test(event ?? ''))) return 'WAL write/flush (commit)';
  if (type === 'Client') return 'sending/receiving';
  return `${type}:${event}`;
}

// ───────────────────────────── targets ─────────────────────────────

type Kind = 'embedded' | 'external';
interface Target {
  kind: Kind;
  dataDir: string;
  /** external: the bench database; embedded: undefined (Haven starts PostgreSQL in dataDir). */
  databaseUrl?: string;
  dbName: string;
  pgPort?: number;
}

async function prepareTarget(kind: Kind, tag: string): Promise<Target> {
  cleanups.check();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `haven-bench-${tag}-`));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  if (kind === 'embedded') return { kind, dataDir, dbName: 'haven', pgPort: await pgPort() };
  const dbName = `haven_bench_${hex(4)}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${dbName}`));
  cleanups.push(async () => {
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
  });
  return { kind, dataDir, dbName, databaseUrl: dbUrl(dbName) };
}

/** The URL the bench itself uses to look at the target database (while a child server runs). */
function inspectUrl(t: Target): string {
  if (t.databaseUrl) return t.databaseUrl;
  const password = readFileSync(path.join(t.dataDir, 'pg.secret'), 'utf8').trim();
  return `postgres://haven:${encodeURIComponent(password)}@127.0.0.1:${t.pgPort}/haven`;
}
function postmasterPidEmbedded(t: Target): number | undefined {
  try {
    return Number(readFileSync(path.join(t.dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
  } catch {
    return undefined;
  }
}
async function postmasterPid(t: Target, pool: pg.Pool): Promise<number | undefined> {
  if (t.kind === 'embedded') return postmasterPidEmbedded(t);
  const { rows } = await pool.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'`);
  const pid = rows[0]?.pid;
  return pid ? procStat(pid)?.ppid : undefined;
}

const runtimeConfigDefaults = (): Config => loadConfig({ HAVEN_ENV: 'production', DATA_DIR: os.tmpdir() }, { demoSeed: false });
function runtimeConfig(t: Target): Config {
  return loadConfig(
    { HAVEN_ENV: 'production', DATA_DIR: t.dataDir },
    {
      host: '127.0.0.1',
      port: 0,
      ...(t.databaseUrl ? { databaseUrl: t.databaseUrl } : {}),
      embeddedPgPort: t.pgPort ?? 55432,
      demoSeed: false,
      requireMfaForStaff: false,
      logLevel: 'warn',
    },
  );
}
const quietLogger = () => createLogger('error', process.stderr);
const nullLogger = (level = 'info') =>
  createLogger(
    level,
    new Writable({
      write(_c, _e, cb) {
        cb();
      },
    }),
  );

// ───────────────────────────── child server ─────────────────────────────

/** Log files of servers started by this run, shown (tail) when the bench fails. */
const serverLogs = new Set<string>();

/** Spawns `node apps/server/bin/haven.mjs start` (with --cpu-prof for the load servers when asked). */
async function spawnServer(vars: Record<string, string>, logFile: string, profile = false): Promise<ServerProc> {
  serverLogs.add(logFile);
  const nodeArgs = [...SERVER_NODE_ARGS, ...(profile && PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [])];
  const server = await spawnServerChild({ root: ROOT, vars, logFile, nodeArgs, cleanups });
  // Runs before the server is stopped (cleanups run newest first): its shutdown waits for our keep-alive sockets.
  cleanups.push(async () => keepAlive.destroy());
  return server;
}

// ───────────────────────────── seeding ─────────────────────────────

interface Person {
  id: string;
  role: Role;
  email: string;
  client: HavenClient;
}
interface ThreadPlan {
  id: string;
  patient: Person;
  staff: Person[];
}
interface Seed {
  slug: string;
  orgId: string;
  staffCount: number;
  threads: ThreadPlan[];
  /** One thread per patient: the history-read set. */
  readThreads: ThreadPlan[];
}

/** Organization and first admin, as `haven init` and the test harness do it (there is no HTTP endpoint for it). */
async function createOrganization(t: Target, slug: string): Promise<{ orgId: string; email: string; password: string }> {
  const rt = await openRuntimeChecked(runtimeConfig(t), quietLogger());
  try {
    const email = `admin@${slug}.bench.test`;
    const password = strongPassword();
    const orgId = await rt.db.transaction().execute(async (tx) => {
      const orgId = await rt.services.orgs.create(tx, { slug, name: `Bench practice ${slug}` });
      const { id } = await rt.services.users.createIdentity(tx, { orgId, role: 'admin', email, name: 'Bench Admin', password });
      await rt.services.audit.record(tx, { orgId, action: 'users.create', resourceType: 'user', resourceId: id, details: { role: 'admin', via: 'bench' } });
      return orgId;
    });
    return { orgId, email, password };
  } finally {
    await rt.close();
  }
}

async function signIn(url: string, slug: string, email: string, password: string): Promise<HavenClient> {
  const client = new HavenClient({ baseUrl: url, fetch: leanFetch });
  const s = await client.login(slug, email, password);
  if (s.stage !== 'active') throw new Error(`sign-in of ${email} stopped at ${s.stage}`);
  return client;
}

async function seedOverHttp(url: string, slug: string, orgId: string, adminEmail: string, adminPassword: string): Promise<Seed> {
  const admin = await signIn(url, slug, adminEmail, adminPassword);
  const dept = await admin.call('departments.create', { body: { name: 'Family Medicine' } });
  const teams: { id: string; members: Person[] }[] = [];
  for (let ti = 0; ti < TEAMS; ti++) {
    const members: Person[] = [];
    for (let si = 0; si < STAFF_PER_TEAM; si++) {
      const role = si % 2 === 0 ? 'provider' : 'staff';
      const email = `${role}.${ti}.${si}@${slug}.bench.test`;
      const password = strongPassword();
      const u = await admin.call('users.create', { body: { role, email, name: `${role === 'provider' ? 'Dr' : 'Nurse'} ${ti}-${si}`, password, departmentId: dept.id } });
      members.push({ id: u.id, role, email, client: await signIn(url, slug, email, password) });
    }
    const team = await admin.call('careTeams.create', { body: { name: `Team ${ti}`, departmentId: dept.id, memberIds: members.map((m) => m.id) } });
    teams.push({ id: team.id, members });
  }
  const patients = await pmap(Array.from({ length: PATIENTS }, (_, i) => i), 4, async (i) => {
    const email = `patient.${i}@patients.${slug}.bench.test`;
    const password = strongPassword();
    const team = teams[i % TEAMS]!;
    const p = await admin.call('patients.create', { body: { email, name: `Patient ${i}`, password, careTeamIds: [team.id] } });
    const person: Person = { id: p.id, role: 'patient', email, client: await signIn(url, slug, email, password) };
    return { person, team };
  });
  const threads: ThreadPlan[] = [];
  const readThreads: ThreadPlan[] = [];
  for (let k = 0; k < THREADS_PER_PATIENT; k++) {
    for (const { person, team } of patients) {
      const th = await person.client.call('threads.create', { body: { subject: `Follow-up ${k + 1}`, topic: k === 0 ? 'clinical_question' : 'other' } });
      const plan = { id: th.id, patient: person, staff: team.members };
      threads.push(plan);
      if (k === 0) readThreads.push(plan);
    }
  }
  return { slug, orgId, staffCount: TEAMS * STAFF_PER_TEAM, threads, readThreads };
}

// ───────────────────────────── load generation ─────────────────────────────

const BODIES = [
  'Hi, I have been taking the new blood pressure medication for a week and I feel dizzy in the mornings. Should I keep taking it?',
  'Your lab results came back and your cholesterol is slightly elevated. Let us discuss diet changes at your next visit.',
  'Could you please send a refill of my metformin prescription to the pharmacy on Main Street? I have three days left.',
  'Thank you for the update. I will book a follow-up appointment for next Tuesday afternoon if that works for the doctor.',
  'Please remember to fast for twelve hours before the blood draw tomorrow morning. Water is fine.',
  'The rash on my arm is getting bigger and it itches a lot at night. I attached a description of how it looks now.',
  'We received your message. The nurse will call you this afternoon to go over the dosage and possible side effects.',
  'Is it safe to take ibuprofen together with lisinopril for my knee pain, or should I use something else?',
  'Your referral to the cardiology clinic was approved. They will contact you within five business days to schedule.',
  'I measured my blood sugar three times today: 142 before breakfast, 180 after lunch and 155 before dinner.',
  'Please continue the antibiotic for the full ten days even if you feel better, and let us know about any stomach upset.',
  'Can we move my telehealth visit from Thursday to Friday morning? Something came up at work.',
];
const bodyFor = (k: number): string => BODIES[k % BODIES.length]!;

/** Who acts on thread `plan` for the k-th operation: patient and care-team staff alternate per round. */
function actorFor(plan: ThreadPlan, round: number): Person {
  if (round % 2 === 0) return plan.patient;
  return plan.staff[(round >> 1) % plan.staff.length]!;
}

interface LoadResult {
  concurrency: number;
  seconds: number;
  completed: number;
  rps: number;
  latency: Dist;
  errors: number;
  errorSamples: string[];
  cpu?: CpuUse;
  waits?: Record<string, number>;
}

/**
 * Runs `op` from `concurrency` workers for warm-up + measured seconds. Throughput counts the requests completed inside
 * the measured window; latency covers the requests that started and ended inside it.
 */
async function runLoad(
  concurrency: number,
  warmupS: number,
  durationS: number,
  op: (k: number) => Promise<void>,
  probe?: { serverPid?: number; postmaster?: number; sampler?: WaitSampler },
): Promise<LoadResult> {
  if (probe) await waitQuiet(`a ${concurrency}-client load run`);
  const t0 = performance.now();
  const mStart = t0 + warmupS * 1000;
  const mEnd = mStart + durationS * 1000;
  const lat: number[] = [];
  let completed = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  let k = 0;
  let cpuA: CpuSnap | undefined;
  let cpuB: CpuSnap | undefined;
  const tA = setTimeout(() => {
    cpuA = cpuSnap(probe?.serverPid, probe?.postmaster);
    probe?.sampler?.start();
  }, mStart - performance.now());
  const tB = setTimeout(() => {
    cpuB = cpuSnap(probe?.serverPid, probe?.postmaster);
  }, mEnd - performance.now());
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const s = performance.now();
        if (s >= mEnd || k >= MAX_REQUESTS || cleanups.interrupted) return;
        const i = k++;
        try {
          await op(i);
          const e = performance.now();
          if (e >= mStart && e <= mEnd) completed++;
          if (s >= mStart && e <= mEnd) lat.push(e - s);
        } catch (err) {
          if (s >= mStart) errors++;
          if (errorSamples.length < 5) errorSamples.push((err as Error).message);
        }
      }
    }),
  );
  clearTimeout(tA);
  clearTimeout(tB);
  const waits = probe?.sampler ? await probe.sampler.stop() : undefined;
  cpuB ??= cpuSnap(probe?.serverPid, probe?.postmaster);
  return {
    concurrency,
    seconds: durationS,
    completed,
    rps: completed / durationS,
    latency: dist(lat),
    errors,
    errorSamples,
    cpu: cpuA && probe ? cpuUse(cpuA, cpuB, completed, durationS) : undefined,
    waits,
  };
}

function sendOp(seed: Seed) {
  const n = seed.threads.length;
  return async (k: number) => {
    const plan = seed.threads[k % n]!;
    const who = actorFor(plan, Math.floor(k / n));
    const id = randomUUID();
    const m = await who.client.call('messages.create', { params: { threadId: plan.id }, body: { id, body: bodyFor(k) } });
    if (m.id !== id) throw new Error('server answered with another message id');
  };
}
function readOp(seed: Seed) {
  const n = seed.readThreads.length;
  return async (k: number) => {
    const plan = seed.readThreads[k % n]!;
    const who = actorFor(plan, Math.floor(k / n));
    const page = await who.client.call('messages.list', { params: { threadId: plan.id }, query: { limit: 50 } });
    if (page.items.length !== 50) throw new Error(`history page had ${page.items.length} messages, expected 50`);
  };
}

/** Brings every history-read thread to at least HISTORY_MIN messages (bounded). */
async function topUp(seed: Seed, pool: pg.Pool): Promise<{ min: number; max: number; sent: number }> {
  const ids = seed.readThreads.map((t) => t.id);
  const count = async () => {
    const { rows } = await pool.query<{ thread_id: string; n: string }>(`SELECT thread_id, count(*)::text AS n FROM messages WHERE thread_id = ANY($1::uuid[]) GROUP BY thread_id`, [ids]);
    return new Map(rows.map((r) => [r.thread_id, Number(r.n)]));
  };
  const before = await count();
  const jobs: { plan: ThreadPlan; k: number }[] = [];
  for (const plan of seed.readThreads) {
    const missing = HISTORY_MIN + 10 - (before.get(plan.id) ?? 0);
    for (let k = 0; k < missing; k++) jobs.push({ plan, k });
  }
  if (jobs.length > 0) log(`topping up history threads: ${jobs.length} messages`);
  await pmap(jobs, 16, async ({ plan, k }) => {
    await actorFor(plan, k).client.call('messages.create', { params: { threadId: plan.id }, body: { id: randomUUID(), body: bodyFor(k) } });
  });
  const after = [...(await count()).values()];
  return { min: Math.min(...after), max: Math.max(...after), sent: jobs.length };
}

// ───────────────────────────── §4 in-process breakdown ─────────────────────────────

interface Step {
  key: string;
  label: string;
  queries: number;
  values: number[];
}
interface WhatIf {
  label: string;
  tps: number;
  meanMs: number;
  concurrency: number;
}
interface Breakdown {
  steps: { key: string; label: string; queries: number; d: Dist }[];
  serviceSend: Dist;
  injectSend: Dist;
  digest: Dist;
  /** Background sealer: µs per audit event chained (amortized over a batch). */
  sealPerEventUs: number;
  tokensPerMessage: number;
  whatIf: WhatIf[];
  syncOff?: { statement: Dist; whatIf: WhatIf };
  /** One latest-50 read at a time, step by step. */
  read: { steps: { key: string; label: string; queries: number; d: Dist }[]; service: Dist; serialize: Dist; inject: Dist; rowsPerRead: number };
}

const us = (t0: number) => (performance.now() - t0) * 1000;

async function ctxFor(services: Services, person: Person): Promise<RequestContext> {
  const s = await services.auth.authenticate(person.client.token!);
  return { actor: s.actor, address: '127.0.0.1', requestId: randomUUID() };
}

interface Prepared {
  plan: ThreadPlan;
  who: Person;
  ctx: RequestContext;
  keyId: string;
  orgId: string;
}
const tokenOf = (p: Prepared): string => p.who.client.token!;

/**
 * The send statement exactly as MessageService.send issues it: MessageStore.insert (one CTE, autocommit: message,
 * version, search tokens, thread activity, audit event from AuditService.eventFor). Concurrent callers share
 * statements (group commit), as in the server.
 */
async function sendStatement(services: Services, store: MessageStore, p: Prepared, body: string, tokens: Buffer[], hash: Buffer): Promise<string> {
  const id = randomUUID();
  const at = new Date();
  const bodyCt = await services.keyring.encrypt(p.keyId, body, bodyAad(p.orgId, p.plan.id, id, 1));
  const seq = await store.insert({
    id, orgId: p.orgId, threadId: p.plan.id, senderId: p.ctx.actor.userId, senderRole: p.ctx.actor.role, createdAt: at, bodyCt, contentHash: hash, tokens,
    audit: services.audit.eventFor(p.ctx, { action: 'messages.create', resourceType: 'message', resourceId: id, patientId: p.plan.patient.id, details: { threadId: p.plan.id } }),
  });
  if (seq === null) throw new Error('send statement inserted nothing');
  return id;
}

async function prepare(services: Services, seed: Seed, plan: ThreadPlan, who: Person): Promise<Prepared> {
  const ctx = await ctxFor(services, who);
  const { thread } = await services.threads.require(ctx, plan.id, 'messages.send');
  return { plan, who, ctx, keyId: thread.key_id, orgId: seed.orgId };
}

/** `concurrency` loops issuing the send statement for `seconds` (a database-side what-if: no HTTP, no auth). */
async function statementThroughput(services: Services, store: MessageStore, preps: Prepared[], concurrency: number, seconds: number): Promise<{ tps: number; meanMs: number }> {
  const end = performance.now() + seconds * 1000;
  let n = 0;
  const lat: number[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; performance.now() < end && i < 1_000_000; i++) {
        const p = preps[(w + i * concurrency) % preps.length]!;
        const body = bodyFor(i + w);
        const tokens = await services.messages.searchTokens(p.orgId, body);
        const hash = hmac(await services.keyring.dataKey(p.keyId), `haven-content|${body}`);
        const t0 = performance.now();
        await sendStatement(services, store, p, body, tokens, hash);
        lat.push(performance.now() - t0);
        n++;
      }
    }),
  );
  return { tps: n / seconds, meanMs: dist(lat).mean };
}

const READ_STEP_LABELS: [key: string, label: string, queries: number][] = [
  ['session', 'session lookup (AuthService.authenticate)', 1],
  ['policy', 'thread + policy (ThreadService.require)', 1],
  ['page', 'the page: latest 50 messages with current versions, receipts and mentions (MessageStore.page)', 1],
  ['side', 'attachments and reactions of the page (one query each, side by side)', 2],
  ['decrypt', 'AES-256-GCM decryption of the 50 bodies (cached data key)', 0],
  ['audit', 'the read\'s audit event (AuditService.recordFor: INSERT, COMMIT and WAL flush)', 1],
];

const STEP_LABELS: [key: string, label: string, queries: number][] = [
  ['session', 'session lookup (AuthService.authenticate: SHA-256 of the token, sessions⋈users)', 1],
  ['policy', 'thread + policy (ThreadService.require → ThreadStore.withAccess, cached org settings)', 1],
  ['content_hash', 'content hash (HMAC-SHA-256 of the body, for idempotency)', 0],
  ['tokens', 'blind-index tokens (tokenize + HMAC-SHA-256 per distinct word)', 0],
  ['encrypt', 'AES-256-GCM encryption of the body (cached data key)', 0],
  ['statement', 'the send statement: one CTE in autocommit (message, version, search tokens, thread, audit event), incl. COMMIT and WAL flush', 1],
  ['respond', 'response (built in memory from the inputs)', 0],
];

async function breakdown(t: Target, seed: Seed, doSyncOff: boolean): Promise<Breakdown> {
  await waitQuiet('the in-process breakdown');
  const rt = await openRuntimeChecked(runtimeConfig(t), quietLogger());
  try {
    const services = rt.services;
    const store = new MessageStore(rt.db, services.audit, services.outbox);
    const { app } = await buildApp({ config: rt.config, db: rt.db, keyProvider: rt.keyProvider, logger: nullLogger('info') });
    await app.ready();
    await services.audit.seal(seed.orgId);
    const preps: Prepared[] = [];
    for (const plan of seed.threads) {
      preps.push(await prepare(services, seed, plan, plan.patient));
      preps.push(await prepare(services, seed, plan, plan.staff[0]!));
    }
    const steps = new Map<string, Step>(STEP_LABELS.map(([key, label, queries]) => [key, { key, label, queries, values: [] }]));
    const rec = (key: string, t0: number, keep: boolean) => {
      if (keep) steps.get(key)!.values.push(us(t0));
    };
    let tokenRows = 0;
    const warm = Math.max(20, Math.floor(ITERATIONS / 10));
    log(`breakdown: ${ITERATIONS} sequential sends, timed step by step`);
    for (let i = 0; i < warm + ITERATIONS; i++) {
      const keep = i >= warm;
      const p = preps[i % preps.length]!;
      const body = bodyFor(i);
      let t0 = performance.now();
      await services.auth.authenticate(tokenOf(p));
      rec('session', t0, keep);
      t0 = performance.now();
      const { thread } = await services.threads.require(p.ctx, p.plan.id, 'messages.send');
      rec('policy', t0, keep);
      t0 = performance.now();
      const hash = hmac(await services.keyring.dataKey(thread.key_id), `haven-content|${body}`);
      rec('content_hash', t0, keep);
      t0 = performance.now();
      const tokens = await services.messages.searchTokens(thread.org_id, body);
      rec('tokens', t0, keep);
      if (keep) tokenRows += tokens.length;
      t0 = performance.now();
      await services.keyring.encrypt(thread.key_id, body, bodyAad(thread.org_id, thread.id, randomUUID(), 1));
      rec('encrypt', t0, keep);
      t0 = performance.now();
      const id = await sendStatement(services, store, p, body, tokens, hash);
      rec('statement', t0, keep);
      t0 = performance.now();
      JSON.stringify({ id, threadId: thread.id, senderId: p.ctx.actor.userId, body, contentHash: hash.toString('hex'), receipts: [] });
      rec('respond', t0, keep);
    }
    // The background sealer chains what was just written: its cost per event, amortized over its batches.
    let t0 = performance.now();
    const sealed = await services.audit.seal(seed.orgId);
    const sealPerEventUs = sealed > 0 ? us(t0) / sealed : NaN;

    log('breakdown: whole service send and Fastify inject');
    const serviceLat: number[] = [];
    for (let i = 0; i < warm + ITERATIONS; i++) {
      const p = preps[i % preps.length]!;
      t0 = performance.now();
      await services.messages.send(p.ctx, p.plan.id, { id: randomUUID(), body: bodyFor(i) });
      if (i >= warm) serviceLat.push(us(t0));
    }
    const injectLat: number[] = [];
    for (let i = 0; i < warm + ITERATIONS; i++) {
      const p = preps[i % preps.length]!;
      t0 = performance.now();
      const res = await app.inject({
        method: 'POST',
        url: `/api/v1/threads/${p.plan.id}/messages`,
        headers: { authorization: `Bearer ${tokenOf(p)}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ id: randomUUID(), body: bodyFor(i) }),
      });
      if (res.statusCode !== 201) throw new Error(`inject send answered ${res.statusCode}: ${res.body}`);
      if (i >= warm) injectLat.push(us(t0));
    }
    // One latest-50 read at a time, step by step as MessageService.list runs them (threads now hold their history).
    log(`breakdown: ${ITERATIONS} sequential latest-50 reads, timed step by step`);
    const readSteps = new Map<string, Step>(READ_STEP_LABELS.map(([key, label, queries]) => [key, { key, label, queries, values: [] }]));
    const recRead = (key: string, t0: number, keep: boolean) => {
      if (keep) readSteps.get(key)!.values.push(us(t0));
    };
    let readRows = 0;
    for (let i = 0; i < warm + ITERATIONS; i++) {
      const keep = i >= warm;
      const p = preps[i % preps.length]!;
      const staff = p.ctx.actor.role !== 'patient';
      t0 = performance.now();
      await services.auth.authenticate(tokenOf(p));
      recRead('session', t0, keep);
      t0 = performance.now();
      const { thread } = await services.threads.require(p.ctx, p.plan.id, 'threads.read');
      recRead('policy', t0, keep);
      t0 = performance.now();
      const rows = await store.page(thread.id, { includeRetracted: staff, includeInternal: staff, limit: 50 });
      recRead('page', t0, keep);
      if (keep) readRows += rows.length;
      t0 = performance.now();
      await Promise.all([
        services.attachments.forMessages(p.ctx, thread, rows.map((r) => ({ id: r.id, threadId: r.thread_id, senderId: r.sender_id, retracted: r.retracted_at !== null, internal: r.visibility === 'internal' }))),
        services.reactions.forMessages(thread.org_id, rows.map((r) => r.id)),
      ]);
      recRead('side', t0, keep);
      t0 = performance.now();
      for (const r of rows) await services.keyring.decrypt(thread.key_id, r.body_ct, bodyAad(r.org_id, r.thread_id, r.id, r.current_version));
      recRead('decrypt', t0, keep);
      t0 = performance.now();
      await services.audit.recordFor(rt.db, p.ctx, { action: 'messages.list', resourceType: 'thread', resourceId: thread.id, patientId: thread.patient_id, details: { returned: rows.length } });
      recRead('audit', t0, keep);
    }
    const serviceReadLat: number[] = [];
    const serializeLat: number[] = [];
    const injectReadLat: number[] = [];
    for (let i = 0; i < warm + ITERATIONS; i++) {
      const p = preps[i % preps.length]!;
      t0 = performance.now();
      const page = await services.messages.list(p.ctx, p.plan.id, { limit: 50 });
      if (i >= warm) serviceReadLat.push(us(t0));
      t0 = performance.now();
      JSON.stringify(page);
      if (i >= warm) serializeLat.push(us(t0));
    }
    for (let i = 0; i < warm + ITERATIONS; i++) {
      const p = preps[i % preps.length]!;
      t0 = performance.now();
      const res = await app.inject({ method: 'GET', url: `/api/v1/threads/${p.plan.id}/messages?limit=50`, headers: { authorization: `Bearer ${tokenOf(p)}` } });
      if (res.statusCode !== 200) throw new Error(`inject read answered ${res.statusCode}: ${res.body}`);
      if (i >= warm) injectReadLat.push(us(t0));
    }
    const digestLat: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      t0 = performance.now();
      eventDigest({ id: randomUUID(), orgId: seed.orgId, at: new Date(), actorId: preps[0]!.ctx.actor.userId, actorRole: 'patient', action: 'messages.create', resourceType: 'message', resourceId: randomUUID(), patientId: preps[0]!.plan.patient.id, address: '127.0.0.1', outcome: 'success', details: { threadId: preps[0]!.plan.id } });
      digestLat.push(us(t0));
    }
    await app.close();
    await services.audit.seal(seed.orgId);

    const conc = Math.min(rt.config.dbPoolSize, CONCURRENCY);
    log(`breakdown: database-side what-if, ${conc} concurrent send statements`);
    const whatIf: WhatIf[] = [];
    whatIf.push({ label: 'send statement as the server issues it (with audit event; concurrent sends share statements)', ...(await statementThroughput(services, store, preps, conc, 4)), concurrency: conc });

    const out: Breakdown = {
      steps: [...steps.values()].map((s) => ({ key: s.key, label: s.label, queries: s.queries, d: dist(s.values) })),
      serviceSend: dist(serviceLat),
      injectSend: dist(injectLat),
      digest: dist(digestLat),
      sealPerEventUs,
      tokensPerMessage: tokenRows / ITERATIONS,
      whatIf,
      read: {
        steps: [...readSteps.values()].map((s) => ({ key: s.key, label: s.label, queries: s.queries, d: dist(s.values) })),
        service: dist(serviceReadLat),
        serialize: dist(serializeLat),
        inject: dist(injectReadLat),
        rowsPerRead: readRows / ITERATIONS,
      },
    };

    if (doSyncOff) {
      log('DIAGNOSTIC: ALTER DATABASE ... SET synchronous_commit = off (bench database only)');
      await sql.raw(`ALTER DATABASE ${t.dbName} SET synchronous_commit = off`).execute(rt.db);
      const url = t.databaseUrl ?? rt.embedded!.url;
      const { db: offDb } = createDb(url, rt.config.dbPoolSize);
      const offStore = new MessageStore(offDb, services.audit, services.outbox);
      try {
        const check = await sql<{ synchronous_commit: string }>`SHOW synchronous_commit`.execute(offDb);
        if (check.rows[0]?.synchronous_commit !== 'off') throw new Error('synchronous_commit did not switch off');
        const lat: number[] = [];
        for (let i = 0; i < warm + ITERATIONS; i++) {
          const p = preps[i % preps.length]!;
          const body = bodyFor(i);
          const tokens = await services.messages.searchTokens(p.orgId, body);
          const hash = hmac(await services.keyring.dataKey(p.keyId), `haven-content|${body}`);
          t0 = performance.now();
          await sendStatement(services, offStore, p, body, tokens, hash);
          if (i >= warm) lat.push(us(t0));
        }
        const w = await statementThroughput(services, offStore, preps, conc, 4);
        out.syncOff = { statement: dist(lat), whatIf: { label: 'send statement with audit event, synchronous_commit=off', ...w, concurrency: conc } };
      } finally {
        await offDb.destroy();
      }
    }
    await services.audit.seal(seed.orgId);
    return out;
  } finally {
    await rt.close();
  }
}

// ───────────────────────────── one database, end to end ─────────────────────────────

interface TargetResult {
  kind: Kind;
  /** The server code as `haven start` loaded it (commit + uncommitted files), at each server start. */
  code: string[];
  version: string;
  poolSize: number;
  threads: number;
  history: { min: number; max: number; sent: number };
  send?: LoadResult;
  sendSerial?: LoadResult;
  read?: LoadResult;
  readSerial?: LoadResult;
  sendSyncOff?: LoadResult;
  breakdown?: Breakdown;
  serverErrors: string[];
}

async function runTarget(kind: Kind): Promise<TargetResult> {
  log(`── ${kind} PostgreSQL ──`);
  const t = await prepareTarget(kind, kind);
  const slug = `bench-${hex(3)}`;
  log('creating the organization and first admin (in-process, as `haven init` does)');
  const org = await createOrganization(t, slug);
  // LOG_LEVEL=debug adds only embedded PostgreSQL's own output to the log (for diagnosis); requests log at info as usual.
  const vars: Record<string, string> = { DATA_DIR: t.dataDir, REQUIRE_MFA_FOR_STAFF: 'false', LOG_LEVEL: 'debug' };
  if (t.databaseUrl) vars.DATABASE_URL = t.databaseUrl;
  else vars.EMBEDDED_PG_PORT = String(t.pgPort);
  const logFile = path.join(t.dataDir, 'server.log');
  log('starting `haven start` in a child process');
  // The same port for the restart below: the seeded SDK clients keep the server URL.
  vars.PORT = String(await httpPort());
  const code = [codeVersion()];
  let server = await spawnServer(vars, logFile, true);
  const pool = new pg.Pool({ connectionString: inspectUrl(t), max: 3 });
  // Idle connections die when the child stops embedded PostgreSQL; the pool reconnects on the next query.
  pool.on('error', () => undefined);
  let poolEnded = false;
  cleanups.push(async () => {
    if (!poolEnded) await pool.end();
    poolEnded = true;
  });
  const version = (await pool.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
  const poolSize = runtimeConfig(t).dbPoolSize;
  let postmaster = await postmasterPid(t, pool);
  log(`seeding over HTTP: ${TEAMS} care teams × ${STAFF_PER_TEAM} staff, ${PATIENTS} patients × ${THREADS_PER_PATIENT} threads`);
  const seed = await seedOverHttp(server.url, slug, org.orgId, org.email, org.password);
  const result: TargetResult = { kind, code, version, poolSize, threads: seed.threads.length, history: { min: 0, max: 0, sent: 0 }, serverErrors: [] };

  if (!SKIP.has('send')) {
    log(`§1 send: ${CONCURRENCY} concurrent, ${WARMUP_S} s warm-up + ${DURATION_S} s`);
    result.send = await runLoad(CONCURRENCY, WARMUP_S, DURATION_S, sendOp(seed), { serverPid: server.child.pid, postmaster, sampler: new WaitSampler(pool) });
    log(`   ${f0(result.send.rps)} msg/s, p50 ${f1(result.send.latency.p50)} ms, p99 ${f1(result.send.latency.p99)} ms, errors ${result.send.errors}`);
  }
  if (!SKIP.has('serial')) {
    log(`§1 send, 1 client: ${SERIAL_S} s`);
    result.sendSerial = await runLoad(1, 1, SERIAL_S, sendOp(seed), { serverPid: server.child.pid, postmaster });
  }
  if (!SKIP.has('read')) {
    result.history = await topUp(seed, pool);
    log(`§2 latest-50 history read on ${seed.readThreads.length} threads holding ${result.history.min}-${result.history.max} messages`);
    result.read = await runLoad(CONCURRENCY, WARMUP_S, DURATION_S, readOp(seed), { serverPid: server.child.pid, postmaster, sampler: new WaitSampler(pool) });
    log(`   ${f0(result.read.rps)} reads/s, p50 ${f1(result.read.latency.p50)} ms, p99 ${f1(result.read.latency.p99)} ms, errors ${result.read.errors}`);
    if (!SKIP.has('serial')) result.readSerial = await runLoad(1, 1, SERIAL_S, readOp(seed), { serverPid: server.child.pid, postmaster });
  }
  result.serverErrors.push(...serverErrors(logFile));
  await stopServer(server, t.dataDir);

  const doSyncOff = !SKIP.has('syncoff');
  if (!SKIP.has('breakdown')) result.breakdown = await breakdown(t, seed, doSyncOff);
  if (doSyncOff && !SKIP.has('send')) {
    if (SKIP.has('breakdown')) await withDbAdmin(t, `ALTER DATABASE ${t.dbName} SET synchronous_commit = off`);
    log('DIAGNOSTIC §1 send with synchronous_commit=off on the bench database');
    code.push(codeVersion());
    server = await spawnServer(vars, logFile);
    postmaster = await postmasterPid(t, pool);
    const check = await pool.query<{ s: string }>(`SELECT setting AS s FROM pg_db_role_setting d JOIN pg_database b ON b.oid = d.setdatabase, unnest(d.setconfig) setting WHERE b.datname = current_database()`);
    if (!check.rows.some((r) => r.s === 'synchronous_commit=off')) throw new Error('synchronous_commit=off is not set on the bench database');
    result.sendSyncOff = await runLoad(CONCURRENCY, WARMUP_S, Math.min(DURATION_S, 8), sendOp(seed), { serverPid: server.child.pid, postmaster, sampler: new WaitSampler(pool) });
    log(`   ${f0(result.sendSyncOff.rps)} msg/s (synchronous_commit=off, diagnostic)`);
    result.serverErrors.push(...serverErrors(logFile));
    await pool.query(`ALTER DATABASE ${t.dbName} RESET synchronous_commit`);
    await stopServer(server, t.dataDir);
  }
  // Drops the bench database / removes the data dir now (the pool is ended first).
  await cleanups.run();
  return result;
}

/** Runs a statement on the target's database with a short-lived connection, starting embedded PostgreSQL if needed. */
async function withDbAdmin(t: Target, statement: string): Promise<void> {
  const rt = await openRuntimeChecked(runtimeConfig(t), quietLogger());
  try {
    await sql.raw(statement).execute(rt.db);
  } finally {
    await rt.close();
  }
}

// ───────────────────────────── §3 cold start ─────────────────────────────

interface ColdRun {
  totalMs: number;
  /** From the server's own log: embedded PostgreSQL start, and startHaven → listening. */
  pgMs?: number;
  havenMs?: number;
}
interface ColdResult {
  kind: Kind;
  code: string;
  first: ColdRun[];
  second: ColdRun[];
}

async function coldStart(kind: Kind): Promise<ColdResult> {
  const res: ColdResult = { kind, code: codeVersion(), first: [], second: [] };
  for (let run = 0; run < COLD_RUNS; run++) {
    const t = await prepareTarget(kind, `cold-${kind}`);
    const vars: Record<string, string> = { DATA_DIR: t.dataDir };
    if (t.databaseUrl) vars.DATABASE_URL = t.databaseUrl;
    else vars.EMBEDDED_PG_PORT = String(t.pgPort);
    for (const phase of ['first', 'second'] as const) {
      const logFile = path.join(t.dataDir, `cold-${phase}.log`);
      await waitQuiet('a cold start');
      const s = await spawnServer({ ...vars, PORT: String(await httpPort()) }, logFile);
      await stopServer(s, t.dataDir);
      const lines = logLines(logFile);
      const pgLine = lines.find((l) => l.msg === 'embedded PostgreSQL started');
      const ready = lines.find((l) => l.msg === 'Haven is ready');
      res[phase].push({ totalMs: s.readyMs, pgMs: typeof pgLine?.ms === 'number' ? pgLine.ms : undefined, havenMs: typeof ready?.ms === 'number' ? ready.ms : undefined });
      log(`§3 cold start ${kind} ${phase} #${run + 1}: ${f0(s.readyMs)} ms`);
    }
    await cleanups.run();
  }
  return res;
}

// ───────────────────────────── report ─────────────────────────────

function collectMetrics(results: TargetResult[], cold: ColdResult[]): Metrics {
  const m: Metrics = {};
  const put = (k: string, v: number | undefined) => putMetric(m, k, v);
  for (const r of results) {
    put(`${r.kind}.send.msg_per_s`, r.send?.rps);
    put(`${r.kind}.send.p50_ms`, r.send?.latency.p50);
    put(`${r.kind}.send.p95_ms`, r.send?.latency.p95);
    put(`${r.kind}.send.p99_ms`, r.send?.latency.p99);
    put(`${r.kind}.send_1client.p50_ms`, r.sendSerial?.latency.p50);
    put(`${r.kind}.read.per_s`, r.read?.rps);
    put(`${r.kind}.read.p50_ms`, r.read?.latency.p50);
    put(`${r.kind}.read.p99_ms`, r.read?.latency.p99);
    put(`${r.kind}.read_1client.p50_ms`, r.readSerial?.latency.p50);
    put(`${r.kind}.send_syncoff_diag.msg_per_s`, r.sendSyncOff?.rps);
    for (const s of r.breakdown?.steps ?? []) put(`${r.kind}.step.${s.key}_us`, s.d.mean);
    put(`${r.kind}.step.service_send_us`, r.breakdown?.serviceSend.mean);
    put(`${r.kind}.step.inject_send_us`, r.breakdown?.injectSend.mean);
    put(`${r.kind}.step.seal_per_event_us`, r.breakdown?.sealPerEventUs);
    for (const st of r.breakdown?.read.steps ?? []) put(`${r.kind}.read_step.${st.key}_us`, st.d.mean);
    put(`${r.kind}.read_step.service_list_us`, r.breakdown?.read.service.mean);
    put(`${r.kind}.read_step.inject_list_us`, r.breakdown?.read.inject.mean);
    put(`${r.kind}.read_step.inject_list_p99_us`, r.breakdown?.read.inject.p99);
  }
  for (const c of cold) {
    put(`cold.${c.kind}.first_ms`, median(c.first.map((x) => x.totalMs)));
    put(`cold.${c.kind}.second_ms`, median(c.second.map((x) => x.totalMs)));
  }
  return m;
}

function verdict(ok: boolean | undefined): string {
  return ok === undefined ? 'not measured' : ok ? '**met**' : '**NOT met**';
}

function render(results: TargetResult[], cold: ColdResult[], date: string, prev: PreviousRun | undefined, metrics: Metrics): string {
  const L: string[] = [];
  const byKind = (k: Kind) => results.find((r) => r.kind === k);
  L.push(`## Run ${date}`);
  L.push('');
  L.push(`- Command: \`${COMMAND}\``);
  L.push(`- Machine: ${machineFacts()}`);
  const codes = [...new Set([...results.flatMap((r) => r.code), ...cold.map((c) => c.code), codeVersion()])];
  L.push(
    codes.length === 1
      ? `- Code under test: ${codes[0]}`
      : `- Code under test: **the work tree changed during this run** — ${[...results.map((r) => `${r.kind}: ${[...new Set(r.code)].join(' → ')}`), ...cold.map((c) => `cold start ${c.kind}: ${c.code}`), `at the end: ${codeVersion()}`].join('; ')}`,
  );
  L.push(`- PostgreSQL: ${results.map((r) => `${r.kind} ${r.version}`).join('; ') || 'n/a'}`);
  L.push(
    `- Setup: server = \`haven start\` in a child process, run from its bundle as after \`npm start\` (HAVEN_ENV=production, request log to a file, DB pool ${results[0]?.poolSize ?? 20}), load from this process with the typed SDK over node:http keep-alive sockets, bearer sessions, client-generated ids; ` +
      `1 org, ${TEAMS} care teams × ${STAFF_PER_TEAM} staff, ${PATIENTS} patients, ${results[0]?.threads ?? PATIENTS * THREADS_PER_PATIENT} patient threads; concurrency ${CONCURRENCY}, warm-up ${WARMUP_S} s, measured ${DURATION_S} s; loopback only.`,
  );
  L.push('');

  // Targets
  const ext = byKind('external');
  const emb = byKind('embedded');
  const coldOf = (k: Kind) => cold.find((c) => c.kind === k);
  L.push('### Targets (from the spec)');
  L.push('');
  const cell = (v: number | undefined, fmt: (x: number) => string, ok: (x: number) => boolean) => (v === undefined ? 'n/a' : `${fmt(v)} — ${verdict(ok(v))}`);
  const targetRow = (name: string, e: number | undefined, x: number | undefined, fmt: (x: number) => string, ok: (x: number) => boolean) =>
    L.push(`| ${name} | ${cell(e, fmt, ok)} | ${cell(x, fmt, ok)} |`);
  const msgs = (x: number) => `${f0(x)} msg/s`;
  const ms1 = (x: number) => `${f1(x)} ms`;
  const ms0 = (x: number) => `${f0(x)} ms`;
  const cs = (k: Kind, ph: 'first' | 'second') => {
    const c = coldOf(k);
    return c ? median(c[ph].map((x) => x.totalMs)) : undefined;
  };
  L.push('| target | embedded PostgreSQL | machine PostgreSQL (external) |');
  L.push('| --- | --- | --- |');
  targetRow('send ≥ 2,000 msg/s with local PostgreSQL on this 2-core machine', emb?.send?.rps, ext?.send?.rps, msgs, (x) => x >= 2000);
  targetRow(`latest-50 history read p99 ≤ 5 ms (${CONCURRENCY} concurrent readers)`, emb?.read?.latency.p99, ext?.read?.latency.p99, ms1, (x) => x <= 5);
  targetRow('(same, one reader at a time, for reference)', emb?.readSerial?.latency.p99, ext?.readSerial?.latency.p99, ms1, (x) => x <= 5);
  targetRow('cold start ≤ 3 s once installed: restart on an existing data dir / database (median)', cs('embedded', 'second'), cs('external', 'second'), ms0, (x) => x <= 3000);
  targetRow('(first start ever: initdb / migrations, median)', cs('embedded', 'first'), cs('external', 'first'), ms0, (x) => x <= 3000);
  L.push('');

  // §1 / §2
  const loadRow = (name: string, r: TargetResult, x: LoadResult | undefined, unit: string) => {
    if (!x) return;
    const cpu = x.cpu;
    L.push(
      `| ${name} | ${r.kind} | ${x.concurrency} | **${f0(x.rps)}** ${unit} | ${f1(x.latency.p50)} | ${f1(x.latency.p95)} | ${f1(x.latency.p99)} | ${f1(x.latency.max)} | ${x.completed} | ${x.errors} | ${cpu ? `${f0(cpu.serverUs)} / ${f0(cpu.pgUs)} / ${f0(cpu.clientUs)}` : 'n/a'} | ${cpu ? `${f2(cpu.machineCores)} (${f2(cpu.otherCores)})` : 'n/a'} |`,
    );
  };
  L.push('### 1–2. Send throughput and latest-50 history reads (HTTP, real sessions)');
  L.push('');
  L.push(`| run | DB | conc. | throughput | p50 ms | p95 ms | p99 ms | max ms | requests | errors | CPU µs per request: server / PostgreSQL / load generator | busy cores of ${os.cpus().length} (of which other processes) |`);
  L.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    loadRow('send message', r, r.send, 'msg/s');
    loadRow('send message, 1 client', r, r.sendSerial, 'msg/s');
    loadRow(`latest-50 read (${r.history.min}–${r.history.max} msgs/thread)`, r, r.read, 'reads/s');
    loadRow('latest-50 read, 1 client', r, r.readSerial, 'reads/s');
  }
  L.push('');
  const errs = results.flatMap((r) => [r.send, r.sendSerial, r.read, r.readSerial, r.sendSyncOff].flatMap((x) => x?.errorSamples ?? []).map((e) => `${r.kind}: ${e}`));
  if (errs.length) L.push(`Request errors (first few): ${errs.slice(0, 5).map((e) => `\`${e}\``).join('; ')}`, '');
  const srvErrs = results.flatMap((r) => r.serverErrors.map((e) => `${r.kind}: ${e}`));
  L.push(srvErrs.length ? `Server logged ${srvErrs.length} error line(s): ${srvErrs.slice(0, 3).map((e) => `\`${e.slice(0, 200)}\``).join('; ')}` : 'Server logged no errors during the runs.');
  L.push('');

  // waits
  const waitRuns = results.flatMap((r) => [
    ['send', r, r.send] as const,
    ['read', r, r.read] as const,
    ['send, sync commit off (diag.)', r, r.sendSyncOff] as const,
  ]).filter(([, , x]) => x?.waits);
  if (waitRuns.length) {
    const cats = [...new Set(waitRuns.flatMap(([, , x]) => Object.keys(x!.waits!)))].sort();
    L.push('#### What the server\'s database sessions were doing (pg_stat_activity every 50 ms; average number of sessions in each state)');
    L.push('');
    L.push(`| run | DB | ${cats.join(' | ')} |`);
    L.push(`| --- | --- | ${cats.map(() => '---').join(' | ')} |`);
    for (const [name, r, x] of waitRuns) L.push(`| ${name} | ${r.kind} | ${cats.map((c) => f1(x!.waits![c] ?? 0)).join(' | ')} |`);
    L.push('');
  }

  // §3
  if (cold.length) {
    L.push('### 3. Cold start: spawn `node apps/server/bin/haven.mjs start` (HAVEN_ENV=production) until GET /readyz = 200');
    L.push('');
    L.push('| DB | start | median ms | runs (ms) | embedded PostgreSQL start, ms (server log) | startHaven → listening, ms (server log) |');
    L.push('| --- | --- | --- | --- | --- | --- |');
    for (const c of cold) {
      for (const ph of ['first', 'second'] as const) {
        const runs = c[ph];
        const pgMs = runs.map((x) => x.pgMs).filter((x): x is number => x !== undefined);
        const hv = runs.map((x) => x.havenMs).filter((x): x is number => x !== undefined);
        L.push(
          `| ${c.kind} | ${ph === 'first' ? 'first (fresh ' + (c.kind === 'embedded' ? 'data dir: initdb' : 'database: migrations') + ')' : 'second (existing)'} | **${f0(median(runs.map((x) => x.totalMs)))}** | ${runs.map((x) => f0(x.totalMs)).join(', ')} | ${pgMs.length ? f0(median(pgMs)) : '—'} | ${hv.length ? f0(median(hv)) : 'n/a'} |`,
        );
      }
    }
    L.push('');
    L.push('The rest of each total (total − startHaven) is process start: Node, the tsx loader and importing the TypeScript sources.');
    L.push('');
  }

  // §4
  const bds = results.filter((r) => r.breakdown);
  if (bds.length) {
    L.push(`### 4. Where one send spends its time (in-process, one send at a time, ${ITERATIONS} iterations; mean µs)`);
    L.push('');
    L.push(`| step | DB round trips | ${bds.map((r) => `${r.kind} µs`).join(' | ')} | ${bds.map((r) => `${r.kind} share`).join(' | ')} |`);
    L.push(`| --- | --- | ${bds.map(() => '---').join(' | ')} | ${bds.map(() => '---').join(' | ')} |`);
    const first = bds[0]!.breakdown!;
    const sums = bds.map((r) => r.breakdown!.steps.reduce((a, s) => a + s.d.mean, 0));
    first.steps.forEach((s, i) => {
      const vals = bds.map((r) => r.breakdown!.steps[i]!.d.mean);
      L.push(`| ${s.label} | ${s.queries} | ${vals.map(f0).join(' | ')} | ${vals.map((v, j) => `${f1((100 * v) / sums[j]!)} %`).join(' | ')} |`);
    });
    L.push(`| **sum of the steps** | ${first.steps.reduce((a, x) => a + x.queries, 0)} | ${sums.map(f0).join(' | ')} | 100 % |`);
    L.push(`| whole MessageService.send, measured (everything above except the session lookup) | | ${bds.map((r) => f0(r.breakdown!.serviceSend.mean)).join(' | ')} | |`);
    L.push(`| whole request via Fastify inject (session lookup, validation, send, serialization, request log; no socket) | | ${bds.map((r) => f0(r.breakdown!.injectSend.mean)).join(' | ')} | |`);
    L.push(`| whole request over loopback HTTP, 1 client (p50, from §1) | | ${bds.map((r) => (r.sendSerial ? f0(r.sendSerial.latency.p50 * 1000) : 'n/a')).join(' | ')} | |`);
    L.push('');
    const groups = bds.map((r, j) => {
      const g = (k: string) => r.breakdown!.steps.find((s) => s.key === k)!.d.mean;
      const cpuOnly = g('content_hash') + g('tokens') + g('encrypt') + g('respond');
      const db = g('session') + g('policy') + g('statement');
      const offStmt = r.breakdown!.syncOff?.statement.mean;
      const flush = offStmt !== undefined ? Math.max(0, g('statement') - offStmt) : NaN;
      const sum = sums[j]!;
      return (
        `${r.kind}: the 3 database round trips ${f0(db)} µs (${f0((100 * db) / sum)} %) — the send statement alone ${f0(g('statement'))} µs (${f0((100 * g('statement')) / sum)} %), ` +
        `of which the WAL flush at commit ≈ ${f0(flush)} µs (${f0((100 * flush) / sum)} %, from synchronous_commit=off); crypto and response (HMAC, blind-index tokens, AES-GCM) ${f0(cpuOnly)} µs (${f1((100 * cpuOnly) / sum)} %); ` +
        `the HTTP layer (session lookup + Fastify routing, validation, serialization, headers, request log) adds ${f0(r.breakdown!.injectSend.mean - r.breakdown!.serviceSend.mean)} µs on top of the service call`
      );
    });
    L.push(`What dominates one send: ${groups.join('; ')}.`);
    L.push('');
    L.push(
      `Audit digest (SHA-256 of canonical JSON) alone: ${bds.map((r) => `${f1(r.breakdown!.digest.mean)} µs`).join(' / ')}. Blind-index tokens per message: ${f1(bds[0]!.breakdown!.tokensPerMessage)}. ` +
        `Background audit sealing (chain hash + UPDATE, batched every ${runtimeConfigDefaults().auditSealMs} ms by the server): ${bds.map((r) => `${f1(r.breakdown!.sealPerEventUs)} µs per event (${r.kind})`).join(', ')}.`,
    );
    L.push('');
    // Reads, step by step
    L.push(`#### Where one latest-50 read spends its time (in-process, one read at a time, ${ITERATIONS} iterations, patient and staff alternating; ${f1(bds[0]!.breakdown!.read.rowsPerRead)} rows per read; mean µs)`);
    L.push('');
    L.push(`| step | DB round trips | ${bds.map((r) => `${r.kind} µs`).join(' | ')} | ${bds.map((r) => `${r.kind} p99 µs`).join(' | ')} |`);
    L.push(`| --- | --- | ${bds.map(() => '---').join(' | ')} | ${bds.map(() => '---').join(' | ')} |`);
    const readRow = (label: string, trips: string, pick: (r: TargetResult) => Dist) =>
      L.push(`| ${label} | ${trips} | ${bds.map((r) => f0(pick(r).mean)).join(' | ')} | ${bds.map((r) => f0(pick(r).p99)).join(' | ')} |`);
    first.read.steps.forEach((s, i) => readRow(s.label, String(s.queries), (r) => r.breakdown!.read.steps[i]!.d));
    L.push(`| **sum of the steps** | ${first.read.steps.reduce((a, s) => a + s.queries, 0)} | ${bds.map((r) => f0(r.breakdown!.read.steps.reduce((a, s) => a + s.d.mean, 0))).join(' | ')} | ${bds.map(() => '').join(' | ')} |`);
    readRow('whole MessageService.list (no session lookup; attachments, reactions and decryption overlap the audit event)', '', (r) => r.breakdown!.read.service);
    readRow('JSON.stringify of the page (the response body, 50 messages)', '0', (r) => r.breakdown!.read.serialize);
    readRow('whole request via Fastify inject (session lookup, validation, list, serialization, request log; no socket)', '', (r) => r.breakdown!.read.inject);
    L.push('');
    L.push('Database side only (the send statement from concurrent connections; no HTTP, no auth):');
    L.push('');
    L.push('| DB | statement | connections | statements/s | mean ms |');
    L.push('| --- | --- | --- | --- | --- |');
    for (const r of bds) {
      for (const w of r.breakdown!.whatIf) L.push(`| ${r.kind} | ${w.label} | ${w.concurrency} | ${f0(w.tps)} | ${f2(w.meanMs)} |`);
      if (r.breakdown!.syncOff) {
        const w = r.breakdown!.syncOff.whatIf;
        L.push(`| ${r.kind} | DIAGNOSTIC: ${w.label} | ${w.concurrency} | ${f0(w.tps)} | ${f2(w.meanMs)} |`);
      }
    }
    L.push('');
  }

  // sync off
  const so = results.filter((r) => r.sendSyncOff || r.breakdown?.syncOff);
  if (so.length) {
    L.push('### Diagnostic only: `ALTER DATABASE <bench db> SET synchronous_commit = off` (never a headline number; Haven must run with synchronous commit)');
    L.push('');
    L.push('| DB | send msg/s, sync on → off | p50 ms on → off | p99 ms on → off | send statement µs on → off (1 at a time) |');
    L.push('| --- | --- | --- | --- | --- |');
    for (const r of so) {
      const on = r.breakdown?.steps.find((s) => s.key === 'statement')?.d.mean;
      const off = r.breakdown?.syncOff?.statement.mean;
      L.push(
        `| ${r.kind} | ${f0(r.send?.rps ?? NaN)} → ${f0(r.sendSyncOff?.rps ?? NaN)} | ${f1(r.send?.latency.p50 ?? NaN)} → ${f1(r.sendSyncOff?.latency.p50 ?? NaN)} | ${f1(r.send?.latency.p99 ?? NaN)} → ${f1(r.sendSyncOff?.latency.p99 ?? NaN)} | ${f0(on ?? NaN)} → ${f0(off ?? NaN)} |`,
      );
    }
    L.push('');
  }

  // vs previous
  if (prev) {
    L.push(`### Compared with the previous recorded run (${prev.date})`);
    L.push('');
    L.push(...ratioTable(prev, metrics));
    L.push('');
    L.push('Throughput: higher is better; *_ms / *_us: lower is better.');
    L.push('');
  }
  L.push(dataComment(DATA_TAG, { date, command: COMMAND, metrics }));
  L.push('');
  return L.join('\n');
}

const RESULTS_HEADER = `# Haven benchmark results

Each run of \`bench/send-throughput.ts\` appends a dated section below (newest last) unless run with \`--no-record\`.
A run compares itself with the previous recorded section (machine-readable data in the \`haven-bench-data\` comment
at the end of each section) and prints the ratios. See bench/README.md for what the numbers mean.

`;

const DATA_TAG = 'haven-bench-data';

// ───────────────────────────── main ─────────────────────────────

async function main(): Promise<void> {
  const kinds: Kind[] = DB_CHOICE === 'both' ? ['embedded', 'external'] : [DB_CHOICE as Kind];
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  log(`Haven benchmark: ${kinds.join(' + ')}; ${os.cpus().length} CPUs; node ${process.version}`);
  const results: TargetResult[] = [];
  for (const kind of kinds) {
    if (cleanups.interrupted) break;
    results.push(await runTarget(kind));
  }
  const cold: ColdResult[] = [];
  if (!SKIP.has('cold')) {
    for (const kind of kinds) {
      if (cleanups.interrupted) break;
      cold.push(await coldStart(kind));
    }
  }
  const metrics = collectMetrics(results, cold);
  const prev = previousRunIn(RESULTS_FILE, DATA_TAG);
  const md = render(results, cold, date, prev, metrics);
  process.stdout.write(`\n${md}\n`);
  if (!opt['no-record'] && !cleanups.interrupted) {
    appendSection(RESULTS_FILE, RESULTS_HEADER, md);
    log(`appended to ${path.relative(process.cwd(), RESULTS_FILE)}`);
  }
}

main()
  .catch(async (err: Error) => {
    // After Ctrl-C the interrupted phase fails on closed connections: that is not worth a stack trace.
    if (cleanups.interrupted) {
      log('interrupted');
      process.exitCode = 130;
      return;
    }
    process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
    for (const f of serverLogs) if (existsSync(f)) process.stderr.write(`--- tail of ${f}\n${tail(f, 30)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanups.run();
    // Keep-alive sockets of the global fetch agent would otherwise hold the process open for a few seconds.
    process.exit(process.exitCode ?? 0);
  });
