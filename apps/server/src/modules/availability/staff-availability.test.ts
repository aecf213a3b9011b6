import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_WEEKLY_HOURS, type BusinessCalendar, type HoursInterval, type WeeklyHours } from './business-calendar.js';
import { coverFor, coveringPeriod, isAvailable, isOutOfOffice, isWorking, staffCalendar, type CoverCandidate, type OutOfOfficePeriod } from './staff-availability.js';

const iso = (s: string): Date => new Date(s);
const none: HoursInterval[] = [];
const practice: BusinessCalendar = { timeZone: 'America/New_York', weekly: DEFAULT_WEEKLY_HOURS, specialDays: new Map([['2025-07-04', []]]) };
const away = (from: string, to: string, cover: string | null = null): OutOfOfficePeriod => ({ startsAt: iso(from), endsAt: iso(to), coverUserId: cover });

describe('working hours', () => {
  test("without own hours: the practice's; own hours in an own time zone; the practice's holidays for everyone", () => {
    assert.equal(staffCalendar(practice, null), practice);
    assert.equal(staffCalendar(practice, { timeZone: null, weekly: null }), practice);
    const evenings: WeeklyHours = { mon: [{ start: '16:00', end: '22:00' }], tue: none, wed: none, thu: none, fri: [{ start: '16:00', end: '22:00' }], sat: none, sun: none };
    const own = staffCalendar(practice, { timeZone: 'America/Los_Angeles', weekly: evenings });
    assert.equal(isWorking(own, iso('2025-06-03T01:00:00Z')), true, 'Monday 18:00 in Los Angeles (the practice is closed)');
    assert.equal(isWorking(practice, iso('2025-06-03T01:00:00Z')), false);
    assert.equal(isWorking(own, iso('2025-06-02T17:00:00Z')), false, 'Monday 10:00 in Los Angeles');
    assert.equal(isWorking(own, iso('2025-07-05T01:00:00Z')), false, 'Friday 4 July, 18:00: a practice holiday');
    const zoneOnly = staffCalendar(practice, { timeZone: 'Europe/Berlin', weekly: null });
    assert.equal(isWorking(zoneOnly, iso('2025-06-02T07:00:00Z')), true, "the practice's hours, in Berlin: Monday 09:00");
  });

  test('out of office is half-open; available means working and not away', () => {
    const periods = [away('2025-06-02T14:00:00Z', '2025-06-02T16:00:00Z')];
    assert.equal(isOutOfOffice(periods, iso('2025-06-02T13:59:59Z')), false);
    assert.equal(isOutOfOffice(periods, iso('2025-06-02T14:00:00Z')), true);
    assert.equal(isOutOfOffice(periods, iso('2025-06-02T16:00:00Z')), false);
    assert.equal(isAvailable(practice, periods, iso('2025-06-02T15:00:00Z')), false, 'working hours, but away');
    assert.equal(isAvailable(practice, periods, iso('2025-06-02T17:00:00Z')), true);
    assert.equal(isAvailable(practice, periods, iso('2025-06-02T23:00:00Z')), false, 'not away, but after hours');
  });
});

describe('who covers', () => {
  const AT = '2025-06-02T15:00:00Z';
  const at = iso(AT);
  const world = (people: Record<string, { active?: boolean; away?: OutOfOfficePeriod[] }>) => (id: string): CoverCandidate | undefined => {
    const p = people[id];
    return p ? { active: p.active ?? true, outOfOffice: p.away ?? [] } : undefined;
  };
  const week = (cover: string | null) => away('2025-06-01T00:00:00Z', '2025-06-08T00:00:00Z', cover);

  test('nobody needs to cover for someone who is not away', () => {
    assert.equal(coverFor(world({ b: {} }), 'b', at), null);
    assert.equal(coverFor(world({ b: { away: [week('a')] }, a: {} }), 'b', iso('2025-06-09T15:00:00Z')), null, 'after the absence');
    assert.equal(coverFor(world({}), 'ghost', at), null);
  });

  test('the direct cover; a chain of covers when the cover is away too', () => {
    assert.equal(coverFor(world({ b: { away: [week('a')] }, a: {} }), 'b', at), 'a');
    assert.equal(coverFor(world({ b: { away: [week('a')] }, a: { away: [week('c')] }, c: {} }), 'b', at), 'c', 'A covers B, A is away: A’s cover');
    assert.equal(coverFor(world({ b: { away: [week('a')] }, a: { away: [week('c')] }, c: { away: [week('d')] }, d: {} }), 'b', at), 'd');
    // A is away later, not now: A covers.
    assert.equal(coverFor(world({ b: { away: [week('a')] }, a: { away: [away('2025-06-03T00:00:00Z', '2025-06-04T00:00:00Z', 'c')] }, c: {} }), 'b', at), 'a');
  });

  test('never someone away: cycles, dead ends, deactivated or unknown covers answer null', () => {
    assert.equal(coverFor(world({ a: { away: [week('b')] }, b: { away: [week('a')] } }), 'a', at), null, 'A ↔ B, both away');
    assert.equal(coverFor(world({ a: { away: [week('b')] }, b: { away: [week('c')] }, c: { away: [week('b')] } }), 'a', at), null, 'a cycle further down');
    assert.equal(coverFor(world({ a: { away: [week('a')] } }), 'a', at), null, 'covering oneself');
    assert.equal(coverFor(world({ b: { away: [week(null)] } }), 'b', at), null, 'no cover named');
    assert.equal(coverFor(world({ b: { away: [week('a')] }, a: { away: [week(null)] } }), 'b', at), null, 'the cover is away without a cover');
    assert.equal(coverFor(world({ b: { away: [week('a')] }, a: { active: false } }), 'b', at), null, 'a deactivated cover');
    assert.equal(coverFor(world({ b: { away: [week('x')] } }), 'b', at), null, 'an unknown cover');
  });

  test('overlapping absences: the latest-starting one that names a cover decides', () => {
    const long = away('2025-06-01T00:00:00Z', '2025-06-30T00:00:00Z', 'a');
    const short = away('2025-06-02T00:00:00Z', '2025-06-03T00:00:00Z', 'c');
    const noCover = away('2025-06-02T12:00:00Z', '2025-06-02T18:00:00Z', null);
    assert.equal(coveringPeriod([long, short, noCover], at), short);
    assert.equal(coverFor(world({ b: { away: [long, short, noCover] }, a: {}, c: {} }), 'b', at), 'c');
    assert.equal(coverFor(world({ b: { away: [long, short] }, a: {}, c: {} }), 'b', iso('2025-06-05T00:00:00Z')), 'a');
  });
});
