import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPractice, rejects, signIn, startTestServer, strongPassword, uuid, type Practice, type TestServer } from '../../../test/harness.js';

let server: TestServer;
let p: Practice;

before(async () => {
  server = await startTestServer();
  p = await createPractice(server, 'admin');
});
after(() => server.stop());

describe('organization structure', () => {
  test('departments have unique names', async () => {
    await p.admin.client.call('departments.create', { body: { name: 'Behavioral Health' } });
    await rejects(p.admin.client.call('departments.create', { body: { name: 'Behavioral Health' } }), 409, 'conflict');
    const list = await p.admin.client.call('departments.list');
    assert.deepEqual(list.items.map((d) => d.name).sort(), ['Behavioral Health', 'Family Medicine']);
    await rejects(p.nurse.client.call('departments.create', { body: { name: 'Nurse-made' } }), 403, 'forbidden');
  });

  test('care team membership decides what staff see, immediately', async () => {
    const thread = await p.patientB.client.call('threads.create', { body: { subject: 'Team B matter', topic: 'other' } });
    await rejects(p.nurse.client.call('threads.get', { params: { threadId: thread.id } }), 404);
    await p.admin.client.call('careTeams.members.add', { params: { id: p.teamB.id }, body: { userId: p.nurse.id } });
    assert.equal((await p.nurse.client.call('threads.get', { params: { threadId: thread.id } })).id, thread.id);
    const team = await p.admin.client.call('careTeams.members.remove', { params: { id: p.teamB.id, userId: p.nurse.id } });
    assert.ok(!team.memberIds.includes(p.nurse.id));
    await rejects(p.nurse.client.call('threads.get', { params: { threadId: thread.id } }), 404);
    // Patients and unknown users cannot be care team members.
    await rejects(p.admin.client.call('careTeams.members.add', { params: { id: p.teamB.id }, body: { userId: p.patientA.id } }), 404);
    await rejects(p.admin.client.call('careTeams.members.add', { params: { id: p.teamB.id }, body: { userId: uuid() } }), 404);
    await rejects(p.admin.client.call('careTeams.create', { body: { name: 'Bad', memberIds: [p.patientA.id] } }), 404);
  });

  test('topics are configurable', async () => {
    const org = await p.admin.client.call('organization.update', { body: { topics: ['sleep_coaching', 'other'] } });
    assert.deepEqual(org.topics, ['sleep_coaching', 'other']);
    await new Promise((r) => setTimeout(r, 2100));
    const t = await p.patientA.client.call('threads.create', { body: { subject: 'Sleep', topic: 'sleep_coaching' } });
    assert.equal(t.topic, 'sleep_coaching');
    await rejects(p.patientA.client.call('threads.create', { body: { subject: 'Bill', topic: 'billing' } }), 400);
    await p.admin.client.call('organization.update', { body: { topics: ['clinical_question', 'prescription_refill', 'billing', 'other'] } });
  });
});

