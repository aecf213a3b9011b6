import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MessagingPolicyAccept } from '@haven/api';
import { createPractice, problemOf, rejects, startTestServer, uuid, type Practice, type TestServer } from '../../../test/harness.js';

// The messaging policy through the real server and the SDK (decision 0027): a patient reads it in their language,
// accepts the current version (idempotent, audited once), is asked again when the practice changes its part; staff
// read it but never accept it; a stale or malformed acceptance is refused; sending does not depend on it.

let server: TestServer;
let p: Practice;
let other: Practice;

before(async () => {
  server = await startTestServer();
  [p, other] = await Promise.all([createPractice(server, 'policy'), createPractice(server, 'policy2')]);
});
after(() => server.stop());

const acceptances = async (q: Practice, patientId: string) =>
  (await q.compliance.client.call('audit.list', { query: { action: 'me.messagingPolicy.accept', patientId } })).items;

describe('messaging policy', () => {
  test('a patient reads the policy (purpose, response time, emergency, the record) and has not accepted it yet', async () => {
    const policy = await p.patientA.client.call('me.messagingPolicy.get');
    assert.equal(policy.accepted, false);
    assert.equal(policy.lastAcceptance, null);
    assert.equal(policy.language, 'en');
    assert.match(policy.version, /^1\.[A-Za-z0-9_-]{12}$/);
    assert.deepEqual(policy.sections.map((s) => s.id), ['purpose', 'response', 'emergency', 'guidance', 'record']);
    assert.equal(policy.responseMinutes, 480);
    assert.match(policy.sections[1]!.text, /within 8 working hours/);
    assert.match(policy.sections[2]!.text, /call 911/);
    assert.equal(policy.emergencyNumber, '911');
    assert.ok(policy.crisisResources.length > 0);
    // Same practice, same version for everyone; another practice with the same settings has the same version too.
    assert.equal((await p.patientB.client.call('me.messagingPolicy.get')).version, policy.version);
  });

  test('accepting is recorded once (idempotent, audited once); a stale or malformed version is refused', async () => {
    const { version } = await p.patientA.client.call('me.messagingPolicy.get');
    const stale = await problemOf(p.patientA.client.call('me.messagingPolicy.accept', { body: { version: '0.old' } }));
    assert.equal(stale.status, 409);
    assert.equal(stale.code, 'policy_changed');
    await rejects(p.patientA.client.call('me.messagingPolicy.accept', { body: {} as MessagingPolicyAccept }), 400);
    await rejects(p.patientA.client.call('me.messagingPolicy.accept', { body: { version, extra: true } as MessagingPolicyAccept }), 400);
    await rejects(p.patientA.client.call('me.messagingPolicy.accept', { body: { version: 'x'.repeat(65) } }), 400);
    assert.equal((await p.patientA.client.call('me.messagingPolicy.get')).accepted, false, 'nothing recorded by refused calls');

    const first = await p.patientA.client.call('me.messagingPolicy.accept', { body: { version } });
    assert.equal(first.accepted, true);
    assert.equal(first.lastAcceptance?.version, version);
    const again = await p.patientA.client.call('me.messagingPolicy.accept', { body: { version } });
    assert.deepEqual(again.lastAcceptance, first.lastAcceptance, 'the first acceptance stays');
    assert.deepEqual(await p.patientA.client.call('me.messagingPolicy.get'), first);
    const events = await acceptances(p, p.patientA.id);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.actorId, p.patientA.id);
    assert.deepEqual(events[0]!.details, { version, language: 'en' });
    // Another patient is untouched.
    assert.equal((await p.patientB.client.call('me.messagingPolicy.get')).accepted, false);
  });

  test('staff read the policy (what patients see) but cannot accept it; nothing crosses practices', async () => {
    for (const m of [p.provider, p.nurse, p.admin, p.compliance]) {
      const policy = await m.client.call('me.messagingPolicy.get');
      assert.equal(policy.accepted, false);
      assert.equal(policy.lastAcceptance, null);
      await rejects(m.client.call('me.messagingPolicy.accept', { body: { version: policy.version } }), 403, 'forbidden');
    }
    assert.equal((await other.patientA.client.call('me.messagingPolicy.get')).accepted, false);
    assert.equal((await acceptances(other, other.patientA.id)).length, 0);
  });

  test('a Spanish reader gets the Spanish text of the same version', async () => {
    const { version } = await other.patientB.client.call('me.messagingPolicy.get');
    await other.patientB.client.call('me.language.update', { body: { language: 'es' } });
    const es = await other.patientB.client.call('me.messagingPolicy.get');
    assert.equal(es.language, 'es');
    assert.equal(es.version, version);
    assert.match(es.sections[1]!.text, /8 horas laborables/);
    assert.match(es.sections[2]!.text, /llame al 911/);
    const accepted = await other.patientB.client.call('me.messagingPolicy.accept', { body: { version } });
    assert.equal(accepted.accepted, true);
    assert.deepEqual((await acceptances(other, other.patientB.id))[0]!.details, { version, language: 'es' });
  });

  test("the practice changes its emergency number or response time: a new version, the patient is asked again; the old version can no longer be accepted", async () => {
    const before = await p.patientA.client.call('me.messagingPolicy.get');
    assert.equal(before.accepted, true);
    await p.admin.client.call('workflow.settings.update', { body: { emergencyNumber: '112' } });
    const changed = await p.patientA.client.call('me.messagingPolicy.get');
    assert.notEqual(changed.version, before.version);
    assert.equal(changed.accepted, false);
    assert.equal(changed.lastAcceptance?.version, before.version, 'the earlier acceptance is still known');
    assert.match(changed.sections[2]!.text, /call 112/);
    await rejects(p.patientA.client.call('me.messagingPolicy.accept', { body: { version: before.version } }), 409, 'policy_changed');
    const accepted = await p.patientA.client.call('me.messagingPolicy.accept', { body: { version: changed.version } });
    assert.equal(accepted.accepted, true);

    await p.admin.client.call('sla.targets.replace', { body: { targets: [{ topic: '*', priority: 'routine', responseMinutes: 240, remindBeforeMinutes: 30 }] } });
    const slower = await p.patientA.client.call('me.messagingPolicy.get');
    assert.notEqual(slower.version, changed.version);
    assert.equal(slower.accepted, false);
    assert.match(slower.sections[1]!.text, /within 4 working hours/);
    assert.equal((await acceptances(p, p.patientA.id)).length, 2);
  });

  test('the server records the policy but does not refuse sends without it (the app asks first; decision 0027)', async () => {
    const fresh = await p.patientB.client.call('me.messagingPolicy.get');
    assert.equal(fresh.accepted, false);
    const t = await p.patientB.client.call('threads.create', { body: { subject: 'Question', topic: 'other' } });
    const m = await p.patientB.client.call('messages.create', { params: { threadId: t.id }, body: { id: uuid(), body: 'Hello' } });
    assert.equal(m.body, 'Hello');
  });
});
