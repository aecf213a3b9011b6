// Browser tests of the care stories of issue #5, against the real Haven server (see support.ts): each story with
// the people in it in their own browser contexts at once, and axe-core on every new state.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { addStaff, createPractice, uuid, type Practice } from '../../server/test/harness.js';
import { ManualClock } from '../../server/src/platform/time/clock.js';
import * as e2e from './support.js';
import { axe, shot, storedText, WAIT } from './support.js';

let env: e2e.E2E;
let practice: Practice;

const newContext = (problems: string[]) => e2e.newContext(env, problems);
const signIn = (page: Page, email: string, password: string) => e2e.signIn(page, practice.slug, email, password);

/** Signs in and opens one thread, waiting for the live connection. */
async function openThread(page: Page, email: string, password: string, url: string, subject: string): Promise<void> {
  await signIn(page, email, password);
  await page.getByRole('heading', { level: 1, name: /^(Inbox|Your messages)$/ }).waitFor({ timeout: WAIT });
  await page.goto(url);
  await page.getByRole('heading', { level: 1, name: subject }).waitFor({ timeout: WAIT });
  await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor({ timeout: WAIT });
}

describe('care stories in Chromium', { timeout: 280_000 }, () => {
  before(async () => {
    env = await e2e.startE2E();
    practice = await createPractice(env.server, 'webstories');
    await e2e.acceptMessagingPolicy(practice.patientA, practice.patientB);
  });
  after(async () => {
    await env?.browser.close();
    await env?.server.stop();
  });

  test('edit and retract, as both sides see them', async () => {
    const problems: string[] = [];
    const patient = await newContext(problems);
    const staff = await newContext(problems);
    const subject = 'Blood pressure readings';
    const question = 'My readings were 150 over 95 this morning.';
    const questionFixed = 'My readings were 135 over 85 this morning, sorry.';
    const answer = 'Please take it again tonight and tell us the numbers.';
    const answerFixed = 'Please take it again tonight, sitting down, and tell us the numbers.';
    const wrong = 'Your lab results for Mr Smith are ready.';
    try {
      const thread = await practice.patientA.client.call('threads.create', { body: { subject, topic: 'clinical_question' } });
      await practice.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: question } });
      await openThread(staff.page, practice.nurse.email, practice.nurse.password, `/staff/threads/${thread.id}`, subject);
      await openThread(patient.page, practice.patientA.email, practice.patientA.password, `/messages/${thread.id}`, subject);
      await patient.page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));

      // Staff answer, then correct the answer: the patient sees the new text live, marked edited.
      await staff.page.getByLabel('Write a message').fill(answer);
      await staff.page.getByRole('button', { name: 'Send', exact: true }).click();
      const staffAnswer = staff.page.getByTestId('message').filter({ hasText: answer });
      await staffAnswer.waitFor({ timeout: WAIT });
      await patient.page.getByTestId('message').filter({ hasText: answer }).waitFor({ timeout: WAIT });
      await staffAnswer.getByRole('button', { name: 'Edit' }).click();
      await axe(staff.page, 'staff thread page, editing a message');
      const editBox = staff.page.getByLabel('Change your message');
      await editBox.fill(answerFixed);
      await staff.page.getByRole('button', { name: 'Save changes' }).click();
      const staffFixed = staff.page.getByTestId('message').filter({ hasText: answerFixed });
      await staffFixed.getByText('(edited)').waitFor({ timeout: WAIT });
      const patientFixed = patient.page.getByTestId('message').filter({ hasText: answerFixed });
      await patientFixed.getByText('(edited)').waitFor({ timeout: WAIT });
      assert.equal(await patient.page.getByText(answer, { exact: true }).count(), 0, 'the old text is gone for the patient');
      // Patients never get the earlier versions; staff do.
      assert.equal(await patientFixed.getByRole('button', { name: 'Show earlier versions' }).count(), 0);
      await staffFixed.getByRole('button', { name: 'Show earlier versions' }).click();
      const versions = staffFixed.getByTestId('message-versions');
      await versions.getByText(answer, { exact: true }).waitFor({ timeout: WAIT });
      await versions.getByText('Version 1').waitFor({ timeout: WAIT });
      await versions.getByText('Version 2').waitFor({ timeout: WAIT });
      await axe(staff.page, 'staff thread page with earlier versions');
      await shot(staff.page, 'staff-message-versions');

      // The patient corrects their own message: staff see it live, marked edited. Patients cannot retract.
      const patientQuestion = patient.page.getByTestId('message').filter({ hasText: question });
      assert.equal(await patientQuestion.getByRole('button', { name: 'Retract' }).count(), 0, 'patients cannot retract');
      await patientQuestion.getByRole('button', { name: 'Edit' }).click();
      await axe(patient.page, 'patient thread page, editing a message');
      await patient.page.getByLabel('Change your message').fill(questionFixed);
      await patient.page.getByRole('button', { name: 'Save changes' }).click();
      await patient.page.getByTestId('message').filter({ hasText: questionFixed }).getByText('(edited)').waitFor({ timeout: WAIT });
      await staff.page.getByTestId('message').filter({ hasText: questionFixed }).getByText('(edited)').waitFor({ timeout: WAIT });
      // Nobody edits someone else's message.
      assert.equal(await staff.page.getByTestId('message').filter({ hasText: questionFixed }).getByRole('button', { name: 'Edit' }).count(), 0);
      assert.equal(await patientFixed.getByRole('button', { name: 'Edit' }).count(), 0);

      // A message sent to the wrong patient: staff retract it (asked first, in the page). It leaves the patient's
      // history live; staff keep it, marked retracted.
      await staff.page.getByLabel('Write a message').fill(wrong);
      await staff.page.getByRole('button', { name: 'Send', exact: true }).click();
      const staffWrong = staff.page.getByTestId('message').filter({ hasText: wrong });
      await staffWrong.waitFor({ timeout: WAIT });
      await patient.page.getByTestId('message').filter({ hasText: wrong }).waitFor({ timeout: WAIT });
      await staffWrong.getByRole('button', { name: 'Retract' }).click();
      await staffWrong.getByText(/The patient will no longer see it/).waitFor({ timeout: WAIT });
      await axe(staff.page, 'staff thread page, confirming a retraction');
      await staffWrong.getByRole('button', { name: 'Yes, retract it' }).click();
      await staff.page.getByTestId('message').filter({ hasText: 'Retracted: the patient no longer sees this message.' }).waitFor({ timeout: WAIT });
      await patient.page.getByText(wrong).waitFor({ state: 'detached', timeout: WAIT });
      assert.equal(await patient.page.getByText(wrong).count(), 0, 'the retracted text is gone for the patient');
      assert.equal(await patient.page.evaluate(() => document.body.innerText.includes('Mr Smith')), false);
      assert.equal(await patient.page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload), true, 'the page was not reloaded');
      await axe(staff.page, 'staff thread page with a retracted message');
      await axe(patient.page, 'patient thread page after edits and a retraction');
      await shot(staff.page, 'staff-thread-retracted');

      // Still gone after a reload; no message text in storage or in any URL.
      await patient.page.reload();
      await patient.page.getByTestId('message').filter({ hasText: answerFixed }).waitFor({ timeout: WAIT });
      assert.equal(await patient.page.getByText(wrong).count(), 0);
      for (const p of [patient, staff]) {
        const stored = await storedText(p.page);
        for (const secret of [question, questionFixed, answer, answerFixed, wrong]) assert.ok(!stored.includes(secret), 'storage holds message text');
        for (const url of p.urls) for (const secret of [question, answer, wrong, subject]) assert.ok(!decodeURIComponent(url).includes(secret), `a URL carries message text: ${url}`);
      }
      assert.deepEqual(problems, []);
    } finally {
      await patient.context.close();
      await staff.context.close();
    }
  });
  test('a routine question answered from a template: filled in for the patient, reviewed, sent, seen live', async () => {
    const problems: string[] = [];
    const patient = await newContext(problems);
    const staff = await newContext(problems);
    const subject = 'Refill for my inhaler';
    const question = 'Could you refill my inhaler, please?';
    const name = `Patient A ${practice.slug}`;
    try {
      // A personal template of the nurse, with variables the server fills in for the thread.
      await practice.nurse.client.call('templates.create', {
        body: { scope: 'personal', kind: 'template', name: 'Refill sent', topic: 'prescription_refill', body: 'Hi {patient.firstName}, the refill for {patient.name} is at your pharmacy. {staff.name}' },
      });
      await signIn(staff.page, practice.nurse.email, practice.nurse.password);
      await staff.page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor({ timeout: WAIT });
      await staff.page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor({ timeout: WAIT });

      // The patient asks.
      await signIn(patient.page, practice.patientA.email, practice.patientA.password);
      await patient.page.getByRole('heading', { level: 1, name: 'Your messages' }).waitFor({ timeout: WAIT });
      await patient.page.getByRole('link', { name: 'New message' }).click();
      await patient.page.getByLabel('Medicine refill').check();
      await patient.page.getByLabel('Subject').fill(subject);
      await patient.page.getByLabel('Your message').fill(question);
      await patient.page.getByRole('button', { name: 'Send message' }).click();
      await patient.page.getByTestId('message').filter({ hasText: question }).waitFor({ timeout: WAIT });
      await patient.page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor({ timeout: WAIT });

      // Staff: the question arrives live; the composer offers the quick replies and the templates for the topic.
      await staff.page.getByTestId('inbox-list').getByRole('link', { name: new RegExp(subject) }).click();
      await staff.page.getByRole('heading', { level: 1, name: subject }).waitFor({ timeout: WAIT });
      await staff.page.getByRole('button', { name: 'Templates and quick replies' }).click();
      const picker = staff.page.getByTestId('template-picker');
      await picker.getByRole('heading', { name: 'Quick replies' }).waitFor({ timeout: WAIT });
      await picker.getByRole('button', { name: /^Thanks/ }).waitFor({ timeout: WAIT });
      await axe(staff.page, 'staff thread page with templates open');
      await shot(staff.page, 'staff-thread-templates');
      await picker.getByRole('button', { name: /^Refill sent/ }).click();

      // Filled in for this thread and put into the composer for review: nothing is sent yet.
      const box = staff.page.getByLabel('Write a message');
      const filled = `Hi Patient, the refill for ${name} is at your pharmacy. Nurse A ${practice.slug}`;
      await staff.page.waitForFunction((text) => (document.activeElement as HTMLTextAreaElement | null)?.value === text, filled, { timeout: WAIT });
      assert.equal(await box.inputValue(), filled);
      assert.equal(await patient.page.getByText(filled).count(), 0, 'not sent before review');
      assert.equal(await staff.page.getByTestId('message').filter({ hasText: 'refill for' }).count(), 0);
      await box.fill(`${filled} Call us if it is not there tomorrow.`);
      await staff.page.getByRole('button', { name: 'Send', exact: true }).click();

      // The patient sees the personal answer live.
      const answer = patient.page.getByTestId('message').filter({ hasText: `the refill for ${name} is at your pharmacy` });
      await answer.waitFor({ timeout: WAIT });
      assert.match(await answer.innerText(), /Call us if it is not there tomorrow\./);
      assert.doesNotMatch(await answer.innerText(), /\{patient\./, 'no variable left unfilled');
      // Patients never get templates.
      assert.equal(await patient.page.getByTestId('template-picker').count(), 0);
      for (const url of [...patient.urls, ...staff.urls]) assert.ok(!decodeURIComponent(url).includes(name) && !decodeURIComponent(url).includes('refill for'), `a URL carries health information: ${url}`);
      assert.deepEqual(problems, []);
    } finally {
      await patient.context.close();
      await staff.context.close();
    }
  });
  test('an admin deactivates a staff member: the open dashboard signs out at once, by the event socket (4401) or by a 401', async () => {
    const problems: string[] = [];
    const subject = 'Dizzy after the new tablets';
    const question = 'I feel dizzy since I started the new tablets.';
    const thread = await practice.patientA.client.call('threads.create', { body: { subject, topic: 'clinical_question' } });
    await practice.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: question } });
    const admin = practice.admin.client;
    const leaving = await addStaff(env.server, practice.slug, admin, 'staff', `Nurse C ${practice.slug}`, practice.dept.id);
    const offline = await addStaff(env.server, practice.slug, admin, 'staff', `Nurse D ${practice.slug}`, practice.dept.id);
    for (const m of [leaving, offline]) await admin.call('careTeams.members.add', { params: { id: practice.teamA.id }, body: { userId: m.id } });

    /** After the session ended: the sign-in page with the plain message, and no message text left anywhere. */
    const signedOut = async (page: Page) => {
      await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor({ timeout: WAIT });
      await page.getByTestId('session-ended').getByText(/You have been signed out/).waitFor({ timeout: WAIT });
      const dom = await page.evaluate(() => document.documentElement.outerHTML);
      for (const secret of [subject, question, 'Patient A']) assert.ok(!dom.includes(secret), `the page still holds "${secret}"`);
      const stored = await storedText(page);
      for (const secret of [subject, question]) assert.ok(!stored.includes(secret), 'storage holds message text');
      assert.doesNotMatch(page.url(), /threads|inbox/);
      // Back does not bring the dashboard back.
      await page.goto(`/staff/threads/${thread.id}`);
      await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor({ timeout: WAIT });
      assert.equal(await page.getByText(question).count(), 0);
    };

    // 1. The event socket is open: the server closes it with 4401 when the account is deactivated.
    const first = await newContext(problems);
    const second = await newContext(problems);
    try {
      await signIn(first.page, leaving.email, leaving.password);
      await first.page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor({ timeout: WAIT });
      await first.page.goto(`/staff/threads/${thread.id}`);
      await first.page.getByTestId('message').filter({ hasText: question }).waitFor({ timeout: WAIT });
      await first.page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor({ timeout: WAIT });
      const started = Date.now();
      await admin.call('users.deactivate', { params: { id: leaving.id } });
      await first.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor({ timeout: 10_000 });
      assert.ok(Date.now() - started < 10_000, 'signed out within a few seconds');
      await axe(first.page, 'sign-in page after the session ended');
      await shot(first.page, 'sign-in-session-ended');
      await signedOut(first.page);

      // 2. No live connection (the socket is held open by the test and says nothing): the next API call answers 401.
      await second.page.routeWebSocket(/\/api\/v1\/events/, () => undefined);
      await signIn(second.page, offline.email, offline.password);
      await second.page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor({ timeout: WAIT });
      await second.page.goto(`/staff/threads/${thread.id}`);
      await second.page.getByTestId('message').filter({ hasText: question }).waitFor({ timeout: WAIT });
      // Everything the page loads by itself (the staff panel comes lazily) has loaded: the click below is the next call.
      await second.page.waitForLoadState('networkidle');
      await second.page.getByRole('heading', { name: 'Patient details' }).waitFor({ timeout: WAIT });
      await admin.call('users.deactivate', { params: { id: offline.id } });
      await second.page.getByRole('button', { name: 'Assign to me' }).click();
      await signedOut(second.page);
      assert.deepEqual(problems, []);
    } finally {
      await first.context.close();
      await second.context.close();
    }
  });
});

