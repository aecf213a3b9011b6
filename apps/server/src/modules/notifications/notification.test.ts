/**
 * Notifications end to end: the real server (with its job runner) on its own database, a real SMTP server
 * (`smtp-server`, STARTTLS with a self-signed certificate and a password) on loopback, a local HTTPS push service that
 * decrypts every Web Push payload with the subscription's private key (RFC 8291, `http_ece`), and a local HTTP server
 * standing in for a Twilio-style SMS provider.
 */
import assert from 'node:assert/strict';
import { createECDH, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as ece from 'http_ece';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { HavenClient } from '@haven/api';
import { addPatient, addStaff, createPractice, rejects, startTestServer, uuid, type Member, type Practice, type TestServer, waitFor } from '../../../test/harness.js';
import { twilioSignature, verifyHmacSignature, verifyTwilioSignature } from '../../platform/notify/sms-sender.js';
import { createLogger } from '../../platform/log/logger.js';
import { quietUntil } from './quiet-hours.js';
import { listen } from '../../../test/live.js';


const SMTP_USER = 'haven-relay';
const SMTP_PASSWORD = randomBytes(12).toString('hex');
const SMS_SID = 'AC' + randomBytes(8).toString('hex');
const SMS_TOKEN = randomBytes(16).toString('hex');
const WEBHOOK_SECRET = randomBytes(24).toString('hex');
const APP_URL = 'https://app.clinic.test';
const PRACTICE_SENDER = 'Lakeside Practice';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- stand-ins for the outside world ---------------------------------------------------------------------------

interface Mail {
  to: string[];
  raw: string;
  subject: string;
  text: string;
}
interface Sms {
  to: string;
  from: string;
  body: string;
  raw: string;
  authorization: string | undefined;
  at: number;
}
interface Push {
  path: string;
  raw: Buffer;
  payload: string;
  headers: IncomingMessage['headers'];
}

const mails: Mail[] = [];
const texts: Sms[] = [];
const pushes: Push[] = [];
/** Push endpoint path → the browser-side keys that decrypt its payloads. */
const pushKeys = new Map<string, { ecdh: ReturnType<typeof createECDH>; auth: string }>();
/** SMS numbers whose next requests the provider answers 503. */
const smsFailures = new Map<string, number>();

let certDir: string;
let certFile: string;
let smtp: SMTPServer;
let smtpPort: number;
let pushServer: HttpsServer;
let pushPort: number;
let smsServer: HttpServer;
let smsPort: number;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function startOutsideWorld(): Promise<void> {
  certDir = mkdtempSync(path.join(tmpdir(), 'haven-notify-cert-'));
  certFile = path.join(certDir, 'cert.pem');
  const keyFile = path.join(certDir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const tls = { key: readFileSync(keyFile), cert: readFileSync(certFile) };

  smtp = new SMTPServer({
    ...tls,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, cb) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) cb(null, { user: auth.username });
      else cb(new Error('bad credentials'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (!session.secure) return cb(new Error('TLS required'));
        const raw = Buffer.concat(chunks).toString('utf8');
        void simpleParser(raw).then((parsed) => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw, subject: parsed.subject ?? '', text: parsed.text ?? '' });
          cb();
        }, cb);
      });
    },
    logger: false,
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  smtpPort = ((smtp as unknown as { server: HttpServer }).server.address() as AddressInfo).port;

  pushServer = createHttpsServer(tls, (req, res) => {
    void readBody(req).then((raw) => {
      const p = req.url ?? '';
      if (p.startsWith('/push/gone/')) {
        res.writeHead(410).end();
        return;
      }
      const keys = pushKeys.get(p);
      if (!keys) {
        res.writeHead(404).end();
        return;
      }
      const payload = ece.decrypt(raw, { version: 'aes128gcm', privateKey: keys.ecdh, authSecret: keys.auth }).toString('utf8');
      pushes.push({ path: p, raw, payload, headers: req.headers });
      res.writeHead(201).end();
    });
  });
  await new Promise<void>((r) => pushServer.listen(0, '127.0.0.1', r));
  pushPort = (pushServer.address() as AddressInfo).port;

  smsServer = createHttpServer((req, res) => {
    void readBody(req).then((raw) => {
      const form = new URLSearchParams(raw.toString('utf8'));
      const to = form.get('To') ?? '';
      texts.push({ to, from: form.get('From') ?? '', body: form.get('Body') ?? '', raw: raw.toString('utf8'), authorization: req.headers.authorization, at: Date.now() });
      const fail = smsFailures.get(to) ?? 0;
      if (req.url !== `/2010-04-01/Accounts/${SMS_SID}/Messages.json`) return void res.writeHead(404).end();
      if (fail > 0) {
        smsFailures.set(to, fail - 1);
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `temporarily unavailable for ${to}` }));
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ sid: `SM${randomBytes(8).toString('hex')}`, to, body: form.get('Body') }));
    });
  });
  await new Promise<void>((r) => smsServer.listen(0, '127.0.0.1', r));
  smsPort = (smsServer.address() as AddressInfo).port;
}

// ---- the server and its practices -------------------------------------------------------------------------------

let server: TestServer;
let p: Practice;
let b: Practice;

