// Browser tests of the operations settings (issue #5, "Settings for admins"), against the real Haven server (see
// support.ts): an admin sets business hours and a holiday, schedules an on-call shift and sees it as current,
// creates and edits a template that then appears in the staff composer's picker, sets a response-time target and the
// automatic replies, records time away with a cover; a provider is refused the admin pages (and the API refuses
// them) but manages their own availability and templates. API errors appear next to their field; axe runs on every
// page and state.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { createPractice, rejects, uuid, type Practice } from '../../server/test/harness.js';
import * as e2e from './support.js';
import { axe, shot, WAIT } from './support.js';

let env: e2e.E2E;
let practice: Practice;

const newContext = (problems: string[]) => e2e.newContext(env, problems);

/** Signs in and waits for the start page (the inbox for staff). */
async function signIn(page: Page, email: string, password: string): Promise<void> {
  await e2e.signIn(page, practice.slug, email, password);
  await page.waitForURL(/\/staff\//, { timeout: WAIT });
}

/** Opens a page of the area and waits for its heading. */
async function open(page: Page, url: string, heading: string): Promise<void> {
  await page.goto(url);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor({ timeout: WAIT });
}

/** A `datetime-local` value in this machine's time zone (the browser's: same machine). */
function local(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

const saved = (where: Page | Locator) => where.getByRole('status').filter({ hasText: 'Saved.' }).first().waitFor({ timeout: WAIT });

describe('operations settings in Chromium', { timeout: 400_000 }, () => {
  before(async () => {
    env = await e2e.startE2E();
    practice = await createPractice(env.server, 'webops');
  });
  after(async () => {
    await env?.browser.close();
    await env?.server.stop();
  });

  test('an admin sets hours, a holiday, on call, a template, a response time, automatic replies and cover', async () => {
    const problems: string[] = [];
    const admin = await newContext(problems);
    const nurse = await newContext(problems);
    const page = admin.page;
    try {
      await signIn(page, practice.admin.email, practice.admin.password);
      // Admins start in the practice settings; its navigation lists every page of this area too.
      await page.getByRole('heading', { level: 1, name: 'Practice settings' }).waitFor({ timeout: WAIT });
      const settingsNav = page.getByRole('navigation', { name: 'Settings', exact: true });
      for (const name of ['Business hours', 'Holidays', 'Out of office and cover', 'On call', 'Automatic replies', 'Templates', 'Response times', 'Crisis words']) {
        await settingsNav.getByRole('link', { name: new RegExp(`^${name}`) }).waitFor({ timeout: WAIT });
      }
      await axe(page, 'operations settings index');
      await shot(page, 'admin-operations-index');

      // ---- business hours: an unknown time zone and an empty interval are refused at their field; then saved.
      await settingsNav.getByRole('link', { name: /^Business hours/ }).click();
      await page.getByRole('heading', { level: 1, name: 'Business hours' }).waitFor({ timeout: WAIT });
      await page.locator('#org-tz').fill('Mars/Olympus_Mons');
      await page.getByRole('button', { name: 'Save business hours' }).click();
      const tzError = page.locator('#org-tz-error');
      await tzError.waitFor({ timeout: WAIT });
      assert.equal(await page.locator('#org-tz').getAttribute('aria-invalid'), 'true');
      await page.locator('#org-tz').fill('America/New_York');
      // Monday 08:00–18:00 (first given as 08:00–08:00: refused at Monday's row), Saturday and Sunday closed.
      const monday = page.getByTestId('hours-org-hours-mon');
      await monday.getByLabel('Opens (period 1)').fill('08:00');
      await monday.getByLabel('Closes (period 1)').fill('08:00');
      for (const day of ['sat', 'sun']) {
        const box = page.getByTestId(`hours-org-hours-${day}`);
        while ((await box.getByRole('button', { name: /^Remove period/ }).count()) > 0) await box.getByRole('button', { name: /^Remove period/ }).first().click();
        await box.getByText('Closed').waitFor({ timeout: WAIT });
      }
      await page.getByRole('button', { name: 'Save business hours' }).click();
      await page.locator('#org-hours-mon-0-error').waitFor({ timeout: WAIT });
      assert.equal(await tzError.count(), 0, 'the time zone is accepted now');
      assert.equal(await monday.getByLabel('Closes (period 1)').getAttribute('aria-invalid'), 'true');
      assert.equal(await page.locator('#org-tz').inputValue(), 'America/New_York', 'nothing typed is lost');
      await axe(page, 'business hours with an error at its field');
      await monday.getByLabel('Closes (period 1)').fill('18:00');
      await page.getByRole('button', { name: 'Save business hours' }).click();
      await saved(page);
      const hours = await practice.admin.client.call('availability.hours.get');
      assert.equal(hours.timeZone, 'America/New_York');
      assert.deepEqual(hours.weeklyHours.mon, [{ start: '08:00', end: '18:00' }]);
      assert.deepEqual(hours.weeklyHours.sat, []);
      // A department with its own hours.
      await page.getByLabel('Department', { exact: true }).selectOption({ label: 'Family Medicine' });
      await page.getByLabel('This department has its own hours').check();
      await page.getByTestId('hours-dept-hours-fri').getByRole('button', { name: /^Remove period/ }).first().click();
      await page.getByRole('button', { name: 'Save department hours' }).click();
      await saved(page.getByRole('region', { name: 'A department' }));
      const dept = await practice.admin.client.call('availability.departmentHours.get', { params: { departmentId: practice.dept.id } });
      assert.equal(dept.inherited.weeklyHours, false);
      assert.deepEqual(dept.weeklyHours.fri, []);
      await axe(page, 'business hours with a department');
      await shot(page, 'admin-operations-hours');

      // ---- holidays: add one (closed all day), a second on the same date is refused, remove another after asking.
      await open(page, '/staff/admin/holidays', 'Holidays');
      await page.getByText('No holidays yet.').waitFor({ timeout: WAIT });
      const year = new Date().getFullYear() + 1;
      await page.getByLabel('Date').fill(`${year}-01-01`);
      await page.getByLabel('Name', { exact: true }).fill('New Year’s Day');
      await page.getByRole('button', { name: 'Add holiday' }).click();
      await page.getByTestId('holiday').filter({ hasText: 'New Year’s Day' }).waitFor({ timeout: WAIT });
      await page.getByLabel('Date').fill(`${year}-01-01`);
      await page.getByLabel('Name', { exact: true }).fill('Again');
      await page.getByRole('button', { name: 'Add holiday' }).click();
      await page.getByRole('alert').filter({ hasText: 'clashes' }).waitFor({ timeout: WAIT });
      await page.getByLabel('Date').fill(`${year}-12-24`);
      await page.getByLabel('Name', { exact: true }).fill('Christmas Eve');
      await page.getByLabel('Open with special hours').check();
      await page.getByRole('button', { name: 'Add holiday' }).click();
      const eve = page.getByTestId('holiday').filter({ hasText: 'Christmas Eve' });
      await eve.getByText('Open 09:00–12:00').waitFor({ timeout: WAIT });
      await axe(page, 'holidays with the list');
      await shot(page, 'admin-operations-holidays');
      await eve.getByRole('button', { name: 'Remove Christmas Eve' }).click();
      await eve.getByText('Remove the holiday “Christmas Eve”?').waitFor({ timeout: WAIT });
      await axe(page, 'holidays asking before removing');
      await eve.getByRole('button', { name: 'Yes, remove' }).click();
      await eve.waitFor({ state: 'detached', timeout: WAIT });
      await page.waitForFunction(() => document.activeElement?.id === 'holiday-list-title', null, { timeout: WAIT });
      const holidays = await practice.admin.client.call('availability.holidays.list', { query: {} });
      assert.deepEqual(holidays.items.map((h) => [h.date, h.name, h.hours]), [[`${year}-01-01`, 'New Year’s Day', []]]);

      // ---- on call: an end before the start is refused at its field; a shift running now is shown as current.
      await open(page, '/staff/admin/on-call', 'On call');
      await page.getByText('Nobody is on call right now.').waitFor({ timeout: WAIT });
      const now = Date.now();
      await page.getByLabel('Who is on call').selectOption({ label: `Dr A ${practice.slug}` });
      await page.getByLabel('Starts').fill(local(new Date(now - 60 * 60_000)));
      await page.getByLabel('Ends').fill(local(new Date(now - 2 * 60 * 60_000)));
      await page.getByRole('button', { name: 'Schedule shift' }).click();
      await page.locator('#shift-until-error').waitFor({ timeout: WAIT });
      await axe(page, 'on call with an error at its field');
      await page.getByLabel('Ends').fill(local(new Date(now + 8 * 60 * 60_000)));
      await page.getByRole('button', { name: 'Schedule shift' }).click();
      await page.getByTestId('on-call-now').getByText(`Dr A ${practice.slug}`).waitFor({ timeout: WAIT });
      const current = await practice.admin.client.call('onCall.current', { query: {} });
      assert.deepEqual(current.items.map((c) => c.userId), [practice.provider.id]);
      // Live: a shift scheduled elsewhere appears without a reload.
      await practice.admin.client.call('onCall.shifts.create', {
        body: { userId: practice.nurse.id, departmentId: practice.dept.id, startsAt: new Date(now + 24 * 3600_000).toISOString(), endsAt: new Date(now + 32 * 3600_000).toISOString() },
      });
      await page.getByTestId('shift').filter({ hasText: `Nurse A ${practice.slug}` }).waitFor({ timeout: WAIT });
      await axe(page, 'on call with the current shift');
      await shot(page, 'admin-operations-on-call');

      // ---- templates: an unknown variable is refused at the text; created; edited; the nurse's picker offers it.
      await open(page, '/staff/admin/templates', 'Templates');
      await page.getByRole('heading', { level: 2, name: 'New template' }).waitFor({ timeout: WAIT });
      // The practice's phone number for {practice.phone}: a wrong one is refused at its field.
      await page.getByLabel('Phone number', { exact: true }).fill('call us!');
      await page.getByRole('button', { name: 'Save phone number' }).click();
      await page.locator('#practice-phone-error').waitFor({ timeout: WAIT });
      await page.getByLabel('Phone number', { exact: true }).fill('+1 (555) 010-0100');
      await page.getByRole('button', { name: 'Save phone number' }).click();
      await saved(page.getByRole('region', { name: 'Practice phone number' }));
      assert.equal((await practice.admin.client.call('organization.get')).practicePhone, '+1 (555) 010-0100');
      await page.getByLabel('Name', { exact: true }).fill('Results are in');
      await page.getByLabel('Text', { exact: true }).fill('Hi {patient.firstName}, your results are in. {patient.favouriteColour}');
      await page.getByRole('button', { name: 'Create template' }).click();
      await page.locator('#template-body-error').getByText('unknown variable {patient.favouriteColour}').waitFor({ timeout: WAIT });
      await axe(page, 'templates with an error at the text');
      await page.getByLabel('Text', { exact: true }).fill('Hi {patient.firstName}, your results are in.');
      await page.getByText('Variables you can use').click();
      await page.getByRole('button', { name: 'Insert {staff.name}' }).click();
      await page.getByRole('button', { name: 'Create template' }).click();
      await page.getByTestId('template-notice').getByText('“Results are in” is saved.').waitFor({ timeout: WAIT });
      const item = page.getByTestId('template').filter({ hasText: 'Results are in' });
      await item.getByRole('button', { name: 'Edit Results are in' }).click();
      await page.getByRole('heading', { level: 2, name: 'Edit “Results are in”' }).waitFor({ timeout: WAIT });
      const edited = 'Hi {patient.firstName}, your test results are in. Please call us to talk them over. {staff.name}';
      await page.getByLabel('Text', { exact: true }).fill(edited);
      await page.getByLabel('Offered for').selectOption('test_results');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await item.getByText('your test results are in').waitFor({ timeout: WAIT });
      await axe(page, 'templates after an edit');
      await shot(page, 'admin-operations-templates');
      const templates = await practice.admin.client.call('templates.list', { query: { scope: 'organization' } });
      const mine = templates.items.find((x) => x.name === 'Results are in');
      assert.equal(mine?.body, edited);
      assert.equal(mine?.topic, 'test_results');
      // The nurse answers a test-results question: the composer's picker offers the edited template.
      const thread = await practice.patientA.client.call('threads.create', { body: { subject: 'My blood test', topic: 'test_results' } });
      await practice.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'Are my results back?' } });
      await signIn(nurse.page, practice.nurse.email, practice.nurse.password);
      await nurse.page.goto(`/staff/threads/${thread.id}`);
      await nurse.page.getByRole('heading', { level: 1, name: 'My blood test' }).waitFor({ timeout: WAIT });
      await nurse.page.getByRole('button', { name: 'Templates and quick replies' }).click();
      const offered = nurse.page.getByTestId('template-picker').getByRole('button', { name: /Results are in/ });
      await offered.getByText('your test results are in').waitFor({ timeout: WAIT });
      await offered.click();
      const filled = `Hi Patient, your test results are in. Please call us to talk them over. Nurse A ${practice.slug}`;
      await nurse.page.waitForFunction((text) => (document.activeElement as HTMLTextAreaElement | null)?.value === text, filled, { timeout: WAIT });
      assert.equal(await nurse.page.getByLabel('Write a message').inputValue(), filled);
      await axe(nurse.page, 'the staff composer with the practice template filled in');
      // Archived (asked first), it is no longer offered.
      await item.getByRole('button', { name: 'Archive Results are in' }).click();
      await item.getByRole('button', { name: 'Yes, archive' }).click();
      await item.waitFor({ state: 'detached', timeout: WAIT });
      assert.equal((await practice.admin.client.call('templates.get', { params: { templateId: mine!.id } })).archived, true);

      // ---- response times: a reminder not before the due time is refused at its target; then saved.
      await open(page, '/staff/admin/sla', 'Response times');
      await page.getByRole('button', { name: 'Add a target' }).click();
      const target = page.getByTestId('sla-target').last();
      await target.getByLabel('Topic').selectOption('test_results');
      await target.getByLabel('Priority').selectOption('urgent');
      await target.getByLabel('Answer within (minutes)').fill('30');
      await target.getByLabel('Remind this many minutes before (optional)').fill('45');
      await page.getByRole('button', { name: 'Save response times' }).click();
      await target.getByText('must be less than responseMinutes').waitFor({ timeout: WAIT });
      assert.equal(await target.getByLabel('Remind this many minutes before (optional)').getAttribute('aria-invalid'), 'true');
      await axe(page, 'response times with an error at its target');
      await target.getByLabel('Remind this many minutes before (optional)').fill('10');
      await page.getByRole('button', { name: 'Save response times' }).click();
      await saved(page);
      const sla = await practice.admin.client.call('sla.targets.get');
      assert.ok(sla.targets.some((x) => x.topic === 'test_results' && x.priority === 'urgent' && x.responseMinutes === 30 && x.remindBeforeMinutes === 10), JSON.stringify(sla.targets));
      await shot(page, 'admin-operations-sla');

      // ---- automatic replies: an empty emergency number is refused at its field; the rest stays; then saved.
      await open(page, '/staff/admin/auto-responses', 'Automatic replies');
      const guidance = 'If it cannot wait, call the practice on +1 555 0100, or 911 in an emergency.';
      await page.getByLabel('Urgent guidance').fill(guidance);
      await page.getByRole('button', { name: 'Add a resource' }).click();
      const n = await page.getByTestId('crisis-resource').count();
      await page.getByLabel(`Name of resource ${n}`).fill('Crisis Text Line');
      await page.getByLabel(`Phone or address of resource ${n}`).fill('Text HOME to 741741');
      await page.getByLabel('Emergency number').fill('');
      await page.getByRole('button', { name: 'Save automatic replies' }).click();
      await page.locator('#emergency-number-error').waitFor({ timeout: WAIT });
      assert.equal(await page.getByLabel('Urgent guidance').inputValue(), guidance, 'nothing typed is lost');
      await axe(page, 'automatic replies with an error at its field');
      await page.getByLabel('Emergency number').fill('911');
      await page.getByRole('button', { name: 'Save automatic replies' }).click();
      await saved(page);
      const settings = await practice.admin.client.call('workflow.settings.get');
      assert.equal(settings.urgentGuidance, guidance);
      assert.ok(settings.crisisResources.some((r) => r.name === 'Crisis Text Line' && r.contact === 'Text HOME to 741741'));
      await shot(page, 'admin-operations-auto-responses');

      // ---- out of office and cover: the nurse is away, Dr A covers.
      await open(page, '/staff/admin/availability', 'Out of office and cover');
      await page.getByTestId('staff-status').getByRole('button', { name: `Manage Nurse A ${practice.slug}` }).click();
      await page.getByRole('heading', { level: 2, name: `Nurse A ${practice.slug}` }).waitFor({ timeout: WAIT });
      await page.getByLabel('From', { exact: true }).fill(local(new Date(now - 30 * 60_000)));
      await page.getByLabel('Until', { exact: true }).fill(local(new Date(now + 3 * 24 * 3600_000)));
      await page.getByLabel('Who covers', { exact: true }).selectOption({ label: `Dr A ${practice.slug}` });
      await page.getByRole('button', { name: 'Save time away' }).click();
      await page.getByTestId('away').getByText(`Covered by: Dr A ${practice.slug}`).waitFor({ timeout: WAIT });
      await page.getByTestId('staff-status').getByRole('row', { name: new RegExp(`Nurse A ${practice.slug}`) }).getByText('Out of office').waitFor({ timeout: WAIT });
      const away = await practice.admin.client.call('availability.staff.get', { params: { userId: practice.nurse.id } });
      assert.equal(away.outOfOffice.length, 1);
      assert.equal(away.outOfOffice[0]!.coverUserId, practice.provider.id);
      // Another colleague takes over the cover.
      await page.getByTestId('away').getByLabel('Change who covers').selectOption({ label: `Dr B ${practice.slug}` });
      await page.getByTestId('away').getByRole('button', { name: 'Save cover' }).click();
      await page.getByTestId('away').getByText(`Covered by: Dr B ${practice.slug}`).waitFor({ timeout: WAIT });
      const changed = await practice.admin.client.call('availability.staff.get', { params: { userId: practice.nurse.id } });
      assert.equal(changed.outOfOffice[0]!.coverUserId, practice.otherProvider.id);
      await axe(page, 'out of office and cover');
      await shot(page, 'admin-operations-availability');

      // ---- crisis words: what is in force, and a sample checked without saving it.
      await open(page, '/staff/admin/crisis-lexicon', 'Crisis words');
      await page.getByTestId('lexicon-status').waitFor({ timeout: WAIT });
      await page.getByLabel('Sentence to check').fill('I have crushing chest pain right now');
      await page.getByRole('button', { name: 'Check with the list in force' }).click();
      await page.getByTestId('lexicon-check').getByText(/^Match: chest pain/).waitFor({ timeout: WAIT });
      // A rule of the practice's own: tried before saving, then saved as revision 1.
      await page.getByLabel('Changes (JSON)').fill('{ "add": ');
      await page.getByRole('button', { name: 'Save a new revision' }).click();
      await page.locator('#lexicon-json-error').getByText('This is not valid JSON').waitFor({ timeout: WAIT });
      assert.equal((await practice.admin.client.call('safety.lexicon.get')).revision, 0, 'nothing saved');
      await page.getByLabel('Changes (JSON)').fill(JSON.stringify({ add: { chest_pain: [{ id: 'org.chest_tight', phrase: 'chest (feels|is) tight' }] } }, null, 2));
      await page.getByLabel('Sentence to check').fill('Since this morning my chest feels tight');
      await page.getByRole('button', { name: 'Check with the changes below' }).click();
      await page.getByTestId('lexicon-check').getByText(/org\.chest_tight/).waitFor({ timeout: WAIT });
      await page.getByRole('button', { name: 'Save a new revision' }).click();
      await saved(page);
      await page.getByTestId('lexicon-status').getByText('Haven’s standard list with the practice’s changes').waitFor({ timeout: WAIT });
      const lexicon = await practice.admin.client.call('safety.lexicon.get');
      assert.equal(lexicon.revision, 1);
      assert.equal(lexicon.status, 'merged');
      assert.deepEqual(lexicon.overrides?.add?.chest_pain?.map((r) => r.id), ['org.chest_tight']);
      await axe(page, 'crisis words with a checked sentence');
      await shot(page, 'admin-operations-crisis-lexicon');

      // 200 % zoom (a 640 px wide window): every page reflows, nothing scrolls sideways.
      await page.setViewportSize({ width: 640, height: 900 });
      for (const [url, title] of [
        ['/staff/admin/hours', 'Business hours'],
        ['/staff/admin/on-call', 'On call'],
        ['/staff/admin/availability', 'Out of office and cover'],
        ['/staff/admin/sla', 'Response times'],
        ['/staff/admin/templates', 'Templates'],
      ] as const) {
        await open(page, url, title);
        await page.getByRole('button').last().waitFor({ timeout: WAIT });
        assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${url} scrolls sideways at 640 px`);
      }
      await page.setViewportSize({ width: 1280, height: 900 });

      // Spanish: the same pages in the reader's language.
      await page.getByLabel('Language').selectOption('es');
      await page.getByRole('heading', { level: 1, name: 'Plantillas' }).waitFor({ timeout: WAIT });
      await page.getByRole('button', { name: 'Crear plantilla' }).waitFor({ timeout: WAIT });
      await axe(page, 'templates in Spanish');
      await page.getByLabel('Idioma').selectOption('en');

      assert.deepEqual(problems, []);
    } finally {
      await admin.context.close();
      await nurse.context.close();
    }
  });

  test('a provider is refused the admin pages, and manages their own availability and templates', async () => {
    const problems: string[] = [];
    const provider = await newContext(problems);
    const patient = await newContext(problems);
    const page = provider.page;
    try {
      await signIn(page, practice.otherProvider.email, practice.otherProvider.password);
      for (const [url, title] of [
        ['/staff/admin/hours', 'Business hours'],
        ['/staff/admin/on-call', 'On call'],
        ['/staff/admin/templates', 'Templates'],
      ] as const) {
        await open(page, url, 'You cannot open this page');
        assert.equal(await page.getByRole('heading', { name: title, exact: true }).count(), 0, `${url}: no admin page`);
        assert.equal(await page.getByRole('button', { name: /^Save/ }).count(), 0);
      }
      await axe(page, 'the not-allowed page');
      await shot(page, 'admin-operations-not-allowed');
      // The API refuses them too.
      await rejects(practice.otherProvider.client.call('availability.hours.update', { body: { timeZone: 'UTC', weeklyHours: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] } } }), 403);
      await rejects(practice.otherProvider.client.call('onCall.shifts.create', { body: { userId: practice.otherProvider.id, startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 3600_000).toISOString() } }), 403);
      await rejects(practice.otherProvider.client.call('sla.targets.replace', { body: { targets: [] } }), 403);
      await rejects(practice.otherProvider.client.call('workflow.settings.update', { body: { emergencyNumber: '112' } }), 403);
      await rejects(practice.otherProvider.client.call('templates.create', { body: { scope: 'organization', name: 'X', body: 'Y' } }), 403);

      // Their own availability, from the header: time away with a colleague covering.
      await page.getByRole('link', { name: 'My availability' }).click();
      await page.getByRole('heading', { level: 1, name: 'My availability' }).waitFor({ timeout: WAIT });
      await page.getByText('You have no time away planned.').waitFor({ timeout: WAIT });
      const start = new Date(Date.now() + 7 * 24 * 3600_000);
      await page.getByLabel('From', { exact: true }).fill(local(start));
      await page.getByLabel('Until', { exact: true }).fill(local(new Date(start.getTime() + 2 * 24 * 3600_000)));
      await page.getByLabel('Who covers', { exact: true }).selectOption({ label: `Dr A ${practice.slug}` });
      await page.getByRole('button', { name: 'Save time away' }).click();
      await page.getByTestId('away').getByText(`Covered by: Dr A ${practice.slug}`).waitFor({ timeout: WAIT });
      const mineAway = await practice.otherProvider.client.call('availability.staff.get', { params: { userId: practice.otherProvider.id } });
      assert.equal(mineAway.outOfOffice[0]?.coverUserId, practice.provider.id);
      // Providers choose whether patients may write to them directly.
      assert.equal(await page.getByLabel('Patients may write to me directly').isChecked(), false);
      await page.getByLabel('Patients may write to me directly').check();
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await saved(page.getByRole('region', { name: 'Messages addressed to you' }));
      assert.deepEqual(await practice.otherProvider.client.call('workflow.directMessages.get'), { acceptsDirectMessages: true });
      await axe(page, 'my availability');
      await shot(page, 'my-availability');
      // Someone else's is refused by the API.
      await rejects(practice.otherProvider.client.call('availability.outOfOffice.create', { params: { userId: practice.nurse.id }, body: { startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3600_000).toISOString() } }), 403);

      // Their own templates: personal, seen by them only.
      await page.getByRole('link', { name: 'My templates' }).click();
      await page.getByRole('heading', { level: 1, name: 'My templates' }).waitFor({ timeout: WAIT });
      await page.getByLabel('Name', { exact: true }).fill('Back next week');
      await page.getByLabel('Quick reply (short, one tap)').check();
      await page.getByLabel('Text', { exact: true }).fill('Thanks, {patient.firstName}. I will answer when I am back next week.');
      await page.getByRole('button', { name: 'Create template' }).click();
      await page.getByTestId('template').filter({ hasText: 'Back next week' }).waitFor({ timeout: WAIT });
      await axe(page, 'my templates');
      const personal = await practice.otherProvider.client.call('templates.list', { query: { scope: 'personal' } });
      assert.deepEqual(personal.items.map((x) => [x.name, x.kind, x.scope]), [['Back next week', 'quick_reply', 'personal']]);
      const others = await practice.provider.client.call('templates.list', { query: {} });
      assert.equal(others.items.some((x) => x.name === 'Back next week'), false, 'a personal template is its owner’s alone');

      // A patient who opens an admin URL gets the patient app.
      await e2e.signIn(patient.page, practice.slug, practice.patientA.email, practice.patientA.password);
      await patient.page.waitForURL(/\/messages/, { timeout: WAIT });
      await patient.page.goto('/staff/admin/hours');
      await patient.page.waitForURL(/\/messages$/, { timeout: WAIT });
      assert.equal(await patient.page.getByRole('heading', { name: 'Business hours' }).count(), 0);

      assert.deepEqual(problems, []);
    } finally {
      await provider.context.close();
      await patient.context.close();
    }
  });
});
