import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FollowUp, HavenClient, Thread } from '@haven/api';
import { loadConfig } from '../../config.js';
import { addPatient, addStaff, createPractice, rejects, startTestServer, uuid, type Member, type Practice, type TestServer } from '../../../test/harness.js';
import { listen, sleep } from '../../../test/live.js';

// Follow-ups count days; this server's day is one second (FOLLOWUP_DAY_SECONDS, a test-only setting). Texts go to a
// local stand-in for the SMS provider, which records what it receives.

const PRACTICE_SENDER = 'Riverside Clinic';
const APP_URL = 'https://app.haven.test';
let sms: Server;
let smsPort = 0;
const texts: { to: string; body: string }[] = [];

let server: TestServer;
let p: Practice;

before(async () => {
  sms = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      texts.push({ to: form.get('To') ?? '', body: form.get('Body') ?? '' });
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ sid: `SM${randomBytes(8).toString('hex')}` }));
    });
  });
  await new Promise<void>((r) => sms.listen(0, '127.0.0.1', r));
  smsPort = (sms.address() as AddressInfo).port;
  server = await startTestServer({
    jobPollMs: 100,
    followUpDaySeconds: 1,
    // Message notifications (a minute after a message) stay out of these tests' texts.
    notifyDelaySeconds: 600,
    notifyAppUrl: APP_URL,
    smsAccountSid: 'ACfollowup',
    smsAuthToken: 'followup-token',
    smsFrom: '+15550002222',
    smsBaseUrl: `http://127.0.0.1:${smsPort}`,
  });
  p = await createPractice(server, 'follow');
  await p.admin.client.call('organization.update', { body: { notificationSenderName: PRACTICE_SENDER } });
});
after(async () => {
  await server?.stop();
  sms?.close();
});

const randomPhone = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

/** Gives a member an SMS number with consent; answers the number. */
async function textable(member: Member): Promise<string> {
  const phone = randomPhone();
  await member.client.call('notifications.preferences.update', { body: { smsPhone: phone } });
  await member.client.call('notifications.consent.update', { params: { channel: 'sms' }, body: { given: true } });
  return phone;
}

/** A new patient of care team A, reachable by SMS, with a thread whose subject is a canary. */
async function patientWithThread(): Promise<{ patient: Member; phone: string; thread: Thread; subject: string }> {
  const patient = await addPatient(server, p.slug, p.admin.client, `Patient ${randomBytes(3).toString('hex')}`, [p.teamA.id]);
  const phone = await textable(patient);
  const subject = `Chemo side effects ${randomBytes(4).toString('hex')}`;
  const thread = await patient.client.call('threads.create', { body: { subject, topic: 'other' } });
  return { patient, phone, thread, subject };
}

async function followUpOf(client: HavenClient, threadId: string, id: string): Promise<FollowUp | undefined> {
  return (await client.call('followUps.list', { params: { threadId }, query: { limit: 200 } })).items.find((f) => f.id === id);
}
async function settled(client: HavenClient, threadId: string, id: string, ms = 10_000): Promise<FollowUp> {
  const end = Date.now() + ms;
  for (;;) {
    const f = await followUpOf(client, threadId, id);
    if (f && f.state !== 'pending') return f;
    if (Date.now() > end) throw new Error(`follow-up ${id} still pending`);
    await sleep(100);
  }
}
async function textTo(phone: string, ms = 5000): Promise<{ to: string; body: string }> {
  const end = Date.now() + ms;
  for (;;) {
    const t = texts.find((x) => x.to === phone);
    if (t) return t;
    if (Date.now() > end) throw new Error(`no text to ${phone}`);
    await sleep(100);
  }
}
const notificationsOf = async (userId: string) => (await server.sql<{ n: number }>('select count(*)::int as n from notifications where user_id = $1', [userId])).rows[0]!.n;

