/**
 * Internal notes, @mentions and consults, through the real server, the SDK and its event stream.
 *
 * The first test is adversarial: the care team writes internal notes carrying a canary (in the text, an edit, an
 * attachment's name and bytes, a shared resource, a note sent over the socket), reads up to them, types them, and
 * mentions a colleague; then the patient tries every way in that the API offers (lists, direct reads, versions,
 * edits, receipts, attachments, search, thread activity and unread counts, the live stream and its replay,
 * notifications, idempotent resends) and must find neither the canary nor the notes' ids, while staff, as positive
 * controls, see all of it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { HavenClient, Message, Thread } from '@haven/api';
import { addPatient, addStaff, createPractice, rejects, startTestServer, uuid, type Member, type Practice, type TestServer, waitFor } from '../../../test/harness.js';
import { isEvent, listen, sleep, type Listener } from '../../../test/live.js';
import { PreparedEvent } from '../events/event.service.js';
import type { StoredEvent } from '../events/event.store.js';

let server: TestServer;
let p: Practice;

before(async () => {
  server = await startTestServer({ eventSessionCheckMs: 200 });
  p = await createPractice(server, 'notes');
});
after(() => server.stop());

const canaryWord = (): string => `canary${randomBytes(6).toString('hex')}`;
const send = (who: Member, threadId: string, body: string, extra: { internal?: boolean; mentions?: string[]; id?: string } = {}) =>
  who.client.call('messages.create', { params: { threadId }, body: { id: extra.id ?? uuid(), body, ...(extra.internal !== undefined ? { internal: extra.internal } : {}), ...(extra.mentions ? { mentions: extra.mentions } : {}) } });
const newThread = (subject = 'Knee pain'): Promise<Thread> => p.patientA.client.call('threads.create', { body: { subject, topic: 'other' } });


/** Every message of a thread as `client` pages through it (one per page, so every cursor is exercised). */
async function history(client: HavenClient, threadId: string): Promise<Message[]> {
  const out: Message[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await client.call('messages.list', { params: { threadId }, query: { limit: 1, ...(before ? { before } : {}) } });
    out.push(...page.items);
    if (!page.nextCursor) return out;
    before = page.nextCursor;
  }
}

const notificationItems = async (userId: string, messageIds: string[]) =>
  (await server.sql<{ message_id: string }>(`select message_id from notification_items where user_id = $1 and message_id = any($2::uuid[])`, [userId, messageIds])).rows.map((r) => r.message_id);

