import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  addBusinessMinutes,
  businessMinutesBetween,
  canonicalTimeZone,
  DEFAULT_WEEKLY_HOURS,
  dayHoursProblems,
  instantOf,
  dayNumberFromDate,
  isOpen,
  nextOpening,
  openIntervals,
  resolveCalendar,
  weeklyHoursProblems,
  type BusinessCalendar,
  type HoursInterval,
  type WeeklyHours,
} from './business-calendar.js';

const NY = 'America/New_York';
const BERLIN = 'Europe/Berlin';
const iso = (s: string): Date => new Date(s);
const none: HoursInterval[] = [];
const week = (days: Partial<WeeklyHours>): WeeklyHours => ({ mon: none, tue: none, wed: none, thu: none, fri: none, sat: none, sun: none, ...days });
const calendar = (timeZone: string, weekly: WeeklyHours, special: Record<string, HoursInterval[]> = {}): BusinessCalendar => ({ timeZone, weekly, specialDays: new Map(Object.entries(special)) });
const nineToFive = [{ start: '09:00', end: '17:00' }];
const weekdays = (hours: HoursInterval[]) => week({ mon: hours, tue: hours, wed: hours, thu: hours, fri: hours });
const iso8601 = (d: Date | null) => d?.toISOString() ?? null;

describe('wall-clock times become instants', () => {
  test('a repeated time is its first occurrence; a skipped time moves forward by the gap', () => {
    // US 2025: clocks go forward on 9 March (02:00 EST → 03:00 EDT) and back on 2 November (02:00 EDT → 01:00 EST).
    assert.equal(new Date(instantOf(NY, dayNumberFromDate('2025-11-02'), 90)).toISOString(), '2025-11-02T05:30:00.000Z', '01:30 EDT, not 01:30 EST');
    assert.equal(new Date(instantOf(NY, dayNumberFromDate('2025-11-02'), 150)).toISOString(), '2025-11-02T07:30:00.000Z', '02:30 happens once (EST)');
    assert.equal(new Date(instantOf(NY, dayNumberFromDate('2025-03-09'), 150)).toISOString(), '2025-03-09T07:30:00.000Z', '02:30 does not exist: 03:30 EDT');
    assert.equal(new Date(instantOf(NY, dayNumberFromDate('2025-03-09'), 1440)).toISOString(), '2025-03-10T04:00:00.000Z', '24:00 is the next midnight');
    assert.equal(new Date(instantOf(BERLIN, dayNumberFromDate('2025-10-26'), 150)).toISOString(), '2025-10-26T00:30:00.000Z', '02:30 CEST, the first of two');
  });

  test('time zone names: IANA only, canonical spelling', () => {
    assert.equal(canonicalTimeZone('europe/berlin'), 'Europe/Berlin');
    assert.equal(canonicalTimeZone('America/New_York'), 'America/New_York');
    assert.equal(canonicalTimeZone('UTC'), 'UTC');
    assert.equal(canonicalTimeZone('Mars/Olympus_Mons'), null);
    assert.equal(canonicalTimeZone(''), null);
  });
});

