import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { HavenClient, Thread } from '@haven/api';
import { addStaff, createPractice, rejects, startTestServer, uuid, type Member, type Practice, type TestServer, waitFor } from '../../../test/harness.js';
import { listen } from '../../../test/live.js';
import { ManualClock } from '../../platform/time/clock.js';

// The workflow clock starts on a Tuesday morning; tests move it.
const clock = new ManualClock('2026-11-24T14:00:00Z');
let server: TestServer;
let p: Practice;

before(async () => {
  server = await startTestServer({ slaSweepSeconds: 3600 }, { clock });
  p = await createPractice(server, 'wf', { hours: 'default' });
});
after(() => server.stop());

const send = (c: HavenClient, threadId: string, body: string) => c.call('messages.create', { params: { threadId }, body: { id: uuid(), body } });
const get = (c: HavenClient, threadId: string) => c.call('threads.get', { params: { threadId } });

async function ask(patient: Member, subject: string, topic = 'clinical_question', extra: { providerId?: string; toOnCall?: boolean } = {}): Promise<Thread> {
  const t = await patient.client.call('threads.create', { body: { subject, topic, ...extra } });
  await send(patient.client, t.id, `${subject}?`);
  return t;
}


describe('thread states follow the conversation', () => {
  test('new → assigned → awaiting patient → awaiting staff → closed → reopened by the patient', async () => {
    const t = await ask(p.patientA, 'Rash on my arm');
    let s = await get(p.nurse.client, t.id);
    assert.equal(s.workflow?.state, 'unassigned');
    assert.ok(s.workflow?.dueAt, 'a waiting patient has a due time');
    assert.equal(s.workflow?.waitingSince, clock.now().toISOString());

    s = await p.nurse.client.call('threads.claim', { params: { threadId: t.id }, body: {} });
    assert.equal(s.workflow?.state, 'assigned');
    assert.equal(s.workflow?.assigneeId, p.nurse.id);

    await send(p.nurse.client, t.id, 'Can you send a photo?');
    s = await get(p.nurse.client, t.id);
    assert.equal(s.workflow?.state, 'awaiting_patient');
    assert.equal(s.workflow?.dueAt, null, 'nobody waits for staff');

    clock.advance(60_000);
    await send(p.patientA.client, t.id, 'Here it is');
    s = await get(p.nurse.client, t.id);
    assert.equal(s.workflow?.state, 'awaiting_staff');
    assert.equal(s.workflow?.waitingSince, clock.now().toISOString());

    s = await p.nurse.client.call('threads.close', { params: { threadId: t.id }, body: {} });
    assert.equal(s.workflow?.state, 'closed');
    await send(p.patientA.client, t.id, 'It got worse');
    s = await get(p.nurse.client, t.id);
    assert.equal(s.workflow?.state, 'awaiting_staff', 'a patient message reopens a closed thread, still with its owner');
    assert.equal(s.workflow?.assigneeId, p.nurse.id);
  });

  test('the patient sees who answers but not the internal workflow', async () => {
    const t = await ask(p.patientA, 'Sore throat');
    await p.provider.client.call('threads.claim', { params: { threadId: t.id }, body: {} });
    const mine = await get(p.patientA.client, t.id);
    assert.equal(mine.workflow, undefined);
    assert.equal(mine.careContact?.assignee?.id, p.provider.id);
    assert.match(mine.careContact?.assignee?.name ?? '', /Dr A/);
  });

  test('whoever answers an unowned thread owns it', async () => {
    const t = await ask(p.patientA, 'Vaccines');
    await send(p.provider.client, t.id, 'Yes, you are due.');
    const s = await get(p.nurse.client, t.id);
    assert.equal(s.workflow?.assigneeId, p.provider.id);
    assert.equal(s.workflow?.state, 'awaiting_patient');
  });
});

