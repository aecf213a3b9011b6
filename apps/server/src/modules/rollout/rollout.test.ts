import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { HavenApiError, type MessagingRolloutUpdate } from '@haven/api';
import { addPatient, addStaff, createPractice, rejects, startTestServer, uuid, type Practice, type TestServer } from '../../../test/harness.js';

// Soft launch of messaging through the real server and the SDK: the admin's pilot (cohort tags, providers), what
// a patient outside it can and cannot do and what they are told, staff still reaching out, and GET /me/messaging.

let server: TestServer;
let p: Practice;
let other: Practice;
const ALTERNATIVE = 'Call us at 555-0100 or use the portal';

before(async () => {
  server = await startTestServer();
  [p, other] = await Promise.all([createPractice(server, 'pilot'), createPractice(server, 'pilot2')]);
});
after(() => server.stop());

/** The admin changes the rollout (bodies the schema refuses are sent as they are, to see them refused). */
const rollout = (body: MessagingRolloutUpdate | Record<string, unknown>) => p.admin.client.call('messagingRollout.update', { body: body as MessagingRolloutUpdate });

/** Expects 403 messaging_not_enabled whose detail is the alternative contact text. */
async function notEnabled(call: Promise<unknown>, text = ALTERNATIVE): Promise<void> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof HavenApiError, String(err));
    assert.equal(err.status, 403);
    assert.equal(err.code, 'messaging_not_enabled');
    assert.equal(err.problem.detail, text);
    return;
  }
  assert.fail('expected 403 messaging_not_enabled, but the call succeeded');
}

