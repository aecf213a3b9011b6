// Browser tests of the patient app's first use and settings (issue #5): the messaging policy before the first message
// (recorded by the server, asked again when the practice changes it), who covers for an absent provider, the
// installable app (manifest, icons, service worker), and notification settings (Web Push on this device, e-mail and
// SMS with consent, quiet hours, how often), for patients and staff. axe on every page and state.
//
// Headless Chromium cannot subscribe to a real push service ("AbortError: Registration failed - permission denied"):
// the push test replaces PushManager.subscribe/getSubscription with a subscription of a real P-256 key at an FCM
// address, so the app's own code, the server's subscription API and the settings are tested; the browser's push
// service registration and a delivery through it are not. The service worker's push and click handlers are driven
// through the DevTools protocol (ServiceWorker.deliverPushMessage).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { createPractice, uuid, type Practice, type TestServer } from '../../server/test/harness.js';
import * as e2e from './support.js';
import { axe, shot, WAIT } from './support.js';

let env: e2e.E2E;
let server: TestServer;
let practice: Practice;
let base: string;

const newContext = (problems: string[]) => e2e.newContext(env, problems);
const signIn = (page: Page, email: string, password: string) => e2e.signIn(page, practice.slug, email, password);

/** Width and height of a PNG from its IHDR chunk. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG', 'a PNG file');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

const noSideScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

describe('patient app: first use, the installable app and notification settings', { timeout: 300_000 }, () => {
  before(async () => {
    env = await e2e.startE2E();
    ({ server, base } = env);
    practice = await createPractice(server, 'pwa');
  });
  after(async () => {
    await env?.browser.close();
    await env?.server.stop();
  });

  test('the manifest, icons and service worker are served with the right types and caching, and Chromium finds the app installable', async () => {
    const html = await (await fetch(`${base}/messages`, { headers: { accept: 'text/html' } })).text();
    assert.match(html, /<link rel="manifest" href="\/manifest\.webmanifest"/);
    assert.match(html, /<meta name="theme-color" content="#0a4f8f"/);

    const res = await fetch(`${base}/manifest.webmanifest`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/manifest\+json/);
    assert.match(res.headers.get('cache-control') ?? '', /no-cache/);
    const manifest = (await res.json()) as { name: string; short_name: string; start_url: string; scope: string; display: string; theme_color: string; icons: { src: string; sizes: string; type: string; purpose?: string }[] };
    assert.equal(manifest.start_url, '/inbox');
    assert.equal(manifest.display, 'standalone');
    assert.equal(manifest.scope, '/');
    assert.ok(manifest.name && manifest.short_name && manifest.theme_color);
    for (const size of [192, 512]) {
      const icon = manifest.icons.find((i) => i.sizes === `${size}x${size}` && i.type === 'image/png');
      assert.ok(icon, `a ${size} px PNG icon`);
      const png = await fetch(`${base}${icon.src}`);
      assert.equal(png.status, 200);
      assert.equal(png.headers.get('content-type'), 'image/png');
      assert.deepEqual(pngSize(Buffer.from(await png.arrayBuffer())), { width: size, height: size });
    }

    const sw = await fetch(`${base}/sw.js`);
    assert.equal(sw.status, 200);
    assert.match(sw.headers.get('content-type') ?? '', /^(text|application)\/javascript/);
    // Never cached by the HTTP cache (a new version is picked up at once), and it caches nothing itself.
    assert.match(sw.headers.get('cache-control') ?? '', /no-cache/);
    const code = await sw.text();
    assert.doesNotMatch(code, /caches\.|addEventListener\(['"]fetch|indexedDB/, 'the service worker stores nothing and answers no requests');

    const problems: string[] = [];
    const { page, context } = await newContext(problems);
    try {
      await page.goto('/sign-in');
      await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor({ timeout: WAIT });
      const scope = await page.evaluate(async () => {
        const reg = await navigator.serviceWorker.ready;
        return { scope: reg.scope, script: reg.active?.scriptURL ?? '' };
      });
      assert.equal(scope.scope, `${base}/`);
      assert.equal(scope.script, `${base}/sw.js`);
      const cdp = await context.newCDPSession(page);
      const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
      // Test contexts are incognito-like ("in-incognito" is the one reason left): manifest, icons and worker are fine.
      assert.deepEqual(installabilityErrors.map((e) => e.errorId).filter((id) => id !== 'in-incognito'), [], 'Chromium: installable');

      // A push reaches the service worker: it shows a generic notification (title and one sentence, no message text).
      await context.grantPermissions(['notifications'], { origin: base });
      await cdp.send('ServiceWorker.enable');
      const registrationId = await new Promise<string>((resolve) => {
        cdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: { registrationId: string; scopeURL: string }[] }) => {
          const r = e.registrations.find((x) => x.scopeURL === `${base}/`);
          if (r) resolve(r.registrationId);
        });
      });
      await cdp.send('ServiceWorker.deliverPushMessage', { origin: base, registrationId, data: JSON.stringify({ title: 'New secure message', body: 'You have a new secure message. Sign in to read it.', url: `${base}/inbox` }) });
      const shown = await page.evaluate(async () => {
        const reg = await navigator.serviceWorker.ready;
        for (let i = 0; i < 50; i++) {
          const n = await reg.getNotifications();
          if (n.length > 0) return n.map((x) => ({ title: x.title, body: x.body, data: x.data as unknown }));
          await new Promise((r) => setTimeout(r, 100));
        }
        return [];
      });
      assert.deepEqual(shown, [{ title: 'New secure message', body: 'You have a new secure message. Sign in to read it.', data: { url: '/inbox' } }]);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('first use: the patient reads and accepts the messaging policy (the server records the version), then writes; a returning patient is not asked again; a new version asks again', async () => {
    const problems: string[] = [];
    const patient = await newContext(problems);
    const subject = 'Rash on my arm';
    const first = 'I have had a rash on my arm since Sunday.';
    try {
      await signIn(patient.page, practice.patientA.email, practice.patientA.password);
      await patient.page.getByRole('heading', { level: 1, name: 'Your messages' }).waitFor({ timeout: WAIT });
      await patient.page.getByRole('link', { name: 'New message' }).click();
      await patient.page.getByRole('heading', { level: 1, name: 'New message' }).waitFor({ timeout: WAIT });
      const policy = patient.page.getByTestId('messaging-policy');
      await policy.getByRole('heading', { level: 2, name: 'Before you send a message' }).waitFor({ timeout: WAIT });
      // What messaging is for, when to expect an answer, what to do in an emergency: from the server, in order.
      await policy.getByText(/Use messages for questions that can wait/).waitFor();
      await policy.getByText(/answers within 8 working hours/).waitFor();
      await policy.getByText(/In an emergency, call 911/).waitFor();
      await policy.getByText(/part of your health record/).waitFor();
      // No way to write before agreeing.
      assert.equal(await patient.page.getByLabel('Subject').count(), 0);
      assert.equal(await patient.page.getByLabel('Your message').count(), 0);
      await axe(patient.page, 'messaging policy (first use)');
      await shot(patient.page, 'patient-messaging-policy');
      const before = await practice.patientA.client.call('me.messagingPolicy.get');
      assert.equal(before.accepted, false);

      await policy.getByRole('button', { name: 'I understand and agree' }).click();
      await patient.page.getByText('Thank you. You can write your message now.').waitFor({ timeout: WAIT });
      const after = await practice.patientA.client.call('me.messagingPolicy.get');
      assert.equal(after.accepted, true);
      assert.equal(after.lastAcceptance?.version, before.version, 'the server recorded the version the patient read');
      const audit = await practice.compliance.client.call('audit.list', { query: { action: 'me.messagingPolicy.accept', patientId: practice.patientA.id } });
      assert.equal(audit.items.length, 1);
      assert.equal(audit.items[0]!.details.version, before.version);
      // Focus moves to the form that appeared.
      assert.equal(await patient.page.evaluate(() => document.activeElement?.tagName), 'INPUT');

      await patient.page.getByLabel('A question about my health').check();
      await patient.page.getByLabel('Subject').fill(subject);
      await patient.page.getByLabel('Your message').fill(first);
      await axe(patient.page, 'new thread page after accepting');
      await patient.page.getByRole('button', { name: 'Send message' }).click();
      await patient.page.getByRole('heading', { level: 1, name: subject }).waitFor({ timeout: WAIT });
      await patient.page.getByTestId('message').filter({ hasText: first }).waitFor({ timeout: WAIT });
      await patient.page.getByTestId('composer').waitFor({ timeout: WAIT });
      assert.equal(await patient.page.getByTestId('messaging-policy').count(), 0);
      // The policy stays one click away.
      await patient.page.getByText('How messaging works').click();
      await patient.page.getByText(/You agreed to this policy on/).waitFor();
      await axe(patient.page, 'thread page with the policy reopened');
      const threadUrl = new URL(patient.page.url()).pathname;

      // Returning (a new sign-in in a new browser): not asked again; the composer is there.
      await patient.context.close();
      const again = await newContext(problems);
      await signIn(again.page, practice.patientA.email, practice.patientA.password);
      await again.page.getByRole('heading', { level: 1, name: 'Your messages' }).waitFor({ timeout: WAIT });
      await again.page.goto(threadUrl);
      await again.page.getByTestId('composer').waitFor({ timeout: WAIT });
      assert.equal(await again.page.getByTestId('messaging-policy').count(), 0);

      // The practice changes its emergency number: a new version; the composer waits for the patient to agree again.
      await practice.admin.client.call('workflow.settings.update', { body: { emergencyNumber: '112' } });
      await again.page.reload();
      const changed = again.page.getByTestId('messaging-policy');
      await changed.getByRole('heading', { level: 2, name: 'Our messaging policy has changed' }).waitFor({ timeout: WAIT });
      await changed.getByText(/In an emergency, call 112/).waitFor();
      assert.equal(await again.page.getByTestId('composer').count(), 0);
      // History stays readable meanwhile.
      await again.page.getByTestId('message').filter({ hasText: first }).waitFor();
      await axe(again.page, 'messaging policy changed');
      await shot(again.page, 'patient-messaging-policy-changed');
      // In Spanish: the same version, the server's Spanish text (the picker also saves the language to the account).
      await again.page.getByLabel('Language').selectOption('es');
      await changed.getByRole('heading', { level: 2, name: 'Nuestras normas de mensajería cambiaron' }).waitFor({ timeout: WAIT });
      await changed.getByText(/En una emergencia, llame al 112/).waitFor({ timeout: WAIT });
      await axe(again.page, 'messaging policy in Spanish');
      await again.page.getByLabel('Idioma').selectOption('en');
      await changed.getByText(/In an emergency, call 112/).waitFor({ timeout: WAIT });

      // It changes again while the patient reads: agreeing to the old text is refused, the new text is shown.
      const middle = await practice.patientA.client.call('me.messagingPolicy.get');
      await practice.admin.client.call('workflow.settings.update', { body: { emergencyNumber: '999' } });
      await changed.getByRole('button', { name: 'I understand and agree' }).click();
      await again.page.getByText('The policy changed while you were reading it. Please read the new version.').waitFor({ timeout: WAIT });
      await changed.getByText(/In an emergency, call 999/).waitFor({ timeout: WAIT });
      assert.equal((await practice.patientA.client.call('me.messagingPolicy.get')).accepted, false);
      await changed.getByRole('button', { name: 'I understand and agree' }).click();
      await again.page.getByTestId('composer').waitFor({ timeout: WAIT });
      const latest = await practice.patientA.client.call('me.messagingPolicy.get');
      assert.equal(latest.accepted, true);
      assert.notEqual(latest.version, middle.version);
      assert.notEqual(latest.version, before.version);
      await again.page.getByLabel('Write a message').fill('Thank you.');
      await again.page.getByRole('button', { name: 'Send', exact: true }).click();
      await again.page.getByTestId('message').filter({ hasText: 'Thank you.' }).waitFor({ timeout: WAIT });
      assert.deepEqual(problems, []);
      await again.context.close();
    } finally {
      await patient.context.close().catch(() => undefined);
      await practice.admin.client.call('workflow.settings.update', { body: { emergencyNumber: '911' } });
    }
  });

  test('who covers while the provider is away is shown on the thread; the composer stays usable on a phone and at 200 % zoom', async () => {
    const problems: string[] = [];
    // Dr A (provider of care team A) takes direct messages and is away this week; the nurse covers.
    await practice.provider.client.call('workflow.directMessages', { body: { acceptsDirectMessages: true } });
    const now = Date.now();
    const away = await practice.provider.client.call('availability.outOfOffice.create', {
      params: { userId: practice.provider.id },
      body: { startsAt: new Date(now - 3600_000).toISOString(), endsAt: new Date(now + 7 * 86400_000).toISOString(), coverUserId: practice.nurse.id },
    });
    await e2e.acceptMessagingPolicy(practice.patientA);
    const thread = await practice.patientA.client.call('threads.create', { body: { subject: 'For Dr A', topic: 'clinical_question', providerId: practice.provider.id } });
    await practice.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'A question for Dr A.' } });
    assert.equal(thread.careContact?.coveringFor?.id, practice.provider.id);
    const phone = await env.browser.newContext({ baseURL: base, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const page = await phone.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
    });
    try {
      await signIn(page, practice.patientA.email, practice.patientA.password);
      await page.getByRole('heading', { level: 1, name: 'Your messages' }).waitFor({ timeout: WAIT });
      await page.goto(`/messages/${thread.id}`);
      await page.getByTestId('coverage').filter({ hasText: `Dr A ${practice.slug} is away. Nurse A ${practice.slug} is covering and will answer you.` }).waitFor({ timeout: WAIT });
      await axe(page, 'thread with coverage on a phone');
      await shot(page, 'patient-thread-coverage-phone');
      for (const [what, size] of [['a phone (390×844)', { width: 390, height: 844 }], ['200 % zoom (640×450 CSS px)', { width: 640, height: 450 }]] as const) {
        await page.setViewportSize(size);
        assert.equal(await noSideScroll(page), true, `no sideways scrolling on ${what}`);
        const box = page.getByLabel('Write a message');
        await box.scrollIntoViewIfNeeded();
        const r = await box.boundingBox();
        assert.ok(r && r.width >= Math.min(280, size.width - 64) && r.height >= 44, `the message box is usable on ${what}`);
        const send = page.getByRole('button', { name: 'Send', exact: true });
        const s = await send.boundingBox();
        assert.ok(s && s.height >= 44 && s.width >= 44, `the send button is a large target on ${what}`);
        const text = `Sent from ${what}`;
        await box.fill(text);
        await send.click();
        await page.getByTestId('message').filter({ hasText: text }).waitFor({ timeout: WAIT });
      }
      await axe(page, 'thread at 200 % zoom');
      assert.deepEqual(problems, []);
    } finally {
      await phone.close();
      await practice.provider.client.call('availability.outOfOffice.delete', { params: { userId: practice.provider.id, outOfOfficeId: away.id } });
    }
  });

  test('notification settings: push on this device, e-mail and SMS with consent, quiet hours and how often; the server has them; errors next to the field, nothing lost', async () => {
    const problems: string[] = [];
    const { context, page } = await newContext(problems);
    // A real P-256 key and auth secret, at an FCM address: the shape a browser's push service gives.
    const p256dh = (generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) as { x: string; y: string });
    const raw = Buffer.concat([Buffer.from([4]), Buffer.from(p256dh.x, 'base64url'), Buffer.from(p256dh.y, 'base64url')]).toString('base64url');
    const fake = { endpoint: `https://fcm.googleapis.com/fcm/send/e2e-${randomBytes(8).toString('hex')}`, p256dh: raw, auth: randomBytes(16).toString('base64url') };
    await context.grantPermissions(['notifications'], { origin: base });
    // A string, not a function: tsx names functions with a helper the page does not have.
    await context.addInitScript(`(() => {
      const f = ${JSON.stringify(fake)};
      let current = null;
      const make = () => ({
        endpoint: f.endpoint,
        expirationTime: null,
        options: { userVisibleOnly: true },
        toJSON: () => ({ endpoint: f.endpoint, expirationTime: null, keys: { p256dh: f.p256dh, auth: f.auth } }),
        unsubscribe: async () => { current = null; return true; },
      });
      PushManager.prototype.subscribe = async function () { current = make(); return current; };
      PushManager.prototype.getSubscription = async function () { return current; };
    })();`);
    try {
      await signIn(page, practice.patientB.email, practice.patientB.password);
      await page.getByRole('heading', { level: 1, name: 'Your messages' }).waitFor({ timeout: WAIT });
      await page.getByRole('link', { name: 'Notification settings' }).click();
      await page.getByRole('heading', { level: 1, name: 'Notification settings' }).waitFor({ timeout: WAIT });
      assert.equal(new URL(page.url()).pathname, '/messages/settings');
      const device = page.getByTestId('device-push');
      await device.getByTestId('push-state').filter({ hasText: 'Notifications are off for this device.' }).waitFor({ timeout: WAIT });
      await device.getByText('No device gets notifications yet.').waitFor();
      await axe(page, 'notification settings');

      // Push on this device.
      await device.getByRole('button', { name: 'Turn on notifications on this device' }).click();
      await device.getByTestId('push-state').filter({ hasText: 'Notifications are on for this device.' }).waitFor({ timeout: WAIT });
      await device.getByText(/Through fcm\.googleapis\.com, added/).waitFor({ timeout: WAIT });
      let devices = await practice.patientB.client.call('notifications.push.list');
      assert.deepEqual(devices.items.map((d) => d.endpointOrigin), ['https://fcm.googleapis.com']);
      assert.equal((await practice.patientB.client.call('notifications.preferences.get')).channels.push, true);

      // E-mail and SMS with a number the server refuses: the error is next to the number; nothing typed is lost.
      await page.getByLabel('E-mail me when a secure message is waiting').check();
      await page.getByLabel('Text me when a secure message is waiting').check();
      await page.getByLabel('Mobile number').fill('call me');
      await page.getByLabel('Do not notify me during quiet hours').check();
      await page.getByLabel('From').fill('21:30');
      await page.getByLabel('Until').fill('06:45');
      await page.getByLabel('Time zone').selectOption('America/Chicago');
      await page.getByLabel('Notify me at most').selectOption({ label: 'Once every 30 minutes' });
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByText('Your settings were not saved. Check the marked fields and try again.').waitFor({ timeout: WAIT });
      const phoneField = page.getByLabel('Mobile number');
      assert.equal(await phoneField.getAttribute('aria-invalid'), 'true');
      await page.getByText('Enter the number in international format, for example +1 555 0100.').waitFor();
      assert.equal(await phoneField.inputValue(), 'call me');
      assert.equal(await page.getByLabel('E-mail me when a secure message is waiting').isChecked(), true);
      assert.equal(await page.getByLabel('From').inputValue(), '21:30');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('type')), 'tel', 'focus on the field to fix');
      let prefs = await practice.patientB.client.call('notifications.preferences.get');
      assert.equal(prefs.consent.email.given, false, 'nothing saved by the refused request');
      assert.equal(prefs.quietHours, null);
      await axe(page, 'notification settings with a field error');
      await shot(page, 'patient-settings-error');

      await phoneField.fill('+1 555 010 0199');
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByText('Your settings are saved.').waitFor({ timeout: WAIT });
      prefs = await practice.patientB.client.call('notifications.preferences.get');
      assert.deepEqual(prefs.channels, { push: true, email: true, sms: true });
      assert.equal(prefs.consent.email.given, true);
      assert.equal(prefs.consent.sms.given, true);
      assert.equal(prefs.smsPhone, '+15550100199');
      assert.deepEqual(prefs.quietHours, { start: '21:30', end: '06:45', timeZone: 'America/Chicago' });
      assert.equal(prefs.batchWindowMinutes, 30);
      const consents = await practice.compliance.client.call('audit.list', { query: { action: 'notifications.consent.update', patientId: practice.patientB.id } });
      assert.deepEqual(consents.items.map((e) => e.details.channel).sort(), ['email', 'sms']);

      // Push off on this device (before a reload: the test's stand-in subscription lives in the page): the server forgets it.
      await device.getByRole('button', { name: 'Turn off on this device' }).click();
      await device.getByTestId('push-state').filter({ hasText: 'Notifications are off for this device.' }).waitFor({ timeout: WAIT });
      await device.getByText('No device gets notifications yet.').waitFor({ timeout: WAIT });
      assert.equal((await practice.patientB.client.call('notifications.push.list')).items.length, 0);
      assert.equal((await practice.patientB.client.call('notifications.preferences.get')).channels.push, false);

      // After a reload the page shows what the server has, with when consent was given.
      await page.reload();
      await page.getByTestId('consent-sms').filter({ hasText: /You agreed on/ }).waitFor({ timeout: WAIT });
      assert.equal(await page.getByLabel('Mobile number').inputValue(), '+15550100199');
      assert.equal(await page.getByLabel('Time zone').inputValue(), 'America/Chicago');
      await axe(page, 'notification settings saved');
      await shot(page, 'patient-settings');

      // Texts off: the channel and the consent are withdrawn together.
      await page.getByLabel('Text me when a secure message is waiting').uncheck();
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByText('Your settings are saved.').waitFor({ timeout: WAIT });
      prefs = await practice.patientB.client.call('notifications.preferences.get');
      assert.equal(prefs.channels.sms, false);
      assert.equal(prefs.consent.sms.given, false);
      await page.getByTestId('consent-sms').filter({ hasText: /You said no on/ }).waitFor({ timeout: WAIT });

      // On again, then removed from the list, asked first inside the page.
      await device.getByRole('button', { name: 'Turn on notifications on this device' }).click();
      await device.getByRole('button', { name: /^Remove the device added/ }).click();
      await device.getByText('Remove this device? It will stop getting notifications.').waitFor();
      await axe(page, 'remove device confirmation');
      await device.getByRole('button', { name: 'Keep it' }).click();
      assert.equal((await practice.patientB.client.call('notifications.push.list')).items.length, 1);
      await device.getByRole('button', { name: /^Remove the device added/ }).click();
      await device.getByRole('button', { name: 'Remove device' }).click();
      await device.getByText('The device was removed.').waitFor({ timeout: WAIT });
      devices = await practice.patientB.client.call('notifications.push.list');
      assert.equal(devices.items.length, 0);

      // The staff settings are not the patient's: the patient who opens them lands on their own messages.
      await page.goto('/staff/settings');
      await page.getByRole('heading', { level: 1, name: 'Your messages' }).waitFor({ timeout: WAIT });
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('staff: the same settings at /staff/settings, with which conversations notify them; Spanish complete', async () => {
    const problems: string[] = [];
    const { context, page } = await newContext(problems);
    try {
      await signIn(page, practice.nurse.email, practice.nurse.password);
      await page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor({ timeout: WAIT });
      await page.getByRole('link', { name: 'Notification settings' }).click();
      await page.getByRole('heading', { level: 1, name: 'Notification settings' }).waitFor({ timeout: WAIT });
      assert.equal(new URL(page.url()).pathname, '/staff/settings');
      await page.getByLabel('Conversations assigned to me').waitFor();
      const was = (await practice.nurse.client.call('notifications.preferences.get')).staff!;
      await page.getByLabel('Every conversation of my care teams').setChecked(!was.careTeamThreads);
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByText('Your settings are saved.').waitFor({ timeout: WAIT });
      assert.equal((await practice.nurse.client.call('notifications.preferences.get')).staff?.careTeamThreads, !was.careTeamThreads);
      await axe(page, 'staff notification settings');
      await shot(page, 'staff-settings');
      await page.getByLabel('Language').selectOption('es');
      await page.getByRole('heading', { level: 1, name: 'Ajustes de notificaciones' }).waitFor({ timeout: WAIT });
      await page.getByLabel('Conversaciones asignadas a mí').waitFor();
      await axe(page, 'staff notification settings in Spanish');
      await page.getByLabel('Idioma').selectOption('en');
      await page.getByRole('heading', { level: 1, name: 'Notification settings' }).waitFor({ timeout: WAIT });
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});
