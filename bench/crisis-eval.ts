/**
 * Crisis-language detection: quality on the labelled sets and speed on message-sized text.
 *
 *   node --import tsx bench/crisis-eval.ts                 # all sets, speed on 2,000 messages of 1-2 KB
 *   node --import tsx bench/crisis-eval.ts --messages 5000 --quiet-wait 0 --no-record
 *
 * Quality: for each labelled set (apps/server/src/modules/safety/crisis-testset.*.json), precision, recall,
 * TP/FP/FN per category and overall (per message: flagged at all vs labelled at all), and which kinds of message it
 * gets right. Speed: messages of 1-2 KB built from the sets' messages (a fixed pseudo-random mix, so every run
 * checks the same text), each checked once after a warm-up; per-message latency (p50/p99/max, µs of wall time) and
 * throughput in messages per second of wall time and per CPU-second (the cores are shared with other sessions; CPU
 * time is the steadier number). Pure computation in this process: no server, no database, no network.
 *
 * Markdown goes to stdout and is appended to bench/CRISIS-RESULTS.md (unless --no-record).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CRISIS_CATEGORIES } from '@haven/api';
import { detectCrisis } from '../apps/server/src/modules/safety/crisis-detector.js';
import { checkSet, evaluate, MESSAGE_KINDS, type Evaluation, type LabelledMessage } from '../apps/server/src/modules/safety/crisis-evaluation.js';
import { compiledLexicon } from '../apps/server/src/modules/safety/lexicons/index.js';
import { busyCores, codeVersion, machineFacts, waitQuiet } from './lib/machine.js';
import { log } from './lib/log.js';
import { appendSection, dataComment, previousRun, putMetric, ratioTable, type Metrics } from './lib/results.js';
import { dist, f0, f1, f2 } from './lib/stats.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    messages: { type: 'string', default: '2000' },
    'quiet-wait': { type: 'string', default: '30' },
    results: { type: 'string', default: path.join(root, 'bench', 'CRISIS-RESULTS.md') },
    'no-record': { type: 'boolean', default: false },
  },
});

const SETS = [
  { name: 'en', language: 'en', what: 'English dev set (the lexicon was tuned on it)' },
  { name: 'en.heldout', language: 'en', what: 'English held-out 1 (written before the lexicon; its misses informed general changes)' },
  { name: 'en.heldout2', language: 'en', what: 'English held-out 2 (written after held-out 1\'s first run; its misses informed general changes)' },
  { name: 'en.heldout3', language: 'en', what: 'English held-out 3 (written after en-2026.11.1 and evaluated blind once; its misses informed en-2026.12.1)' },
  { name: 'en.heldout4', language: 'en', what: 'English held-out 4 (written blind by someone who never saw the lexicon or the other sets; evaluated blind once on en-2026.12.1, recall 0.775; its misses informed en-2026.12.2)' },
  { name: 'en.heldout5', language: 'en', what: 'English held-out 5 (written blind like set 4; evaluated blind once on en-2026.12.2, recall 0.800; its misses informed en-2026.12.3)' },
  { name: 'en.heldout6', language: 'en', what: 'English held-out 6 (200 messages written blind, like sets 4 and 5, after en-2026.12.3; never tuned to)' },
  { name: 'es', language: 'es', what: 'Spanish set (the Spanish lexicon was tuned on it)' },
] as const;

const setPath = (name: string) => path.join(root, 'apps/server/src/modules/safety', `crisis-testset.${name}.json`);
const load = (name: string): LabelledMessage[] => checkSet(JSON.parse(readFileSync(setPath(name), 'utf8')));
const pct = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '–');

function qualityTable(e: Evaluation): string[] {
  const L = ['| category | precision | recall | TP | FP | FN |', '| --- | ---: | ---: | ---: | ---: | ---: |'];
  for (const c of CRISIS_CATEGORIES) {
    const s = e.categories[c];
    L.push(`| ${c} | ${pct(s.precision)} | ${pct(s.recall)} | ${s.tp} | ${s.fp} | ${s.fn} |`);
  }
  const o = e.overall;
  L.push(`| **any crisis (per message)** | **${pct(o.precision)}** | **${pct(o.recall)}** | ${o.tp} | ${o.fp} | ${o.fn} |`);
  const kinds = MESSAGE_KINDS.filter((k) => e.kinds[k].messages > 0).map((k) => `${k} ${e.kinds[k].right}/${e.kinds[k].messages}`);
  L.push('', `Right by kind of message: ${kinds.join(', ')}.`);
  return L;
}

/** A deterministic pseudo-random generator (mulberry32), so every run builds the same messages. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Messages of 1-2 KB: sentences of the sets joined, each message between 1,024 and 2,048 characters. */
function longMessages(pool: string[], count: number): string[] {
  const next = random(14);
  const out: string[] = [];
  while (out.length < count) {
    const target = 1024 + Math.floor(next() * 1024);
    let text = '';
    while (text.length < target) {
      const s = pool[Math.floor(next() * pool.length)]!;
      if (text.length + s.length + 2 > 2048) break;
      text += (text ? ' ' : '') + (/[.!?]$/.test(s) ? s : `${s}.`);
    }
    if (text.length >= 1024) out.push(text);
  }
  return out;
}

