// Browser tests of the staff dashboard's thread view (issue #5): the patient's context beside the thread, message
// tools (reactions, chart notes), @mentions, the workflow actions, keyboard shortcuts, internal conversations and
// broadcasts, against the real Haven server (see support.ts), each person in their own context, axe on every state.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { createPractice, rejects, uuid, waitFor, type Practice } from '../../server/test/harness.js';
import * as e2e from './support.js';
import { axe, shot, storedText, WAIT } from './support.js';

let env: e2e.E2E;
let practice: Practice;

const newContext = (problems: string[]) => e2e.newContext(env, problems);

async function signInTo(page: Page, email: string, password: string, heading: RegExp): Promise<void> {
  await e2e.signIn(page, practice.slug, email, password);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor({ timeout: WAIT });
}

async function openThread(page: Page, id: string, subject: string): Promise<void> {
  await page.goto(`/staff/threads/${id}`);
  await page.getByRole('heading', { level: 1, name: subject }).waitFor({ timeout: WAIT });
  await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor({ timeout: WAIT });
}

/** Refused as forbidden or as not found (the API hides what the caller may not see). */
async function refused(call: Promise<unknown>): Promise<void> {
  const status = await call.then(
    () => 200,
    (err: { status?: number }) => err.status,
  );
  assert.ok(status === 403 || status === 404, `expected 403 or 404, got ${status}`);
}

