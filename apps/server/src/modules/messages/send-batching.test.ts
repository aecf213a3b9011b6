import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { HavenClient } from '@haven/api';
import { createPractice, rejects, signIn, startTestServer, uuid, type Practice, type TestServer } from '../../../test/harness.js';

// Under load, concurrent sends share one statement (group commit), and so do their session lookups and thread
// access checks. These bursts make sure sharing never mixes up callers, loses or duplicates a message, or lets one
// bad request fail the others.

let server: TestServer;
let p: Practice;

before(async () => {
  server = await startTestServer();
  p = await createPractice(server, 'burst');
});
after(() => server.stop());

const statusOf = (e: unknown): number => (e as { status?: number }).status ?? 0;

describe('concurrent sends (group commit)', () => {
  test('a burst across threads and senders: every message stored once, in its thread, with its own audit event', async () => {
    const threads = await Promise.all(
      Array.from({ length: 4 }, (_, i) => p.patientA.client.call('threads.create', { body: { subject: `Burst ${i}`, topic: 'other' } })),
    );
    const senders: { id: string; client: HavenClient }[] = [p.patientA, p.provider, p.nurse];
    const plan = Array.from({ length: 150 }, (_, i) => ({ id: uuid(), thread: threads[i % threads.length]!, sender: senders[i % senders.length]!, body: `burst message ${i}` }));
    const answers = await Promise.all(plan.map((m) => m.sender.client.call('messages.create', { params: { threadId: m.thread.id }, body: { id: m.id, body: m.body } })));

    answers.forEach((a, i) => {
      assert.equal(a.id, plan[i]!.id);
      assert.equal(a.senderId, plan[i]!.sender.id);
      assert.equal(a.threadId, plan[i]!.thread.id);
      assert.equal(a.body, plan[i]!.body);
    });
    // Stored exactly once each, with the right thread, sender and text (read back through the API).
    for (const thread of threads) {
      const expected = plan.filter((m) => m.thread.id === thread.id);
      const page = await p.provider.client.call('messages.list', { params: { threadId: thread.id }, query: { limit: 100 } });
      assert.equal(page.items.length, expected.length);
      const byId = new Map(page.items.map((m) => [m.id, m]));
      for (const m of expected) {
        assert.equal(byId.get(m.id)?.body, m.body);
        assert.equal(byId.get(m.id)?.senderId, m.sender.id);
      }
      // The thread's activity time is its newest message's.
      const newest = page.items.map((m) => m.createdAt).sort().at(-1);
      const t = await p.provider.client.call('threads.get', { params: { threadId: thread.id } });
      assert.equal(t.lastMessageAt, newest);
    }
    // One audit event per message, by its own sender, and the chain verifies.
    const rows = await server.sql<{ resource_id: string; actor_id: string; n: string }>(
      `SELECT resource_id, actor_id, count(*) AS n FROM audit_events WHERE action = 'messages.create' AND resource_id = ANY($1) GROUP BY 1, 2`,
      [plan.map((m) => m.id)],
    );
    assert.equal(rows.rows.length, plan.length);
    const senderOf = new Map(plan.map((m) => [m.id, m.sender.id]));
    for (const r of rows.rows) {
      assert.equal(r.n, '1');
      assert.equal(r.actor_id, senderOf.get(r.resource_id));
    }
    const verify = await p.compliance.client.call('audit.verify');
    assert.equal(verify.ok, true);
  });

  test('concurrent retries of one id store one message; a different text under that id is refused', async () => {
    const thread = await p.patientA.client.call('threads.create', { body: { subject: 'Retries', topic: 'other' } });
    const id = uuid();
    const send = (body: string) => p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id, body } });
    const results = await Promise.allSettled([...Array.from({ length: 12 }, () => send('same text')), send('other text')]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const r of ok) assert.equal(r.value.id, id);
    for (const r of failed) assert.equal(statusOf(r.reason), 409);
    // Whichever text reached the database first is the message; every request with the other text conflicts.
    const stored = ok[0]!.value.body;
    assert.ok(ok.every((r) => r.value.body === stored));
    assert.deepEqual([ok.length, failed.length], stored === 'same text' ? [12, 1] : [1, 12]);
    const count = await server.sql<{ n: string }>('SELECT count(*) AS n FROM messages WHERE id = $1', [id]);
    assert.equal(count.rows[0]!.n, '1');
    const versions = await server.sql<{ n: string }>('SELECT count(*) AS n FROM message_versions WHERE message_id = $1', [id]);
    assert.equal(versions.rows[0]!.n, '1');
    const audit = await server.sql<{ n: string }>(`SELECT count(*) AS n FROM audit_events WHERE action = 'messages.create' AND resource_id = $1`, [id]);
    assert.equal(audit.rows[0]!.n, '1');
  });

  test('in one burst, a forged thread, another patient\'s thread and a revoked session fail alone; the rest land', async () => {
    const mine = await p.patientA.client.call('threads.create', { body: { subject: 'Mine', topic: 'other' } });
    const theirs = await p.patientB.client.call('threads.create', { body: { subject: 'Theirs', topic: 'other' } });
    const revoked = await signIn(server, p.slug, p.patientA.email, p.patientA.password);
    await revoked.call('auth.logout');
    const good = Array.from({ length: 40 }, (_, i) => ({ id: uuid(), body: `fine ${i}` }));
    const attempts = await Promise.allSettled([
      ...good.map((m) => p.patientA.client.call('messages.create', { params: { threadId: mine.id }, body: m })),
      p.patientA.client.call('messages.create', { params: { threadId: theirs.id }, body: { id: uuid(), body: 'not my thread' } }),
      p.patientA.client.call('messages.create', { params: { threadId: uuid() }, body: { id: uuid(), body: 'no such thread' } }),
      revoked.call('messages.create', { params: { threadId: mine.id }, body: { id: uuid(), body: 'signed out' } }),
    ]);
    const statuses = attempts.map((r) => (r.status === 'fulfilled' ? 201 : statusOf(r.reason)));
    assert.deepEqual(statuses.slice(0, 40), Array(40).fill(201));
    assert.deepEqual(statuses.slice(40), [404, 404, 401]);
    const page = await p.patientA.client.call('messages.list', { params: { threadId: mine.id }, query: { limit: 100 } });
    assert.deepEqual(new Set(page.items.map((m) => m.id)), new Set(good.map((m) => m.id)));
    const theirsPage = await p.patientB.client.call('messages.list', { params: { threadId: theirs.id } });
    assert.equal(theirsPage.items.length, 0);
    await rejects(revoked.call('threads.list'), 401);
  });
});
