import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ObservationMetric } from '@haven/api';
import type { ComponentValues } from './fhir.js';
import { METRICS } from './metrics.js';
import { dailyValues, dayOf, dayString, deriveSignals, linearFit, median, usualValue, type Reading } from './signals.js';

const DAY = 86_400_000;
/** "Now" for every series: 31 March 2025, 18:00 UTC. */
const NOW = new Date('2025-03-31T18:00:00Z');
/** A reading `daysAgo` days before NOW's day, at 09:00 UTC. */
const at = (daysAgo: number, hour = 9): Date => new Date(Date.UTC(2025, 2, 31 - daysAgo, hour));
const one = (daysAgo: number, value: number, hour?: number): Reading => ({ at: at(daysAgo, hour), values: { value } });
/** One reading a day from `from` days ago to `to` days ago, valued by f(daysAgo). */
const daily = (from: number, to: number, f: (daysAgo: number) => number | ComponentValues): Reading[] => {
  const out: Reading[] = [];
  for (let d = from; d >= to; d--) {
    const v = f(d);
    out.push({ at: at(d), values: typeof v === 'number' ? { value: v } : v });
  }
  return out;
};
const signals = (metric: ObservationMetric, readings: Reading[], days = 30, timeZone = 'UTC') => deriveSignals(METRICS[metric], readings, { asOf: NOW, timeZone, days });

describe('building blocks', () => {
  test('median, linear fit', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.throws(() => median([]));
    const fit = linearFit([0, 1, 2, 3].map((x) => ({ x, y: 10 + 2 * x })));
    assert.deepEqual([fit.slope, fit.intercept, fit.r2], [2, 10, 1]);
    assert.equal(linearFit([{ x: 0, y: 5 }, { x: 1, y: 5 }]).r2, 1);
  });

  test('calendar days follow the time zone', () => {
    const lateEvening = new Date('2025-03-30T23:30:00Z');
    assert.equal(dayString(dayOf(lateEvening, 'UTC')), '2025-03-30');
    assert.equal(dayString(dayOf(lateEvening, 'Europe/Berlin')), '2025-03-31');
    assert.equal(dayString(dayOf(lateEvening, 'America/Los_Angeles')), '2025-03-30');
    assert.throws(() => dayOf(lateEvening, 'Mars/Olympus_Mons'), RangeError);
  });

  test('daily values: the mean of a day, or its total for counted metrics', () => {
    const readings = [{ at: at(1, 8), value: 60 }, { at: at(1, 20), value: 80 }, { at: at(0, 8), value: 90 }];
    assert.deepEqual(dailyValues(readings, 'mean', 'UTC').map((d) => [dayString(d.day), d.value, d.readings]), [['2025-03-30', 70, 2], ['2025-03-31', 90, 1]]);
    assert.deepEqual(dailyValues(readings, 'sum', 'UTC').map((d) => d.value), [140, 90]);
  });

  test('the usual value needs 7 days of data in the 28 days before the last 7', () => {
    const today = dayOf(NOW, 'UTC');
    const mk = (days: number[]) => days.map((d) => ({ day: today - d, value: d, readings: 1 }));
    assert.equal(usualValue(mk([7, 8, 9, 10, 11, 12]), today), undefined);
    assert.equal(usualValue(mk([7, 8, 9, 10, 11, 12, 13]), today), 10);
    // Days of the last week and older than 34 days ago do not count.
    assert.equal(usualValue(mk([0, 1, 2, 3, 4, 5, 6, 35, 36, 40]), today), undefined);
  });
});

