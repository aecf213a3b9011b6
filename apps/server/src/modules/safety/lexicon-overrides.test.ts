import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HavenApiError, HavenClient, type CrisisLexiconOverridesInput, type Message } from '@haven/api';
import { createPractice, problemOf, rejects, startNode, startTestServer, uuid, waitFor, type Member, type Practice, type TestServer } from '../../../test/harness.js';
import { ManualClock } from '../../platform/time/clock.js';

// Wednesday 25 November 2026, 10:00 in New York: the practices (default hours Mon–Fri 08:00–17:00) are open, so a
// patient message gets no off-hours reply and the only automatic reply possible is the crisis reply.
const clock = new ManualClock('2026-11-25T15:00:00Z');
let server: TestServer;
let a: Practice;
let b: Practice;
/** The base lexicon's version, as the server reports it (not hard-coded: the base lexicon changes on its own). */
let baseVersion: string;

/** A practice-specific way of speaking of suicide that the base lexicon does not know. */
const ORG_PHRASE_TEXT = 'Honestly I am ready to see grandpa again.';
const ORG_RULE = { id: 'org.see_grandpa', phrase: 'ready to see (grandpa|grandma) again', note: 'our grief clinic hears this' };
/** Matched by the base lexicon. */
const BASE_TEXT = "I don't want to live anymore.";

before(async () => {
  server = await startTestServer({ slaSweepSeconds: 3600 }, { clock });
  [a, b] = await Promise.all([createPractice(server, 'lexa'), createPractice(server, 'lexb')]);
  baseVersion = (await a.admin.client.call('safety.lexicon.get')).baseVersion;
});
after(() => server.stop());

const history = async (c: HavenClient, threadId: string): Promise<Message[]> => (await c.call('messages.list', { params: { threadId } })).items;
const storedRevisions = async (orgId: string): Promise<number[]> =>
  (await server.sql<{ revision: number }>('SELECT revision FROM crisis_lexicon_overrides WHERE org_id = $1 ORDER BY revision', [orgId])).rows.map((r) => r.revision);

/** A patient writes in a new thread; the crisis flag is set in the statement that stores the message. */
async function send(patient: Member, text: string) {
  const thread = await patient.client.call('threads.create', { body: { subject: 'Lexicon', topic: 'clinical_question' } });
  const message = await patient.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: text } });
  const row = await server.sql<{ crisis: boolean }>('SELECT crisis FROM messages WHERE id = $1', [message.id]);
  return { thread, message, crisis: row.rows[0]!.crisis };
}

/** A staff member who sees the patient's threads (patient A: care team A, patient B: care team B). */
const staffOf = (p: Practice, patient: Member): Member => (patient.id === p.patientA.id ? p.nurse : p.otherProvider);

/** The crisis flow ran: thread urgent, the crisis reply posted; returns the alert's lexicon version. */
async function expectCrisis(p: Practice, patient: Member, text: string): Promise<string> {
  const { thread, crisis } = await send(patient, text);
  assert.equal(crisis, true, `"${text}" is flagged in ${p.slug}`);
  const reply = await waitFor('the crisis reply', async () => (await history(patient.client, thread.id)).find((m) => m.senderRole === 'system'));
  assert.match(reply.body ?? '', /988/);
  assert.equal((await staffOf(p, patient).client.call('threads.get', { params: { threadId: thread.id } })).workflow?.priority, 'urgent');
  const alert = await waitFor('the alert', async () => (await server.sql<{ lexicon_version: string }>('SELECT lexicon_version FROM safety_alerts WHERE thread_id = $1', [thread.id])).rows[0]);
  return alert.lexicon_version;
}

async function expectNoCrisis(p: Practice, patient: Member, text: string): Promise<void> {
  const { thread, crisis } = await send(patient, text);
  assert.equal(crisis, false, `"${text}" is not flagged in ${p.slug}`);
  assert.equal((await staffOf(p, patient).client.call('threads.get', { params: { threadId: thread.id } })).workflow?.priority, 'routine');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await history(patient.client, thread.id)).filter((m) => m.senderRole === 'system').length, 0, 'no automatic reply');
}