before(async () => {
  await startOutsideWorld();
  server = await startTestServer({
    notifyDelaySeconds: 0.3,
    jobPollMs: 100,
    notifyBatchWindowMinutes: 10,
    notifyRetryBaseMs: 300,
    notifyRetryMaxMs: 2000,
    notifyMaxAttempts: 3,
    notifyAppUrl: APP_URL,
    smtpHost: '127.0.0.1',
    smtpPort,
    smtpTls: 'starttls',
    smtpUser: SMTP_USER,
    smtpPassword: SMTP_PASSWORD,
    smtpFrom: 'Haven <notify@clinic.test>',
    smtpCaFile: certFile,
    smsAccountSid: SMS_SID,
    smsAuthToken: SMS_TOKEN,
    smsFrom: '+15550001111',
    smsBaseUrl: `http://127.0.0.1:${smsPort}`,
    smsWebhookSecret: WEBHOOK_SECRET,
    pushCaFile: certFile,
    pushEndpointHosts: ['127.0.0.1'],
  });
  [p, b] = await Promise.all([createPractice(server, 'notify'), createPractice(server, 'notifyb')]);
  await p.admin.client.call('organization.update', { body: { notificationSenderName: PRACTICE_SENDER } });
});

after(async () => {
  await server?.stop();
  await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
  pushServer?.close();
  smsServer?.close();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

/** A browser-side Web Push subscription: a P-256 key pair and an auth secret, at an endpoint of the local service. */
function newPushEndpoint(kind: 'ok' | 'gone' = 'ok') {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16).toString('base64url');
  const p256dh = ecdh.getPublicKey().toString('base64url');
  const pathPart = `/push/${kind === 'gone' ? 'gone/' : ''}${randomUUID()}`;
  pushKeys.set(pathPart, { ecdh, auth });
  return { path: pathPart, body: { endpoint: `https://127.0.0.1:${pushPort}${pathPart}`, keys: { p256dh, auth } } };
}

const randomPhone = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

interface Recipient {
  member: Member;
  phone: string;
  pushPath: string;
  threadId: string;
}

/**
 * A new patient of care team A (provider and nurse) with a thread, SMS number, push subscription and, unless told
 * otherwise, consent to e-mail and SMS.
 */
async function recipient(name: string, opts: { consent?: boolean; subject?: string; topic?: string } = {}): Promise<Recipient> {
  const member = await addPatient(server, p.slug, p.admin.client, `${name} ${randomBytes(3).toString('hex')}`, [p.teamA.id]);
  const phone = randomPhone();
  await member.client.call('notifications.preferences.update', { body: { smsPhone: phone } });
  const push = newPushEndpoint();
  await member.client.call('notifications.push.subscribe', { body: push.body });
  if (opts.consent !== false) {
    await member.client.call('notifications.consent.update', { params: { channel: 'email' }, body: { given: true } });
    await member.client.call('notifications.consent.update', { params: { channel: 'sms' }, body: { given: true } });
  }
  const thread = await member.client.call('threads.create', { body: { subject: opts.subject ?? 'Question', topic: opts.topic ?? 'other' } });
  return { member, phone, pushPath: push.path, threadId: thread.id };
}

const send = (from: HavenClient, threadId: string, body: string) => from.call('messages.create', { params: { threadId }, body: { id: uuid(), body } });
const mailsTo = (r: Recipient) => mails.filter((m) => m.to.includes(r.member.email));
const textsTo = (r: Recipient) => texts.filter((t) => t.to === r.phone);
const pushesTo = (r: Recipient) => pushes.filter((x) => x.path === r.pushPath);
const counts = (r: Recipient) => ({ email: mailsTo(r).length, sms: textsTo(r).length, push: pushesTo(r).length });

/** Posts an SMS reply to the webhook as the provider would, signed with the shared secret (or not). */
function smsReply(from: string, text: string, signature: 'valid' | 'wrong' | 'none' = 'valid') {
  const body = new URLSearchParams({ MessageSid: `SM${randomBytes(8).toString('hex')}`, AccountSid: SMS_SID, From: from, To: '+15550001111', Body: text }).toString();
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (signature !== 'none') {
    const key = signature === 'valid' ? WEBHOOK_SECRET : 'not-the-secret-at-all';
    headers['x-haven-signature'] = `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
  }
  return fetch(`${server.url}/api/v1/notifications/sms/inbound`, { method: 'POST', headers, body });
}

// ---------------------------------------------------------------------------------------------------------------

describe('what leaves Haven carries no health information', () => {
  test('canaries in message, subject, topic, sender, department and care team never reach e-mail, SMS or push', async () => {
    const c = {
      message: `cnry-msg-${randomBytes(5).toString('hex')}`,
      subject: `cnry-subj-${randomBytes(5).toString('hex')}`,
      topic: `cnry_topic_${randomBytes(5).toString('hex')}`,
      sender: `Cnrysender ${randomBytes(5).toString('hex')}`,
      department: `Cnrydept ${randomBytes(5).toString('hex')}`,
      team: `Cnryteam ${randomBytes(5).toString('hex')}`,
    };
    const { topics } = await p.admin.client.call('organization.get');
    await p.admin.client.call('organization.update', { body: { topics: [...topics, c.topic] } });
    const dept = await p.admin.client.call('departments.create', { body: { name: c.department } });
    const clinician = await addStaff(server, p.slug, p.admin.client, 'provider', c.sender, dept.id);
    const team = await p.admin.client.call('careTeams.create', { body: { name: c.team, departmentId: dept.id, memberIds: [clinician.id] } });
    const patient = await addPatient(server, p.slug, p.admin.client, `Canary Patient ${randomBytes(3).toString('hex')}`, [team.id]);
    const phone = randomPhone();
    await patient.client.call('notifications.preferences.update', { body: { smsPhone: phone } });
    const push = newPushEndpoint();
    await patient.client.call('notifications.push.subscribe', { body: push.body });
    await patient.client.call('notifications.consent.update', { params: { channel: 'email' }, body: { given: true } });
    await patient.client.call('notifications.consent.update', { params: { channel: 'sms' }, body: { given: true } });
    await new Promise((r) => setTimeout(r, 2100)); // the organization's settings (topics) are cached for 2 s
    const thread = await patient.client.call('threads.create', { body: { subject: `About ${c.subject}`, topic: c.topic } });
    await send(clinician.client, thread.id, `Your results: ${c.message}`);

    const r = { member: patient, phone, pushPath: push.path, threadId: thread.id };
    await waitFor('all three channels', () => counts(r).email >= 1 && counts(r).sms >= 1 && counts(r).push >= 1);
    const outside = [...mailsTo(r).flatMap((m) => [m.raw, m.subject, m.text]), ...textsTo(r).flatMap((t) => [t.raw, t.body]), ...pushesTo(r).map((x) => x.payload)];
    for (const [what, canary] of Object.entries(c)) {
      for (const text of outside) assert.ok(!text.toLowerCase().includes(canary.toLowerCase()), `the ${what} canary left Haven`);
    }
    // Positive control: the searches above would have found text that is there.
    const mail = mailsTo(r)[0]!;
    assert.equal(mail.subject, `New secure message from ${PRACTICE_SENDER}`);
    assert.match(mail.text, new RegExp(`^You have a new secure message from ${PRACTICE_SENDER}\\. Sign in to read it: ${APP_URL}/inbox\\n`));
    assert.deepEqual(mail.to, [patient.email]);
    const sms = textsTo(r)[0]!;
    assert.equal(sms.body, `You have a new secure message from ${PRACTICE_SENDER}. Sign in to read it: ${APP_URL}/inbox Reply STOP to stop texts.`);
    assert.equal(sms.from, '+15550001111');
    assert.equal(sms.authorization, `Basic ${Buffer.from(`${SMS_SID}:${SMS_TOKEN}`).toString('base64')}`);
    const payload = JSON.parse(pushesTo(r)[0]!.payload) as { title: string; body: string; url: string };
    assert.deepEqual(payload, { title: 'New secure message', body: `You have a new secure message from ${PRACTICE_SENDER}. Sign in to read it.`, url: `${APP_URL}/inbox` });
    // Web Push as the standards say: aes128gcm body, VAPID authorization, a TTL.
    const h = pushesTo(r)[0]!.headers;
    assert.equal(h['content-encoding'], 'aes128gcm');
    assert.match(String(h.authorization), /^vapid t=[\w-]+\.[\w-]+\.[\w-]+, k=[\w-]+$/);
    assert.ok(Number(h.ttl) > 0);
    // The logs carry neither the canaries nor the addresses.
    const logs = server.logs.join('\n');
    for (const secret of [...Object.values(c), phone, patient.email]) assert.ok(!logs.includes(secret), 'a canary or an address reached the logs');
  });

  test('addresses and subscriptions are stored encrypted; the VAPID private key is wrapped', async () => {
    const r = await recipient('Stored Patient');
    const prefs = await server.sql<{ row: string }>(`select row_to_json(n)::text as row from notification_preferences n where user_id = $1`, [r.member.id]);
    const subs = await server.sql<{ row: string }>(`select row_to_json(s)::text as row from push_subscriptions s where user_id = $1`, [r.member.id]);
    const digits = r.phone.slice(1);
    const hex = (s: string) => Buffer.from(s).toString('hex');
    for (const row of [...prefs.rows, ...subs.rows].map((x) => x.row)) {
      assert.ok(!row.includes(digits) && !row.includes(hex(r.phone)), 'the phone number is stored in plaintext');
      assert.ok(!row.includes(r.pushPath) && !row.includes(hex(r.pushPath)), 'the push endpoint is stored in plaintext');
    }
    assert.equal(prefs.rows.length, 1);
    assert.equal(subs.rows.length, 1);
    const { publicKey } = await server.client().call('notifications.push.publicKey');
    assert.equal((await server.client().call('notifications.push.publicKey')).publicKey, publicKey, 'one stable key pair');
    const vapid = await server.sql<{ public_key: string; private_key_ct: Buffer }>('select public_key, private_key_ct from vapid_keys');
    assert.equal(vapid.rows.length, 1);
    assert.equal(vapid.rows[0]!.public_key, publicKey);
    // The wrapped private key is AES-GCM output (format byte, IV, tag, 43 base64url characters), not the key itself.
    assert.equal(vapid.rows[0]!.private_key_ct.length, 1 + 12 + 16 + 43);
  });
});

describe('when and how often', () => {
  test('five messages within the window make one notification per channel', async () => {
    const r = await recipient('Batch Patient');
    for (let i = 0; i < 5; i++) await send(p.provider.client, r.threadId, `batch message ${i}`);
    await waitFor('the batched notification', () => counts(r).email >= 1 && counts(r).sms >= 1 && counts(r).push >= 1);
    await sleep(1500);
    assert.deepEqual(counts(r), { email: 1, sms: 1, push: 1 });
    const n = await server.sql<{ messages: number }>('select messages from notifications where user_id = $1', [r.member.id]);
    assert.equal(n.rows.length, 1);
    const items = await server.sql<{ state: string; n: string }>('select state, count(*)::text as n from notification_items where user_id = $1 group by state', [r.member.id]);
    assert.equal(n.rows[0]!.messages + Number(items.rows.find((x) => x.state === 'pending')?.n ?? 0), 5, 'every message is in the notification or waits for the next window');
    // The next message within the window waits for the window's end: no second notification now.
    await send(p.provider.client, r.threadId, 'one more');
    await sleep(1200);
    assert.deepEqual(counts(r), { email: 1, sms: 1, push: 1 });
  });

  test('a short batching window lets the next notification through once it has passed', async () => {
    const r = await recipient('Window Patient');
    await r.member.client.call('notifications.preferences.update', { body: { batchWindowMinutes: 0.05 } }); // 3 s
    await send(p.provider.client, r.threadId, 'first');
    await waitFor('the first notification', () => counts(r).email === 1 || undefined);
    await send(p.provider.client, r.threadId, 'second, within the window');
    await sleep(1000);
    assert.equal(counts(r).email, 1);
    await waitFor('the second notification after the window', () => counts(r).email === 2 || undefined, 8000);
  });

  test('quiet hours defer the notification to their end in the user\'s time zone', async () => {
    const r = await recipient('Quiet Patient');
    const tz = 'America/Chicago';
    const local = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' }).formatToParts(new Date());
    const nowMin = Number(local.find((x) => x.type === 'hour')!.value) * 60 + Number(local.find((x) => x.type === 'minute')!.value);
    const hhmm = (m: number) => `${String(Math.floor(((m + 1440) % 1440) / 60)).padStart(2, '0')}:${String((m + 1440) % 60).padStart(2, '0')}`;
    await r.member.client.call('notifications.preferences.update', { body: { quietHours: { start: hhmm(nowMin - 60), end: hhmm(nowMin + 90), timeZone: tz } } });
    const prefs = await r.member.client.call('notifications.preferences.get');
    assert.deepEqual(prefs.quietHours, { start: hhmm(nowMin - 60), end: hhmm(nowMin + 90), timeZone: tz });
    await send(p.provider.client, r.threadId, 'sent during quiet hours');
    await sleep(1500);
    assert.deepEqual(counts(r), { email: 0, sms: 0, push: 0 });
    // The recipient's job now waits for the end of quiet hours (~90 minutes from now).
    const job = await server.sql<{ run_at: Date }>('select run_at from graphile_worker.jobs where key = $1', [`notifications:flush:${r.member.id}`]);
    assert.equal(job.rows.length, 1);
    const waitMin = (job.rows[0]!.run_at.getTime() - Date.now()) / 60_000;
    assert.ok(waitMin > 88 && waitMin <= 90, `deferred by ${waitMin.toFixed(1)} minutes`);
    // Quiet hours end (here: removed): the waiting message is notified.
    await r.member.client.call('notifications.preferences.update', { body: { quietHours: null } });
    await waitFor('the deferred notification', () => counts(r).email === 1 && counts(r).sms === 1 && counts(r).push === 1);
  });

  test('quiet hours arithmetic: inside, outside, across midnight', () => {
    const at = new Date('2026-03-02T23:30:00Z'); // 17:30 in Chicago (UTC-6)
    assert.equal(quietUntil(at, { start: 17 * 60, end: 18 * 60, timeZone: 'America/Chicago' })?.toISOString(), '2026-03-03T00:00:00.000Z');
    assert.equal(quietUntil(at, { start: 18 * 60, end: 7 * 60, timeZone: 'America/Chicago' }), null);
    assert.equal(quietUntil(at, { start: 22 * 60, end: 7 * 60, timeZone: 'UTC' })?.toISOString(), '2026-03-03T07:00:00.000Z');
    assert.equal(quietUntil(at, { start: 22 * 60, end: 7 * 60, timeZone: 'Asia/Tokyo' }), null); // 08:30 there
  });

  test('a connected user gets nothing; the sender never gets a notification', async () => {
    const r = await recipient('Connected Patient');
    // Really connected: an open event socket (presence is what the event sockets of every node report).
    const live = await listen(r.member.client);
    try {
      await send(p.provider.client, r.threadId, 'you are online');
      await waitFor('the item to be settled', async () => {
        const res = await server.sql<{ reason: string }>(`select reason from notification_items where user_id = $1 and state = 'skipped'`, [r.member.id]);
        return res.rows[0]?.reason;
      });
    } finally {
      live.stream.close();
    }
    const res = await server.sql<{ reason: string }>('select reason from notification_items where user_id = $1', [r.member.id]);
    assert.deepEqual(res.rows.map((x) => x.reason), ['connected']);
    await sleep(500);
    assert.deepEqual(counts(r), { email: 0, sms: 0, push: 0 });
    // The provider sent it: no item for them. The nurse (care team) has one.
    const recipients = await server.sql<{ user_id: string }>(`select user_id from notification_items i join messages m on m.id = i.message_id where m.thread_id = $1`, [r.threadId]);
    const ids = recipients.rows.map((x) => x.user_id).sort();
    assert.deepEqual(ids, [r.member.id, p.nurse.id].sort());
  });

  test('a user who has read the message before it was due gets nothing', async () => {
    const r = await recipient('Reader Patient');
    const tz = 'UTC';
    const now = new Date();
    const nowMin = now.getUTCHours() * 60 + now.getUTCMinutes();
    const hhmm = (m: number) => `${String(Math.floor(((m + 1440) % 1440) / 60)).padStart(2, '0')}:${String((m + 1440) % 60).padStart(2, '0')}`;
    // Quiet hours hold the notification back while the patient reads the message.
    await r.member.client.call('notifications.preferences.update', { body: { quietHours: { start: hhmm(nowMin - 10), end: hhmm(nowMin + 30), timeZone: tz } } });
    const m = await send(p.provider.client, r.threadId, 'please read me');
    await sleep(600);
    await r.member.client.call('messages.receipts', { params: { threadId: r.threadId }, body: { messageId: m.id, status: 'read' } });
    await r.member.client.call('notifications.preferences.update', { body: { quietHours: null } });
    await waitFor('the item to be settled', async () => {
      const res = await server.sql<{ reason: string }>(`select reason from notification_items where user_id = $1 and state <> 'pending'`, [r.member.id]);
      return res.rows[0]?.reason;
    });
    const res = await server.sql<{ state: string; reason: string }>('select state, reason from notification_items where user_id = $1', [r.member.id]);
    assert.deepEqual(res.rows, [{ state: 'skipped', reason: 'read' }]);
    await sleep(500);
    assert.deepEqual(counts(r), { email: 0, sms: 0, push: 0 });
  });

  test('scheduling twice for the same messages (an outbox replay) notifies once', async () => {
    const r = await recipient('Replay Patient');
    const m = await send(p.provider.client, r.threadId, 'replayed event');
    await waitFor('the notification', () => counts(r).email === 1 || undefined);
    const event = { orgId: p.orgId, threadId: r.threadId, messageId: m.id, senderId: p.provider.id, createdAt: new Date(m.createdAt) };
    await server.services.notifications.messagesCreated([event]);
    await server.services.notifications.messagesCreated([event, event]);
    await sleep(1000);
    assert.deepEqual(counts(r), { email: 1, sms: 1, push: 1 });
    const items = await server.sql('select 1 from notification_items where user_id = $1', [r.member.id]);
    assert.equal(items.rowCount, 1);
  });
});

describe('consent', () => {
  test('without consent there is no e-mail and no SMS (push needs none)', async () => {
    const r = await recipient('Unconsented Patient', { consent: false });
    const prefs = await r.member.client.call('notifications.preferences.get');
    assert.deepEqual(prefs.consent, { email: { given: false, at: null, source: null }, sms: { given: false, at: null, source: null } });
    assert.deepEqual(prefs.channels, { push: true, email: true, sms: true });
    await send(p.provider.client, r.threadId, 'no consent yet');
    await waitFor('the push', () => counts(r).push === 1 || undefined);
    await sleep(800);
    assert.deepEqual(counts(r), { email: 0, sms: 0, push: 1 });
  });

  test('consent changes are recorded with time and source, and audited', async () => {
    const r = await recipient('Consenting Patient', { consent: false });
    const given = await r.member.client.call('notifications.consent.update', { params: { channel: 'email' }, body: { given: true } });
    assert.equal(given.consent.email.given, true);
    assert.equal(given.consent.email.source, 'user');
    assert.ok(given.consent.email.at && Date.now() - Date.parse(given.consent.email.at) < 60_000);
    const withdrawn = await r.member.client.call('notifications.consent.update', { params: { channel: 'email' }, body: { given: false } });
    assert.equal(withdrawn.consent.email.given, false);
    const history = await server.sql<{ given: boolean; source: string; actor_id: string }>(`select given, source, actor_id from notification_consents where user_id = $1 order by at`, [r.member.id]);
    assert.deepEqual(history.rows, [
      { given: true, source: 'user', actor_id: r.member.id },
      { given: false, source: 'user', actor_id: r.member.id },
    ]);
    const audit = await p.compliance.client.call('audit.list', { query: { action: 'notifications.consent.update', patientId: r.member.id } });
    assert.deepEqual(audit.items.map((e) => e.details).reverse(), [
      { channel: 'email', given: true, source: 'user' },
      { channel: 'email', given: false, source: 'user' },
    ]);
    await assert.rejects(server.sql(`delete from notification_consents where user_id = $1`, [r.member.id]), /append-only/);
    // A new SMS number needs consent again.
    await r.member.client.call('notifications.consent.update', { params: { channel: 'sms' }, body: { given: true } });
    const moved = await r.member.client.call('notifications.preferences.update', { body: { smsPhone: randomPhone() } });
    assert.equal(moved.consent.sms.given, false);
  });

  test('a STOP reply stops SMS at once (even a retry already scheduled) and is audited; START opts back in', async () => {
    const r = await recipient('Stopping Patient');
    smsFailures.set(r.phone, 1); // the first SMS fails, so a retry is waiting when STOP arrives
    await send(p.provider.client, r.threadId, 'before stop');
    await waitFor('the first SMS try', () => textsTo(r).length === 1 || undefined);
    const res = await smsReply(r.phone, 'stop');
    assert.equal(res.status, 200);
    const prefs = await r.member.client.call('notifications.preferences.get');
    assert.equal(prefs.consent.sms.given, false);
    assert.equal(prefs.consent.sms.source, 'sms_reply');
    // The waiting retry does not send: it records why.
    const attempts = await waitFor('the stopped retry', async () => {
      const { items } = await p.admin.client.call('notifications.attempts.list', { query: { userId: r.member.id, channel: 'sms' } });
      return items.find((a) => a.attempt === 2) ? items : undefined;
    });
    assert.deepEqual(attempts.map((a) => [a.attempt, a.status, a.errorClass]).sort(), [
      [1, 'retrying', 'http_503'],
      [2, 'failed', 'consent_withdrawn'],
    ]);
    assert.equal(textsTo(r).length, 1);
    // New messages: e-mail and push, no SMS.
    await send(p.provider.client, r.threadId, 'after stop');
    await sleep(1000);
    assert.equal(textsTo(r).length, 1);
    const audit = await p.compliance.client.call('audit.list', { query: { action: 'notifications.consent.update', patientId: r.member.id } });
    const last = audit.items[0]!;
    assert.deepEqual(last.details, { channel: 'sms', given: false, source: 'sms_reply' });
    assert.equal(last.actorId, null);
    assert.equal((await smsReply(r.phone, 'START')).status, 200);
    assert.equal((await r.member.client.call('notifications.preferences.get')).consent.sms.given, true);
    // Other words change nothing.
    assert.equal((await smsReply(r.phone, 'thanks, see you tomorrow')).status, 200);
    assert.equal((await r.member.client.call('notifications.preferences.get')).consent.sms.given, true);
  });

  test('a webhook with a wrong or missing signature is refused and changes nothing', async () => {
    const r = await recipient('Forged Stop Patient');
    for (const kind of ['wrong', 'none'] as const) {
      const res = await smsReply(r.phone, 'STOP', kind);
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { code: string }).code, 'invalid_signature');
    }
    // A valid signature over another body does not pass either.
    const body = new URLSearchParams({ From: r.phone, Body: 'STOP' }).toString();
    const res = await fetch(`${server.url}/api/v1/notifications/sms/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-haven-signature': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(`${body}&x=1`).digest('hex')}` },
      body,
    });
    assert.equal(res.status, 401);
    const json = await fetch(`${server.url}/api/v1/notifications/sms/inbound`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ From: r.phone, Body: 'STOP' }) });
    assert.equal(json.status, 415);
    assert.equal((await r.member.client.call('notifications.preferences.get')).consent.sms.given, true);
  });

  test('signature schemes: HMAC-SHA256 of the body, and Twilio\'s X-Twilio-Signature', () => {
    const raw = Buffer.from('From=%2B15550100&Body=STOP');
    const good = `sha256=${createHmac('sha256', 'secret-secret-secret').update(raw).digest('hex')}`;
    assert.equal(verifyHmacSignature('secret-secret-secret', raw, good), true);
    assert.equal(verifyHmacSignature('secret-secret-secret', raw, good.toUpperCase().replace('SHA256', 'sha256')), true);
    assert.equal(verifyHmacSignature('another-secret-value', raw, good), false);
    assert.equal(verifyHmacSignature('secret-secret-secret', raw, undefined), false);
    // Twilio: HMAC-SHA1 over the URL and the sorted parameters (name then value), base64.
    const url = 'https://haven.example.org/api/v1/notifications/sms/inbound';
    const params = { From: '+15550100', Body: 'STOP', To: '+15550001111', AccountSid: 'AC1' };
    const expected = createHmac('sha1', 'twilio-token').update(`${url}AccountSidAC1BodySTOPFrom+15550100To+15550001111`).digest('base64');
    assert.equal(twilioSignature('twilio-token', url, params), expected);
    assert.equal(verifyTwilioSignature('twilio-token', url, params, expected), true);
    assert.equal(verifyTwilioSignature('twilio-token', url, { ...params, Body: 'START' }, expected), false);
    assert.equal(verifyTwilioSignature('twilio-token', `${url}x`, params, expected), false);
  });
});