describe('internal notes', () => {
  test('a patient can never read an internal note: not through any endpoint, event, search, attachment, unread count, notification or receipt', async () => {
    const canary = canaryWord();
    const t = await newThread();
    const elsewhere = await newThread('Another question');
    const asked = await send(p.patientA, t.id, 'My knee hurts when I climb stairs');
    await send(p.patientA, elsewhere.id, 'And a question about my appointment');

    const patientL = await listen(p.patientA.client);
    const nurseL = await listen(p.nurse.client);
    const providerL = await listen(p.provider.client);
    const listeners: Listener[] = [patientL, nurseL, providerL];
    try {
      // A note with an attachment (uploaded first, as clients do) that mentions the nurse.
      const noteId = uuid();
      const file = await p.provider.client.uploadAttachment(t.id, noteId, { data: Buffer.from(`${canary} MRI report\n`), fileName: `${canary}-mri.txt`, contentType: 'text/plain' });
      const note = await send(p.provider, t.id, `${canary}: suspect a meniscus tear, refer before telling him`, { id: noteId, internal: true, mentions: [p.nurse.id] });
      assert.equal(note.internal, true);
      assert.deepEqual(note.mentions, [p.nurse.id]);
      assert.deepEqual(note.attachments.map((a) => a.id), [file.id]);
      // Edited (the record keeps both versions), a resource shared into a note, a note sent over the socket.
      await p.provider.client.call('messages.edit', { params: { threadId: t.id, messageId: noteId }, body: { body: `${canary}: meniscus tear confirmed on MRI` } });
      const sheet = await p.provider.client.call('resources.create', { body: { kind: 'file', title: 'Knee surgery pathway (staff)' } });
      await p.provider.client.uploadResourceFile(sheet.id, { data: Buffer.from('Pathway for the team\n'), fileName: 'pathway.txt', contentType: 'text/plain' });
      const shared = await p.provider.client.call('resources.share', { params: { threadId: t.id, resourceId: sheet.id }, body: { id: uuid(), text: `${canary} pathway for the team`, internal: true } });
      assert.equal(shared.internal, true);
      assert.equal(shared.attachments.length, 1);
      const viaSocket = (await providerL.stream.send(t.id, { id: uuid(), body: `${canary} noted over the socket`, internal: true })).message;
      assert.equal(viaSocket.internal, true);
      const internalIds = [noteId, shared.id, viaSocket.id];
      // The provider reads up to the newest note (which also marks the patient's question read).
      await p.provider.client.call('messages.receipts', { params: { threadId: t.id }, body: { messageId: viaSocket.id, status: 'read' } });

      // Activity as the patient sees it: unchanged by the notes (no unread count, no newer time, no move up the list).
      const [patientView, patientList, staffView, staffList] = await Promise.all([
        p.patientA.client.call('threads.get', { params: { threadId: t.id } }),
        p.patientA.client.call('threads.list', { query: { limit: 200 } }),
        p.provider.client.call('threads.get', { params: { threadId: t.id } }),
        p.provider.client.call('threads.list', { query: { limit: 200 } }),
      ]);
      assert.equal(patientView.lastMessageAt, asked.createdAt, "a note moved the thread's time for the patient");
      assert.equal(patientList.items.find((x) => x.id === t.id)?.unreadCount, 0, 'a note counts as unread for the patient');
      const order = (items: Thread[]) => items.map((x) => x.id).filter((id) => id === t.id || id === elsewhere.id);
      assert.deepEqual(order(patientList.items), [elsewhere.id, t.id], 'a note moved the thread up in the patient\'s list');
      assert.equal(staffView.lastMessageAt, viaSocket.createdAt, 'staff see the notes as activity');
      assert.deepEqual(order(staffList.items), [t.id, elsewhere.id]);
      assert.equal((await p.nurse.client.call('threads.list', { query: { limit: 200 } })).items.find((x) => x.id === t.id)?.unreadCount, 4, 'the nurse has the question and three notes unread');

      // Typing a note: staff see it, the patient does not. (The nurse's ordinary typing is the positive control.)
      providerL.stream.typing(t.id, true, { internal: true });
      await nurseL.waitFor((f) => f.type === 'typing' && f.userId === p.provider.id && f.threadId === t.id);
      nurseL.stream.typing(t.id, true);
      await patientL.waitFor((f) => f.type === 'typing' && f.userId === p.nurse.id);

      // Control: an ordinary reply, which the patient does get everywhere.
      const reply = await send(p.provider, t.id, 'Please rest the knee; we will call you about next steps.');
      await patientL.waitFor(isEvent('message.created', reply.id));
      await nurseL.waitFor(isEvent('message.created', reply.id));

      const problems: string[] = [];
      const leaks = (where: string, value: unknown) => {
        const text = JSON.stringify(value);
        if (text.includes(canary)) problems.push(`${where}: the canary`);
        for (const id of internalIds) if (text.includes(id)) problems.push(`${where}: a note id`);
        if (text.includes(file.id)) problems.push(`${where}: the note's attachment id`);
      };
      const patient = p.patientA.client;

      // REST: history (paged through one by one), direct reads, versions, edits, retraction, receipts.
      const seen = await history(patient, t.id);
      assert.deepEqual(seen.map((m) => m.id), [reply.id, asked.id], 'the patient\'s history is exactly the two visible messages');
      leaks('messages.list', seen);
      // Reading forward from the question (the notes lie between it and the reply) finds the reply only.
      const fromQuestion = (await patient.call('messages.list', { params: { threadId: t.id }, query: { limit: 2 } })).nextCursor!;
      const forward = await patient.call('messages.list', { params: { threadId: t.id }, query: { after: fromQuestion } });
      assert.deepEqual(forward.items.map((m) => m.id), [reply.id]);
      leaks('messages.list after', forward);
      for (const id of internalIds) {
        const m = { threadId: t.id, messageId: id };
        await rejects(patient.call('messages.get', { params: m }), 404, 'not_found');
        await rejects(patient.call('messages.versions', { params: m }), 404, 'not_found');
        await rejects(patient.call('messages.edit', { params: m, body: { body: 'overwritten' } }), 404, 'not_found');
        await rejects(patient.call('messages.retract', { params: m, body: {} }), 404, 'not_found');
        await rejects(patient.call('messages.receipts', { params: { threadId: t.id }, body: { messageId: id, status: 'read' } }), 404, 'not_found');
        const atts = await patient.call('attachments.list', { params: m });
        assert.deepEqual(atts.items, [], 'the patient lists a note\'s attachments');
      }
      await rejects(patient.downloadAttachment(t.id, noteId, file.id), 404, 'not_found');
      await rejects(patient.downloadAttachment(t.id, shared.id, shared.attachments[0]!.id), 404, 'not_found');
      // Marking the visible reply read touches no note (the nurse's receipts show which were touched).
      await patient.call('messages.receipts', { params: { threadId: t.id }, body: { messageId: reply.id, status: 'read' } });
      const receipts = await server.sql<{ message_id: string }>(`select message_id from message_receipts where user_id = $1 and message_id = any($2::uuid[])`, [p.patientA.id, internalIds]);
      assert.deepEqual(receipts.rows, [], 'a patient receipt touched a note');

      // Search: the patient never matches a note; staff do (positive control).
      for (const query of [canary, 'meniscus', 'pathway team']) {
        const found = await patient.call('messages.search', { body: { query } });
        leaks(`messages.search "${query}"`, found);
        assert.deepEqual(found.items, []);
      }
      const staffFound = await p.nurse.client.call('messages.search', { body: { query: canary } });
      assert.deepEqual(new Set(staffFound.items.map((h) => h.messageId)), new Set(internalIds));
      assert.ok(staffFound.items.every((h) => h.internal));

      // Thread reads after the reply: the patient's view moved with the reply only.
      const after = await patient.call('threads.get', { params: { threadId: t.id } });
      assert.equal(after.lastMessageAt, reply.createdAt);
      leaks('threads.get', after);
      leaks('threads.list', await patient.call('threads.list', { query: { limit: 200 } }));
      await rejects(patient.call('threads.consults', { params: { threadId: t.id } }), 403, 'forbidden');
      await rejects(patient.call('mentions.list'), 403, 'forbidden');

      // The live stream: no note, no mention, no typing of a note; the staff read receipt names a visible message.
      leaks('event stream', patientL.frames);
      assert.ok(!patientL.frames.some((f) => f.type === 'typing' && f.userId === p.provider.id), 'the patient saw a note being typed');
      assert.ok(!patientL.events().some((e) => e.type === 'mention.created'));
      const staffRead = patientL.events().find((e) => e.type === 'receipts.updated' && e.actorId === p.provider.id);
      assert.ok(staffRead, 'the patient was not told that the provider read the question');
      assert.equal(staffRead.receipts?.uptoMessageId, asked.id);
      assert.equal(staffRead.messageId, asked.id);
      const replay = await listen(patient, { cursor: '0' });
      listeners.push(replay);
      leaks('replayed event stream', replay.frames);
      assert.ok(replay.events().some((e) => e.messageId === reply.id), 'the replay is missing the visible reply');

      // Positive controls in the staff streams: the notes, their edit, the mention (ids only).
      const created = await nurseL.waitFor(isEvent('message.created', noteId));
      assert.equal(created.event.message?.internal, true);
      assert.ok(created.event.message?.body?.includes(canary));
      await nurseL.waitFor(isEvent('message.edited', noteId));
      const mention = await nurseL.waitFor(isEvent('mention.created', noteId));
      assert.ok(mention.event.mentionId);
      assert.equal(mention.event.threadId, t.id);
      assert.equal(mention.event.actorId, p.provider.id);
      assert.equal(mention.event.message, undefined);
      assert.ok(!JSON.stringify(mention).includes(canary), 'the mention event carries text');
      assert.ok(!providerL.events().some((e) => e.type === 'mention.created'), 'a mention event reached someone not mentioned');

      // Notifications: never scheduled for the patient for a note; the reply is (positive control); the nurse is.
      await waitFor('the reply to be scheduled for the patient', async () => ((await notificationItems(p.patientA.id, [reply.id])).length > 0 ? true : undefined));
      assert.deepEqual(await notificationItems(p.patientA.id, internalIds), [], 'a note was scheduled to notify the patient');
      assert.deepEqual(await notificationItems(p.nurse.id, [noteId]), [noteId]);

      // The outbox rows of the notes are staff-only.
      const rows = await server.sql<{ kind: string; staff_only: boolean }>(`select kind, staff_only from events where message_id = any($1::uuid[])`, [internalIds]);
      assert.ok(rows.rows.length >= 5);
      assert.ok(rows.rows.every((r) => r.staff_only || r.kind === 'receipts.updated'), JSON.stringify(rows.rows));

      // Resending a note's id as the patient is a conflict that tells nothing about the note.
      try {
        await send(p.patientA, t.id, 'guessing', { id: noteId });
        assert.fail('the patient reused a note id');
      } catch (err) {
        assert.equal((err as { status?: number }).status, 409);
        leaks('idempotency conflict', (err as { problem?: unknown }).problem);
      }
      assert.deepEqual(problems, []);
    } finally {
      for (const l of listeners) l.stream.close();
    }
  });

  test('patients cannot write notes or mentions, over HTTP or the socket', async () => {
    const t = await newThread();
    await rejects(send(p.patientA, t.id, 'let me write a note', { internal: true }), 403, 'forbidden');
    await rejects(send(p.patientA, t.id, 'hey nurse', { mentions: [p.nurse.id] }), 422, 'invalid_mention');
    const l = await listen(p.patientA.client);
    try {
      await assert.rejects(l.stream.send(t.id, { id: uuid(), body: 'socket note', internal: true }), (err: { status?: number; code?: string }) => err.status === 403 && err.code === 'forbidden');
    } finally {
      l.stream.close();
    }
    assert.equal((await p.provider.client.call('messages.list', { params: { threadId: t.id } })).items.length, 0, 'a refused note was stored');
    // internal: false is an ordinary message.
    const plain = await send(p.patientA, t.id, 'an ordinary message', { internal: false });
    assert.equal(plain.internal, false);
    assert.deepEqual(plain.mentions, []);
  });

  test('staff read, edit (keeping versions) and retract notes like other messages; outsiders do not see them', async () => {
    const t = await newThread();
    const note = await send(p.nurse, t.id, 'BP 150/95 at the front desk', { internal: true });
    const seen = await p.provider.client.call('messages.get', { params: { threadId: t.id, messageId: note.id } });
    assert.equal(seen.internal, true);
    assert.equal(seen.body, 'BP 150/95 at the front desk');
    assert.ok((await p.provider.client.call('messages.list', { params: { threadId: t.id } })).items.some((m) => m.id === note.id && m.internal));

    await rejects(p.provider.client.call('messages.edit', { params: { threadId: t.id, messageId: note.id }, body: { body: 'not mine' } }), 403, 'forbidden');
    const edited = await p.nurse.client.call('messages.edit', { params: { threadId: t.id, messageId: note.id }, body: { body: 'BP 150/95, repeat was 140/90' } });
    assert.equal(edited.internal, true);
    assert.equal(edited.version, 2);
    const versions = await p.provider.client.call('messages.versions', { params: { threadId: t.id, messageId: note.id } });
    assert.deepEqual(versions.items.map((v) => v.body), ['BP 150/95 at the front desk', 'BP 150/95, repeat was 140/90']);
    const retracted = await p.nurse.client.call('messages.retract', { params: { threadId: t.id, messageId: note.id }, body: { reason: 'wrong patient' } });
    assert.equal(retracted.retracted, true);
    assert.equal(retracted.internal, true);

    // Outside the care team, admins, compliance and the other organization: the thread itself is not there.
    for (const c of [p.otherProvider.client, p.admin.client, p.compliance.client]) {
      await rejects(c.call('messages.get', { params: { threadId: t.id, messageId: note.id } }), 404, 'not_found');
    }
    // Only providers and staff of the care team write notes in the thread.
    await rejects(send(p.otherProvider, t.id, 'not my patient', { internal: true }), 404, 'not_found');
  });

  test('a note is idempotent by its id, visibility and mentions included', async () => {
    const t = await newThread();
    const id = uuid();
    const first = await send(p.provider, t.id, 'Call back tomorrow', { id, internal: true, mentions: [p.nurse.id] });
    const again = await p.provider.client.call('messages.create', { params: { threadId: t.id }, body: { id, body: 'Call back tomorrow', internal: true, mentions: [p.nurse.id.toUpperCase()] } });
    assert.deepEqual(again, first);
    await rejects(send(p.provider, t.id, 'Call back tomorrow', { id }), 409, 'idempotency_conflict');
    await rejects(send(p.provider, t.id, 'Call back tomorrow', { id, internal: true }), 409, 'idempotency_conflict');
    const mentions = await server.sql(`select 1 from message_mentions where message_id = $1`, [id]);
    assert.equal(mentions.rowCount, 1, 'a retry stored its mention again');
  });

  test('a retried note answers the stored note even after someone it mentioned left the thread; a new note cannot mention them', async () => {
    const t = await newThread('Mention then leave');
    const temp = await addStaff(server, p.slug, p.admin.client, 'staff', `Float nurse ${p.slug}`, p.dept.id);
    await p.admin.client.call('careTeams.members.add', { params: { id: p.teamA.id }, body: { userId: temp.id } });
    const id = uuid();
    const first = await send(p.provider, t.id, 'Float nurse, please call her', { id, internal: true, mentions: [temp.id] });
    await p.admin.client.call('careTeams.members.remove', { params: { id: p.teamA.id, userId: temp.id } });
    // The client did not see the answer and retries: the stored note, not a 422 for a mention that was valid then.
    const again = await p.provider.client.call('messages.create', { params: { threadId: t.id }, body: { id, body: 'Float nurse, please call her', internal: true, mentions: [temp.id] } });
    assert.deepEqual(again, first);
    await rejects(send(p.provider, t.id, 'Another note', { internal: true, mentions: [temp.id] }), 422, 'invalid_mention');
    // A different text under the id is still a conflict, not a replay.
    await rejects(p.provider.client.call('messages.create', { params: { threadId: t.id }, body: { id, body: 'Changed text', internal: true, mentions: [temp.id] } }), 409, 'idempotency_conflict');
  });
  test('a note cannot reach the patient through reactions or their chart', async () => {
    const t = await newThread('Reactions and chart');
    const note = await send(p.nurse, t.id, `${canaryWord()}: staff only`, { internal: true });
    await p.provider.client.call('reactions.add', { params: { threadId: t.id, messageId: note.id, emoji: '👍' } });
    // The patient cannot tell the note from a message that does not exist, for adding or removing a reaction.
    await rejects(p.patientA.client.call('reactions.add', { params: { threadId: t.id, messageId: note.id, emoji: '👍' } }), 404, 'not_found');
    await rejects(p.patientA.client.call('reactions.remove', { params: { threadId: t.id, messageId: note.id, emoji: '👍' } }), 404, 'not_found');
    await rejects(p.patientA.client.call('reactions.add', { params: { threadId: t.id, messageId: uuid(), emoji: '👍' } }), 404, 'not_found');
    // Reaction events on a note are staff-only.
    const rows = await server.sql<{ staff_only: boolean }>(`select staff_only from events where kind = 'message.reaction' and message_id = $1`, [note.id]);
    assert.ok(rows.rows.length > 0 && rows.rows.every((r) => r.staff_only));
    // The patient reads their chart, so a note is never charted.
    await rejects(p.nurse.client.call('chartNotes.create', { params: { threadId: t.id, messageId: note.id }, body: { id: uuid() } }), 409, 'conflict');
  });
});