describe('assign, claim, reassign, priority', () => {
  test('taking a thread from someone else needs a reason; the assignee must see the thread', async () => {
    const t = await ask(p.patientA, 'Knee pain');
    await p.nurse.client.call('threads.assign', { params: { threadId: t.id }, body: { assigneeId: p.provider.id } });
    await rejects(p.nurse.client.call('threads.claim', { params: { threadId: t.id }, body: {} }), 400, 'validation_failed');
    const s = await p.nurse.client.call('threads.claim', { params: { threadId: t.id }, body: { reason: 'Dr A is in surgery' } });
    assert.equal(s.workflow?.assigneeId, p.nurse.id);
    // Dr B is not on patient A's care team: not eligible.
    await rejects(p.nurse.client.call('threads.assign', { params: { threadId: t.id }, body: { assigneeId: p.otherProvider.id, reason: 'x' } }), 400, 'validation_failed');
    // A forged assignee id is refused the same way.
    await rejects(p.nurse.client.call('threads.assign', { params: { threadId: t.id }, body: { assigneeId: uuid(), reason: 'x' } }), 400, 'validation_failed');
    const back = await p.nurse.client.call('threads.assign', { params: { threadId: t.id }, body: { assigneeId: null } });
    assert.equal(back.workflow?.state, 'unassigned');
  });

  test('only the clinical staff who see the thread run its workflow', async () => {
    const t = await ask(p.patientA, 'Private matter');
    await rejects(p.otherProvider.client.call('threads.claim', { params: { threadId: t.id }, body: {} }), 404);
    await rejects(p.patientA.client.call('threads.close', { params: { threadId: t.id }, body: {} }), 403, 'forbidden');
    await rejects(p.patientB.client.call('threads.close', { params: { threadId: t.id }, body: {} }), 404);
    await rejects(p.admin.client.call('threads.assign', { params: { threadId: t.id }, body: { assigneeId: p.nurse.id } }), 404);
    await rejects(p.compliance.client.call('threads.priority', { params: { threadId: t.id }, body: { priority: 'urgent' } }), 404);
    await rejects(p.nurse.client.call('threads.close', { params: { threadId: uuid() }, body: {} }), 404);
  });

  test('urgent moves the due time to the urgent target; every change is audited and a live event for staff only', async () => {
    const t = await ask(p.patientA, 'Dizzy');
    const nurseLive = await listen(p.nurse.client);
    const patientLive = await listen(p.patientA.client);
    const before = await get(p.nurse.client, t.id);
    const s = await p.nurse.client.call('threads.priority', { params: { threadId: t.id }, body: { priority: 'urgent' } });
    assert.equal(s.workflow?.priority, 'urgent');
    assert.ok(Date.parse(s.workflow!.dueAt!) < Date.parse(before.workflow!.dueAt!), 'urgent is due sooner');
    const ev = await nurseLive.waitFor((f) => f.type === 'event' && f.event.type === 'thread.updated' && f.event.threadId === t.id);
    assert.ok(ev.type === 'event' && ev.event.change === 'priority' && ev.event.workflow?.priority === 'urgent');
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(!patientLive.events().some((e) => e.type === 'thread.updated'), 'patients never get workflow events');
    nurseLive.stream.close();
    patientLive.stream.close();
    const audit = await p.compliance.client.call('audit.list', { query: { action: 'threads.priority' } });
    assert.ok(audit.items.some((a) => a.resourceId === t.id));
  });
});