describe('open now, next opening', () => {
  const cal = calendar(NY, DEFAULT_WEEKLY_HOURS);

  test('the default hours: Monday to Friday 08:00–17:00, opening minute in, closing minute out', () => {
    assert.equal(isOpen(cal, iso('2025-03-03T13:00:00Z')), true, 'Monday 08:00 EST');
    assert.equal(isOpen(cal, iso('2025-03-03T12:59:59Z')), false, 'Monday 07:59:59');
    assert.equal(isOpen(cal, iso('2025-03-03T21:59:59Z')), true, 'Monday 16:59:59');
    assert.equal(isOpen(cal, iso('2025-03-03T22:00:00Z')), false, 'Monday 17:00');
    assert.equal(isOpen(cal, iso('2025-03-08T17:00:00Z')), false, 'Saturday noon');
    assert.equal(iso8601(nextOpening(cal, iso('2025-03-03T15:00:00Z'))), '2025-03-03T15:00:00.000Z', 'open now: now');
    assert.equal(iso8601(nextOpening(cal, iso('2025-03-07T22:00:00Z'))), '2025-03-10T12:00:00.000Z', 'Friday 17:00 EST → Monday 08:00 EDT (after the clocks went forward)');
  });

  test('several intervals a day (a lunch break) and overnight intervals', () => {
    const split = calendar(NY, weekdays([{ start: '13:00', end: '17:00' }, { start: '08:00', end: '12:00' }]));
    assert.equal(isOpen(split, iso('2025-06-02T16:30:00Z')), false, '12:30 EDT');
    assert.equal(iso8601(nextOpening(split, iso('2025-06-02T16:30:00Z'))), '2025-06-02T17:00:00.000Z');
    const nights = calendar(NY, week({ fri: [{ start: '22:00', end: '06:00' }] }));
    assert.equal(isOpen(nights, iso('2025-06-07T04:00:00Z')), true, 'Saturday 00:00 EDT: still Friday night');
    assert.equal(isOpen(nights, iso('2025-06-07T09:59:00Z')), true, 'Saturday 05:59');
    assert.equal(isOpen(nights, iso('2025-06-07T10:00:00Z')), false, 'Saturday 06:00');
    assert.equal(isOpen(nights, iso('2025-06-06T01:00:00Z')), false, 'Thursday night is not Friday night');
  });

  test('a calendar without hours never opens', () => {
    const closed = calendar(NY, week({}));
    assert.equal(isOpen(closed, iso('2025-06-02T16:00:00Z')), false);
    assert.equal(nextOpening(closed, iso('2025-06-02T16:00:00Z')), null);
    assert.equal(addBusinessMinutes(closed, iso('2025-06-02T16:00:00Z'), 60), null);
    assert.equal(businessMinutesBetween(closed, iso('2025-01-01T00:00:00Z'), iso('2025-12-31T00:00:00Z')), 0);
    // Only a special day opens it: that is the next opening, however far.
    const once = calendar(NY, week({}), { '2026-02-14': [{ start: '10:00', end: '12:00' }] });
    assert.equal(iso8601(nextOpening(once, iso('2025-06-02T16:00:00Z'))), '2026-02-14T15:00:00.000Z');
  });
});

describe('holidays', () => {
  const cal = calendar(NY, { ...DEFAULT_WEEKLY_HOURS, fri: [{ start: '08:00', end: '17:00' }, { start: '22:00', end: '02:00' }] }, {
    '2025-12-25': [], // Thursday: closed
    '2025-12-24': [{ start: '08:00', end: '12:00' }], // Wednesday: half day
    '2025-12-27': [{ start: '09:00', end: '11:00' }], // Saturday: opens specially
    '2025-12-20': [], // Saturday after a Friday night shift
  });

  test('closed all day, special hours, a weekend day opening specially', () => {
    assert.equal(isOpen(cal, iso('2025-12-25T15:00:00Z')), false, 'Christmas 10:00');
    assert.equal(isOpen(cal, iso('2025-12-24T16:59:00Z')), true, 'Christmas Eve 11:59');
    assert.equal(isOpen(cal, iso('2025-12-24T17:00:00Z')), false, 'Christmas Eve 12:00');
    assert.equal(iso8601(nextOpening(cal, iso('2025-12-24T17:00:00Z'))), '2025-12-26T13:00:00.000Z', 'after the half day: Friday 08:00');
    assert.equal(isOpen(cal, iso('2025-12-27T14:30:00Z')), true, 'Saturday 09:30, special hours');
    assert.equal(businessMinutesBetween(cal, iso('2025-12-22T05:00:00Z'), iso('2025-12-29T05:00:00Z')), 2 * 540 + 240 + 540 + 240 + 120);
  });

  test("a holiday replaces the intervals starting on its date; the night before still runs into it", () => {
    assert.equal(isOpen(cal, iso('2025-12-20T05:30:00Z')), true, 'Saturday 00:30, Friday night shift');
    assert.equal(isOpen(cal, iso('2025-12-20T07:00:00Z')), false, 'Saturday 02:00');
  });
});

