import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPractice, rejects, startTestServer, uuid, type Practice, type TestServer } from '../../../test/harness.js';

let server: TestServer;
let p: Practice;

before(async () => {
  server = await startTestServer();
  p = await createPractice(server, 'msg');
});
after(() => server.stop());

async function patientThread(subject = 'Question about my medication') {
  return p.patientA.client.call('threads.create', { body: { subject, topic: 'prescription_refill' } });
}

describe('conversation between a patient and their care team', () => {
  test('patient writes, care team sees the thread and answers, patient sees the answer', async () => {
    const thread = await patientThread();
    assert.equal(thread.patientId, p.patientA.id);
    assert.equal(thread.kind, 'patient');
    const sent = await p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'Can I take ibuprofen with lisinopril?' } });
    assert.equal(sent.body, 'Can I take ibuprofen with lisinopril?');

    const staffThreads = await p.nurse.client.call('threads.list', { query: { patientId: p.patientA.id } });
    assert.ok(staffThreads.items.some((t) => t.id === thread.id && t.subject === 'Question about my medication' && t.unreadCount === 1));
    await p.provider.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'Please avoid ibuprofen; acetaminophen is fine.' } });

    const history = await p.patientA.client.call('messages.list', { params: { threadId: thread.id } });
    assert.deepEqual(history.items.map((m) => m.body), ['Please avoid ibuprofen; acetaminophen is fine.', 'Can I take ibuprofen with lisinopril?']);
    assert.equal(history.items[0]!.senderId, p.provider.id);
  });

  test('a patient can have several threads with subjects and topics; unknown topics are refused', async () => {
    await p.patientA.client.call('threads.create', { body: { subject: 'Billing question', topic: 'billing' } });
    const mine = await p.patientA.client.call('threads.list');
    assert.ok(mine.items.length >= 2);
    assert.ok(mine.items.every((t) => t.patientId === p.patientA.id));
    await rejects(p.patientA.client.call('threads.create', { body: { subject: 'x', topic: 'not_a_topic' } }), 400, 'validation_failed');
  });

  test('staff outside the care team and other patients get 404 for the thread', async () => {
    const thread = await patientThread('Private');
    await rejects(p.otherProvider.client.call('threads.get', { params: { threadId: thread.id } }), 404, 'not_found');
    await rejects(p.patientB.client.call('messages.list', { params: { threadId: thread.id } }), 404, 'not_found');
    await rejects(p.patientB.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'hi' } }), 404);
    await rejects(p.compliance.client.call('threads.get', { params: { threadId: thread.id } }), 404);
    await rejects(p.admin.client.call('messages.list', { params: { threadId: thread.id } }), 404);
  });
});

describe('idempotent send', () => {
  test('a retry with the same id returns the stored message once; a different text under that id conflicts', async () => {
    const thread = await patientThread();
    const id = uuid();
    const first = await p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id, body: 'Refill please' } });
    const again = await p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id, body: 'Refill please' } });
    assert.equal(again.id, first.id);
    assert.equal(again.createdAt, first.createdAt);
    const concurrent = await Promise.all(
      Array.from({ length: 8 }, () => p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id, body: 'Refill please' } })),
    );
    assert.ok(concurrent.every((m) => m.id === id));
    const stored = await server.sql('select count(*)::int as n from messages where id = $1', [id]);
    assert.equal(stored.rows[0]!.n, 1);
    await rejects(p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id, body: 'Something else' } }), 409, 'idempotency_conflict');
    // Another user reusing the id (a forged or guessed id) cannot overwrite or read it.
    await rejects(p.nurse.client.call('messages.create', { params: { threadId: thread.id }, body: { id, body: 'Refill please' } }), 409, 'idempotency_conflict');
  });
});

