/**
 * Live-delivery benchmark (issue #3): how many messages per second Haven delivers over its event sockets, how fast,
 * whether any are lost, what 10,000 idle sockets cost one node, and what each stage of a message costs.
 *
 *   node --import tsx bench/live-delivery.ts [--db external|embedded] [--nats URL|none] [--clients 1000]
 *       [--rates 250,500,1000,1500,2000,2500,3000] [--step-seconds 10] [--via socket|http] [--no-record] [--help]
 *
 * The server runs as a CHILD PROCESS (`haven start`, HAVEN_ENV=production) so the load generator's CPU is not billed
 * to it. Its event-loop delay is read by bench/probes/loop-lag.mjs, loaded into it with NODE_OPTIONS=--import (the
 * server code is not changed). The organization, the pairs (patient_i and provider_i on their own care team, one
 * thread each) and the sessions are created in this process through the server's services and stores, with no
 * argon2 per user; clients then get their single-use event tickets over HTTP (events.ticket) like any SDK client.
 *
 * Load: every pair exchanges messages over its sockets (SDK EventStream.send) or over HTTP (messages.create), at
 * stepped total rates, open-loop: sends are issued by the clock and never wait for answers, so latency includes
 * queueing. Latency = from the send call to the moment the OTHER member of the pair receives `message.created`
 * (same process, same clock). Loss = sent and acknowledged, but not received within 5 s after the step.
 *
 * Everything stays on loopback; every loop is bounded by a deadline and a count. Markdown goes to stdout (progress
 * to stderr) and is appended to bench/LIVE-RESULTS.md with the ratio to the previous recorded run. See
 * bench/README.md for what each number means.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import WebSocket, { WebSocketServer } from 'ws';
import { HavenClient, type EventStream, type LiveEvent, type Role, type WebSocketConstructor } from '@haven/api';
import { isLoopback, loadConfig, type Config } from '../apps/server/src/config.js';
import { openRuntime, type Runtime } from '../apps/server/src/main.js';
import { AuthStore } from '../apps/server/src/modules/auth/auth.store.js';
import { tokenHash } from '../apps/server/src/modules/auth/auth.service.js';
import type { RelayBatch, RelayedEvent } from '../apps/server/src/modules/events/event.relay.js';
import { bodyAad } from '../apps/server/src/modules/messages/message.service.js';
import { MessageStore } from '../apps/server/src/modules/messages/message.store.js';
import { emailIndex } from '../apps/server/src/modules/users/user.crypto.js';
import { UserStore } from '../apps/server/src/modules/users/user.store.js';
import { NatsBus } from '../apps/server/src/platform/bus/nats-bus.js';
import { hmac, randomToken } from '../apps/server/src/platform/crypto/hash.js';
import type { Queryable } from '../apps/server/src/platform/db/database.js';
import type { RequestContext } from '../apps/server/src/platform/http/context.js';
import { createLogger } from '../apps/server/src/platform/log/logger.js';
import { keepAlive, leanFetch } from './lib/http.js';
import { Cleanups, log, sleep } from './lib/log.js';
import { codeVersion, machineCpu, machineFacts, memoryOf, openFilesLimit, procStat, waitQuiet as waitQuietFor } from './lib/machine.js';
import { databaseUrl, withAdmin } from './lib/pg.js';
import { pmap } from './lib/pmap.js';
import { appendSection, dataComment, previousRun, putMetric, ratioTable, type Metrics, type PreviousRun } from './lib/results.js';
import { freePort, serverErrors, spawnServer, stopServer, tail, type ServerProc } from './lib/server.js';
import { dist, f0, f1, f2, type Dist } from './lib/stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROBE = path.join(ROOT, 'bench/probes/loop-lag.mjs');
/** The issue's loss rule: acknowledged but not received within 5 s after the step. */
const LOSS_WINDOW_MS = 5_000;
const CONNECT_TIMEOUT_MS = 30_000;
/** Length of the window with every client connected and no messages. */
const BASELINE_MS = 5_000;
const DATA_TAG = 'haven-live-bench-data';
const GIB = 2 ** 30;
const MIB = 2 ** 20;

// ───────────────────────────── options ─────────────────────────────

const USAGE = `Usage: node --import tsx bench/live-delivery.ts [options]
  --db external|embedded        the machine's PostgreSQL (fresh database per run, dropped after; default) or
                                PostgreSQL started by Haven in a fresh data dir
  --external-url URL            admin URL of the machine's PostgreSQL (loopback only; default postgres://postgres@127.0.0.1:5432/postgres)
  --nats URL|none               NATS for the server's event bus, with a unique subject prefix per run
                                (default nats://127.0.0.1:4222); none = the in-process bus
  --clients N                   connected load clients, in pairs (default 1000 = 500 pairs)
  --rates LIST                  total offered msg/s per step (default 250,500,1000,1500,2000,2500,3000)
  --step-seconds S              measured seconds per step (default 10)
  --warmup S                    seconds at the step's rate before each measured window (default 3)
  --via socket|http             how messages are sent: {type:'send'} frames on the event socket (default) or
                                HTTP messages.create; they are always received on the sockets
  --stop-p99 MS                 stop stepping after a step with p99 above this or with losses (default 1000)
  --max-outstanding N           sends in flight (not yet delivered) above which the generator skips sends (default 50000)
  --idle-clients N              idle sockets opened on the node (default 10000)
  --idle-sessions N             sessions the idle sockets share (default 100)
  --idle-hold S                 seconds the idle sockets stay open while the server is watched (default 10)
  --iterations N                messages timed one at a time in the per-stage breakdown (default 500)
  --skip LIST                   comma list of: idle,load,breakdown
  --quiet-wait S                before each measured phase, wait up to S seconds for other processes to leave the
                                CPUs idle (default 120; 0 = do not wait); their CPU use is reported either way
  --profile-server DIR          run the server with node --cpu-prof, writing its .cpuprofile to DIR
  --results FILE                results file (default bench/LIVE-RESULTS.md)
  --no-record                   print only; do not append to the results file`;