describe('daylight saving time', () => {
  test('US spring forward: an overnight interval is 7 hours, a day with the gap an hour shorter', () => {
    const nights = calendar(NY, week({ sat: [{ start: '22:00', end: '06:00' }] }));
    // Saturday 8 March 22:00 EST (03:00Z) → Sunday 9 March 06:00 EDT (10:00Z).
    assert.deepEqual(openIntervals(nights, iso('2025-03-08T12:00:00Z'), iso('2025-03-09T12:00:00Z')), [{ start: Date.parse('2025-03-09T03:00:00Z'), end: Date.parse('2025-03-09T10:00:00Z') }]);
    assert.equal(businessMinutesBetween(nights, iso('2025-03-08T00:00:00Z'), iso('2025-03-10T00:00:00Z')), 7 * 60);
    const early = calendar(NY, week({ sun: [{ start: '01:00', end: '04:00' }], mon: [{ start: '02:30', end: '05:00' }] }));
    assert.equal(businessMinutesBetween(early, iso('2025-03-09T00:00:00Z'), iso('2025-03-10T00:00:00Z')), 120, '01:00 EST – 04:00 EDT');
    const gapStart = calendar(NY, week({ sun: [{ start: '02:30', end: '05:00' }] }));
    assert.deepEqual(openIntervals(gapStart, iso('2025-03-09T00:00:00Z'), iso('2025-03-10T00:00:00Z')), [{ start: Date.parse('2025-03-09T07:30:00Z'), end: Date.parse('2025-03-09T09:00:00Z') }], '02:30 does not exist: opens 03:30 EDT');
  });

  test('US fall back: an overnight interval is 9 hours, the repeated hour counts twice', () => {
    const nights = calendar(NY, week({ sat: [{ start: '22:00', end: '06:00' }] }));
    assert.equal(businessMinutesBetween(nights, iso('2025-11-01T00:00:00Z'), iso('2025-11-03T00:00:00Z')), 9 * 60);
    const early = calendar(NY, week({ sun: [{ start: '01:00', end: '03:00' }] }));
    assert.deepEqual(openIntervals(early, iso('2025-11-02T00:00:00Z'), iso('2025-11-03T00:00:00Z')), [{ start: Date.parse('2025-11-02T05:00:00Z'), end: Date.parse('2025-11-02T08:00:00Z') }], '01:00 EDT – 03:00 EST');
    assert.equal(isOpen(early, iso('2025-11-02T05:30:00Z')), true, '01:30 EDT');
    assert.equal(isOpen(early, iso('2025-11-02T06:30:00Z')), true, '01:30 EST');
  });

  test('business hours keep their wall-clock time across the change; SLA minutes cross it correctly', () => {
    const cal = calendar(NY, weekdays(nineToFive));
    assert.equal(isOpen(cal, iso('2025-03-07T14:00:00Z')), true, 'Friday 09:00 EST');
    assert.equal(isOpen(cal, iso('2025-03-10T13:00:00Z')), true, 'Monday 09:00 EDT');
    assert.equal(isOpen(cal, iso('2025-03-10T12:59:00Z')), false, 'Monday 08:59 EDT');
    // Friday 16:00 EST + 120 business minutes: 60 on Friday, 60 on Monday from 09:00 EDT.
    assert.equal(iso8601(addBusinessMinutes(cal, iso('2025-03-07T21:00:00Z'), 120)), '2025-03-10T14:00:00.000Z');
    assert.equal(iso8601(addBusinessMinutes(cal, iso('2025-10-31T20:00:00Z'), 120)), '2025-11-03T15:00:00.000Z', 'Friday 16:00 EDT → Monday 10:00 EST');
    assert.equal(businessMinutesBetween(cal, iso('2025-03-03T05:00:00Z'), iso('2025-03-17T04:00:00Z')), 10 * 480, 'two weeks, one of them with the change');
  });

  test('a week open around the clock is 167 hours in March and 169 in November (real minutes)', () => {
    const always = calendar(NY, Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [{ start: '00:00', end: '24:00' }]])) as WeeklyHours);
    assert.equal(isOpen(always, iso('2025-03-09T07:00:00Z')), true);
    assert.equal(openIntervals(always, iso('2025-03-05T00:00:00Z'), iso('2025-03-12T00:00:00Z')).length, 1, 'touching days join into one interval');
    const mondayMidnight = (date: string) => new Date(instantOf(NY, dayNumberFromDate(date), 0));
    assert.equal(businessMinutesBetween(always, mondayMidnight('2025-03-03'), mondayMidnight('2025-03-10')), 167 * 60);
    assert.equal(businessMinutesBetween(always, mondayMidnight('2025-10-27'), mondayMidnight('2025-11-03')), 169 * 60);
  });

  test('Europe/Berlin: the change is on other dates, at 02:00/03:00 local', () => {
    const cal = calendar(BERLIN, { ...weekdays(nineToFive), sat: [{ start: '22:00', end: '06:00' }] });
    assert.equal(isOpen(cal, iso('2025-03-28T08:00:00Z')), true, 'Friday 09:00 CET');
    assert.equal(isOpen(cal, iso('2025-03-31T07:00:00Z')), true, 'Monday 09:00 CEST');
    assert.equal(isOpen(cal, iso('2025-03-31T06:59:00Z')), false, 'Monday 08:59 CEST');
    // New York changed three weeks earlier: in between, Berlin is 5 hours ahead, not 6.
    assert.equal(isOpen(cal, iso('2025-03-17T08:00:00Z')), true, 'Monday 09:00 CET');
    assert.equal(businessMinutesBetween(cal, iso('2025-03-29T12:00:00Z'), iso('2025-03-30T12:00:00Z')), 7 * 60, 'Saturday night 22:00 CET – 06:00 CEST');
    assert.equal(businessMinutesBetween(cal, iso('2025-10-25T12:00:00Z'), iso('2025-10-26T12:00:00Z')), 9 * 60, 'Saturday night 22:00 CEST – 06:00 CET');
    assert.equal(iso8601(nextOpening(cal, iso('2025-10-26T06:00:00Z'))), '2025-10-27T08:00:00.000Z', 'Monday 09:00 CET');
  });
});

