// Browser tests of the web app against the real Haven server: playwright-core driving Debian's Chromium
// (/usr/bin/chromium; `npx playwright install` cannot download here), a patient and a staff member in two browser
// contexts at once, axe-core on every page, the CSP, XSS payloads, and what is left after sign-out.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { code, createPractice, uuid, type Practice, type TestServer } from '../../server/test/harness.js';
import * as e2e from './support.js';
import { axe, shot, storedText, WAIT } from './support.js';

let env: e2e.E2E;
let server: TestServer;
let practice: Practice;
let base: string;

const newContext = (problems: string[]) => e2e.newContext(env, problems);
const signIn = (page: Page, email: string, password: string) => e2e.signIn(page, practice.slug, email, password);

describe('web app in Chromium', { timeout: 280_000 }, () => {
  before(async () => {
    env = await e2e.startE2E();
    ({ server, base } = env);
    practice = await createPractice(server, 'webe2e');
    await e2e.acceptMessagingPolicy(practice.patientA, practice.patientB);
  });
  after(async () => {
    await env?.browser.close();
    await env?.server.stop();
  });

  test('the server serves the app with a strict CSP, falls back to it for app routes only, and caches hashed assets', async () => {
    const page = await fetch(`${base}/messages/00000000-0000-4000-8000-000000000000`, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<div id="root"><\/div>/);
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script in the page');
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.match(csp, new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${new URL(base).port}`));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(page.headers.get('cache-control') ?? '', /no-cache|no-store/);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, 'the page loads a hashed script');
    const js = await fetch(`${base}${asset}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('cache-control') ?? '', /immutable/);
    // The API never falls back to the page, even for a browser navigation.
    const api = await fetch(`${base}/api/v1/no-such-thing`, { headers: { accept: 'text/html' } });
    assert.equal(api.status, 404);
    assert.match(api.headers.get('content-type') ?? '', /application\/problem\+json/);
    const missing = await fetch(`${base}/assets/missing-file.js`, { headers: { accept: 'text/html' } });
    assert.equal(missing.status, 404);
  });

  test('patient and staff at once: start a thread, the inbox shows it live, the answer reaches the patient live; notes stay internal; retry never duplicates', async () => {
    const problems: string[] = [];
    const patient = await newContext(problems);
    const staff = await newContext(problems);
    const subject = "Swollen knee since Tuesday";
    const first = 'My knee has been swollen since Tuesday. Should I come in?';
    const answer = 'Please rest it and come in tomorrow at 9. We will take a look.';
    const note = 'Internal: check last X-ray before the visit';
    const retried = 'Thank you, see you tomorrow.';
    try {
      // The practice answers health questions within 30 minutes: a new one is "Due soon" in the inbox at once.
      await practice.admin.client.call('sla.targets.replace', { body: { targets: [{ topic: 'clinical_question', priority: 'routine', responseMinutes: 30 }] } });
      // Staff first: the inbox is open before the patient writes, so the new thread must arrive live.
      await signIn(staff.page, practice.nurse.email, practice.nurse.password);
      await staff.page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor({ timeout: WAIT });
      await staff.page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor({ timeout: WAIT });
      await axe(staff.page, 'staff inbox');

      // The patient: sign in, no threads yet, start one by topic.
      await patient.page.goto('/sign-in');
      await patient.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor({ timeout: WAIT });
      await axe(patient.page, 'sign-in page');
      await shot(patient.page, 'sign-in');
      await signIn(patient.page, practice.patientA.email, practice.patientA.password);
      await patient.page.getByRole('heading', { level: 1, name: 'Your messages' }).waitFor({ timeout: WAIT });
      await patient.page.getByText('You have no messages yet.').waitFor({ timeout: WAIT });
      await axe(patient.page, 'thread list (empty)');
      await patient.page.getByRole('link', { name: 'New message' }).click();
      await patient.page.getByRole('heading', { level: 1, name: 'New message' }).waitFor({ timeout: WAIT });
      await patient.page.getByLabel('A question about my health').check();
      // Expected response time and urgent guidance come from the API.
      const expectations = patient.page.getByTestId('expectations');
      await expectations.getByText(/You can expect an answer by/).waitFor({ timeout: WAIT });
      await expectations.getByText(/In an emergency, call/).waitFor({ timeout: WAIT });
      await patient.page.getByLabel('Subject').fill(subject);
      await patient.page.getByLabel('Your message').fill(first);
      await axe(patient.page, 'new thread page');
      await shot(patient.page, 'patient-new-thread');
      await patient.page.getByRole('button', { name: 'Send message' }).click();
      await patient.page.getByRole('heading', { level: 1, name: subject }).waitFor({ timeout: WAIT });
      await patient.page.getByTestId('message').filter({ hasText: first }).waitFor({ timeout: WAIT });
      await patient.page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor({ timeout: WAIT });
      const patientThreadUrl = patient.page.url();
      // A marker that a reload would wipe: the answer must arrive without one.
      await patient.page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));

      // Staff: the thread appears in the open inbox without a reload, with its count.
      const row = staff.page.getByTestId('inbox-list').getByRole('link', { name: new RegExp(subject) });
      await row.waitFor({ timeout: WAIT });
      assert.equal(await staff.page.getByTestId('count-unassigned').innerText().then((s) => s.trim().split(/\s/)[0]), '1');
      await row.getByText('Due soon').waitFor({ timeout: WAIT });
      assert.equal(await row.getByText('Overdue').count(), 0);
      await shot(staff.page, 'staff-inbox');
      await row.click();
      await staff.page.getByRole('heading', { level: 1, name: subject }).waitFor({ timeout: WAIT });
      await staff.page.getByTestId('message').filter({ hasText: first }).waitFor({ timeout: WAIT });
      await staff.page.getByText(`Patient: Patient A ${practice.slug}`).waitFor({ timeout: WAIT });
      await axe(staff.page, 'staff thread page');

      // Assign to me.
      await staff.page.getByRole('button', { name: 'Assign to me' }).click();
      await staff.page.getByText('Assigned to you').waitFor({ timeout: WAIT });

      // An internal note: the composer changes visibly, and the patient never receives it.
      await staff.page.getByRole('switch', { name: 'Internal note' }).check();
      const composer = staff.page.getByTestId('composer');
      assert.equal(await composer.getAttribute('data-internal'), 'true');
      assert.match((await composer.getAttribute('class')) ?? '', /composer--internal/);
      await staff.page.getByLabel('Write a note for the care team').fill(note);
      // Writing a note is not shown to the patient as "writing" (the server sends internal typing to staff only).
      await patient.page.waitForTimeout(1500);
      assert.equal(await patient.page.getByTestId('typing').innerText(), '', 'the patient is told nothing while staff write a note');
      await axe(staff.page, 'staff thread page with the internal-note composer');
      await shot(staff.page, 'staff-thread-internal-note');
      await staff.page.getByRole('button', { name: 'Add internal note' }).click();
      await staff.page.getByTestId('message').filter({ hasText: note }).and(staff.page.locator('.message--internal')).waitFor({ timeout: WAIT });

      // The answer, sent as a normal message.
      await staff.page.getByRole('switch', { name: 'Internal note' }).uncheck();
      await staff.page.getByLabel('Write a message').fill(answer);
      // The patient sees that the care team is writing, and it goes when the answer is sent.
      await patient.page.getByTestId('typing').filter({ hasText: 'Your care team is writing…' }).waitFor({ timeout: WAIT });
      await staff.page.getByRole('button', { name: 'Send', exact: true }).click();
      await staff.page.getByTestId('message').filter({ hasText: answer }).waitFor({ timeout: WAIT });
      await patient.page.getByTestId('typing').filter({ hasText: /^$/ }).waitFor({ timeout: WAIT });

      // The patient sees the answer live, without a reload; the staff member read the patient's message.
      await patient.page.getByTestId('message').filter({ hasText: answer }).waitFor({ timeout: WAIT });
      assert.equal(await patient.page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload), true, 'the page was not reloaded');
      assert.equal(patient.page.url(), patientThreadUrl);
      await patient.page.getByTestId('message').filter({ hasText: first }).getByText('Read').waitFor({ timeout: WAIT });

      // The patient thanks the care team with a reaction; staff see it live on their side.
      const answered = patient.page.getByTestId('message').filter({ hasText: answer });
      await answered.getByRole('button', { name: 'React', exact: true }).click();
      await answered.getByRole('button', { name: 'React with 👍' }).click();
      await answered.getByRole('button', { name: '👍: 1 reaction, yours. Press to take it back.' }).waitFor({ timeout: WAIT });
      await staff.page.getByTestId('message').filter({ hasText: answer }).getByRole('button', { name: '👍: 1 reaction. Press to add yours.' }).waitFor({ timeout: WAIT });
      await axe(patient.page, 'patient thread with a reaction');
      assert.equal(await patient.page.getByText(note).count(), 0, 'the internal note never reaches the patient');
      await axe(patient.page, 'patient thread page');
      await shot(patient.page, 'patient-thread');
      // 200 % zoom (half the CSS pixels): the page reflows, nothing needs scrolling sideways.
      await patient.page.setViewportSize({ width: 640, height: 450 });
      assert.equal(await patient.page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth), true, 'horizontal scrolling at 200 % zoom');
      await patient.page.setViewportSize({ width: 390, height: 844 });
      assert.equal(await patient.page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth), true, 'horizontal scrolling on a phone');
      await axe(patient.page, 'patient thread page on a phone');
      await shot(patient.page, 'patient-thread-phone');
      await patient.page.setViewportSize({ width: 1280, height: 900 });

      // A send that fails shows "Not sent" and a retry; the retry reuses the client id and the message appears once.
      const sentIds: string[] = [];
      let failNext = true;
      await patient.page.route('**/api/v1/threads/*/messages', async (route) => {
        if (route.request().method() !== 'POST') return route.continue();
        sentIds.push((JSON.parse(route.request().postData() ?? '{}') as { id: string }).id);
        if (failNext) {
          failNext = false;
          // The request reaches the server, but the answer is lost: the worst case for duplicates.
          await route.fetch();
          return route.abort('connectionreset');
        }
        return route.continue();
      });
      await patient.page.getByLabel('Write a message').fill(retried);
      await patient.page.getByRole('button', { name: 'Send', exact: true }).click();
      const pendingRow = patient.page.getByTestId('pending-message').filter({ hasText: retried });
      // The live event of the stored message may confirm it before the retry: either way it shows once.
      await Promise.race([
        pendingRow.getByRole('button', { name: 'Try again' }).click({ timeout: WAIT }),
        patient.page.getByTestId('message').filter({ hasText: retried }).waitFor({ timeout: WAIT }),
      ]);
      await patient.page.getByTestId('message').filter({ hasText: retried }).waitFor({ timeout: WAIT });
      await patient.page.unroute('**/api/v1/threads/*/messages');
      assert.equal(await patient.page.getByTestId('message').filter({ hasText: retried }).count(), 1);
      assert.equal(await pendingRow.count(), 0);
      assert.ok(sentIds.length >= 1 && sentIds.every((id) => id === sentIds[0]), `every attempt used one client id: ${sentIds.join(', ')}`);
      await staff.page.getByTestId('message').filter({ hasText: retried }).waitFor({ timeout: WAIT });
      assert.equal(await staff.page.getByTestId('message').filter({ hasText: retried }).count(), 1, 'staff see it once');

      // Close the conversation.
      await staff.page.getByRole('button', { name: 'Close conversation' }).click();
      await staff.page.getByTestId('thread-state').filter({ hasText: 'Closed' }).waitFor({ timeout: WAIT });

      // Back on the list: the thread with its topic and last activity.
      await patient.page.getByRole('link', { name: 'Back to your messages' }).click();
      await patient.page.getByTestId('thread-list').getByText(subject).waitFor({ timeout: WAIT });
      await axe(patient.page, 'thread list');
      await shot(patient.page, 'patient-thread-list');

      // No health information in any URL the browsers asked for.
      for (const url of [...patient.urls, ...staff.urls]) {
        for (const secret of [subject, first, answer, note, retried, 'Knee', 'Patient A']) {
          assert.ok(!decodeURIComponent(url).includes(secret), `a URL carries health information: ${url}`);
        }
      }

      // Spanish is complete enough to run the same pages: the language picker switches the whole app.
      await patient.page.getByLabel('Language').selectOption('es');
      await patient.page.getByRole('heading', { level: 1, name: 'Sus mensajes' }).waitFor({ timeout: WAIT });
      assert.equal(await patient.page.evaluate(() => document.documentElement.lang), 'es');
      await axe(patient.page, 'thread list in Spanish');
      await patient.page.getByLabel('Idioma').selectOption('en');

      // Sign-out: storage holds no message text, and the thread needs a new sign-in.
      await patient.page.getByRole('button', { name: 'Sign out' }).click();
      await patient.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor({ timeout: WAIT });
      const stored = await storedText(patient.page);
      for (const secret of [subject, first, answer, retried]) assert.ok(!stored.includes(secret), 'browser storage holds message text after sign-out');
      assert.doesNotMatch(stored, /^idb:/m, 'no IndexedDB database');
      await patient.page.goBack();
      await patient.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor({ timeout: WAIT });
      await patient.page.goto(patientThreadUrl);
      await patient.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor({ timeout: WAIT });
      assert.equal(await patient.page.getByText(first).count(), 0, 'the thread is not shown after sign-out');

      assert.deepEqual(problems, []);
    } finally {
      await patient.context.close();
      await staff.context.close();
    }
  });

  test('message text is rendered as text: HTML and script payloads execute nothing, for the patient or for staff', async () => {
    const problems: string[] = [];
    const patient = await newContext(problems);
    const staff = await newContext(problems);
    const payloads = [
      '<img src=x onerror="window.__xss=1;alert(1)">',
      '<script>window.__xss=2;alert(2)</script>',
      '"><svg onload="window.__xss=3;alert(3)"></svg>',
      'javascript:alert(4)',
    ];
    try {
      await signIn(patient.page, practice.patientB.email, practice.patientB.password);
      await patient.page.getByRole('heading', { level: 1, name: 'Your messages' }).waitFor({ timeout: WAIT });
      await patient.page.getByRole('link', { name: 'New message' }).click();
      await patient.page.getByLabel('Something else').check();
      await patient.page.getByLabel('Subject').fill('<b onmouseover=alert(5)>subject</b>');
      await patient.page.getByLabel('Your message').fill(payloads[0]!);
      await patient.page.getByRole('button', { name: 'Send message' }).click();
      await patient.page.getByTestId('message').filter({ hasText: payloads[0]! }).waitFor({ timeout: WAIT });
      for (const p of payloads.slice(1)) {
        await patient.page.getByLabel('Write a message').fill(p);
        await patient.page.getByRole('button', { name: 'Send', exact: true }).click();
        await patient.page.getByTestId('message').filter({ hasText: p }).waitFor({ timeout: WAIT });
      }
      // Staff on patient B's care team (Dr B) opens the thread: the same texts, as text.
      await signIn(staff.page, practice.otherProvider.email, practice.otherProvider.password);
      await staff.page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor({ timeout: WAIT });
      await staff.page.getByTestId('inbox-list').getByRole('link', { name: /subject/ }).click();
      for (const p of payloads) await staff.page.getByTestId('message').filter({ hasText: p }).waitFor({ timeout: WAIT });

      for (const page of [patient.page, staff.page]) {
        assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined, 'a payload ran');
        assert.equal(await page.locator('.messages img, .messages script, .messages svg, h1 b').count(), 0, 'a payload became markup');
        assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), '<b onmouseover=alert(5)>subject</b>');
      }
      assert.deepEqual(problems, []);
    } finally {
      await patient.context.close();
      await staff.context.close();
    }
  });
  test('sign-in with a second factor; history newest at the bottom with older pages on request; edits arrive live', async () => {
    const problems: string[] = [];
    const staff = await newContext(problems);
    try {
      // The provider enrols an authenticator (through the SDK), so the web sign-in asks for a code.
      const provider = practice.provider.client;
      const { secret } = await provider.call('auth.totp.setup');
      await provider.call('auth.totp.enable', { body: { code: code(secret) } });

      // A long conversation: 35 messages from the patient.
      const patient = practice.patientA.client;
      const thread = await patient.call('threads.create', { body: { subject: 'Long history', topic: 'scheduling' } });
      const ids: string[] = [];
      for (let i = 1; i <= 35; i++) {
        const id = uuid();
        ids.push(id);
        await patient.call('messages.create', { params: { threadId: thread.id }, body: { id, body: `History message ${i}` } });
      }

      await signIn(staff.page, practice.provider.email, practice.provider.password);
      await staff.page.getByRole('heading', { level: 1, name: 'Enter your code' }).waitFor({ timeout: WAIT });
      await axe(staff.page, 'second-factor step');
      // The next time step's code: the one just used to enrol is not accepted twice.
      await staff.page.getByLabel('6-digit code').fill(code(secret, 1));
      await staff.page.getByRole('button', { name: 'Continue' }).click();
      await staff.page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor({ timeout: WAIT });

      // The inbox marks the unread conversation.
      await staff.page.getByTestId('inbox-list').getByRole('link', { name: /Long history/ }).getByText('35 unread').waitFor({ timeout: WAIT });
      await staff.page.goto(`/staff/threads/${thread.id}`);
      await staff.page.getByRole('heading', { level: 1, name: 'Long history' }).waitFor({ timeout: WAIT });
      const messages = staff.page.getByTestId('message');
      // The history is a virtualized list: data-count is how many messages are loaded, the rows near the view are in the page.
      const log = staff.page.getByTestId('message-log');
      await messages.filter({ hasText: 'History message 35' }).waitFor({ timeout: WAIT });
      assert.equal(await log.getAttribute('data-count'), '30', 'the latest page');
      assert.match(await messages.last().innerText(), /History message 35/, 'newest at the bottom, in view');
      assert.equal(await messages.filter({ has: staff.page.locator('.message__body', { hasText: /^History message 1$/ }) }).count(), 0);
      await staff.page.getByRole('button', { name: 'Show older messages' }).click();
      await staff.page.getByText('This is the start of the conversation.').waitFor({ timeout: WAIT });
      assert.equal(await log.getAttribute('data-count'), '35');
      await log.evaluate((el) => el.scrollTo({ top: 0 }));
      await messages.filter({ has: staff.page.locator('.message__body', { hasText: /^History message 1$/ }) }).waitFor({ timeout: WAIT });
      assert.match(await messages.first().innerText(), /History message 1\b/, 'oldest at the top');
      await staff.page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor({ timeout: WAIT });

      // The patient corrects the last message: the new text and an "edited" mark arrive without a reload.
      await log.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
      await patient.call('messages.edit', { params: { threadId: thread.id, messageId: ids[34]! }, body: { body: 'History message 35, corrected' } });
      const edited = messages.filter({ hasText: 'History message 35, corrected' });
      await edited.waitFor({ timeout: WAIT });
      await edited.getByText('(edited)').waitFor({ timeout: WAIT });
      assert.equal(await log.getAttribute('data-count'), '35');
      assert.deepEqual(problems, []);
    } finally {
      await staff.context.close();
    }
  });
});
