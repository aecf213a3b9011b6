import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Broadcast, BroadcastDraft, HavenClient } from '@haven/api';
import { addPatient, createPractice, rejects, startTestServer, uuid, type Member, type Practice, type TestServer } from '../../../test/harness.js';
import { sleep } from '../../../test/live.js';
import { BroadcastStore } from './broadcast.store.js';

// Broadcasts through the real server, the SDK and the real job queue: preview (recipients, skips, personalized
// samples), one thread per patient delivered at a throttled rate, skips decided again at send time, deterministic ids
// (a repeated run duplicates nothing), cancellation, and who may see what.

const RATE = 4; // messages per second (broadcastRatePerSecond)
const INTERVAL = 1000 / RATE;

let server: TestServer;
let p: Practice;
let other: Practice;

before(async () => {
  server = await startTestServer({ broadcastRatePerSecond: RATE });
  [p, other] = await Promise.all([createPractice(server, 'bcast'), createPractice(server, 'bcast2')]);
});
after(() => server.stop());

/** Patients on care team A with a tag, registered in this order (broadcasts go out in registration order). */
async function cohort(tag: string, names: string[]): Promise<Member[]> {
  const out: Member[] = [];
  for (const name of names) {
    const m = await addPatient(server, 'bcast', p.admin.client, name, [p.teamA.id]);
    await p.provider.client.call('patients.tags.set', { params: { id: m.id }, body: { tags: [tag] } });
    out.push(m);
  }
  return out;
}

const draft = (tags: string[], extra: Partial<BroadcastDraft> = {}): BroadcastDraft => ({
  selector: { tags },
  subject: 'Flu shots for {patient.name}',
  body: 'Hi {patient.firstName}, {practice.name} offers flu shots this week. Reply here to book.',
  topic: 'scheduling',
  ...extra,
});

/** Polls a broadcast until `done` says so (or fails after `ms`). */
async function until(client: HavenClient, id: string, done: (b: Broadcast) => boolean, ms = 15_000): Promise<Broadcast> {
  const deadline = Date.now() + ms;
  for (;;) {
    const b = await client.call('broadcasts.get', { params: { id } });
    if (done(b)) return b;
    if (Date.now() > deadline) throw new Error(`broadcast ${id} still ${b.state} (${JSON.stringify(b.progress)}) after ${ms} ms`);
    await sleep(50);
  }
}

/** The threads a patient sees that the provider started with this subject. */
async function broadcastThreads(m: Member, subject: string) {
  const threads = (await m.client.call('threads.list', { query: { limit: 200 } })).items;
  return threads.filter((t) => t.subject === subject && t.createdBy === p.provider.id);
}

