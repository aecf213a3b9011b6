// Shared pieces of the browser tests: Debian's Chromium through playwright-core, the real server from the test
// harness on a free port whose origin is its PUBLIC_URL, contexts that fail on CSP violations, page errors or
// dialogs, axe-core, screenshots and what the browser keeps in storage.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { buildWebIfNeeded } from '../../../scripts/build-web.mjs';
import { startTestServer, type TestServer } from '../../server/test/harness.js';
import type { Clock } from '../../server/src/platform/time/clock.js';

export const CHROMIUM = process.env.HAVEN_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
// The machine has 2 cores shared with other work: waits are generous.
export const WAIT = 30_000;
/** HAVEN_E2E_SCREENSHOTS=docs/screenshots: also save screenshots of the main screens there. */
const SHOTS = process.env.HAVEN_E2E_SCREENSHOTS;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface E2E {
  server: TestServer;
  browser: Browser;
  base: string;
}

/** Builds the app if needed, starts the server (extra harness options, e.g. a clock) and Chromium. */
export async function startE2E(options: { clock?: Clock } = {}): Promise<E2E> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's package (apt-get install -y chromium) or set HAVEN_CHROMIUM. The browser tests do not skip.`);
  }
  await buildWebIfNeeded({ quiet: true });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // The event socket accepts the session cookie from the public URL's origin only: the browser's origin here.
  const server = await startTestServer({ port, publicUrl: base }, options.clock ? { clock: options.clock } : {});
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  return { server, browser, base };
}

/** A browser context that fails the test on a CSP violation, a page error or a dialog (an executed payload). */
export async function newContext(e2e: E2E, problems: string[]): Promise<{ context: BrowserContext; page: Page; urls: string[] }> {
  const context = await e2e.browser.newContext({ baseURL: e2e.base, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to (execute|apply|load|connect)/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // Every file the page asks for exists (the icon, the hashed assets); API answers are checked by the steps.
  page.on('response', (r) => {
    if (r.status() === 404 && !new URL(r.url()).pathname.startsWith('/api/')) problems.push(`404: ${r.url()}`);
  });
  page.on('dialog', (d) => {
    problems.push(`dialog opened: ${d.message()}`);
    void d.dismiss();
  });
  return { context, page, urls };
}

export async function axe(page: Page, what: string): Promise<void> {
  const result = await new AxeBuilder({ page }).withTags(WCAG).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `axe on ${what}: serious or critical WCAG 2.2 AA violations`,
  );
}

export async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

export async function signIn(page: Page, practiceSlug: string, email: string, password: string): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Practice code').fill(practiceSlug);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Every text the browser keeps in storage (localStorage, sessionStorage) and the names of its IndexedDB databases. */
export async function storedText(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const parts: string[] = [];
    for (const s of [localStorage, sessionStorage]) for (let i = 0; i < s.length; i++) parts.push(`${s.key(i)}=${s.getItem(s.key(i)!)}`);
    const dbs = await indexedDB.databases();
    parts.push(...dbs.map((d) => `idb:${d.name}`));
    return parts.join('\n');
  });
}

/**
 * The patients of a practice accept the current messaging policy through the API, as if they had on their first use
 * (the app shows a patient's composer only after that; decision 0027). For browser tests about something else.
 */
export async function acceptMessagingPolicy(...patients: { client: { call: import('@haven/api').HavenClient['call'] } }[]): Promise<void> {
  for (const p of patients) {
    const { version } = await p.client.call('me.messagingPolicy.get');
    await p.client.call('me.messagingPolicy.accept', { body: { version } });
  }
}