describe('history pagination', () => {
  test('newest first with a cursor to older pages, and forward from a cursor', async () => {
    const thread = await patientThread();
    for (let i = 0; i < 7; i++) {
      await p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: `message ${i}` } });
    }
    const page1 = await p.nurse.client.call('messages.list', { params: { threadId: thread.id }, query: { limit: 3 } });
    assert.deepEqual(page1.items.map((m) => m.body), ['message 6', 'message 5', 'message 4']);
    assert.ok(page1.nextCursor);
    const page2 = await p.nurse.client.call('messages.list', { params: { threadId: thread.id }, query: { limit: 3, before: page1.nextCursor! } });
    assert.deepEqual(page2.items.map((m) => m.body), ['message 3', 'message 2', 'message 1']);
    const page3 = await p.nurse.client.call('messages.list', { params: { threadId: thread.id }, query: { limit: 3, before: page2.nextCursor! } });
    assert.deepEqual(page3.items.map((m) => m.body), ['message 0']);
    assert.equal(page3.nextCursor, null);
    const forward = await p.nurse.client.call('messages.list', { params: { threadId: thread.id }, query: { limit: 10, after: page2.nextCursor! } });
    assert.deepEqual(forward.items.map((m) => m.body), ['message 2', 'message 3', 'message 4', 'message 5', 'message 6']);
    await rejects(p.nurse.client.call('messages.list', { params: { threadId: thread.id }, query: { before: 'bm90LWEtY3Vyc29y' } }), 400, 'validation_failed');
  });

  test('the page read while the policy decides tells a refused reader nothing: 404 whatever the cursor, and no read audited', async () => {
    const thread = await patientThread('Read early, refused');
    for (let i = 0; i < 3; i++) await p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: `early ${i}` } });
    const page = await p.patientA.client.call('messages.list', { params: { threadId: thread.id }, query: { limit: 1 } });
    const invalid = 'bm90LWEtY3Vyc29y';
    for (const reader of [p.patientB, p.otherProvider]) {
      for (const query of [{}, { before: page.nextCursor! }, { after: page.nextCursor! }, { before: invalid }, { before: page.nextCursor!, after: page.nextCursor! }]) {
        await rejects(reader.client.call('messages.list', { params: { threadId: thread.id }, query }), 404, 'not_found');
      }
      const audited = await server.sql(
        `select count(*)::int as n from audit_events where action = 'messages.list' and actor_id = $1 and resource_id = $2 and outcome = 'success'`,
        [reader.id, thread.id],
      );
      assert.equal(audited.rows[0]!.n, 0, 'a refused reader has no successful read on record');
    }
    // The owner, allowed, gets the validation errors.
    await rejects(p.patientA.client.call('messages.list', { params: { threadId: thread.id }, query: { before: invalid } }), 400, 'validation_failed');
    await rejects(p.patientA.client.call('messages.list', { params: { threadId: thread.id }, query: { before: page.nextCursor!, after: page.nextCursor! } }), 400, 'validation_failed');
    const own = await server.sql(`select count(*)::int as n from audit_events where action = 'messages.list' and actor_id = $1 and resource_id = $2`, [p.patientA.id, thread.id]);
    assert.equal(own.rows[0]!.n, 1, 'the one successful read is audited');
  });
});