describe('delivery', () => {
  test('a failed delivery is recorded and retried with exponential backoff', async () => {
    const r = await recipient('Retry Patient');
    smsFailures.set(r.phone, 2);
    await send(p.provider.client, r.threadId, 'retry me');
    await waitFor('three SMS tries', () => textsTo(r).length === 3 || undefined, 15_000);
    const [t1, t2, t3] = textsTo(r).map((t) => t.at);
    assert.ok(t2! - t1! >= 280, `second try after ${t2! - t1!} ms`);
    assert.ok(t3! - t2! >= 560, `third try after ${t3! - t2!} ms (backoff doubles)`);
    const { items } = await waitFor('the recorded attempts', async () => {
      const page = await p.admin.client.call('notifications.attempts.list', { query: { userId: r.member.id, channel: 'sms' } });
      return page.items.length === 3 ? page : undefined;
    });
    const byAttempt = [...items].sort((a, b) => a.attempt - b.attempt);
    assert.deepEqual(byAttempt.map((a) => [a.attempt, a.status, a.responseCode, a.errorClass]), [
      [1, 'retrying', 503, 'http_503'],
      [2, 'retrying', 503, 'http_503'],
      [3, 'sent', 201, null],
    ]);
    assert.ok(byAttempt[0]!.nextRetryAt && byAttempt[1]!.nextRetryAt && byAttempt[2]!.nextRetryAt === null);
    const gap1 = Date.parse(byAttempt[0]!.nextRetryAt!) - Date.parse(byAttempt[0]!.createdAt);
    const gap2 = Date.parse(byAttempt[1]!.nextRetryAt!) - Date.parse(byAttempt[1]!.createdAt);
    assert.ok(Math.abs(gap1 - 300) < 120 && Math.abs(gap2 - 600) < 120, `backoff ${gap1} ms then ${gap2} ms`);
    // Nothing of the provider's answer (which quoted the number) is kept or logged.
    assert.ok(!JSON.stringify(items).includes(r.phone.slice(1)));
    assert.ok(!server.logs.join('\n').includes(r.phone.slice(1)));
  });

  test('retries stop at the limit and the attempt is marked failed', async () => {
    const r = await recipient('Failing Patient');
    smsFailures.set(r.phone, 10);
    await send(p.provider.client, r.threadId, 'never arrives by SMS');
    const { items } = await waitFor('the last attempt', async () => {
      const page = await p.admin.client.call('notifications.attempts.list', { query: { userId: r.member.id, channel: 'sms', status: 'failed' } });
      return page.items.length > 0 ? page : undefined;
    }, 15_000);
    assert.deepEqual(items.map((a) => [a.attempt, a.errorClass, a.nextRetryAt]), [[3, 'http_503', null]]);
    await sleep(1000);
    assert.equal(textsTo(r).length, 3);
    smsFailures.delete(r.phone);
  });

  test('a push subscription answered 410 Gone is removed', async () => {
    const r = await recipient('Gone Patient');
    const gone = newPushEndpoint('gone');
    const sub = await r.member.client.call('notifications.push.subscribe', { body: gone.body });
    assert.equal((await r.member.client.call('notifications.push.list')).items.length, 2);
    await send(p.provider.client, r.threadId, 'to two devices');
    await waitFor('the subscription to go', async () => ((await r.member.client.call('notifications.push.list')).items.some((s) => s.id === sub.id) ? undefined : true));
    const { items } = await p.admin.client.call('notifications.attempts.list', { query: { userId: r.member.id, channel: 'push' } });
    assert.deepEqual(items.map((a) => [a.status, a.responseCode, a.errorClass]).sort(), [
      ['failed', 410, 'subscription_gone'],
      ['sent', 201, null],
    ]);
    assert.equal(pushesTo(r).length, 1);
  });

  test('push subscriptions: https on a push service only; a device re-subscribing replaces its row; unsubscribe', async () => {
    const r = await recipient('Device Patient');
    const ok = newPushEndpoint();
    await rejects(r.member.client.call('notifications.push.subscribe', { body: { ...ok.body, endpoint: ok.body.endpoint.replace('https:', 'http:') } }), 400, 'validation_failed');
    await rejects(r.member.client.call('notifications.push.subscribe', { body: { ...ok.body, endpoint: 'https://internal.example.org/admin' } }), 400, 'validation_failed');
    await rejects(r.member.client.call('notifications.push.subscribe', { body: { ...ok.body, endpoint: `https://user:pw@127.0.0.1:${pushPort}/push/x` } }), 400, 'validation_failed');
    const first = await r.member.client.call('notifications.push.subscribe', { body: ok.body });
    const again = await r.member.client.call('notifications.push.subscribe', { body: ok.body });
    const list = await r.member.client.call('notifications.push.list');
    assert.deepEqual(list.items.map((s) => s.id).filter((id) => id === first.id || id === again.id), [again.id]);
    assert.equal(again.endpointOrigin, `https://127.0.0.1:${pushPort}`);
    await r.member.client.call('notifications.push.unsubscribe', { params: { id: again.id } });
    await rejects(r.member.client.call('notifications.push.unsubscribe', { params: { id: again.id } }), 404, 'not_found');
  });

  test('staff are notified per their settings; internal thread participants too', async () => {
    const nurse = await addStaff(server, p.slug, p.admin.client, 'staff', `Nurse Notify ${randomBytes(3).toString('hex')}`, p.dept.id);
    await p.admin.client.call('careTeams.members.add', { params: { id: p.teamA.id }, body: { userId: nurse.id } });
    await nurse.client.call('notifications.consent.update', { params: { channel: 'email' }, body: { given: true } });
    await nurse.client.call('notifications.preferences.update', { body: { batchWindowMinutes: 0 } });
    const prefs = await nurse.client.call('notifications.preferences.get');
    assert.deepEqual(prefs.staff, { assignedThreads: true, urgentThreads: true, careTeamThreads: true });
    const r = await recipient('Staff Watch Patient');
    const toNurse = () => mails.filter((m) => m.to.includes(nurse.email)).length;
    await send(r.member.client, r.threadId, 'patient writes');
    await waitFor('the nurse e-mail', () => toNurse() === 1 || undefined);
    await nurse.client.call('notifications.preferences.update', { body: { staff: { careTeamThreads: false } } });
    const r2 = await recipient('Staff Quiet Patient');
    await send(r2.member.client, r2.threadId, 'patient writes again');
    await sleep(1500);
    assert.equal(toNurse(), 1);
    // Internal threads: participants are notified whatever their care-team setting.
    const internal = await p.provider.client.call('threads.create', { body: { kind: 'internal', subject: 'Handover', participantIds: [nurse.id] } });
    await send(p.provider.client, internal.id, 'can you take bed 4');
    await waitFor('the internal-thread e-mail', () => toNurse() === 2 || undefined);
    // Thread settings are for staff only.
    await rejects(r.member.client.call('notifications.preferences.update', { body: { staff: { careTeamThreads: false } } }), 400, 'validation_failed');
    await p.admin.client.call('careTeams.members.remove', { params: { id: p.teamA.id, userId: nurse.id } });
  });
});