describe('business minutes', () => {
  const cal = calendar(NY, weekdays([{ start: '08:00', end: '12:00' }, { start: '13:00', end: '17:00' }]), { '2025-06-04': [] });

  test('counting stops outside hours, ends at closing time when the total is reached there', () => {
    assert.equal(iso8601(addBusinessMinutes(cal, iso('2025-06-02T15:30:00Z'), 60)), '2025-06-02T17:30:00.000Z', '11:30 + 60 → 13:30 (lunch skipped)');
    assert.equal(iso8601(addBusinessMinutes(cal, iso('2025-06-02T20:00:00Z'), 60)), '2025-06-02T21:00:00.000Z', '16:00 + 60 → 17:00, not tomorrow 08:00');
    assert.equal(iso8601(addBusinessMinutes(cal, iso('2025-06-02T23:00:00Z'), 30)), '2025-06-03T12:30:00.000Z', 'from 19:00: the clock starts at the next opening');
    assert.equal(iso8601(addBusinessMinutes(cal, iso('2025-06-03T20:00:00Z'), 120)), '2025-06-05T13:00:00.000Z', 'Tuesday 16:00 + 2 h skips the Wednesday holiday');
    assert.equal(iso8601(addBusinessMinutes(cal, iso('2025-06-02T23:00:00Z'), 0)), '2025-06-02T23:00:00.000Z', '0 minutes: the start itself');
    assert.equal(iso8601(addBusinessMinutes(cal, iso('2025-06-02T12:00:00Z'), 0.5)), '2025-06-02T12:00:30.000Z', 'fractions of a minute');
    assert.throws(() => addBusinessMinutes(cal, iso('2025-06-02T12:00:00Z'), -1), RangeError);
    assert.equal(iso8601(addBusinessMinutes(cal, iso('2025-06-02T12:00:00Z'), 30 * 480)), '2025-07-14T21:00:00.000Z', '30 business days, the Wednesday holiday skipped (July 4th is not a holiday of this calendar)');
  });

  test('minutes between: only open time counts; reversed is negative', () => {
    assert.equal(businessMinutesBetween(cal, iso('2025-06-02T12:00:00Z'), iso('2025-06-02T22:00:00Z')), 480);
    assert.equal(businessMinutesBetween(cal, iso('2025-06-02T15:30:00Z'), iso('2025-06-02T17:30:00Z')), 60);
    assert.equal(businessMinutesBetween(cal, iso('2025-06-02T17:30:00Z'), iso('2025-06-02T15:30:00Z')), -60);
    assert.equal(businessMinutesBetween(cal, iso('2025-06-04T12:00:00Z'), iso('2025-06-04T22:00:00Z')), 0, 'the holiday');
    assert.equal(businessMinutesBetween(cal, iso('2025-06-02T04:00:00Z'), iso('2025-06-30T04:00:00Z')), 19 * 480);
  });

  test('adding then measuring gives the minutes back (1,000 random starts, across both DST changes, two zones)', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const cals = [cal, calendar(BERLIN, { ...weekdays(nineToFive), sat: [{ start: '22:00', end: '06:00' }] }, { '2025-12-25': [], '2025-12-24': [{ start: '09:00', end: '12:00' }] })];
    const from = Date.parse('2025-01-01T00:00:00Z');
    for (let i = 0; i < 1000; i++) {
      const c = cals[i % 2]!;
      const start = new Date(from + Math.floor(random() * 360 * 86_400_000));
      const minutes = Math.floor(random() * 3000);
      const due = addBusinessMinutes(c, start, minutes)!;
      assert.ok(due.getTime() >= start.getTime());
      assert.equal(businessMinutesBetween(c, start, due), minutes, `${start.toISOString()} + ${minutes}`);
      if (minutes > 0) assert.equal(isOpen(c, new Date(due.getTime() - 1)), true, 'the last counted minute was open');
    }
  });
});