describe('staff dashboard: thread view, mentions, shortcuts, internal conversations, broadcasts', { timeout: 600_000 }, () => {
  before(async () => {
    env = await e2e.startE2E();
    practice = await createPractice(env.server, 'staffthread');
  });
  after(async () => {
    await env?.browser.close();
    await env?.server.stop();
  });

  test('a provider works a patient thread with the context beside it; a colleague is mentioned and escalates', async () => {
    const problems: string[] = [];
    const dr = await newContext(problems);
    const nurse = await newContext(problems);
    const { patientA, provider, nurse: nurseMember, otherProvider } = practice;
    const subject = 'Blood pressure readings';
    const question = 'My blood pressure was 150 over 80 again this morning and I feel dizzy when I stand up.';
    const note = 'Please call her today about the dizziness';
    try {
      const thread = await patientA.client.call('threads.create', { body: { subject, topic: 'clinical_question' } });
      const asked = await patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: question } });
      const refill = await patientA.client.call('threads.create', { body: { subject: 'Prescription refill', topic: 'prescription' } }).catch(() => patientA.client.call('threads.create', { body: { subject: 'Prescription refill' } }));
      await patientA.client.call('messages.create', { params: { threadId: refill.id }, body: { id: uuid(), body: 'I need a refill of my lisinopril.' } });
      // Four days of high readings: the API derives "above … 4 days in a row".
      for (let d = 0; d < 4; d++) {
        await provider.client.call('observations.create', {
          params: { patientId: patientA.id },
          body: { id: uuid(), metric: 'blood_pressure', components: { systolic: 152, diastolic: 80 }, unit: 'mm[Hg]', effectiveAt: new Date(Date.now() - d * 86_400_000 - 60_000).toISOString() },
        });
      }

      await signInTo(dr.page, provider.email, provider.password, /^Inbox$/);
      await openThread(dr.page, thread.id, subject);
      const panel = dr.page.getByTestId('context-panel');
      await panel.getByTestId('patient-profile').getByText(`Patient A ${practice.slug}`).waitFor({ timeout: WAIT });
      await panel.getByTestId('care-team').getByText('Team A').waitFor({ timeout: WAIT });
      await panel.getByTestId('other-threads').getByRole('link', { name: 'Prescription refill' }).waitFor({ timeout: WAIT });
      await panel.getByTestId('health-signals').getByText(/Blood pressure \(top number\) above .* 4 days in a row/).waitFor({ timeout: WAIT });
      await panel.getByText('No chart notes yet.', { exact: false }).waitFor({ timeout: WAIT });
      await axe(dr.page, 'staff thread page with the context panel');
      await shot(dr.page, 'staff-thread-context');

      // Mark the patient's message clinically relevant: a wrong excerpt is refused next to its field, nothing typed
      // is lost; the right one lands in the chart notes of the panel.
      const msg = dr.page.getByTestId('message').filter({ hasText: question });
      await msg.getByRole('button', { name: 'Mark as clinically relevant' }).click();
      await msg.getByLabel('Part of the message (optional)').fill('I feel faint');
      await msg.getByLabel('Why it matters (optional)').fill('Dizziness with high readings');
      await msg.getByRole('button', { name: 'Add to chart' }).click();
      await msg.getByText('The part must be copied exactly from the message.').waitFor({ timeout: WAIT });
      assert.equal(await msg.getByLabel('Why it matters (optional)').inputValue(), 'Dizziness with high readings', 'nothing typed is lost');
      await axe(dr.page, 'marking a message clinically relevant, refused excerpt');
      await msg.getByLabel('Part of the message (optional)').fill('I feel dizzy when I stand up');
      await msg.getByRole('button', { name: 'Add to chart' }).click();
      await msg.getByText('Added to the chart.').waitFor({ timeout: WAIT });
      await panel.getByTestId('chart-note').filter({ hasText: 'I feel dizzy when I stand up' }).waitFor({ timeout: WAIT });
      const notes = await provider.client.call('chartNotes.list', { params: { patientId: patientA.id }, query: {} });
      assert.equal(notes.items.length, 1);
      assert.equal(notes.items[0]!.excerpt, 'I feel dizzy when I stand up');
      assert.equal(notes.items[0]!.messageId, asked.id);

      // A colleague opens the same thread: reactions arrive live.
      await signInTo(nurse.page, nurseMember.email, nurseMember.password, /^Inbox$/);
      await openThread(nurse.page, thread.id, subject);
      await msg.getByRole('button', { name: 'React', exact: true }).click();
      await dr.page.getByRole('button', { name: 'React with 👍' }).click();
      await msg.getByRole('button', { name: '👍: 1 reaction, yours. Press to take it back.' }).waitFor({ timeout: WAIT });
      await nurse.page.getByTestId('message').filter({ hasText: question }).getByRole('button', { name: '👍: 1 reaction. Press to add yours.' }).waitFor({ timeout: WAIT });
      const reacted = await provider.client.call('messages.get', { params: { threadId: thread.id, messageId: asked.id } });
      assert.deepEqual(reacted.reactions.map((r) => [r.emoji, r.count, r.userIds]), [['👍', 1, [provider.id]]]);
      await axe(dr.page, 'staff thread page with a reaction');

      // @mention the nurse in an internal note: typing @ offers colleagues (keyboard), the note tells them.
      await dr.page.getByRole('switch', { name: 'Internal note' }).check();
      const box = dr.page.getByLabel('Write a note for the care team');
      await box.fill(`${note} `);
      await box.pressSequentially('@Nur');
      const suggestions = dr.page.getByTestId('mention-suggestions');
      await suggestions.getByRole('option', { name: new RegExp(`Nurse A ${practice.slug}`) }).waitFor({ timeout: WAIT });
      await axe(dr.page, 'mention suggestions open');
      await shot(dr.page, 'staff-thread-mention');
      await box.press('Enter');
      assert.equal(await box.inputValue(), `${note} @Nurse A ${practice.slug} `);
      await dr.page.getByTestId('mention-chosen').getByText(`Will tell: Nurse A ${practice.slug}`).waitFor({ timeout: WAIT });
      await dr.page.getByRole('button', { name: 'Add internal note' }).click();
      await dr.page.getByTestId('message').filter({ hasText: note }).and(dr.page.locator('.message--internal')).waitFor({ timeout: WAIT });
      const mentioned = await waitFor('the mention', async () => {
        const list = await nurseMember.client.call('mentions.list', { query: {} });
        return list.items.length === 1 ? list.items[0] : undefined;
      });
      assert.equal(mentioned.threadId, thread.id);
      assert.equal(mentioned.mentionedBy, provider.id);
      // The nurse's sections show one mention to do, live; they find it in their Mentions list and mark it done.
      await nurse.page.getByTestId('mentions-to-do').filter({ hasText: /^1/ }).waitFor({ timeout: WAIT });
      await nurse.page.getByRole('navigation', { name: 'Staff sections' }).getByRole('link', { name: 'Mentions' }).click();
      await nurse.page.getByRole('heading', { level: 1, name: 'Mentions' }).waitFor({ timeout: WAIT });
      const mention = nurse.page.getByTestId('mention').filter({ hasText: `Dr A ${practice.slug} mentioned you` });
      await mention.getByRole('link', { name: subject }).waitFor({ timeout: WAIT });
      await axe(nurse.page, 'mentions page');
      await shot(nurse.page, 'staff-mentions');
      await mention.getByRole('button', { name: 'Mark done' }).click();
      await nurse.page.getByText('Nothing to do: nobody has mentioned you.').waitFor({ timeout: WAIT });
      await nurse.page.getByTestId('mentions-to-do').waitFor({ state: 'detached', timeout: WAIT });
      assert.ok((await nurseMember.client.call('mentions.list', { query: { status: 'done' } })).items.some((m) => m.id === mentioned.id && m.doneAt));

      // Assign to the nurse; a colleague who may not see the patient is refused next to the field.
      await dr.page.getByText('Assign to someone').click();
      await dr.page.getByLabel('Colleague').selectOption({ label: `Dr B ${practice.slug}` });
      await dr.page.getByRole('button', { name: 'Assign', exact: true }).click();
      await dr.page.getByText('Choose a colleague who may see this conversation.').waitFor({ timeout: WAIT });
      await axe(dr.page, 'reassign refused');
      assert.equal((await provider.client.call('threads.get', { params: { threadId: thread.id } })).workflow?.assigneeId ?? null, null);
      await dr.page.getByLabel('Colleague').selectOption({ label: `Nurse A ${practice.slug}` });
      await dr.page.getByRole('button', { name: 'Assign', exact: true }).click();
      await dr.page.getByTestId('assignee').getByText(`Assigned to: Nurse A ${practice.slug}`).waitFor({ timeout: WAIT });
      assert.equal((await provider.client.call('threads.get', { params: { threadId: thread.id } })).workflow?.assigneeId, nurseMember.id);
      // Taking it from the nurse needs a reason.
      await dr.page.getByLabel('Colleague').selectOption({ label: `Dr A ${practice.slug} (you)` });
      await dr.page.getByRole('button', { name: 'Assign', exact: true }).click();
      await dr.page.getByText('Give a reason: this conversation is someone else’s.').waitFor({ timeout: WAIT });
      assert.equal((await provider.client.call('threads.get', { params: { threadId: thread.id } })).workflow?.assigneeId, nurseMember.id);

      // The nurse escalates to Dr A, urgent, with a note: Dr A's page shows it live.
      await nurse.page.goBack();
      await nurse.page.getByRole('heading', { level: 1, name: subject }).waitFor({ timeout: WAIT });
      await nurse.page.getByText('Escalate to a provider').click();
      await nurse.page.getByLabel('Provider', { exact: true }).selectOption({ label: `Dr A ${practice.slug}` });
      await nurse.page.getByLabel('Note for the provider').fill('BP high four days in a row and dizzy. Please review today.');
      await nurse.page.getByLabel('Urgent', { exact: true }).check();
      await axe(nurse.page, 'escalate form');
      await nurse.page.getByRole('button', { name: 'Escalate', exact: true }).click();
      await nurse.page.locator('.workflow__done', { hasText: `Escalated to Dr A ${practice.slug}.` }).waitFor({ timeout: WAIT });
      const escalated = await provider.client.call('threads.get', { params: { threadId: thread.id } });
      assert.equal(escalated.workflow?.assigneeId, provider.id);
      assert.equal(escalated.workflow?.priority, 'urgent');
      await dr.page.getByTestId('assignee').getByText('Assigned to: you').waitFor({ timeout: WAIT });
      await dr.page.getByTestId('priority').getByText('Priority: urgent').waitFor({ timeout: WAIT });
      await dr.page.getByTestId('message').filter({ hasText: 'BP high four days in a row' }).waitFor({ timeout: WAIT });
      // Back to routine.
      await dr.page.getByRole('button', { name: 'Mark routine' }).click();
      await dr.page.getByTestId('priority').getByText('Priority: routine').waitFor({ timeout: WAIT });
      assert.equal((await provider.client.call('threads.get', { params: { threadId: thread.id } })).workflow?.priority, 'routine');

      // The patient never gets the internal note or the escalation note; the API refuses them staff tools.
      const patientView = await patientA.client.call('messages.list', { params: { threadId: thread.id }, query: {} });
      assert.ok(patientView.items.every((m) => !m.internal && !m.body?.includes(note) && !m.body?.includes('BP high')));
      await rejects(patientA.client.call('mentions.list', { query: {} }), 403);
      await refused(otherProvider.client.call('threads.assign', { params: { threadId: thread.id }, body: { assigneeId: otherProvider.id } }));

      // On a tablet the panel folds behind a button.
      await dr.page.setViewportSize({ width: 820, height: 1180 });
      const toggle = dr.page.getByRole('button', { name: 'Show patient details' });
      await toggle.waitFor({ timeout: WAIT });
      assert.equal(await panel.getByTestId('patient-profile').isVisible(), false);
      await toggle.click();
      await panel.getByTestId('patient-profile').waitFor({ state: 'visible', timeout: WAIT });
      await axe(dr.page, 'staff thread page on a tablet, panel open');
      await shot(dr.page, 'staff-thread-tablet');
      await dr.page.setViewportSize({ width: 1280, height: 900 });

      // Un-marking a chart note asks first, in the page; the note leaves the timeline and stays in the record.
      const chartNote = panel.getByTestId('chart-note').filter({ hasText: 'I feel dizzy when I stand up' });
      await chartNote.getByRole('button', { name: 'Remove from chart' }).click();
      await chartNote.getByText('Remove this note from the chart? It stays in the record.').waitFor({ timeout: WAIT });
      await axe(dr.page, 'removing a chart note, asked first');
      await chartNote.getByRole('button', { name: 'Yes, remove it' }).click();
      await chartNote.waitFor({ state: 'detached', timeout: WAIT });
      const removed = await provider.client.call('chartNotes.list', { params: { patientId: patientA.id }, query: { includeRemoved: true } });
      assert.ok(removed.items[0]?.removedAt, 'kept for the record, marked removed');
      assert.equal((await provider.client.call('chartNotes.list', { params: { patientId: patientA.id }, query: {} })).items.length, 0);

      for (const p of [dr, nurse]) {
        const stored = await storedText(p.page);
        for (const secret of [question, note, subject]) assert.ok(!stored.includes(secret), 'storage holds message text');
        for (const url of p.urls) for (const secret of [question, note, subject, 'dizzy']) assert.ok(!decodeURIComponent(url).includes(secret), `a URL carries health information: ${url}`);
      }
      assert.deepEqual(problems, []);
    } finally {
      await dr.context.close();
      await nurse.context.close();
    }
  });

  test('keyboard shortcuts: j/k, a, c, g i and the help dialog; never while typing', async () => {
    const problems: string[] = [];
    const dr = await newContext(problems);
    const { patientA, provider } = practice;
    try {
      const subjects = ['Sleep questions', 'Diet after surgery'];
      for (const s of subjects) {
        const th = await patientA.client.call('threads.create', { body: { subject: s } });
        await patientA.client.call('messages.create', { params: { threadId: th.id }, body: { id: uuid(), body: `A question about ${s.toLowerCase()}.` } });
      }
      await signInTo(dr.page, provider.email, provider.password, /^Inbox$/);
      await dr.page.goto('/staff/inbox?view=unassigned');
      const links = dr.page.getByTestId('inbox-list').locator('a.thread-item__link');
      await waitFor('the unassigned threads', async () => ((await links.count()) >= 2 ? true : undefined), WAIT);
      const order = await links.evaluateAll((as) => as.map((a) => ({ id: a.getAttribute('href')!.split('/').pop()!, subject: a.querySelector('.thread-item__subject')!.textContent! })));
      await dr.page.keyboard.press('j');
      assert.equal(await dr.page.evaluate(() => document.activeElement?.getAttribute('href')), `/staff/threads/${order[0]!.id}`);
      await dr.page.keyboard.press('j');
      assert.equal(await dr.page.evaluate(() => document.activeElement?.getAttribute('href')), `/staff/threads/${order[1]!.id}`);
      await dr.page.keyboard.press('k');
      assert.equal(await dr.page.evaluate(() => document.activeElement?.getAttribute('href')), `/staff/threads/${order[0]!.id}`);
      // The help dialog, inside the page.
      await dr.page.keyboard.press('?');
      const help = dr.page.getByTestId('shortcuts-help');
      await help.getByRole('heading', { name: 'Keyboard shortcuts' }).waitFor({ timeout: WAIT });
      await axe(dr.page, 'keyboard shortcuts help dialog');
      await shot(dr.page, 'staff-shortcuts-help');
      await dr.page.keyboard.press('Escape');
      await help.waitFor({ state: 'hidden', timeout: WAIT });

      // Open the first; j goes to the next in the inbox's order, k back; a takes it.
      await dr.page.keyboard.press('Enter');
      await dr.page.getByRole('heading', { level: 1, name: order[0]!.subject }).waitFor({ timeout: WAIT });
      await dr.page.getByTestId('context-panel').waitFor({ timeout: WAIT });
      await dr.page.keyboard.press('j');
      await dr.page.getByRole('heading', { level: 1, name: order[1]!.subject }).waitFor({ timeout: WAIT });
      await dr.page.keyboard.press('k');
      await dr.page.getByRole('heading', { level: 1, name: order[0]!.subject }).waitFor({ timeout: WAIT });
      await dr.page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor({ timeout: WAIT });
      await dr.page.keyboard.press('a');
      await dr.page.getByText('Assigned to you', { exact: true }).waitFor({ timeout: WAIT });
      assert.equal((await provider.client.call('threads.get', { params: { threadId: order[0]!.id } })).workflow?.assigneeId, provider.id);

      // Typing in the composer is never a shortcut.
      const box = dr.page.getByLabel('Write a message');
      await box.click();
      await dr.page.keyboard.type('jack c');
      assert.equal(await box.inputValue(), 'jack c');
      await dr.page.getByRole('heading', { level: 1, name: order[0]!.subject }).waitFor({ timeout: WAIT });
      assert.notEqual((await provider.client.call('threads.get', { params: { threadId: order[0]!.id } })).workflow?.state, 'closed');
      await box.fill('');

      // c closes the next one.
      await dr.page.locator('h1').click();
      await dr.page.keyboard.press('j');
      await dr.page.getByRole('heading', { level: 1, name: order[1]!.subject }).waitFor({ timeout: WAIT });
      await dr.page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor({ timeout: WAIT });
      await dr.page.keyboard.press('c');
      await dr.page.getByRole('button', { name: 'Reopen' }).waitFor({ timeout: WAIT });
      assert.equal((await provider.client.call('threads.get', { params: { threadId: order[1]!.id } })).workflow?.state, 'closed');

      // g then i: the inbox.
      await dr.page.keyboard.press('g');
      await dr.page.keyboard.press('i');
      await dr.page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor({ timeout: WAIT });
      assert.deepEqual(problems, []);
    } finally {
      await dr.context.close();
    }
  });

  test('internal conversations never reach a patient; broadcasts preview the personalized message', async () => {
    const problems: string[] = [];
    const dr = await newContext(problems);
    const patient = await newContext(problems);
    const { patientA, provider, nurse, admin } = practice;
    const internalSubject = 'Coverage next week';
    try {
      await signInTo(dr.page, provider.email, provider.password, /^Inbox$/);
      await dr.page.getByRole('navigation', { name: 'Staff sections' }).getByRole('link', { name: 'Internal' }).click();
      await dr.page.getByRole('heading', { level: 1, name: 'Internal conversations' }).waitFor({ timeout: WAIT });
      // Nobody chosen: said next to the field, nothing lost.
      await dr.page.getByLabel('Subject').fill(internalSubject);
      await dr.page.getByRole('button', { name: 'Start conversation' }).click();
      await dr.page.getByText('Choose at least one colleague.').waitFor({ timeout: WAIT });
      assert.equal(await dr.page.getByLabel('Subject').inputValue(), internalSubject);
      await axe(dr.page, 'internal conversations page, nobody chosen');
      await dr.page.getByLabel(`Nurse A ${practice.slug}`).check();
      await dr.page.getByLabel('First message (optional)').fill(`@Nurse A ${practice.slug} can you cover my Tuesday patients?`);
      await dr.page.getByRole('button', { name: 'Start conversation' }).click();
      await dr.page.getByRole('heading', { level: 1, name: internalSubject }).waitFor({ timeout: WAIT });
      await dr.page.getByTestId('context-panel').getByText(`Nurse A ${practice.slug}`).waitFor({ timeout: WAIT });
      assert.equal(await dr.page.getByRole('switch', { name: 'Internal note' }).count(), 0, 'every message here is internal: no switch');
      const box = dr.page.getByLabel('Write a message');
      await box.pressSequentially('Thanks @Nur');
      await dr.page.getByTestId('mention-suggestions').getByRole('option').first().waitFor({ timeout: WAIT });
      await box.press('Enter');
      await dr.page.getByRole('button', { name: 'Send', exact: true }).click();
      await dr.page.getByTestId('message').filter({ hasText: `Thanks @Nurse A ${practice.slug}` }).waitFor({ timeout: WAIT });
      await axe(dr.page, 'internal conversation page');
      await shot(dr.page, 'staff-internal-thread');
      const internal = (await provider.client.call('threads.list', { query: { kind: 'internal' } })).items.find((x) => x.subject === internalSubject);
      assert.ok(internal);
      assert.deepEqual([...internal.participantIds].sort(), [provider.id, nurse.id].sort());
      const nurseMentions = await waitFor('two mentions in the internal conversation', async () => {
        const list = await nurse.client.call('mentions.list', { query: {} });
        const here = list.items.filter((m) => m.threadId === internal.id);
        return here.length === 2 ? here : undefined;
      });
      assert.equal(nurseMentions.length, 2);
      // The patient's view: not in the list, refused by id, nothing in the page.
      const patientThreads = await patientA.client.call('threads.list', { query: {} });
      assert.ok(patientThreads.items.every((x) => x.id !== internal.id && x.kind === 'patient'));
      await refused(patientA.client.call('threads.get', { params: { threadId: internal.id } }));
      await refused(patientA.client.call('messages.list', { params: { threadId: internal.id }, query: {} }));
      await signInTo(patient.page, patientA.email, patientA.password, /^Your messages$/);
      assert.equal(await patient.page.getByText(internalSubject).count(), 0);
      // A patient who opens the staff pages gets their own app instead.
      for (const url of ['/staff/internal', '/staff/mentions', '/staff/broadcasts', `/staff/threads/${internal.id}`]) {
        await patient.page.goto(url);
        await patient.page.getByRole('heading', { level: 1, name: 'Your messages' }).waitFor({ timeout: WAIT });
        assert.equal(await patient.page.getByRole('navigation', { name: 'Staff sections' }).count(), 0);
      }
      await dr.page.getByRole('navigation', { name: 'Staff sections' }).getByRole('link', { name: 'Internal' }).click();
      await dr.page.getByTestId('internal-list').getByRole('link', { name: internalSubject }).waitFor({ timeout: WAIT });
      await axe(dr.page, 'internal conversations list');

      // Broadcast: the patients tagged "hypertension"; the preview shows the message as the patient will read it.
      await provider.client.call('patients.tags.set', { params: { id: patientA.id }, body: { tags: ['hypertension'] } });
      await dr.page.getByRole('navigation', { name: 'Staff sections' }).getByRole('link', { name: 'Broadcasts' }).click();
      await dr.page.getByRole('heading', { level: 1, name: 'Broadcasts' }).waitFor({ timeout: WAIT });
      await dr.page.getByText('You have not sent a broadcast yet.').waitFor({ timeout: WAIT });
      await dr.page.getByLabel('Subject').fill('Blood pressure check-ins');
      await dr.page.getByLabel('Message', { exact: true }).fill('Hello {patient.firstName}, please send us your readings this week. {practice.name}');
      await dr.page.getByRole('button', { name: 'Preview' }).click();
      await dr.page.getByText('Choose who gets the message.').waitFor({ timeout: WAIT });
      await axe(dr.page, 'broadcast form, nobody chosen');
      await dr.page.getByLabel('hypertension (1 patient)').check();
      await dr.page.getByRole('button', { name: 'Preview' }).click();
      const preview = dr.page.getByTestId('broadcast-preview');
      await preview.getByText('It will reach 1 patient.').waitFor({ timeout: WAIT });
      await preview.getByTestId('broadcast-sample').getByText(/^Hello Patient, please send us your readings this week\./).waitFor({ timeout: WAIT });
      assert.equal(await preview.getByText('{patient.firstName}').count(), 0, 'the preview is personalized');
      await axe(dr.page, 'broadcast preview');
      await shot(dr.page, 'staff-broadcast-preview');
      await preview.getByRole('button', { name: 'Send to 1 patient' }).click();
      await preview.getByText('Send this message to 1 patient now?', { exact: false }).waitFor({ timeout: WAIT });
      await axe(dr.page, 'broadcast send confirmation');
      await preview.getByRole('button', { name: 'Yes, send it' }).click();
      await dr.page.getByText('Sending to 1 patient.').waitFor({ timeout: WAIT });
      await dr.page.getByTestId('broadcast').filter({ hasText: 'Blood pressure check-ins' }).waitFor({ timeout: WAIT });
      const broadcasts = await provider.client.call('broadcasts.list', { query: {} });
      assert.equal(broadcasts.items.length, 1);
      assert.equal(broadcasts.items[0]!.progress.total, 1);
      await waitFor('the broadcast to reach the patient', async () => ((await patientA.client.call('threads.list', { query: {} })).items.some((x) => x.subject === 'Blood pressure check-ins') ? true : undefined), WAIT);
      // Broadcasts are for providers and staff.
      await rejects(admin.client.call('broadcasts.preview', { body: { selector: { tags: ['hypertension'] }, subject: 'x', body: 'y' } }), 403);
      await rejects(patientA.client.call('broadcasts.list', { query: {} }), 403);
      assert.deepEqual(problems, []);
    } finally {
      await dr.context.close();
      await patient.context.close();
    }
  });
});