describe('soft launch', () => {
  test('by default everyone messages; only admins read and change the rollout; only patients have a messaging status', async () => {
    assert.deepEqual(await p.patientA.client.call('me.messaging'), { enabled: true, reason: 'everyone', alternativeContact: null, archived: false });
    assert.deepEqual(await p.admin.client.call('messagingRollout.get'), { mode: 'everyone', cohortTags: [], providerIds: [], alternativeContact: '', updatedAt: null, updatedBy: null });
    for (const m of [p.provider, p.nurse, p.compliance, p.patientA]) {
      await rejects(m.client.call('messagingRollout.get'), 403, 'forbidden');
      await rejects(m.client.call('messagingRollout.update', { body: { mode: 'pilot' } }), 403, 'forbidden');
    }
    for (const m of [p.provider, p.nurse, p.admin, p.compliance]) await rejects(m.client.call('me.messaging'), 403, 'forbidden');
    // Providers must be active providers of the organization; tags and texts are validated.
    await rejects(rollout({ providerIds: [p.nurse.id] }), 404, 'not_found');
    await rejects(rollout({ providerIds: [other.provider.id] }), 404, 'not_found');
    await rejects(rollout({ providerIds: [uuid()] }), 404, 'not_found');
    await rejects(rollout({ cohortTags: ['not a tag'] }), 400, 'validation_failed');
    await rejects(rollout({ alternativeContact: '<a href="x">call</a>' }), 400, 'validation_failed');
    await rejects(rollout({ mode: 'some' }), 400, 'validation_failed');
    assert.equal((await p.admin.client.call('messagingRollout.get')).updatedAt, null, 'a refused update changed the rollout');
  });

  test('pilot: patients outside it cannot start threads and are told how else to reach the practice; staff still reach out', async () => {
    const cohortTag = `pilot${randomBytes(4).toString('hex')}`;
    // Before the pilot, patient A starts a thread.
    const early = await p.patientA.client.call('threads.create', { body: { subject: 'Before the pilot', topic: 'other' } });
    const set = await rollout({ mode: 'pilot', cohortTags: [cohortTag.toUpperCase()], alternativeContact: `  ${ALTERNATIVE} ` });
    assert.equal(set.mode, 'pilot');
    assert.deepEqual(set.cohortTags, [cohortTag]);
    assert.equal(set.alternativeContact, ALTERNATIVE);
    assert.equal(set.updatedBy, p.admin.id);
    assert.deepEqual(await p.admin.client.call('messagingRollout.get'), set);
    // The cohort tags are encrypted at rest (they can name conditions): the rollout row holds no tag text.
    const raw = await server.sql<{ row: string }>(`select r::text as row from messaging_rollouts r`);
    assert.ok(raw.rows.length > 0 && raw.rows.every((r) => !r.row.toLowerCase().includes(cohortTag)));

    assert.deepEqual(await p.patientA.client.call('me.messaging'), { enabled: false, reason: 'not_in_pilot', alternativeContact: ALTERNATIVE, archived: false });
    await notEnabled(p.patientA.client.call('threads.create', { body: { subject: 'Refill', topic: 'prescription_refill' } }));
    // Their own older thread is closed to them as well.
    await notEnabled(p.patientA.client.call('messages.create', { params: { threadId: early.id }, body: { id: uuid(), body: 'Hello?' } }));
    // Staff may still reach out, and the patient may answer the thread the care team started.
    const outreach = await p.provider.client.call('threads.create', { body: { subject: 'Your results', topic: 'test_results', patientId: p.patientA.id } });
    await p.provider.client.call('messages.create', { params: { threadId: outreach.id }, body: { id: uuid(), body: 'Your results are normal' } });
    await p.nurse.client.call('messages.create', { params: { threadId: early.id }, body: { id: uuid(), body: 'We saw your earlier message' } });
    const reply = await p.patientA.client.call('messages.create', { params: { threadId: outreach.id }, body: { id: uuid(), body: 'Thank you!' } });
    assert.equal(reply.senderId, p.patientA.id);

    // Tagging the patient into the cohort opens messaging at once.
    await p.nurse.client.call('patients.tags.set', { params: { id: p.patientA.id }, body: { tags: [cohortTag] } });
    assert.deepEqual(await p.patientA.client.call('me.messaging'), { enabled: true, reason: 'pilot_cohort', alternativeContact: ALTERNATIVE, archived: false });
    await p.patientA.client.call('threads.create', { body: { subject: 'Now I can write', topic: 'other' } });
    await p.patientA.client.call('messages.create', { params: { threadId: early.id }, body: { id: uuid(), body: 'Back in my thread' } });

    // Pilot providers: patients on a care team of one of them may message (patient B: care team B, the other provider).
    await notEnabled(p.patientB.client.call('threads.create', { body: { subject: 'B asks', topic: 'other' } }));
    const withProvider = await rollout({ providerIds: [p.otherProvider.id] });
    assert.deepEqual(withProvider.cohortTags, [cohortTag], 'fields left out keep their value');
    assert.equal((await p.patientB.client.call('me.messaging')).reason, 'pilot_provider');
    await p.patientB.client.call('threads.create', { body: { subject: 'B asks', topic: 'other' } });
    // A patient of care team A without the tag stays outside; a deactivated pilot provider no longer counts.
    const c = await addPatient(server, 'pilot', p.admin.client, 'Cleo Outside', [p.teamA.id]);
    await notEnabled(c.client.call('threads.create', { body: { subject: 'C asks', topic: 'other' } }));
    await p.admin.client.call('users.deactivate', { params: { id: p.otherProvider.id } });
    await new Promise((r) => setTimeout(r, 1100)); // decisions are cached for a second
    assert.equal((await p.patientB.client.call('me.messaging')).enabled, false);

    // Without a text of its own the practice still tells patients something useful.
    await rollout({ alternativeContact: '' });
    const status = await c.client.call('me.messaging');
    assert.equal(status.enabled, false);
    assert.match(status.alternativeContact ?? '', /contact the practice/);
    await notEnabled(c.client.call('threads.create', { body: { subject: 'C asks', topic: 'other' } }), status.alternativeContact!);

    // Back to everyone: every patient messages again. Other organizations never were in this pilot.
    assert.equal((await other.patientA.client.call('me.messaging')).enabled, true);
    await rollout({ mode: 'everyone' });
    await c.client.call('threads.create', { body: { subject: 'C asks', topic: 'other' } });
    assert.equal((await p.patientB.client.call('me.messaging')).reason, 'everyone');

    const audit = await p.compliance.client.call('audit.list', { query: { action: 'messagingRollout.update', limit: 20 } });
    assert.equal(audit.items.length, 4);
    assert.ok(audit.items.every((e) => !JSON.stringify(e).toLowerCase().includes(cohortTag)), 'the audit trail names a cohort tag');
  });

  test('two admins changing different fields at once: both changes stay (no lost update)', async () => {
    const second = await addStaff(server, other.slug, other.admin.client, 'admin', `Second admin ${other.slug}`);
    for (let i = 0; i < 5; i++) {
      await Promise.all([
        other.admin.client.call('messagingRollout.update', { body: { alternativeContact: `Call the front desk, line ${i}` } }),
        second.client.call('messagingRollout.update', { body: { cohortTags: [`pilot-${i}`] } }),
      ]);
      const now = await other.admin.client.call('messagingRollout.get');
      assert.deepEqual([now.alternativeContact, now.cohortTags], [`Call the front desk, line ${i}`, [`pilot-${i}`]]);
    }
  });
});
