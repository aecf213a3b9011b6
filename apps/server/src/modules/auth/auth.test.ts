import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HavenClient } from '@haven/api';
import { totpCode } from './totp.js';
import { addPatient, code, createOrganization, rejects, startTestServer, strongPassword, type Member, type TestServer } from '../../../test/harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: TestServer;
let admin: Member;
const ORG = 'authorg';

before(async () => {
  server = await startTestServer({
    requireMfaForStaff: true,
    trustProxy: ['127.0.0.1'],
    loginMaxAccountFailures: 5,
    loginMaxAddressFailures: 8,
  });
  // The first admin enrolls TOTP like every staff member must.
  const org = await createOrganization(server, ORG);
  admin = org.admin;
  const setup = await admin.client.call('auth.totp.setup');
  await admin.client.call('auth.totp.enable', { body: { code: code(setup.secret) } });
  admin.totpSecret = setup.secret;
});
after(() => server.stop());

/** A client that appears to come from its own address (Haven trusts X-Forwarded-For from 127.0.0.1 here). */
const from = (address: string, deviceToken?: string) => new HavenClient({ baseUrl: server.url, headers: { 'x-forwarded-for': address }, deviceToken });

async function patient(name: string): Promise<Member> {
  return addPatient(server, ORG, admin.client, name, []);
}

describe('sign-in answers', () => {
  test('unknown organization, unknown e-mail, wrong password and deactivated account look the same', async () => {
    const p = await patient('Same Answer');
    const gone = await patient('Gone Patient');
    await admin.client.call('users.deactivate', { params: { id: gone.id } });
    const attempts: [string, string, string][] = [
      ['no-such-org', p.email, p.password],
      [ORG, 'nobody@nowhere.test', p.password],
      [ORG, p.email, 'wrong password entirely'],
      [ORG, gone.email, gone.password],
    ];
    const bodies: unknown[] = [];
    const times: number[][] = [];
    for (const [i, [org, email, password]] of attempts.entries()) {
      const t: number[] = [];
      for (let k = 0; k < 5; k++) {
        const t0 = performance.now();
        const res = await fetch(`${server.url}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.1.${i}.${k}` },
          body: JSON.stringify({ organization: org, email, password, transport: 'bearer' }),
        });
        t.push(performance.now() - t0);
        assert.equal(res.status, 401);
        const body = (await res.json()) as Record<string, unknown>;
        delete body.requestId;
        bodies.push(body);
      }
      times.push(t.sort((a, b) => a - b));
    }
    for (const b of bodies) assert.deepEqual(b, bodies[0]);
    assert.equal((bodies[0] as { code: string }).code, 'invalid_credentials');
    // Every path pays for an argon2id verification: medians within a factor of 4 of each other (a skipped hash would be >10x faster).
    const medians = times.map((t) => t[2]!);
    assert.ok(Math.max(...medians) / Math.min(...medians) < 4, `medians ${medians.map((m) => m.toFixed(1)).join(', ')} ms`);
    assert.ok(Math.min(...medians) > 5, 'even an unknown account costs a password hash');
  });
});