describe('follow-up reminders', () => {
  test('satisfied when the patient answers in time: nothing is sent', async () => {
    const { patient, phone, thread } = await patientWithThread();
    const f = await p.nurse.client.call('followUps.create', { params: { threadId: thread.id }, body: { afterDays: 3, action: 'nudge_patient' } });
    assert.equal(f.state, 'pending');
    assert.equal(f.patientId, patient.id);
    assert.equal(f.createdBy, p.nurse.id);
    assert.ok(Math.abs(Date.parse(f.dueAt) - Date.parse(f.createdAt) - 3000) < 50, 'due after three (one-second) days');
    await patient.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'Feeling better, thanks' } });
    const done = await settled(p.nurse.client, thread.id, f.id);
    assert.equal(done.state, 'satisfied');
    assert.ok(done.settledAt);
    await sleep(500);
    assert.equal(texts.filter((t) => t.to === phone).length, 0);
    assert.equal(await notificationsOf(patient.id), 0);
  });

  test('nudge the patient: fired when only staff wrote, as a notification without any content', async () => {
    const { patient, phone, thread, subject } = await patientWithThread();
    const body = `Please send your temperature readings ${randomBytes(4).toString('hex')}`;
    await patient.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'I have a fever' } });
    await p.provider.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body } });
    // The patient's earlier messages do not count, nor does staff writing after the follow-up was set.
    const f = await p.provider.client.call('followUps.create', { params: { threadId: thread.id }, body: { afterDays: 1, action: 'nudge_patient' } });
    await p.nurse.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'Any news?' } });
    const done = await settled(p.provider.client, thread.id, f.id);
    assert.equal(done.state, 'fired');
    const text = await textTo(phone);
    assert.equal(text.body, `A secure message from ${PRACTICE_SENDER} is waiting for you. Sign in to read it: ${APP_URL}/inbox Reply STOP to stop texts.`);
    for (const secret of [subject, body, 'temperature', p.provider.email]) assert.ok(!text.body.includes(secret));
    // Running the job again sends nothing more.
    const before = await notificationsOf(patient.id);
    await server.services.followUps.run(p.orgId, f.id);
    await sleep(300);
    assert.equal(await notificationsOf(patient.id), before);
    assert.equal(texts.filter((t) => t.to === phone).length, 1);
    const audit = await server.sql<{ details: Record<string, unknown> }>(`select details from audit_events where action = 'followUps.run' and resource_id = $1`, [f.id]);
    assert.deepEqual(audit.rows.map((r) => r.details.state), ['fired']);
  });

  test('remind me: a live event and a notification to the one who set it, nobody else', async () => {
    const { thread } = await patientWithThread();
    const nursePhone = await textable(p.nurse);
    // Where the streams are now (the sockets close again: a connected user gets the event instead of a text).
    const cursorOf = async (client: HavenClient) => {
      const l = await listen(client);
      const ready = await l.waitFor((f) => f.type === 'ready');
      l.stream.close();
      await l.waitClosed().catch(() => undefined);
      return ready.type === 'ready' ? ready.cursor : '0';
    };
    const nurseCursor = await cursorOf(p.nurse.client);
    const providerCursor = await cursorOf(p.provider.client);
    await sleep(300);
    const f = await p.nurse.client.call('followUps.create', { params: { threadId: thread.id }, body: { afterDays: 1, action: 'remind_me' } });
    assert.equal((await settled(p.nurse.client, thread.id, f.id)).state, 'fired');
    const text = await textTo(nursePhone);
    assert.equal(text.body, `You have a follow-up reminder in ${PRACTICE_SENDER}'s secure messaging. Sign in to see it: ${APP_URL}/inbox Reply STOP to stop texts.`);

    const nurse = await listen(p.nurse.client, { cursor: nurseCursor });
    const provider = await listen(p.provider.client, { cursor: providerCursor });
    try {
      const due = await nurse.waitFor((fr) => fr.type === 'event' && fr.event.type === 'followup.due' && fr.event.followUp?.id === f.id);
      assert.ok(due.type === 'event');
      assert.deepEqual(due.event.followUp, { id: f.id, patientId: f.patientId, action: 'remind_me' });
      assert.equal(due.event.threadId, thread.id);
      await provider.waitFor((fr) => fr.type === 'ready');
      assert.deepEqual(provider.events().filter((e) => e.type === 'followup.due'), []);
    } finally {
      nurse.stream.close();
      provider.stream.close();
    }
  });

  test('cancel: only the one who set it; a cancelled follow-up never fires', async () => {
    const { patient, phone, thread } = await patientWithThread();
    const f = await p.provider.client.call('followUps.create', { params: { threadId: thread.id }, body: { afterDays: 2, action: 'nudge_patient' } });
    const cancelled = await p.provider.client.call('followUps.cancel', { params: { followUpId: f.id } });
    assert.equal(cancelled.state, 'cancelled');
    assert.deepEqual(await p.provider.client.call('followUps.cancel', { params: { followUpId: f.id } }), cancelled);
    await rejects(p.nurse.client.call('followUps.cancel', { params: { followUpId: f.id } }), 403, 'forbidden');
    await rejects(p.otherProvider.client.call('followUps.cancel', { params: { followUpId: f.id } }), 404, 'not_found');
    await rejects(patient.client.call('followUps.cancel', { params: { followUpId: f.id } }), 403, 'forbidden');
    await rejects(p.provider.client.call('followUps.cancel', { params: { followUpId: uuid() } }), 404, 'not_found');
    // A settled follow-up cannot be cancelled.
    const fired = await p.provider.client.call('followUps.create', { params: { threadId: thread.id }, body: { afterDays: 1, action: 'remind_me' } });
    await settled(p.provider.client, thread.id, fired.id);
    await rejects(p.provider.client.call('followUps.cancel', { params: { followUpId: fired.id } }), 409, 'conflict');
    await sleep(Math.max(0, Date.parse(f.dueAt) + 800 - Date.now()));
    assert.equal((await followUpOf(p.provider.client, thread.id, f.id))?.state, 'cancelled');
    assert.equal(texts.filter((t) => t.to === phone).length, 0);
  });

  test('who may set and see follow-ups, and what is refused', async () => {
    const { patient, thread } = await patientWithThread();
    const f = await p.nurse.client.call('followUps.create', { params: { threadId: thread.id }, body: { afterDays: 90, action: 'remind_me' } });
    // Providers and staff of the thread see them; the patient has no such capability; other care teams see nothing.
    assert.ok(await followUpOf(p.provider.client, thread.id, f.id));
    await rejects(patient.client.call('followUps.list', { params: { threadId: thread.id } }), 403, 'forbidden');
    await rejects(patient.client.call('followUps.create', { params: { threadId: thread.id }, body: { afterDays: 1, action: 'remind_me' } }), 403, 'forbidden');
    await rejects(p.otherProvider.client.call('followUps.list', { params: { threadId: thread.id } }), 404, 'not_found');
    await rejects(p.otherProvider.client.call('followUps.create', { params: { threadId: thread.id }, body: { afterDays: 1, action: 'remind_me' } }), 404, 'not_found');
    await rejects(p.admin.client.call('followUps.create', { params: { threadId: thread.id }, body: { afterDays: 1, action: 'remind_me' } }), 403, 'forbidden');
    // Bad input.
    const create = (body: Record<string, unknown>) => p.nurse.client.call('followUps.create', { params: { threadId: thread.id }, body: body as never });
    await rejects(create({ afterDays: 0, action: 'remind_me' }), 400, 'validation_failed');
    await rejects(create({ afterDays: 91, action: 'remind_me' }), 400, 'validation_failed');
    await rejects(create({ afterDays: 1.5, action: 'remind_me' }), 400, 'validation_failed');
    await rejects(create({ afterDays: 1, action: 'call_them' }), 400, 'validation_failed');
    await rejects(create({ afterDays: 1, action: 'remind_me', createdBy: p.provider.id }), 400, 'validation_failed');
    // Internal threads have no patient to wait for.
    const internal = await p.nurse.client.call('threads.create', { body: { kind: 'internal', subject: 'Staffing', participantIds: [p.provider.id] } });
    await rejects(p.nurse.client.call('followUps.create', { params: { threadId: internal.id }, body: { afterDays: 1, action: 'remind_me' } }), 422, 'not_a_patient_thread');
    await p.nurse.client.call('followUps.cancel', { params: { followUpId: f.id } });
  });

  test('fails, sending nothing, when the one who set it lost access to the thread or left', async () => {
    const { phone, thread } = await patientWithThread();
    const staff = await addStaff(server, p.slug, p.admin.client, 'staff', `Temp ${randomBytes(3).toString('hex')}`, p.dept.id);
    await p.admin.client.call('careTeams.members.add', { params: { id: p.teamA.id }, body: { userId: staff.id } });
    const staffPhone = await textable(staff);
    const reminder = await staff.client.call('followUps.create', { params: { threadId: thread.id }, body: { afterDays: 3, action: 'remind_me' } });
    const nudge = await staff.client.call('followUps.create', { params: { threadId: thread.id }, body: { afterDays: 3, action: 'nudge_patient' } });
    await p.admin.client.call('careTeams.members.remove', { params: { id: p.teamA.id, userId: staff.id } });
    for (const f of [reminder, nudge]) {
      const done = await settled(p.nurse.client, thread.id, f.id);
      assert.deepEqual([done.state, done.reason], ['failed', 'access_revoked']);
    }
    const gone = await addStaff(server, p.slug, p.admin.client, 'staff', `Gone ${randomBytes(3).toString('hex')}`, p.dept.id);
    await p.admin.client.call('careTeams.members.add', { params: { id: p.teamA.id }, body: { userId: gone.id } });
    const third = await gone.client.call('followUps.create', { params: { threadId: thread.id }, body: { afterDays: 3, action: 'nudge_patient' } });
    await p.admin.client.call('users.deactivate', { params: { id: gone.id } });
    const done = await settled(p.nurse.client, thread.id, third.id);
    assert.deepEqual([done.state, done.reason], ['failed', 'creator_inactive']);
    await sleep(300);
    assert.equal(texts.filter((t) => t.to === phone || t.to === staffPhone).length, 0);
  });

  test('a nudge fails, sending nothing, when the patient could not answer: archived meanwhile', async () => {
    const { patient, phone, thread } = await patientWithThread();
    await p.nurse.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'Did the new dose help?' } });
    const nudge = await p.nurse.client.call('followUps.create', { params: { threadId: thread.id }, body: { afterDays: 3, action: 'nudge_patient' } });
    await p.admin.client.call('patients.archive', { params: { id: patient.id } });
    const done = await settled(p.nurse.client, thread.id, nudge.id);
    assert.deepEqual([done.state, done.reason], ['failed', 'messaging_closed']);
    await sleep(300);
    assert.equal(texts.filter((t) => t.to === phone).length, 0);
  });

  test('the shortened day is a test-only setting', () => {
    assert.throws(() => loadConfig({ HAVEN_ENV: 'production', FOLLOWUP_DAY_SECONDS: '1' }), /FOLLOWUP_DAY_SECONDS/);
    assert.throws(() => loadConfig({ HAVEN_ENV: 'development', FOLLOWUP_DAY_SECONDS: '60' }), /FOLLOWUP_DAY_SECONDS/);
    assert.equal(loadConfig({ HAVEN_ENV: 'development' }).followUpDaySeconds, 86_400);
    assert.equal(loadConfig({ HAVEN_ENV: 'test', FOLLOWUP_DAY_SECONDS: '2' }).followUpDaySeconds, 2);
  });
});