describe('preview', () => {
  test('counts the patients the author may message, and shows the message as the first three would get it', async () => {
    const flu = await cohort('flu-clinic', ['Ann Flu', 'Ben Flu', 'Cat Flu', 'Dan Flu']);
    // A patient of care team B with the same tag: not the provider's patient, never selected nor counted.
    await p.otherProvider.client.call('patients.tags.set', { params: { id: p.patientB.id }, body: { tags: ['flu-clinic'] } });
    const preview = await p.provider.client.call('broadcasts.preview', { body: draft(['Flu-Clinic']) });
    assert.equal(preview.recipients, 4);
    assert.deepEqual(preview.skipped, { archived: 0, messagingNotEnabled: 0, outOfScope: 0, inactive: 0 });
    assert.deepEqual(
      preview.samples,
      flu.slice(0, 3).map((m, i) => ({
        patientId: m.id,
        subject: `Flu shots for ${['Ann', 'Ben', 'Cat'][i]} Flu`,
        body: `Hi ${['Ann', 'Ben', 'Cat'][i]}, Practice bcast offers flu shots this week. Reply here to book.`,
      })),
    );
    assert.equal((await p.otherProvider.client.call('broadcasts.preview', { body: draft(['flu-clinic']) })).recipients, 1);
    // Every field given must match: the care team and the provider narrow the tag.
    assert.equal((await p.nurse.client.call('broadcasts.preview', { body: draft(['flu-clinic'], { selector: { tags: ['flu-clinic'], careTeamId: p.teamA.id } }) })).recipients, 4);
    assert.equal((await p.nurse.client.call('broadcasts.preview', { body: draft(['flu-clinic'], { selector: { tags: ['flu-clinic'], providerId: p.otherProvider.id } }) })).recipients, 0);
    assert.equal((await p.nurse.client.call('broadcasts.preview', { body: draft([], { selector: { providerId: p.provider.id } }) })).recipients >= 5, true);
  });

  test('a provider cannot reach patients outside their care teams; bad drafts and forged ids are refused', async () => {
    const outside = draft([], { selector: { careTeamId: p.teamB.id } });
    assert.equal((await p.provider.client.call('broadcasts.preview', { body: outside })).recipients, 0);
    await rejects(p.provider.client.call('broadcasts.create', { body: outside }), 422, 'no_recipients');
    assert.deepEqual(await broadcastThreads(p.patientB, 'Flu shots for Patient B bcast'), []);
    // Unknown variables are named; other braces are text.
    try {
      await p.provider.client.call('broadcasts.preview', { body: draft(['flu-clinic'], { body: 'Born {patient.dob}? {x}' }) });
      assert.fail('an unknown variable was accepted');
    } catch (err) {
      assert.equal((err as { code?: string }).code, 'unknown_variable');
      assert.match((err as Error).message, /\{patient\.dob\}/);
    }
    // The templates' catalogue, limited to what a broadcast knows for every recipient: no thread provider yet.
    await rejects(p.provider.client.call('broadcasts.create', { body: draft(['flu-clinic'], { subject: 'For {provider.name}' }) }), 422, 'unknown_variable');
    await rejects(p.provider.client.call('broadcasts.preview', { body: draft(['flu-clinic'], { body: 'Hello {stay}' }) }), 422, 'unknown_variable');
    const literal = await p.provider.client.call('broadcasts.preview', { body: draft(['flu-clinic'], { body: 'Braces { } {as written}' }) });
    assert.equal(literal.samples[0]!.body, 'Braces { } {as written}');
    // {practice.phone} needs the organization's phone; then every recipient's text carries it.
    const phoneDraft = draft(['flu-clinic'], { body: 'Call {practice.phone} to book, {patient.firstName}.' });
    await rejects(p.provider.client.call('broadcasts.preview', { body: phoneDraft }), 400, 'validation_failed');
    await p.admin.client.call('organization.update', { body: { practicePhone: '+1 555 010 0199' } });
    try {
      const withPhone = await p.provider.client.call('broadcasts.preview', { body: phoneDraft });
      assert.match(withPhone.samples[0]!.body, /^Call \+1 555 010 0199 to book, \S+\.$/);
    } finally {
      await p.admin.client.call('organization.update', { body: { practicePhone: null } });
    }
    await rejects(p.provider.client.call('broadcasts.preview', { body: draft(['flu-clinic'], { topic: 'not_a_topic' }) }), 400, 'validation_failed');
    await rejects(p.provider.client.call('broadcasts.preview', { body: { ...draft([]), selector: {} } }), 400, 'validation_failed');
    await rejects(p.provider.client.call('broadcasts.preview', { body: draft(['flu-clinic'], { body: `${'{patient.name}'.repeat(101)}` }) }), 400, 'validation_failed');
    // Ids in the selector: made up, a staff member who is no provider, another organization's: 404.
    for (const selector of [{ careTeamId: uuid() }, { providerId: uuid() }, { providerId: p.nurse.id }, { careTeamId: other.teamA.id }, { providerId: other.provider.id }]) {
      await rejects(p.provider.client.call('broadcasts.preview', { body: draft([], { selector }) }), 404, 'not_found');
      await rejects(p.provider.client.call('broadcasts.create', { body: draft([], { selector }) }), 404, 'not_found');
    }
    // Only providers and staff broadcast.
    for (const m of [p.admin, p.compliance, p.patientA]) {
      await rejects(m.client.call('broadcasts.preview', { body: draft(['flu-clinic']) }), 403, 'forbidden');
      await rejects(m.client.call('broadcasts.create', { body: draft(['flu-clinic']) }), 403, 'forbidden');
      await rejects(m.client.call('broadcasts.list'), 403, 'forbidden');
    }
  });
});