describe('staff accounts', () => {
  test('an admin creates staff with each role; a generated password is shown once and works', async () => {
    for (const role of ['admin', 'provider', 'staff', 'compliance'] as const) {
      const u = await p.admin.client.call('users.create', { body: { role, email: `new.${role}@admin.test`, name: `New ${role}` } });
      assert.equal(u.role, role);
      assert.ok(u.initialPassword && u.initialPassword.length >= 20);
      await signIn(server, 'admin', `new.${role}@admin.test`, u.initialPassword);
      const again = await p.admin.client.call('users.get', { params: { id: u.id } });
      assert.equal(again.initialPassword, undefined);
      assert.equal(again.email, `new.${role}@admin.test`);
    }
    const list = await p.admin.client.call('users.list');
    assert.ok(list.items.every((u) => u.role !== 'patient' && !('initialPassword' in u) && !('passwordHash' in u)));
  });

  test('password rules and unique e-mail (case-insensitive)', async () => {
    await rejects(p.admin.client.call('users.create', { body: { role: 'staff', email: 'weak@admin.test', name: 'Weak', password: 'password' } }), 400, 'password_rejected');
    await p.admin.client.call('users.create', { body: { role: 'staff', email: 'Dup@Admin.test', name: 'Dup', password: strongPassword() } });
    await rejects(p.admin.client.call('users.create', { body: { role: 'staff', email: 'dup@admin.test', name: 'Dup 2', password: strongPassword() } }), 409, 'conflict');
  });

  test('updates, and deactivation rules', async () => {
    const u = await p.admin.client.call('users.update', { params: { id: p.nurse.id }, body: { name: 'Nurse Renamed' } });
    assert.equal(u.name, 'Nurse Renamed');
    await rejects(p.admin.client.call('users.deactivate', { params: { id: p.admin.id } }), 409, 'conflict');
    await rejects(p.admin.client.call('users.get', { params: { id: p.patientA.id } }), 404);
    await rejects(p.provider.client.call('users.list'), 403, 'forbidden');
  });

  test('a deactivated account can be reactivated by an admin: it signs in again, no old session comes back', async () => {
    const password = strongPassword();
    const u = await p.admin.client.call('users.create', { body: { role: 'staff', email: 'comes.back@admin.test', name: 'Comes Back', password } });
    const old = await signIn(server, 'admin', 'comes.back@admin.test', password);
    await p.admin.client.call('users.deactivate', { params: { id: u.id } });
    await rejects(signIn(server, 'admin', 'comes.back@admin.test', password), 401);
    // Only admins.
    await rejects(p.provider.client.call('users.reactivate', { params: { id: u.id } }), 403, 'forbidden');
    await rejects(p.admin.client.call('users.reactivate', { params: { id: uuid() } }), 404);
    assert.equal((await p.admin.client.call('users.get', { params: { id: u.id } })).status, 'deactivated');
    await p.admin.client.call('users.reactivate', { params: { id: u.id } });
    assert.equal((await p.admin.client.call('users.get', { params: { id: u.id } })).status, 'active');
    await rejects(old.call('inbox.counts'), 401);
    const again = await signIn(server, 'admin', 'comes.back@admin.test', password);
    await again.call('inbox.counts');
    // Again: nothing changes, one audit event only.
    await p.admin.client.call('users.reactivate', { params: { id: u.id } });
    const events = await p.compliance.client.call('audit.list', { query: { action: 'users.reactivate' } });
    assert.equal(events.items.filter((e) => e.resourceId === u.id).length, 1);
  });

  test('a role change takes effect at once and ends the sessions of the person changed; nobody else may make it', async () => {
    const password = strongPassword();
    const u = await p.admin.client.call('users.create', { body: { role: 'staff', email: 'role.change2@admin.test', name: 'Role Change 2', password } });
    const before = await signIn(server, 'admin', 'role.change2@admin.test', password);
    await rejects(before.call('users.list'), 403, 'forbidden');
    // Not an admin: refused, and nothing changed.
    await rejects(p.provider.client.call('users.update', { params: { id: u.id }, body: { role: 'admin' } }), 403, 'forbidden');
    await rejects(before.call('users.update', { params: { id: u.id }, body: { role: 'admin' } }), 403, 'forbidden');
    assert.equal((await p.admin.client.call('users.get', { params: { id: u.id } })).role, 'staff');
    // Only staff roles; never a patient's account.
    await rejects(p.admin.client.call('users.update', { params: { id: u.id }, body: { role: 'patient' } as never }), 400);
    await rejects(p.admin.client.call('users.update', { params: { id: p.patientA.id }, body: { role: 'staff' } }), 404);
    // An admin cannot change their own role (the practice keeps an admin), with the field named.
    await rejects(p.admin.client.call('users.update', { params: { id: p.admin.id }, body: { role: 'staff' } }), 409, 'conflict');
    assert.equal((await p.admin.client.call('users.get', { params: { id: p.admin.id } })).role, 'admin');
    // The change: the old session is over (401), a new sign-in has the new role.
    const changed = await p.admin.client.call('users.update', { params: { id: u.id }, body: { role: 'provider', name: 'Dr Role Change' } });
    assert.equal(changed.role, 'provider');
    assert.equal(changed.name, 'Dr Role Change');
    await rejects(before.call('inbox.counts'), 401);
    const after = await signIn(server, 'admin', 'role.change2@admin.test', password);
    const session = await after.call('auth.session');
    assert.equal(session.user.role, 'provider');
    // The same role again changes nothing and ends no session.
    await p.admin.client.call('users.update', { params: { id: u.id }, body: { role: 'provider' } });
    await after.call('inbox.counts');
    // Audited, with the old and new role.
    const events = await p.compliance.client.call('audit.list', { query: { action: 'users.update' } });
    const roleEvent = events.items.find((e) => e.resourceId === u.id && e.details['roleTo'] === 'provider');
    assert.ok(roleEvent, 'the role change is audited');
    assert.equal(roleEvent.details['roleFrom'], 'staff');
    assert.equal(roleEvent.details['sessionsEnded'], 1);
  });
});