async function main(): Promise<void> {
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const metrics: Metrics = {};
  const md: string[] = [`## ${date}`, ''];
  md.push(`Machine: ${machineFacts()}. Code: ${codeVersion(root)}.`);

  // Quality.
  const all: LabelledMessage[] = [];
  for (const set of SETS) {
    const messages = load(set.name);
    const lexicon = compiledLexicon(set.language);
    if (set.language === 'en') all.push(...messages);
    const e = evaluate(messages, lexicon);
    putMetric(metrics, `${set.name}.precision`, e.overall.precision);
    putMetric(metrics, `${set.name}.recall`, e.overall.recall);
    md.push('', `### ${set.what}: ${e.messages} messages, lexicon ${lexicon.version}`, '', ...qualityTable(e));
    log(`${set.name}: precision ${pct(e.overall.precision)}, recall ${pct(e.overall.recall)}`);
  }

  // Speed on 1-2 KB messages: sentences of every kind (nearly all messages then hold a crisis sentence, the costlier
  // path: negation context, more rules to run), and sentences of non-crisis messages only (the usual traffic).
  const n = Number(opt.messages);
  const lexicon = compiledLexicon('en');
  await waitQuiet({ maxSeconds: Number(opt['quiet-wait']), what: 'the speed runs' });
  const busyBefore = await busyCores(1000);
  md.push(
    '',
    `### Speed: ${f0(n)} messages of 1-2 KB per row, English lexicon, one thread`,
    '',
    `Other processes kept ${f2(busyBefore)} of ${machineFacts().match(/× (\d+)/)?.[1] ?? '?'} cores busy just before the runs (wall times suffer first; CPU time is the steadier number).`,
    '',
    'Non-crisis sentences: the few that are false positives on their own (see the tables above) make a long message that holds one flagged; long messages built only from sentences that pass alone are never flagged.',
    '',
    '| messages built from | flagged | messages/s (wall) | messages per CPU-second | p50 µs | p99 µs | max µs |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const [key, label, pool] of [
    ['mixed', 'sentences of every kind', all.map((m) => m.text)],
    // 3 of these sentences are false positives on their own; a long message holding one of them is flagged.
    ['benign', 'non-crisis sentences only', all.filter((m) => m.label === null).map((m) => m.text)],
  ] as const) {
    const messages = longMessages([...pool], n);
    for (const m of messages.slice(0, 500)) detectCrisis(m, lexicon);
    const micros = new Float64Array(messages.length);
    let flagged = 0;
    const cpu0 = process.cpuUsage();
    const wall0 = process.hrtime.bigint();
    for (let i = 0; i < messages.length; i++) {
      const t0 = process.hrtime.bigint();
      if (detectCrisis(messages[i]!, lexicon)) flagged++;
      micros[i] = Number(process.hrtime.bigint() - t0) / 1000;
    }
    const wallS = Number(process.hrtime.bigint() - wall0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    const d = dist(micros);
    putMetric(metrics, `speed.${key}.messages_per_s`, messages.length / wallS);
    putMetric(metrics, `speed.${key}.messages_per_cpu_s`, messages.length / cpuS);
    putMetric(metrics, `speed.${key}.p50_us`, d.p50);
    putMetric(metrics, `speed.${key}.p99_us`, d.p99);
    md.push(`| ${label} (mean ${f0(messages.reduce((s, m) => s + m.length, 0) / messages.length)} chars) | ${f0(flagged)} | ${f0(messages.length / wallS)} | ${f0(messages.length / cpuS)} | ${f1(d.p50)} | ${f1(d.p99)} | ${f1(d.max)} |`);
    log(`speed (${key}): ${f0(messages.length / wallS)} messages/s, p99 ${f1(d.p99)} µs`);
  }

  const prev = previousRun(opt.results, 'crisis-eval');
  if (prev) md.push('', `Compared with the run of ${prev.date}:`, '', ...ratioTable(prev, metrics));
  md.push('', dataComment('crisis-eval', { date, command: `node --import tsx bench/crisis-eval.ts ${process.argv.slice(2).join(' ')}`.trim(), metrics }), '');
  const text = md.join('\n');
  process.stdout.write(`${text}\n`);
  if (!opt['no-record']) {
    appendSection(
      opt.results,
      '# Crisis-language detection: quality and speed\n\nRecorded by `bench/crisis-eval.ts` (see its header). Quality: precision and recall on the labelled sets, per category and per message ("any crisis"). Speed: one check per message of 1-2 KB, on this process\'s one thread.\n',
      text,
    );
    log(`appended to ${opt.results}`);
  }
}

await main();
