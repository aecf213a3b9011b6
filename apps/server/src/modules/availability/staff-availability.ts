import { isOpen, type BusinessCalendar, type WeeklyHours } from './business-calendar.js';

/**
 * When a provider or staff member works, whether they are out of office, and who covers for them. Pure functions;
 * every question takes the moment it is about.
 *
 * - Working hours: their own weekly hours in their own time zone where set, else their department's (or the
 *   organization's) business hours. The practice's holidays apply to everyone: on a holiday the holiday's hours
 *   (closed, or special hours) replace everyone's weekly hours.
 * - Out of office: half-open periods [startsAt, endsAt) with an optional covering colleague.
 * - Available: working and not out of office.
 */

export interface OutOfOfficePeriod {
  startsAt: Date;
  endsAt: Date;
  coverUserId: string | null;
}

export interface OwnHours {
  timeZone: string | null;
  weekly: WeeklyHours | null;
}

/** The calendar someone works by: own hours and zone where set, the practice's otherwise, the practice's holidays. */
export function staffCalendar(practice: BusinessCalendar, own: OwnHours | null): BusinessCalendar {
  if (!own || (own.timeZone === null && own.weekly === null)) return practice;
  return { timeZone: own.timeZone ?? practice.timeZone, weekly: own.weekly ?? practice.weekly, specialDays: practice.specialDays };
}

export const isWorking = (calendar: BusinessCalendar, at: Date): boolean => isOpen(calendar, at);

const covers = (p: OutOfOfficePeriod, t: number): boolean => p.startsAt.getTime() <= t && t < p.endsAt.getTime();

export function isOutOfOffice(periods: readonly OutOfOfficePeriod[], at: Date): boolean {
  const t = at.getTime();
  return periods.some((p) => covers(p, t));
}

export function isAvailable(calendar: BusinessCalendar, periods: readonly OutOfOfficePeriod[], at: Date): boolean {
  return !isOutOfOffice(periods, at) && isWorking(calendar, at);
}

/**
 * The period that decides who covers at `at`: among the periods running then, one with a cover, the latest to start
 * (a short absence inside a long one names its own cover). Null when none runs, or none running names a cover.
 */
export function coveringPeriod(periods: readonly OutOfOfficePeriod[], at: Date): OutOfOfficePeriod | null {
  const t = at.getTime();
  let best: OutOfOfficePeriod | null = null;
  for (const p of periods) {
    if (!covers(p, t) || p.coverUserId === null) continue;
    if (!best || p.startsAt.getTime() > best.startsAt.getTime()) best = p;
  }
  return best;
}

/** What the cover chain needs to know about a colleague. */
export interface CoverCandidate {
  /** An active provider or staff member of the organization (a deactivated cover ends the chain). */
  active: boolean;
  outOfOffice: readonly OutOfOfficePeriod[];
}

/**
 * Who covers for `userId` at `at`, following chains: B is away and covered by A; if A is away too, A's cover; and so
 * on. Never someone out of office at `at`. Null when `userId` is not out of office (nobody needs to cover), or when
 * the chain ends without anyone available: a period without a cover, a cover who is unknown or deactivated, or a
 * cycle (A covers B, B covers A, both away). Being outside working hours is not being away: a cover off duty at night
 * is still the cover.
 */
export function coverFor(lookup: (userId: string) => CoverCandidate | undefined, userId: string, at: Date): string | null {
  const start = lookup(userId);
  if (!start || !isOutOfOffice(start.outOfOffice, at)) return null;
  const seen = new Set([userId]);
  let current = start;
  while (true) {
    const period = coveringPeriod(current.outOfOffice, at);
    if (!period || period.coverUserId === null) return null;
    const next = period.coverUserId;
    if (seen.has(next)) return null;
    seen.add(next);
    const candidate = lookup(next);
    if (!candidate || !candidate.active) return null;
    if (!isOutOfOffice(candidate.outOfOffice, at)) return next;
    current = candidate;
  }
}