describe('patients', () => {
  test('registration with identifying fields, exact lookup by MRN or e-mail, and updates', async () => {
    const created = await p.nurse.client.call('patients.create', {
      body: { email: 'Maria.Lopez@example.test', name: 'María López', dateOfBirth: '1961-04-09', phone: '+1 555 0100', mrn: 'mrn-00042', careTeamIds: [p.teamA.id] },
    });
    assert.equal(created.name, 'María López');
    assert.ok(created.initialPassword);
    const byMrn = await p.nurse.client.call('patients.list', { query: { mrn: 'MRN-00042' } });
    assert.deepEqual(byMrn.items.map((x) => x.id), [created.id]);
    const byEmail = await p.provider.client.call('patients.list', { query: { email: 'maria.lopez@example.test' } });
    assert.deepEqual(byEmail.items.map((x) => x.id), [created.id]);
    assert.equal((await p.otherProvider.client.call('patients.list', { query: { mrn: 'MRN-00042' } })).items.length, 0);
    const updated = await p.nurse.client.call('patients.update', { params: { id: created.id }, body: { phone: null, name: 'María López-Ruiz' } });
    assert.equal(updated.phone, null);
    assert.equal(updated.name, 'María López-Ruiz');
    assert.equal(updated.dateOfBirth, '1961-04-09');
    await rejects(p.nurse.client.call('patients.update', { params: { id: created.id }, body: { careTeamIds: [p.teamB.id] } }), 403);
    const moved = await p.admin.client.call('patients.update', { params: { id: created.id }, body: { careTeamIds: [p.teamB.id] } });
    assert.deepEqual(moved.careTeamIds, [p.teamB.id]);
    await rejects(p.nurse.client.call('patients.get', { params: { id: created.id } }), 404);
    await rejects(p.admin.client.call('patients.create', { body: { email: 'other@example.test', name: 'Dup MRN', mrn: 'MRN-00042' } }), 409);
  });

  test('a patient sees only their own profile', async () => {
    const me = await p.patientA.client.call('patients.get', { params: { id: p.patientA.id } });
    assert.equal(me.id, p.patientA.id);
    await rejects(p.patientA.client.call('patients.get', { params: { id: p.patientB.id } }), 404);
    const list = await p.patientA.client.call('patients.list');
    assert.deepEqual(list.items.map((x) => x.id), [p.patientA.id]);
    await rejects(p.patientA.client.call('patients.create', { body: { email: 'x@example.test', name: 'X' } }), 403);
    await rejects(p.compliance.client.call('patients.list'), 403);
  });
});
