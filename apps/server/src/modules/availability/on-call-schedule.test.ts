import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { onCallAt, shiftsBetween, type OnCallShift } from './on-call-schedule.js';

const iso = (s: string): Date => new Date(s);
let n = 0;
const shift = (departmentId: string | null, userId: string, from: string, to: string): OnCallShift => ({ id: `s${++n}`, departmentId, userId, startsAt: iso(from), endsAt: iso(to) });

describe('on call', () => {
  const night = shift('cardio', 'ana', '2025-06-02T22:00:00Z', '2025-06-03T06:00:00Z');
  const overlap = shift('cardio', 'ben', '2025-06-03T05:00:00Z', '2025-06-03T14:00:00Z');
  const again = shift('cardio', 'ana', '2025-06-03T05:30:00Z', '2025-06-03T07:00:00Z');
  const orgWide = shift(null, 'olu', '2025-06-01T00:00:00Z', '2025-06-08T00:00:00Z');
  const derm = shift('derm', 'dee', '2025-06-03T00:00:00Z', '2025-06-03T08:00:00Z');
  const all = [overlap, night, again, orgWide, derm];

  test("the department's running shifts, half-open; overlapping shifts mean several on call, each once", () => {
    assert.deepEqual(onCallAt(all, 'cardio', iso('2025-06-02T23:00:00Z')).userIds, ['ana']);
    assert.deepEqual(onCallAt(all, 'cardio', iso('2025-06-02T22:00:00Z')).userIds, ['ana'], 'from the first minute');
    const both = onCallAt(all, 'cardio', iso('2025-06-03T05:45:00Z'));
    assert.deepEqual(both.userIds, ['ana', 'ben'], 'ordered by shift start, ana once though she has two shifts');
    assert.deepEqual(both.shifts.map((s) => s.id), [night.id, overlap.id, again.id]);
    assert.equal(both.fallback, false);
    assert.deepEqual(onCallAt(all, 'cardio', iso('2025-06-03T07:00:00Z')).userIds, ['ben'], 'ana until 07:00 only');
  });

  test('a department with nobody on call falls back to the organization-wide shifts', () => {
    const later = onCallAt(all, 'cardio', iso('2025-06-03T14:00:00Z'));
    assert.deepEqual(later.userIds, ['olu']);
    assert.equal(later.fallback, true);
    assert.deepEqual(onCallAt(all, 'unknown-department', iso('2025-06-03T14:00:00Z')).userIds, ['olu']);
    assert.deepEqual(onCallAt(all, null, iso('2025-06-03T01:00:00Z')), { shifts: [orgWide], userIds: ['olu'], fallback: false }, 'asked for the organization directly');
    assert.deepEqual(onCallAt(all, 'derm', iso('2025-06-03T01:00:00Z')).userIds, ['dee'], 'not the org-wide one while the department has someone');
    assert.deepEqual(onCallAt(all, 'cardio', iso('2025-06-09T00:00:00Z')), { shifts: [], userIds: [], fallback: false }, 'nobody at all');
  });

  test('shifts in a range', () => {
    assert.deepEqual(shiftsBetween(all, iso('2025-06-03T06:00:00Z'), iso('2025-06-03T07:00:00Z')).map((s) => s.id), [orgWide.id, derm.id, overlap.id, again.id]);
    assert.deepEqual(shiftsBetween(all, iso('2025-06-03T14:00:00Z'), iso('2025-06-03T15:00:00Z')).map((s) => s.id), [orgWide.id]);
  });
});
