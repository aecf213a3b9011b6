import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { HavenClient } from '@haven/api';
import { loadConfig, resolveDataDir } from '../src/config.js';
import { startHaven } from '../src/main.js';
import { rejects, startTestServer, type TestServer } from './harness.js';

const exec = promisify(execFile);
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/haven.mjs');

interface Started {
  child: ChildProcess;
  url: string;
  stdout: string;
}

/** Runs `haven start` and resolves once it logs that it is ready. */
function start(env: NodeJS.ProcessEnv): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'start'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`not ready in 30 s:\n${stdout}\n${stderr}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const ready = stdout.split('\n').find((l) => l.includes('"Haven is ready"'));
      if (ready) {
        clearTimeout(timer);
        resolve({ child, url: (JSON.parse(ready) as { url: string }).url, stdout });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`haven start exited with ${code}:\n${stdout}\n${stderr}`));
    });
  });
}

async function stop(s: Started): Promise<number | null> {
  s.child.removeAllListeners('exit');
  const exited = new Promise<number | null>((resolve) => s.child.on('exit', (code) => resolve(code)));
  s.child.kill('SIGTERM');
  return exited;
}

describe('npm start on a fresh machine', () => {
  test('the data directory is ./data of the working directory; an install that kept it in apps/server/data keeps using it', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'haven-data-dir-'));
    try {
      const legacy = path.join(root, 'apps/server/data');
      assert.equal(resolveDataDir('data', root, legacy), path.join(root, 'data'), 'fresh install: ./data');
      mkdirSync(legacy, { recursive: true });
      assert.equal(resolveDataDir('data', root, legacy), legacy, 'only the old place exists: keep using it');
      mkdirSync(path.join(root, 'data'));
      assert.equal(resolveDataDir('data', root, legacy), path.join(root, 'data'), 'once ./data exists it wins');
      assert.equal(resolveDataDir('/srv/haven', root, legacy), '/srv/haven', 'an explicit DATA_DIR is never redirected');
      assert.equal(resolveDataDir('elsewhere', root, legacy), path.join(root, 'elsewhere'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('first start creates the key, the embedded database and a demo practice with one-time passwords; a restart keeps the data', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'haven-first-start-'));
    const env = { DATA_DIR: dataDir, PORT: '0', EMBEDDED_PG_PORT: String(50000 + Math.floor(Math.random() * 5000)), HAVEN_ENV: 'development', DATABASE_URL: '', HAVEN_MASTER_KEY: '' };
    try {
      const first = await start(env);
      assert.equal(statSync(path.join(dataDir, 'master.key')).mode & 0o777, 0o600);
      const line = first.stdout.split('\n').find((l) => l.includes('pat@demo.haven.test'));
      assert.ok(line, first.stdout);
      const password = line.trim().split(/\s+/).pop()!;
      assert.ok(password.length >= 20);
      const patient = new HavenClient({ baseUrl: first.url });
      await patient.login('demo', 'pat@demo.haven.test', password);
      const thread = await patient.call('threads.create', { body: { subject: 'Still here after a restart?', topic: 'other' } });
      const durableId = crypto.randomUUID();
      await patient.call('messages.create', { params: { threadId: thread.id }, body: { id: durableId, body: 'durable message' } });
      assert.equal(await stop(first), 0);

      const second = await start(env);
      assert.ok(!second.stdout.includes('pat@demo.haven.test'), 'no second seeding, no password printed again');
      const again = new HavenClient({ baseUrl: second.url });
      await again.login('demo', 'pat@demo.haven.test', password);
      const history = await again.call('messages.list', { params: { threadId: thread.id } });
      // (Outside the demo practice's hours an automatic reply follows the message: find the message by its id.)
      assert.equal(history.items.find((m) => m.id === durableId)?.body, 'durable message');
      assert.equal(await stop(second), 0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('haven CLI against an existing database', () => {
  let server: TestServer;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    server = await startTestServer({ requireMfaForStaff: true });
    env = { ...process.env, DATABASE_URL: server.databaseUrl, HAVEN_MASTER_KEY: server.config.masterKey!, HAVEN_ENV: 'production', DATA_DIR: server.config.dataDir };
  });
  after(() => server.stop());

  test('init creates an organization and its first admin, who must enroll MFA', async () => {
    const { stdout } = await exec(process.execPath, [BIN, 'init', '--org', 'cli-clinic', '--name', 'CLI Clinic', '--admin-email', 'it@cli.test', '--admin-name', 'IT Admin'], { env });
    const password = /One-time password: (\S+)/.exec(stdout)![1]!;
    const admin = server.client();
    const session = await admin.login('cli-clinic', 'it@cli.test', password);
    assert.equal(session.stage, 'mfa_enrollment_required');
    assert.equal(session.user.role, 'admin');
  });

  test('user add and user deactivate', async () => {
    const { stdout } = await exec(process.execPath, [BIN, 'user', 'add', '--org', 'cli-clinic', '--role', 'patient', '--email', 'pt@cli.test', '--name', 'CLI Patient'], { env });
    const password = /One-time password: (\S+)/.exec(stdout)![1]!;
    const patient = server.client();
    await patient.login('cli-clinic', 'pt@cli.test', password);
    await patient.call('threads.list');
    const out = await exec(process.execPath, [BIN, 'user', 'deactivate', '--org', 'cli-clinic', '--email', 'pt@cli.test'], { env });
    assert.match(out.stdout, /1 session\(s\) ended/);
    await rejects(patient.call('threads.list'), 401);
    const bad = await exec(process.execPath, [BIN, 'user', 'add', '--org', 'cli-clinic', '--role', 'wizard', '--email', 'x@cli.test', '--name', 'X'], { env }).catch((e: { code: number; stderr: string }) => e);
    assert.equal((bad as { code: number }).code, 2);
    assert.match((bad as { stderr: string }).stderr, /--role/);
  });

  test('demo seeding is refused in production mode, and unknown commands fail', async () => {
    const demo = await exec(process.execPath, [BIN, 'demo', 'seed'], { env }).catch((e: { code: number; stderr: string }) => e);
    assert.equal((demo as { code: number }).code, 2);
    assert.match((demo as { stderr: string }).stderr, /off in production/);
    const unknown = await exec(process.execPath, [BIN, 'frobnicate'], { env }).catch((e: { code: number }) => e);
    assert.equal((unknown as { code: number }).code, 2);
  });

  test('organization key rotation re-wraps keys and data stays readable by a fresh process', async () => {
    const { stdout: added } = await exec(process.execPath, [BIN, 'user', 'add', '--org', 'cli-clinic', '--role', 'patient', '--email', 'rot@cli.test', '--name', 'Rotation Patient'], { env });
    const password = /One-time password: (\S+)/.exec(added)![1]!;
    const patient = server.client();
    await patient.login('cli-clinic', 'rot@cli.test', password);
    const thread = await patient.call('threads.create', { body: { subject: 'Before rotation', topic: 'other' } });
    const messageId = crypto.randomUUID();
    await patient.call('messages.create', { params: { threadId: thread.id }, body: { id: messageId, body: 'written under key version 1' } });

    const { stdout } = await exec(process.execPath, [BIN, 'keys', 'rotate-org', '--org', 'cli-clinic'], { env });
    assert.match(stdout, /version 2; \d+ data keys re-wrapped/);
    const org = await server.services.orgs.bySlug('cli-clinic');
    const stale = await server.sql<{ n: number }>('select count(*)::int as n from data_keys where org_id = $1 and org_key_version <> 2', [org!.id]);
    assert.equal(stale.rows[0]!.n, 0);

    // A second process with an empty key cache reads everything through the new organization key.
    const fresh = await startHaven(loadConfig({ HAVEN_ENV: 'test' }, { databaseUrl: server.databaseUrl, masterKey: server.config.masterKey, port: 0, demoSeed: false, logLevel: 'silent', dataDir: server.config.dataDir }));
    try {
      const c = new HavenClient({ baseUrl: fresh.url });
      await c.login('cli-clinic', 'rot@cli.test', password);
      // (Outside the practice's default hours an automatic reply follows the message: find the message by its id.)
      const history = await c.call('messages.list', { params: { threadId: thread.id } });
      assert.equal(history.items.find((m) => m.id === messageId)?.body, 'written under key version 1');
      assert.equal((await c.call('threads.get', { params: { threadId: thread.id } })).subject, 'Before rotation');
    } finally {
      await fresh.close();
    }
    const { stdout: v } = await exec(process.execPath, [BIN, 'audit', 'verify', '--org', 'cli-clinic'], { env });
    assert.match(v, /OK/);
  });
});
