/**
 * Staff inbox benchmark: `inbox.list` (first page, limit 50) for every view and `inbox.counts`, on one organization
 * holding 100,000 open patient threads (plus closed ones), measured through the SDK against `haven start`.
 *
 *   cd /work/main && node --import tsx bench/inbox.ts [--db external] [--open 100000] [--closed 20000]
 *       [--iterations 200] [--warmup 20] [--no-record]
 *
 * Seed: the organization and its admin in-process (as `haven init` does); then, over HTTP, a department, 6 staff
 * (3 providers, 3 nurses, all in the department and in one care team), 20 patients in that care team and one
 * real thread per patient. The bulk threads are inserted with SQL (INSERT ... SELECT over unnest): their subjects
 * are real ciphertext, sealed in this process with the patient's data key and bound to the thread id (the server
 * decrypts the subjects of the rows it returns), one patient message each (so the unread count has work to do).
 * States, priority (~5% urgent), assignees, due times (~10% of the waiting ones overdue) and activity times are
 * spread deterministically. ANALYZE runs after seeding.
 *
 * Measured as a nurse of the care team: each view and the counts get --warmup unrecorded calls, then --iterations
 * sequential calls timed at the client (p50/p95/p99), first with the organization's default visibility (care-team
 * scope: the views carry an EXISTS over the care team), then with staffSeeAllPatients = true (scope all). The
 * exact SQL the server runs is captured by calling InboxStore in-process against the same database with a logging
 * Kysely, and explained with EXPLAIN (ANALYZE, BUFFERS). Results are appended to bench/INBOX-RESULTS.md.
 *
 * The machine's PostgreSQL (--external-url, loopback only) gets a fresh database haven_bench_inbox_<random>,
 * dropped afterwards; the server is a child process (production mode).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import type pg from 'pg';
import { HavenClient, type InboxView } from '@haven/api';
import { isLoopback, loadConfig } from '../apps/server/src/config.js';
import { openRuntime } from '../apps/server/src/main.js';
import { InboxStore, type InboxViewer } from '../apps/server/src/modules/workflow/inbox.store.js';
import { aad } from '../apps/server/src/platform/crypto/aead.js';
import type { Database } from '../apps/server/src/platform/db/schema.js';
import { createLogger } from '../apps/server/src/platform/log/logger.js';
import { keepAlive, leanFetch } from './lib/http.js';
import { Cleanups, log } from './lib/log.js';
import { codeVersion, machineFacts, waitQuiet } from './lib/machine.js';
import { databaseUrl, withAdmin } from './lib/pg.js';
import { appendSection, dataComment, previousRun, putMetric, ratioTable, type Metrics } from './lib/results.js';
import { ephemeralPort, serverErrors, spawnServer, stopServer } from './lib/server.js';
import { dist, f0, f1, f2, type Dist } from './lib/stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    db: { type: 'string', default: 'external' },
    'external-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    open: { type: 'string', default: '100000' },
    closed: { type: 'string', default: '20000' },
    iterations: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '20' },
    'quiet-wait': { type: 'string', default: '60' },
    results: { type: 'string', default: path.join(ROOT, 'bench/INBOX-RESULTS.md') },
    'no-record': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  process.stdout.write('Usage: node --import tsx bench/inbox.ts [--db external] [--external-url URL] [--open 100000] [--closed 20000] [--iterations 200] [--warmup 20] [--quiet-wait 60] [--results FILE] [--no-record]\n');
  process.exit(0);
}
if (opt.db !== 'external') {
  process.stderr.write('only --db external is supported (the machine PostgreSQL)\n');
  process.exit(2);
}
const ADMIN_URL = opt['external-url']!;
if (!isLoopback(new URL(ADMIN_URL).hostname)) {
  process.stderr.write('--external-url must point at a loopback address\n');
  process.exit(2);
}
const OPEN = Number(opt.open);
const CLOSED = Number(opt.closed);
const ITER = Number(opt.iterations);
const WARMUP = Number(opt.warmup);
const RESULTS_FILE = path.resolve(opt.results!);
const VIEWS: InboxView[] = ['mine', 'unassigned', 'care_teams', 'department', 'urgent', 'overdue', 'awaiting_patient', 'closed'];
const PATIENTS = 20;
const COMMAND = ['node', ...process.execArgv, 'bench/inbox.ts', ...process.argv.slice(2)].join(' ');

const password = (): string => `bi-${randomBytes(12).toString('base64url')}-staple-lantern`;
const admin = <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => withAdmin(ADMIN_URL, fn);
const cleanups = new Cleanups();
cleanups.installHandlers();

async function signIn(url: string, email: string, pw: string): Promise<HavenClient> {
  const c = new HavenClient({ baseUrl: url, fetch: leanFetch });
  const s = await c.login('bench', email, pw);
  if (s.stage !== 'active') throw new Error(`sign-in of ${email} stopped at ${s.stage}`);
  return c;
}

async function timed(n: number, fn: () => Promise<unknown>): Promise<Dist> {
  const xs: number[] = [];
  for (let i = 0; i < n && !cleanups.interrupted; i++) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  return dist(xs);
}

/** Plan node names (with index names) and the root timing lines of an EXPLAIN (ANALYZE, BUFFERS) text plan. */
function planSummary(lines: string[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    const m = /^\s*(?:->\s*)?([A-Z][A-Za-z ]+?(?: using \S+ on \S+(?: \S+)?| on \S+(?: \S+)?)?)\s+\(cost=[^)]*\)\s+\(actual time=([\d.]+)\.\.([\d.]+) rows=(\d+) loops=(\d+)\)/.exec(l);
    if (m) out.push(`${' '.repeat(Math.min(12, l.search(/\S/)))}${m[1]} — ${m[3]} ms, rows=${m[4]}, loops=${m[5]}`);
    else if (/^\s*(Buffers: shared|Planning Time|Execution Time)/.test(l) && (out.length < 2 || /Time/.test(l))) out.push(`  ${l.trim()}`);
  }
  return out;
}