describe('access', () => {
  test('admins see delivery attempts of their organization only, without content or addresses; others are refused', async () => {
    const r = await recipient('Audited Patient');
    await send(p.provider.client, r.threadId, 'attempts please');
    await waitFor('attempts', async () => ((await p.admin.client.call('notifications.attempts.list', { query: { userId: r.member.id } })).items.length === 3 ? true : undefined));
    const page = await p.admin.client.call('notifications.attempts.list', { query: { userId: r.member.id, limit: 2 } });
    assert.equal(page.items.length, 2);
    assert.ok(page.nextCursor);
    const rest = await p.admin.client.call('notifications.attempts.list', { query: { userId: r.member.id, cursor: page.nextCursor!, limit: 2 } });
    assert.equal(rest.items.length, 1);
    assert.deepEqual(new Set([...page.items, ...rest.items].map((a) => a.channel)), new Set(['push', 'email', 'sms']));
    const text = JSON.stringify([...page.items, ...rest.items]);
    for (const secret of [r.phone, r.member.email, r.pushPath, PRACTICE_SENDER]) assert.ok(!text.includes(secret));
    for (const other of [r.member, p.provider, p.nurse, p.compliance, p.patientA]) {
      await rejects(other.client.call('notifications.attempts.list'), 403, 'forbidden');
    }
    const foreign = await b.admin.client.call('notifications.attempts.list', { query: { userId: r.member.id } });
    assert.deepEqual(foreign.items, []);
    await rejects(server.client().call('notifications.attempts.list'), 401);
    const audit = await p.compliance.client.call('audit.list', { query: { action: 'notifications.attempts.list', actorId: p.admin.id } });
    assert.ok(audit.items.length >= 2);
  });

  test('nobody changes another user\'s preferences or subscriptions', async () => {
    const a = await recipient('Owner A');
    const other = await recipient('Owner B');
    // There is no user id in these endpoints; naming one is refused.
    await assert.rejects(
      a.member.client.call('notifications.preferences.update', { body: { userId: other.member.id, channels: { sms: false } } as never }),
      (e: { status?: number }) => e.status === 400,
    );
    await a.member.client.call('notifications.preferences.update', { body: { channels: { sms: false }, batchWindowMinutes: 30 } });
    const theirs = await other.member.client.call('notifications.preferences.get');
    assert.deepEqual(theirs.channels, { push: true, email: true, sms: true });
    assert.equal(theirs.batchWindowMinutes, 10);
    assert.equal(theirs.smsPhone, other.phone);
    const mine = await a.member.client.call('notifications.preferences.get');
    assert.equal(mine.smsPhone, a.phone);
    assert.equal(mine.channels.sms, false);
    // Another user's subscription id answers 404, like one that does not exist; it stays.
    const [theirSub] = (await other.member.client.call('notifications.push.list')).items;
    await rejects(a.member.client.call('notifications.push.unsubscribe', { params: { id: theirSub!.id } }), 404, 'not_found');
    await rejects(b.admin.client.call('notifications.push.unsubscribe', { params: { id: theirSub!.id } }), 404, 'not_found');
    assert.equal((await other.member.client.call('notifications.push.list')).items.length, 1);
    // Bad input.
    await rejects(a.member.client.call('notifications.consent.update', { params: { channel: 'push' as never }, body: { given: true } }), 400);
    await rejects(a.member.client.call('notifications.preferences.update', { body: { smsPhone: '555-CALL-NOW' } }), 400);
    await rejects(a.member.client.call('notifications.preferences.update', { body: { quietHours: { start: '22:00', end: '07:00', timeZone: 'Mars/Olympus' } } }), 400);
    await rejects(server.client().call('notifications.preferences.get'), 401);
  });

  test('the notification sender name defaults to the organization name and is set by admins', async () => {
    const org = await b.admin.client.call('organization.get');
    assert.equal(org.notificationSenderName, null);
    await rejects(b.provider.client.call('organization.update', { body: { notificationSenderName: 'X' } }), 403);
    await rejects(b.admin.client.call('organization.update', { body: { notificationSenderName: 'Bad\nName' } }), 400);
    assert.equal((await p.admin.client.call('organization.get')).notificationSenderName, PRACTICE_SENDER);
    const patient = await addPatient(server, b.slug, b.admin.client, `B Patient ${randomBytes(3).toString('hex')}`, [b.teamA.id]);
    await patient.client.call('notifications.consent.update', { params: { channel: 'email' }, body: { given: true } });
    const thread = await patient.client.call('threads.create', { body: { subject: 'Hello', topic: 'other' } });
    await send(b.provider.client, thread.id, 'hello from org b');
    const mail = await waitFor('the org B e-mail', () => mails.find((m) => m.to.includes(patient.email)));
    assert.equal(mail.subject, `New secure message from ${org.name}`);
  });
});

