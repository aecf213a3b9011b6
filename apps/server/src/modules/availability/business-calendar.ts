import { IANAZone } from 'luxon';
import type { ProblemItem } from '../../platform/http/errors.js';

/**
 * Business calendars: weekly hours in an IANA time zone, with holidays (dates of that zone, closed or with special
 * hours). Pure functions of their arguments: every question takes the moment it is about (`at`, `start`, …) and
 * nothing here reads the clock.
 *
 * Rules:
 * - An interval is wall-clock time on one local date: "09:00"–"17:00". An end at or before the start runs overnight
 *   into the next date ("22:00"–"06:00"); "24:00" ends at midnight. An interval belongs to the date it starts on.
 * - A holiday replaces the weekly intervals of its date with its own (none: closed all day). An overnight interval of
 *   the day before still runs into the holiday.
 * - Wall-clock times become instants the way RFC 5545 and Temporal ("compatible") do: a time that happens twice
 *   (the repeated hour when clocks go back) is its first occurrence; a time that does not exist (the skipped hour
 *   when clocks go forward) is moved forward by the size of the gap (02:30 → 03:30). So an interval is as long as the
 *   clock on the wall says it is: 22:00–06:00 is 7 hours on the night clocks go forward, 9 on the night they go back.
 * - Open intervals are half-open [start, end): open at the opening minute, closed at the closing one.
 */

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Wall-clock interval, "HH:MM" (24:00 only as an end). */
export interface HoursInterval {
  start: string;
  end: string;
}
export type WeeklyHours = Record<Weekday, HoursInterval[]>;

export interface BusinessCalendar {
  timeZone: string;
  weekly: WeeklyHours;
  /** Holidays and special hours by local date (YYYY-MM-DD): the intervals of that date ([] = closed). */
  specialDays: ReadonlyMap<string, HoursInterval[]>;
}

/** An open period as instants (epoch milliseconds), half-open. */
export interface OpenInterval {
  start: number;
  end: number;
}

export const DEFAULT_TIME_ZONE = 'America/New_York';
const NINE_TO_FIVE: HoursInterval[] = [{ start: '08:00', end: '17:00' }];
/** When nothing is configured: Monday to Friday, 08:00–17:00. */
export const DEFAULT_WEEKLY_HOURS: WeeklyHours = { mon: NINE_TO_FIVE, tue: NINE_TO_FIVE, wed: NINE_TO_FIVE, thu: NINE_TO_FIVE, fri: NINE_TO_FIVE, sat: [], sun: [] };

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** How far nextOpening and addBusinessMinutes look for an opening before giving up (a calendar that never opens). */
const HORIZON_DAYS = 400;
/** Days computed at a time when walking forward. */
const CHUNK_DAYS = 14;

// ---- time zones and wall-clock conversion -------------------------------------------------------------------------

