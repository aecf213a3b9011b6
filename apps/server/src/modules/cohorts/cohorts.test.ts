import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { HavenApiError } from '@haven/api';
import { addPatient, createPractice, rejects, signIn, startTestServer, uuid, type Member, type Practice, type TestServer } from '../../../test/harness.js';
import { isEvent, listen, sleep } from '../../../test/live.js';

// Patient tags (cohorts) and archived patients, through the real server and the SDK: who may read and set tags,
// filtering by tag within the caller's scope, tags encrypted at rest; archiving closes messaging (409) for patient
// and staff alike while history stays readable, lists hide archived patients, staff are told live.

let server: TestServer;
let p: Practice;
let other: Practice;

before(async () => {
  server = await startTestServer();
  [p, other] = await Promise.all([createPractice(server, 'coh'), createPractice(server, 'coh2')]);
});
after(() => server.stop());

const tagsOf = (c: Member['client'], id: string) => c.call('patients.tags.get', { params: { id } });
const setTags = (c: Member['client'], id: string, tags: string[]) => c.call('patients.tags.set', { params: { id }, body: { tags } });
const ids = (items: { id: string }[]) => items.map((i) => i.id).sort();

/** Every row of every table of the test database, as text, that contains `needle`: table → count. */
async function rowsContaining(needle: string): Promise<Record<string, number>> {
  const tables = (await server.sql<{ t: string }>(`select tablename as t from pg_tables where schemaname = 'public'`)).rows.map((r) => r.t);
  const out: Record<string, number> = {};
  for (const t of tables) {
    const n = (await server.sql<{ n: number }>(`select count(*)::int as n from "${t}" x where position(lower($1) in lower(x::text)) > 0`, [needle])).rows[0]!.n;
    if (n > 0) out[t] = n;
  }
  return out;
}

