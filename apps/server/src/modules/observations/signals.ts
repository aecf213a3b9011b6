import type { ObservationSignal } from '@haven/api';
import type { ComponentValues } from './fhir.js';
import { formatNumber, formatValue, type ComponentDef, type MetricDef } from './metrics.js';

/**
 * Derived signals for the context panel: small pure functions over a patient's readings of one metric. Everything
 * works on daily values (the mean of a day's readings, or the total for counted metrics such as steps), where a day
 * is a calendar day in the caller's time zone. The rules (docs/api.md, "Derived signals"):
 *
 * - usual value: the median of the daily values of the 28 days before the last 7 (needs 7 days with data);
 * - streak: the consecutive days, ending on the latest day with data (at most 2 days ago), whose daily value is above
 *   the upper bound (or below the lower bound) of the metric's reference range, or, for a metric without that bound,
 *   above usual + the metric's meaningful change (below usual − it). Reported from 3 days;
 * - vs_usual: the mean of the daily values of the last 7 days (needs 3 days with data) against the usual value,
 *   reported when they differ by at least the metric's meaningful change;
 * - trend: a least-squares line through the daily values of the window (needs 5 days with data), reported when its
 *   change over the window is at least the meaningful change and it explains at least half the variance (R² ≥ 0.5).
 *
 * Only directions the metric watches are reported (e.g. low sleep efficiency, high stress). For counted metrics the
 * current day is left out (it is not over yet).
 */

export const RECENT_DAYS = 7;
export const BASELINE_DAYS = 28;
export const MIN_BASELINE_DAYS = 7;
export const MIN_RECENT_DAYS = 3;
export const MIN_STREAK_DAYS = 3;
export const MAX_STALE_DAYS = 2;
export const MIN_TREND_DAYS = 5;
export const MIN_TREND_R2 = 0.5;
/** Days of history the signals need before the window of the panel (the usual value's 28 days + the last 7). */
export const HISTORY_DAYS = BASELINE_DAYS + RECENT_DAYS;

export interface Reading {
  at: Date;
  values: ComponentValues;
}

export interface DailyValue {
  /** Days since 1970-01-01 (of the calendar day in the time zone). */
  day: number;
  value: number;
  readings: number;
}

const DAY_MS = 86_400_000;
const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** Throws RangeError for an unknown IANA time zone. */
export function assertTimeZone(timeZone: string): void {
  formatFor(timeZone);
}

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let f = dayFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timeZone, f);
  }
  return f;
}

/** The calendar day of an instant in a time zone, as days since 1970-01-01. */
export function dayOf(at: Date, timeZone: string): number {
  if (timeZone === 'UTC') return Math.floor(at.getTime() / DAY_MS);
  const parts = formatFor(timeZone).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return Math.round(Date.UTC(get('year'), get('month') - 1, get('day')) / DAY_MS);
}

/** YYYY-MM-DD of a day number. */
export const dayString = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Least-squares line y = intercept + slope·x and its coefficient of determination. */
export function linearFit(points: readonly { x: number; y: number }[]): { slope: number; intercept: number; r2: number } {
  const n = points.length;
  if (n < 2) return { slope: 0, intercept: points[0]?.y ?? 0, r2: 0 };
  const mx = mean(points.map((p) => p.x));
  const my = mean(points.map((p) => p.y));
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const { x, y } of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  }
  if (sxx === 0) return { slope: 0, intercept: my, r2: 0 };
  const slope = sxy / sxx;
  // A flat series is explained perfectly by a flat line.
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept: my - slope * mx, r2 };
}

/** One value per calendar day with readings, oldest first. */
export function dailyValues(readings: readonly { at: Date; value: number }[], how: 'mean' | 'sum', timeZone: string): DailyValue[] {
  const byDay = new Map<number, number[]>();
  for (const r of readings) {
    const d = dayOf(r.at, timeZone);
    const list = byDay.get(d);
    if (list) list.push(r.value);
    else byDay.set(d, [r.value]);
  }
  return [...byDay.entries()]
    .sort(([a], [b]) => a - b)
    .map(([day, values]) => ({ day, value: how === 'sum' ? values.reduce((a, b) => a + b, 0) : mean(values), readings: values.length }));
}

const inRange = (daily: readonly DailyValue[], from: number, to: number) => daily.filter((d) => d.day >= from && d.day <= to);

/** The patient's usual value on `today`: median of the 28 days before the last 7, if 7 of them have data. */
export function usualValue(daily: readonly DailyValue[], today: number): number | undefined {
  const base = inRange(daily, today - HISTORY_DAYS + 1, today - RECENT_DAYS);
  return base.length >= MIN_BASELINE_DAYS ? median(base.map((d) => d.value)) : undefined;
}

/** A value for a sentence that already names the metric: "Steps 3,000", not "Steps 3,000 steps". */
const fmt = (def: MetricDef, v: number): string => (def.displayUnit.toLowerCase() === def.label.toLowerCase() ? formatNumber(v, def.decimals) : formatValue(def, v));
const watches = (def: MetricDef, direction: 'above' | 'below'): boolean => def.watch === 'both' || (direction === 'above' ? def.watch === 'high' : def.watch === 'low');
const round = (v: number, def: MetricDef): number => Number(v.toFixed(def.decimals + 1));
const labelOf = (def: MetricDef, c: ComponentDef): string => (def.components.length > 1 ? c.label : def.label);
const dailyWord = (def: MetricDef): string => (def.daily === 'sum' ? 'daily total' : 'daily mean');

function rangeText(def: MetricDef, c: ComponentDef): string {
  const r = c.reference ?? {};
  if (r.low !== undefined && r.high !== undefined) return `${formatNumber(r.low, def.decimals)}–${fmt(def, r.high)}`;
  if (r.low !== undefined) return `at least ${fmt(def, r.low)}`;
  return `at most ${fmt(def, r.high!)}`;
}