describe('department calendars', () => {
  const orgWeekly = weekdays(nineToFive);
  const er = { id: 'er', timeZone: null, weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [{ start: '00:00', end: '24:00' }]])) as WeeklyHours };
  const holidays = [
    { departmentId: null, date: '2025-12-25', hours: [] },
    { departmentId: null, date: '2025-12-24', hours: [{ start: '09:00', end: '12:00' }] },
    { departmentId: 'er', date: '2025-12-25', hours: [{ start: '00:00', end: '24:00' }] },
    { departmentId: 'other', date: '2025-12-26', hours: [] },
  ];

  test('a department uses its own hours and zone where set, the organization’s otherwise; its holidays win', () => {
    const org = resolveCalendar({ timeZone: 'America/Chicago', weekly: orgWeekly }, null, holidays);
    assert.equal(org.timeZone, 'America/Chicago');
    assert.deepEqual([...org.specialDays.keys()].sort(), ['2025-12-24', '2025-12-25']);
    const erCal = resolveCalendar({ timeZone: 'America/Chicago', weekly: orgWeekly }, er, holidays);
    assert.equal(erCal.timeZone, 'America/Chicago', 'zone inherited');
    assert.equal(isOpen(erCal, iso('2025-12-25T08:00:00Z')), true, 'the ER is open on Christmas night');
    assert.equal(isOpen(erCal, iso('2025-12-24T20:00:00Z')), false, "the organization's half day applies to the ER too");
    const berlinDept = resolveCalendar({ timeZone: 'America/Chicago', weekly: orgWeekly }, { id: 'b', timeZone: BERLIN, weekly: null }, holidays);
    assert.equal(berlinDept.timeZone, BERLIN);
    assert.equal(berlinDept.weekly, orgWeekly, 'hours inherited, read in its own zone');
  });

  test('nothing configured: America/New_York, Monday to Friday 08:00–17:00', () => {
    const cal = resolveCalendar(null, null, []);
    assert.equal(cal.timeZone, 'America/New_York');
    assert.deepEqual(cal.weekly, DEFAULT_WEEKLY_HOURS);
  });
});

describe('checking entered hours', () => {
  test('overlaps within a day, of an overnight interval with the next day, of Sunday night with Monday', () => {
    assert.deepEqual(weeklyHoursProblems(weekdays([{ start: '08:00', end: '12:00' }, { start: '12:00', end: '17:00' }]), '/body/weeklyHours'), [], 'touching is fine');
    assert.deepEqual(weeklyHoursProblems(week({ mon: [{ start: '08:00', end: '12:00' }, { start: '11:00', end: '17:00' }] }), '/w'), [{ path: '/w/mon/1', message: 'overlaps mon/0' }]);
    assert.deepEqual(weeklyHoursProblems(week({ mon: [{ start: '20:00', end: '02:00' }], tue: [{ start: '01:00', end: '05:00' }] }), '/w'), [{ path: '/w/tue/0', message: 'overlaps mon/0' }]);
    assert.deepEqual(weeklyHoursProblems(week({ mon: [{ start: '05:00', end: '09:00' }], sun: [{ start: '22:00', end: '06:00' }] }), '/w'), [{ path: '/w/sun/0', message: 'overlaps mon/0' }]);
    assert.deepEqual(weeklyHoursProblems(week({ sun: [{ start: '22:00', end: '06:00' }], mon: [{ start: '06:00', end: '09:00' }] }), '/w'), []);
  });

  test('an interval that ends where it starts, or starts at 24:00, names its field', () => {
    assert.deepEqual(weeklyHoursProblems(week({ wed: [{ start: '09:00', end: '09:00' }] }), '/body/weeklyHours'), [
      { path: '/body/weeklyHours/wed/0/end', message: 'end must differ from start (an end before the start runs overnight)' },
    ]);
    assert.deepEqual(dayHoursProblems([{ start: '24:00', end: '02:00' }], '/body/hours'), [{ path: '/body/hours/0/start', message: '24:00 can only end an interval' }]);
    assert.deepEqual(dayHoursProblems([{ start: '22:00', end: '02:00' }, { start: '23:00', end: '23:30' }], '/body/hours'), [{ path: '/body/hours/1', message: 'overlaps 0' }]);
  });
});
