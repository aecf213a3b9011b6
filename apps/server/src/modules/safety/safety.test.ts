import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { HavenClient, Message } from '@haven/api';
import { createPractice, rejects, startTestServer, uuid, type Practice, type TestServer, waitFor } from '../../../test/harness.js';
import { listen } from '../../../test/live.js';
import { ManualClock } from '../../platform/time/clock.js';

// Tuesday 24 November 2026, 20:47 in New York (the practice's default time zone; open Mon-Fri 08:00-17:00).
const TUESDAY_2047 = '2026-11-25T01:47:00Z';
const clock = new ManualClock(TUESDAY_2047);
let server: TestServer;
let p: Practice;

before(async () => {
  server = await startTestServer({ slaSweepSeconds: 3600 }, { clock });
  p = await createPractice(server, 'safe', { hours: 'default' });
});
after(() => server.stop());

const history = async (c: HavenClient, threadId: string): Promise<Message[]> => (await c.call('messages.list', { params: { threadId } })).items;


describe('a patient in crisis is never left waiting', () => {
  test('20:47 on a Tuesday, "I can\'t cope": crisis reply within a second, thread urgent, on-call paged and alerted live', async () => {
    // Dr B (another care team) is on call tonight for the department.
    await p.admin.client.call('onCall.shifts.create', {
      body: { departmentId: p.dept.id, userId: p.otherProvider.id, startsAt: '2026-11-24T22:00:00Z', endsAt: '2026-11-25T13:00:00Z' },
    });
    await p.otherProvider.client.call('notifications.preferences.update', { body: { quietHours: { start: '20:00', end: '07:00', timeZone: 'America/New_York' } } });
    const onCall = await listen(p.otherProvider.client);
    const thread = await p.patientA.client.call('threads.create', { body: { subject: 'Tonight', topic: 'clinical_question' } });
    const sent = await p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: "I can't cope anymore. I don't want to be alive." } });
    assert.equal(sent.senderId, p.patientA.id, 'the patient message is delivered');

    const reply = await waitFor('the crisis reply', async () => (await history(p.patientA.client, thread.id)).find((m) => m.senderRole === 'system'));
    // Measured by the server's own timestamps: the patient's message and the reply it got.
    const lag = Date.parse(reply.createdAt) - Date.parse(sent.createdAt);
    assert.ok(lag < 1000, `crisis reply ${lag} ms after the message`);
    assert.match(reply.body ?? '', /988/);
    assert.match(reply.body ?? '', /911/);
    const msgs = await history(p.patientA.client, thread.id);
    assert.equal(msgs.filter((m) => m.senderRole === 'system').length, 1, 'one reply: the crisis guidance (no off-hours reply on top)');

    const staffView = await p.nurse.client.call('threads.get', { params: { threadId: thread.id } });
    assert.equal(staffView.workflow?.priority, 'urgent');
    const alert = await onCall.waitFor((f) => f.type === 'event' && f.event.type === 'safety.alert' && f.event.threadId === thread.id);
    assert.ok(alert);
    // Paged urgently (quiet hours do not hold a crisis page back).
    const items = await server.sql<{ user_id: string; urgent: boolean }>('SELECT user_id, urgent FROM notification_items WHERE thread_id = $1 AND urgent', [thread.id]);
    assert.ok(items.rows.some((r) => r.user_id === p.otherProvider.id));
    // The categories are kept encrypted; the audit trail names no category.
    const rows = await server.sql<{ detail_ct: Buffer }>('SELECT detail_ct FROM safety_alerts WHERE thread_id = $1', [thread.id]);
    assert.equal(rows.rows.length, 1);
    assert.ok(!rows.rows[0]!.detail_ct.toString('latin1').includes('suicid'));
    const audit = await p.compliance.client.call('audit.list', { query: { action: 'safety.crisis_detected' } });
    assert.ok(audit.items.some((a) => a.resourceId === thread.id && !JSON.stringify(a.details).includes('suicid')));

    // The on-call is from another care team: paged for this patient, they are given this thread (audited). They
    // find it in their urgent view, read it, claim it and answer; the patient sees the answer live.
    const urgent = await p.otherProvider.client.call('inbox.list', { query: { view: 'urgent' } });
    assert.ok(urgent.items.some((t) => t.id === thread.id), 'the paged on-call finds the thread');
    assert.equal((await history(p.otherProvider.client, thread.id)).length, 2);
    const patientLive = await listen(p.patientA.client);
    await p.otherProvider.client.call('threads.claim', { params: { threadId: thread.id }, body: { reason: 'on call' } });
    await p.otherProvider.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'I am here. Calling you now.' } });
    const live = await patientLive.waitFor((f) => f.type === 'event' && f.event.type === 'message.created' && f.event.message?.body === 'I am here. Calling you now.');
    assert.ok(live);
    const granted = await p.compliance.client.call('audit.list', { query: { action: 'threads.access_granted' } });
    assert.ok(granted.items.some((a) => a.resourceId === thread.id && a.details?.reason === 'on_call_crisis'));
    // The thread, not the patient: their record and their other threads stay with their care team.
    const other = await p.patientA.client.call('threads.create', { body: { subject: 'Another question', topic: 'other' } });
    await rejects(p.otherProvider.client.call('threads.get', { params: { threadId: other.id } }), 404, 'not_found');
    await rejects(p.otherProvider.client.call('patients.get', { params: { id: p.patientA.id } }), 404, 'not_found');
    onCall.stream.close();
    patientLive.stream.close();
  });

  test('negations and everyday words do not trigger the crisis reply; off hours get one automatic reply per closed period', async () => {
    const thread = await p.patientA.client.call('threads.create', { body: { subject: 'Refill', topic: 'prescription_refill' } });
    await p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: "I'm not suicidal, I just need my refill. This pharmacy is killing me." } });
    const reply = await waitFor('the off-hours reply', async () => (await history(p.patientA.client, thread.id)).find((m) => m.senderRole === 'system'));
    assert.match(reply.body ?? '', /closed/i);
    assert.match(reply.body ?? '', /Wednesday/, 'says when the practice opens');
    assert.ok(!/988/.test(reply.body ?? ''), 'not the crisis reply');
    assert.equal((await p.nurse.client.call('threads.get', { params: { threadId: thread.id } })).workflow?.priority, 'routine');
    // A second message the same night: no second automatic reply.
    await p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'Also, my address changed.' } });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await history(p.patientA.client, thread.id)).filter((m) => m.senderRole === 'system').length, 1);
    // During business hours: no automatic reply at all.
    clock.set('2026-11-25T15:00:00Z');
    try {
      const day = await p.patientA.client.call('threads.create', { body: { subject: 'Daytime', topic: 'scheduling' } });
      await p.patientA.client.call('messages.create', { params: { threadId: day.id }, body: { id: uuid(), body: 'Can I move my appointment?' } });
      await new Promise((r) => setTimeout(r, 500));
      assert.equal((await history(p.patientA.client, day.id)).filter((m) => m.senderRole === 'system').length, 0);
    } finally {
      clock.set(TUESDAY_2047);
    }
  });
});

describe('coverage', () => {
  test('a provider on vacation: the covering colleague receives the thread and the patient sees who covers', async () => {
    clock.set('2026-11-25T15:00:00Z');
    try {
      await p.provider.client.call('workflow.directMessages', { body: { acceptsDirectMessages: true } });
      await p.provider.client.call('availability.outOfOffice.create', {
        params: { userId: p.provider.id },
        body: { startsAt: '2026-11-25T00:00:00Z', endsAt: '2026-12-02T00:00:00Z', coverUserId: p.nurse.id },
      });
      const t = await p.patientA.client.call('threads.create', { body: { subject: 'For Dr A', topic: 'clinical_question', providerId: p.provider.id } });
      assert.equal(t.careContact?.assignee?.id, p.nurse.id);
      assert.equal(t.careContact?.coveringFor?.id, p.provider.id);
      const seen = await p.patientA.client.call('threads.get', { params: { threadId: t.id } });
      assert.match(seen.careContact?.coveringFor?.name ?? '', /Dr A/);
      const mine = await p.nurse.client.call('inbox.list', { query: { view: 'mine' } });
      assert.ok(mine.items.some((x) => x.id === t.id));
    } finally {
      clock.set(TUESDAY_2047);
    }
  });
});