describe('derived signals on crafted series', () => {
  test('heart rate above its reference range 4 days in a row', () => {
    const readings = [...daily(20, 4, () => 70), ...daily(3, 0, (d) => 104 + d)];
    const streaks = signals('heart_rate', readings).filter((s) => s.kind === 'streak');
    assert.deepEqual(streaks, [
      {
        metric: 'heart_rate',
        component: 'value',
        kind: 'streak',
        direction: 'above',
        window: { from: '2025-03-28', to: '2025-03-31' },
        values: { days: 4, threshold: 100, basis: 'reference_range', usual: 70 },
        unit: '/min',
        summary: 'Heart rate elevated 4 days in a row: daily mean above 100 bpm (reference range 50–100 bpm)',
      },
    ]);
  });

  test("stress score above the patient's own usual level (no reference range) 4 days in a row", () => {
    const readings = [...daily(34, 4, (d) => 28 + (d % 5)), ...daily(3, 0, () => 55)];
    const s = signals('stress_score', readings);
    const streak = s.find((x) => x.kind === 'streak');
    assert.ok(streak);
    assert.equal(streak.values.basis, 'usual');
    assert.equal(streak.values.usual, 30);
    assert.equal(streak.values.threshold, 40);
    assert.equal(streak.values.days, 4);
    assert.equal(streak.summary, 'Stress score elevated 4 days in a row: daily mean above 40 (usual 30)');
  });

  test('sleep efficiency 64% over the last 7 days vs usual 81%, and low every day', () => {
    const readings = [...daily(34, 7, () => 81), ...daily(6, 0, () => 64)];
    const s = signals('sleep_efficiency', readings);
    const vs = s.find((x) => x.kind === 'vs_usual');
    assert.deepEqual(vs, {
      metric: 'sleep_efficiency',
      component: 'value',
      kind: 'vs_usual',
      direction: 'below',
      window: { from: '2025-03-25', to: '2025-03-31' },
      values: { recent: 64, usual: 81, change: -17 },
      unit: '%',
      summary: 'Sleep efficiency 64% over the last 7 days vs usual 81%',
    });
    // The usual 81% is itself below the reference range: every one of the 35 days counts.
    const streak = s.find((x) => x.kind === 'streak');
    assert.equal(streak?.summary, 'Sleep efficiency low 35 days in a row: daily mean below 85% (reference range at least 85%)');
  });

  test('a change smaller than the meaningful change is not a signal; neither is a watched-away direction', () => {
    // Sleep efficiency 3 points below usual: under the 5-point meaningful change.
    assert.deepEqual(signals('sleep_efficiency', [...daily(34, 7, () => 90), ...daily(6, 0, () => 87)]), []);
    // Sleep efficiency better than usual: only low sleep efficiency is watched.
    assert.deepEqual(signals('sleep_efficiency', [...daily(34, 7, () => 86), ...daily(6, 0, () => 97)]).filter((s) => s.kind === 'vs_usual'), []);
  });

  test('weight rising over the window', () => {
    const readings = daily(29, 0, (d) => 80 + (29 - d) * 0.1);
    const t = signals('weight', readings).find((s) => s.kind === 'trend');
    assert.ok(t);
    assert.equal(t.direction, 'rising');
    assert.deepEqual(t.values, { change: 2.9, perWeek: 0.7 });
    assert.deepEqual(t.window, { from: '2025-03-02', to: '2025-03-31' });
    assert.equal(t.summary, 'Weight rising over 30 days: +2.9 kg (from about 80 kg to 82.9 kg)');
  });

  test('noise is not a trend', () => {
    const readings = daily(29, 0, (d) => (d % 2 ? 78 : 84) + (29 - d) * 0.07);
    assert.deepEqual(signals('weight', readings).filter((s) => s.kind === 'trend'), []);
  });

  test('a gap breaks a streak; stale data makes none', () => {
    const gap = [...daily(10, 4, () => 70), one(3, 110), one(1, 110), one(0, 110)];
    const streakDays = signals('heart_rate', gap).find((s) => s.kind === 'streak')?.values.days;
    assert.equal(streakDays, undefined, 'two days after a gap are not a 3-day streak');
    const stale = [...daily(10, 4, () => 110)];
    assert.deepEqual(signals('heart_rate', stale).filter((s) => s.kind === 'streak'), []);
  });

  test('blood pressure: each component on its own', () => {
    const readings = daily(29, 0, (d) => ({ systolic: d < 3 ? 142 : 120, diastolic: 76 }));
    const s = signals('blood_pressure', readings);
    assert.deepEqual(
      s.map((x) => [x.component, x.kind, x.direction, x.values.days]),
      [['systolic', 'streak', 'above', 3]],
    );
    assert.equal(s[0]!.summary, 'Systolic blood pressure elevated 3 days in a row: daily mean above 130 mmHg (reference range 90–130 mmHg)');
  });

  test("steps: daily totals, today's partial total left out", () => {
    // Usual 8,000 a day (two readings of 4,000); the last 7 complete days 3,000; today only 500 so far.
    const readings = [
      ...daily(35, 8, () => 4000),
      ...daily(35, 8, () => 4000).map((r) => ({ ...r, at: new Date(r.at.getTime() + 6 * 3600_000) })),
      ...daily(7, 1, () => 3000),
      one(0, 500),
    ];
    const vs = signals('steps', readings).find((s) => s.kind === 'vs_usual');
    assert.ok(vs);
    assert.equal(vs.window.to, '2025-03-30', "today's partial total is not part of the last 7 days");
    assert.equal(vs.values.usual, 8000);
    assert.equal(vs.values.recent, 3000);
    assert.equal(vs.summary, 'Steps 3,000 over the last 7 days vs usual 8,000');
  });

  test('days follow the time zone: late-evening readings in UTC are the next day in Berlin', () => {
    // Four readings at 23:30 UTC: in Berlin they fall on the following days, ending today.
    const readings = [...daily(20, 5, () => 70), ...[4, 3, 2, 1].map((d) => one(d, 110, 23.5))];
    const utc = signals('heart_rate', readings, 30, 'UTC').find((s) => s.kind === 'streak');
    const berlin = signals('heart_rate', readings, 30, 'Europe/Berlin').find((s) => s.kind === 'streak');
    assert.deepEqual(utc?.window, { from: '2025-03-27', to: '2025-03-30' });
    assert.deepEqual(berlin?.window, { from: '2025-03-28', to: '2025-03-31' });
  });

  test('too little data gives no signal', () => {
    assert.deepEqual(signals('heart_rate', []), []);
    assert.deepEqual(signals('heart_rate', [one(0, 72)]), []);
    assert.deepEqual(signals('glucose', daily(2, 0, () => 95)), []);
  });

  test('the HRV falls below the usual level', () => {
    const readings = [...daily(34, 7, () => 60), ...daily(6, 0, () => 38)];
    const s = signals('hrv_rmssd', readings);
    // A drop this clear is also a falling trend over the 30-day window.
    assert.deepEqual(s.map((x) => [x.kind, x.direction]), [['streak', 'below'], ['vs_usual', 'below'], ['trend', 'falling']]);
    assert.equal(s[1]!.summary, 'Heart rate variability (RMSSD) 38 ms over the last 7 days vs usual 60 ms');
    // Rising HRV is not watched.
    assert.deepEqual(signals('hrv_rmssd', [...daily(34, 7, () => 38), ...daily(6, 0, () => 60)]), []);
  });

  test('signals use only data up to now', () => {
    // A reading dated tomorrow (a device clock ahead) does not become "today".
    const readings = [...daily(10, 0, () => 70), { at: new Date(NOW.getTime() + DAY), values: { value: 150 } }];
    assert.deepEqual(signals('heart_rate', readings).filter((s) => s.kind === 'streak'), []);
  });
});