describe('edit, versions and retraction', () => {
  test('edits keep every version for staff; the patient sees the latest marked edited', async () => {
    const thread = await patientThread();
    const m = await p.provider.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'Take 10 mg daily' } });
    const edited = await p.provider.client.call('messages.edit', { params: { threadId: thread.id, messageId: m.id }, body: { body: 'Take 5 mg daily' } });
    assert.equal(edited.edited, true);
    assert.equal(edited.version, 2);
    const seen = await p.patientA.client.call('messages.list', { params: { threadId: thread.id } });
    const mine = seen.items.find((x) => x.id === m.id)!;
    assert.equal(mine.body, 'Take 5 mg daily');
    assert.equal(mine.edited, true);
    const versions = await p.nurse.client.call('messages.versions', { params: { threadId: thread.id, messageId: m.id } });
    assert.deepEqual(versions.items.map((v) => v.body), ['Take 10 mg daily', 'Take 5 mg daily']);
    await rejects(p.patientA.client.call('messages.versions', { params: { threadId: thread.id, messageId: m.id } }), 404);
    // Only the sender edits.
    await rejects(p.nurse.client.call('messages.edit', { params: { threadId: thread.id, messageId: m.id }, body: { body: 'hijack' } }), 403, 'forbidden');
    await rejects(p.patientA.client.call('messages.edit', { params: { threadId: thread.id, messageId: m.id }, body: { body: 'hijack' } }), 403);
  });

  test('a retracted staff message disappears for the patient and stays for the record', async () => {
    const thread = await patientThread();
    const m = await p.nurse.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'Sent to the wrong patient' } });
    const patientMsg = await p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'I cannot retract this' } });
    await rejects(p.patientA.client.call('messages.retract', { params: { threadId: thread.id, messageId: patientMsg.id }, body: {} }), 403);
    const r = await p.nurse.client.call('messages.retract', { params: { threadId: thread.id, messageId: m.id }, body: { reason: 'wrong patient' } });
    assert.equal(r.retracted, true);
    const patientView = await p.patientA.client.call('messages.list', { params: { threadId: thread.id } });
    assert.ok(!patientView.items.some((x) => x.id === m.id));
    await rejects(p.patientA.client.call('messages.edit', { params: { threadId: thread.id, messageId: m.id }, body: { body: 'x' } }), 404);
    const staffView = await p.provider.client.call('messages.list', { params: { threadId: thread.id } });
    const kept = staffView.items.find((x) => x.id === m.id)!;
    assert.equal(kept.retracted, true);
    assert.equal(kept.body, 'Sent to the wrong patient');
    const rows = await server.sql('select count(*)::int as n from message_versions where message_id = $1', [m.id]);
    assert.equal(rows.rows[0]!.n, 1);
    await rejects(p.nurse.client.call('messages.retract', { params: { threadId: thread.id, messageId: m.id }, body: {} }), 403);
  });

  test('there is no endpoint that deletes a message', async () => {
    const thread = await patientThread();
    const m = await p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'keep me' } });
    const res = await fetch(`${server.url}/api/v1/threads/${thread.id}/messages/${m.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${p.patientA.client.token}` } });
    assert.equal(res.status, 404);
    const still = await p.patientA.client.call('messages.list', { params: { threadId: thread.id } });
    assert.equal(still.items[0]!.body, 'keep me');
  });
});

describe('receipts', () => {
  test('delivered and read receipts per participant, with timestamps', async () => {
    const thread = await patientThread();
    const a = await p.nurse.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'first' } });
    const b = await p.nurse.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'second' } });
    const delivered = await p.patientA.client.call('messages.receipts', { params: { threadId: thread.id }, body: { messageId: b.id, status: 'delivered' } });
    assert.equal(delivered.updated, 2);
    let list = await p.nurse.client.call('messages.list', { params: { threadId: thread.id } });
    const rb = list.items.find((m) => m.id === b.id)!.receipts.find((r) => r.userId === p.patientA.id)!;
    assert.ok(rb.deliveredAt);
    assert.equal(rb.readAt, null);
    const read = await p.patientA.client.call('messages.receipts', { params: { threadId: thread.id }, body: { messageId: a.id, status: 'read' } });
    assert.equal(read.updated, 1);
    list = await p.nurse.client.call('messages.list', { params: { threadId: thread.id } });
    assert.ok(list.items.find((m) => m.id === a.id)!.receipts.find((r) => r.userId === p.patientA.id)!.readAt);
    assert.equal(list.items.find((m) => m.id === b.id)!.receipts.find((r) => r.userId === p.patientA.id)!.readAt, null);
    const threads = await p.patientA.client.call('threads.list');
    assert.equal(threads.items.find((t) => t.id === thread.id)!.unreadCount, 1);
  });
});