describe('sessions', () => {
  test('tokens are 256-bit random strings stored only as hashes', async () => {
    const p = await patient('Token Holder');
    const token = p.client.token!;
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    const rows = await server.sql<{ token_hash: Buffer }>('select token_hash from sessions where user_id = $1', [p.id]);
    assert.ok(rows.rows.length >= 1);
    for (const r of rows.rows) {
      assert.equal(r.token_hash.length, 32);
      assert.ok(!r.token_hash.toString('latin1').includes(token));
      assert.ok(!r.token_hash.equals(Buffer.from(token, 'base64url')));
    }
    const dump = await server.sql('select * from sessions');
    assert.ok(!JSON.stringify(dump.rows).includes(token));
  });

  test('browser sign-in sets an HttpOnly SameSite=Strict cookie and requires the CSRF token on unsafe requests', async () => {
    const p = await patient('Cookie User');
    const res = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.2.0.1' },
      body: JSON.stringify({ organization: ORG, email: p.email, password: p.password }),
    });
    assert.equal(res.status, 200);
    const session = (await res.json()) as { token?: string; csrfToken?: string };
    assert.equal(session.token, undefined, 'the token never appears in a body for cookie sessions');
    assert.ok(session.csrfToken);
    const cookies = res.headers.getSetCookie();
    const sessionCookie = cookies.find((c) => c.startsWith('haven_session='))!;
    assert.match(sessionCookie, /HttpOnly/);
    assert.match(sessionCookie, /SameSite=Strict/);
    assert.match(sessionCookie, /Path=\//);
    assert.doesNotMatch(sessionCookie, /Secure/, 'plain http on localhost');
    const cookie = sessionCookie.split(';')[0]!;
    const get = await fetch(`${server.url}/api/v1/threads`, { headers: { cookie } });
    assert.equal(get.status, 200);
    const body = JSON.stringify({ subject: 'hello', topic: 'other' });
    const noCsrf = await fetch(`${server.url}/api/v1/threads`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body });
    assert.equal(noCsrf.status, 403);
    assert.equal(((await noCsrf.json()) as { code: string }).code, 'csrf_failed');
    const badCsrf = await fetch(`${server.url}/api/v1/threads`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': 'x'.repeat(43) }, body });
    assert.equal(badCsrf.status, 403);
    const ok = await fetch(`${server.url}/api/v1/threads`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': session.csrfToken! }, body });
    assert.equal(ok.status, 201);
    // A cookie session's token cannot be replayed as a bearer token, and vice versa.
    const asBearer = await fetch(`${server.url}/api/v1/threads`, { headers: { authorization: `Bearer ${cookie.split('=')[1]}` } });
    assert.equal(asBearer.status, 401);
  });

  test('logout ends the session at once', async () => {
    const p = await patient('Logout User');
    const token = p.client.token!;
    await p.client.call('auth.logout');
    await rejects(new HavenClient({ baseUrl: server.url, token }).call('threads.list'), 401, 'session_expired');
  });

  test('changing the password ends every other session and enforces the rules', async () => {
    const p = await patient('Password Changer');
    const other = from('10.3.0.1');
    await other.login(ORG, p.email, p.password);
    await rejects(p.client.call('auth.password.change', { body: { currentPassword: 'not it at all, sorry', newPassword: strongPassword() } }), 401, 'invalid_credentials');
    await rejects(p.client.call('auth.password.change', { body: { currentPassword: p.password, newPassword: 'short' } }), 400, 'password_rejected');
    const next = strongPassword();
    await p.client.call('auth.password.change', { body: { currentPassword: p.password, newPassword: next } });
    await p.client.call('threads.list');
    await rejects(other.call('threads.list'), 401, 'session_expired');
    await rejects(from('10.3.0.2').login(ORG, p.email, p.password), 401, 'invalid_credentials');
    await from('10.3.0.3').login(ORG, p.email, next);
  });

  test('deactivation ends all of a user\'s sessions at once', async () => {
    const p = await patient('Deactivated Soon');
    const second = from('10.4.0.1');
    await second.login(ORG, p.email, p.password);
    await admin.client.call('users.deactivate', { params: { id: p.id } });
    await rejects(p.client.call('threads.list'), 401);
    await rejects(second.call('threads.list'), 401);
    await rejects(from('10.4.0.2').login(ORG, p.email, p.password), 401, 'invalid_credentials');
  });
});

