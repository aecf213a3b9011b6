// Browser test of a long conversation: the history is a virtualized list with infinite scroll. Only the rows near
// the view are in the page, scrolling to the top loads older pages until the start, a message that arrives while the
// reader is reading back is offered by a button (the view does not jump), and a row with an open edit form stays in
// the page while it is scrolled away (nothing typed is lost).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPractice, uuid, type Practice } from '../../server/test/harness.js';
import * as e2e from './support.js';
import { axe, WAIT } from './support.js';

let env: e2e.E2E;
let practice: Practice;
const COUNT = 200;

describe('a long conversation in Chromium', { timeout: 280_000 }, () => {
  before(async () => {
    env = await e2e.startE2E();
    practice = await createPractice(env.server, 'longthread');
    await e2e.acceptMessagingPolicy(practice.patientA);
  });
  after(async () => {
    await env?.browser.close();
    await env?.server.stop();
  });

  test(`${COUNT} messages: bounded rows, infinite scroll to the start, "new messages below", an open edit form survives scrolling`, async () => {
    const patient = practice.patientA.client;
    const provider = practice.provider.client;
    const thread = await patient.call('threads.create', { body: { subject: 'Long conversation', topic: 'clinical_question' } });
    for (let i = 1; i <= COUNT; i++) {
      const who = i % 2 === 1 ? patient : provider;
      await who.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: `Entry ${i}` + (i % 3 === 0 ? '\nwith a second line' : '') } });
    }

    const problems: string[] = [];
    const { context, page } = await e2e.newContext(env, problems);
    try {
      await e2e.signIn(page, practice.slug, practice.patientA.email, practice.patientA.password);
      await page.getByTestId('thread-list').waitFor({ timeout: WAIT });
      await page.goto(`/messages/${thread.id}`);
      const log = page.getByTestId('message-log');
      const rows = page.getByTestId('message');
      const entry = (n: number) => rows.filter({ has: page.locator('.message__body', { hasText: new RegExp(`^Entry ${n}(\\n|$)`) }) });
      await entry(COUNT).waitFor({ timeout: WAIT });
      assert.equal(await log.getAttribute('data-count'), '30', 'the latest page first');
      assert.ok((await rows.count()) < 30, 'only the rows near the view are in the page');
      await axe(page, 'a long thread');

      // The patient starts editing one of their own recent messages, then reads back to the very start.
      const own = entry(COUNT - 1);
      await own.getByRole('button', { name: 'Edit' }).click();
      const box = page.getByLabel('Change your message');
      await box.fill('Entry 199, being corrected');
      for (let loaded = 30; loaded < COUNT; loaded = Number(await log.getAttribute('data-count'))) {
        await log.evaluate((el) => el.scrollTo({ top: 0 }));
        await page.waitForFunction((n) => Number(document.querySelector('[data-testid=message-log]')?.getAttribute('data-count')) > n, loaded, { timeout: WAIT });
      }
      await page.getByText('This is the start of the conversation.').waitFor({ timeout: WAIT });
      assert.equal(await log.getAttribute('data-count'), String(COUNT), 'every page loaded by scrolling');
      await log.evaluate((el) => el.scrollTo({ top: 0 }));
      await entry(1).waitFor({ timeout: WAIT });
      assert.ok((await rows.count()) < 45, `rows in the page stay bounded with ${COUNT} loaded (${await rows.count()})`);
      assert.equal(await box.inputValue(), 'Entry 199, being corrected', 'the open edit form stayed in the page while scrolled away');

      // A reply arrives while the patient reads the start: the view stays, a button offers the new message.
      await provider.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'A new answer' } });
      const jump = page.getByRole('button', { name: 'New messages below: show them' });
      await jump.waitFor({ timeout: WAIT });
      assert.equal(await entry(1).isVisible(), true, 'the view did not jump');
      await jump.click();
      await rows.filter({ hasText: 'A new answer' }).waitFor({ timeout: WAIT });
      await page.getByRole('button', { name: 'Save changes' }).click();
      await rows.filter({ hasText: 'Entry 199, being corrected' }).getByText('(edited)').waitFor({ timeout: WAIT });
      await axe(page, 'a long thread, scrolled back to the newest');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});