const dbName = `haven_bench_inbox_${randomBytes(4).toString('hex')}`;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'haven-bench-inbox-'));
cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
await admin((c) => c.query(`CREATE DATABASE ${dbName}`));
cleanups.push(async () => {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
});
const DB_URL = databaseUrl(ADMIN_URL, dbName);
const masterKey = randomBytes(32).toString('base64');
const cfg = loadConfig({ HAVEN_ENV: 'production', DATA_DIR: dataDir }, { databaseUrl: DB_URL, masterKey, demoSeed: false, requireMfaForStaff: false });
const rt = await openRuntime(cfg, createLogger('silent'));
cleanups.push(() => rt.close());

// ── seed: org + admin in-process, people over HTTP ──
const adminPw = password();
let orgId = '';
await rt.db.transaction().execute(async (tx) => {
  orgId = await rt.services.orgs.create(tx, { slug: 'bench', name: 'Bench practice' });
  await rt.services.users.createIdentity(tx, { orgId, role: 'admin', email: 'admin@bench.test', name: 'Bench Admin', password: adminPw });
});
const server = await spawnServer({
  root: ROOT,
  vars: { DATABASE_URL: DB_URL, DATA_DIR: dataDir, HAVEN_MASTER_KEY: masterKey, PORT: String(await ephemeralPort()), REQUIRE_MFA_FOR_STAFF: 'false', LOG_LEVEL: 'warn' },
  logFile: path.join(dataDir, 'server.log'),
  cleanups,
});
cleanups.push(async () => {
  keepAlive.destroy();
  await stopServer(server);
});
const adminClient = await signIn(server.url, 'admin@bench.test', adminPw);
const dept = await adminClient.call('departments.create', { body: { name: 'Family Medicine' } });
const staff: { id: string; email: string; pw: string }[] = [];
for (let i = 0; i < 6; i++) {
  const role = i % 2 === 0 ? 'provider' : 'staff';
  const email = `${role}.${i}@bench.test`;
  const pw = password();
  const u = await adminClient.call('users.create', { body: { role, email, name: `${role === 'provider' ? 'Dr' : 'Nurse'} ${i}`, password: pw, departmentId: dept.id } });
  staff.push({ id: u.id, email, pw });
}
const team = await adminClient.call('careTeams.create', { body: { name: 'Team A', departmentId: dept.id, memberIds: staff.map((s) => s.id) } });
const patientIds: string[] = [];
for (let i = 0; i < PATIENTS; i++) {
  const email = `patient.${i}@bench.test`;
  const pw = password();
  const p = await adminClient.call('patients.create', { body: { email, name: `Patient ${i}`, password: pw, careTeamIds: [team.id] } });
  patientIds.push(p.id);
  const pc = await signIn(server.url, email, pw);
  await pc.call('threads.create', { body: { subject: `Question ${i}`, topic: 'other' } });
}
const nurse = staff[1]!;
const nurseClient = await signIn(server.url, nurse.email, nurse.pw);

