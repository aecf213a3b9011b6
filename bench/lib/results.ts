/**
 * Results files: each run appends a Markdown section that ends with `<!-- <tag> {json} -->` holding its flat
 * metrics; the next run reads the last one and prints this / previous for every metric they share.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { f2 } from './stats.js';

export type Metrics = Record<string, number>;
export interface PreviousRun {
  date: string;
  metrics: Metrics;
}

/** The metrics of the last recorded section of `file` marked with `tag`. */
export function previousRun(file: string, tag: string): PreviousRun | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const re = new RegExp(`<!-- ${tag} (\\{.*?\\}) -->`, 'g');
  const all = [...text.matchAll(re)];
  const last = all[all.length - 1];
  if (!last) return undefined;
  try {
    const data = JSON.parse(last[1]!) as { date: string; metrics: Metrics };
    return { date: data.date, metrics: data.metrics };
  } catch {
    return undefined;
  }
}

/** The machine-readable line that ends a section. */
export function dataComment(tag: string, data: { date: string; command: string; metrics: Metrics }): string {
  return `<!-- ${tag} ${JSON.stringify(data)} -->`;
}

/** Adds a finite number to the metrics, rounded to 3 decimals. */
export function putMetric(m: Metrics, key: string, v: number | undefined): void {
  if (v !== undefined && Number.isFinite(v)) m[key] = Number(v.toFixed(3));
}

/** Markdown rows `| metric | previous | this run | ratio |` for the metrics both runs have. */
export function ratioTable(prev: PreviousRun, metrics: Metrics): string[] {
  const L = ['| metric | previous | this run | ratio (this / previous) |', '| --- | --- | --- | --- |'];
  for (const [k, v] of Object.entries(metrics)) {
    const p = prev.metrics[k];
    if (p === undefined || p === 0) continue;
    L.push(`| ${k} | ${f2(p)} | ${f2(v)} | ${f2(v / p)} |`);
  }
  return L;
}

/** Appends a section, creating the file with its header first if needed. */
export function appendSection(file: string, header: string, markdown: string): void {
  if (!existsSync(file)) writeFileSync(file, header);
  appendFileSync(file, `\n${markdown}`);
}