describe('delivery', () => {
  let sentOne: Broadcast;
  let members: Member[];

  test('each patient gets a thread of their own, personalized, at the throttled rate, visible to them only', async (t) => {
    members = await cohort('walk-group', ['Gia Walker', 'Hal Walker', 'Ivy Walker', 'Jon Walker', 'Kim Walker']);
    const created = await p.provider.client.call('broadcasts.create', { body: draft(['walk-group'], { subject: 'Walking group: {patient.firstName}', body: 'Hello {patient.name}, the walking group meets Monday.' }) });
    assert.ok(created.state === 'queued' || created.state === 'running');
    assert.equal(created.progress.total, 5);
    assert.deepEqual(created.selector, { tags: ['walk-group'] });
    assert.equal(created.createdBy, p.provider.id);
    sentOne = await until(p.provider.client, created.id, (b) => b.state === 'completed');
    assert.deepEqual(sentOne.progress, { total: 5, sent: 5, skipped: 0, failed: 0, cancelled: 0, pending: 0 });
    assert.ok(sentOne.startedAt && sentOne.completedAt);

    const times: number[] = [];
    const threadIds: string[] = [];
    for (const m of members) {
      const first = m.email.split('.')[0]!.replace(/^./, (c) => c.toUpperCase());
      const mine = await broadcastThreads(m, `Walking group: ${first}`);
      assert.equal(mine.length, 1, `${first} has one broadcast thread`);
      assert.equal(mine[0]!.patientId, m.id);
      assert.equal(mine[0]!.topic, 'scheduling');
      const messages = (await m.client.call('messages.list', { params: { threadId: mine[0]!.id } })).items;
      assert.equal(messages.length, 1);
      assert.equal(messages[0]!.body, `Hello ${first} Walker, the walking group meets Monday.`);
      assert.equal(messages[0]!.senderId, p.provider.id);
      times.push(Date.parse(messages[0]!.createdAt));
      threadIds.push(mine[0]!.id);
    }
    // Throttled: five sends at four per second take a second at least (the first goes at once).
    times.sort((a, b) => a - b);
    t.diagnostic(`send times (ms after the first): ${times.map((x) => x - times[0]!).join(', ')}`);
    assert.ok(times[4]! - times[0]! >= 4 * INTERVAL * 0.75, `sends spread over ${times[4]! - times[0]!} ms`);
    // Individual threads: each patient sees theirs only; the care team sees them all; other care teams do not.
    await rejects(members[0]!.client.call('threads.get', { params: { threadId: threadIds[1]! } }), 404, 'not_found');
    await rejects(members[0]!.client.call('messages.list', { params: { threadId: threadIds[1]! } }), 404, 'not_found');
    await rejects(p.patientB.client.call('threads.get', { params: { threadId: threadIds[0]! } }), 404, 'not_found');
    await rejects(p.otherProvider.client.call('threads.get', { params: { threadId: threadIds[0]! } }), 404, 'not_found');
    for (const id of threadIds) assert.equal((await p.nurse.client.call('threads.get', { params: { threadId: id } })).createdBy, p.provider.id);
    // Audited as the author's own threads and messages, plus the broadcast itself.
    const audit = (await p.compliance.client.call('audit.list', { query: { actorId: p.provider.id, limit: 200 } })).items;
    assert.equal(audit.filter((e) => e.action === 'broadcasts.create' && e.resourceId === created.id).length, 1);
    for (const id of threadIds) {
      assert.equal(audit.filter((e) => e.action === 'threads.create' && e.resourceId === id).length, 1);
      assert.equal(audit.filter((e) => e.action === 'messages.create' && e.details.threadId === id).length, 1);
    }
  });

  test('a send that runs again finds its thread and message: nothing is duplicated', async () => {
    // Make the first recipient pending again, as if the run had died after sending but before recording it.
    await server.sql(`update broadcast_recipients set state = 'pending', processed_at = null where broadcast_id = $1 and patient_id = $2`, [sentOne.id, members[0]!.id]);
    await server.sql(`update broadcasts set completed_at = null where id = $1`, [sentOne.id]);
    // Two runs at once: the lease lets one of them send.
    await Promise.all([server.services.broadcastSender.run(p.orgId, sentOne.id), server.services.broadcastSender.run(p.orgId, sentOne.id)]);
    const after = await until(p.provider.client, sentOne.id, (b) => b.state === 'completed');
    assert.deepEqual(after.progress, sentOne.progress);
    const mine = await broadcastThreads(members[0]!, 'Walking group: Gia');
    assert.equal(mine.length, 1);
    assert.equal((await members[0]!.client.call('messages.list', { params: { threadId: mine[0]!.id } })).items.length, 1);
    const counts = await server.sql<{ threads: number; messages: number }>(
      `select (select count(*)::int from threads where id in (select thread_id from broadcast_recipients where broadcast_id = $1)) as threads,
              (select count(*)::int from messages where id in (select message_id from broadcast_recipients where broadcast_id = $1)) as messages`,
      [sentOne.id],
    );
    assert.deepEqual(counts.rows[0], { threads: 5, messages: 5 });
  });

  test('patients archived or outside the soft launch are skipped and counted, also when it changes after the preview', async () => {
    const [archived, notEnabled, ...rest] = await cohort('skip-group', ['Lea Skip', 'Max Skip', 'Ned Skip', 'Ola Skip', 'Pia Skip', 'Quin Skip', 'Rae Skip']);
    await p.admin.client.call('patients.archive', { params: { id: archived!.id } });
    for (const m of rest) await p.provider.client.call('patients.tags.set', { params: { id: m.id }, body: { tags: ['skip-group', 'pilot-group'] } });
    await p.admin.client.call('messagingRollout.update', { body: { mode: 'pilot', cohortTags: ['pilot-group'] } });
    try {
      const preview = await p.provider.client.call('broadcasts.preview', { body: draft(['skip-group']) });
      assert.equal(preview.recipients, 5);
      assert.deepEqual(preview.skipped, { archived: 1, messagingNotEnabled: 1, outOfScope: 0, inactive: 0 });
      assert.ok(!preview.samples.some((s) => s.patientId === archived!.id || s.patientId === notEnabled!.id));
      const created = await p.provider.client.call('broadcasts.create', { body: draft(['skip-group']) });
      // The last recipient's turn comes a second later: archived meanwhile, they are skipped then.
      const last = rest[rest.length - 1]!;
      await p.admin.client.call('patients.archive', { params: { id: last.id } });
      const done = await until(p.provider.client, created.id, (b) => b.state === 'completed');
      assert.deepEqual(done.progress, { total: 7, sent: 4, skipped: 3, failed: 0, cancelled: 0, pending: 0 });
      assert.deepEqual(done.skipped, { archived: 2, messagingNotEnabled: 1, outOfScope: 0, inactive: 0 });
      for (const m of [archived!, notEnabled!, last]) assert.deepEqual(await broadcastThreads(m, `Flu shots for ${m.email.split('.')[0]!.replace(/^./, (c) => c.toUpperCase())} Skip`), []);
      for (const m of rest.slice(0, -1)) assert.equal((await m.client.call('threads.list')).items.length, 1);
    } finally {
      await p.admin.client.call('messagingRollout.update', { body: { mode: 'everyone' } });
    }
  });

  test('cancelling stops the sends that have not gone out; the threads made stay', async (t) => {
    const group = await cohort('cancel-group', ['Sam Stop', 'Tia Stop', 'Uma Stop', 'Vic Stop', 'Wes Stop', 'Xan Stop', 'Yul Stop', 'Zoe Stop']);
    const created = await p.nurse.client.call('broadcasts.create', { body: draft(['cancel-group']) });
    await until(p.nurse.client, created.id, (b) => b.progress.sent >= 1);
    const cancelled = await p.nurse.client.call('broadcasts.cancel', { params: { id: created.id } });
    assert.equal(cancelled.state, 'cancelled');
    assert.ok(cancelled.cancelledAt);
    assert.ok(cancelled.progress.cancelled >= 1, JSON.stringify(cancelled.progress));
    await sleep(4 * INTERVAL + 500);
    const later = await p.nurse.client.call('broadcasts.get', { params: { id: created.id } });
    assert.equal(later.state, 'cancelled');
    // At most the send in flight at the moment of cancelling still went out.
    assert.ok(later.progress.sent <= cancelled.progress.sent + 1, `${JSON.stringify(cancelled.progress)} then ${JSON.stringify(later.progress)}`);
    assert.ok(later.progress.sent < 8);
    assert.equal(later.progress.sent + later.progress.cancelled, 8);
    assert.equal(later.progress.pending, 0);
    t.diagnostic(`at cancel: ${JSON.stringify(cancelled.progress)}; later: ${JSON.stringify(later.progress)}`);
    let withThread = 0;
    for (const m of group) withThread += (await m.client.call('threads.list')).items.length;
    assert.equal(withThread, later.progress.sent, 'only the patients counted as sent have a thread');
    // Cancelling again answers the broadcast as it is; a completed broadcast cannot be cancelled.
    assert.equal((await p.nurse.client.call('broadcasts.cancel', { params: { id: created.id } })).state, 'cancelled');
    await rejects(p.provider.client.call('broadcasts.cancel', { params: { id: sentOne.id } }), 409, 'conflict');
    const audit = (await p.compliance.client.call('audit.list', { query: { action: 'broadcasts.cancel', limit: 20 } })).items;
    assert.equal(audit.filter((e) => e.resourceId === created.id).length, 1);
  });
});

