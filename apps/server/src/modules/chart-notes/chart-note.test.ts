import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { ChartNote, HavenClient, Message, Thread } from '@haven/api';
import { createPractice, rejects, startTestServer, uuid, type Practice, type TestServer } from '../../../test/harness.js';
import { listen, sleep } from '../../../test/live.js';

let server: TestServer;
let p: Practice;
let thread: Thread;

before(async () => {
  server = await startTestServer();
  p = await createPractice(server, 'chart');
  thread = await p.patientA.client.call('threads.create', { body: { subject: 'Chest pain', topic: 'other' } });
});
after(() => server.stop());

const send = (client: HavenClient, threadId: string, body: string): Promise<Message> => client.call('messages.create', { params: { threadId }, body: { id: uuid(), body } });
const mark = (client: HavenClient, message: Message, body: { id?: string; excerpt?: string; comment?: string } = {}) =>
  client.call('chartNotes.create', { params: { threadId: message.threadId, messageId: message.id }, body: { id: body.id ?? uuid(), ...body } });
const timeline = async (client: HavenClient, patientId = p.patientA.id, query: { includeRemoved?: boolean; limit?: number; cursor?: string } = {}): Promise<ChartNote[]> =>
  (await client.call('chartNotes.list', { params: { patientId }, query: { limit: 200, ...query } })).items;

