/**
 * Web app benchmark: a thread of 5,000 messages in the patient app (virtualized history, infinite scroll).
 *
 *   node --import tsx bench/web-scroll.ts [--messages 5000] [--no-record]
 *
 * Starts the real server (test harness: the machine's PostgreSQL, HAVEN_TEST_ADMIN_URL) and Debian's Chromium
 * (playwright-core, headless, 1280×900). A patient and their provider exchange --messages messages in one thread
 * (through the SDK, 8 in flight; one to four lines each, so rows differ in height). Then, in the patient's browser:
 *   1. open:   navigation → the newest message on screen;
 *   2. load:   scroll to the top again and again until the whole history is loaded (pages of 30, each asked for by
 *              scrolling near the top), total time;
 *   3. scroll: with everything loaded, scroll the history from the top to the bottom at 400 px per frame (a fast
 *              fling, about 24,000 px/s) and record each frame's interval (requestAnimationFrame), long tasks
 *              (PerformanceObserver) and how many message rows are in the page;
 *   4. jump:   50 jumps to random places: time until the rows there are in the page (two frames).
 * Appends a dated section to bench/RESULTS.md unless --no-record.
 */
import os from 'node:os';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildWebIfNeeded } from '../scripts/build-web.mjs';
import { signIn, startE2E } from '../apps/web/e2e/support.js';
import { codeVersion, machineFacts } from './lib/machine.js';
import { pmap } from './lib/pmap.js';
import { dist, f0, f1 } from './lib/stats.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: { messages: { type: 'string', default: '5000' }, 'no-record': { type: 'boolean', default: false } } });
const N = Number(args.messages);
const WAIT = 120_000;

const LINES = ['How are you feeling today?', 'The new dose seems to help with the mornings.', 'Please remember to log your readings before breakfast.', 'Thank you, I will.'];
const bodyOf = (i: number) => `History ${i + 1}. ` + LINES.slice(0, 1 + (i % 4)).join('\n');