describe('who sees broadcasts', () => {
  test('only the author reads, lists and cancels a broadcast; others get 404, roles without broadcasts 403', async () => {
    const mine = await p.provider.client.call('broadcasts.list');
    assert.ok(mine.items.length >= 2);
    assert.ok(mine.items.every((b) => b.createdBy === p.provider.id));
    const id = mine.items[0]!.id;
    assert.ok(!(await p.nurse.client.call('broadcasts.list')).items.some((b) => b.id === id));
    for (const m of [p.nurse, p.otherProvider, other.provider]) {
      await rejects(m.client.call('broadcasts.get', { params: { id } }), 404, 'not_found');
      await rejects(m.client.call('broadcasts.cancel', { params: { id } }), 404, 'not_found');
    }
    for (const m of [p.admin, p.compliance, p.patientA, other.admin]) {
      await rejects(m.client.call('broadcasts.get', { params: { id } }), 403, 'forbidden');
      await rejects(m.client.call('broadcasts.cancel', { params: { id } }), 403, 'forbidden');
    }
    await rejects(p.provider.client.call('broadcasts.get', { params: { id: uuid() } }), 404, 'not_found');
    await rejects(p.provider.client.call('broadcasts.cancel', { params: { id: uuid() } }), 404, 'not_found');
    // Pages, newest first.
    const first = await p.provider.client.call('broadcasts.list', { query: { limit: 1 } });
    assert.equal(first.items[0]!.id, id);
    assert.ok(first.nextCursor);
    const second = await p.provider.client.call('broadcasts.list', { query: { limit: 1, cursor: first.nextCursor } });
    assert.notEqual(second.items[0]!.id, id);
    await rejects(p.provider.client.call('broadcasts.list', { query: { cursor: 'bm90LWEtY3Vyc29y' } }), 400, 'validation_failed');
  });

  test('subject, body and selector are encrypted at rest; the queue holds ids only', async () => {
    const canary = `canary${randomBytes(6).toString('hex')}`;
    await cohort(canary, ['Cy Canary']);
    const b = await p.provider.client.call('broadcasts.create', { body: draft([canary], { subject: `Subject ${canary}`, body: `Body ${canary} for {patient.firstName}` }) });
    await until(p.provider.client, b.id, (x) => x.state === 'completed');
    await p.admin.client.call('departments.create', { body: { name: `Dept ${canary}` } });
    const tables = (await server.sql<{ s: string; t: string }>(`select schemaname as s, tablename as t from pg_tables where schemaname in ('public', 'graphile_worker')`)).rows;
    const hits: string[] = [];
    for (const { s, t } of tables) {
      const n = (await server.sql<{ n: number }>(`select count(*)::int as n from "${s}"."${t}" x where position($1 in lower(x::text)) > 0`, [canary])).rows[0]!.n;
      if (n > 0) hits.push(`${s}.${t}`);
    }
    assert.deepEqual(hits, ['public.departments'], 'only the positive control holds the canary');
  });

  test('no send failed and no job failed along the way (the logs say so, without content)', () => {
    const problems = server.logs.filter((l) => /broadcast send failed|job failed/.test(l));
    assert.deepEqual(problems, []);
    assert.ok(server.logs.length > 0, 'the server logged something (the check above can see lines)');
  });

  test('a run gives back only its own sending lease, never one another run took after it expired', async () => {
    const tag = `lease${randomBytes(4).toString('hex')}`;
    await cohort(tag, ['Lee Lease']);
    const b = await p.provider.client.call('broadcasts.create', { body: draft([tag]) });
    await until(p.provider.client, b.id, (x) => x.state === 'completed');
    // The finished broadcast stands in for one being sent (no run is queued for it).
    await server.sql('update broadcasts set completed_at = null, lease_until = null where id = $1', [b.id]);
    const store = new BroadcastStore(server.db);
    try {
      const slow = await store.claimLease(b.id, 1);
      assert.ok(slow);
      await sleep(20);
      const next = await store.claimLease(b.id, 60_000);
      assert.ok(next, 'an expired lease can be taken');
      assert.equal(await store.claimLease(b.id, 60_000), null, 'a held lease cannot');
      // The slow run finally gives its lease back: the one the next run holds stays.
      await server.db.transaction().execute((tx) => store.releaseLease(tx, b.id, slow));
      assert.equal(await store.claimLease(b.id, 60_000), null, 'the slow run released the next run\'s lease');
      await server.db.transaction().execute((tx) => store.releaseLease(tx, b.id, next));
      assert.ok(await store.claimLease(b.id, 60_000), 'the holder gave its lease back');
    } finally {
      await server.sql('update broadcasts set completed_at = now(), lease_until = null where id = $1', [b.id]);
    }
  });
});