describe('escalation to a provider', () => {
  test('the nurse escalates with an internal note: the provider owns the thread, sees the note and is mentioned; the patient never sees it', async () => {
    const t = await ask(p.patientA, 'Chest feels tight after new pill');
    await p.nurse.client.call('threads.claim', { params: { threadId: t.id }, body: {} });
    const noteId = uuid();
    const s = await p.nurse.client.call('threads.escalate', { params: { threadId: t.id }, body: { providerId: p.provider.id, note: 'Started amlodipine Monday; BP 150/95 this morning.', noteId, urgent: true } });
    assert.equal(s.workflow?.assigneeId, p.provider.id);
    assert.equal(s.workflow?.priority, 'urgent');
    const staffHistory = await p.provider.client.call('messages.list', { params: { threadId: t.id } });
    const note = staffHistory.items.find((m) => m.id === noteId);
    assert.ok(note?.internal && note.mentions.includes(p.provider.id));
    const patientHistory = await p.patientA.client.call('messages.list', { params: { threadId: t.id } });
    assert.ok(!patientHistory.items.some((m) => m.id === noteId || (m.body ?? '').includes('amlodipine')));
    // A retry is idempotent; a staff member (not a provider) or someone outside the thread cannot be the target.
    await p.nurse.client.call('threads.escalate', { params: { threadId: t.id }, body: { providerId: p.provider.id, note: 'Started amlodipine Monday; BP 150/95 this morning.', noteId, urgent: true } });
    await rejects(p.nurse.client.call('threads.escalate', { params: { threadId: t.id }, body: { providerId: p.nurse.id, note: 'x', noteId: uuid() } }), 400);
    await rejects(p.nurse.client.call('threads.escalate', { params: { threadId: t.id }, body: { providerId: p.otherProvider.id, note: 'x', noteId: uuid() } }), 400);
    await rejects(p.patientA.client.call('threads.escalate', { params: { threadId: t.id }, body: { providerId: p.provider.id, note: 'x', noteId: uuid() } }), 403);
  });
});

describe('inbox views and counts', () => {
  test('mine, unassigned, care teams, department, urgent, awaiting patient, closed, sorted by due time', async () => {
    const server2 = server;
    const q = await createPractice(server2, 'inbox', { hours: 'default' });
    const a = await ask(q.patientA, 'First');
    clock.advance(1000);
    const b = await ask(q.patientA, 'Second');
    clock.advance(1000);
    const c = await ask(q.patientA, 'Third');
    await q.nurse.client.call('threads.claim', { params: { threadId: b.id }, body: {} });
    await q.nurse.client.call('threads.priority', { params: { threadId: c.id }, body: { priority: 'urgent' } });
    const d = await ask(q.patientA, 'Answered');
    await send(q.provider.client, d.id, 'Done');
    const e = await ask(q.patientA, 'Closed one');
    await q.provider.client.call('threads.close', { params: { threadId: e.id }, body: {} });

    const view = async (v: 'mine' | 'unassigned' | 'care_teams' | 'department' | 'urgent' | 'awaiting_patient' | 'closed' | 'overdue', who = q.nurse) =>
      (await who.client.call('inbox.list', { query: { view: v } })).items.map((t) => t.id);
    assert.deepEqual(await view('mine'), [b.id]);
    assert.deepEqual(await view('unassigned'), [c.id, a.id], 'urgent (due soonest) first');
    assert.deepEqual(new Set(await view('care_teams')), new Set([a.id, b.id, c.id, d.id]));
    assert.deepEqual(new Set(await view('department')), new Set([a.id, b.id, c.id, d.id]));
    assert.deepEqual(await view('urgent'), [c.id]);
    assert.deepEqual(await view('awaiting_patient'), [d.id]);
    assert.deepEqual(await view('closed'), [e.id]);
    assert.deepEqual(await view('care_teams', q.otherProvider), [], 'another care team sees none of them');
    const counts = await q.nurse.client.call('inbox.counts');
    assert.deepEqual(counts, { mine: 1, unassigned: 2, care_teams: 4, department: 4, urgent: 1, overdue: 0, awaiting_patient: 1, closed: 1 });

    // Due times count business hours (Mon-Fri 08:00-17:00 by default): urgent is overdue within the hour, routine
    // ones (8 business hours) by the next morning.
    const t0 = clock.now();
    try {
      clock.advance(2 * 3600_000);
      assert.deepEqual(await view('overdue'), [c.id]);
      clock.advance(22 * 3600_000);
      assert.deepEqual(new Set(await view('overdue')), new Set([a.id, b.id, c.id]));
    } finally {
      clock.set(t0);
    }

    // Pages: two at a time cover the view without repeats.
    const first = await q.nurse.client.call('inbox.list', { query: { view: 'care_teams', limit: 2 } });
    const second = await q.nurse.client.call('inbox.list', { query: { view: 'care_teams', limit: 2, cursor: first.nextCursor! } });
    assert.deepEqual(new Set([...first.items, ...second.items].map((t) => t.id)), new Set([a.id, b.id, c.id, d.id]));

    await rejects(q.patientA.client.call('inbox.list', { query: { view: 'mine' } }), 403);
    await rejects(q.admin.client.call('inbox.counts'), 403);
    await rejects(q.nurse.client.call('inbox.list', { query: { view: 'mine', cursor: 'Zm9v' } }), 400);
    // Forged cursors that look right but would not fit PostgreSQL's types are refused as such, not a server error.
    const forged = (position: string) => Buffer.from(`c1:${position}`).toString('base64url');
    await rejects(q.nurse.client.call('inbox.list', { query: { view: 'mine', cursor: forged(`1_9999999999999999999_${uuid()}`) } }), 400, 'validation_failed');
    await rejects(q.nurse.client.call('threads.list', { query: { cursor: forged(`1_${'-'.repeat(36)}`) } }), 400, 'validation_failed');
    await rejects(q.nurse.client.call('threads.list', { query: { cursor: forged(`99999999999999999999_${uuid()}`) } }), 400, 'validation_failed');
  });
});

