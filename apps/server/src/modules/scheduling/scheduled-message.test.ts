import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { HavenClient, type Message, type ScheduledMessage, type Thread } from '@haven/api';
import { addPatient, addStaff, createPractice, rejects, startNode, startTestServer, uuid, type Member, type Practice, type TestServer } from '../../../test/harness.js';
import { listen, sleep } from '../../../test/live.js';

let server: TestServer;
let p: Practice;
let thread: Thread;

before(async () => {
  server = await startTestServer({ jobPollMs: 100 });
  p = await createPractice(server, 'sched');
  thread = await p.patientA.client.call('threads.create', { body: { subject: 'Blood test results', topic: 'other' } });
});
after(() => server.stop());

const inMs = (ms: number): string => new Date(Date.now() + ms).toISOString();
const canary = (label: string): string => `${label}${randomBytes(6).toString('hex')}`;

/** Polls until `check` answers something, or fails after `ms`. */
async function eventually<T>(check: () => Promise<T | undefined>, ms = 10_000, what = 'a condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function scheduledState(client: HavenClient, threadId: string, id: string): Promise<ScheduledMessage | undefined> {
  const page = await client.call('scheduledMessages.list', { params: { threadId }, query: { limit: 200 } });
  return page.items.find((s) => s.id === id);
}
const settled = (client: HavenClient, threadId: string, id: string) =>
  eventually(async () => {
    const s = await scheduledState(client, threadId, id);
    return s && !['scheduled', 'sending'].includes(s.state) ? s : undefined;
  }, 10_000, `scheduled message ${id} to settle`);

async function messagesWithId(client: HavenClient, threadId: string, id: string): Promise<Message[]> {
  const page = await client.call('messages.list', { params: { threadId }, query: { limit: 200 } });
  return page.items.filter((m) => m.id === id);
}

/** A new staff member on care team A, signed in. */
async function teamMember(name: string): Promise<Member> {
  const m = await addStaff(server, p.slug, p.admin.client, 'staff', `${name} ${randomBytes(3).toString('hex')}`, p.dept.id);
  await p.admin.client.call('careTeams.members.add', { params: { id: p.teamA.id }, body: { userId: m.id } });
  return m;
}