describe('patient tags', () => {
  test('providers, staff and admins who see the patient read and set tags; patients and everyone else cannot', async () => {
    const set = await setTags(p.provider.client, p.patientA.id, ['Diabetes-Program', 'spanish', 'diabetes-program']);
    assert.deepEqual(set, { patientId: p.patientA.id, tags: ['diabetes-program', 'spanish'] });
    assert.deepEqual(await tagsOf(p.nurse.client, p.patientA.id), set);
    assert.deepEqual(await tagsOf(p.admin.client, p.patientA.id), set);
    // An admin may set them too (the whole set is replaced).
    assert.deepEqual((await setTags(p.admin.client, p.patientA.id, ['spanish', 'diabetes-program', 'falls-risk'])).tags, ['diabetes-program', 'falls-risk', 'spanish']);
    // Tags are staff-only: the patient sees their own record but not its tags (403), others cannot tell it exists (404).
    await rejects(tagsOf(p.patientA.client, p.patientA.id), 403, 'forbidden');
    await rejects(setTags(p.patientA.client, p.patientA.id, ['vip']), 403, 'forbidden');
    for (const outsider of [p.patientB, p.otherProvider, p.compliance, other.admin, other.provider]) {
      await rejects(tagsOf(outsider.client, p.patientA.id), 404, 'not_found');
      await rejects(setTags(outsider.client, p.patientA.id, ['hijacked']), 404, 'not_found');
    }
    // Forged ids and staff ids answer like a patient one may not see.
    await rejects(tagsOf(p.provider.client, uuid()), 404, 'not_found');
    await rejects(setTags(p.provider.client, p.nurse.id, ['x']), 404, 'not_found');
    // Bad tags are refused before anything changes.
    await rejects(setTags(p.provider.client, p.patientA.id, ['two words']), 400, 'validation_failed');
    await rejects(setTags(p.provider.client, p.patientA.id, ['<script>']), 400, 'validation_failed');
    await rejects(setTags(p.provider.client, p.patientA.id, Array.from({ length: 51 }, (_, i) => `t${i}`)), 400, 'validation_failed');
    assert.deepEqual((await tagsOf(p.provider.client, p.patientA.id)).tags, ['diabetes-program', 'falls-risk', 'spanish']);
    // An empty set removes them all.
    const c = await addPatient(server, 'coh', p.admin.client, 'Tagless Carl', [p.teamA.id]);
    await setTags(p.nurse.client, c.id, ['temporary']);
    assert.deepEqual((await setTags(p.nurse.client, c.id, [])).tags, []);
    assert.deepEqual((await tagsOf(p.nurse.client, c.id)).tags, []);
  });

  test('patients.list filters by tags (every tag given), within the caller\'s scope; tags.list counts what the caller sees', async () => {
    const d = await addPatient(server, 'coh', p.admin.client, 'Dora Filter', [p.teamA.id]);
    await setTags(p.provider.client, d.id, ['asthma-program', 'spanish']);
    await setTags(p.otherProvider.client, p.patientB.id, ['asthma-program']);
    const byTag = async (c: Member['client'], tag: string[]) => ids((await c.call('patients.list', { query: { tag } })).items);
    assert.deepEqual(await byTag(p.admin.client, ['asthma-program']), [d.id, p.patientB.id].sort());
    // The provider sees care team A only: patient B (care team B) is never in their answers.
    assert.deepEqual(await byTag(p.provider.client, ['asthma-program']), [d.id]);
    assert.deepEqual(await byTag(p.otherProvider.client, ['Asthma-Program']), [p.patientB.id]);
    assert.deepEqual(await byTag(p.provider.client, ['asthma-program', 'spanish']), [d.id]);
    assert.deepEqual(await byTag(p.admin.client, ['asthma-program', 'never-used']), []);
    // A patient may not ask (the answer would tell them whether they have a tag).
    await rejects(p.patientA.client.call('patients.list', { query: { tag: ['spanish'] } }), 403, 'forbidden');
    await rejects(p.compliance.client.call('patients.list', { query: { tag: ['spanish'] } }), 403, 'forbidden');
    // Another organization's tags do not exist there.
    assert.deepEqual(await byTag(other.admin.client, ['asthma-program']), []);

    const list = async (c: Member['client']) => Object.fromEntries((await c.call('tags.list')).items.map((i) => [i.tag, i.patients]));
    const forAdmin = await list(p.admin.client);
    assert.equal(forAdmin['asthma-program'], 2);
    const forProvider = await list(p.provider.client);
    assert.equal(forProvider['asthma-program'], 1, 'a tagged patient outside the caller\'s care teams is not counted');
    assert.equal((await list(p.otherProvider.client))['asthma-program'], 1);
    // A tag only patients outside the caller's care teams carry is not even named to them.
    const onlyB = await setTags(p.admin.client, p.patientB.id, [...(await p.admin.client.call('patients.tags.get', { params: { id: p.patientB.id } })).tags, 'team-b-only']);
    assert.ok(onlyB.tags.includes('team-b-only'));
    assert.equal((await list(p.otherProvider.client))['team-b-only'], 1);
    assert.ok(!('team-b-only' in (await list(p.provider.client))));
    await rejects(p.patientA.client.call('tags.list'), 403, 'forbidden');
    await rejects(p.compliance.client.call('tags.list'), 403, 'forbidden');
    assert.equal((await list(other.admin.client))['asthma-program'], undefined);
  });

  test('tags are encrypted at rest, bound to their row, and never written to the audit trail', async () => {
    const canary = `canary${randomBytes(6).toString('hex')}`;
    const e = await addPatient(server, 'coh', p.admin.client, 'Eve Encrypted', [p.teamA.id]);
    await setTags(p.provider.client, e.id, [canary, 'second-tag']);
    // Positive control: the search finds plaintext (a department name is stored as written).
    await p.admin.client.call('departments.create', { body: { name: `Dept ${canary}x` } });
    assert.deepEqual(await rowsContaining(canary), { departments: 1 });
    // The audit trail counts tags; it never names them.
    const events = await p.compliance.client.call('audit.list', { query: { action: 'patients.tags.set', patientId: e.id } });
    assert.equal(events.items.length, 1);
    assert.deepEqual(events.items[0]!.details, { tags: 2, added: 2, removed: 0 });
    // Moving one tag's ciphertext onto another tag's row fails authentication: integrity error, no wrong tag.
    await server.sql(`update org_tags set tag_ct = (select tag_ct from org_tags o2 where o2.org_id = org_tags.org_id and o2.bidx <> org_tags.bidx limit 1)
                       where bidx = (select tag_bidx from patient_tags where patient_id = $1 limit 1)`, [e.id]);
    await rejects(tagsOf(p.provider.client, e.id), 500, 'integrity_error');
  });
});