describe('routing and automatic assignment', () => {
  test('a billing question goes to the billing queue and its staff', async () => {
    const q = await createPractice(server, 'route', { hours: 'default' });
    const billing = await addStaff(server, 'route', q.admin.client, 'staff', 'Billing Bea');
    const queue = await q.admin.client.call('queues.create', { body: { name: 'Billing', assignment: 'round_robin', memberIds: [billing.id] } });
    await q.admin.client.call('routing.rules.replace', { body: { rules: [{ topic: 'billing', queueId: queue.id }] } });
    // Billing staff must see the patient to answer: they join the care team.
    await q.admin.client.call('careTeams.members.add', { params: { id: q.teamA.id }, body: { userId: billing.id } });
    const t = await ask(q.patientA, 'Why was I charged twice', 'billing');
    const s = await get(billing.client, t.id);
    assert.equal(s.workflow?.queueId, queue.id);
    assert.equal(s.workflow?.assigneeId, billing.id);
    assert.equal(s.workflow?.state, 'assigned');
    const clinical = await ask(q.patientA, 'Cough', 'clinical_question');
    assert.equal((await get(q.nurse.client, clinical.id)).workflow?.queueId, null, 'other topics do not match the rule');
    // Bad rules are refused as a whole, naming the field.
    const err = await q.admin.client.call('routing.rules.replace', { body: { rules: [{ topic: 'billing', queueId: uuid() }] } }).catch((e: unknown) => e as { status: number; body?: unknown });
    assert.equal((err as { status: number }).status, 400);
    await rejects(q.nurse.client.call('routing.rules.replace', { body: { rules: [] } }), 403);
    await rejects(q.patientA.client.call('queues.list'), 403);
  });

  test('round robin is fair over 100 threads; least loaded evens out', async () => {
    const q = await createPractice(server, 'rr', { hours: 'default' });
    const members: Member[] = [];
    for (const n of ['One', 'Two', 'Three', 'Four']) members.push(await addStaff(server, 'rr', q.admin.client, 'staff', `RR ${n}`));
    for (const m of members) await q.admin.client.call('careTeams.members.add', { params: { id: q.teamA.id }, body: { userId: m.id } });
    const queue = await q.admin.client.call('queues.create', { body: { name: 'Front desk', assignment: 'round_robin', memberIds: members.map((m) => m.id) } });
    await q.admin.client.call('routing.rules.replace', { body: { rules: [{ queueId: queue.id }] } });
    const counts = new Map<string, number>();
    for (let i = 0; i < 100; i++) {
      const t = await q.patientA.client.call('threads.create', { body: { subject: `Q${i}`, topic: 'scheduling' } });
      const id = (await get(q.nurse.client, t.id)).workflow?.assigneeId;
      assert.ok(id);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    assert.deepEqual([...counts.values()], [25, 25, 25, 25]);

    await q.admin.client.call('queues.update', { params: { id: queue.id }, body: { assignment: 'least_loaded' } });
    // Close everything of members[0] and [1]: they are now the least loaded and get the next threads.
    const theirs = await q.nurse.client.call('inbox.list', { query: { view: 'care_teams', limit: 200 } });
    for (const t of theirs.items.filter((x) => x.workflow?.assigneeId === members[0]!.id || x.workflow?.assigneeId === members[1]!.id)) {
      await q.nurse.client.call('threads.close', { params: { threadId: t.id }, body: {} });
    }
    const next = [];
    for (let i = 0; i < 4; i++) next.push((await get(q.nurse.client, (await q.patientA.client.call('threads.create', { body: { subject: `L${i}`, topic: 'scheduling' } })).id)).workflow?.assigneeId);
    assert.ok(next.every((id) => id === members[0]!.id || id === members[1]!.id), 'the least-loaded members take the new threads');
  });

  test('a provider who takes direct messages gets them; otherwise the thread goes through staff', async () => {
    const q = await createPractice(server, 'direct', { hours: 'default' });
    const t1 = await ask(q.patientA, 'For Dr A only', 'clinical_question', { providerId: q.provider.id });
    assert.equal((await get(q.nurse.client, t1.id)).workflow?.assigneeId, null, 'Dr A does not take direct messages yet');
    assert.deepEqual(await q.provider.client.call('workflow.directMessages.get'), { acceptsDirectMessages: false });
    await q.provider.client.call('workflow.directMessages', { body: { acceptsDirectMessages: true } });
    // The choice reads back as set, for this provider only.
    assert.deepEqual(await q.provider.client.call('workflow.directMessages.get'), { acceptsDirectMessages: true });
    assert.deepEqual(await q.otherProvider.client.call('workflow.directMessages.get'), { acceptsDirectMessages: false });
    const t2 = await ask(q.patientA, 'For Dr A again', 'clinical_question', { providerId: q.provider.id });
    assert.equal((await get(q.nurse.client, t2.id)).workflow?.assigneeId, q.provider.id);
    // A provider who is not on the patient's care team cannot be addressed.
    await rejects(q.patientA.client.call('threads.create', { body: { subject: 'x', providerId: q.otherProvider.id } }), 404);
    await rejects(q.nurse.client.call('workflow.directMessages', { body: { acceptsDirectMessages: true } }), 403);
    for (const who of [q.nurse, q.admin, q.patientA]) await rejects(who.client.call('workflow.directMessages.get'), 403);
  });
});

describe('SLA: reminder before the due time, escalation after it (job queue, controllable clock)', () => {
  test('an unanswered refill request is reminded, then escalates to the queue coverage and is flagged overdue', async () => {
    const q = await createPractice(server, 'sla', { hours: 'default' });
    const cover = await addStaff(server, 'sla', q.admin.client, 'staff', 'Cover Carla');
    await q.admin.client.call('careTeams.members.add', { params: { id: q.teamA.id }, body: { userId: cover.id } });
    const queue = await q.admin.client.call('queues.create', { body: { name: 'Refills', assignment: 'round_robin', memberIds: [q.nurse.id], escalateToId: cover.id } });
    await q.admin.client.call('routing.rules.replace', { body: { rules: [{ topic: 'prescription_refill', queueId: queue.id }] } });
    await q.admin.client.call('sla.targets.replace', { body: { targets: [{ topic: 'prescription_refill', priority: 'routine', responseMinutes: 120, remindBeforeMinutes: 30 }] } });
    const nurseLive = await listen(q.nurse.client);
    const t = await ask(q.patientA, 'Refill lisinopril', 'prescription_refill');
    let s = await get(q.nurse.client, t.id);
    assert.equal(s.workflow?.assigneeId, q.nurse.id);
    assert.equal(Date.parse(s.workflow!.dueAt!) - clock.now().getTime(), 120 * 60_000);

    clock.advance(89 * 60_000);
    await server.services.workflow.sweep();
    const early = await server.sql('SELECT reminded_at FROM threads WHERE id = $1', [t.id]);
    assert.equal(early.rows[0]?.reminded_at, null, 'not reminded before remind time (due minus 30 minutes)');
    clock.advance(2 * 60_000);
    // The sweep runs as a job on the queue.
    await server.services.jobs.enqueue(server.db, 'workflow.sla-sweep', {});
    const reminder = await nurseLive.waitFor((f) => f.type === 'event' && f.event.type === 'sla.reminder' && f.event.threadId === t.id);
    assert.ok(reminder);
    s = await get(q.nurse.client, t.id);
    assert.equal(s.workflow?.overdue, false);

    clock.advance(30 * 60_000);
    await server.services.jobs.enqueue(server.db, 'workflow.sla-sweep', {});
    s = await waitFor('escalation', async () => {
      const x = await get(q.nurse.client, t.id);
      return x.workflow?.assigneeId === cover.id ? x : undefined;
    });
    assert.equal(s.workflow?.overdue, true);
    const overdue = await cover.client.call('inbox.list', { query: { view: 'overdue' } });
    assert.ok(overdue.items.some((x) => x.id === t.id));
    const mine = await cover.client.call('inbox.list', { query: { view: 'mine' } });
    assert.ok(mine.items.some((x) => x.id === t.id));
    // Escalation happens once.
    await server.services.workflow.sweep();
    const escalations = await server.sql("SELECT count(*)::int AS n FROM audit_events WHERE action = 'threads.overdue' AND resource_id = $1", [t.id]);
    assert.equal(escalations.rows[0]?.n, 1);
    // An answer stops the clock; SLA adherence counts it as late.
    await send(cover.client, t.id, 'Sent to your pharmacy.');
    s = await get(q.nurse.client, t.id);
    assert.equal(s.workflow?.dueAt, null);
    assert.equal(s.workflow?.overdue, false);
    const row = await server.sql<{ responses: number; late_responses: number }>('SELECT responses, late_responses FROM threads WHERE id = $1', [t.id]);
    assert.deepEqual(row.rows[0], { responses: 1, late_responses: 1 });
    nurseLive.stream.close();
  });

  test('targets are validated and admin-only', async () => {
    await rejects(p.admin.client.call('sla.targets.replace', { body: { targets: [{ topic: 'nope', priority: 'routine', responseMinutes: 60 }] } }), 400);
    await rejects(p.admin.client.call('sla.targets.replace', { body: { targets: [{ topic: '*', priority: 'routine', responseMinutes: 60, remindBeforeMinutes: 60 }] } }), 400);
    await rejects(p.nurse.client.call('sla.targets.replace', { body: { targets: [] } }), 403);
    const saved = await p.admin.client.call('sla.targets.replace', { body: { targets: [{ topic: '*', priority: 'urgent', responseMinutes: 30, remindBeforeMinutes: 10 }] } });
    assert.deepEqual(saved.targets, [{ topic: '*', priority: 'urgent', responseMinutes: 30, remindBeforeMinutes: 10 }]);
  });
});

describe('expectations for the composer', () => {
  test('the patient sees the expected response time and urgent guidance', async () => {
    const e = await p.patientA.client.call('messaging.expectations', { query: { topic: 'prescription_refill' } });
    assert.ok(e.responseMinutes > 0);
    assert.ok(Date.parse(e.expectedBy) > clock.now().getTime());
    assert.match(e.urgentGuidance, /911/);
    assert.ok(e.crisisResources.some((r) => /988/.test(r.contact)));
    await rejects(p.patientA.client.call('messaging.expectations', { query: { topic: 'nope' } }), 400);
  });

  test('admins change automatic texts; unknown variables are refused', async () => {
    const s = await p.admin.client.call('workflow.settings.update', { body: { emergencyNumber: '112', offHoursReply: 'Closed. Back {nextOpening}. Emergency: {emergency}.' } });
    assert.equal(s.emergencyNumber, '112');
    await rejects(p.admin.client.call('workflow.settings.update', { body: { offHoursReply: 'Hi {patient.name}' } }), 400);
    await rejects(p.nurse.client.call('workflow.settings.update', { body: { emergencyNumber: '1' } }), 403);
    await rejects(p.patientA.client.call('workflow.settings.get'), 403);
    await p.admin.client.call('workflow.settings.update', { body: { emergencyNumber: '911', offHoursReply: 'Thank you. We are closed; we will answer after we open ({nextOpening}). In an emergency call {emergency}.' } });
  });
});


describe('analytics', () => {
  test('first-response and resolution times per staff and topic, SLA adherence, CSV export; admins only', async () => {
    const q = await createPractice(server, 'stats', { hours: 'default' });
    const t0 = clock.now();
    try {
      const billing = await ask(q.patientA, 'Charged twice', 'billing');
      clock.advance(30 * 60_000);
      await send(q.nurse.client, billing.id, 'Refunded.');
      clock.advance(30 * 60_000);
      await q.nurse.client.call('threads.close', { params: { threadId: billing.id }, body: {} });
      const sched = await ask(q.patientA, 'Move my visit', 'scheduling');
      clock.advance(90 * 60_000);
      await send(q.provider.client, sched.id, 'Done, Thursday 10:00.');
      await ask(q.patientA, 'Nobody answered yet', 'scheduling');

      const range = { from: new Date(t0.getTime() - 3600_000).toISOString(), to: new Date(clock.now().getTime() + 3600_000).toISOString() };
      const byStaff = await q.admin.client.call('analytics.report', { query: { ...range, groupBy: 'staff' } });
      const nurse = byStaff.rows.find((r) => r.key === q.nurse.id);
      const provider = byStaff.rows.find((r) => r.key === q.provider.id);
      assert.equal(nurse?.firstResponse.medianMinutes, 30);
      assert.equal(nurse?.resolution.medianMinutes, 60);
      assert.match(nurse?.label ?? '', /Nurse A/);
      assert.equal(provider?.firstResponse.medianMinutes, 90);
      assert.equal(byStaff.rows.find((r) => r.key === 'unanswered')?.threads, 1);
      const byTopic = await q.admin.client.call('analytics.report', { query: { ...range, groupBy: 'topic' } });
      assert.deepEqual(byTopic.rows.map((r) => [r.key, r.threads, r.answered]), [['billing', 1, 1], ['scheduling', 2, 1]]);
      assert.ok(byTopic.rows.every((r) => r.slaAdherence === null || r.slaAdherence === 1));

      const csv = await q.admin.client.downloadAnalyticsCsv({ ...range, groupBy: 'topic' });
      assert.match(csv.contentType, /^text\/csv/);
      const lines = new TextDecoder().decode(csv.bytes).trim().split('\r\n');
      assert.match(lines[0]!, /^key,label,threads,answered,first_response_median_min/);
      assert.equal(lines.length, 3);

      await rejects(q.nurse.client.call('analytics.report', { query: range }), 403);
      await rejects(q.patientA.client.call('analytics.report', { query: range }), 403);
      await rejects(q.admin.client.call('analytics.report', { query: { from: range.to, to: range.from } }), 400);
    } finally {
      clock.set(t0);
    }
  });
});