describe('scheduled send', () => {
  test('a scheduled message arrives at its time, exactly once, as its author and with the id the client chose', async () => {
    const patientEvents = await listen(p.patientA.client);
    try {
      const id = uuid();
      const body = canary('Your results are normal ');
      const sendAt = inMs(2500);
      const created = await p.provider.client.call('scheduledMessages.create', { params: { threadId: thread.id }, body: { id, body, sendAt } });
      assert.equal(created.id, id);
      assert.equal(created.state, 'scheduled');
      assert.equal(created.body, body);
      assert.equal(created.authorId, p.provider.id);
      assert.equal(created.patientId, p.patientA.id);
      assert.equal(created.sendAt, new Date(sendAt).toISOString());
      assert.equal(created.version, 1);

      // Before its time it is not a message: nobody reads it in the thread, the patient cannot fetch it.
      assert.deepEqual(await messagesWithId(p.patientA.client, thread.id, id), []);
      assert.deepEqual(await messagesWithId(p.provider.client, thread.id, id), []);
      await rejects(p.patientA.client.call('messages.get', { params: { threadId: thread.id, messageId: id } }), 404, 'not_found');
      // Staff of the thread see it waiting.
      assert.equal((await scheduledState(p.nurse.client, thread.id, id))?.body, body);

      const done = await settled(p.provider.client, thread.id, id);
      assert.equal(done.state, 'sent');
      assert.ok(done.sentAt && Date.parse(done.sentAt) >= Date.parse(sendAt), 'sent before its time');
      const [message, ...more] = await messagesWithId(p.patientA.client, thread.id, id);
      assert.equal(more.length, 0);
      assert.equal(message?.body, body);
      assert.equal(message?.senderId, p.provider.id);
      assert.equal(message?.senderRole, 'provider');
      assert.ok(Date.parse(message!.createdAt) >= Date.parse(sendAt), 'the message is dated from when it was sent');

      // The job running again (a retry, or a crash between the send and the state change) sends nothing more.
      await server.services.scheduledMessages.deliver(p.orgId, id);
      await server.sql(`update scheduled_messages set state = 'sending', sent_at = null where id = $1`, [id]);
      await server.services.scheduledMessages.deliver(p.orgId, id);
      assert.equal((await scheduledState(p.provider.client, thread.id, id))?.state, 'sent');
      assert.equal((await messagesWithId(p.provider.client, thread.id, id)).length, 1);
      const stored = await server.sql<{ n: number }>('select count(*)::int as n from messages where id = $1', [id]);
      assert.equal(stored.rows[0]!.n, 1);

      // The patient got the message live, once, and nothing about it before.
      await patientEvents.waitFor((f) => f.type === 'event' && f.event.type === 'message.created' && f.event.messageId === id);
      await sleep(500);
      const events = patientEvents.events();
      assert.equal(events.filter((e) => e.type === 'message.created' && e.messageId === id).length, 1);
      assert.deepEqual(events.filter((e) => e.type === 'scheduled_message.changed' || e.scheduledMessage), []);

      // Retrying the create (after its time) answers what was stored; the id cannot be reused for something else.
      const again = await p.provider.client.call('scheduledMessages.create', { params: { threadId: thread.id }, body: { id, body, sendAt } });
      assert.equal(again.state, 'sent');
      await rejects(p.provider.client.call('scheduledMessages.create', { params: { threadId: thread.id }, body: { id, body: 'something else', sendAt: inMs(60_000) } }), 409, 'idempotency_conflict');
      // A message id already used by a sent message is refused too.
      const plain = await p.provider.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'sent by hand' } });
      await rejects(p.provider.client.call('scheduledMessages.create', { params: { threadId: thread.id }, body: { id: plain.id, body: 'sent by hand', sendAt: inMs(60_000) } }), 409, 'idempotency_conflict');
    } finally {
      patientEvents.stream.close();
    }
  });

  test('staff of the thread see and edit it; the patient sees nothing of it (lists, events, search)', async () => {
    const word = canary('zebrafinch');
    const staffEvents = await listen(p.provider.client);
    const patientEvents = await listen(p.patientA.client);
    try {
      const id = uuid();
      const created = await p.nurse.client.call('scheduledMessages.create', { params: { threadId: thread.id }, body: { id, body: `Reminder ${word}: fasting before the test`, sendAt: inMs(60_000) } });

      // The patient: no capability at all (403), and no trace in their thread, search or event stream.
      await rejects(p.patientA.client.call('scheduledMessages.list', { params: { threadId: thread.id } }), 403, 'forbidden');
      await rejects(p.patientA.client.call('scheduledMessages.overview'), 403, 'forbidden');
      await rejects(p.patientA.client.call('scheduledMessages.update', { params: { scheduledMessageId: id }, body: { body: 'hijacked' } }), 403, 'forbidden');
      await rejects(p.patientA.client.call('scheduledMessages.cancel', { params: { scheduledMessageId: id } }), 403, 'forbidden');
      assert.deepEqual((await p.patientA.client.call('messages.search', { body: { query: word } })).items, []);
      // Not a message yet: staff search does not find it either.
      assert.deepEqual((await p.provider.client.call('messages.search', { body: { query: word } })).items, []);

      // Other staff of the thread see it with its text; other care teams do not know it exists.
      assert.equal((await scheduledState(p.provider.client, thread.id, id))?.body, created.body);
      await rejects(p.otherProvider.client.call('scheduledMessages.list', { params: { threadId: thread.id } }), 404, 'not_found');
      await rejects(p.otherProvider.client.call('scheduledMessages.update', { params: { scheduledMessageId: id }, body: { body: 'x' } }), 404, 'not_found');
      await rejects(p.otherProvider.client.call('scheduledMessages.cancel', { params: { scheduledMessageId: id } }), 404, 'not_found');
      // Seeing it is not owning it: only the author edits, only the author or an admin cancels.
      await rejects(p.provider.client.call('scheduledMessages.update', { params: { scheduledMessageId: id }, body: { body: 'x' } }), 403, 'forbidden');
      await rejects(p.provider.client.call('scheduledMessages.cancel', { params: { scheduledMessageId: id } }), 403, 'forbidden');
      await rejects(p.admin.client.call('scheduledMessages.update', { params: { scheduledMessageId: id }, body: { body: 'x' } }), 403, 'forbidden');

      // The overview carries no text: the author's own, or (admins) the organization's.
      const mine = await p.nurse.client.call('scheduledMessages.overview', { query: { state: 'scheduled' } });
      assert.deepEqual(mine.items.find((s) => s.id === id), { ...created, body: null });
      assert.ok(mine.items.every((s) => s.authorId === p.nurse.id));
      assert.equal((await p.provider.client.call('scheduledMessages.overview')).items.some((s) => s.id === id), false);
      await rejects(p.provider.client.call('scheduledMessages.overview', { query: { authorId: p.nurse.id } }), 403, 'forbidden');
      const org = await p.admin.client.call('scheduledMessages.overview', { query: { authorId: p.nurse.id } });
      assert.equal(org.items.find((s) => s.id === id)?.body, null);

      // The author changes the text (a new version) and brings the time forward.
      const edited = await p.nurse.client.call('scheduledMessages.update', { params: { scheduledMessageId: id }, body: { body: `Edited ${word}: no fasting needed` } });
      assert.equal(edited.version, 2);
      assert.equal(edited.body, `Edited ${word}: no fasting needed`);
      const sendAt = inMs(2500);
      const moved = await p.nurse.client.call('scheduledMessages.update', { params: { scheduledMessageId: id }, body: { sendAt } });
      assert.equal(moved.sendAt, new Date(sendAt).toISOString());
      assert.equal(moved.version, 2);
      assert.equal((await settled(p.nurse.client, thread.id, id)).state, 'sent');
      const [message] = await messagesWithId(p.patientA.client, thread.id, id);
      assert.equal(message?.body, `Edited ${word}: no fasting needed`);
      assert.equal(message?.senderId, p.nurse.id);
      await rejects(p.nurse.client.call('scheduledMessages.update', { params: { scheduledMessageId: id }, body: { body: 'too late' } }), 409, 'conflict');

      // Staff followed the scheduled message live; the patient only ever got the sent message.
      await staffEvents.waitFor((f) => f.type === 'event' && f.event.type === 'scheduled_message.changed' && f.event.scheduledMessage?.id === id && f.event.scheduledMessage.state === 'sent');
      await patientEvents.waitFor((f) => f.type === 'event' && f.event.type === 'message.created' && f.event.messageId === id);
      assert.deepEqual(patientEvents.events().filter((e) => e.type === 'scheduled_message.changed' || e.scheduledMessage), []);
      // Replaying the patient's stream from the start shows nothing of it either.
      const replay = await listen(p.patientA.client, { cursor: '0' });
      try {
        await replay.waitFor((f) => f.type === 'ready');
        assert.deepEqual(replay.events().filter((e) => e.type === 'scheduled_message.changed'), []);
      } finally {
        replay.stream.close();
      }
    } finally {
      staffEvents.stream.close();
      patientEvents.stream.close();
    }
  });

  test('cancelling prevents the send: by its author, or by an admin', async () => {
    const id = uuid();
    await p.provider.client.call('scheduledMessages.create', { params: { threadId: thread.id }, body: { id, body: 'Cancelled before it goes', sendAt: inMs(3000) } });
    const cancelled = await p.provider.client.call('scheduledMessages.cancel', { params: { scheduledMessageId: id } });
    assert.equal(cancelled.state, 'cancelled');
    assert.equal(cancelled.cancelledBy, p.provider.id);
    await sleep(4000);
    assert.deepEqual(await messagesWithId(p.provider.client, thread.id, id), []);
    await server.services.scheduledMessages.deliver(p.orgId, id);
    assert.deepEqual(await messagesWithId(p.provider.client, thread.id, id), []);
    assert.equal((await scheduledState(p.provider.client, thread.id, id))?.state, 'cancelled');
    // Cancelling again changes nothing; changing it is too late.
    assert.equal((await p.provider.client.call('scheduledMessages.cancel', { params: { scheduledMessageId: id } })).cancelledAt, cancelled.cancelledAt);
    await rejects(p.provider.client.call('scheduledMessages.update', { params: { scheduledMessageId: id }, body: { body: 'revived?' } }), 409, 'conflict');

    // An admin cancels someone's scheduled message (offboarding) without reading it.
    const other = uuid();
    await p.nurse.client.call('scheduledMessages.create', { params: { threadId: thread.id }, body: { id: other, body: 'Admin will cancel this', sendAt: inMs(60_000) } });
    const byAdmin = await p.admin.client.call('scheduledMessages.cancel', { params: { scheduledMessageId: other } });
    assert.equal(byAdmin.state, 'cancelled');
    assert.equal(byAdmin.cancelledBy, p.admin.id);
    assert.equal(byAdmin.body, null);
    const audit = await server.sql<{ actor_id: string; details: Record<string, unknown> }>(`select actor_id, details from audit_events where action = 'scheduledMessages.cancel' and resource_id = $1`, [other]);
    assert.equal(audit.rows[0]?.actor_id, p.admin.id);
  });

  test('bad requests are refused clearly and store nothing', async () => {
    const before = (await server.sql<{ n: number }>('select count(*)::int as n from scheduled_messages')).rows[0]!.n;
    const create = (body: Record<string, unknown>, threadId = thread.id) => p.provider.client.call('scheduledMessages.create', { params: { threadId }, body: body as never });
    await rejects(create({ id: uuid(), body: 'now', sendAt: inMs(0) }), 400, 'validation_failed');
    await rejects(create({ id: uuid(), body: 'past', sendAt: inMs(-60_000) }), 400, 'validation_failed');
    await rejects(create({ id: uuid(), body: 'too far', sendAt: inMs(366 * 86_400_000) }), 400, 'validation_failed');
    await rejects(create({ id: uuid(), body: 'not a time', sendAt: 'tomorrow' }), 400, 'validation_failed');
    await rejects(create({ id: uuid(), body: '', sendAt: inMs(60_000) }), 400, 'validation_failed');
    await rejects(create({ id: 'not-a-uuid', body: 'x', sendAt: inMs(60_000) }), 400, 'validation_failed');
    await rejects(create({ id: uuid(), body: 'x', sendAt: inMs(60_000), authorId: p.nurse.id }), 400, 'validation_failed');
    await rejects(create({ id: uuid(), body: 'x', sendAt: inMs(60_000) }, uuid()), 404, 'not_found');
    const after = (await server.sql<{ n: number }>('select count(*)::int as n from scheduled_messages')).rows[0]!.n;
    assert.equal(after, before);
    // An update needs something to change, and the same time limits.
    const id = uuid();
    await create({ id, body: 'to be updated', sendAt: inMs(60_000) });
    await rejects(p.provider.client.call('scheduledMessages.update', { params: { scheduledMessageId: id }, body: {} }), 400, 'validation_failed');
    await rejects(p.provider.client.call('scheduledMessages.update', { params: { scheduledMessageId: id }, body: { sendAt: inMs(-1000) } }), 400, 'validation_failed');
    await rejects(p.provider.client.call('scheduledMessages.update', { params: { scheduledMessageId: uuid() }, body: { body: 'x' } }), 404, 'not_found');
  });

  test('internal staff threads: participants schedule into them', async () => {
    const internal = await p.provider.client.call('threads.create', { body: { kind: 'internal', subject: 'Handover', participantIds: [p.nurse.id] } });
    const id = uuid();
    const s = await p.provider.client.call('scheduledMessages.create', { params: { threadId: internal.id }, body: { id, body: 'Handover at 7', sendAt: inMs(2500) } });
    assert.equal(s.patientId, null);
    await rejects(p.otherProvider.client.call('scheduledMessages.list', { params: { threadId: internal.id } }), 404, 'not_found');
    assert.equal((await settled(p.nurse.client, internal.id, id)).state, 'sent');
    assert.equal((await messagesWithId(p.nurse.client, internal.id, id))[0]?.body, 'Handover at 7');
  });

  test("the author's access is checked again at send time: removed from the care team, or deactivated, nothing is sent", async () => {
    const removed = await teamMember('Leaving Team');
    const deactivated = await teamMember('Leaving Practice');
    const [textA, textB] = [canary('Never sent A '), canary('Never sent B ')];
    const a = await removed.client.call('scheduledMessages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: textA, sendAt: inMs(4000) } });
    const b = await deactivated.client.call('scheduledMessages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: textB, sendAt: inMs(4000) } });
    await p.admin.client.call('careTeams.members.remove', { params: { id: p.teamA.id, userId: removed.id } });
    await p.admin.client.call('users.deactivate', { params: { id: deactivated.id } });

    const failedA = await settled(p.provider.client, thread.id, a.id);
    const failedB = await settled(p.provider.client, thread.id, b.id);
    assert.deepEqual([failedA.state, failedA.failureReason], ['failed', 'access_revoked']);
    assert.deepEqual([failedB.state, failedB.failureReason], ['failed', 'author_inactive']);
    assert.deepEqual(await messagesWithId(p.provider.client, thread.id, a.id), []);
    assert.deepEqual(await messagesWithId(p.provider.client, thread.id, b.id), []);
    // The failure is audited and logged with ids and a reason code, never the text.
    const audit = await server.sql<{ outcome: string; details: Record<string, unknown> }>(`select outcome, details from audit_events where action = 'scheduledMessages.send' and resource_id = any($1::text[])`, [[a.id, b.id]]);
    assert.deepEqual(audit.rows.map((r) => [r.outcome, r.details.reason]).sort(), [['failure', 'access_revoked'], ['failure', 'author_inactive']]);
    await eventually(async () => (server.logs.some((l) => l.includes('scheduled message not sent') && l.includes(a.id)) ? true : undefined), 2000, 'the log line');
    const logs = server.logs.join('\n');
    assert.ok(!logs.includes(textA) && !logs.includes(textB), 'scheduled text in the logs');
  });

  test('a patient archived before the time: the message fails at once as messaging_closed; scheduling for them is refused', async () => {
    const patient = await addPatient(server, p.slug, p.admin.client, `Archived ${randomBytes(3).toString('hex')}`, [p.teamA.id]);
    const t = await patient.client.call('threads.create', { body: { subject: 'Later', topic: 'other' } });
    const id = uuid();
    await p.nurse.client.call('scheduledMessages.create', { params: { threadId: t.id }, body: { id, body: 'See you soon', sendAt: inMs(1500) } });
    await p.admin.client.call('patients.archive', { params: { id: patient.id } });
    const s = await settled(p.nurse.client, t.id, id);
    assert.equal(s.state, 'failed');
    assert.equal(s.failureReason, 'messaging_closed');
    assert.deepEqual(await messagesWithId(p.nurse.client, t.id, id), []);
    await rejects(p.nurse.client.call('scheduledMessages.create', { params: { threadId: t.id }, body: { id: uuid(), body: 'x', sendAt: inMs(60_000) } }), 409, 'patient_archived');
  });

  test('the text is ciphertext at rest, bound to its row', async () => {
    const secret = canary('Biopsy booked ');
    const own = await p.patientA.client.call('threads.create', { body: { subject: 'Separate thread', topic: 'other' } });
    const one = await p.provider.client.call('scheduledMessages.create', { params: { threadId: own.id }, body: { id: uuid(), body: secret, sendAt: inMs(120_000) } });
    const two = await p.provider.client.call('scheduledMessages.create', { params: { threadId: own.id }, body: { id: uuid(), body: 'another one', sendAt: inMs(120_000) } });
    const rows = await server.sql<{ id: string; body_ct: Buffer; request_hash: Buffer }>('select id, body_ct, request_hash from scheduled_messages where id = any($1::uuid[])', [[one.id, two.id]]);
    for (const r of rows.rows) {
      assert.ok(!r.body_ct.includes(Buffer.from(secret)) && !r.request_hash.includes(Buffer.from(secret)));
    }
    // Another row's ciphertext in its place fails authentication: an integrity error, never the wrong text.
    await server.sql('update scheduled_messages set body_ct = (select body_ct from scheduled_messages where id = $2) where id = $1', [one.id, two.id]);
    await rejects(p.provider.client.call('scheduledMessages.list', { params: { threadId: own.id } }), 500, 'integrity_error');
    await p.provider.client.call('scheduledMessages.cancel', { params: { scheduledMessageId: one.id } }).catch(() => undefined);
  });
});

