/**
 * Web app benchmark: the patient app's initial JavaScript (gzipped) and the first render of the thread list.
 *
 *   cd /work/wt-web && node --import tsx bench/web-size.ts [--no-render] [--runs 10] [--no-record]
 *
 * 1. Builds apps/web (Vite, production) and measures what the page loads before it can render: the entry script and
 *    every module it preloads, as named in dist/index.html, gzipped at level 9 (what a server or CDN would send;
 *    Haven itself sends the files as they are), plus the CSS. Budget: initial JS ≤ 200 KB gzipped.
 * 2. Unless --no-render: starts the real server with the test harness (the machine's PostgreSQL,
 *    HAVEN_TEST_ADMIN_URL), a practice whose patient has 20 threads, and Debian's Chromium (playwright-core); the
 *    patient signs in, then the thread list is opened --runs times: time from navigation start to the list on screen
 *    (the first run with an empty cache, the others with the hashed assets cached). Loopback, no throttling.
 * Appends a dated section to bench/RESULTS.md unless --no-record.
 */
import os from 'node:os';
import { appendFileSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { buildWebIfNeeded } from '../scripts/build-web.mjs';
import { signIn, startE2E } from '../apps/web/e2e/support.js';
import { codeVersion, machineFacts } from './lib/machine.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'apps/web/dist');
const BUDGET_KB = 200;

const { values: args } = parseArgs({
  options: { 'no-render': { type: 'boolean', default: false }, runs: { type: 'string', default: '10' }, 'no-record': { type: 'boolean', default: false } },
});

const kb = (n: number) => (n / 1024).toFixed(1);

function initialAssets(): { js: string[]; css: string[] } {
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  const js = [...html.matchAll(/<script[^>]*\bsrc="([^"]+)"/g), ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map((m) => m[1]!);
  const css = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)].map((m) => m[1]!);
  return { js, css };
}

function sizes(files: string[]): { raw: number; gzip: number } {
  let raw = 0;
  let gzip = 0;
  for (const f of files) {
    const bytes = readFileSync(path.join(dist, f));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  return { raw, gzip };
}

async function renderTimes(runs: number): Promise<{ cold: number; warm: number[] }> {
  const { createPractice } = await import('../apps/server/test/harness.js');
  const bench = await startE2E();
  const { base, server, browser } = bench;
  try {
    const practice = await createPractice(server, 'webbench');
    for (let i = 1; i <= 20; i++) {
      const t = await practice.patientA.client.call('threads.create', { body: { subject: `Question ${i}`, topic: 'clinical_question' } });
      await practice.patientA.client.call('messages.create', { params: { threadId: t.id }, body: { id: crypto.randomUUID(), body: `Message ${i}` } });
    }
    const context = await browser.newContext({ baseURL: base });
    const page = await context.newPage();
    // Sign in first (sets the session cookie), so every run below is the list alone.
    await signIn(page, practice.slug, practice.patientA.email, practice.patientA.password);
    await page.getByTestId('thread-list').waitFor();
    const times: number[] = [];
    for (let i = 0; i < runs + 1; i++) {
      await page.goto('about:blank');
      if (i === 0) {
        // The first timed run: no cached assets (a new context with the same session cookie).
        const cookies = await context.cookies();
        const cold = await browser.newContext({ baseURL: base });
        await cold.addCookies(cookies);
        const p = await cold.newPage();
        const t0 = Date.now();
        await p.goto('/messages');
        await p.getByTestId('thread-list').getByText('Question 20').waitFor();
        times.push(Date.now() - t0);
        await cold.close();
        continue;
      }
      const t0 = Date.now();
      await page.goto('/messages');
      await page.getByTestId('thread-list').getByText('Question 20').waitFor();
      times.push(Date.now() - t0);
    }
    return { cold: times[0]!, warm: times.slice(1) };
  } finally {
    await bench.browser.close();
    await bench.server.stop();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

await buildWebIfNeeded({ force: true, quiet: true });
const { js, css } = initialAssets();
const jsSize = sizes(js);
const cssSize = sizes(css);
const all = readdirSync(path.join(dist, 'assets')).filter((f) => f.endsWith('.js'));
const allJs = all.reduce((n, f) => n + statSync(path.join(dist, 'assets', f)).size, 0);
const met = jsSize.gzip / 1024 <= BUDGET_KB;

let render: { cold: number; warm: number[] } | null = null;
if (!args['no-render']) render = await renderTimes(Number(args.runs));

const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const L: string[] = [];
L.push('', `## Web app: initial JS and first thread-list render (bench/web-size.ts), ${date}`, '');
L.push(`- Command: \`node --import tsx bench/web-size.ts${args['no-render'] ? ' --no-render' : ''}${args.runs !== '10' ? ` --runs ${args.runs}` : ''}\``);
L.push(`- Machine: ${machineFacts()}`);
L.push(`- Code under test: ${codeVersion(root)}`);
L.push(`- Load: the machine's load average at the end of the run was ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')} (1 / 5 / 15 min; the cores are shared)`);
L.push(`- Build: Vite production build of apps/web; sizes gzipped at level 9 by this script`, '');
L.push('| what | files | raw KB | gzipped KB | budget |', '| --- | --- | --- | --- | --- |');
L.push(`| initial JS (entry + modulepreloads) | ${js.length} | ${kb(jsSize.raw)} | **${kb(jsSize.gzip)}** | ≤ ${BUDGET_KB} KB gzipped — ${met ? '**met**' : '**NOT met**'} |`);
L.push(`| initial CSS | ${css.length} | ${kb(cssSize.raw)} | ${kb(cssSize.gzip)} | |`);
L.push(`| all JS chunks | ${all.length} | ${kb(allJs)} | | |`);
if (render) {
  L.push('', `First render of the patient's thread list (20 threads), navigation start → list on screen, Chromium headless on the same 2 cores as the server and PostgreSQL (loopback):`, '');
  L.push('| run | ms |', '| --- | --- |');
  L.push(`| first load, empty cache | **${render.cold}** |`);
  L.push(`| cached assets, median of ${render.warm.length} | **${median(render.warm)}** (min ${Math.min(...render.warm)}, max ${Math.max(...render.warm)}) |`);
}
L.push('');
const section = L.join('\n');
process.stdout.write(section + '\n');
if (!args['no-record']) appendFileSync(path.join(root, 'bench/RESULTS.md'), section);
if (!met) process.exitCode = 1;