// ── bulk threads with SQL ──
const keyOf = new Map((await rt.pool.query<{ id: string; key_id: string }>('SELECT id, key_id FROM users WHERE role = $1', ['patient'])).rows.map((r) => [r.id, r.key_id]));
const TOTAL = OPEN + CLOSED;
const BATCH = 10_000;
const tSeed = performance.now();
for (let start = 0; start < TOTAL; start += BATCH) {
  cleanups.check();
  const n = Math.min(BATCH, TOTAL - start);
  const ids: string[] = [];
  const idx: number[] = [];
  const pats: string[] = [];
  const keys: string[] = [];
  const cts: Buffer[] = [];
  for (let k = 0; k < n; k++) {
    const i = start + k;
    const id = randomUUID();
    const pid = patientIds[i % PATIENTS]!;
    const keyId = keyOf.get(pid)!;
    ids.push(id);
    idx.push(i);
    pats.push(pid);
    keys.push(keyId);
    cts.push(await rt.services.keyring.encrypt(keyId, `Follow-up ${i}`, aad('thread', orgId, id, 'subject')));
  }
  // i < OPEN: open, spread 25% unassigned / 35% assigned / 15% awaiting_staff / 25% awaiting_patient; the rest closed.
  await rt.pool.query(
    `WITH src AS (
       SELECT u.id, u.i, u.pid, u.kid, u.ct,
              CASE WHEN u.i >= $7 THEN 'closed'
                   WHEN u.i % 20 < 5 THEN 'unassigned' WHEN u.i % 20 < 12 THEN 'assigned'
                   WHEN u.i % 20 < 15 THEN 'awaiting_staff' ELSE 'awaiting_patient' END AS state,
              now() - make_interval(secs => (u.i::bigint * 7919 % 2592000)) AS last_at
         FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::uuid[], $5::bytea[]) AS u(id, i, pid, kid, ct))
     INSERT INTO threads (id, org_id, kind, patient_id, key_id, subject_ct, topic, created_by, created_at, last_message_at,
                          state, priority, department_id, assignee_id, waiting_since, due_at, state_changed_at, closed_at)
     SELECT id, $6, 'patient', pid, kid, ct, 'other', pid, last_at - interval '1 day', last_at,
            state,
            CASE WHEN (i::bigint * 2654435761 % 100) < 5 THEN 'urgent' ELSE 'routine' END,
            $8,
            CASE WHEN state = 'unassigned' THEN NULL ELSE ($9::uuid[])[1 + (i * 31 % array_length($9::uuid[], 1))] END,
            CASE WHEN state IN ('unassigned', 'assigned', 'awaiting_staff') THEN last_at END,
            -- waiting: due between 12 h ago and 5 days ahead (~10% overdue); otherwise nobody waits
            CASE WHEN state IN ('unassigned', 'assigned', 'awaiting_staff') THEN now() + make_interval(mins => (i::bigint * 6007 % 7920)::int - 720) END,
            last_at,
            CASE WHEN state = 'closed' THEN last_at END
       FROM src`,
    [ids, idx, pats, keys, cts, orgId, OPEN, dept.id, staff.map((s) => s.id)],
  );
  // One patient message per thread: the unread count of a returned row has a message to check.
  await rt.pool.query(
    `INSERT INTO messages (id, org_id, thread_id, sender_id, sender_role, created_at)
     SELECT gen_random_uuid(), $1, t.id, t.patient_id, 'patient', t.last_message_at FROM threads t WHERE t.id = ANY($2::uuid[])`,
    [orgId, ids],
  );
  log(`seeded ${start + n} / ${TOTAL} threads`);
}
await rt.pool.query('ANALYZE');
const seedS = (performance.now() - tSeed) / 1000;
const shape = (await rt.pool.query<{ state: string; n: string; urgent: string; overdue: string }>(
  `SELECT state, count(*) n, count(*) FILTER (WHERE priority = 'urgent') urgent, count(*) FILTER (WHERE due_at <= now()) overdue FROM threads WHERE kind = 'patient' GROUP BY state ORDER BY state`,
)).rows;
log(`seeded ${TOTAL} threads in ${f1(seedS)} s: ${shape.map((r) => `${r.state} ${r.n}`).join(', ')}`);