describe('restarts', () => {
  test('a scheduled message survives a server restart before its time (the job is a row) and is sent once', async () => {
    const first = await startTestServer({ jobPollMs: 100 });
    let firstOpen = true;
    try {
      const q = await createPractice(first, 'restart');
      const t = await q.patientA.client.call('threads.create', { body: { subject: 'After the restart', topic: 'other' } });
      const id = uuid();
      await q.provider.client.call('scheduledMessages.create', { params: { threadId: t.id }, body: { id, body: 'Sent by the next node', sendAt: inMs(8000) } });
      // The node stops before the time; another node starts on the same database.
      await first.close();
      firstOpen = false;
      const waiting = await first.sql<{ state: string }>('select state from scheduled_messages where id = $1', [id]);
      assert.equal(waiting.rows[0]?.state, 'scheduled', 'the first node stopped before the time');
      const node = await startNode(first);
      try {
        const patient = new HavenClient({ baseUrl: node.url, token: q.patientA.client.token });
        const provider = new HavenClient({ baseUrl: node.url, token: q.provider.client.token });
        const done = await settled(provider, t.id, id);
        assert.equal(done.state, 'sent');
        const arrived = await messagesWithId(patient, t.id, id);
        assert.equal(arrived.length, 1);
        assert.equal(arrived[0]?.body, 'Sent by the next node');
        assert.equal(arrived[0]?.senderId, q.provider.id);
      } finally {
        await node.close();
      }
    } finally {
      // The first node is closed already: stop() only drops the database.
      if (!firstOpen) first.close = async () => undefined;
      await first.stop();
    }
  });
});