describe('archived patients', () => {
  test('archiving closes messaging for patient and staff (409), keeps history readable, and tells staff live', async () => {
    const f = await addPatient(server, 'coh', p.admin.client, 'Fay Archive', [p.teamA.id]);
    const thread = await f.client.call('threads.create', { body: { subject: 'Knee pain', topic: 'other' } });
    const firstId = uuid();
    await f.client.call('messages.create', { params: { threadId: thread.id }, body: { id: firstId, body: 'It hurts when I climb stairs' } });
    await p.provider.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'Rest it this week' } });

    const nurse = await listen(p.nurse.client);
    const admin = await listen(p.admin.client);
    const outsider = await listen(p.otherProvider.client);
    const patient = await listen(f.client);
    try {
      const archived = await p.provider.client.call('patients.archive', { params: { id: f.id } });
      assert.equal(archived.id, f.id);
      assert.ok(archived.archivedAt, 'archivedAt is set');
      for (const l of [nurse, admin]) {
        const ev = await l.waitFor((x) => x.type === 'event' && x.event.type === 'patient.archived');
        assert.ok(ev.type === 'event');
        assert.deepEqual(ev.event.patient, { id: f.id, archived: true });
        assert.equal(ev.event.actorId, p.provider.id);
      }
      await sleep(300);
      assert.equal(outsider.events().filter((e) => e.type === 'patient.archived').length, 0, 'a provider who does not see the patient was told');
      assert.equal(patient.events().filter((e) => e.type === 'patient.archived').length, 0, 'the patient gets no staff event');
    } finally {
      for (const l of [nurse, admin, outsider, patient]) l.stream.close();
    }

    // Nobody starts a thread or sends a message for the archived patient.
    await rejects(f.client.call('threads.create', { body: { subject: 'Another question', topic: 'other' } }), 409, 'patient_archived');
    await rejects(f.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'Still there?' } }), 409, 'patient_archived');
    await rejects(p.provider.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'Checking in' } }), 409, 'patient_archived');
    await rejects(p.nurse.client.call('threads.create', { body: { subject: 'Follow-up', topic: 'other', patientId: f.id } }), 409, 'patient_archived');
    // A retry of a message stored before the archive still answers the stored message (sends stay idempotent).
    const replay = await f.client.call('messages.create', { params: { threadId: thread.id }, body: { id: firstId, body: 'It hurts when I climb stairs' } });
    assert.equal(replay.id, firstId);

    // History is kept: the patient can still sign in and read, staff read too.
    const again = await signIn(server, 'coh', f.email, f.password);
    assert.deepEqual((await again.call('threads.list')).items.map((t) => t.id), [thread.id]);
    assert.equal((await again.call('messages.list', { params: { threadId: thread.id } })).items.length, 2);
    assert.equal((await p.nurse.client.call('messages.list', { params: { threadId: thread.id } })).items.length, 2);
    assert.ok((await again.call('patients.get', { params: { id: f.id } })).archivedAt);

    // Lists hide archived patients unless asked for them; the patient always sees their own record.
    assert.ok(!ids((await p.provider.client.call('patients.list')).items).includes(f.id));
    assert.ok(ids((await p.provider.client.call('patients.list', { query: { archived: true } })).items).includes(f.id));
    assert.ok(!ids((await p.provider.client.call('patients.list', { query: { archived: true } })).items).includes(p.patientA.id), 'archived=true lists archived patients only');
    assert.ok(!ids((await p.admin.client.call('patients.list')).items).includes(f.id));
    assert.deepEqual(ids((await again.call('patients.list')).items), [f.id]);

    // Archiving again changes nothing (one audit event); unarchiving opens messaging again.
    await p.admin.client.call('patients.archive', { params: { id: f.id } });
    const nurseAgain = await listen(p.nurse.client);
    try {
      const back = await p.nurse.client.call('patients.unarchive', { params: { id: f.id } });
      assert.equal(back.archivedAt, null);
      const ev = await nurseAgain.waitFor((x) => x.type === 'event' && x.event.type === 'patient.unarchived');
      assert.ok(ev.type === 'event');
      assert.deepEqual(ev.event.patient, { id: f.id, archived: false });
    } finally {
      nurseAgain.stream.close();
    }
    await f.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'Back again' } });
    await p.provider.client.call('threads.create', { body: { subject: 'Welcome back', topic: 'other', patientId: f.id } });
    assert.ok(ids((await p.provider.client.call('patients.list')).items).includes(f.id));
    const audit = await p.compliance.client.call('audit.list', { query: { patientId: f.id, limit: 200 } });
    assert.deepEqual(
      audit.items.filter((e) => e.action === 'patients.archive' || e.action === 'patients.unarchive').map((e) => [e.action, e.actorId]),
      [
        ['patients.unarchive', p.nurse.id],
        ['patients.archive', p.provider.id],
      ],
    );
  });

  test('who may archive: admins and clinical staff who see the patient; others 403 or 404; nothing crosses organizations', async () => {
    const g = await addPatient(server, 'coh', p.admin.client, 'Gus Guarded', [p.teamA.id]);
    await rejects(g.client.call('patients.archive', { params: { id: g.id } }), 403, 'forbidden');
    for (const outsider of [p.patientB, p.otherProvider, p.compliance, other.admin, other.provider, other.patientA]) {
      await rejects(outsider.client.call('patients.archive', { params: { id: g.id } }), 404, 'not_found');
      await rejects(outsider.client.call('patients.unarchive', { params: { id: g.id } }), 404, 'not_found');
    }
    await rejects(p.admin.client.call('patients.archive', { params: { id: uuid() } }), 404, 'not_found');
    await rejects(p.admin.client.call('patients.archive', { params: { id: p.nurse.id } }), 404, 'not_found');
    assert.equal((await p.admin.client.call('patients.get', { params: { id: g.id } })).archivedAt, null, 'a refused archive changed the record');
    const done = await p.admin.client.call('patients.archive', { params: { id: g.id } });
    assert.ok(done.archivedAt);
    // The patient is told why when they try (and can still read their profile).
    try {
      await g.client.call('threads.create', { body: { subject: 'x', topic: 'other' } });
      assert.fail('an archived patient started a thread');
    } catch (err) {
      assert.ok(err instanceof HavenApiError);
      assert.equal(err.code, 'patient_archived');
      assert.match(err.problem.detail ?? '', /archived/);
    }
    const status = await g.client.call('me.messaging');
    assert.deepEqual(status, { enabled: false, reason: 'archived', alternativeContact: status.alternativeContact, archived: true });
    assert.ok(status.alternativeContact);
  });
});
