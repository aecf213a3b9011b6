// Browser tests of the admin settings (issue #5, "Settings for admins"), against the real Haven server (see
// support.ts): an admin sets up a department, a care team, a new staff member, a queue and routing rules, patients'
// tags and the soft launch through the pages, and the server's state is checked through the SDK after each step;
// someone who is not an admin gets no admin page and the API refuses them. axe-core runs on every page and state.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { HavenApiError } from '@haven/api';
import { createPractice, signIn as apiSignIn, type Practice } from '../../server/test/harness.js';
import * as e2e from './support.js';
import { axe, shot, WAIT } from './support.js';

let env: e2e.E2E;
let practice: Practice;

const newContext = (problems: string[]) => e2e.newContext(env, problems);
const signIn = (page: Page, email: string, password: string) => e2e.signIn(page, practice.slug, email, password);

/** The status of a refused call (fails when it succeeds). */
async function refusedWith(call: Promise<unknown>): Promise<number> {
  try {
    await call;
  } catch (err) {
    if (err instanceof HavenApiError) return err.status;
    throw err;
  }
  throw new Error('the call succeeded');
}

/** Opens one admin section from the settings navigation and waits for its heading. */
async function openSection(page: Page, link: string, heading = link): Promise<void> {
  await page.getByRole('navigation', { name: 'Settings', exact: true }).getByRole('link', { name: link, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor({ timeout: WAIT });
}

describe('admin settings in Chromium', { timeout: 300_000 }, () => {
  before(async () => {
    env = await e2e.startE2E();
    practice = await createPractice(env.server, 'adminpeople');
  });
  after(async () => {
    await env?.browser.close();
    await env?.server.stop();
  });

  test('an admin sets up the practice: department, staff, care team, queue and routing, tags and the soft launch', async () => {
    const problems: string[] = [];
    const { context, page } = await newContext(problems);
    const admin = practice.admin.client;
    try {
      await signIn(page, practice.admin.email, practice.admin.password);
      // Admins start in the practice settings (and have its link in the header on every page).
      await page.getByRole('heading', { level: 1, name: 'Practice settings' }).waitFor({ timeout: WAIT });
      await page.getByRole('link', { name: 'Practice settings' }).click();
      await page.getByRole('heading', { level: 1, name: 'Practice settings' }).waitFor({ timeout: WAIT });
      // The overview and the 14 sections: 6 here, 8 of the operations settings (hours … crisis words).
      assert.equal(await page.getByRole('navigation', { name: 'Settings', exact: true }).getByRole('link').count(), 15);
      await axe(page, 'admin settings overview');
      await shot(page, 'admin-overview');

      // --- a department: a name already taken is said next to the field, and the typed name stays.
      await openSection(page, 'Departments');
      await page.getByRole('heading', { level: 3, name: 'Family Medicine' }).waitFor({ timeout: WAIT });
      const deptName = page.getByLabel('Department name');
      await deptName.fill('Family Medicine');
      await page.getByRole('button', { name: 'Add the department' }).click();
      await page.getByText('A department with this name already exists.').waitFor({ timeout: WAIT });
      assert.equal(await deptName.getAttribute('aria-invalid'), 'true');
      assert.equal(await deptName.inputValue(), 'Family Medicine', 'nothing typed is lost on a refused save');
      await axe(page, 'departments page with a field error');
      await deptName.fill('Cardiology');
      await page.getByRole('button', { name: 'Add the department' }).click();
      await page.getByRole('heading', { level: 3, name: 'Cardiology' }).waitFor({ timeout: WAIT });
      await page.getByRole('status').filter({ hasText: 'Department Cardiology added.' }).waitFor({ timeout: WAIT });
      const cardiology = (await admin.call('departments.list')).items.find((d) => d.name === 'Cardiology');
      assert.ok(cardiology, 'the department exists on the server');
      await axe(page, 'departments page');

      // --- invite a staff member: an invalid e-mail is refused at the field; then the one-time password works.
      await openSection(page, 'Staff and roles');
      const invite = page.getByRole('region', { name: 'Invite a staff member' });
      await invite.getByLabel('Full name').fill('Nurse Invited');
      await invite.getByLabel('E-mail').fill('not-an-e-mail');
      await invite.getByLabel('Role').selectOption({ label: 'Staff' });
      await invite.getByLabel('Department').selectOption({ label: 'Cardiology' });
      await invite.getByRole('button', { name: 'Create the account' }).click();
      await invite.getByText('Enter an e-mail address, like name@example.com.').waitFor({ timeout: WAIT });
      assert.equal(await invite.getByLabel('Full name').inputValue(), 'Nurse Invited', 'the other fields are kept');
      await axe(page, 'staff page with a field error');
      await invite.getByLabel('E-mail').fill('nurse.invited@adminpeople.test');
      await invite.getByRole('button', { name: 'Create the account' }).click();
      const secret = page.getByTestId('initial-password').locator('code');
      await secret.waitFor({ timeout: WAIT });
      const initialPassword = (await secret.textContent()) ?? '';
      assert.ok(initialPassword.length >= 20);
      await axe(page, 'staff page with the one-time password');
      await shot(page, 'admin-people-invited');
      const invited = (await admin.call('users.list')).items.find((u) => u.email === 'nurse.invited@adminpeople.test');
      assert.ok(invited, 'the account exists');
      assert.equal(invited.role, 'staff');
      assert.equal(invited.departmentId, cardiology.id);
      const invitedClient = await apiSignIn(env.server, practice.slug, 'nurse.invited@adminpeople.test', initialPassword);
      await page.getByRole('button', { name: 'I have given it to them' }).click();
      assert.equal(await page.getByTestId('initial-password').count(), 0, 'the password is gone from the page');
      await page.getByTestId('person').filter({ hasText: 'Nurse Invited' }).waitFor({ timeout: WAIT });

      // An admin cannot change their own role: the API's refusal is shown at the role field.
      const me = page.getByTestId('person').filter({ hasText: practice.admin.email });
      await me.getByRole('button', { name: /^Change / }).click();
      assert.equal(await me.getByRole('button', { name: /^Deactivate/ }).count(), 0, 'no deactivating yourself');
      await me.getByLabel('Role').selectOption({ label: 'Staff' });
      await me.getByRole('button', { name: 'Save' }).click();
      await me.getByText('You cannot change your own role. Another admin can do it.').waitFor({ timeout: WAIT });
      await axe(page, 'staff page, editing with a refused role change');
      await me.getByRole('button', { name: 'Cancel' }).click();
      assert.equal((await admin.call('users.get', { params: { id: practice.admin.id } })).role, 'admin');

      // --- a care team, with the new staff member on it; removing someone asks first.
      await openSection(page, 'Care teams');
      await page.getByLabel('Care team name').fill('Heart Team');
      await page.getByRole('region', { name: 'New care team' }).getByLabel('Department').selectOption({ label: 'Cardiology' });
      await page.getByRole('button', { name: 'Add the care team' }).click();
      const heart = page.getByTestId('care-team').filter({ has: page.getByRole('heading', { name: 'Heart Team' }) });
      await heart.waitFor({ timeout: WAIT });
      await heart.getByLabel('Add someone to Heart Team').selectOption({ label: 'Nurse Invited (Staff)' });
      await heart.getByRole('button', { name: 'Add', exact: true }).click();
      await heart.getByRole('list', { name: 'Members of Heart Team' }).getByText('Nurse Invited').waitFor({ timeout: WAIT });
      const heartTeam = (await admin.call('careTeams.list')).items.find((x) => x.name === 'Heart Team');
      assert.ok(heartTeam);
      assert.equal(heartTeam.departmentId, cardiology.id);
      assert.deepEqual(heartTeam.memberIds, [invited.id]);
      const teamA = page.getByTestId('care-team').filter({ has: page.getByRole('heading', { name: 'Team A' }) });
      await teamA.getByRole('button', { name: `Remove Nurse A ${practice.slug} from Team A` }).click();
      await teamA.getByText(`Remove Nurse A ${practice.slug} from Team A? They stop seeing this team’s patients at once.`).waitFor({ timeout: WAIT });
      await axe(page, 'care teams page, asking before removing a member');
      await shot(page, 'admin-care-teams');
      await teamA.getByRole('button', { name: 'Yes, remove' }).click();
      await page.getByRole('status').filter({ hasText: `Nurse A ${practice.slug} removed from Team A.` }).waitFor({ timeout: WAIT });
      assert.ok(!(await admin.call('careTeams.list')).items.find((x) => x.id === practice.teamA.id)!.memberIds.includes(practice.nurse.id));

      // --- routing: a queue, then a rule; a rule without a queue, and one the server refuses, are marked at the field.
      await openSection(page, 'Topics, queues and routing');
      const newQueue = page.getByRole('form', { name: 'New queue' });
      await newQueue.getByLabel('Queue name').fill('Cardiology queue');
      await newQueue.getByLabel('Department').selectOption({ label: 'Cardiology' });
      await newQueue.getByLabel('Hand out new conversations').selectOption('round_robin');
      await newQueue.getByLabel(`Dr A ${practice.slug} (Provider)`).check();
      await newQueue.getByRole('button', { name: 'Add the queue' }).click();
      await page.getByTestId('queue').filter({ hasText: 'Cardiology queue' }).waitFor({ timeout: WAIT });
      const queue = (await admin.call('queues.list')).items.find((q) => q.name === 'Cardiology queue');
      assert.ok(queue);
      assert.equal(queue.assignment, 'round_robin');
      assert.deepEqual(queue.memberIds, [practice.provider.id]);

      await page.getByRole('button', { name: 'Add a rule' }).click();
      await page.getByRole('button', { name: 'Add a rule' }).click();
      const rules = page.getByTestId('rule');
      await rules.nth(0).getByLabel('Topic').selectOption('billing');
      await rules.nth(0).getByLabel('Send to queue').selectOption({ label: 'Cardiology queue' });
      await rules.nth(1).getByLabel('Topic').selectOption('clinical_question');
      await rules.nth(1).getByLabel('Patient’s care team').selectOption({ label: 'Heart Team' });
      await page.getByRole('button', { name: 'Save rules' }).click();
      await rules.nth(1).getByText('Choose the queue for this rule.').waitFor({ timeout: WAIT });
      assert.equal(await rules.nth(1).getByLabel('Send to queue').getAttribute('aria-invalid'), 'true');
      assert.equal(await rules.nth(0).getByText('Choose the queue for this rule.').count(), 0);
      await axe(page, 'routing rules with an error at a rule');
      await rules.nth(1).getByLabel('Send to queue').selectOption({ label: 'Cardiology queue' });
      // The clinical rule goes first.
      await rules.nth(1).getByRole('button', { name: 'Move rule 2 up' }).click();
      assert.equal(await rules.nth(0).getByLabel('Topic').inputValue(), 'clinical_question');

      // Take "billing" off the topics: the rule that still names it is refused by the server, at that rule's topic.
      await page.getByRole('button', { name: 'Remove the topic Bills and payments' }).click();
      await page.getByRole('button', { name: 'Save topics' }).click();
      await page.getByRole('status').filter({ hasText: 'Topics saved.' }).waitFor({ timeout: WAIT });
      assert.ok(!(await admin.call('organization.get')).topics.includes('billing'));
      // (The server keeps an organization's policy settings for two seconds.)
      await page.waitForTimeout(2_200);
      await page.getByRole('button', { name: 'Save rules' }).click();
      await rules.nth(1).getByText('Choose a topic from the list.').waitFor({ timeout: WAIT });
      await page.getByText('Some rules need a change (see the rules marked below). Nothing was saved.').waitFor({ timeout: WAIT });
      assert.equal(await rules.nth(0).getByText('Choose a topic from the list.').count(), 0);
      assert.deepEqual((await admin.call('routing.rules.get')).rules, [], 'nothing was saved');
      await axe(page, 'routing rules refused by the server');
      await shot(page, 'admin-routing-rule-error');
      await rules.nth(1).getByLabel('Topic').selectOption('prescription_refill');
      await page.getByRole('button', { name: 'Save rules' }).click();
      await page.getByRole('status').filter({ hasText: 'Routing rules saved.' }).waitFor({ timeout: WAIT });
      assert.deepEqual((await admin.call('routing.rules.get')).rules, [
        { topic: 'clinical_question', departmentId: null, careTeamId: heartTeam.id, queueId: queue.id },
        { topic: 'prescription_refill', departmentId: null, careTeamId: null, queueId: queue.id },
      ]);
      await axe(page, 'routing page');

      // --- a patient's tag (found by e-mail), then the soft launch as a pilot of that tag.
      await openSection(page, 'Patients');
      await page.getByLabel('MRN or e-mail').fill(practice.patientA.email);
      await page.getByRole('button', { name: 'Find', exact: true }).click();
      const found = page.getByTestId('patient').filter({ hasText: practice.patientA.email });
      await found.waitFor({ timeout: WAIT });
      assert.equal(await page.getByTestId('patient').count(), 1);
      await found.getByRole('button', { name: `Tags of Patient A ${practice.slug}` }).click();
      await found.getByLabel('Tags (separate them with commas)').fill('pilot-group, bad tag!');
      await found.getByRole('button', { name: 'Save' }).click();
      await found.getByText('A tag may have only letters and digits, joined by - or _.').waitFor({ timeout: WAIT });
      await axe(page, 'patients page, tags refused');
      await found.getByLabel('Tags (separate them with commas)').fill('pilot-group');
      await found.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('status').filter({ hasText: `Tags of Patient A ${practice.slug} saved.` }).waitFor({ timeout: WAIT });
      assert.deepEqual((await admin.call('patients.tags.get', { params: { id: practice.patientA.id } })).tags, ['pilot-group']);
      await axe(page, 'patients page with a result');

      await openSection(page, 'Who can send messages');
      await page.getByLabel('A pilot group').check();
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByText('Choose at least one tag or provider for the pilot, or open messaging to every patient.').waitFor({ timeout: WAIT });
      await page.getByLabel('pilot-group (1 patient)').check();
      await page.getByLabel('What patients outside the pilot are told').fill('Call us at 555-0100.');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'Saved. The change applies at once.' }).waitFor({ timeout: WAIT });
      await page.getByTestId('rollout-now').filter({ hasText: 'Now: only a pilot group can send messages.' }).waitFor({ timeout: WAIT });
      const rollout = await admin.call('messagingRollout.get');
      assert.equal(rollout.mode, 'pilot');
      assert.deepEqual(rollout.cohortTags, ['pilot-group']);
      assert.equal(rollout.alternativeContact, 'Call us at 555-0100.');
      assert.equal((await practice.patientA.client.call('me.messaging')).enabled, true);
      const outside = await practice.patientB.client.call('me.messaging');
      assert.equal(outside.enabled, false);
      assert.equal(outside.alternativeContact, 'Call us at 555-0100.');
      await axe(page, 'soft launch page');
      await shot(page, 'admin-rollout');

      // --- the invited staff member: a new role ends their session; deactivating asks first and ends it for good.
      await openSection(page, 'Staff and roles');
      const person = page.getByTestId('person').filter({ hasText: 'nurse.invited@adminpeople.test' });
      await person.getByRole('button', { name: 'Change Nurse Invited' }).click();
      // The form opens with the keyboard in its first field.
      await person.getByLabel('Full name').and(page.locator(':focus')).waitFor({ timeout: WAIT });
      await person.getByLabel('Full name').fill('Dr Invited');
      await person.getByLabel('Role').selectOption({ label: 'Provider' });
      await person.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('status').filter({ hasText: 'Changes to Dr Invited saved.' }).waitFor({ timeout: WAIT });
      const changed = await admin.call('users.get', { params: { id: invited.id } });
      assert.equal(changed.role, 'provider');
      assert.equal(changed.name, 'Dr Invited');
      assert.equal(await refusedWith(invitedClient.call('inbox.counts')), 401, 'the old session ended with the role change');
      const again = await apiSignIn(env.server, practice.slug, 'nurse.invited@adminpeople.test', initialPassword);
      await person.getByRole('button', { name: 'Deactivate Dr Invited' }).click();
      await person.getByText(/^Deactivate Dr Invited\? They are signed out everywhere/).waitFor({ timeout: WAIT });
      await axe(page, 'staff page, asking before deactivating');
      await shot(page, 'admin-people-deactivate');
      await person.getByRole('button', { name: 'Cancel' }).click();
      assert.equal((await admin.call('users.get', { params: { id: invited.id } })).status, 'active', 'Cancel changes nothing');
      // The keyboard is not lost: focus is back on the person's first action.
      await person.getByRole('button', { name: 'Change Dr Invited' }).and(page.locator(':focus')).waitFor({ timeout: WAIT });
      await person.getByRole('button', { name: 'Deactivate Dr Invited' }).click();
      await person.getByRole('button', { name: 'Yes, deactivate' }).click();
      await person.getByRole('status').filter({ hasText: 'Dr Invited is deactivated and signed out.' }).waitFor({ timeout: WAIT });
      await person.getByText(/· Deactivated/).waitFor({ timeout: WAIT });
      assert.equal((await admin.call('users.get', { params: { id: invited.id } })).status, 'deactivated');
      assert.equal(await refusedWith(again.call('inbox.counts')), 401, 'deactivation ended the session');
      assert.equal(await refusedWith(apiSignIn(env.server, practice.slug, 'nurse.invited@adminpeople.test', initialPassword)), 401);
      await axe(page, 'staff page after a deactivation');
      // A deactivation made by mistake is undone: they sign in again (no old session comes back).
      await person.getByRole('button', { name: 'Reactivate Dr Invited' }).click();
      await person.getByRole('status').filter({ hasText: 'Dr Invited can sign in again, with the same password.' }).waitFor({ timeout: WAIT });
      await person.getByRole('button', { name: 'Deactivate Dr Invited' }).waitFor({ timeout: WAIT });
      assert.equal((await admin.call('users.get', { params: { id: invited.id } })).status, 'active');
      assert.equal(await refusedWith(again.call('inbox.counts')), 401);
      await apiSignIn(env.server, practice.slug, 'nurse.invited@adminpeople.test', initialPassword);

      // The pages work in Spanish too.
      await page.getByLabel('Language').selectOption('es');
      await page.getByRole('heading', { level: 1, name: 'Personal y funciones' }).waitFor({ timeout: WAIT });
      await axe(page, 'staff page in Spanish');
      await page.getByLabel('Idioma').selectOption('en');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('patients: register, find by MRN, change, archive (asked first) and unarchive', async () => {
    const problems: string[] = [];
    const { context, page, urls } = await newContext(problems);
    const admin = practice.admin.client;
    try {
      await signIn(page, practice.admin.email, practice.admin.password);
      await page.getByRole('heading', { level: 1, name: 'Practice settings' }).waitFor({ timeout: WAIT });
      await page.goto('/staff/admin/patients');
      await page.getByRole('heading', { level: 1, name: 'Patients' }).waitFor({ timeout: WAIT });
      await axe(page, 'patients page');
      const register = page.getByRole('region', { name: 'Register a patient' });
      await register.getByLabel('Full name').fill('Rosa Díaz');
      await register.getByLabel('E-mail').fill('rosa.diaz@example.test');
      await register.getByLabel('Date of birth').fill('1958-03-14');
      await register.getByLabel('Phone').fill('call me maybe');
      await register.getByLabel('Medical record number (MRN)').fill('MRN-77');
      await register.getByLabel('Team A').check();
      await register.getByRole('button', { name: 'Register the patient' }).click();
      await register.getByText('Use digits, spaces, +, ( ) and - only.').waitFor({ timeout: WAIT });
      assert.equal(await register.getByLabel('Full name').inputValue(), 'Rosa Díaz', 'nothing typed is lost');
      await axe(page, 'patient registration with a field error');
      await register.getByLabel('Phone').fill('+1 555 0142');
      await register.getByRole('button', { name: 'Register the patient' }).click();
      await page.getByTestId('initial-password').waitFor({ timeout: WAIT });
      const password = (await page.getByTestId('initial-password').locator('code').textContent()) ?? '';
      await shot(page, 'admin-patients-registered');
      const client = await apiSignIn(env.server, practice.slug, 'rosa.diaz@example.test', password);
      assert.equal((await client.call('auth.session')).user.role, 'patient');
      const created = (await admin.call('patients.list', { query: { mrn: 'MRN-77' } })).items[0];
      assert.ok(created);
      assert.deepEqual(created.careTeamIds, [practice.teamA.id]);
      assert.equal(created.dateOfBirth, '1958-03-14');

      // Find by MRN (never in the page's address), change the details and care team.
      await page.getByLabel('MRN or e-mail').fill('mrn-77');
      await page.getByRole('button', { name: 'Find', exact: true }).click();
      const rosa = page.getByTestId('patient').filter({ hasText: 'Rosa Díaz' });
      await rosa.waitFor({ timeout: WAIT });
      // The address past the origin (the test server's random port may contain "77").
      const address = new URL(page.url());
      const where = (address.pathname + address.search + address.hash).toLowerCase();
      assert.ok(!where.includes('77') && !where.includes('rosa'), `nothing searched is in the page address (${where})`);
      await rosa.getByRole('button', { name: 'Change Rosa Díaz' }).click();
      await rosa.getByLabel('Full name').fill('Rosa Díaz-Luna');
      await rosa.getByLabel('Phone').fill('');
      await rosa.getByLabel('Team A').uncheck();
      await rosa.getByLabel('Team B').check();
      await axe(page, 'patients page, editing');
      await rosa.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('status').filter({ hasText: 'Changes to Rosa Díaz-Luna saved.' }).waitFor({ timeout: WAIT });
      const edited = await admin.call('patients.get', { params: { id: created.id } });
      assert.equal(edited.name, 'Rosa Díaz-Luna');
      assert.equal(edited.phone, null);
      assert.deepEqual(edited.careTeamIds, [practice.teamB.id]);

      // Archive asks first; the patient can no longer start a conversation; unarchive opens it again.
      const item = page.getByTestId('patient').filter({ hasText: 'Rosa Díaz-Luna' });
      await item.getByRole('button', { name: 'Archive Rosa Díaz-Luna' }).click();
      await item.getByText(/^Archive Rosa Díaz-Luna\? Their history is kept/).waitFor({ timeout: WAIT });
      await axe(page, 'patients page, asking before archiving');
      await item.getByRole('button', { name: 'Yes, archive' }).click();
      await page.getByRole('status').filter({ hasText: 'Rosa Díaz-Luna is archived.' }).waitFor({ timeout: WAIT });
      assert.ok((await admin.call('patients.get', { params: { id: created.id } })).archivedAt);
      assert.equal(await refusedWith(client.call('threads.create', { body: { subject: 'Hello', topic: 'other' } })) >= 400, true);
      await item.getByRole('button', { name: 'Unarchive Rosa Díaz-Luna' }).click();
      await page.getByRole('status').filter({ hasText: 'Rosa Díaz-Luna can send messages again.' }).waitFor({ timeout: WAIT });
      assert.equal((await admin.call('patients.get', { params: { id: created.id } })).archivedAt, null);
      // Live: archived elsewhere (here through the API), the list shows it without a reload.
      await admin.call('patients.archive', { params: { id: created.id } });
      await item.getByRole('button', { name: 'Unarchive Rosa Díaz-Luna' }).waitFor({ timeout: WAIT });
      await item.getByText(/· Archived/).waitFor({ timeout: WAIT });
      // The account: deactivating asks first and ends the patient's session; reactivating lets them sign in again.
      await item.getByRole('button', { name: 'Deactivate the account of Rosa Díaz-Luna' }).click();
      await item.getByRole('button', { name: 'Yes, deactivate' }).waitFor({ timeout: WAIT });
      await axe(page, 'patients page, asking before deactivating an account');
      await item.getByRole('button', { name: 'Yes, deactivate' }).click();
      await item.getByRole('status').filter({ hasText: 'The account of Rosa Díaz-Luna is deactivated.' }).waitFor({ timeout: WAIT });
      assert.equal((await admin.call('patients.get', { params: { id: created.id } })).status, 'deactivated');
      assert.equal(await refusedWith(client.call('threads.list')), 401);
      await item.getByRole('button', { name: 'Reactivate the account of Rosa Díaz-Luna' }).click();
      await item.getByRole('status').filter({ hasText: 'Rosa Díaz-Luna can sign in again.' }).waitFor({ timeout: WAIT });
      await apiSignIn(env.server, practice.slug, 'rosa.diaz@example.test', password);
      assert.ok(urls.every((u) => !u.includes('Rosa') && !u.includes('R%C3%B3sa')), 'no name in any request address');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('a provider gets no admin page, and the API refuses them', async () => {
    const problems: string[] = [];
    const { context, page } = await newContext(problems);
    try {
      await signIn(page, practice.provider.email, practice.provider.password);
      await page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor({ timeout: WAIT });
      assert.equal(await page.getByRole('link', { name: 'Practice settings' }).count(), 0, 'no settings link for a provider');
      for (const url of ['/staff/admin', '/staff/admin/people', '/staff/admin/routing']) {
        await page.goto(url);
        await page.getByRole('heading', { level: 1, name: 'You do not have access to this page' }).waitFor({ timeout: WAIT });
        assert.equal(await page.getByRole('navigation', { name: 'Settings', exact: true }).count(), 0);
        assert.equal(await page.getByRole('button', { name: 'Create the account' }).count(), 0);
      }
      await axe(page, 'the admin page refused to a provider');
      await shot(page, 'admin-not-allowed');
      const provider = practice.provider.client;
      assert.equal(await refusedWith(provider.call('users.list')), 403);
      assert.equal(await refusedWith(provider.call('users.create', { body: { role: 'admin', email: 'sneaky@adminpeople.test', name: 'Sneaky' } })), 403);
      assert.equal(await refusedWith(provider.call('users.update', { params: { id: practice.provider.id }, body: { role: 'admin' } })), 403);
      assert.equal(await refusedWith(provider.call('departments.create', { body: { name: 'Sneaky' } })), 403);
      assert.equal(await refusedWith(provider.call('routing.rules.replace', { body: { rules: [] } })), 403);
      assert.equal(await refusedWith(provider.call('messagingRollout.update', { body: { mode: 'everyone' } })), 403);
      assert.equal((await practice.admin.client.call('users.get', { params: { id: practice.provider.id } })).role, 'provider');

      // A patient opening the admin address lands in the patient app.
      const patient = await newContext(problems);
      await signIn(patient.page, practice.patientA.email, practice.patientA.password);
      await patient.page.getByRole('heading', { level: 1, name: 'Your messages' }).waitFor({ timeout: WAIT });
      await patient.page.goto('/staff/admin');
      await patient.page.getByRole('heading', { level: 1, name: 'Your messages' }).waitFor({ timeout: WAIT });
      assert.equal(await patient.page.getByRole('navigation', { name: 'Settings', exact: true }).count(), 0);
      await patient.context.close();
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});