const { values: opt } = parseArgs({
  options: {
    db: { type: 'string', default: 'external' },
    'external-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    nats: { type: 'string', default: 'nats://127.0.0.1:4222' },
    clients: { type: 'string', default: '1000' },
    rates: { type: 'string', default: '250,500,1000,1500,2000,2500,3000' },
    'step-seconds': { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    via: { type: 'string', default: 'socket' },
    'stop-p99': { type: 'string', default: '1000' },
    'max-outstanding': { type: 'string', default: '50000' },
    'idle-clients': { type: 'string', default: '10000' },
    'idle-sessions': { type: 'string', default: '100' },
    'idle-hold': { type: 'string', default: '10' },
    iterations: { type: 'string', default: '500' },
    skip: { type: 'string', default: '' },
    'quiet-wait': { type: 'string', default: '120' },
    'profile-server': { type: 'string' },
    results: { type: 'string', default: path.join(ROOT, 'bench/LIVE-RESULTS.md') },
    'no-record': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
function fail(msg: string): never {
  process.stderr.write(`${msg}\n`);
  process.exit(2);
}
function intOpt(name: keyof typeof opt, min: number, max: number): number {
  const v = Number(opt[name]);
  if (!Number.isInteger(v) || v < min || v > max) fail(`--${name} must be an integer in [${min}, ${max}]`);
  return v;
}
const CLIENTS = intOpt('clients', 2, 20_000);
if (CLIENTS % 2 !== 0) fail('--clients must be even (the clients form pairs)');
const PAIRS = CLIENTS / 2;
const RATES = String(opt.rates)
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)
  .map(Number);
if (RATES.length === 0 || RATES.some((r) => !Number.isInteger(r) || r < 1 || r > 100_000)) fail('--rates must be a comma list of integers in [1, 100000]');
const STEP_S = intOpt('step-seconds', 1, 600);
const WARMUP_S = intOpt('warmup', 0, 120);
const VIA = opt.via === 'http' ? 'http' : opt.via === 'socket' ? 'socket' : fail('--via must be socket or http');
const STOP_P99_MS = intOpt('stop-p99', 1, 600_000);
const MAX_OUTSTANDING = intOpt('max-outstanding', 100, 1_000_000);
const IDLE_CLIENTS = intOpt('idle-clients', 1, 60_000);
const IDLE_SESSIONS = intOpt('idle-sessions', 1, 10_000);
const IDLE_HOLD_S = intOpt('idle-hold', 1, 600);
const ITERATIONS = intOpt('iterations', 20, 100_000);
const QUIET_WAIT_S = intOpt('quiet-wait', 0, 1800);
const PROFILE_DIR = opt['profile-server'] ? path.resolve(opt['profile-server']) : undefined;
const SKIP = new Set(String(opt.skip).split(',').map((s) => s.trim()).filter(Boolean));
for (const s of SKIP) if (!['idle', 'load', 'breakdown'].includes(s)) fail(`--skip: unknown part "${s}" (idle, load, breakdown)`);
const KIND = opt.db === 'embedded' ? 'embedded' : opt.db === 'external' ? 'external' : fail('--db must be external or embedded');
const EXTERNAL_ADMIN_URL = String(opt['external-url']);
if (!isLoopback(new URL(EXTERNAL_ADMIN_URL).hostname)) fail('--external-url must point at a loopback address');
const NATS_URL = opt.nats === 'none' ? undefined : String(opt.nats);
if (NATS_URL && !isLoopback(new URL(NATS_URL).hostname)) fail('--nats must point at a loopback address (or be none)');
const RESULTS_FILE = path.resolve(String(opt.results));
const COMMAND = ['node', ...process.execArgv, path.relative(process.cwd(), process.argv[1] ?? 'bench/live-delivery.ts') || 'bench/live-delivery.ts', ...process.argv.slice(2)].join(' ');

const cleanups = new Cleanups();
cleanups.installHandlers();
/** openRuntime, unless the run was interrupted (with embedded PostgreSQL it starts a cluster in this process). */
const openRuntimeChecked = (...args: Parameters<typeof openRuntime>): ReturnType<typeof openRuntime> => {
  cleanups.check();
  return openRuntime(...args);
};
const hex = (n: number) => randomBytes(n).toString('hex');
const waitQuiet = (what: string) => waitQuietFor({ maxSeconds: QUIET_WAIT_S, what, stop: () => cleanups.interrupted });
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const mib = (b: number) => f0(b / MIB);

/** A promise that fails after `ms` (the SDK's own calls have no deadline). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

// ───────────────────────────── the database and the server ─────────────────────────────

interface Target {
  kind: 'embedded' | 'external';
  dataDir: string;
  dbName: string;
  /** external: the bench database; embedded: undefined (Haven starts PostgreSQL in dataDir). */
  databaseUrl?: string;
  pgPort?: number;
}

async function prepareTarget(): Promise<Target> {
  cleanups.check();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'haven-bench-live-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  if (KIND === 'embedded') return { kind: KIND, dataDir, dbName: 'haven', pgPort: await freePort(55432) };
  const dbName = `haven_bench_live_${hex(4)}`;
  await withAdmin(EXTERNAL_ADMIN_URL, (c) => c.query(`CREATE DATABASE ${dbName}`));
  cleanups.push(async () => {
    await withAdmin(EXTERNAL_ADMIN_URL, (c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
  });
  return { kind: KIND, dataDir, dbName, databaseUrl: databaseUrl(EXTERNAL_ADMIN_URL, dbName) };
}

/** The URL this process uses for the target database while the child server runs it. */
function inspectUrl(t: Target): string {
  if (t.databaseUrl) return t.databaseUrl;
  const password = readFileSync(path.join(t.dataDir, 'pg.secret'), 'utf8').trim();
  return `postgres://haven:${encodeURIComponent(password)}@127.0.0.1:${t.pgPort}/haven`;
}

/** Haven's configuration as the child has it (same data dir, so the same master key file). */
function runtimeConfig(t: Target, databaseUrlOverride?: string): Config {
  const url = databaseUrlOverride ?? t.databaseUrl;
  return loadConfig(
    { HAVEN_ENV: 'production', DATA_DIR: t.dataDir },
    { host: '127.0.0.1', port: 0, ...(url ? { databaseUrl: url } : {}), embeddedPgPort: t.pgPort ?? 55432, demoSeed: false, logLevel: 'warn' },
  );
}
const quietLogger = () => createLogger('error', process.stderr);

/** PIDs and CPU seconds of the PostgreSQL processes that work for this run. */
class PgProcesses {
  constructor(
    private readonly t: Target,
    private readonly pool: pg.Pool,
  ) {}

  /**
   * Embedded: the postmaster and all its children. External (shared with other databases): the backends of the
   * bench database plus the cluster's background processes (WAL writer, checkpointer, ...), which serve everyone.
   */
  async cpu(): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    if (this.t.kind === 'embedded') {
      let pm = NaN;
      try {
        pm = Number(readFileSync(path.join(this.t.dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
      } catch {
        return out;
      }
      for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        const st = procStat(Number(name));
        if (st && (Number(name) === pm || st.ppid === pm)) out.set(Number(name), st.cpuS);
      }
      return out;
    }
    const { rows } = await this.pool.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE (datname = current_database() OR datname IS NULL) AND pid <> pg_backend_pid()',
    );
    for (const { pid } of rows) {
      const st = procStat(pid);
      if (st) out.set(pid, st.cpuS);
    }
    return out;
  }
}
/** CPU seconds between two snapshots: processes that appeared meanwhile count whole, those that ended are lost. */
function pgDelta(a: Map<number, number>, b: Map<number, number>): number {
  let s = 0;
  for (const [pid, cpu] of b) s += cpu - (a.get(pid) ?? 0);
  return s;
}

/** The nats-server process serving `url` (matched by its -p/--port argument), if it runs on this machine. */
function natsPid(url: string | undefined): number | undefined {
  if (!url) return undefined;
  const port = new URL(url).port || '4222';
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    if (procStat(Number(name))?.comm !== 'nats-server') continue;
    let args: string[] = [];
    try {
      args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const i = args.findIndex((a) => a === '-p' || a === '--port');
    if ((i >= 0 ? args[i + 1] : '4222') === port) return Number(name);
  }
  return undefined;
}
function natsVersion(pid: number | undefined): string {
  if (!pid) return 'unknown';
  try {
    const out = execFileSync(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!, ['--version'], { encoding: 'utf8' });
    return /v?\d+\.\d+\.\d+/.exec(out)?.[0] ?? out.trim();
  } catch {
    return 'unknown';
  }
}

interface ProbeLine {
  at: number;
  windowMs: number;
  samples: number;
  lag: { mean: number; p50: number; p90: number; p99: number; max: number };
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };
  gcMs?: number;
}

/** The event-loop probe inside the server (bench/probes/loop-lag.mjs), driven by SIGUSR2. */
class Probe {
  constructor(
    readonly file: string,
    readonly pid: number,
  ) {}

  private lines(): string[] {
    try {
      return readFileSync(this.file, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  get loaded(): boolean {
    return this.lines().some((l) => l.includes('"probe":"ready"') && l.includes(`"pid":${this.pid}`));
  }

  /** Ends the probe's current window: its event-loop delay since the last mark, and memory (after a full GC if asked). */
  async mark(gc = false): Promise<ProbeLine | undefined> {
    if (!this.loaded) return undefined;
    const before = this.lines().length;
    if (gc) writeFileSync(`${this.file}.gc`, '');
    try {
      process.kill(this.pid, 'SIGUSR2');
    } catch {
      return undefined;
    }
    for (let i = 0; i < 300; i++) {
      await sleep(10);
      const lines = this.lines();
      if (lines.length > before) return JSON.parse(lines[lines.length - 1]!) as ProbeLine;
    }
    return undefined;
  }
}

// ───────────────────────────── CPU windows ─────────────────────────────

interface Snap {
  at: number;
  machineBusy: number;
  server: number;
  pg: Map<number, number>;
  nats: number;
  gen: number;
}
interface CpuWindow {
  seconds: number;
  /** Percent of one core. */
  serverPct: number;
  pgPct: number;
  natsPct: number;
  genPct: number;
  /** Busy cores of the whole machine, and of everything that is not ours (other sessions' tests, ...). */
  machineCores: number;
  otherCores: number;
}
interface Watched {
  serverPid: number;
  pgProcs: PgProcesses;
  natsPid?: number;
}
async function snap(w: Watched): Promise<Snap> {
  const pgCpu = await w.pgProcs.cpu();
  const u = process.cpuUsage();
  return {
    at: performance.now(),
    machineBusy: machineCpu().busy,
    server: procStat(w.serverPid)?.cpuS ?? NaN,
    pg: pgCpu,
    nats: w.natsPid ? (procStat(w.natsPid)?.cpuS ?? NaN) : NaN,
    gen: (u.user + u.system) / 1e6,
  };
}
function cpuWindow(a: Snap, b: Snap): CpuWindow {
  const seconds = (b.at - a.at) / 1000;
  const server = b.server - a.server;
  const pgS = pgDelta(a.pg, b.pg);
  const nats = b.nats - a.nats;
  const gen = b.gen - a.gen;
  const machineCores = (b.machineBusy - a.machineBusy) / seconds;
  const ours = [server, pgS, nats, gen].filter(Number.isFinite).reduce((x, y) => x + y, 0) / seconds;
  const pct = (x: number) => (100 * x) / seconds;
  return { seconds, serverPct: pct(server), pgPct: pct(pgS), natsPct: pct(nats), genPct: pct(gen), machineCores, otherCores: Math.max(0, machineCores - ours) };
}

// ───────────────────────────── seeding (in-process, through the server's services and stores) ─────────────────────────────

interface Member {
  index: number;
  userId: string;
  role: 'patient' | 'provider';
  pair: number;
  sessionId: string;
  token: string;
}
interface PairPlan {
  index: number;
  threadId: string;
  patient: number;
  provider: number;
}
interface Seed {
  orgId: string;
  members: Member[];
  pairs: PairPlan[];
  seconds: number;
}

const ctxOf = (orgId: string, m: { userId: string; role: Role; sessionId: string }): RequestContext => ({
  actor: { userId: m.userId, orgId, role: m.role, sessionId: m.sessionId },
  address: '127.0.0.1',
  requestId: randomUUID(),
});

/**
 * A user row as UserService.createIdentity writes it (record key, encrypted e-mail and name, e-mail blind index),
 * but without a password: createIdentity would argon2-hash one per user (~20 ms of CPU each), and the bench mints
 * its sessions directly, so nobody signs in with a password.
 */
async function insertUser(rt: Runtime, users: UserStore, tx: Queryable, orgId: string, role: 'patient' | 'provider', email: string, name: string): Promise<string> {
  const id = randomUUID();
  const keyring = rt.services.keyring;
  const keyId = role === 'patient' ? await keyring.createDataKey(tx, orgId, 'patient', id) : await keyring.orgDataKeyId(orgId, 'organization', tx);
  const cipher = rt.services.users.cipher;
  await users.insert(tx, {
    id,
    org_id: orgId,
    role,
    key_id: keyId,
    email_bidx: await emailIndex(keyring, orgId, email, tx),
    email_ct: await cipher.seal(keyId, orgId, id, 'email', email, tx),
    name_ct: await cipher.seal(keyId, orgId, id, 'name', name, tx),
    phone_ct: null,
    dob_ct: null,
    mrn_ct: null,
    mrn_bidx: null,
    department_id: null,
    password_hash: null,
    password_changed_at: null,
  });
  return id;
}

/** An active bearer session, as a completed sign-in (and MFA, for staff) leaves it; returns its id and token. */
async function mintSession(rt: Runtime, store: AuthStore, orgId: string, userId: string, role: Role): Promise<{ sessionId: string; token: string }> {
  const token = randomToken(32);
  const sessionId = randomUUID();
  const idleMinutes = role === 'patient' ? rt.config.sessionIdleMinutesPatient : rt.config.sessionIdleMinutesStaff;
  await store.createSession(rt.db, {
    id: sessionId,
    orgId,
    userId,
    tokenHash: tokenHash(token),
    transport: 'bearer',
    stage: 'active',
    idleTimeoutS: Math.round(idleMinutes * 60),
    expiresAt: new Date(Date.now() + rt.config.sessionAbsoluteHours * 3600_000),
  });
  return { sessionId, token };
}

async function seed(rt: Runtime, pairs: number): Promise<Seed> {
  const t0 = performance.now();
  const slug = `live-${hex(3)}`;
  // The organization and its first admin, as `haven init` does (one argon2 hash).
  const orgId = await rt.db.transaction().execute(async (tx) => {
    const orgId = await rt.services.orgs.create(tx, { slug, name: `Live bench ${slug}` });
    const { id } = await rt.services.users.createIdentity(tx, { orgId, role: 'admin', email: `admin@${slug}.bench.test`, name: 'Bench Admin' });
    await rt.services.audit.record(tx, { orgId, action: 'users.create', resourceType: 'user', resourceId: id, details: { role: 'admin', via: 'bench' } });
    return orgId;
  });
  const users = new UserStore(rt.db);
  const sessions = new AuthStore(rt.db);
  const members: Member[] = new Array<Member>(pairs * 2);
  const plans = await pmap(range(pairs), 8, async (i) => {
    const ids = await rt.db.transaction().execute(async (tx) => {
      const providerId = await insertUser(rt, users, tx, orgId, 'provider', `provider.${i}@${slug}.bench.test`, `Dr Bench ${i}`);
      const patientId = await insertUser(rt, users, tx, orgId, 'patient', `patient.${i}@patients.${slug}.bench.test`, `Patient Bench ${i}`);
      const teamId = await rt.services.orgs.addCareTeam(tx, orgId, { name: `Care team ${i}`, departmentId: null, memberIds: [providerId] });
      await rt.services.orgs.setPatientCareTeams(tx, orgId, patientId, [teamId]);
      return { providerId, patientId };
    });
    const patient: Member = { index: 2 * i, userId: ids.patientId, role: 'patient', pair: i, ...(await mintSession(rt, sessions, orgId, ids.patientId, 'patient')) };
    const provider: Member = { index: 2 * i + 1, userId: ids.providerId, role: 'provider', pair: i, ...(await mintSession(rt, sessions, orgId, ids.providerId, 'provider')) };
    members[patient.index] = patient;
    members[provider.index] = provider;
    // The thread through the service, as the patient (audited, announced through the outbox).
    const thread = await rt.services.threads.create(ctxOf(orgId, patient), { subject: `Follow-up ${i}`, topic: 'other' });
    return { index: i, threadId: thread.id, patient: patient.index, provider: provider.index } satisfies PairPlan;
  });
  return { orgId, members, pairs: plans, seconds: (performance.now() - t0) / 1000 };
}

// ───────────────────────────── load clients ─────────────────────────────

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

interface LoadClient {
  member: Member;
  http: HavenClient;
  stream?: EventStream;
  closed?: { code: number; reason: string; at: number };
}

/** One message in flight: who sent it to whom, and when it was sent, acknowledged and received. */
interface Sent {
  from: number;
  to: number;
  /** Step index; -1 for warm-up sends. */
  step: number;
  t0: number;
  ackAt?: number;
  recvAt?: number;
  error?: string;
  dups: number;
}

/** Everything the clients observed, across steps. */
class Tracker {
  readonly inflight = new Map<string, Sent>();
  /** Sent and neither delivered nor failed (bounded by --max-outstanding). */
  outstanding = 0;
  acks = 0;
  deliveries = 0;
  /** A client outside the pair received the message: must stay 0. */
  wrongRecipient = 0;
  /** message.created for an id no longer (or never) tracked: late deliveries after their step was counted. */
  untracked = 0;
  errorSamples: string[] = [];

  onEvent(receiver: number, ev: LiveEvent): void {
    if (ev.type !== 'message.created' || !ev.messageId) return;
    const s = this.inflight.get(ev.messageId);
    if (!s) {
      this.untracked++;
      return;
    }
    if (receiver === s.to) {
      if (s.recvAt !== undefined) {
        s.dups++;
        return;
      }
      s.recvAt = performance.now();
      this.deliveries++;
      if (s.error === undefined) this.outstanding--;
    } else if (receiver !== s.from) {
      this.wrongRecipient++;
    }
  }

  acked(s: Sent): void {
    s.ackAt = performance.now();
    this.acks++;
  }

  failed(s: Sent, err: Error): void {
    if (s.error !== undefined) return;
    s.error = err.message;
    if (s.recvAt === undefined) this.outstanding--;
    if (this.errorSamples.length < 5) this.errorSamples.push(err.message);
  }
}

async function connectClients(url: string, seedData: Seed, tracker: Tracker): Promise<{ clients: LoadClient[]; seconds: number; failures: number }> {
  const t0 = performance.now();
  const clients: LoadClient[] = seedData.members.map((m) => ({ member: m, http: new HavenClient({ baseUrl: url, token: m.token, fetch: leanFetch }) }));
  let failures = 0;
  // Patients first, then the providers: every staff socket that opens is told who of the staff is online.
  const order = [...clients.filter((c) => c.member.role === 'patient'), ...clients.filter((c) => c.member.role !== 'patient')];
  await pmap(order, 32, async (c) => {
    if (cleanups.interrupted) return;
    const stream = c.http.events({
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      reconnect: false,
      onEvent: (ev) => tracker.onEvent(c.member.index, ev),
      onClose: (info) => (c.closed = { code: info.code, reason: info.reason, at: performance.now() }),
    });
    try {
      await within(stream.open(), CONNECT_TIMEOUT_MS, 'opening an event socket');
      c.stream = stream;
    } catch (err) {
      failures++;
      if (failures <= 3) log(`client ${c.member.index} could not connect: ${(err as Error).message}`);
    }
  });
  return { clients, seconds: (performance.now() - t0) / 1000, failures };
}

// ───────────────────────────── stepped load ─────────────────────────────

interface StepResult {
  rate: number;
  seconds: number;
  /** Sends issued in the measured window (the generator may lag behind the clock, or skip at --max-outstanding). */
  issued: number;
  skipped: number;
  ackedPerS: number;
  deliveredPerS: number;
  latency: Dist;
  ackLatency: Dist;
  measured: number;
  delivered: number;
  lost: number;
  /** Measured sends that were refused or never acknowledged. */
  unacked: number;
  dups: number;
  /** Deliveries to a client outside the pair since the run began (must stay 0). */
  wrongRecipient: number;
  socketsClosed: number;
  /** How late the generator issued sends against the clock (ms). */
  genLag: Dist;
  /** The load generator's own event-loop delay (ms): receipts are timestamped on that loop, so it inflates latency. */
  genLoopLagP99: number;
  cpu: CpuWindow;
  loopLag?: ProbeLine['lag'];
  serverRss: number;
  errorSamples: string[];
  sustained: boolean;
}

/** Sends due by the clock at `rate` for `seconds`, without waiting for answers. */
async function issue(
  clients: LoadClient[],
  pairs: PairPlan[],
  tracker: Tracker,
  rate: number,
  seconds: number,
  step: number,
  counter: { k: number },
): Promise<{ issued: number; skipped: number; lag: number[] }> {
  const start = performance.now();
  const end = start + seconds * 1000;
  const total = Math.round(rate * seconds);
  const lag: number[] = [];
  let issued = 0;
  let skipped = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      // Send n is due at start + n / rate (the first at once); the epsilon keeps rounding from dropping the last one.
      const due = Math.min(total, Math.floor(((Math.min(now, end) - start) / 1000) * rate + 1e-6) + 1);
      while (issued + skipped < due) {
        const n = issued + skipped;
        if (tracker.outstanding >= MAX_OUTSTANDING) {
          skipped++;
          continue;
        }
        lag.push(performance.now() - (start + (n / rate) * 1000));
        sendOne(clients, pairs, tracker, counter.k++, step);
        issued++;
      }
      if (now >= end || cleanups.interrupted) return resolve();
      setTimeout(tick, 1);
    };
    tick();
  });
  return { issued, skipped, lag };
}

function sendOne(clients: LoadClient[], pairs: PairPlan[], tracker: Tracker, k: number, step: number): void {
  const pair = pairs[k % pairs.length]!;
  // Patient and provider take turns, round by round over the pairs.
  const fromPatient = Math.floor(k / pairs.length) % 2 === 0;
  const from = fromPatient ? pair.patient : pair.provider;
  const to = fromPatient ? pair.provider : pair.patient;
  const id = randomUUID();
  const s: Sent = { from, to, step, t0: performance.now(), dups: 0 };
  tracker.inflight.set(id, s);
  tracker.outstanding++;
  const c = clients[from]!;
  const body = bodyFor(k);
  const sent =
    VIA === 'socket'
      ? c.stream
        ? c.stream.send(pair.threadId, { id, body }).then((r) => r.message.id)
        : Promise.reject(new Error('client is not connected'))
      : c.http.call('messages.create', { params: { threadId: pair.threadId }, body: { id, body } }).then((m) => m.id);
  sent.then(
    (gotId) => (gotId === id ? tracker.acked(s) : tracker.failed(s, new Error('acknowledged with another message id'))),
    (err: Error) => tracker.failed(s, err),
  );
}

/** This process's event-loop delay (the histogram holds resolution + delay; only the delay is reported). */
const GEN_LOOP_RESOLUTION_MS = 10;
const genLoop = monitorEventLoopDelay({ resolution: GEN_LOOP_RESOLUTION_MS });
genLoop.enable();

async function runStep(
  index: number,
  rate: number,
  clients: LoadClient[],
  pairs: PairPlan[],
  tracker: Tracker,
  watched: Watched,
  probe: Probe,
  counter: { k: number },
): Promise<StepResult> {
  await waitQuiet(`the ${rate} msg/s step`);
  if (WARMUP_S > 0) await issue(clients, pairs, tracker, rate, WARMUP_S, -1, counter);
  const closedBefore = clients.filter((c) => c.closed).length;
  const a = await snap(watched);
  await probe.mark();
  genLoop.reset();
  const acks0 = tracker.acks;
  const deliveries0 = tracker.deliveries;
  const w0 = performance.now();
  const run = await issue(clients, pairs, tracker, rate, STEP_S, index, counter);
  const w1 = performance.now();
  const genLoopLagP99 = Math.max(0, genLoop.percentile(99) / 1e6 - GEN_LOOP_RESOLUTION_MS);
  const acks = tracker.acks - acks0;
  const deliveries = tracker.deliveries - deliveries0;
  const b = await snap(watched);
  const lagLine = await probe.mark();
  const serverRss = memoryOf(watched.serverPid).rss;

  // Give the measured sends until 5 s after the step to arrive; then they count as lost.
  const deadline = w1 + LOSS_WINDOW_MS;
  const mine = () => [...tracker.inflight.values()].filter((s) => s.step === index);
  while (performance.now() < deadline && !cleanups.interrupted) {
    if (mine().every((s) => s.recvAt !== undefined || s.error !== undefined)) break;
    await sleep(20);
  }
  const measured = mine();
  const lat: number[] = [];
  const ackLat: number[] = [];
  let lost = 0;
  let unacked = 0;
  let dups = 0;
  for (const s of measured) {
    dups += s.dups;
    if (s.ackAt !== undefined) ackLat.push(s.ackAt - s.t0);
    if (s.recvAt !== undefined && s.recvAt <= deadline) lat.push(s.recvAt - s.t0);
    else if (s.ackAt !== undefined) lost++;
    if (s.ackAt === undefined) unacked++;
  }
  // Forget this step's and the warm-up's sends (late arrivals then count as untracked).
  for (const [id, s] of tracker.inflight) {
    if (s.step === index || s.step === -1) {
      if (s.recvAt === undefined && s.error === undefined) tracker.outstanding--;
      tracker.inflight.delete(id);
    }
  }
  const wrong = tracker.wrongRecipient;
  const latency = dist(lat);
  const seconds = (w1 - w0) / 1000;
  const r: StepResult = {
    rate,
    seconds,
    issued: run.issued,
    skipped: run.skipped,
    ackedPerS: acks / seconds,
    deliveredPerS: deliveries / seconds,
    latency,
    ackLatency: dist(ackLat),
    measured: measured.length,
    delivered: lat.length,
    lost,
    unacked,
    dups,
    wrongRecipient: wrong,
    socketsClosed: clients.filter((c) => c.closed).length - closedBefore,
    genLag: dist(run.lag),
    genLoopLagP99,
    cpu: cpuWindow(a, b),
    loopLag: lagLine?.lag,
    serverRss,
    errorSamples: tracker.errorSamples.splice(0),
    sustained: false,
  };
  // Sustained: the generator kept to the clock, deliveries kept pace within the window (a few in flight at its end
  // aside), and every measured message was acknowledged and delivered in time.
  r.sustained =
    r.measured > 0 && lost === 0 && unacked === 0 && r.skipped === 0 && r.socketsClosed === 0 &&
    r.issued >= 0.98 * rate * STEP_S && deliveries >= 0.95 * r.issued - 5;
  return r;
}

// ───────────────────────────── idle connections ─────────────────────────────

interface IdleResult {
  target: number;
  opened: number;
  failures: number;
  failureSamples: string[];
  sessions: number;
  openSeconds: number;
  openLatency: Dist;
  rssBefore: number;
  rssAfter: number;
  peakRss: number;
  heapBefore?: number;
  heapAfter?: number;
  cpu: CpuWindow;
  loopLag?: ProbeLine['lag'];
  /** Frames the idle sockets received (patients get no presence or typing without activity: expected 0). */
  framesReceived: number;
}

/** Opens one raw socket with a ticket and waits for its `ready` frame. */
function openIdle(url: string, ticket: string, onFrame: () => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/events?ticket=${encodeURIComponent(ticket)}`, { perMessageDeflate: false });
    let ready = false;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no ready frame within 30 s'));
    }, CONNECT_TIMEOUT_MS);
    ws.on('message', (data) => {
      if (!ready && String(data).includes('"type":"ready"')) {
        ready = true;
        clearTimeout(timer);
        resolve(ws);
      } else if (ready) onFrame();
    });
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      reject(new Error(`upgrade refused: HTTP ${res.statusCode}`));
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.on('close', (code) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`closed before ready (${code})`));
    });
  });
}

async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          const timer = setTimeout(() => {
            ws.terminate();
            resolve();
          }, 30_000);
          ws.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          ws.close(1000, 'bye');
        }),
    ),
  );
}

async function idlePhase(rt: Runtime, server: ServerProc, seedData: Seed, watched: Watched, probe: Probe): Promise<IdleResult> {
  const patients = seedData.members.filter((m) => m.role === 'patient');
  const store = new AuthStore(rt.db);
  const sessions = await pmap(range(IDLE_SESSIONS), 16, async (i) => {
    const m = patients[i % patients.length]!;
    return { userId: m.userId, role: m.role, ...(await mintSession(rt, store, seedData.orgId, m.userId, 'patient')) };
  });
  let framesReceived = 0;
  const onFrame = () => framesReceived++;
  // Tickets are single use and live 30 s: minted (in-process, EventService.createTicket) just before each batch.
  const ticketsFor = (n: number, offset: number) =>
    pmap(range(n), 16, async (i) => (await rt.services.events.createTicket(ctxOf(seedData.orgId, sessions[(offset + i) % sessions.length]!))).ticket);

  // Warm-up: the server's socket code paths run once before the baseline is read.
  const warm = await pmap(await ticketsFor(Math.min(200, IDLE_CLIENTS), 0), 50, (t) => openIdle(server.url, t, onFrame));
  await closeAll(warm);
  await sleep(2000);
  await waitQuiet('the idle-socket baseline');
  const before = await probe.mark(true);
  const rssBefore = memoryOf(watched.serverPid).rss;

  log(`idle: opening ${IDLE_CLIENTS} sockets over ${IDLE_SESSIONS} sessions`);
  const sockets: WebSocket[] = [];
  const openLat: number[] = [];
  const failureSamples: string[] = [];
  let failures = 0;
  const t0 = performance.now();
  const BATCH = 500;
  for (let offset = 0; offset < IDLE_CLIENTS && !cleanups.interrupted; offset += BATCH) {
    const tickets = await ticketsFor(Math.min(BATCH, IDLE_CLIENTS - offset), offset);
    await pmap(tickets, 100, async (ticket) => {
      const s0 = performance.now();
      try {
        sockets.push(await openIdle(server.url, ticket, onFrame));
        openLat.push(performance.now() - s0);
      } catch (err) {
        failures++;
        if (failureSamples.length < 3) failureSamples.push((err as Error).message);
      }
    });
  }
  const openSeconds = (performance.now() - t0) / 1000;
  log(`idle: ${sockets.length} open (${failures} failed) in ${f1(openSeconds)} s; holding ${IDLE_HOLD_S} s`);
  await sleep(2000);
  const a = await snap(watched);
  await probe.mark();
  await sleep(IDLE_HOLD_S * 1000);
  const b = await snap(watched);
  const lag = await probe.mark();
  const mem = memoryOf(watched.serverPid);
  const after = await probe.mark(true);
  await closeAll(sockets);
  return {
    target: IDLE_CLIENTS,
    opened: sockets.length,
    failures,
    failureSamples,
    sessions: IDLE_SESSIONS,
    openSeconds,
    openLatency: dist(openLat),
    rssBefore,
    rssAfter: mem.rss,
    peakRss: mem.peak,
    heapBefore: before?.memory.heapUsed,
    heapAfter: after?.memory.heapUsed,
    cpu: cpuWindow(a, b),
    loopLag: lag?.lag,
    framesReceived,
  };
}

// ───────────────────────────── per-stage cost (in-process) ─────────────────────────────

interface StageRow {
  key: string;
  stage: string;
  label: string;
  trips: number;
  d: Dist;
  /** Part of the one-message path (summed); false for reference rows. */
  inPath: boolean;
}
interface Breakdown {
  rows: StageRow[];
  serviceSend: Dist;
  sealPerEventUs: number;
  bus?: Dist;
  batch: { size: number; relayPerMsgUs: number; preparePerMsgUs: number };
  concurrentInserts: { callers: number; perS: number; meanMs: number };
}

const us = (t0: number) => (performance.now() - t0) * 1000;

/** Two connected sockets on a loopback ws server in this process: the server side of each is what Haven writes to. */
async function socketPair(): Promise<{ sides: WebSocket[]; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const port = (wss.address() as { port: number }).port;
  const sides: WebSocket[] = [];
  const accepted = new Promise<void>((r) =>
    wss.on('connection', (ws) => {
      sides.push(ws);
      if (sides.length === 2) r();
    }),
  );
  const clients = [0, 1].map(() => new WebSocket(`ws://127.0.0.1:${port}`));
  for (const c of clients) c.on('message', () => undefined);
  await accepted;
  return {
    sides,
    async close() {
      for (const c of clients) c.terminate();
      await new Promise((r) => wss.close(r));
    },
  };
}

async function breakdown(t: Target, seedData: Seed): Promise<Breakdown> {
  await waitQuiet('the per-stage breakdown');
  const rt = await openRuntimeChecked(runtimeConfig(t), quietLogger());
  const pair = await socketPair();
  let bus: NatsBus | undefined;
  try {
    const services = rt.services;
    const store = new MessageStore(rt.db, services.audit, services.outbox);
    const orgId = seedData.orgId;
    const plans = seedData.pairs.slice(0, Math.min(50, seedData.pairs.length));
    const who = (i: number) => {
      const p = plans[i % plans.length]!;
      const fromPatient = Math.floor(i / plans.length) % 2 === 0;
      const m = seedData.members[fromPatient ? p.patient : p.provider]!;
      const other = seedData.members[fromPatient ? p.provider : p.patient]!;
      return { p, m, other, ctx: ctxOf(orgId, m) };
    };
    const rows = new Map<string, StageRow>();
    const row = (key: string, stage: string, label: string, trips: number, inPath = true) => rows.set(key, { key, stage, label, trips, d: dist([]), inPath });
    row('auth_socket', 'auth', "session re-check for the socket's frame (EventService.subscriberForSession: sessions ⋈ users by id)", 1);
    row('auth_http', 'auth', '(HTTP path instead: AuthService.authenticate, token hash lookup, batched; not in the sum)', 1, false);
    row('policy', 'auth', 'thread + access policy (ThreadService.require)', 1);
    row('hash_tokens', 'encrypt', 'content hash and blind-index tokens (HMAC-SHA-256)', 0);
    row('encrypt', 'encrypt', 'AES-256-GCM of the body (cached data key)', 0);
    row('audit_event', 'audit', 'audit event prepared: id, canonical JSON, SHA-256 digest (AuditService.eventFor)', 0);
    row('insert', 'insert', 'the send statement: message, version, search tokens, thread, audit row, outbox row; COMMIT and WAL flush', 1);
    row('ack', 'respond', "'sent' frame to the sender (serialize + ws.send)", 0);
    row('relay', 'fan-out', 'relay: stream position (UPDATE … RETURNING), audience (policy over care teams), batch serialized for the bus', 2);
    row('prepare', 'fan-out', 'node: batch parsed, message loaded and decrypted once (MessageService.forDelivery), frames built', 1);
    row('deliver', 'fan-out', 'frames written to the 2 sockets of the audience (ws.send × 2)', 0);
    const values = new Map<string, number[]>([...rows.keys()].map((k) => [k, []]));
    const rec = (key: string, t0: number, keep: boolean) => {
      if (keep) values.get(key)!.push(us(t0));
    };
    const sides = pair.sides;
    const warm = Math.max(20, Math.floor(ITERATIONS / 10));
    log(`breakdown: ${ITERATIONS} messages one at a time, stage by stage`);
    await rt.db.connection().execute(async (conn) => {
      // Whatever the server left unpositioned is positioned first (not timed).
      let publishedTo = (await services.eventStore.relayState(conn)).publishedTo;
      for (let n = 0; n < 100; n++) {
        const left = await services.eventStore.assignPositions(conn, publishedTo, 1000);
        if (left.length === 0) break;
        publishedTo = left[left.length - 1]!.position;
      }
      for (let i = 0; i < warm + ITERATIONS && !cleanups.interrupted; i++) {
        const keep = i >= warm;
        const { p, m, other, ctx } = who(i);
        const body = bodyFor(i);
        let t0 = performance.now();
        await services.events.subscriberForSession(m.sessionId, true);
        rec('auth_socket', t0, keep);
        t0 = performance.now();
        await services.auth.authenticate(m.token);
        rec('auth_http', t0, keep);
        t0 = performance.now();
        const { thread } = await services.threads.require(ctx, p.threadId, 'messages.send');
        rec('policy', t0, keep);
        t0 = performance.now();
        const hash = hmac(await services.keyring.dataKey(thread.key_id), `haven-content|${body}`);
        const tokens = await services.messages.searchTokens(thread.org_id, body);
        rec('hash_tokens', t0, keep);
        const id = randomUUID();
        t0 = performance.now();
        const bodyCt = await services.keyring.encrypt(thread.key_id, body, bodyAad(thread.org_id, thread.id, id, 1));
        rec('encrypt', t0, keep);
        t0 = performance.now();
        const audit = services.audit.eventFor(ctx, { action: 'messages.create', resourceType: 'message', resourceId: id, patientId: thread.patient_id, details: { threadId: thread.id } });
        rec('audit_event', t0, keep);
        const at = new Date();
        t0 = performance.now();
        const seq = await store.insert({ id, orgId: thread.org_id, threadId: thread.id, senderId: m.userId, senderRole: m.role, createdAt: at, bodyCt, contentHash: hash, tokens, audit });
        rec('insert', t0, keep);
        if (seq === null) throw new Error('the send statement inserted nothing');
        t0 = performance.now();
        const message = { id, threadId: thread.id, senderId: m.userId, senderRole: m.role, body, createdAt: at.toISOString(), edited: false, editedAt: null, version: 1, retracted: false, retractedAt: null, contentHash: hash.toString('hex'), receipts: [] };
        sides[0]!.send(JSON.stringify({ type: 'sent', ref: `r${i}`, message, replayed: false }));
        rec('ack', t0, keep);
        // The relay, for this one message.
        t0 = performance.now();
        const events = await services.eventStore.assignPositions(conn, publishedTo, 1000);
        const threadIds = [...new Set(events.filter((e) => e.threadId && !e.userId).map((e) => e.threadId!))];
        const audience = await services.threads.audience(threadIds, [orgId]);
        const relayed: RelayedEvent[] = events.map((e) => ({ ...e, audience: e.userId ? [e.userId] : (audience.get(e.threadId ?? '') ?? []).map((v) => v.userId) }));
        const payload = JSON.stringify({ from: publishedTo, to: events[events.length - 1]?.position ?? publishedTo, events: relayed } satisfies RelayBatch);
        rec('relay', t0, keep);
        if (events.length > 0) publishedTo = events[events.length - 1]!.position;
        // The node that holds the sockets.
        t0 = performance.now();
        const batch = JSON.parse(payload) as RelayBatch;
        const local = new Set([m.userId, other.userId]);
        const prepared = await services.events.prepare(batch.events.filter((e) => e.audience.some((u) => local.has(u))));
        const frames = prepared.flatMap((ev) => [...ev.audience].map((u) => ({ u, frame: ev.frame(u === m.userId ? m.role : other.role) })));
        rec('prepare', t0, keep);
        t0 = performance.now();
        for (const [j, f] of frames.entries()) if (f.frame) sides[j % 2]!.send(f.frame);
        rec('deliver', t0, keep);
        if (keep && frames.length !== 2) throw new Error(`expected the message to reach 2 sockets, got ${frames.length}`);
      }
    });
    for (const [k, v] of values) rows.get(k)!.d = dist(v);

    // The background sealer chains what was just written: its cost per event, amortized over its batches.
    let t0 = performance.now();
    const sealed = await services.audit.seal(orgId);
    const sealPerEventUs = sealed > 0 ? us(t0) / sealed : NaN;

    log('breakdown: whole MessageService.send, relay and node at a batch of 25, concurrent inserts');
    const serviceLat: number[] = [];
    for (let i = 0; i < warm + ITERATIONS && !cleanups.interrupted; i++) {
      const { p, ctx } = who(i);
      t0 = performance.now();
      await services.messages.send(ctx, p.threadId, { id: randomUUID(), body: bodyFor(i) });
      if (i >= warm) serviceLat.push(us(t0));
    }
    // Relay and node cost per message when a batch carries 25 messages (as under load).
    const SIZE = 25;
    let relayUs = 0;
    let prepareUs = 0;
    let batches = 0;
    await rt.db.connection().execute(async (conn) => {
      let publishedTo = (await services.eventStore.relayState(conn)).publishedTo;
      await services.eventStore.assignPositions(conn, publishedTo, 100_000);
      publishedTo = (await services.eventStore.relayState(conn)).publishedTo;
      for (let b = 0; b < 20 && !cleanups.interrupted; b++) {
        await Promise.all(range(SIZE).map((j) => services.messages.send(who(b * SIZE + j).ctx, who(b * SIZE + j).p.threadId, { id: randomUUID(), body: bodyFor(j) })));
        let t1 = performance.now();
        const events = await services.eventStore.assignPositions(conn, publishedTo, 1000);
        const threadIds = [...new Set(events.filter((e) => e.threadId && !e.userId).map((e) => e.threadId!))];
        const audience = await services.threads.audience(threadIds, [orgId]);
        const payload = JSON.stringify({ from: publishedTo, to: events[events.length - 1]?.position ?? publishedTo, events: events.map((e) => ({ ...e, audience: (audience.get(e.threadId ?? '') ?? []).map((v) => v.userId) })) });
        if (b >= 2) relayUs += us(t1);
        if (events.length > 0) publishedTo = events[events.length - 1]!.position;
        t1 = performance.now();
        const batch = JSON.parse(payload) as RelayBatch;
        const prepared = await services.events.prepare(batch.events);
        for (const ev of prepared) for (const u of ev.audience) ev.frame(seedData.members.find((x) => x.userId === u)?.role ?? 'patient');
        if (b >= 2) {
          prepareUs += us(t1);
          batches++;
        }
      }
    });
    // Concurrent send statements, as the server's group commit shares them (database side only: no auth, no policy).
    const keyIds = new Map<string, string>();
    for (const p of plans) keyIds.set(p.threadId, (await services.threads.require(ctxOf(orgId, seedData.members[p.patient]!), p.threadId)).thread.key_id);
    const callers = rt.config.dbPoolSize;
    const end = performance.now() + 4000;
    let done = 0;
    const lat: number[] = [];
    await Promise.all(
      range(callers).map(async (w) => {
        for (let i = 0; performance.now() < end && i < 1_000_000 && !cleanups.interrupted; i++) {
          const { p, m, ctx } = who(w + i * callers);
          const keyId = keyIds.get(p.threadId)!;
          const id = randomUUID();
          const body = bodyFor(i);
          const insert = {
            id, orgId, threadId: p.threadId, senderId: m.userId, senderRole: m.role, createdAt: new Date(),
            bodyCt: await services.keyring.encrypt(keyId, body, bodyAad(orgId, p.threadId, id, 1)),
            contentHash: hmac(await services.keyring.dataKey(keyId), `haven-content|${body}`),
            tokens: await services.messages.searchTokens(orgId, body),
            audit: services.audit.eventFor(ctx, { action: 'messages.create', resourceType: 'message', resourceId: id, details: { threadId: p.threadId } }),
          };
          const s0 = performance.now();
          await store.insert(insert);
          lat.push(performance.now() - s0);
          done++;
        }
      }),
    );
    // The bus hop: a 1-event batch published on NATS and received back through nats-server.
    let busDist: Dist | undefined;
    if (NATS_URL) {
      bus = await NatsBus.connect(NATS_URL, `haven_bench_rt_${hex(4)}`, quietLogger());
      const sample = JSON.stringify({ from: '1', to: '2', events: [{ position: '2', orgId, kind: 'message.created', threadId: plans[0]!.threadId, userId: null, messageId: randomUUID(), actorId: seedData.members[0]!.userId, data: {}, at: new Date().toISOString(), audience: [seedData.members[0]!.userId, seedData.members[1]!.userId] }] });
      let resolveOne: (() => void) | undefined;
      bus.subscribe('rt', () => resolveOne?.());
      const trips: number[] = [];
      for (let i = 0; i < 20 + 500; i++) {
        const got = new Promise<void>((r) => (resolveOne = r));
        t0 = performance.now();
        bus.publish('rt', sample);
        await within(got, 5000, 'NATS round trip');
        if (i >= 20) trips.push(us(t0));
      }
      busDist = dist(trips);
    }
    await services.audit.seal(orgId);
    return {
      rows: [...rows.values()],
      serviceSend: dist(serviceLat),
      sealPerEventUs,
      bus: busDist,
      batch: { size: SIZE, relayPerMsgUs: relayUs / Math.max(1, batches) / SIZE, preparePerMsgUs: prepareUs / Math.max(1, batches) / SIZE },
      concurrentInserts: { callers, perS: done / 4, meanMs: dist(lat).mean },
    };
  } finally {
    await bus?.close();
    await pair.close();
    await rt.close();
  }
}

// ───────────────────────────── report ─────────────────────────────

interface RunResult {
  date: string;
  code: string[];
  pgVersion: string;
  natsVersion?: string;
  natsPrefix?: string;
  framesPerSecond: number;
  poolSize: number;
  seedSeconds: number;
  connect?: { seconds: number; failures: number; clients: number };
  /** The clients connected and no messages: the server's fixed work (session re-checks, relay polling, heartbeats). */
  baseline?: { cpu: CpuWindow; loopLag?: ProbeLine['lag'] };
  steps: StepResult[];
  stopped?: string;
  idle?: IdleResult;
  breakdown?: Breakdown;
  serverErrors: string[];
  untrackedEvents: number;
  profile?: string;
}

/** Other processes' cores above which a step is flagged as disturbed. */
const OTHER_CORES_WARN = 0.3;

const highest = (steps: StepResult[], ok: (s: StepResult) => boolean) => steps.filter(ok).reduce<StepResult | undefined>((best, s) => (!best || s.rate > best.rate ? s : best), undefined);
const meets25 = (s: StepResult) => s.sustained && s.latency.p99 <= 25;
const meets100 = (s: StepResult) => s.sustained && s.latency.p99 <= 100;

function verdict(ok: boolean | undefined): string {
  return ok === undefined ? 'not measured' : ok ? '**met**' : '**NOT met**';
}

function collectMetrics(r: RunResult): Metrics {
  const m: Metrics = {};
  const put = (k: string, v: number | undefined) => putMetric(m, k, v);
  for (const s of r.steps) {
    const k = `r${s.rate}`;
    put(`${k}.delivered_msg_per_s`, s.deliveredPerS);
    put(`${k}.p50_ms`, s.latency.p50);
    put(`${k}.p99_ms`, s.latency.p99);
    put(`${k}.lost`, s.lost);
    put(`${k}.server_cpu_pct`, s.cpu.serverPct);
    put(`${k}.loop_lag_p99_ms`, s.loopLag?.p99);
  }
  put('baseline.server_cpu_pct', r.baseline?.cpu.serverPct);
  put('baseline.pg_cpu_pct', r.baseline?.cpu.pgPct);
  put('best_p99_25ms.msg_per_s', highest(r.steps, meets25)?.rate);
  put('best_p99_100ms.msg_per_s', highest(r.steps, meets100)?.rate);
  if (r.idle) {
    put('idle.rss_bytes', r.idle.rssAfter);
    put('idle.bytes_per_connection', (r.idle.rssAfter - r.idle.rssBefore) / Math.max(1, r.idle.opened));
    put('idle.loop_lag_p99_ms', r.idle.loopLag?.p99);
  }
  for (const row of r.breakdown?.rows ?? []) put(`stage.${row.key}_us`, row.d.mean);
  return m;
}

function render(r: RunResult, prev: PreviousRun | undefined, metrics: Metrics): string {
  const L: string[] = [];
  const cores = os.cpus().length;
  L.push(`## Run ${r.date}`);
  L.push('');
  L.push(`- Command: \`${COMMAND}\``);
  L.push(`- Machine: ${machineFacts()}`);
  const codes = [...new Set(r.code)];
  L.push(codes.length === 1 ? `- Code under test: ${codes[0]}` : `- Code under test: **the work tree changed during this run** — ${codes.join(' → ')}`);
  L.push(`- PostgreSQL: ${KIND === 'external' ? "the machine's" : 'embedded'} ${r.pgVersion}; bus: ${NATS_URL ? `NATS ${r.natsVersion} at ${NATS_URL}, subject prefix \`${r.natsPrefix}\`` : 'in-process (--nats none)'}`);
  L.push(
    `- Setup: server = \`haven start\` in a child process (HAVEN_ENV=production, DB pool ${r.poolSize}, log level info to a file, event-loop probe via NODE_OPTIONS, ` +
      `EVENT_SOCKET_FRAMES_PER_SECOND ${r.framesPerSecond}${r.framesPerSecond !== 20 ? ' (raised from 20 because each client sends faster than that)' : ''}${r.profile ? `, --cpu-prof to ${r.profile}` : ''}); ` +
      `${CLIENTS} clients = ${PAIRS} pairs (patient_i and provider_i on their own care team, one thread each), sessions minted in-process, tickets over HTTP; ` +
      `sent over ${VIA === 'socket' ? 'the event socket (SDK EventStream.send)' : 'HTTP (messages.create, node:http keep-alive)'}, received on the sockets; ` +
      `open-loop, warm-up ${WARMUP_S} s + ${STEP_S} s measured per step; loss window ${LOSS_WINDOW_MS / 1000} s; loopback only.`,
  );
  L.push(`- Seeding ${f1(r.seedSeconds)} s${r.connect ? `; connecting ${r.connect.clients} clients ${f1(r.connect.seconds)} s (${r.connect.failures} failed)` : ''}.`);
  L.push('');

  // Targets
  const at2500 = r.steps.find((s) => s.rate === 2500);
  const best25 = highest(r.steps, meets25);
  const best100 = highest(r.steps, meets100);
  const top = best100 ?? r.steps[0];
  L.push('### Targets (issue #3)');
  L.push('');
  L.push('| target | measured | met? |');
  L.push('| --- | --- | --- |');
  L.push(
    `| ${CLIENTS === 1000 ? '1,000' : `${CLIENTS} (not 1,000)`} connected clients sustain 2,500 msg/s (persisted, encrypted, audited) with p99 ≤ 25 ms and zero loss | ${
      at2500 ? `${f0(at2500.deliveredPerS)} msg/s delivered, p99 ${f1(at2500.latency.p99)} ms, lost ${at2500.lost}, unacknowledged ${at2500.unacked}` : 'no 2,500 msg/s step'
    } | ${at2500 && CLIENTS === 1000 ? verdict(meets25(at2500)) : 'not measured'} |`,
  );
  L.push(`| highest step with p99 ≤ 25 ms and zero loss (issue's reference: an XMPP server with PostgreSQL archiving ≈ 500 msg/s here) | ${best25 ? `${f0(best25.rate)} msg/s (p99 ${f1(best25.latency.p99)} ms)` : 'none'} | report |`);
  L.push(`| highest rate sustained with p99 ≤ 100 ms (reference: that XMPP server saturates near 1,200 msg/s) | ${best100 ? `${f0(best100.rate)} msg/s (p99 ${f1(best100.latency.p99)} ms)` : 'none'} | report |`);
  if (r.idle) {
    const per = (r.idle.rssAfter - r.idle.rssBefore) / Math.max(1, r.idle.opened);
    L.push(`| ${f0(r.idle.target)} connected idle clients on one node: RSS ≤ 1 GiB | ${mib(r.idle.rssAfter)} MiB with ${f0(r.idle.opened)} open (${f0(per)} bytes per connection) | ${r.idle.opened === 10_000 ? verdict(r.idle.rssAfter <= GIB) : 'not measured (not 10,000 open)'} |`);
  } else {
    L.push('| 10,000 connected idle clients on one node: RSS ≤ 1 GiB | skipped | not measured |');
  }
  L.push(`| event-loop lag under load, p99 | ${top?.loopLag ? `${f1(top.loopLag.p99)} ms at ${f0(top.rate)} msg/s (max ${f1(top.loopLag.max)} ms)` : 'n/a'} | report |`);
  L.push('');

  // Steps
  if (r.steps.length) {
    L.push('### 1. Stepped load');
    L.push('');
    L.push(
      `| offered msg/s | issued | acked msg/s | delivered msg/s | latency p50 / p95 / p99 / max ms | ack p50 / p99 ms | lost | unacked | dup. | closed sockets | server CPU % | PostgreSQL CPU % | NATS CPU % | load gen. CPU % | busy cores of ${cores} (other processes) | server event-loop lag p99 / max ms | server RSS MiB | load gen.: sends late p99 / loop lag p99 ms |`,
    );
    L.push(`|${' --- |'.repeat(18)}`);
    if (r.baseline) {
      const c = r.baseline.cpu;
      const lag = r.baseline.loopLag;
      L.push(`| 0 (connected, no messages: baseline) | | | | | | | | | | ${f1(c.serverPct)} | ${f1(c.pgPct)} | ${f1(c.natsPct)} | ${f1(c.genPct)} | ${f2(c.machineCores)} (${f2(c.otherCores)}) | ${lag ? `${f1(lag.p99)} / ${f1(lag.max)}` : 'n/a'} | | |`);
    }
    for (const s of r.steps) {
      const l = s.latency;
      L.push(
        `| ${s.sustained ? '' : '⚠ '}${s.cpu.otherCores > OTHER_CORES_WARN ? '⛔ ' : ''}${f0(s.rate)} | ${f0(s.issued)}${s.skipped ? ` (+${f0(s.skipped)} skipped)` : ''} | ${f0(s.ackedPerS)} | **${f0(s.deliveredPerS)}** | ${f1(l.p50)} / ${f1(l.p95)} / **${f1(l.p99)}** / ${f1(l.max)} | ${f1(s.ackLatency.p50)} / ${f1(s.ackLatency.p99)} | ${s.lost} | ${s.unacked} | ${s.dups} | ${s.socketsClosed} | ${f0(s.cpu.serverPct)} | ${f0(s.cpu.pgPct)} | ${f0(s.cpu.natsPct)} | ${f0(s.cpu.genPct)} | ${f2(s.cpu.machineCores)} (${f2(s.cpu.otherCores)}) | ${s.loopLag ? `${f1(s.loopLag.p99)} / ${f1(s.loopLag.max)}` : 'n/a'} | ${mib(s.serverRss)} | ${f1(s.genLag.p99)} / ${f1(s.genLoopLagP99)} |`,
      );
    }
    L.push('');
    L.push(
      'CPU % is of one core (100 = one core busy for the whole window). ⚠ = not sustained (a loss, an unacknowledged send, a closed socket, deliveries fell behind the sends, or the generator fell behind the clock). ' +
        `⛔ = other processes used more than ${OTHER_CORES_WARN} cores during the step: its numbers do not describe Haven alone. ` +
        `"issued" counts sends in the measured window (target: rate × ${STEP_S} s). PostgreSQL CPU ${KIND === 'external' ? 'counts the bench database\'s backends and the cluster\'s background processes (shared with other databases)' : 'counts the embedded postmaster and all its children'}.`,
    );
    const wrong = Math.max(...r.steps.map((s) => s.wrongRecipient));
    L.push('');
    L.push(`Deliveries to a client outside the pair (must be 0): ${wrong}. Events for messages no longer tracked (late, after their step was counted): ${r.untrackedEvents}.`);
    const errs = r.steps.flatMap((s) => s.errorSamples);
    if (errs.length) L.push(`Send errors (first few): ${[...new Set(errs)].slice(0, 5).map((e) => `\`${e}\``).join('; ')}`);
    if (r.stopped) L.push(`Stepping stopped: ${r.stopped}.`);
    L.push(r.serverErrors.length ? `Server logged ${r.serverErrors.length} error line(s): ${r.serverErrors.slice(0, 3).map((e) => `\`${e.slice(0, 200)}\``).join('; ')}` : 'Server logged no errors.');
    L.push('');
    L.push(
      'CPU per delivered message (µs): CPU time of each process during the step ÷ messages delivered in it; in brackets, the same above the baseline ' +
        '(the fixed work of keeping the clients connected subtracted), which is what each further message costs:',
    );
    L.push('');
    L.push('| offered msg/s | server | PostgreSQL | NATS | load generator | server + PostgreSQL + NATS |');
    L.push('| --- | --- | --- | --- | --- | --- |');
    const base = r.baseline?.cpu;
    for (const s of r.steps) {
      const per = (pct: number) => ((pct / 100) * 1e6) / Math.max(1, s.deliveredPerS);
      const both = (pct: number, basePct: number | undefined) => `${f0(per(pct))}${basePct !== undefined && Number.isFinite(basePct) ? ` (${f0(per(pct - basePct))})` : ''}`;
      const n = (x: number) => (Number.isFinite(x) ? x : 0);
      const sum = s.cpu.serverPct + s.cpu.pgPct + n(s.cpu.natsPct);
      const baseSum = base ? base.serverPct + base.pgPct + n(base.natsPct) : undefined;
      L.push(`| ${f0(s.rate)} | ${both(s.cpu.serverPct, base?.serverPct)} | ${both(s.cpu.pgPct, base?.pgPct)} | ${both(s.cpu.natsPct, base?.natsPct)} | ${both(s.cpu.genPct, base?.genPct)} | ${both(sum, baseSum)} |`);
    }
    L.push('');
  }

  // Idle
  if (r.idle) {
    const i = r.idle;
    L.push(`### 2. Idle connections: ${f0(i.opened)} sockets on one node over ${i.sessions} sessions`);
    L.push('');
    L.push('| sockets open | failed | open time s (sockets/s) | open p50 / p99 ms | server RSS before → after (peak) MiB | bytes per connection | JS heap used before → after, after a full GC, MiB | server CPU % idle | event-loop lag p99 / max ms idle | frames received |');
    L.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    L.push(
      `| ${f0(i.opened)} | ${i.failures} | ${f1(i.openSeconds)} (${f0(i.opened / i.openSeconds)}) | ${f1(i.openLatency.p50)} / ${f1(i.openLatency.p99)} | ${mib(i.rssBefore)} → **${mib(i.rssAfter)}** (${mib(i.peakRss)}) | **${f0((i.rssAfter - i.rssBefore) / Math.max(1, i.opened))}** | ${i.heapBefore !== undefined ? mib(i.heapBefore) : 'n/a'} → ${i.heapAfter !== undefined ? mib(i.heapAfter) : 'n/a'} | ${f1(i.cpu.serverPct)} | ${i.loopLag ? `${f1(i.loopLag.p99)} / ${f1(i.loopLag.max)}` : 'n/a'} | ${i.framesReceived} |`,
    );
    L.push('');
    L.push(
      `The baseline is read after 200 sockets were opened and closed once (so the code paths are warm) and a full GC; "after" is /proc VmRSS with every socket open, after ${IDLE_HOLD_S} s idle. ` +
        'The idle sockets belong to patients (staff sockets would also receive presence frames).' +
        (i.failureSamples.length ? ` Failures: ${i.failureSamples.map((e) => `\`${e}\``).join('; ')}.` : ''),
    );
    L.push('');
  }

  // Breakdown
  const b = r.breakdown;
  if (b) {
    const inPath = b.rows.filter((x) => x.inPath);
    const sum = inPath.reduce((a, x) => a + x.d.mean, 0);
    L.push(`### 3. Cost per message by stage (in-process, one message at a time, ${ITERATIONS} messages; µs)`);
    L.push('');
    L.push('| stage | step | DB round trips | mean | p50 | p99 | share of the path |');
    L.push('| --- | --- | --- | --- | --- | --- | --- |');
    for (const x of b.rows) L.push(`| ${x.stage} | ${x.label} | ${x.trips} | ${f0(x.d.mean)} | ${f0(x.d.p50)} | ${f0(x.d.p99)} | ${x.inPath ? `${f1((100 * x.d.mean) / sum)} %` : ''} |`);
    L.push(`| **sum** | the path of one message, without the network and bus hops | ${inPath.reduce((a, x) => a + x.trips, 0)} | **${f0(sum)}** | | | 100 % |`);
    L.push(`| check | whole MessageService.send (policy → insert; no session check) | | ${f0(b.serviceSend.mean)} | ${f0(b.serviceSend.p50)} | ${f0(b.serviceSend.p99)} | |`);
    if (b.bus) L.push(`| bus | NATS publish → subscriber callback of a 1-event batch (through nats-server, in this process) | | ${f0(b.bus.mean)} | ${f0(b.bus.p50)} | ${f0(b.bus.p99)} | |`);
    L.push('');
    const stageSum = (s: string) => inPath.filter((x) => x.stage === s).reduce((a, x) => a + x.d.mean, 0);
    L.push(
      `By the issue's stages: auth ${f0(stageSum('auth'))} µs, encrypt ${f0(stageSum('encrypt'))} µs, insert ${f0(stageSum('insert'))} µs (audit row and outbox row are written by the same statement), ` +
        `audit ${f0(stageSum('audit'))} µs in the request plus ${f1(b.sealPerEventUs)} µs per event in the background sealer (chain hash + UPDATE), ` +
        `fan-out ${f0(stageSum('fan-out'))} µs (relay + node + socket writes), the sender's acknowledgement ${f0(stageSum('respond'))} µs. ` +
        `At a batch of ${b.batch.size} (as under load), the relay costs ${f0(b.batch.relayPerMsgUs)} µs and the node's preparation ${f0(b.batch.preparePerMsgUs)} µs per message. ` +
        `The send statement from ${b.concurrentInserts.callers} concurrent callers (group commit): ${f0(b.concurrentInserts.perS)} statements/s, mean ${f2(b.concurrentInserts.meanMs)} ms.`,
    );
    L.push('');
    L.push('These are wall times of one message at a time (they include PostgreSQL\'s work and the loopback round trips, not only this process\'s CPU); under load the server overlaps them and shares statements.');
    L.push('');
  }

  // What limits the top rate
  L.push('### What limits the top rate (derived from this run)');
  L.push('');
  L.push(...limits(r, top));
  L.push('');

  if (prev) {
    L.push(`### Compared with the previous recorded run (${prev.date})`);
    L.push('');
    L.push(...ratioTable(prev, metrics));
    L.push('');
    L.push('msg_per_s: higher is better; *_ms, *_us, *_bytes, *_pct, lost: lower is better.');
    L.push('');
  }
  L.push(dataComment(DATA_TAG, { date: r.date, command: COMMAND, metrics }));
  L.push('');
  return L.join('\n');
}

/** A reading of the numbers: which resource ran out at the top step and the one after it. */
function limits(r: RunResult, top: StepResult | undefined): string[] {
  if (!top) return ['No load step ran.'];
  const cores = os.cpus().length;
  const next = r.steps.find((s) => s.rate > top.rate);
  const per = (pct: number, s: StepResult) => (pct / 100) * 1e6 / Math.max(1, s.deliveredPerS);
  const out: string[] = [];
  const base = r.baseline?.cpu;
  const n = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : 0);
  const describe = (s: StepResult, name: string) => {
    const c = s.cpu;
    // CPU per further message: above the baseline (the fixed cost of the connected clients), when it was measured.
    const marginal = (pct: number, basePct: number | undefined) => per(Math.max(0, n(pct) - n(basePct)), s);
    const parts = {
      server: marginal(c.serverPct, base?.serverPct),
      PostgreSQL: marginal(c.pgPct, base?.pgPct),
      NATS: marginal(c.natsPct, base?.natsPct),
      'load generator': marginal(c.genPct, base?.genPct),
    };
    const total = Object.values(parts).reduce((a, x) => a + x, 0);
    const baseCores = base ? (n(base.serverPct) + n(base.pgPct) + n(base.natsPct) + n(base.genPct)) / 100 : 0;
    const machineCap = ((cores - baseCores) * 1e6) / total;
    const serverCap = ((1 - n(base?.serverPct) / 100) * 1e6) / parts.server;
    const saturated: string[] = [];
    if (c.serverPct >= 85) saturated.push(`the server's JavaScript thread (${f0(c.serverPct)} % of a core; Node runs the event loop on one core)`);
    if (c.machineCores >= 0.9 * cores) saturated.push(`the machine's ${cores} cores (${f2(c.machineCores)} busy)`);
    if (s.genLag.p99 > 20 || s.genLoopLagP99 > 20) saturated.push(`the load generator (sends up to ${f0(s.genLag.p99)} ms late, its loop lag p99 ${f0(s.genLoopLagP99)} ms)`);
    const shares = Object.entries(parts)
      .map(([k, v]) => `${k} ${f0(v)} µs (${f0((100 * v) / total)} %)`)
      .join(', ');
    return (
      `- ${name} ${f0(s.rate)} msg/s: delivered ${f0(s.deliveredPerS)} msg/s, p99 ${f1(s.latency.p99)} ms, server event-loop lag p99 ${s.loopLag ? f1(s.loopLag.p99) : 'n/a'} ms. ` +
      `CPU per further message${base ? ' (above the baseline)' : ''}: ${shares}; ${f0(total)} µs in all. At that cost the ${cores} cores, shared by all of them, run out near ${f0(machineCap)} msg/s, ` +
      `and the server's one JavaScript thread near ${f0(serverCap)} msg/s. ` +
      (saturated.length ? `Saturated: ${saturated.join('; ')}.` : 'No CPU resource is saturated here: the latency comes from waiting (round trips, WAL flush, relay and bus hops).') +
      (c.otherCores > OTHER_CORES_WARN ? ` ⛔ Other processes used ${f2(c.otherCores)} cores during this step: rerun on a quiet machine before drawing conclusions.` : '')
    );
  };
  out.push(describe(top, r.steps.some(meets100) ? 'Highest sustained step (p99 ≤ 100 ms)' : 'First step'));
  if (next) out.push(describe(next, 'Next step'));
  const b = r.breakdown;
  if (b) {
    const rows = b.rows.filter((x) => x.inPath).sort((x, y) => y.d.mean - x.d.mean).slice(0, 3);
    out.push(`- Largest stages of one message: ${rows.map((x) => `${x.key} ${f0(x.d.mean)} µs`).join(', ')} (§3).`);
  }
  return out;
}

