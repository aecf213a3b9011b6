import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestServer, type TestServer } from '../../../test/harness.js';

// The server side of the web app (apps/web/dist served at /), on a stand-in build so these run without Vite.
describe('serving the web app', () => {
  let dir: string;
  let server: TestServer;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'haven-web-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><html><head><script type="module" src="/assets/app-1a2b3c.js"></script></head><body><div id="root"></div></body></html>');
    writeFileSync(path.join(dir, 'assets', 'app-1a2b3c.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    server = await startTestServer({ webDir: dir, publicUrl: 'https://haven.example.org' });
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the page at / and at app routes, with its strict CSP; hashed assets cached for a year', async () => {
    for (const route of ['/', '/sign-in', '/messages/3f2b8c1e-0000-4000-8000-000000000000', '/staff/inbox?view=mine']) {
      const res = await fetch(`${server.url}${route}`, { headers: { accept: 'text/html' } });
      assert.equal(res.status, 200, route);
      assert.match(await res.text(), /<div id="root">/);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self';/);
      assert.match(csp, /style-src 'self';/);
      assert.match(csp, /connect-src 'self' wss:\/\/haven\.example\.org;/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe/);
      assert.equal(res.headers.get('cache-control'), 'no-cache');
    }
    const js = await fetch(`${server.url}/assets/app-1a2b3c.js`);
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const icon = await fetch(`${server.url}/favicon.svg`);
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get('cache-control'), 'no-cache');
  });

  test('never the page for the API, other server paths, missing files or non-navigations', async () => {
    const cases: [string, Record<string, string>][] = [
      ['/api/v1/nope', { accept: 'text/html' }],
      ['/api/nope', { accept: 'text/html' }],
      ['/fhir/R4/Nope', { accept: 'text/html' }],
      ['/scim/v2/Nope', { accept: 'text/html' }],
      ['/assets/app-000000.js', { accept: 'text/html' }],
      ['/messages', { accept: 'application/json' }],
    ];
    for (const [route, headers] of cases) {
      const res = await fetch(`${server.url}${route}`, { headers });
      assert.equal(res.status, 404, route);
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/, route);
    }
    const post = await fetch(`${server.url}/messages`, { method: 'POST', headers: { accept: 'text/html', 'content-type': 'application/json' }, body: '{}' });
    assert.equal(post.status, 404);
    // The API itself is unchanged.
    assert.equal((await fetch(`${server.url}/api/v1/auth/session`)).status, 401);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });

  test('without a build the server still starts, serves the API only and says so once', async () => {
    const bare = await startTestServer({ webDir: path.join(dir, 'missing') });
    try {
      const lines = bare.logs.filter((l) => l.includes('web app not built'));
      assert.equal(lines.length, 1);
      const res = await fetch(`${bare.url}/`, { headers: { accept: 'text/html' } });
      assert.equal(res.status, 404);
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal((await fetch(`${bare.url}/healthz`)).status, 200);
    } finally {
      await bare.stop();
    }
  });
});
