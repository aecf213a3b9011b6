import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { HavenApiError, HavenClient, type Problem, type Role } from '@haven/api';
import { loadConfig, type Config } from '../src/config.js';
import { startHaven, type HavenServer } from '../src/main.js';
import { createLogger } from '../src/platform/log/logger.js';
import { totpCode } from '../src/modules/auth/totp.js';
import type { Clock } from '../src/platform/time/clock.js';

export const ADMIN_URL = process.env.HAVEN_TEST_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A long random passphrase that passes the password rules. */
export const strongPassword = (): string => `tp-${randomBytes(12).toString('base64url')}-horse-battery`;

export interface TestServer extends HavenServer {
  dbName: string;
  databaseUrl: string;
  /** Everything the server logged, as JSON lines. */
  logs: string[];
  client(): HavenClient;
  /** A superuser connection to this test's database, for tests that tamper with rows directly. */
  sql<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<T>>;
  stop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Starts the real Haven server on its own fresh database and a random port. */
export async function startTestServer(overrides: Partial<Config> = {}, opts: { clock?: Clock } = {}): Promise<TestServer> {
  const dbName = `haven_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${dbName}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'haven-test-data-'));
  const config = loadConfig(
    { HAVEN_ENV: 'test' },
    {
      databaseUrl,
      dataDir,
      host: '127.0.0.1',
      port: 0,
      masterKey: randomBytes(32).toString('base64'),
      demoSeed: false,
      logLevel: 'info',
      dbPoolSize: 10,
      requireMfaForStaff: false,
      ...overrides,
    },
  );
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const server = await startHaven(config, createLogger(config.logLevel, sink), opts);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  return Object.assign(server, {
    dbName,
    databaseUrl,
    logs,
    client: () => new HavenClient({ baseUrl: server.url }),
    sql: <T extends pg.QueryResultRow>(text: string, values?: unknown[]) => pool.query<T>(text, values),
    async stop() {
      await server.close();
      await pool.end();
      await admin(async (c) => {
        // A closed server holds no connection. One still open is a leak: name it in the test output, then drop anyway.
        const open = async () => (await c.query<{ app: string; state: string; query: string }>('select application_name as app, state, left(query, 120) as query from pg_stat_activity where datname = $1', [dbName])).rows;
        let left = await open();
        for (let i = 0; i < 20 && left.length > 0; i++) {
          await new Promise((r) => setTimeout(r, 100));
          left = await open();
        }
        if (left.length > 0) process.stderr.write(`harness: ${left.length} connection(s) to ${dbName} still open after the server closed: ${JSON.stringify(left)}\n`);
        await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      });
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/**
 * Another Haven node on a test server's database (same master key), as a second process of a deployment would be.
 * Stopping it leaves the database to the test server.
 */
export async function startNode(server: TestServer, overrides: Partial<Config> = {}): Promise<HavenServer & { client(): HavenClient }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'haven-test-node-'));
  const config = loadConfig({ HAVEN_ENV: 'test' }, { ...server.config, dataDir, attachmentDir: path.join(dataDir, 'attachments'), masterKeyFile: path.join(dataDir, 'master.key'), port: 0, ...overrides });
  const node = await startHaven(config, createLogger('silent'));
  const closeNode = node.close.bind(node);
  return Object.assign(node, {
    client: () => new HavenClient({ baseUrl: node.url }),
    async close() {
      await closeNode();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

export interface Member {
  id: string;
  email: string;
  password: string;
  role: Role;
  client: HavenClient;
  /** TOTP secret when enrolled. */
  totpSecret?: string;
}

/** Open around the clock, every day. */
const ALWAYS_OPEN = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [{ start: '00:00', end: '24:00' }]])) as Record<'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun', { start: string; end: string }[]>;

export interface OrganizationOptions {
  /**
   * 'always' (the default): the practice is open around the clock, so a test's messages get no off-hours reply and
   * no business-hours SLA shift whatever the time of day the suite runs at. 'default': Haven's own calendar for a
   * practice that set no hours (Mon–Fri 08:00–17:00 America/New_York), for tests about hours; they use a ManualClock.
   */
  hours?: 'always' | 'default';
}

/** Creates an organization with a first admin (as `haven init` does) and signs the admin in. */
export async function createOrganization(server: TestServer, slug: string, opts: OrganizationOptions = {}): Promise<{ orgId: string; admin: Member }> {
  const password = strongPassword();
  const email = `admin@${slug}.test`;
  const { orgId, id } = await server.db.transaction().execute(async (tx) => {
    const orgId = await server.services.orgs.create(tx, { slug, name: `Practice ${slug}` });
    const { id } = await server.services.users.createIdentity(tx, { orgId, role: 'admin', email, name: `Admin ${slug}`, password });
    if ((opts.hours ?? 'always') === 'always') {
      // Set as the admin's first act would be (without its audit event and live event, which tests count).
      await tx
        .insertInto('business_hours')
        .values({ org_id: orgId, department_id: null, time_zone: 'UTC', weekly_hours: JSON.stringify(ALWAYS_OPEN), updated_by: id, updated_at: new Date() })
        .execute();
    }
    return { orgId, id };
  });
  const client = server.client();
  await client.login(slug, email, password);
  return { orgId, admin: { id, email, password, role: 'admin', client } };
}

export async function signIn(server: TestServer, org: string, email: string, password: string): Promise<HavenClient> {
  const client = server.client();
  const session = await client.login(org, email, password);
  if (session.stage !== 'active') throw new Error(`sign-in stopped at ${session.stage}`);
  return client;
}

export async function addStaff(server: TestServer, org: string, admin: HavenClient, role: Exclude<Role, 'patient'>, name: string, departmentId?: string): Promise<Member> {
  const email = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '.')}@${org}.test`;
  const password = strongPassword();
  const user = await admin.call('users.create', { body: { role, email, name, password, ...(departmentId ? { departmentId } : {}) } });
  return { id: user.id, email, password, role, client: await signIn(server, org, email, password) };
}

export async function addPatient(server: TestServer, org: string, admin: HavenClient, name: string, careTeamIds: string[], extra: { dateOfBirth?: string; phone?: string; mrn?: string } = {}): Promise<Member> {
  const email = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '.')}@patients.${org}.test`;
  const password = strongPassword();
  const p = await admin.call('patients.create', { body: { email, name, password, careTeamIds, ...extra } });
  return { id: p.id, email, password, role: 'patient', client: await signIn(server, org, email, password) };
}

/** A small practice: two care teams, staff on each, a patient on each, compliance. */
export async function createPractice(server: TestServer, slug: string, opts: OrganizationOptions = {}) {
  const { orgId, admin } = await createOrganization(server, slug, opts);
  const dept = await admin.client.call('departments.create', { body: { name: 'Family Medicine' } });
  const provider = await addStaff(server, slug, admin.client, 'provider', `Dr A ${slug}`, dept.id);
  const nurse = await addStaff(server, slug, admin.client, 'staff', `Nurse A ${slug}`, dept.id);
  const otherProvider = await addStaff(server, slug, admin.client, 'provider', `Dr B ${slug}`, dept.id);
  const compliance = await addStaff(server, slug, admin.client, 'compliance', `Compliance ${slug}`);
  const teamA = await admin.client.call('careTeams.create', { body: { name: 'Team A', departmentId: dept.id, memberIds: [provider.id, nurse.id] } });
  const teamB = await admin.client.call('careTeams.create', { body: { name: 'Team B', departmentId: dept.id, memberIds: [otherProvider.id] } });
  const patientA = await addPatient(server, slug, admin.client, `Patient A ${slug}`, [teamA.id]);
  const patientB = await addPatient(server, slug, admin.client, `Patient B ${slug}`, [teamB.id]);
  return { slug, orgId, admin, dept, provider, nurse, otherProvider, compliance, teamA, teamB, patientA, patientB };
}
export type Practice = Awaited<ReturnType<typeof createPractice>>;

export const code = (secret: string, offsetSteps = 0): string => totpCode(secret, Date.now() + offsetSteps * 30_000);

/** The problem+json body a refused call answered; fails when the call succeeds or fails otherwise. */
export async function problemOf(call: Promise<unknown>): Promise<Problem> {
  try {
    await call;
  } catch (err) {
    if (err instanceof HavenApiError) return err.problem;
    throw err;
  }
  throw new Error('the call succeeded');
}

/** Expects a HavenApiError with the given status and code. */
export async function rejects(promise: Promise<unknown>, status: number, codeName?: string): Promise<void> {
  try {
    await promise;
  } catch (err) {
    const e = err as { status?: number; code?: string };
    if (e.status !== status || (codeName && e.code !== codeName)) {
      throw new Error(`expected ${status}${codeName ? ` ${codeName}` : ''}, got ${e.status} ${e.code}: ${(err as Error).message}`);
    }
    return;
  }
  throw new Error(`expected ${status}${codeName ? ` ${codeName}` : ''}, but the call succeeded`);
}

export const uuid = (): string => crypto.randomUUID();

/** Polls `get` until it yields a value (neither undefined nor false), or fails after `ms` naming `what`. */
export async function waitFor<T>(what: string, get: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<Exclude<T, false>> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined && v !== false) return v as Exclude<T, false>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
