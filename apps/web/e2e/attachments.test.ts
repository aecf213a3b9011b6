// Browser test of files in messages: the patient attaches a photo (through the "Attach files" button's file chooser)
// and a file the practice does not accept; the refused file is named on the message, which is then sent without it;
// staff see the photo's preview (served with the session cookie, metadata removed by the server) and download it.
// A message of files alone says which files it carries.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { createPractice, type Practice } from '../../server/test/harness.js';
import * as e2e from './support.js';
import { axe, WAIT } from './support.js';

let env: e2e.E2E;
let practice: Practice;

describe('files in messages, in Chromium', { timeout: 280_000 }, () => {
  before(async () => {
    env = await e2e.startE2E();
    practice = await createPractice(env.server, 'webfiles');
    await e2e.acceptMessagingPolicy(practice.patientA);
  });
  after(async () => {
    await env?.browser.close();
    await env?.server.stop();
  });

  test('a photo is sent, a refused file is named and left out, staff see the preview and download the photo', async () => {
    const photo = await sharp({ create: { width: 600, height: 400, channels: 3, background: { r: 30, g: 120, b: 200 } } }).jpeg().toBuffer();
    const thread = await practice.patientA.client.call('threads.create', { body: { subject: 'Rash on my arm', topic: 'clinical_question' } });
    const problems: string[] = [];
    const patient = await e2e.newContext(env, problems);
    const staff = await e2e.newContext(env, problems);
    try {
      await e2e.signIn(patient.page, practice.slug, practice.patientA.email, practice.patientA.password);
      await patient.page.getByTestId('thread-list').waitFor({ timeout: WAIT });
      await patient.page.goto(`/messages/${thread.id}`);
      await patient.page.getByRole('heading', { level: 1, name: 'Rash on my arm' }).waitFor({ timeout: WAIT });

      // Two files through the button's file chooser.
      const chooser = patient.page.waitForEvent('filechooser');
      await patient.page.getByRole('button', { name: 'Attach files' }).click();
      await (await chooser).setFiles([
        { name: 'rash.jpg', mimeType: 'image/jpeg', buffer: photo },
        { name: 'setup.exe', mimeType: 'application/x-msdownload', buffer: Buffer.from('MZ\x90\x00' + 'x'.repeat(200)) },
      ]);
      const chosen = patient.page.getByRole('list', { name: 'Files to send' });
      await chosen.getByRole('button', { name: 'Remove rash.jpg' }).waitFor({ timeout: WAIT });
      await chosen.getByRole('button', { name: 'Remove setup.exe' }).waitFor({ timeout: WAIT });
      await axe(patient.page, 'composer with files chosen');
      await patient.page.getByLabel('Write a message').fill('Here is a photo of the rash.');
      await patient.page.getByRole('button', { name: 'Send', exact: true }).click();

      // The practice does not take .exe files: the message says so and offers to send it without that file.
      const pending = patient.page.getByTestId('pending-message');
      await pending.getByText('Your practice does not accept files like setup.exe.').waitFor({ timeout: WAIT });
      await axe(patient.page, 'a message with a refused file');
      await pending.getByRole('button', { name: 'Send without setup.exe' }).click();
      const sent = patient.page.getByTestId('message').filter({ hasText: 'Here is a photo of the rash.' });
      await sent.waitFor({ timeout: WAIT });
      await sent.getByRole('link', { name: /^Download rash\.jpg/ }).waitFor({ timeout: WAIT });
      assert.equal(await sent.getByText('setup.exe').count(), 0);
      const stored = await practice.patientA.client.call('messages.list', { params: { threadId: thread.id }, query: { limit: 5 } });
      const message = stored.items.find((m) => m.body === 'Here is a photo of the rash.');
      assert.deepEqual(
        message?.attachments.map((a) => [a.fileName, a.contentType]),
        [['rash.jpg', 'image/jpeg']],
      );

      // Files alone: the message names them.
      const chooser2 = patient.page.waitForEvent('filechooser');
      await patient.page.getByRole('button', { name: 'Attach files' }).click();
      await (await chooser2).setFiles([{ name: 'second.jpg', mimeType: 'image/jpeg', buffer: photo }]);
      await patient.page.getByRole('button', { name: 'Send', exact: true }).click();
      await patient.page.getByTestId('message').filter({ hasText: 'Sent files: second.jpg' }).waitFor({ timeout: WAIT });

      // Staff: the preview loads (an image, with the session cookie), and the download is the server's cleaned file.
      await e2e.signIn(staff.page, practice.slug, practice.nurse.email, practice.nurse.password);
      await staff.page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor({ timeout: WAIT });
      await staff.page.goto(`/staff/threads/${thread.id}`);
      const row = staff.page.getByTestId('message').filter({ hasText: 'Here is a photo of the rash.' });
      const preview = row.getByRole('img', { name: 'Picture: rash.jpg' });
      await preview.waitFor({ timeout: WAIT });
      await staff.page.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0, await preview.elementHandle(), { timeout: WAIT });
      const download = staff.page.waitForEvent('download');
      await row.getByRole('link', { name: /^Download rash\.jpg/ }).click();
      const file = await download;
      assert.equal(file.suggestedFilename(), 'rash.jpg');
      const bytes = readFileSync((await file.path())!);
      const fromApi = await practice.nurse.client.downloadAttachment(thread.id, message!.id, message!.attachments[0]!.id);
      assert.ok(Buffer.from(fromApi.bytes).equals(bytes), 'the browser downloaded the stored file');
      assert.equal((await sharp(bytes).metadata()).width, 600);
      await axe(staff.page, 'staff thread with a photo');
      for (const url of [...patient.urls, ...staff.urls]) assert.ok(!url.includes('rash') || url.includes('/attachments/'), `a URL carries text: ${url}`);
      assert.deepEqual(problems, []);
    } finally {
      await patient.context.close();
      await staff.context.close();
    }
  });
});