await buildWebIfNeeded({ quiet: true });
const { createPractice } = await import('../apps/server/test/harness.js');
const bench = await startE2E();
const L: string[] = [];
try {
  const practice = await createPractice(bench.server, 'scrollbench');
  const patient = practice.patientA.client;
  const provider = practice.provider.client;
  const thread = await patient.call('threads.create', { body: { subject: 'A long conversation', topic: 'clinical_question' } });
  const t0 = Date.now();
  // Sends in order of i within each writer; 8 in flight overall.
  await pmap(
    Array.from({ length: N }, (_, i) => i),
    8,
    (i) => (i % 2 === 0 ? patient : provider).call('messages.create', { params: { threadId: thread.id }, body: { id: crypto.randomUUID(), body: bodyOf(i) } }),
  );
  const seedS = (Date.now() - t0) / 1000;
  const newest = await patient.call('messages.list', { params: { threadId: thread.id }, query: { limit: 1 } });
  const newestText = newest.items[0]!.body!.split('.')[0]!;

  const context = await bench.browser.newContext({ baseURL: bench.base, viewport: { width: 1280, height: 900 } });
  // tsx compiles this file with esbuild's keepNames, which wraps functions passed to evaluate() in __name(…).
  await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  const page = await context.newPage();
  await signIn(page, practice.slug, practice.patientA.email, practice.patientA.password);
  await page.getByTestId('thread-list').waitFor({ timeout: WAIT });

  // 1. open
  const o0 = Date.now();
  await page.goto(`/messages/${thread.id}`);
  await page.getByTestId('message').filter({ hasText: newestText }).waitFor({ timeout: WAIT });
  const openMs = Date.now() - o0;

  // 2. load everything by scrolling to the top
  const log = page.getByTestId('message-log');
  const l0 = Date.now();
  let pages = 1;
  for (;;) {
    const before = Number(await log.getAttribute('data-count'));
    if (before >= N) break;
    await log.evaluate((el) => el.scrollTo({ top: 0 }));
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid=message-log]')?.getAttribute('data-count')) > n, before, { timeout: WAIT });
    pages++;
  }
  const loadMs = Date.now() - l0;
  const loaded = Number(await log.getAttribute('data-count'));

  // 3. a fast scroll through everything, frame by frame
  const scroll = await log.evaluate(async (el) => {
    const longTasks: number[] = [];
    const observer = new PerformanceObserver((list) => list.getEntries().forEach((e) => longTasks.push(e.duration)));
    observer.observe({ type: 'longtask', buffered: false });
    el.scrollTo({ top: 0 });
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const frames: number[] = [];
    let maxRows = 0;
    let last = performance.now();
    const started = last;
    await new Promise<void>((done) => {
      const step = (now: number) => {
        frames.push(now - last);
        last = now;
        maxRows = Math.max(maxRows, el.querySelectorAll('[data-testid=message]').length);
        if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) return done();
        el.scrollTop += 400;
        requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    });
    observer.disconnect();
    const heap = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? NaN;
    return { frames: frames.slice(1), maxRows, longTasks, totalMs: performance.now() - started, height: el.scrollHeight, heap };
  });

  // 4. random jumps
  const jumps = await log.evaluate(async (el) => {
    const out: number[] = [];
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      el.scrollTop = Math.floor(rnd() * (el.scrollHeight - el.clientHeight));
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      out.push(performance.now() - t);
    }
    return out;
  });

  const fr = dist(scroll.frames);
  const long50 = scroll.frames.filter((x) => x > 50).length;
  const jd = dist(jumps);
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  L.push('', `## Web app: a thread of ${N.toLocaleString('en-US')} messages (bench/web-scroll.ts), ${date}`, '');
  L.push(`- Command: \`node --import tsx bench/web-scroll.ts${N !== 5000 ? ` --messages ${N}` : ''}\``);
  L.push(`- Machine: ${machineFacts()}`);
  L.push(`- Code under test: ${codeVersion(root)}`);
  L.push(`- Load: the machine's load average at the end of the run was ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')} (1 / 5 / 15 min; the cores are shared)`);
  L.push(`- Chromium headless (Debian), 1280×900, on the same 2 cores as the server and PostgreSQL; the patient app, production build; history rows virtualized (@tanstack/react-virtual), pages of 30`);
  L.push(`- Seeding ${N.toLocaleString('en-US')} messages through the SDK took ${f1(seedS)} s (not a benchmark of sends)`, '');
  L.push('| what | result |', '| --- | --- |');
  L.push(`| open the thread: navigation → newest message on screen | **${f0(openMs)} ms** |`);
  L.push(`| load the whole history by scrolling to the top | ${f0(loadMs)} ms ${loaded.toLocaleString('en-US')} messages in pages of 30 (${f1(loadMs / Math.max(1, Math.ceil(loaded / 30) - 1))} ms a page), ${pages - 1} scrolls to the top |`);
  L.push(`| fast scroll top → bottom (${f0(scroll.height)} px at 400 px/frame) | ${scroll.frames.length} frames in ${f0(scroll.totalMs)} ms |`);
  L.push(`| frame interval p50 / p95 / p99 / max | **${f1(fr.p50)} / ${f1(fr.p95)} / ${f1(fr.p99)} / ${f1(fr.max)} ms** (16.7 ms = 60 fps) |`);
  L.push(`| frames over 50 ms | ${long50} of ${scroll.frames.length} |`);
  L.push(`| long tasks (> 50 ms) during the scroll | ${scroll.longTasks.length}${scroll.longTasks.length ? ` (longest ${f0(Math.max(...scroll.longTasks))} ms)` : ''} |`);
  L.push(`| message rows in the page at most (of ${loaded.toLocaleString('en-US')} loaded) | **${scroll.maxRows}** |`);
  L.push(`| random jump → rows there rendered (2 frames), p50 / p95 / max of 50 | ${f1(jd.p50)} / ${f1(jd.p95)} / ${f1(jd.max)} ms |`);
  L.push(`| JS heap after loading everything | ${Number.isFinite(scroll.heap) ? `${f1(scroll.heap / 1048576)} MiB` : 'n/a'} |`);
  L.push('');
} finally {
  await bench.browser.close();
  await bench.server.stop();
}
const section = L.join('\n');
process.stdout.write(section + '\n');
if (!args['no-record'] && section.trim()) appendFileSync(path.join(root, 'bench/RESULTS.md'), section);