/** Consecutive days above (or below) a bound, ending on the latest day with data. */
export function streak(def: MetricDef, c: ComponentDef, daily: readonly DailyValue[], today: number, usual: number | undefined): ObservationSignal[] {
  const last = daily[daily.length - 1];
  if (!last || today - last.day > MAX_STALE_DAYS) return [];
  const out: ObservationSignal[] = [];
  for (const direction of ['above', 'below'] as const) {
    if (!watches(def, direction)) continue;
    const bound = direction === 'above' ? c.reference?.high : c.reference?.low;
    let threshold: number;
    let basis: 'reference_range' | 'usual';
    if (bound !== undefined) {
      threshold = bound;
      basis = 'reference_range';
    } else if (usual !== undefined) {
      threshold = direction === 'above' ? usual + def.meaningfulChange : usual - def.meaningfulChange;
      basis = 'usual';
    } else {
      continue;
    }
    const crosses = (v: number) => (direction === 'above' ? v > threshold : v < threshold);
    let days = 0;
    for (let i = daily.length - 1; i >= 0; i--) {
      const d = daily[i]!;
      if (d.day !== last.day - days || !crosses(d.value)) break;
      days++;
    }
    if (days < MIN_STREAK_DAYS) continue;
    const word = direction === 'above' ? 'elevated' : 'low';
    const why = basis === 'reference_range' ? `reference range ${rangeText(def, c)}` : `usual ${fmt(def, usual!)}`;
    out.push({
      metric: def.metric,
      component: c.key,
      kind: 'streak',
      direction,
      window: { from: dayString(last.day - days + 1), to: dayString(last.day) },
      values: { days, threshold: round(threshold, def), basis, ...(usual !== undefined ? { usual: round(usual, def) } : {}) },
      unit: def.unit,
      summary: `${labelOf(def, c)} ${word} ${days} days in a row: ${dailyWord(def)} ${direction} ${fmt(def, threshold)} (${why})`,
    });
  }
  return out;
}

/** The mean of the last 7 days against the usual value. */
export function vsUsual(def: MetricDef, c: ComponentDef, daily: readonly DailyValue[], today: number, usual: number | undefined): ObservationSignal[] {
  if (usual === undefined) return [];
  const recentDays = inRange(daily, today - RECENT_DAYS + 1, today);
  if (recentDays.length < MIN_RECENT_DAYS) return [];
  const recent = mean(recentDays.map((d) => d.value));
  const change = recent - usual;
  const direction = change > 0 ? 'above' : 'below';
  if (Math.abs(change) < def.meaningfulChange || !watches(def, direction)) return [];
  return [
    {
      metric: def.metric,
      component: c.key,
      kind: 'vs_usual',
      direction,
      window: { from: dayString(today - RECENT_DAYS + 1), to: dayString(today) },
      values: { recent: round(recent, def), usual: round(usual, def), change: round(change, def) },
      unit: def.unit,
      summary: `${labelOf(def, c)} ${fmt(def, recent)} over the last 7 days vs usual ${fmt(def, usual)}`,
    },
  ];
}

/** A straight-line trend through the daily values of the window. */
export function trend(def: MetricDef, c: ComponentDef, daily: readonly DailyValue[], windowFrom: number, today: number): ObservationSignal[] {
  const points = inRange(daily, windowFrom, today);
  if (points.length < MIN_TREND_DAYS) return [];
  const first = points[0]!.day;
  const last = points[points.length - 1]!.day;
  const fit = linearFit(points.map((d) => ({ x: d.day - first, y: d.value })));
  const change = fit.slope * (last - first);
  const direction = change > 0 ? 'rising' : 'falling';
  if (Math.abs(change) < def.meaningfulChange || fit.r2 < MIN_TREND_R2 || !watches(def, change > 0 ? 'above' : 'below')) return [];
  const sign = change > 0 ? '+' : '−';
  const start = fit.intercept;
  const end = fit.intercept + change;
  return [
    {
      metric: def.metric,
      component: c.key,
      kind: 'trend',
      direction,
      window: { from: dayString(first), to: dayString(last) },
      values: { change: round(change, def), perWeek: round(fit.slope * 7, def) },
      unit: def.unit,
      summary: `${labelOf(def, c)} ${direction} over ${last - first + 1} days: ${sign}${fmt(def, Math.abs(change))} (from about ${fmt(def, start)} to ${fmt(def, end)})`,
    },
  ];
}

export interface SignalOptions {
  /** The moment "today" is taken from. */
  asOf: Date;
  timeZone: string;
  /** Days of the panel's window (today included); trends are fitted over it. */
  days: number;
}

/** Every signal of one metric's readings, component by component. */
export function deriveSignals(def: MetricDef, readings: readonly Reading[], opts: SignalOptions): ObservationSignal[] {
  // Counted metrics (steps): today's total is not final yet.
  const today = dayOf(opts.asOf, opts.timeZone) - (def.daily === 'sum' ? 1 : 0);
  const windowFrom = dayOf(opts.asOf, opts.timeZone) - opts.days + 1;
  const out: ObservationSignal[] = [];
  for (const c of def.components) {
    const series = readings.flatMap((r) => (r.values[c.key] === undefined ? [] : [{ at: r.at, value: r.values[c.key]! }]));
    const daily = dailyValues(series, def.daily, opts.timeZone).filter((d) => d.day <= today);
    if (daily.length === 0) continue;
    const usual = usualValue(daily, today);
    out.push(...streak(def, c, daily, today, usual), ...vsUsual(def, c, daily, today, usual), ...trend(def, c, daily, windowFrom, today));
  }
  return out;
}