const RESULTS_HEADER = `# Haven live-delivery benchmark results

Each run of \`bench/live-delivery.ts\` appends a dated section below (newest last) unless run with \`--no-record\`:
paired WebSocket clients exchanging messages at stepped rates (delivered msg/s, send → receive latency, loss, CPU of
the server, PostgreSQL, NATS and the load generator, the server's event-loop lag), idle sockets on one node (RSS per
connection) and the cost of one message by stage. A run compares itself with the previous recorded section
(machine-readable data in the \`${DATA_TAG}\` comment at the end of each section) and prints the ratios.
See bench/README.md for what the numbers mean. Compare runs only on the same machine and when the "other processes"
CPU column is near 0.

`;

// ───────────────────────────── main ─────────────────────────────

/** Server log files of this run, shown (tail) when the bench fails. */
let serverLog: string | undefined;

async function main(): Promise<void> {
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const needFiles = (SKIP.has('idle') ? 0 : IDLE_CLIENTS) + (SKIP.has('load') ? 0 : CLIENTS) + 500;
  const limit = openFilesLimit();
  if (Number.isFinite(limit) && limit < needFiles) fail(`the open-files limit (ulimit -n) is ${limit}; this run needs about ${needFiles} (raise it, or lower --idle-clients / --clients)`);
  log(`Haven live-delivery benchmark: ${KIND} PostgreSQL, ${NATS_URL ? `NATS ${NATS_URL}` : 'in-process bus'}, ${CLIENTS} clients, rates ${RATES.join(', ')} msg/s via ${VIA}`);

  const t = await prepareTarget();
  const probeFile = path.join(t.dataDir, 'probe.jsonl');
  const natsPrefix = NATS_URL ? `haven_bench_${hex(4)}` : undefined;
  const maxPerClient = Math.max(...RATES) / CLIENTS;
  const framesPerSecond = Math.max(20, Math.ceil(maxPerClient * 4));
  const vars: Record<string, string> = {
    DATA_DIR: t.dataDir,
    PORT: String(await freePort(18580)),
    LOG_LEVEL: 'info',
    NODE_OPTIONS: `--import ${pathToFileURL(PROBE).href}`,
    HAVEN_BENCH_PROBE_FILE: probeFile,
    ...(t.databaseUrl ? { DATABASE_URL: t.databaseUrl } : { EMBEDDED_PG_PORT: String(t.pgPort) }),
    ...(NATS_URL ? { NATS_URL, NATS_SUBJECT_PREFIX: natsPrefix! } : {}),
    ...(framesPerSecond !== 20 ? { EVENT_SOCKET_FRAMES_PER_SECOND: String(framesPerSecond) } : {}),
  };
  const logFile = path.join(t.dataDir, 'server.log');
  serverLog = logFile;
  log('starting `haven start` in a child process');
  if (PROFILE_DIR) log(`CPU profile of the server goes to ${PROFILE_DIR}`);
  const code = [codeVersion(ROOT)];
  const server = await spawnServer({ root: ROOT, vars, logFile, cleanups, nodeArgs: PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [] });
  // Runs before the server is stopped (cleanups run newest first): its shutdown waits for our keep-alive sockets.
  cleanups.push(async () => keepAlive.destroy());
  const serverPid = server.child.pid!;
  const probe = new Probe(probeFile, serverPid);
  if (!probe.loaded) log('warning: the event-loop probe did not load in the server; lag and heap will be n/a');

  const pool = new pg.Pool({ connectionString: inspectUrl(t), max: 2 });
  pool.on('error', () => undefined);
  let poolEnded = false;
  const endPool = async () => {
    if (!poolEnded) await pool.end();
    poolEnded = true;
  };
  cleanups.push(endPool);
  const pgVersion = (await pool.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  const nPid = natsPid(NATS_URL);
  const watched: Watched = { serverPid, pgProcs: new PgProcesses(t, pool), natsPid: nPid };

  // Seeding through the services, on the database the child already migrated.
  const side = await openRuntimeChecked(runtimeConfig(t, inspectUrl(t)), quietLogger());
  let sideClosed = false;
  const closeSide = async () => {
    if (!sideClosed) await side.close();
    sideClosed = true;
  };
  cleanups.push(closeSide);
  log(`seeding ${PAIRS} pairs in-process (users, care teams, threads, sessions)`);
  const seedData = await seed(side, PAIRS);
  // A deployment that has been running has planner statistics (autovacuum analyzes); a freshly seeded database has
  // none, and its plans (e.g. scanning every provider instead of a patient's care teams) would be nothing like it.
  await pool.query('ANALYZE');
  log(`   seeded in ${f1(seedData.seconds)} s (then ANALYZE)`);

  const result: RunResult = {
    date,
    code,
    pgVersion,
    natsVersion: NATS_URL ? natsVersion(nPid) : undefined,
    natsPrefix,
    framesPerSecond,
    poolSize: side.config.dbPoolSize,
    seedSeconds: seedData.seconds,
    steps: [],
    serverErrors: [],
    untrackedEvents: 0,
    profile: PROFILE_DIR,
  };

  if (!SKIP.has('idle') && !cleanups.interrupted) {
    result.idle = await idlePhase(side, server, seedData, watched, probe);
    const i = result.idle;
    log(`   idle: RSS ${mib(i.rssBefore)} → ${mib(i.rssAfter)} MiB, ${f0((i.rssAfter - i.rssBefore) / Math.max(1, i.opened))} bytes per connection`);
  }

  if (!SKIP.has('load') && !cleanups.interrupted) {
    const tracker = new Tracker();
    log(`connecting ${CLIENTS} load clients (tickets over HTTP, SDK EventStream)`);
    const conn = await connectClients(server.url, seedData, tracker);
    result.connect = { seconds: conn.seconds, failures: conn.failures, clients: CLIENTS };
    log(`   connected in ${f1(conn.seconds)} s (${conn.failures} failed)`);
    await waitQuiet('the baseline window');
    const a = await snap(watched);
    await probe.mark();
    await sleep(BASELINE_MS);
    const b = await snap(watched);
    result.baseline = { cpu: cpuWindow(a, b), loopLag: (await probe.mark())?.lag };
    log(`   baseline with ${CLIENTS} clients connected, no messages: server ${f1(result.baseline.cpu.serverPct)} % CPU, PostgreSQL ${f1(result.baseline.cpu.pgPct)} %`);
    const counter = { k: 0 };
    for (const [i, rate] of RATES.entries()) {
      if (cleanups.interrupted) break;
      log(`step ${i + 1}/${RATES.length}: ${rate} msg/s (${WARMUP_S} s warm-up + ${STEP_S} s)`);
      const s = await runStep(i, rate, conn.clients, seedData.pairs, tracker, watched, probe, counter);
      result.steps.push(s);
      log(
        `   delivered ${f0(s.deliveredPerS)} msg/s, p50 ${f1(s.latency.p50)} ms, p99 ${f1(s.latency.p99)} ms, lost ${s.lost}, unacked ${s.unacked}, ` +
          `server ${f0(s.cpu.serverPct)} % CPU, loop lag p99 ${s.loopLag ? f1(s.loopLag.p99) : 'n/a'} ms`,
      );
      if (s.latency.p99 > STOP_P99_MS || s.lost > 0 || s.unacked > 0 || s.socketsClosed > 0) {
        if (i < RATES.length - 1) result.stopped = `after ${rate} msg/s (p99 ${f1(s.latency.p99)} ms, lost ${s.lost}, unacknowledged ${s.unacked}, closed sockets ${s.socketsClosed}; --stop-p99 ${STOP_P99_MS})`;
        break;
      }
    }
    result.untrackedEvents = tracker.untracked;
    for (const c of conn.clients) c.stream?.close();
    await sleep(500);
  }

  result.serverErrors = serverErrors(logFile);
  await closeSide();
  await endPool();
  await stopServer(server, t.dataDir);
  code.push(codeVersion(ROOT));

  if (!SKIP.has('breakdown') && !cleanups.interrupted) result.breakdown = await breakdown(t, seedData);

  const metrics = collectMetrics(result);
  const prev = previousRun(RESULTS_FILE, DATA_TAG);
  const md = render(result, prev, metrics);
  process.stdout.write(`\n${md}\n`);
  if (!opt['no-record'] && !cleanups.interrupted) {
    appendSection(RESULTS_FILE, RESULTS_HEADER, md);
    log(`appended to ${path.relative(process.cwd(), RESULTS_FILE)}`);
  }
}

main()
  .catch((err: Error) => {
    // After Ctrl-C the interrupted phase fails on closed connections: that is not worth a stack trace.
    if (cleanups.interrupted) {
      log('interrupted');
      process.exitCode = 130;
      return;
    }
    process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
    if (serverLog) process.stderr.write(`--- tail of ${serverLog}\n${tail(serverLog, 30)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanups.run();
    process.exit(process.exitCode ?? 0);
  });