describe('an organization configures its crisis lexicon', () => {
  test('before any change: the base lexicon, revision 0', async () => {
    const l = await a.nurse.client.call('safety.lexicon.get');
    assert.equal(l.language, 'en');
    assert.equal(l.status, 'base');
    assert.equal(l.revision, 0);
    assert.equal(l.effectiveVersion, l.baseVersion);
    assert.equal(l.overrides, null);
    assert.equal(l.counts, null);
    assert.equal(l.updatedBy, null);
    assert.deepEqual(l.problems, []);
    assert.deepEqual((await a.admin.client.call('safety.lexicon.history', { query: {} })).items, []);
  });

  test("an admin adds the practice's phrase: its patients' messages trigger the crisis flow, another organization's do not", async () => {
    await expectNoCrisis(a, a.patientA, ORG_PHRASE_TEXT);
    const saved = await a.admin.client.call('safety.lexicon.update', {
      // The sender's own revision label is ignored: the server numbers revisions.
      body: { expectedRevision: 0, overrides: { baseVersion, revision: 'my-label', add: { suicidal_ideation: [ORG_RULE] } } },
    });
    assert.equal(saved.revision, 1);
    assert.equal(saved.status, 'merged');
    assert.equal(saved.effectiveVersion, `${baseVersion}+1`);
    assert.equal(saved.overrides?.revision, '1');
    assert.deepEqual(saved.overrides?.add, { suicidal_ideation: [ORG_RULE] });
    assert.deepEqual(saved.counts, { added: 1, disabled: 0, exceptions: 0, cues: 0, replacements: 0, keepWords: 0 });
    assert.equal(saved.updatedBy, a.admin.id);
    assert.deepEqual(await a.compliance.client.call('safety.lexicon.get'), saved, 'everyone on staff reads the same');

    // In force at once on the node that saved it.
    assert.equal(await expectCrisis(a, a.patientA, ORG_PHRASE_TEXT), `${baseVersion}+1`);
    // Organization B still has the base lexicon.
    await expectNoCrisis(b, b.patientA, ORG_PHRASE_TEXT);
    assert.equal((await b.admin.client.call('safety.lexicon.get')).status, 'base');
  });

  test('a change based on an old revision is refused with 409 and stores nothing; so is the loser of a race', async () => {
    const before = await storedRevisions(a.orgId);
    await rejects(a.admin.client.call('safety.lexicon.update', { body: { expectedRevision: 0, overrides: { baseVersion } } }), 409, 'conflict');
    await rejects(a.admin.client.call('safety.lexicon.update', { body: { expectedRevision: 7, overrides: { baseVersion } } }), 409, 'conflict');
    assert.deepEqual(await storedRevisions(a.orgId), before);

    // Organization B: two admins save on the same revision at the same moment; exactly one wins.
    const second = await b.admin.client.call('safety.lexicon.update', { body: { expectedRevision: 0, overrides: { baseVersion } } });
    const racers = await Promise.allSettled(
      [0, 1, 2, 3].map((i) =>
        b.admin.client.call('safety.lexicon.update', { body: { expectedRevision: second.revision, overrides: { baseVersion, keepWords: [`racer${i}`] } } }),
      ),
    );
    const won = racers.filter((r) => r.status === 'fulfilled');
    const lost = racers.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(won.length, 1);
    assert.ok(lost.every((r) => r.reason instanceof HavenApiError && r.reason.status === 409 && r.reason.code === 'conflict'));
    assert.deepEqual(await storedRevisions(b.orgId), [1, 2]);
    // Back to base for the rest of the tests (a reset is a revision like any other).
    const reset = await b.admin.client.call('safety.lexicon.update', { body: { expectedRevision: 2, overrides: { baseVersion } } });
    assert.equal(reset.revision, 3);
    assert.deepEqual(reset.counts, { added: 0, disabled: 0, exceptions: 0, cues: 0, replacements: 0, keepWords: 0 });
  });

  test('overrides that do not fit the base lexicon answer 422 invalid_lexicon naming each rule, and store nothing', async () => {
    const before = await storedRevisions(a.orgId);
    const bad = await problemOf(
      a.admin.client.call('safety.lexicon.update', {
        body: {
          expectedRevision: 1,
          overrides: {
            baseVersion,
            add: { self_harm: [{ id: 'org.bad', phrase: '(pinch myself' }], abuse: [{ id: 'org.twice', phrase: 'hurts me' }, { id: 'org.twice', phrase: 'hits me' }] },
            disable: ['no.such_rule'],
            negation: { before: ['dont'] },
          },
        },
      }),
    );
    assert.equal(bad.status, 422);
    assert.equal(bad.code, 'invalid_lexicon');
    const paths = (bad.errors ?? []).map((e) => e.path).sort();
    assert.deepEqual(paths, ['/body/overrides/add/abuse/1/id', '/body/overrides/add/self_harm/0/phrase', '/body/overrides/disable/0', '/body/overrides/negation/before/0']);
    assert.match(bad.errors!.find((e) => e.path.endsWith('/self_harm/0/phrase'))!.message, /org\.bad/);

    const oldBase = await problemOf(a.admin.client.call('safety.lexicon.update', { body: { expectedRevision: 1, overrides: { baseVersion: 'en-2020.01.1' } } }));
    assert.equal(oldBase.status, 422);
    assert.deepEqual(oldBase.errors?.map((e) => e.path), ['/body/overrides/baseVersion']);

    // Fields the contract does not know are refused, like everywhere in the API (400 validation_failed).
    await rejects(a.admin.client.call('safety.lexicon.update', { body: { expectedRevision: 1, overrides: { baseVersion }, force: true } as never }), 400, 'validation_failed');
    await rejects(
      a.admin.client.call('safety.lexicon.update', { body: { expectedRevision: 1, overrides: { baseVersion, regex: '.*' } as CrisisLexiconOverridesInput } }),
      400,
      'validation_failed',
    );
    await rejects(a.admin.client.call('safety.lexicon.update', { body: { expectedRevision: -1, overrides: { baseVersion } } }), 400, 'validation_failed');
    assert.deepEqual(await storedRevisions(a.orgId), before);
    assert.equal((await a.admin.client.call('safety.lexicon.get')).revision, 1);
  });

  test('disabling a base rule stops it matching for that organization only', async () => {
    // Which base rules match the text (asked of organization B, still on the base lexicon).
    const probe = await b.admin.client.call('safety.lexicon.check', { body: { text: BASE_TEXT } });
    assert.ok(probe.match, 'the base lexicon flags the text');
    const current = await a.admin.client.call('safety.lexicon.get');
    const saved = await a.admin.client.call('safety.lexicon.update', {
      body: { expectedRevision: current.revision, overrides: { ...current.overrides!, disable: probe.match.ruleIds } },
    });
    assert.equal(saved.revision, 2);
    assert.deepEqual(saved.counts, { added: 1, disabled: probe.match.ruleIds.length, exceptions: 0, cues: 0, replacements: 0, keepWords: 0 });
    await expectNoCrisis(a, a.patientB, BASE_TEXT);
    await expectCrisis(b, b.patientB, BASE_TEXT);
    // The practice's phrase is still there.
    assert.equal(await expectCrisis(a, a.patientB, ORG_PHRASE_TEXT), `${baseVersion}+2`);
  });

  test('the history lists every revision, newest first, for admins and compliance', async () => {
    const page = await a.compliance.client.call('safety.lexicon.history', { query: {} });
    assert.deepEqual(
      page.items.map((r) => [r.revision, r.version, r.baseVersion, r.createdBy, r.counts.added]),
      [
        [2, `${baseVersion}+2`, baseVersion, a.admin.id, 1],
        [1, `${baseVersion}+1`, baseVersion, a.admin.id, 1],
      ],
    );
    assert.equal(page.nextCursor, null);
    const first = await a.admin.client.call('safety.lexicon.history', { query: { limit: 1 } });
    assert.deepEqual(first.items.map((r) => r.revision), [2]);
    assert.ok(first.nextCursor);
    const second = await a.admin.client.call('safety.lexicon.history', { query: { limit: 1, cursor: first.nextCursor } });
    assert.deepEqual(second.items.map((r) => r.revision), [1]);
    assert.equal(second.nextCursor, null);
    await rejects(a.admin.client.call('safety.lexicon.history', { query: { cursor: 'bm9wZQ' } }), 400, 'validation_failed');
  });

  test('who may do what: staff read, admins and compliance read the history, admins alone change and check', async () => {
    const body = { expectedRevision: 2, overrides: { baseVersion } };
    for (const m of [a.provider, a.nurse, a.compliance, a.patientA]) await rejects(m.client.call('safety.lexicon.update', { body }), 403, 'forbidden');
    for (const m of [a.provider, a.nurse, a.compliance, a.patientA]) await rejects(m.client.call('safety.lexicon.check', { body: { text: 'hello' } }), 403, 'forbidden');
    for (const m of [a.provider, a.nurse, a.patientA]) await rejects(m.client.call('safety.lexicon.history', { query: {} }), 403, 'forbidden');
    await rejects(a.patientA.client.call('safety.lexicon.get'), 403, 'forbidden');
    for (const m of [a.provider, a.nurse, a.compliance]) assert.equal((await m.client.call('safety.lexicon.get')).revision, 2);
    // Organization B's admin sees and changes organization B only.
    assert.equal((await b.admin.client.call('safety.lexicon.get')).revision, 3);
    assert.deepEqual(await storedRevisions(a.orgId), [1, 2]);
  });

  test('check: a text against proposed overrides or the lexicon in force, saving nothing; the text stays out of audit and logs', async () => {
    const secret = 'zanzibar';
    const text = `If the ${secret} plan fails I will walk into the quarry lake.`;
    const inForce = await a.admin.client.call('safety.lexicon.check', { body: { text } });
    assert.deepEqual(inForce, { lexiconVersion: `${baseVersion}+2`, match: null });

    const proposed = await a.admin.client.call('safety.lexicon.check', {
      body: { text, overrides: { baseVersion, add: { suicidal_ideation: [{ id: 'org.quarry', phrase: 'walk into the quarry lake' }] } } },
    });
    assert.equal(proposed.lexiconVersion, `${baseVersion}+proposed`);
    assert.deepEqual(proposed.match, { categories: ['suicidal_ideation'], ruleIds: ['org.quarry'], lexiconVersion: `${baseVersion}+proposed` });
    // The stored lexicon decides without proposed overrides.
    const stored = await a.admin.client.call('safety.lexicon.check', { body: { text: ORG_PHRASE_TEXT } });
    assert.deepEqual(stored.match?.ruleIds, ['org.see_grandpa']);
    // Proposed overrides are validated like a save.
    const bad = await problemOf(a.admin.client.call('safety.lexicon.check', { body: { text, overrides: { baseVersion, add: { abuse: [{ id: 'org.x', phrase: 'hits me [9]' }] } } } }));
    assert.equal(bad.code, 'invalid_lexicon');
    assert.deepEqual(bad.errors?.map((e) => e.path), ['/body/overrides/add/abuse/0/phrase']);

    assert.deepEqual(await storedRevisions(a.orgId), [1, 2], 'a check saves nothing');
    const checks = await a.compliance.client.call('audit.list', { query: { action: 'safety.lexicon.check' } });
    assert.ok(checks.items.length >= 3);
    assert.ok(checks.items.some((e) => e.details.proposed === true && e.details.matched === true && e.details.lexiconVersion === `${baseVersion}+proposed`));
    const everything = await server.sql<{ details: unknown }>('SELECT details FROM audit_events');
    assert.ok(!JSON.stringify(everything.rows).includes(secret), 'no audit event holds the text');
    assert.ok(!JSON.stringify(everything.rows).includes('quarry'), 'nor the proposed phrase');
    assert.ok(!server.logs.some((l) => l.includes(secret)), 'no log line holds the text');
  });

  test('every change is audited with its revision and counts, in the organization that made it', async () => {
    const updates = await a.compliance.client.call('audit.list', { query: { action: 'safety.lexicon.update' } });
    assert.deepEqual(
      updates.items.map((e) => [e.details.revision, e.details.added, e.details.disabled, e.actorId, e.resourceType]).sort(),
      [
        [1, 1, 0, a.admin.id, 'crisis_lexicon'],
        [2, 1, (await a.admin.client.call('safety.lexicon.get')).counts!.disabled, a.admin.id, 'crisis_lexicon'],
      ],
    );
    assert.ok(!JSON.stringify(updates.items).includes('grandpa'), 'counts, not phrases');
    assert.equal((await b.compliance.client.call('audit.list', { query: { action: 'safety.lexicon.update' } })).items.length, 3);
  });

  test('stored overrides that no longer fit the base lexicon: detection goes on with the base, get says stale, the error is logged once without content', async () => {
    // A revision written for an older base lexicon (as after an upgrade of Haven), saved by the admin long ago.
    const stale = { baseVersion: 'en-2020.01.1', revision: '3', add: { self_harm: [{ id: 'org.stale_phrase', phrase: 'purple umbrella ritual' }] } };
    await server.sql('INSERT INTO crisis_lexicon_overrides (org_id, revision, base_version, overrides, created_by) VALUES ($1, 3, $2, $3, $4)', [a.orgId, stale.baseVersion, JSON.stringify(stale), a.admin.id]);
    // Another node's change reaches this node within the cache's few seconds.
    const l = await waitFor('the stale revision', async () => {
      const got = await a.nurse.client.call('safety.lexicon.get');
      return got.revision === 3 ? got : undefined;
    });
    assert.equal(l.status, 'stale');
    assert.equal(l.effectiveVersion, baseVersion, 'the base lexicon is in force');
    assert.deepEqual(l.problems.map((p) => p.path), ['/baseVersion']);
    assert.deepEqual(l.overrides, stale);

    // Detection does not stop: base rules match (the disabled ones of revision 2 too), the stale phrase does not.
    assert.equal(await expectCrisis(a, a.patientA, BASE_TEXT), baseVersion);
    await expectNoCrisis(a, a.patientA, 'my purple umbrella ritual again tonight');
    const logged = server.logs.filter((line) => line.includes('do not fit the base lexicon'));
    assert.equal(logged.length, 1, 'logged once for the revision');
    assert.match(logged[0]!, /"level":50/);
    assert.ok(!logged[0]!.includes('purple'), 'without the phrases');

    // The admin fixes it by saving a revision on the current base.
    const fixed = await a.admin.client.call('safety.lexicon.update', { body: { expectedRevision: 3, overrides: { ...l.overrides!, baseVersion } } });
    assert.equal(fixed.status, 'merged');
    assert.equal(fixed.revision, 4);
    assert.deepEqual(fixed.problems, []);
    assert.equal(await expectCrisis(a, a.patientA, 'my purple umbrella ritual again tonight'), `${baseVersion}+4`);
  });

  test('reset to base: an update with no additions or disabled rules', async () => {
    const reset = await a.admin.client.call('safety.lexicon.update', { body: { expectedRevision: 4, overrides: { baseVersion } } });
    assert.equal(reset.revision, 5);
    assert.equal(reset.effectiveVersion, `${baseVersion}+5`);
    await expectNoCrisis(a, a.patientA, ORG_PHRASE_TEXT);
    assert.equal(await expectCrisis(a, a.patientA, BASE_TEXT), `${baseVersion}+5`);
    assert.deepEqual((await a.admin.client.call('safety.lexicon.history', { query: {} })).items.map((r) => r.revision), [5, 4, 3, 2, 1]);
  });

  test('another node applies a change within seconds', async () => {
    const node = await startNode(server);
    try {
      const admin = new HavenClient({ baseUrl: node.url, token: a.admin.client.token });
      const before = await admin.call('safety.lexicon.check', { body: { text: ORG_PHRASE_TEXT } });
      assert.equal(before.match, null);
      await a.admin.client.call('safety.lexicon.update', { body: { expectedRevision: 5, overrides: { baseVersion, add: { suicidal_ideation: [ORG_RULE] } } } });
      const started = Date.now();
      const after = await waitFor('the change on the other node', async () => {
        const r = await admin.call('safety.lexicon.check', { body: { text: ORG_PHRASE_TEXT } });
        return r.match ? r : undefined;
      });
      assert.equal(after.lexiconVersion, `${baseVersion}+6`);
      assert.ok(Date.now() - started < 7000, 'within the cache lifetime');
    } finally {
      await node.close();
    }
  });
});