// "A patient writes at 20:47 on a Tuesday about not coping": the practice is closed (Haven's default hours,
// Mon–Fri 08:00–17:00 New York), Dr A is on call for the department tonight. A server of its own, on a clock
// stopped at that moment (the most recent such Tuesday, so the browser's cookies are not older than their age).
describe('the crisis story in Chromium', { timeout: 200_000 }, () => {
  const TUESDAY_2047 = '2026-12-02T01:47:00Z'; // Tuesday 1 December 2026, 20:47 in New York
  let crisisEnv: e2e.E2E;
  let p: Practice;
  before(async () => {
    crisisEnv = await e2e.startE2E({ clock: new ManualClock(TUESDAY_2047) });
    p = await createPractice(crisisEnv.server, 'webcrisis', { hours: 'default' });
    await e2e.acceptMessagingPolicy(p.patientA, p.patientB);
    await p.admin.client.call('onCall.shifts.create', { body: { departmentId: p.dept.id, userId: p.provider.id, startsAt: '2026-12-01T22:00:00Z', endsAt: '2026-12-02T13:00:00Z' } });
  });
  after(async () => {
    await crisisEnv?.browser.close();
    await crisisEnv?.server.stop();
  });

  test('the crisis reply at once, the on-call inbox shows the thread urgent and first, live; the answer reaches the patient live', async () => {
    const problems: string[] = [];
    const patient = await e2e.newContext(crisisEnv, problems);
    const onCall = await e2e.newContext(crisisEnv, problems);
    const subject = 'Tonight';
    const crisis = "I can't cope anymore. I don't want to be alive.";
    const answer = 'I am here with you. I am calling you right now.';
    try {
      // A routine conversation already waiting, so "first" means something.
      const routine = await p.patientA.client.call('threads.create', { body: { subject: 'Appointment next week', topic: 'scheduling' } });
      await p.patientA.client.call('messages.create', { params: { threadId: routine.id }, body: { id: uuid(), body: 'Can I move my appointment?' } });

      // Dr A, on call, has the inbox open on the urgent view.
      await e2e.signIn(onCall.page, p.slug, p.provider.email, p.provider.password);
      await onCall.page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor({ timeout: WAIT });
      await onCall.page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor({ timeout: WAIT });
      await onCall.page.getByRole('link', { name: /^Department/ }).click();

      // The patient writes.
      await e2e.signIn(patient.page, p.slug, p.patientA.email, p.patientA.password);
      await patient.page.getByRole('heading', { level: 1, name: 'Your messages' }).waitFor({ timeout: WAIT });
      await patient.page.getByRole('link', { name: 'New message', exact: true }).click();
      await patient.page.getByLabel('A question about my health').check();
      await patient.page.getByLabel('Subject').fill(subject);
      await patient.page.getByLabel('Your message').fill(crisis);
      await patient.page.getByRole('button', { name: 'Send message' }).click();
      await patient.page.getByTestId('message').filter({ hasText: crisis }).waitFor({ timeout: WAIT });

      // The crisis reply, from the practice's automatic sender, at once and without a reload.
      const reply = patient.page.locator('[data-testid="message"][data-sender-role="system"]');
      await reply.waitFor({ timeout: 10_000 });
      await reply.getByText('Automatic message from your practice').waitFor({ timeout: WAIT });
      assert.match(await reply.innerText(), /988/);
      assert.equal(await reply.count(), 1, 'one automatic reply (no off-hours reply on top)');
      await patient.page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
      await axe(patient.page, 'patient thread page with the crisis reply');
      await shot(patient.page, 'patient-crisis-reply');

      // On call: the alert, live; the thread urgent and first in the department view; the urgent count.
      const alert = onCall.page.getByTestId('safety-alert');
      await alert.getByText(/a patient may need help now/).waitFor({ timeout: WAIT });
      const rows = onCall.page.getByTestId('inbox-list').getByRole('listitem');
      await rows.first().getByText(subject).waitFor({ timeout: WAIT });
      await rows.first().getByText('Urgent').waitFor({ timeout: WAIT });
      await onCall.page.getByTestId('inbox-list').getByText('Appointment next week').waitFor({ timeout: WAIT });
      assert.equal(await rows.first().getAttribute('data-priority'), 'urgent');
      await onCall.page.getByTestId('count-urgent').filter({ hasText: /^1/ }).waitFor({ timeout: WAIT });
      assert.equal(await alert.innerText().then((s) => s.includes(crisis)), false, 'the alert carries no message text');
      await axe(onCall.page, 'inbox with a safety alert');
      await shot(onCall.page, 'staff-inbox-safety-alert');
      await onCall.page.getByRole('link', { name: /^Urgent/ }).click();
      await onCall.page.getByTestId('inbox-list').getByText(subject).waitFor({ timeout: WAIT });

      // The alert stays on the other staff pages until the conversation is opened.
      await onCall.page.getByRole('link', { name: /^Mentions/ }).click();
      await onCall.page.getByRole('heading', { level: 1, name: 'Mentions' }).waitFor({ timeout: WAIT });
      await alert.getByText(/a patient may need help now/).waitFor({ timeout: WAIT });

      // Dr A opens it from the alert, takes it and answers; the patient sees the answer live.
      await alert.getByRole('link', { name: 'Open the conversation' }).click();
      await onCall.page.getByRole('heading', { level: 1, name: subject }).waitFor({ timeout: WAIT });
      await alert.waitFor({ state: 'detached', timeout: WAIT });
      await onCall.page.getByTestId('message').filter({ hasText: crisis }).waitFor({ timeout: WAIT });
      await onCall.page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor({ timeout: WAIT });
      await onCall.page.getByRole('button', { name: 'Assign to me' }).click();
      await onCall.page.getByText('Assigned to you').waitFor({ timeout: WAIT });
      await onCall.page.getByLabel('Write a message').fill(answer);
      await onCall.page.getByRole('button', { name: 'Send', exact: true }).click();
      await patient.page.getByTestId('message').filter({ hasText: answer }).waitFor({ timeout: WAIT });
      assert.equal(await patient.page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload), true, 'the page was not reloaded');
      for (const url of [...patient.urls, ...onCall.urls]) assert.ok(!decodeURIComponent(url).includes("can't cope"), `a URL carries message text: ${url}`);
      assert.deepEqual(problems, []);
    } finally {
      await patient.context.close();
      await onCall.context.close();
    }
  });
});