describe('the job queue', () => {
  test('scheduled work waits in the database while no node runs jobs, and is done when one starts', async () => {
    const r = await recipient('Durable Patient');
    await server.services.jobs.stop();
    try {
      await send(p.provider.client, r.threadId, 'while the workers are down');
      await sleep(1200);
      assert.deepEqual(counts(r), { email: 0, sms: 0, push: 0 });
      const waiting = await server.sql('select 1 from graphile_worker.jobs where key = $1', [`notifications:flush:${r.member.id}`]);
      assert.equal(waiting.rowCount, 1);
    } finally {
      await server.services.jobs.start({ pool: server.pool, db: server.db, logger: createLogger('silent'), concurrency: 2, pollMs: 100 });
    }
    await waitFor('the notification after the restart', () => counts(r).email === 1 && counts(r).sms === 1 && counts(r).push === 1);
  });
});

describe('SMS webhook with Twilio\'s signature scheme', () => {
  test('X-Twilio-Signature over the public webhook URL and the form fields: valid accepted, anything else refused', async () => {
    const token = randomBytes(16).toString('hex');
    const publicUrl = 'https://haven.example.org';
    const twilio = await startTestServer({
      publicUrl,
      notifyDelaySeconds: 3600,
      smsAccountSid: 'ACtwilio',
      smsAuthToken: token,
      smsFrom: '+15550002222',
      smsBaseUrl: 'http://127.0.0.1:9',
      smsWebhookAuth: 'twilio',
    });
    try {
      const t = await createPractice(twilio, 'twilio');
      const phone = randomPhone();
      await t.patientA.client.call('notifications.preferences.update', { body: { smsPhone: phone } });
      await t.patientA.client.call('notifications.consent.update', { params: { channel: 'sms' }, body: { given: true } });
      const url = `${publicUrl}/api/v1/notifications/sms/inbound`;
      const post = (params: Record<string, string>, signature: string) =>
        fetch(`${twilio.url}/api/v1/notifications/sms/inbound`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
          body: new URLSearchParams(params).toString(),
        });
      const params = { MessageSid: 'SM1', AccountSid: 'ACtwilio', From: phone, To: '+15550002222', Body: 'Stop' };
      assert.equal((await post(params, twilioSignature('another-token', url, params))).status, 401);
      assert.equal((await post(params, twilioSignature(token, `${twilio.url}/api/v1/notifications/sms/inbound`, params))).status, 401, 'signed for another URL');
      assert.equal((await post({ ...params, Body: 'START' }, twilioSignature(token, url, params))).status, 401, 'signed for other fields');
      assert.equal((await t.patientA.client.call('notifications.preferences.get')).consent.sms.given, true);
      assert.equal((await post(params, twilioSignature(token, url, params))).status, 200);
      const prefs = await t.patientA.client.call('notifications.preferences.get');
      assert.deepEqual([prefs.consent.sms.given, prefs.consent.sms.source], [false, 'sms_reply']);
    } finally {
      await twilio.stop();
    }
  });
});
