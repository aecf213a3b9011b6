import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { endpoints } from '@haven/api';
import { loadConfig } from '../src/config.js';
import { checkTransport } from '../src/main.js';
import { createPractice, startTestServer, strongPassword, uuid, type Practice, type TestServer } from './harness.js';

let server: TestServer;
let p: Practice;

before(async () => {
  server = await startTestServer();
  p = await createPractice(server, 'http');
});
after(() => server.stop());

describe('transport rules', () => {
  test('plain HTTP on a non-loopback address is refused unless a TLS proxy is configured', () => {
    const base = { HAVEN_ENV: 'test', HAVEN_MASTER_KEY: Buffer.alloc(32, 1).toString('base64') };
    assert.throws(() => checkTransport(loadConfig({ ...base, HOST: '0.0.0.0' })), /Refusing to serve plain HTTP/);
    assert.doesNotThrow(() => checkTransport(loadConfig({ ...base, HOST: '0.0.0.0', TRUST_PROXY: '10.0.0.5' })));
    assert.doesNotThrow(() => checkTransport(loadConfig({ ...base, HOST: '127.0.0.1' })));
    assert.throws(() => checkTransport(loadConfig({ ...base, HOST: '0.0.0.0', TLS_CERT_FILE: '/x.pem' })), /both TLS_CERT_FILE and TLS_KEY_FILE/);
  });

  test('demo seeding cannot be switched on in production mode', () => {
    assert.throws(() => loadConfig({ HAVEN_ENV: 'production', DEMO_SEED: 'true' }), /DEMO_SEED cannot be enabled in production/);
    assert.equal(loadConfig({ HAVEN_ENV: 'production' }).demoSeed, false);
    assert.equal(loadConfig({ HAVEN_ENV: 'development' }).demoSeed, true);
  });

  test('the key file and public URL follow the data directory and port, whichever source sets them', () => {
    assert.equal(loadConfig({}, { dataDir: '/srv/haven-data', port: 7001 }).masterKeyFile, '/srv/haven-data/master.key');
    assert.equal(loadConfig({}, { dataDir: '/srv/haven-data', port: 7001 }).publicUrl, 'http://localhost:7001');
    assert.equal(loadConfig({ DATA_DIR: '/srv/other' }).masterKeyFile, '/srv/other/master.key');
    assert.equal(loadConfig({ DATA_DIR: '/srv/other', MASTER_KEY_FILE: '/keys/haven.key' }).masterKeyFile, '/keys/haven.key');
  });

  test('invalid settings name the offending setting', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), /Invalid configuration:[\s\S]*\/port/);
  });

  test('with a certificate Haven serves HTTPS with TLS 1.2 or newer only, and secure __Host- cookies', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'haven-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const secure = await startTestServer({ tlsCertFile: cert, tlsKeyFile: key });
    try {
      assert.match(secure.url, /^https:/);
      const port = Number(new URL(secure.url).port);
      const handshake = (opts: tls.ConnectionOptions) =>
        new Promise<string>((resolve, reject) => {
          const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts }, () => {
            const v = s.getProtocol() ?? '';
            s.end();
            resolve(v);
          });
          s.on('error', reject);
        });
      assert.match(await handshake({}), /TLSv1\.[23]/);
      await assert.rejects(handshake({ maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }));
      const password = strongPassword();
      await secure.db.transaction().execute(async (tx) => {
        const orgId = await secure.services.orgs.create(tx, { slug: 'tls', name: 'TLS practice' });
        await secure.services.users.createIdentity(tx, { orgId, role: 'patient', email: 'pat@tls.test', name: 'TLS Patient', password });
      });
      const login = (pw: string) =>
        new Promise<{ status: number; cookies: string[] }>((resolve, reject) => {
          const req = https.request(`${secure.url}/api/v1/auth/login`, { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } }, (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, cookies: res.headers['set-cookie'] ?? [] });
          });
          req.on('error', reject);
          req.end(JSON.stringify({ organization: 'tls', email: 'pat@tls.test', password: pw }));
        });
      const failed = await login('wrong password for the test');
      assert.equal(failed.status, 401);
      assert.deepEqual(failed.cookies, [], 'a failed sign-in sets no cookie');
      const ok = await login(password);
      assert.equal(ok.status, 200);
      const sessionCookie = ok.cookies.find((c) => c.startsWith('__Host-haven_session='));
      assert.ok(sessionCookie, `cookies: ${ok.cookies.join(' | ')}`);
      assert.match(sessionCookie, /; Secure/);
      assert.match(sessionCookie, /; HttpOnly/);
      assert.match(sessionCookie, /; SameSite=Strict/);
      assert.match(sessionCookie, /; Path=\//);
      assert.doesNotMatch(sessionCookie, /Domain=/);
      const hsts = await new Promise<string | undefined>((resolve, reject) => {
        https.get(`${secure.url}/healthz`, { rejectUnauthorized: false }, (res) => {
          res.resume();
          resolve(res.headers['strict-transport-security'] as string | undefined);
        }).on('error', reject);
      });
      assert.match(hsts ?? '', /max-age=31536000/);
    } finally {
      await secure.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('HTTP surface', () => {
  test('security headers on every response, no-store on API responses', async () => {
    for (const url of ['/healthz', '/api/v1/threads', '/api/openapi.json', '/nope']) {
      const res = await fetch(`${server.url}${url}`, { headers: { authorization: `Bearer ${p.patientA.client.token}` } });
      assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'/, url);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', url);
      assert.match(res.headers.get('strict-transport-security') ?? '', /max-age/, url);
      assert.equal(res.headers.get('x-powered-by'), null);
    }
    const api = await fetch(`${server.url}/api/v1/threads`, { headers: { authorization: `Bearer ${p.patientA.client.token}` } });
    assert.equal(api.headers.get('cache-control'), 'no-store');
  });

  test('bad input gets a clear problem+json error and changes nothing', async () => {
    const thread = await p.patientA.client.call('threads.create', { body: { subject: 'Bad input', topic: 'other' } });
    const auth = { authorization: `Bearer ${p.patientA.client.token}` };
    const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
      fetch(`${server.url}/api/v1/threads/${thread.id}/messages`, { method: 'POST', headers: { ...auth, ...headers }, body });
    const cases: [Response, number, string][] = [
      [await post('{"id": "'), 400, 'invalid_json'],
      [await post(JSON.stringify({ id: 'not-a-uuid', body: 'x' })), 400, 'validation_failed'],
      [await post(JSON.stringify({ id: uuid(), body: '' })), 400, 'validation_failed'],
      [await post(JSON.stringify({ id: uuid(), body: 'x'.repeat(20001) })), 400, 'validation_failed'],
      [await post(JSON.stringify({ id: uuid(), body: 'x', senderId: p.provider.id })), 400, 'validation_failed'],
      [await post('{"id":"' + uuid() + '","body":"x","__proto__":{"admin":true}}'), 400, 'invalid_json'],
      [await post('id=1', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type'],
      [await post(JSON.stringify({ id: uuid(), body: 'x'.repeat(2 * 1024 * 1024) })), 413, 'payload_too_large'],
      [await fetch(`${server.url}/api/v1/threads/not-a-uuid`, { headers: auth }), 400, 'validation_failed'],
      [await fetch(`${server.url}/api/v1/nothing-here`, { headers: auth }), 404, 'not_found'],
    ];
    for (const [res, status, codeName] of cases) {
      assert.equal(res.status, status);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      const problem = (await res.json()) as { code: string; title: string; status: number; detail?: string };
      assert.equal(problem.code, codeName);
      assert.equal(problem.status, status);
      assert.ok(problem.title.length > 0);
      assert.doesNotMatch(JSON.stringify(problem), /node_modules|\.ts:\d+|SELECT|INSERT/);
    }
    const extra = await post(JSON.stringify({ id: uuid(), body: 'x', senderId: p.provider.id }));
    const problem = (await extra.json()) as { detail: string; errors: { path: string }[] };
    assert.match(problem.detail, /senderId/);
    const list = await p.patientA.client.call('messages.list', { params: { threadId: thread.id } });
    assert.equal(list.items.length, 0);
  });

  test('times a database or a Date cannot hold are refused at the edge with 400, wherever an operation takes one', async () => {
    const auth = { authorization: `Bearer ${p.compliance.client.token}` };
    for (const at of ['0000-01-01T00:00:00Z', '2030-06-30T23:59:60Z', '1899-12-31T23:59:59Z', '10000-01-01T00:00:00Z']) {
      const res = await fetch(`${server.url}/api/v1/audit/events?from=${encodeURIComponent(at)}`, { headers: auth });
      assert.equal(res.status, 400, at);
      const problem = (await res.json()) as { code: string; errors?: { path: string }[] };
      assert.equal(problem.code, 'validation_failed', at);
    }
    assert.equal((await fetch(`${server.url}/api/v1/audit/events?from=${encodeURIComponent('2026-01-01T00:00:00Z')}`, { headers: auth })).status, 200);
  });

  test('health and readiness', async () => {
    assert.deepEqual(await (await fetch(`${server.url}/healthz`)).json(), { status: 'ok' });
    assert.deepEqual(await (await fetch(`${server.url}/readyz`)).json(), { status: 'ready' });
  });

  test('the OpenAPI 3.1 document is generated from the contract and lists every operation', async () => {
    const doc = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, { operationId?: string }>> };
    assert.equal(doc.openapi, '3.1.0');
    const ops = new Set(Object.values(doc.paths).flatMap((methods) => Object.values(methods).map((m) => m.operationId)));
    for (const op of Object.keys(endpoints)) assert.ok(ops.has(op), `OpenAPI lists ${op}`);
    assert.ok(doc.paths['/api/v1/threads/{threadId}/messages'], 'paths use OpenAPI parameter syntax');
    const page = await fetch(`${server.url}/api/docs/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /swagger/i);
  });

  test('raw uploads are documented as a binary request body (application/octet-stream), JSON bodies as JSON', async () => {
    interface Media { schema?: { type?: string; format?: string; contentMediaType?: string } }
    interface Operation { operationId: string; requestBody?: { required?: boolean; description?: string; content: Record<string, Media> }; parameters?: { in: string; name: string }[]; responses: Record<string, { content?: Record<string, Media> }> }
    const doc = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, Operation>> };
    const ops = new Map(Object.values(doc.paths).flatMap((methods) => Object.values(methods).map((m) => [m.operationId, m] as const)));
    // Every operation the contract marks `binary: 'request'`, not a hand-picked list.
    const uploads = Object.entries(endpoints).filter(([, e]) => 'binary' in e && e.binary === 'request').map(([op]) => op);
    assert.deepEqual(uploads.sort(), ['attachments.upload', 'resources.upload']);
    for (const op of uploads) {
      const body = ops.get(op)?.requestBody;
      assert.ok(body, `${op} documents its request body`);
      assert.equal(body.required, true);
      assert.deepEqual(Object.keys(body.content), ['application/octet-stream'], op);
      assert.equal(body.content['application/octet-stream']!.schema?.type, 'string');
      assert.equal(body.content['application/octet-stream']!.schema?.format, 'binary');
      assert.match(body.description ?? '', /raw bytes/);
      const headers = (ops.get(op)!.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name);
      assert.ok(headers.includes('x-haven-filename') && headers.includes('content-type'), `${op} documents its headers`);
    }
    // JSON operations keep their JSON bodies; binary answers are documented by media type.
    assert.deepEqual(Object.keys(ops.get('messages.create')!.requestBody!.content), ['application/json']);
    assert.deepEqual(Object.keys(ops.get('resources.share')!.requestBody!.content), ['application/json']);
    assert.equal(ops.get('attachments.download')!.responses['200']!.content!['application/octet-stream']!.schema?.format, 'binary');
    assert.equal(ops.get('attachments.preview')!.responses['200']!.content!['image/webp']!.schema?.format, 'binary');
    assert.equal(ops.get('messages.list')!.requestBody, undefined);
  });
});