// ── exact SQL of the server's inbox queries, captured in-process ──
let captured: CompiledQuery | undefined;
const capDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool: rt.pool }), log: (e) => void (captured = e.query) });
const capStore = new InboxStore(capDb);
async function explain(label: string, viewer: InboxViewer, view: InboxView | 'counts'): Promise<string[]> {
  captured = undefined;
  if (view === 'counts') await capStore.counts(viewer);
  else await capStore.list(viewer, view, 50);
  const q = captured!;
  const { rows } = await rt.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${q.sql}`, [...q.parameters]);
  const plan = rows.map((r) => r['QUERY PLAN']);
  return [`**${label}**`, '', '```', ...planSummary(plan), '```', ''];
}

// ── measure ──
interface Pass {
  scope: string;
  rows: { name: string; d: Dist; returned: number }[];
  counts: Record<string, number>;
  plans: string[];
}
const passes: Pass[] = [];
for (const seeAll of [false, true]) {
  cleanups.check();
  await adminClient.call('organization.update', { body: { staffSeeAllPatients: seeAll } });
  const scope = seeAll ? 'all (staffSeeAllPatients)' : 'care team (default)';
  const counts = (await nurseClient.call('inbox.counts', {})) as Record<string, number>;
  const rows: Pass['rows'] = [];
  await waitQuiet({ maxSeconds: Number(opt['quiet-wait']), what: `the ${scope} pass`, stop: () => cleanups.interrupted });
  for (const view of VIEWS) {
    let returned = 0;
    const call = async () => {
      const page = await nurseClient.call('inbox.list', { query: { view, limit: 50 } });
      returned = page.items.length;
    };
    for (let i = 0; i < WARMUP; i++) await call();
    const d = await timed(ITER, call);
    rows.push({ name: `inbox.list ${view}`, d, returned });
    log(`${scope} ${view}: p50 ${f2(d.p50)} ms, p95 ${f2(d.p95)} ms (${counts[view]} threads in view)`);
  }
  for (let i = 0; i < WARMUP; i++) await nurseClient.call('inbox.counts', {});
  const dc = await timed(ITER, () => nurseClient.call('inbox.counts', {}));
  rows.push({ name: 'inbox.counts', d: dc, returned: VIEWS.length });
  log(`${scope} counts: p50 ${f2(dc.p50)} ms, p95 ${f2(dc.p95)} ms`);

  const viewer: InboxViewer = { orgId, userId: nurse.id, scope: seeAll ? { kind: 'all' } : { kind: 'care_team', userId: nurse.id }, departmentId: dept.id, now: new Date() };
  const plans: string[] = [];
  for (const v of ['unassigned', 'mine', 'overdue'] as const) plans.push(...(await explain(`inbox.list ${v}`, viewer, v)));
  plans.push(...(await explain('inbox.counts', viewer, 'counts')));
  passes.push({ scope, rows, counts, plans });
}
const errors = serverErrors(server.logFile);
const pgVersion = (await rt.pool.query<{ v: string }>("SELECT current_setting('server_version') v")).rows[0]!.v;
await cleanups.run();

// ── report ──
const metrics: Metrics = {};
const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
const L: string[] = [
  `## ${date} UTC — ${f0(OPEN)} open + ${f0(CLOSED)} closed patient threads, one organization`,
  '',
  `- Machine: ${machineFacts()}; PostgreSQL ${pgVersion} (the machine's, fresh database); code: ${codeVersion(ROOT)}`,
  `- Command: \`${COMMAND}\``,
  `- Seed (SQL, ${f1(seedS)} s incl. sealing subjects): ${shape.map((r) => `${r.state} ${f0(Number(r.n))} (urgent ${r.urgent}, overdue ${r.overdue})`).join('; ')}. ${PATIENTS} patients, 6 staff in one care team and department.`,
  `- Client: one nurse of the care team, HavenClient over keep-alive HTTP, ${WARMUP} warm-up then ${ITER} sequential calls each; latency at the client, ms. Server: child process, production mode, default pool.`,
  errors.length ? `- Server errors logged: ${errors.length} (first: ${errors[0]})` : '- Server errors logged: none',
  '',
];
for (const p of passes) {
  L.push(`### Scope: ${p.scope}`, '', '| call | threads in view | rows returned | p50 ms | p95 ms | p99 ms | max ms |', '| --- | --- | --- | --- | --- | --- | --- |');
  const key = p.scope.startsWith('all') ? 'all' : 'team';
  for (const r of p.rows) {
    const view = r.name.replace('inbox.list ', '');
    L.push(`| ${r.name} | ${r.name === 'inbox.counts' ? '(8 counts)' : f0(p.counts[view] ?? NaN)} | ${r.returned} | ${f2(r.d.p50)} | ${f2(r.d.p95)} | ${f2(r.d.p99)} | ${f2(r.d.max)} |`);
    putMetric(metrics, `${key} ${r.name} p50 ms`, r.d.p50);
    putMetric(metrics, `${key} ${r.name} p95 ms`, r.d.p95);
  }
  L.push('', `EXPLAIN (ANALYZE, BUFFERS) of the exact SQL the server runs (captured from InboxStore), plan nodes only:`, '', ...p.plans);
}
const prev = previousRun(RESULTS_FILE, 'inbox-bench');
if (prev) L.push(`### Compared with the previous run (${prev.date})`, '', ...ratioTable(prev, metrics), '');
L.push(dataComment('inbox-bench', { date, command: COMMAND, metrics }), '');
const md = L.join('\n');
process.stdout.write(md);
if (!opt['no-record']) appendSection(RESULTS_FILE, '# Inbox benchmark results\n\nAppended by `bench/inbox.ts` (see bench/README.md, "Inbox"). Newest last.\n', md);
process.exit(0);