describe('second factor', () => {
  test('staff must enroll TOTP before anything else; a pending session cannot replace the factor', async () => {
    const password = strongPassword();
    const nurse = await admin.client.call('users.create', { body: { role: 'staff', email: 'mfa.nurse@authorg.test', name: 'MFA Nurse', password } });
    const c = from('10.5.0.1');
    const s = await c.login(ORG, 'mfa.nurse@authorg.test', password);
    assert.equal(s.stage, 'mfa_enrollment_required');
    await rejects(c.call('threads.list'), 403, 'mfa_required');
    const setup = await c.call('auth.totp.setup');
    assert.match(setup.otpauthUri, /^otpauth:\/\/totp\//);
    await rejects(c.call('auth.totp.enable', { body: { code: code(setup.secret) === '000000' ? '111111' : '000000' } }), 401, 'invalid_mfa_code');
    const enrolledAt = Date.now();
    const enabled = await c.call('auth.totp.enable', { body: { code: totpCode(setup.secret, enrolledAt) } });
    assert.equal(enabled.stage, 'active');
    assert.equal(enabled.user.mfaEnabled, true);
    await c.call('threads.list');

    const next = from('10.5.0.2');
    const s2 = await next.login(ORG, 'mfa.nurse@authorg.test', password);
    assert.equal(s2.stage, 'mfa_required');
    await rejects(next.call('threads.list'), 403, 'mfa_required');
    await rejects(next.call('auth.totp.setup'), 403, 'mfa_required');
    // The code used at enrollment cannot be replayed.
    await rejects(next.call('auth.mfa.verify', { body: { code: totpCode(setup.secret, enrolledAt) } }), 401, 'invalid_mfa_code');
    const verified = await next.call('auth.mfa.verify', { body: { code: totpCode(setup.secret, enrolledAt + 30_000) } });
    assert.equal(verified.stage, 'active');
    await next.call('threads.list');
    const row = await server.sql<{ totp_secret_ct: Buffer }>('select totp_secret_ct from users where id = $1', [nurse.id]);
    assert.ok(!row.rows[0]!.totp_secret_ct.toString('latin1').includes(setup.secret), 'the TOTP secret is stored encrypted');
  });

  test('patients are not required to enroll a second factor', async () => {
    const p = await patient('No MFA Patient');
    const s = await p.client.call('auth.session');
    assert.equal(s.stage, 'active');
  });

  test('wrong codes are limited', async () => {
    const password = strongPassword();
    await admin.client.call('users.create', { body: { role: 'provider', email: 'guess.target@authorg.test', name: 'Guess Target', password } });
    const c = from('10.6.0.1');
    await c.login(ORG, 'guess.target@authorg.test', password);
    const setup = await c.call('auth.totp.setup');
    const wrong = code(setup.secret) === '123456' ? '654321' : '123456';
    for (let i = 0; i < 10; i++) await rejects(c.call('auth.totp.enable', { body: { code: wrong } }), 401, 'invalid_mfa_code');
    await rejects(c.call('auth.totp.enable', { body: { code: code(setup.secret) } }), 429, 'too_many_requests');
  });
});

describe('guessing limits', () => {
  test('an account locks for unknown clients after its failure limit, while the owner\'s known device still signs in', async () => {
    const p = await patient('Targeted Patient');
    const device = p.client.deviceToken;
    assert.ok(device, 'sign-in hands out a trusted-device token');
    for (let i = 0; i < 5; i++) await rejects(from(`10.7.${i}.1`).login(ORG, p.email, `wrong guess number ${i}`), 401, 'invalid_credentials');
    // The limit holds from any address, even with the right password.
    await rejects(from('10.7.9.9').login(ORG, p.email, p.password), 429, 'too_many_requests');
    // The legitimate user on their usual device is not locked out.
    const owner = from('10.7.10.1', device);
    const s = await owner.login(ORG, p.email, p.password);
    assert.equal(s.stage, 'active');
    // A forged device token does not help the attacker.
    await rejects(from('10.7.11.1', `d1.${p.id}.AAAAAAAAAAAAAAAAAAAAAA.${'A'.repeat(43)}`).login(ORG, p.email, p.password), 429);
  });

  test('unknown accounts are limited exactly like known ones', async () => {
    for (let i = 0; i < 5; i++) await rejects(from(`10.8.${i}.1`).login(ORG, 'ghost@authorg.test', `guess ${i} for a ghost`), 401, 'invalid_credentials');
    await rejects(from('10.8.9.1').login(ORG, 'ghost@authorg.test', 'any password at all here'), 429, 'too_many_requests');
  });

  test('one address is limited across accounts', async () => {
    for (let i = 0; i < 8; i++) await rejects(from('10.9.0.1').login(ORG, `spray${i}@authorg.test`, 'Summer2026!Summer2026!'), 401, 'invalid_credentials');
    await rejects(from('10.9.0.1').login(ORG, 'spray99@authorg.test', 'Summer2026!Summer2026!'), 429, 'too_many_requests');
    // Other addresses are unaffected.
    const p = await patient('Unaffected Patient');
    await from('10.9.0.2').login(ORG, p.email, p.password);
  });

  test('audit records sign-in failures with the forwarded client address from the trusted proxy', async () => {
    await rejects(from('203.0.113.7').login(ORG, 'audit.me@authorg.test', 'not the password, no'), 401);
    const rows = await server.sql<{ address: string; outcome: string }>("select address, outcome from audit_events where action = 'auth.login' and address = '203.0.113.7'");
    assert.equal(rows.rows.length, 1);
    assert.equal(rows.rows[0]!.outcome, 'failure');
  });
});

describe('timeouts', () => {
  test('idle and absolute timeouts end sessions', async () => {
    const short = await startTestServer({ sessionIdleMinutesPatient: 0.05, sessionAbsoluteHours: 5 / 3600 });
    try {
      const org = await createOrganization(short, 'timeouts');
      const idle = await addPatient(short, 'timeouts', org.admin.client, 'Idle Patient', []);
      await sleep(3500);
      await rejects(idle.client.call('threads.list'), 401, 'session_expired');
      const busy = await addPatient(short, 'timeouts', org.admin.client, 'Busy Patient', []);
      for (let i = 0; i < 4; i++) {
        await sleep(1000);
        await busy.client.call('threads.list');
      }
      await sleep(1500);
      await rejects(busy.client.call('threads.list'), 401, 'session_expired');
    } finally {
      await short.stop();
    }
  });
});