describe('mentions', () => {
  test('only active providers and staff who may see the thread can be mentioned, in internal messages only; 422 names the one who cannot', async () => {
    const t = await newThread();
    const former = await addStaff(server, p.slug, p.admin.client, 'staff', 'Former Nurse notes');
    await p.admin.client.call('careTeams.members.add', { params: { id: p.teamA.id }, body: { userId: former.id } });
    await p.admin.client.call('users.deactivate', { params: { id: former.id } });
    const nobody = uuid();
    for (const [who, why] of [
      [p.patientA.id, 'the patient'],
      [p.otherProvider.id, 'a provider of another care team'],
      [p.admin.id, 'an admin'],
      [p.compliance.id, 'compliance'],
      [former.id, 'a deactivated nurse of the care team'],
      [nobody, 'no one'],
    ] as const) {
      try {
        await send(p.provider, t.id, 'see this', { internal: true, mentions: [p.nurse.id, who] });
        assert.fail(`mentioned ${why}`);
      } catch (err) {
        const e = err as { status?: number; code?: string; problem?: { detail?: string; errors?: { path: string }[] } };
        assert.equal(e.status, 422, why);
        assert.equal(e.code, 'invalid_mention');
        assert.ok(e.problem?.detail?.includes(who), `the problem does not name ${why}: ${e.problem?.detail}`);
        assert.equal(e.problem?.errors?.[0]?.path, '/body/mentions/1');
      }
    }
    await rejects(send(p.provider, t.id, 'to the patient, with a mention', { mentions: [p.nurse.id] }), 422, 'invalid_mention');
    await rejects(send(p.provider, t.id, 'too many', { internal: true, mentions: Array.from({ length: 21 }, () => p.nurse.id) }), 400, 'validation_failed');
    assert.equal((await p.provider.client.call('messages.list', { params: { threadId: t.id } })).items.length, 0, 'a refused message was stored');
    assert.equal((await server.sql(`select 1 from message_mentions where thread_id = $1`, [t.id])).rowCount, 0);

    // In an internal thread every message is internal: its participants can be mentioned, nobody else.
    const internal = await p.provider.client.call('threads.create', { body: { kind: 'internal', subject: 'Rota', participantIds: [p.nurse.id] } });
    const m = await send(p.provider, internal.id, 'Can you take Friday?', { mentions: [p.nurse.id] });
    assert.equal(m.internal, true);
    assert.deepEqual(m.mentions, [p.nurse.id]);
    await rejects(send(p.provider, internal.id, 'and you?', { mentions: [p.otherProvider.id] }), 422, 'invalid_mention');
  });

  test('the mentioned user lists open mentions, marks them done (live on their other devices), and is notified whatever their thread settings', async () => {
    const t = await newThread();
    const nurse = p.nurse.client;
    // The nurse is not notified of care-team threads in general: only the mention notifies her.
    await nurse.call('notifications.preferences.update', { body: { staff: { careTeamThreads: false, assignedThreads: false, urgentThreads: false } } });
    try {
      const plain = await send(p.provider, t.id, 'FYI only', { internal: true });
      const asked = await send(p.provider, t.id, 'Can you book an MRI?', { internal: true, mentions: [p.nurse.id] });
      const control = await send(p.provider, t.id, 'We will book your MRI.');
      await waitFor('the control to be scheduled', async () => ((await notificationItems(p.patientA.id, [control.id])).length > 0 ? true : undefined));
      await waitFor('the mention to be scheduled', async () => ((await notificationItems(p.nurse.id, [asked.id])).length > 0 ? true : undefined));
      assert.deepEqual(await notificationItems(p.nurse.id, [plain.id, control.id]), [], 'the nurse was notified of a thread she turned off');

      const open = await nurse.call('mentions.list');
      const mine = open.items.find((x) => x.messageId === asked.id);
      assert.ok(mine, 'the mention is not listed');
      assert.deepEqual({ ...mine, id: undefined, createdAt: undefined }, { id: undefined, threadId: t.id, messageId: asked.id, mentionedBy: p.provider.id, createdAt: undefined, doneAt: null });
      assert.equal(mine.createdAt, asked.createdAt);
      assert.ok(!(await p.provider.client.call('mentions.list')).items.some((x) => x.id === mine.id), "someone else's mention is listed");

      // Someone else cannot mark it done; a forged id is 404 like a missing one.
      await rejects(p.provider.client.call('mentions.done', { params: { mentionId: mine.id } }), 404, 'not_found');
      await rejects(nurse.call('mentions.done', { params: { mentionId: uuid() } }), 404, 'not_found');
      await rejects(p.patientA.client.call('mentions.done', { params: { mentionId: mine.id } }), 403, 'forbidden');

      const other = await listen(nurse);
      try {
        const done = await nurse.call('mentions.done', { params: { mentionId: mine.id } });
        assert.ok(done.doneAt);
        const ev = await other.waitFor(isEvent('mention.done', asked.id));
        assert.equal(ev.event.mentionId, mine.id);
        const again = await nurse.call('mentions.done', { params: { mentionId: mine.id } });
        assert.equal(again.doneAt, done.doneAt, 'marking done again changed the time');
      } finally {
        other.stream.close();
      }
      assert.ok(!(await nurse.call('mentions.list')).items.some((x) => x.id === mine.id), 'a done mention is still open');
      assert.ok((await nurse.call('mentions.list', { query: { status: 'done' } })).items.some((x) => x.id === mine.id));
      assert.ok((await nurse.call('mentions.list', { query: { status: 'all' } })).items.some((x) => x.id === mine.id));
      const audit = await p.compliance.client.call('audit.list', { query: { action: 'mentions.done', limit: 50 } });
      assert.ok(audit.items.some((e) => e.resourceId === mine.id && e.actorId === p.nurse.id));
    } finally {
      await nurse.call('notifications.preferences.update', { body: { staff: { careTeamThreads: true, assignedThreads: true, urgentThreads: true } } });
    }
  });

  test('mentions page newest first, and leave the list when their thread leaves the user\'s care', async () => {
    const team = await p.admin.client.call('careTeams.create', { body: { name: 'Team Mentions', departmentId: p.dept.id, memberIds: [p.provider.id] } });
    const helper = await addStaff(server, p.slug, p.admin.client, 'staff', 'Helper Nurse notes', p.dept.id);
    await p.admin.client.call('careTeams.members.add', { params: { id: team.id }, body: { userId: helper.id } });
    const patient = await addPatient(server, p.slug, p.admin.client, 'Patient Mentions', [team.id]);
    const t = await patient.client.call('threads.create', { body: { subject: 'Dizziness', topic: 'other' } });
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) sent.push((await send(p.provider, t.id, `note ${i}`, { internal: true, mentions: [helper.id] })).id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await helper.client.call('mentions.list', { query: { limit: 2, ...(cursor ? { cursor } : {}) } });
      seen.push(...page.items.map((x) => x.messageId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    assert.deepEqual(seen, [...sent].reverse());
    await rejects(helper.client.call('mentions.list', { query: { cursor: 'bm90LWEtY3Vyc29y' } }), 400, 'validation_failed');

    await p.admin.client.call('careTeams.members.remove', { params: { id: team.id, userId: helper.id } });
    assert.deepEqual((await helper.client.call('mentions.list', { query: { status: 'all' } })).items.filter((x) => x.threadId === t.id), []);
    const stale = (await server.sql<{ id: string }>(`select id from message_mentions where user_id = $1 limit 1`, [helper.id])).rows[0]!.id;
    await rejects(helper.client.call('mentions.done', { params: { mentionId: stale } }), 404, 'not_found');
  });
});

describe('consults', () => {
  test('a consult links to a patient thread, is listed on it for its participants, and gives no one the patient thread', async () => {
    const canary = canaryWord();
    const t = await newThread('Chest pain on exertion');
    const asked = await send(p.patientA, t.id, 'The pain comes back when I walk');
    const patientL = await listen(p.patientA.client);
    const outsiderL = await listen(p.otherProvider.client);
    try {
      // The provider consults a colleague who is not on the patient's care team.
      const consult = await p.provider.client.call('threads.create', { body: { kind: 'internal', subject: `Cardiology opinion ${canary}`, participantIds: [p.otherProvider.id], linkedThreadId: t.id } });
      assert.equal(consult.kind, 'internal');
      assert.equal(consult.linkedThreadId, t.id);
      assert.equal(consult.patientId, null);
      const q = await send(p.provider, consult.id, `${canary}: ECG attached, stable angina?`, { mentions: [p.otherProvider.id] });
      await send(p.otherProvider, consult.id, `${canary}: agree, start a beta blocker`);
      await outsiderL.waitFor(isEvent('mention.created', q.id));

      // The consult's participants see it; the link shows on it.
      const seenByOutsider = await p.otherProvider.client.call('threads.get', { params: { threadId: consult.id } });
      assert.equal(seenByOutsider.linkedThreadId, t.id);
      assert.deepEqual((await p.provider.client.call('threads.consults', { params: { threadId: t.id } })).items.map((x) => x.id), [consult.id]);
      // A care team member who does not take part sees no consult (and may not open it).
      assert.deepEqual((await p.nurse.client.call('threads.consults', { params: { threadId: t.id } })).items, []);
      await rejects(p.nurse.client.call('threads.get', { params: { threadId: consult.id } }), 404, 'not_found');

      // The link grants the outsider nothing of the patient thread.
      const oc = p.otherProvider.client;
      const inT = { threadId: t.id };
      await rejects(oc.call('threads.get', { params: inT }), 404, 'not_found');
      await rejects(oc.call('messages.list', { params: inT }), 404, 'not_found');
      await rejects(oc.call('messages.get', { params: { ...inT, messageId: asked.id } }), 404, 'not_found');
      await rejects(send(p.otherProvider, t.id, 'hello', { internal: true }), 404, 'not_found');
      await rejects(oc.call('threads.consults', { params: inT }), 404, 'not_found');
      await rejects(oc.call('messages.search', { body: { query: 'pain walk', threadId: t.id } }), 404, 'not_found');
      await rejects(oc.call('patients.get', { params: { id: p.patientA.id } }), 404, 'not_found');
      assert.deepEqual((await oc.call('messages.search', { body: { query: 'pain walk' } })).items, []);
      assert.ok(!(await oc.call('threads.list', { query: { limit: 200 } })).items.some((x) => x.id === t.id));
      assert.ok(!outsiderL.events().some((e) => e.threadId === t.id), 'the outsider received an event of the patient thread');
      // ...nor a consult of it on a thread that is not a patient thread, nor a link to what the creator cannot see.
      await rejects(oc.call('threads.create', { body: { kind: 'internal', subject: 'Sneaky', participantIds: [], linkedThreadId: t.id } }), 404, 'not_found');
      await rejects(p.provider.client.call('threads.create', { body: { kind: 'internal', subject: 'Chain', linkedThreadId: consult.id } }), 400, 'validation_failed');
      await rejects(p.provider.client.call('threads.create', { body: { subject: 'Patient thread', patientId: p.patientA.id, linkedThreadId: t.id } }), 400, 'validation_failed');
      await rejects(p.provider.client.call('threads.consults', { params: { threadId: consult.id } }), 404, 'not_found');

      // The patient never learns the consult exists: not in lists, reads, search, activity or the stream.
      const patient = p.patientA.client;
      const reply = await send(p.provider, t.id, 'Please come in tomorrow morning.');
      await patientL.waitFor(isEvent('message.created', reply.id));
      const problems: string[] = [];
      const leaks = (where: string, value: unknown) => {
        const text = JSON.stringify(value);
        if (text.includes(canary)) problems.push(`${where}: the canary`);
        if (text.includes(consult.id)) problems.push(`${where}: the consult id`);
      };
      leaks('threads.list', await patient.call('threads.list', { query: { limit: 200 } }));
      leaks('threads.get', await patient.call('threads.get', { params: inT }));
      leaks('messages.list', await patient.call('messages.list', { params: inT }));
      leaks('messages.search', await patient.call('messages.search', { body: { query: canary } }));
      leaks('messages.search', await patient.call('messages.search', { body: { query: 'beta blocker' } }));
      leaks('event stream', patientL.frames);
      await rejects(patient.call('threads.get', { params: { threadId: consult.id } }), 404, 'not_found');
      await rejects(patient.call('messages.list', { params: { threadId: consult.id } }), 404, 'not_found');
      await rejects(patient.call('threads.consults', { params: inT }), 403, 'forbidden');
      const replay = await listen(patient, { cursor: '0' });
      try {
        leaks('replayed event stream', replay.frames);
      } finally {
        replay.stream.close();
      }
      assert.deepEqual(await notificationItems(p.patientA.id, [q.id]), []);
      assert.deepEqual(problems, []);

      // At rest the consult is part of the patient's record: under the patient's key, audited with the patient.
      const keys = await server.sql<{ key_id: string }>(`select key_id from threads where id = any($1::uuid[]) order by (id = $2) desc`, [[t.id, consult.id], consult.id]);
      assert.equal(keys.rows[0]!.key_id, keys.rows[1]!.key_id);
      const audit = await p.compliance.client.call('audit.list', { query: { action: 'threads.create', patientId: p.patientA.id, limit: 200 } });
      assert.ok(audit.items.some((e) => e.resourceId === consult.id));
    } finally {
      patientL.stream.close();
      outsiderL.stream.close();
    }
  });
});

describe('defence in depth: the event presenter alone keeps notes from patients', () => {
  // The relay already leaves patients out of a staff-only event's audience and the message loader gives patients no
  // internal message; these check the last lock on its own, as if both were missing.
  const ids = { org: uuid(), thread: uuid(), note: uuid(), visible: uuid(), staff: uuid() };
  const event = (over: Partial<StoredEvent>): StoredEvent => ({
    position: '42', orgId: ids.org, kind: 'message.created', threadId: ids.thread, userId: null, messageId: ids.note, actorId: ids.staff, data: {}, at: new Date().toISOString(), staffOnly: false, ...over,
  });
  const note = { id: ids.note, threadId: ids.thread, senderId: ids.staff, senderRole: 'provider', body: 'staff only text', createdAt: new Date().toISOString(), edited: false, editedAt: null, version: 1, retracted: false, retractedAt: null, contentHash: '00', receipts: [], attachments: [], link: null, reactions: [], internal: true, mentions: [] } satisfies Message;
  const noteAsLoaded = new Map([[ids.note, { staff: note, patient: note, internal: true }]]);

  test('a staff-only event has no patient frame', () => {
    for (const kind of ['message.created', 'message.edited', 'message.retracted', 'mention.created', 'receipts.updated']) {
      const ev = new PreparedEvent(event({ kind, staffOnly: true, data: { mentionId: uuid(), status: 'read' } }), new Set([ids.staff]), noteAsLoaded);
      assert.equal(ev.frame('patient'), null, kind);
      assert.ok(ev.frame('provider'), kind);
    }
  });

  test('an internal message has no patient frame even in an event not marked staff-only, not even its retraction', () => {
    for (const kind of ['message.created', 'message.edited', 'message.retracted']) {
      const ev = new PreparedEvent(event({ kind }), new Set([ids.staff]), noteAsLoaded);
      assert.equal(ev.frame('patient'), null, kind);
      assert.ok(ev.frame('staff')?.includes('staff only text'), kind);
    }
  });

  test('a read receipt up to a note names the newest visible message to a patient, or nothing', () => {
    const upto = (visible: string | null) =>
      new PreparedEvent(event({ kind: 'receipts.updated', messageId: ids.note, data: { status: 'read', visibleUptoMessageId: visible } }), new Set([ids.staff]), new Map());
    const shown = JSON.parse(upto(ids.visible).frame('patient')!) as { event: { messageId: string; receipts: { uptoMessageId: string } } };
    assert.equal(shown.event.messageId, ids.visible);
    assert.equal(shown.event.receipts.uptoMessageId, ids.visible);
    assert.ok(!upto(ids.visible).frame('patient')!.includes(ids.note));
    assert.equal(upto(null).frame('patient'), null);
    assert.ok(upto(null).frame('staff')!.includes(ids.note));
  });
});