/** The zone's canonical IANA name (Europe/Berlin for europe/berlin), or null when it is not an IANA time zone. */
export function canonicalTimeZone(name: string): string | null {
  if (!IANAZone.isValidZone(name)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** "HH:MM" → minutes after midnight (24:00 → 1440). */
export function minutesOf(hhmm: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m) throw new RangeError(`not a time of day: ${hhmm}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** A local date as a day number (days since 1970-01-01, calendar arithmetic without a zone). */
const dayNumberOf = (year: number, month: number, day: number): number => Date.UTC(year, month - 1, day) / DAY_MS;
export const dateString = (dayNumber: number): string => new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
/** 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday). */
const weekdayIndex = (dayNumber: number): number => (((dayNumber + 3) % 7) + 7) % 7;
export const weekdayOf = (dayNumber: number): Weekday => WEEKDAYS[weekdayIndex(dayNumber)]!;

/**
 * A zone's offset (minutes east of UTC) during the whole minute `ms` falls in, memoized: every message of a patient
 * asks the calendar about "now" several times (open? when due? same closed period?), and luxon answers through
 * Intl.DateTimeFormat, which costs microseconds each time. Offsets change only on whole minutes.
 */
const offsets = new Map<string, number>();
function offsetAt(timeZone: string, ms: number): number {
  const key = `${timeZone}|${Math.floor(ms / MINUTE_MS)}`;
  let o = offsets.get(key);
  if (o === undefined) {
    if (offsets.size >= 20_000) offsets.clear();
    offsets.set(key, (o = IANAZone.create(timeZone).offset(ms)));
  }
  return o;
}

/** The local date (day number) of an instant in a zone. */
export function localDay(ms: number, timeZone: string): number {
  return Math.floor((ms + offsetAt(timeZone, ms) * MINUTE_MS) / DAY_MS);
}

/** The day number of a YYYY-MM-DD date. */
export function dayNumberFromDate(date: string): number {
  const [y, m, d] = date.split('-').map(Number);
  return dayNumberOf(y!, m!, d!);
}

/**
 * The instant a wall-clock time of a local date happens in a zone (minutes may be 1440, the next midnight).
 * Repeated times: the first occurrence. Skipped times: moved forward by the gap (the offset from before the change).
 */
export function instantOf(timeZone: string, dayNumber: number, minutes: number): number {
  const zone = IANAZone.create(timeZone);
  const wall = (dayNumber * 1440 + minutes) * MINUTE_MS;
  // Offsets (minutes east of UTC) a day either side: the two an instant near this wall time can have.
  const before = zone.offset(wall - DAY_MS);
  const after = zone.offset(wall + DAY_MS);
  let found: number | null = null;
  for (const o of before === after ? [before] : [before, after]) {
    const t = wall - o * MINUTE_MS;
    if (zone.offset(t) === o && (found === null || t < found)) found = t;
  }
  return found ?? wall - before * MINUTE_MS;
}

// ---- calendars ---------------------------------------------------------------------------------------------------

/** A holiday as stored: for the whole organization (departmentId null) or one department. */
export interface HolidayEntry {
  departmentId: string | null;
  date: string;
  hours: HoursInterval[];
}

/**
 * The calendar of a department (or of the organization when `department` is null): the department's own time zone
 * and weekly hours where set, else the organization's, else the defaults (America/New_York, Mon–Fri 08:00–17:00).
 * Holidays: the organization's, and the department's own, which win on the same date (an emergency department can
 * stay open on a practice holiday).
 */
export function resolveCalendar(
  org: { timeZone: string | null; weekly: WeeklyHours | null } | null,
  department: { id: string; timeZone: string | null; weekly: WeeklyHours | null } | null,
  holidays: readonly HolidayEntry[],
): BusinessCalendar {
  const specialDays = new Map<string, HoursInterval[]>();
  for (const h of holidays) if (h.departmentId === null) specialDays.set(h.date, h.hours);
  if (department) for (const h of holidays) if (h.departmentId === department.id) specialDays.set(h.date, h.hours);
  return {
    timeZone: department?.timeZone ?? org?.timeZone ?? DEFAULT_TIME_ZONE,
    weekly: department?.weekly ?? org?.weekly ?? DEFAULT_WEEKLY_HOURS,
    specialDays,
  };
}

/**
 * Computed days per calendar object (calendars are treated as immutable values; the service builds a new one when
 * the hours change). Bounded: a calendar that has computed many days starts over.
 */
const computedDays = new WeakMap<BusinessCalendar, Map<number, readonly OpenInterval[]>>();
const MAX_COMPUTED_DAYS = 4000;

/** The intervals of one local date as instants (overnight ones end on the next date). */
function dayIntervals(cal: BusinessCalendar, dayNumber: number): readonly OpenInterval[] {
  let days = computedDays.get(cal);
  if (!days) computedDays.set(cal, (days = new Map()));
  const hit = days.get(dayNumber);
  if (hit) return hit;
  if (days.size >= MAX_COMPUTED_DAYS) days.clear();
  const computed = computeDay(cal, dayNumber);
  days.set(dayNumber, computed);
  return computed;
}

function computeDay(cal: BusinessCalendar, dayNumber: number): OpenInterval[] {
  const hours = cal.specialDays.get(dateString(dayNumber)) ?? cal.weekly[weekdayOf(dayNumber)];
  return hours.map((h) => {
    const s = minutesOf(h.start);
    let e = minutesOf(h.end);
    if (e <= s) e += 1440;
    return { start: instantOf(cal.timeZone, dayNumber, s), end: instantOf(cal.timeZone, dayNumber, e) };
  });
}

/** Sorted, with overlapping and touching intervals joined. */
function merge(intervals: OpenInterval[]): OpenInterval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const out: OpenInterval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ ...i });
  }
  return out;
}

/**
 * The open intervals that overlap [from, to), as instants, sorted and joined (not clipped: the first may start before
 * `from`, the last end after `to`).
 */
export function openIntervals(cal: BusinessCalendar, from: Date, to: Date): OpenInterval[] {
  const a = from.getTime();
  const b = to.getTime();
  if (!(b > a)) return [];
  // The day before `from` may run overnight into it; wall-clock days are never longer than 27 hours.
  const first = localDay(a, cal.timeZone) - 1;
  const last = localDay(b, cal.timeZone);
  const all: OpenInterval[] = [];
  for (let d = first; d <= last; d++) all.push(...dayIntervals(cal, d));
  return merge(all).filter((i) => i.end > a && i.start < b);
}

/** Is the calendar open at this moment? */
export function isOpen(cal: BusinessCalendar, at: Date): boolean {
  const t = at.getTime();
  return openIntervals(cal, new Date(t), new Date(t + 1)).some((i) => i.start <= t && t < i.end);
}

/** Whether the calendar opens at all on any weekday, or on a special day on or after `day`. */
function opensEver(cal: BusinessCalendar, fromDay: number): boolean {
  if (WEEKDAYS.some((d) => cal.weekly[d].length > 0)) return true;
  for (const [date, hours] of cal.specialDays) if (hours.length > 0 && dayNumberFromDate(date) >= fromDay - 1) return true;
  return false;
}

/**
 * The first moment at or after `at` when the calendar is open: `at` itself when open now. Null when it does not open
 * within 400 days (a calendar without any hours).
 */
export function nextOpening(cal: BusinessCalendar, at: Date): Date | null {
  const t = at.getTime();
  for (let from = t; from < t + HORIZON_DAYS * DAY_MS; from += CHUNK_DAYS * DAY_MS) {
    const found = openIntervals(cal, new Date(from), new Date(from + CHUNK_DAYS * DAY_MS)).find((i) => i.end > t);
    if (found) return new Date(Math.max(found.start, t));
  }
  return null;
}

/**
 * The moment `minutes` business minutes after `start`: the clock runs only while the calendar is open. The earliest
 * such moment, so a total reached exactly at closing time is that closing time, not the next opening; 0 minutes is
 * `start` itself. Null when the calendar never opens (no hours at all). Minutes may be fractional, not negative.
 */
export function addBusinessMinutes(cal: BusinessCalendar, start: Date, minutes: number): Date | null {
  if (!Number.isFinite(minutes) || minutes < 0) throw new RangeError('minutes must be a finite number ≥ 0');
  let left = Math.round(minutes * MINUTE_MS);
  let from = start.getTime();
  if (left === 0) return new Date(from);
  let idle = 0;
  while (true) {
    const to = from + CHUNK_DAYS * DAY_MS;
    let counted = 0;
    for (const i of openIntervals(cal, new Date(from), new Date(to))) {
      const s = Math.max(i.start, from);
      const e = Math.min(i.end, to);
      if (e <= s) continue;
      if (e - s >= left) return new Date(s + left);
      left -= e - s;
      counted += e - s;
    }
    idle = counted > 0 ? 0 : idle + CHUNK_DAYS;
    if (idle >= HORIZON_DAYS && !opensEver(cal, localDay(to, cal.timeZone))) return null;
    from = to;
  }
}

/**
 * Business minutes from `a` to `b` (negative when `b` is before `a`), the minutes during which the calendar is open.
 */
export function businessMinutesBetween(cal: BusinessCalendar, a: Date, b: Date): number {
  const x = a.getTime();
  const y = b.getTime();
  if (y < x) return -businessMinutesBetween(cal, b, a);
  let total = 0;
  for (let from = x; from < y; from += CHUNK_DAYS * DAY_MS) {
    const to = Math.min(from + CHUNK_DAYS * DAY_MS, y);
    for (const i of openIntervals(cal, new Date(from), new Date(to))) total += Math.max(0, Math.min(i.end, to) - Math.max(i.start, from));
  }
  return total / MINUTE_MS;
}

// ---- validation of what admins and staff enter ----------------------------------------------------------------------

/** Where an interval lies on a line of minutes (overnight: past its day's end). */
function span(h: HoursInterval, offset: number): { s: number; e: number } {
  const s = minutesOf(h.start);
  let e = minutesOf(h.end);
  if (e <= s) e += 1440;
  return { s: offset + s, e: offset + e };
}

function intervalProblems(h: HoursInterval, path: string): ProblemItem[] {
  if (h.start === '24:00') return [{ path: `${path}/start`, message: '24:00 can only end an interval' }];
  if (h.start === h.end) return [{ path: `${path}/end`, message: 'end must differ from start (an end before the start runs overnight)' }];
  return [];
}

/**
 * Problems of weekly hours: an interval starting at 24:00 or ending where it starts, and intervals that overlap (on
 * their day, or an overnight one with the next day's, Sunday night with Monday morning included). Paths are JSON
 * Pointers below `path` (e.g. /body/weeklyHours/mon/1/end). Touching intervals (…–12:00, 12:00–…) are fine.
 */
export function weeklyHoursProblems(weekly: WeeklyHours, path: string): ProblemItem[] {
  const problems: ProblemItem[] = [];
  const spans: { s: number; e: number; path: string }[] = [];
  WEEKDAYS.forEach((day, d) => {
    weekly[day].forEach((h, i) => {
      const p = `${path}/${day}/${i}`;
      const own = intervalProblems(h, p);
      problems.push(...own);
      if (own.length === 0) spans.push({ ...span(h, d * 1440), path: p });
    });
  });
  const WEEK = 7 * 1440;
  for (let i = 0; i < spans.length; i++) {
    for (let j = i + 1; j < spans.length; j++) {
      const a = spans[i]!;
      const b = spans[j]!;
      // On a circular week: compare b as it is and shifted a week either way.
      if ([-WEEK, 0, WEEK].some((k) => a.s < b.e + k && b.s + k < a.e)) problems.push({ path: b.path, message: `overlaps ${a.path.slice(path.length + 1)}` });
    }
  }
  return problems;
}

/** Problems of one day's intervals (holiday hours): as for weekly hours, within the day and its overnight tail. */
export function dayHoursProblems(hours: HoursInterval[], path: string): ProblemItem[] {
  const problems: ProblemItem[] = [];
  const spans: { s: number; e: number; path: string }[] = [];
  hours.forEach((h, i) => {
    const p = `${path}/${i}`;
    const own = intervalProblems(h, p);
    problems.push(...own);
    if (own.length === 0) spans.push({ ...span(h, 0), path: p });
  });
  for (let i = 0; i < spans.length; i++) {
    for (let j = i + 1; j < spans.length; j++) {
      const a = spans[i]!;
      const b = spans[j]!;
      if (a.s < b.e && b.s < a.e) problems.push({ path: b.path, message: `overlaps ${a.path.slice(path.length + 1)}` });
    }
  }
  return problems;
}

/** Intervals in a stable order (by start), for storage and answers. */
export function sortedHours(hours: readonly HoursInterval[]): HoursInterval[] {
  return [...hours].sort((a, b) => minutesOf(a.start) - minutesOf(b.start)).map((h) => ({ start: h.start, end: h.end }));
}

export function sortedWeekly(weekly: WeeklyHours): WeeklyHours {
  return Object.fromEntries(WEEKDAYS.map((d) => [d, sortedHours(weekly[d])])) as WeeklyHours;
}