describe('search', () => {
  test('finds words within what the caller may see, never beyond', async () => {
    const thread = await p.patientA.client.call('threads.create', { body: { subject: 'Rash', topic: 'clinical_question' } });
    await p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'The eczema patch on my elbow is spreading' } });
    const threadB = await p.patientB.client.call('threads.create', { body: { subject: 'Skin', topic: 'clinical_question' } });
    await p.patientB.client.call('messages.create', { params: { threadId: threadB.id }, body: { id: uuid(), body: 'My eczema is better' } });

    const nurse = await p.nurse.client.call('messages.search', { body: { query: 'Eczema' } });
    assert.equal(nurse.items.length, 1);
    assert.equal(nurse.items[0]!.threadId, thread.id);
    assert.match(nurse.items[0]!.snippet, /eczema patch/);
    const both = await p.nurse.client.call('messages.search', { body: { query: 'eczema spreading' } });
    assert.equal(both.items.length, 1);
    const none = await p.nurse.client.call('messages.search', { body: { query: 'eczema better' } });
    assert.equal(none.items.length, 0);
    const patientB = await p.patientB.client.call('messages.search', { body: { query: 'eczema' } });
    assert.deepEqual(patientB.items.map((h) => h.threadId), [threadB.id]);
    await rejects(p.patientB.client.call('messages.search', { body: { query: 'eczema', threadId: thread.id } }), 404);
    await rejects(p.nurse.client.call('messages.search', { body: { query: '!!' } }), 400, 'validation_failed');
  });

  test('after an edit only the current text is searchable', async () => {
    const thread = await patientThread();
    const m = await p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'zebra crossing' } });
    await p.patientA.client.call('messages.edit', { params: { threadId: thread.id, messageId: m.id }, body: { body: 'giraffe crossing' } });
    assert.equal((await p.nurse.client.call('messages.search', { body: { query: 'zebra' } })).items.length, 0);
    assert.equal((await p.nurse.client.call('messages.search', { body: { query: 'giraffe' } })).items.length, 1);
  });
});

describe('internal staff threads', () => {
  test('participants only; invisible to patients and other staff', async () => {
    const internal = await p.provider.client.call('threads.create', { body: { kind: 'internal', subject: 'Coverage next week', participantIds: [p.nurse.id] } });
    assert.equal(internal.kind, 'internal');
    assert.deepEqual([...internal.participantIds].sort(), [p.provider.id, p.nurse.id].sort());
    await p.nurse.client.call('messages.create', { params: { threadId: internal.id }, body: { id: uuid(), body: 'I can cover Tuesday' } });
    await rejects(p.patientA.client.call('threads.get', { params: { threadId: internal.id } }), 404);
    await rejects(p.otherProvider.client.call('messages.list', { params: { threadId: internal.id } }), 404);
    const patientThreads = await p.patientA.client.call('threads.list');
    assert.ok(!patientThreads.items.some((t) => t.id === internal.id));
    const hits = await p.patientA.client.call('messages.search', { body: { query: 'cover tuesday' } });
    assert.equal(hits.items.length, 0);
    await rejects(p.patientA.client.call('threads.create', { body: { kind: 'internal', subject: 'x' } }), 403);
  });
});

describe('thread list pagination', () => {
  test('pages through threads with activity in the same millisecond without skipping or repeating', async () => {
    const patient = p.patientB;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await patient.client.call('threads.create', { body: { subject: `Same ms ${i}`, topic: 'other' } })).id);
    // Activity times that differ only below the millisecond, as PostgreSQL can store them.
    await server.sql(
      `update threads set last_message_at = timestamptz '2030-01-01 10:00:00.123001+00' + (array_position($1::uuid[], id) * interval '1 microsecond') where id = any($1::uuid[])`,
      [ids],
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await patient.client.call('threads.list', { query: { limit: 1, ...(cursor ? { cursor } : {}) } });
      seen.push(...res.items.map((t) => t.id));
      if (!res.nextCursor) break;
      cursor = res.nextCursor;
    }
    const ours = seen.filter((id) => ids.includes(id));
    assert.deepEqual(ours, [...ids].reverse(), 'newest first, each once');
    assert.equal(new Set(seen).size, seen.length);
  });
});