describe('chart notes', () => {
  test('an excerpt becomes a chart note with its provenance; staff and the patient read it in the timeline', async () => {
    const message = await send(p.patientA.client, thread.id, 'I have had chest pain since Tuesday, worse on stairs. Also the cat is fine.');
    const before = Date.now();
    const note = await mark(p.provider.client, message, { excerpt: 'chest pain since Tuesday, worse on stairs', comment: 'Exertional chest pain: book an ECG' });
    assert.equal(note.patientId, p.patientA.id);
    assert.equal(note.threadId, thread.id);
    assert.equal(note.messageId, message.id);
    assert.equal(note.messageVersion, 1);
    assert.equal(note.excerpt, 'chest pain since Tuesday, worse on stairs');
    assert.equal(note.wholeMessage, false);
    assert.equal(note.comment, 'Exertional chest pain: book an ECG');
    assert.equal(note.createdBy, p.provider.id);
    assert.ok(Date.parse(note.createdAt) >= before - 1000);
    assert.equal(note.removedAt, null);
    assert.equal(note.sourceRetracted, false);

    // The timeline: providers and staff of the patient, and the patient, read-only (no staff-only fields).
    assert.deepEqual((await timeline(p.nurse.client)).find((n) => n.id === note.id), note);
    const { sourceRetracted: _staffOnly, ...forPatient } = note;
    assert.deepEqual((await timeline(p.patientA.client)).find((n) => n.id === note.id), forPatient);

    // Marking the whole message: the excerpt is its text.
    const whole = await mark(p.nurse.client, message);
    assert.equal(whole.excerpt, message.body);
    assert.equal(whole.wholeMessage, true);
    assert.equal(whole.comment, null);

    // Audited with ids only.
    const audit = await server.sql<{ actor_id: string; patient_id: string; details: Record<string, unknown> }>(`select actor_id, patient_id, details from audit_events where action = 'chartNotes.create' and resource_id = $1`, [note.id]);
    assert.equal(audit.rows[0]?.actor_id, p.provider.id);
    assert.equal(audit.rows[0]?.patient_id, p.patientA.id);
    assert.ok(!JSON.stringify(audit.rows[0]?.details).includes('chest'));
  });

  test('creating is idempotent by id; an excerpt must be an exact part of the current text', async () => {
    const message = await send(p.patientA.client, thread.id, 'My ankle is swollen after the fall.');
    const id = uuid();
    const note = await mark(p.nurse.client, message, { id, excerpt: 'ankle is swollen', comment: 'Check for fracture' });
    assert.deepEqual(await mark(p.nurse.client, message, { id, excerpt: 'ankle is swollen', comment: 'Check for fracture' }), note);
    await rejects(mark(p.nurse.client, message, { id, excerpt: 'ankle is swollen', comment: 'Something else' }), 409, 'idempotency_conflict');
    await rejects(mark(p.provider.client, message, { id, excerpt: 'ankle is swollen', comment: 'Check for fracture' }), 409, 'idempotency_conflict');

    await rejects(mark(p.nurse.client, message, { excerpt: 'ankle is broken' }), 422, 'excerpt_not_in_message');
    await rejects(mark(p.nurse.client, message, { excerpt: 'Ankle is swollen' }), 422, 'excerpt_not_in_message');
    // After an edit, only the current text counts; the note taken before keeps its version and its copy.
    await p.patientA.client.call('messages.edit', { params: { threadId: thread.id, messageId: message.id }, body: { body: 'My knee is swollen after the fall.' } });
    await rejects(mark(p.nurse.client, message, { excerpt: 'ankle is swollen' }), 422, 'excerpt_not_in_message');
    const later = await mark(p.nurse.client, message, { excerpt: 'knee is swollen' });
    assert.equal(later.messageVersion, 2);
    const kept = (await timeline(p.nurse.client)).find((n) => n.id === note.id);
    assert.equal(kept?.excerpt, 'ankle is swollen');
    assert.equal(kept?.messageVersion, 1);

    // Bad input.
    await rejects(mark(p.nurse.client, message, { excerpt: '' }), 400, 'validation_failed');
    await rejects(p.nurse.client.call('chartNotes.create', { params: { threadId: thread.id, messageId: message.id }, body: { id: uuid(), createdBy: p.provider.id } as never }), 400, 'validation_failed');
    await rejects(p.nurse.client.call('chartNotes.create', { params: { threadId: thread.id, messageId: message.id }, body: { excerpt: 'knee' } as never }), 400, 'validation_failed');
  });

  test('who may mark: providers and staff who see the patient; others are refused without learning anything', async () => {
    const message = await send(p.patientA.client, thread.id, 'Dizzy when I stand up.');
    // Another care team's provider: the thread does not exist for them.
    await rejects(mark(p.otherProvider.client, message), 404, 'not_found');
    await rejects(p.otherProvider.client.call('chartNotes.list', { params: { patientId: p.patientA.id } }), 404, 'not_found');
    // Roles without the capability.
    await rejects(mark(p.patientA.client, message), 403, 'forbidden');
    await rejects(mark(p.admin.client, message), 403, 'forbidden');
    await rejects(mark(p.compliance.client, message), 403, 'forbidden');
    await rejects(p.admin.client.call('chartNotes.list', { params: { patientId: p.patientA.id } }), 403, 'forbidden');
    await rejects(p.compliance.client.call('chartNotes.list', { params: { patientId: p.patientA.id } }), 404, 'not_found');
    await rejects(p.patientB.client.call('chartNotes.list', { params: { patientId: p.patientA.id } }), 404, 'not_found');
    // Forged and mismatched ids.
    await rejects(p.nurse.client.call('chartNotes.create', { params: { threadId: thread.id, messageId: uuid() }, body: { id: uuid() } }), 404, 'not_found');
    await rejects(p.nurse.client.call('chartNotes.create', { params: { threadId: uuid(), messageId: message.id }, body: { id: uuid() } }), 404, 'not_found');
    await rejects(p.nurse.client.call('chartNotes.list', { params: { patientId: uuid() } }), 404, 'not_found');
    await rejects(p.nurse.client.call('chartNotes.list', { params: { patientId: p.nurse.id } }), 404, 'not_found');
    const threadB = await p.patientB.client.call('threads.create', { body: { subject: 'Other patient', topic: 'other' } });
    const messageB = await send(p.patientB.client, threadB.id, 'Patient B message');
    await rejects(p.nurse.client.call('chartNotes.create', { params: { threadId: thread.id, messageId: messageB.id }, body: { id: uuid() } }), 404, 'not_found');
    // Internal threads belong to no patient.
    const internal = await p.nurse.client.call('threads.create', { body: { kind: 'internal', subject: 'Rota', participantIds: [p.provider.id] } });
    const staffMessage = await send(p.nurse.client, internal.id, 'Cover Friday?');
    await rejects(mark(p.nurse.client, staffMessage), 422, 'not_a_patient_thread');
    assert.equal((await server.sql<{ n: number }>('select count(*)::int as n from chart_notes where message_id = any($1::uuid[])', [[message.id, messageB.id, staffMessage.id]])).rows[0]!.n, 0);
  });

  test('the timeline is newest first in cursor pages; un-marking keeps the record and hides it from the default view', async () => {
    const patientThread = await p.patientA.client.call('threads.create', { body: { subject: 'Timeline', topic: 'other' } });
    const m = await send(p.patientA.client, patientThread.id, 'one two three');
    const first = await mark(p.provider.client, m, { excerpt: 'one' });
    await sleep(5);
    const second = await mark(p.provider.client, m, { excerpt: 'two' });
    await sleep(5);
    const third = await mark(p.provider.client, m, { excerpt: 'three' });
    const page1 = await p.nurse.client.call('chartNotes.list', { params: { patientId: p.patientA.id }, query: { limit: 2 } });
    assert.deepEqual(page1.items.map((n) => n.id), [third.id, second.id]);
    assert.ok(page1.nextCursor);
    const page2 = await p.nurse.client.call('chartNotes.list', { params: { patientId: p.patientA.id }, query: { limit: 2, cursor: page1.nextCursor } });
    assert.equal(page2.items[0]?.id, first.id);
    await rejects(p.nurse.client.call('chartNotes.list', { params: { patientId: p.patientA.id }, query: { cursor: 'bm90LWEtY3Vyc29y' } }), 400, 'validation_failed');

    const removed = await p.nurse.client.call('chartNotes.remove', { params: { patientId: p.patientA.id, chartNoteId: second.id } });
    assert.equal(removed.removedBy, p.nurse.id);
    assert.ok(removed.removedAt);
    assert.equal(removed.excerpt, 'two');
    // Again: nothing changes.
    assert.deepEqual(await p.provider.client.call('chartNotes.remove', { params: { patientId: p.patientA.id, chartNoteId: second.id } }), removed);
    assert.ok(!(await timeline(p.nurse.client)).some((n) => n.id === second.id));
    assert.ok(!(await timeline(p.patientA.client)).some((n) => n.id === second.id));
    assert.deepEqual((await timeline(p.nurse.client, p.patientA.id, { includeRemoved: true })).find((n) => n.id === second.id), removed);
    await rejects(p.patientA.client.call('chartNotes.list', { params: { patientId: p.patientA.id }, query: { includeRemoved: true } }), 403, 'forbidden');
    const row = await server.sql<{ removed_by: string }>('select removed_by from chart_notes where id = $1', [second.id]);
    assert.equal(row.rows[0]?.removed_by, p.nurse.id);

    // Who may un-mark: providers and staff who see the patient; the note must be this patient's.
    await rejects(p.patientA.client.call('chartNotes.remove', { params: { patientId: p.patientA.id, chartNoteId: first.id } }), 403, 'forbidden');
    await rejects(p.admin.client.call('chartNotes.remove', { params: { patientId: p.patientA.id, chartNoteId: first.id } }), 403, 'forbidden');
    await rejects(p.otherProvider.client.call('chartNotes.remove', { params: { patientId: p.patientA.id, chartNoteId: first.id } }), 404, 'not_found');
    await rejects(p.otherProvider.client.call('chartNotes.remove', { params: { patientId: p.patientB.id, chartNoteId: first.id } }), 404, 'not_found');
    await rejects(p.nurse.client.call('chartNotes.remove', { params: { patientId: p.patientA.id, chartNoteId: uuid() } }), 404, 'not_found');
    assert.ok((await timeline(p.nurse.client)).some((n) => n.id === first.id));
  });

  test("a retracted source: staff still read the note; the patient never the retracted message's text", async () => {
    const staffMessage = await send(p.provider.client, thread.id, 'Your potassium is 6.1, go to the emergency room.');
    const note = await mark(p.provider.client, staffMessage, { excerpt: 'potassium is 6.1', comment: 'Critical value communicated' });
    await p.provider.client.call('messages.retract', { params: { threadId: thread.id, messageId: staffMessage.id }, body: { reason: 'wrong patient' } });
    const forStaff = (await timeline(p.nurse.client)).find((n) => n.id === note.id);
    assert.equal(forStaff?.excerpt, 'potassium is 6.1');
    assert.equal(forStaff?.sourceRetracted, true);
    const forPatient = (await timeline(p.patientA.client)).find((n) => n.id === note.id);
    assert.equal(forPatient?.excerpt, null);
    assert.equal('sourceRetracted' in (forPatient ?? {}), false);
    // A retracted message cannot be marked any more.
    await rejects(mark(p.provider.client, staffMessage), 409, 'conflict');
  });

  test('live events reach the staff of the thread, never the patient; texts are ciphertext at rest', async () => {
    const staff = await listen(p.nurse.client);
    const patient = await listen(p.patientA.client);
    try {
      const secret = `Suicidal thoughts ${randomBytes(5).toString('hex')}`;
      const comment = `Safety plan ${randomBytes(5).toString('hex')}`;
      const message = await send(p.patientA.client, thread.id, `Lately: ${secret}.`);
      await patient.waitFor((f) => f.type === 'event' && f.event.type === 'message.created' && f.event.messageId === message.id);
      const note = await mark(p.provider.client, message, { excerpt: secret, comment });
      const created = await staff.waitFor((f) => f.type === 'event' && f.event.type === 'chart_note.created' && f.event.chartNote?.id === note.id);
      assert.ok(created.type === 'event');
      assert.deepEqual(created.event.chartNote, { id: note.id, patientId: p.patientA.id });
      assert.equal(created.event.messageId, message.id);
      await p.provider.client.call('chartNotes.remove', { params: { patientId: p.patientA.id, chartNoteId: note.id } });
      await staff.waitFor((f) => f.type === 'event' && f.event.type === 'chart_note.removed' && f.event.chartNote?.id === note.id);
      // The patient's stream, live and replayed, carries nothing about chart notes.
      await sleep(300);
      assert.deepEqual(patient.events().filter((e) => e.type.startsWith('chart_note') || e.chartNote), []);
      const replay = await listen(p.patientA.client, { cursor: '0' });
      await replay.waitFor((f) => f.type === 'ready');
      assert.deepEqual(replay.events().filter((e) => e.type.startsWith('chart_note')), []);
      replay.stream.close();

      const rows = await server.sql<Record<string, unknown>>('select * from chart_notes where id = $1', [note.id]);
      const raw = JSON.stringify(rows.rows[0], (_k, v: unknown) => (v && typeof v === 'object' && 'type' in v && (v as { type: string }).type === 'Buffer' ? Buffer.from((v as unknown as { data: number[] }).data).toString('latin1') : v));
      assert.ok(!raw.includes(secret) && !raw.includes(comment), 'chart note text stored in plaintext');
      const events = await server.sql<{ data: unknown }>(`select data from events where kind like 'chart_note.%'`);
      assert.ok(!JSON.stringify(events.rows).includes(secret));
      // A ciphertext moved to another note fails authentication instead of showing the wrong text.
      const other = await mark(p.provider.client, message, { excerpt: 'Lately' });
      await server.sql('update chart_notes set excerpt_ct = (select excerpt_ct from chart_notes where id = $2) where id = $1', [other.id, note.id]);
      await rejects(p.nurse.client.call('chartNotes.list', { params: { patientId: p.patientA.id } }), 500, 'integrity_error');
      await server.sql('delete from chart_notes where id = $1', [other.id]);
    } finally {
      staff.stream.close();
      patient.stream.close();
    }
  });
});
