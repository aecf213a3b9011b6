import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HavenClient } from '@haven/api';
import { BUNDLE_FILE, buildBundle, bundleIsFresh } from '../bin/bundle.mjs';
import { createPractice, rejects, startTestServer, type Practice, type TestServer } from './harness.js';

describe('server bundle freshness', () => {
  test('the bundle counts as fresh only while it is newer than every source file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'haven-bundle-fresh-'));
    try {
      const src = path.join(dir, 'src');
      mkdirSync(path.join(src, 'deep'), { recursive: true });
      const source = path.join(src, 'deep', 'a.ts');
      const bundle = path.join(dir, 'haven.mjs');
      writeFileSync(source, 'export {};');
      const t = Date.now() / 1000;
      utimesSync(source, t - 60, t - 60);
      utimesSync(path.join(src, 'deep'), t - 60, t - 60);
      utimesSync(src, t - 60, t - 60);
      assert.equal(bundleIsFresh(bundle, [src]), false, 'no bundle yet');
      writeFileSync(bundle, '');
      utimesSync(bundle, t - 30, t - 30);
      assert.equal(bundleIsFresh(bundle, [src]), true);
      utimesSync(source, t, t); // a source edited after the build, deep in the tree
      assert.equal(bundleIsFresh(bundle, [src]), false, 'an edited source makes it stale');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the built server (apps/server/dist/haven.mjs)', () => {
  let server: TestServer;
  let practice: Practice;
  let dataDir: string;
  before(async () => {
    server = await startTestServer();
    practice = await createPractice(server, 'bundle-clinic');
    dataDir = mkdtempSync(path.join(tmpdir(), 'haven-bundle-'));
    await buildBundle();
  });
  after(async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('starts from the bundle on an existing database and serves the API: sign-in, history, refusals', async () => {
    const env = { ...process.env, DATABASE_URL: server.databaseUrl, HAVEN_MASTER_KEY: server.config.masterKey!, HAVEN_ENV: 'production', DATA_DIR: dataDir, PORT: '0', HAVEN_FROM_SOURCE: '' };
    const child = spawn(process.execPath, [BUNDLE_FILE, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`not ready in 30 s:\n${out}`)), 30_000);
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const ready = out.split('\n').find((l) => l.includes('"Haven is ready"'));
          if (ready) {
            clearTimeout(timer);
            resolve((JSON.parse(ready) as { url: string }).url);
          }
        });
        child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
        child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${out}`)));
      });
      assert.equal((await fetch(`${url}/readyz`)).status, 200);
      const doc = (await (await fetch(`${url}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
      assert.ok(Object.keys(doc.paths).length > 50, 'the OpenAPI document is generated from the bundled contract');

      // The same practice, through the bundled process: the patient signs in and reads what was written in-process.
      const patient = new HavenClient({ baseUrl: url });
      await patient.login('bundle-clinic', practice.patientA.email, practice.patientA.password);
      const thread = await patient.call('threads.create', { body: { subject: 'From the bundle', topic: 'other' } });
      const id = crypto.randomUUID();
      await patient.call('messages.create', { params: { threadId: thread.id }, body: { id, body: 'sent through the built server' } });
      const page = await patient.call('messages.list', { params: { threadId: thread.id } });
      assert.equal(page.items.find((m) => m.id === id)?.body, 'sent through the built server');
      // Refusals keep their shape: another patient's thread is a 404, a bad password a 401.
      const other = new HavenClient({ baseUrl: url });
      await other.login('bundle-clinic', practice.patientB.email, practice.patientB.password);
      await rejects(other.call('messages.list', { params: { threadId: thread.id } }), 404);
      await rejects(new HavenClient({ baseUrl: url }).login('bundle-clinic', practice.patientA.email, 'not the password at all'), 401);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
