import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WeeklyHours } from '@haven/api';
import { addStaff, createPractice, problemOf, rejects, startTestServer, uuid, type Practice, type TestServer } from '../../../test/harness.js';
import { isEvent, listen, sleep } from '../../../test/live.js';

let server: TestServer;
let p: Practice;
let other: Practice;

before(async () => {
  server = await startTestServer();
  [p, other] = await Promise.all([createPractice(server, 'avail', { hours: 'default' }), createPractice(server, 'avail2', { hours: 'default' })]);
});
after(() => server.stop());


const none: { start: string; end: string }[] = [];
const weekdays = (hours: { start: string; end: string }[]): WeeklyHours => ({ mon: hours, tue: hours, wed: hours, thu: hours, fri: hours, sat: none, sun: none });
const always: WeeklyHours = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [{ start: '00:00', end: '24:00' }]])) as WeeklyHours;
const DEFAULT_HOURS = weekdays([{ start: '08:00', end: '17:00' }]);

// 2030: Monday 3 June, Saturday 8 June (New York and Chicago on daylight time).
const MON_1000_EDT = '2030-06-03T14:00:00.000Z';
const SAT_NOON_EDT = '2030-06-08T16:00:00.000Z';

let er: { id: string };
const services = () => server.services.availability;

describe('business hours', () => {
  test('nothing configured: America/New_York, Monday to Friday 08:00–17:00; patients see open now and the next opening', async () => {
    const hours = await p.nurse.client.call('availability.hours.get');
    assert.deepEqual(hours, { departmentId: null, timeZone: 'America/New_York', weeklyHours: DEFAULT_HOURS, inherited: { timeZone: true, weeklyHours: true }, updatedAt: null });
    const open = await p.patientA.client.call('availability.status', { query: { at: MON_1000_EDT } });
    assert.equal(open.open, true);
    assert.equal(open.nextOpening, MON_1000_EDT);
    assert.deepEqual(open.weeklyHours, DEFAULT_HOURS);
    const closed = await p.patientA.client.call('availability.status', { query: { at: SAT_NOON_EDT } });
    assert.equal(closed.open, false);
    assert.equal(closed.nextOpening, '2030-06-10T12:00:00.000Z', 'Monday 08:00 EDT');
    assert.equal(await services().isOpen(p.orgId, null, new Date(MON_1000_EDT)), true);
    // Patients read the public status only.
    await rejects(p.patientA.client.call('availability.hours.get'), 403, 'forbidden');
    await rejects(p.patientA.client.call('availability.holidays.list'), 403, 'forbidden');
  });

  test('an admin sets the time zone and weekly hours; everyone else is refused; bad input names its field', async () => {
    const weekly = weekdays([{ start: '13:00', end: '17:00' }, { start: '08:00', end: '12:00' }]);
    const set = await p.admin.client.call('availability.hours.update', { body: { timeZone: 'america/chicago', weeklyHours: weekly } });
    assert.equal(set.timeZone, 'America/Chicago', 'stored in its canonical spelling');
    assert.deepEqual(set.weeklyHours.mon, [{ start: '08:00', end: '12:00' }, { start: '13:00', end: '17:00' }], 'intervals in order');
    assert.deepEqual(set.inherited, { timeZone: false, weeklyHours: false });
    assert.ok(set.updatedAt);
    assert.deepEqual(await p.compliance.client.call('availability.hours.get'), set, 'anyone on staff reads it');
    // Takes effect at once on this node (the cached calendar is dropped): Monday 12:30 CDT is the lunch break.
    assert.equal(await services().isOpen(p.orgId, null, new Date('2030-06-03T17:30:00Z')), false);
    const lunch = await p.patientA.client.call('availability.status', { query: { at: '2030-06-03T17:30:00Z' } });
    assert.deepEqual([lunch.open, lunch.nextOpening, lunch.timeZone], [false, '2030-06-03T18:00:00.000Z', 'America/Chicago']);

    const body = { timeZone: 'America/Chicago', weeklyHours: weekly };
    for (const who of [p.nurse, p.provider, p.compliance, p.patientA]) await rejects(who.client.call('availability.hours.update', { body }), 403, 'forbidden');
    const badZone = await problemOf(p.admin.client.call('availability.hours.update', { body: { ...body, timeZone: 'Central Time' } }));
    assert.deepEqual([badZone.status, badZone.code, badZone.errors?.[0]?.path], [400, 'validation_failed', '/body/timeZone']);
    const overlap = await problemOf(p.admin.client.call('availability.hours.update', { body: { ...body, weeklyHours: { ...weekly, wed: [{ start: '08:00', end: '12:00' }, { start: '11:00', end: '13:00' }] } } }));
    assert.deepEqual([overlap.status, overlap.code, overlap.errors?.[0]?.path], [422, 'invalid_interval', '/body/weeklyHours/wed/1']);
    const empty = await problemOf(p.admin.client.call('availability.hours.update', { body: { ...body, weeklyHours: { ...weekly, tue: [{ start: '09:00', end: '09:00' }] } } }));
    assert.deepEqual([empty.status, empty.code, empty.errors?.[0]?.path], [422, 'invalid_interval', '/body/weeklyHours/tue/0/end']);
    await rejects(p.admin.client.call('availability.hours.update', { body: { ...body, weeklyHours: { ...weekly, mon: [{ start: '25:00', end: '26:00' }] } } }), 400, 'validation_failed');
    await rejects(p.admin.client.call('availability.hours.update', { body: { ...body, weeklyHours: { ...weekly, holidays: [] } as WeeklyHours } }), 400, 'validation_failed');
    await rejects(p.admin.client.call('availability.hours.update', { body: { timeZone: 'America/Chicago' } as never }), 400, 'validation_failed');
    assert.deepEqual(await p.nurse.client.call('availability.hours.get'), set, 'nothing refused was stored');
  });

  test("a department's own hours override the organization's; cleared, it inherits again", async () => {
    er = await p.admin.client.call('departments.create', { body: { name: 'Urgent Care' } });
    const erHours = await p.admin.client.call('availability.departmentHours.update', { params: { departmentId: er.id }, body: { timeZone: null, weeklyHours: always } });
    assert.deepEqual([erHours.departmentId, erHours.timeZone, erHours.inherited], [er.id, 'America/Chicago', { timeZone: true, weeklyHours: false }]);
    const dept = await p.nurse.client.call('availability.departmentHours.get', { params: { departmentId: p.dept.id } });
    assert.deepEqual([dept.inherited, dept.timeZone, dept.updatedAt], [{ timeZone: true, weeklyHours: true }, 'America/Chicago', null]);
    assert.equal((await p.patientA.client.call('availability.status', { query: { departmentId: er.id, at: SAT_NOON_EDT } })).open, true);
    assert.equal((await p.patientA.client.call('availability.status', { query: { departmentId: p.dept.id, at: SAT_NOON_EDT } })).open, false);
    // SLA due times count business minutes of the department's calendar.
    assert.equal((await services().addBusinessMinutes(p.orgId, er.id, new Date(SAT_NOON_EDT), 60))?.toISOString(), '2030-06-08T17:00:00.000Z');
    assert.equal((await services().addBusinessMinutes(p.orgId, null, new Date(SAT_NOON_EDT), 60))?.toISOString(), '2030-06-10T14:00:00.000Z', 'Monday 08:00 CDT + 1 h');
    assert.equal((await services().nextOpening(p.orgId, p.dept.id, new Date(SAT_NOON_EDT)))?.toISOString(), '2030-06-10T13:00:00.000Z');
    assert.equal(await services().businessMinutesBetween(p.orgId, null, new Date('2030-06-03T05:00:00Z'), new Date('2030-06-10T05:00:00Z')), 5 * 480);

    const berlin = await p.admin.client.call('availability.departmentHours.update', { params: { departmentId: er.id }, body: { timeZone: 'Europe/Berlin', weeklyHours: null } });
    assert.deepEqual([berlin.timeZone, berlin.inherited, berlin.weeklyHours.mon], ['Europe/Berlin', { timeZone: false, weeklyHours: true }, [{ start: '08:00', end: '12:00' }, { start: '13:00', end: '17:00' }]]);
    assert.equal((await services().calendarFor(p.orgId, er.id)).timeZone, 'Europe/Berlin');
    const cleared = await p.admin.client.call('availability.departmentHours.update', { params: { departmentId: er.id }, body: { timeZone: null, weeklyHours: null } });
    assert.deepEqual([cleared.inherited, cleared.updatedAt], [{ timeZone: true, weeklyHours: true }, null]);
    await p.admin.client.call('availability.departmentHours.update', { params: { departmentId: er.id }, body: { timeZone: null, weeklyHours: always } });

    // Refusals: role first (403), then the department (404, also for another organization's).
    await rejects(p.nurse.client.call('availability.departmentHours.update', { params: { departmentId: er.id }, body: { timeZone: null, weeklyHours: null } }), 403, 'forbidden');
    await rejects(p.admin.client.call('availability.departmentHours.update', { params: { departmentId: uuid() }, body: { timeZone: null, weeklyHours: null } }), 404, 'not_found');
    await rejects(other.admin.client.call('availability.departmentHours.update', { params: { departmentId: er.id }, body: { timeZone: null, weeklyHours: null } }), 404, 'not_found');
    await rejects(other.nurse.client.call('availability.departmentHours.get', { params: { departmentId: er.id } }), 404, 'not_found');
    await rejects(other.patientA.client.call('availability.status', { query: { departmentId: er.id } }), 404, 'not_found');
    await rejects(p.patientA.client.call('availability.departmentHours.get', { params: { departmentId: er.id } }), 403, 'forbidden');
    // The other organization still has the defaults.
    assert.equal((await other.nurse.client.call('availability.hours.get')).timeZone, 'America/New_York');
  });
});

describe('holidays', () => {
  test('closed all day, special hours, a department open on a practice holiday', async () => {
    const christmas = await p.admin.client.call('availability.holidays.create', { body: { date: '2030-12-25', name: '  Christmas   Day ' } });
    assert.deepEqual([christmas.date, christmas.name, christmas.hours, christmas.departmentId], ['2030-12-25', 'Christmas Day', [], null]);
    const eve = await p.admin.client.call('availability.holidays.create', { body: { date: '2030-12-24', name: 'Christmas Eve', hours: [{ start: '08:00', end: '12:00' }] } });
    const erOpen = await p.admin.client.call('availability.holidays.create', { body: { date: '2030-12-25', name: 'Christmas (open)', departmentId: er.id, hours: [{ start: '00:00', end: '24:00' }] } });

    await rejects(p.admin.client.call('availability.holidays.create', { body: { date: '2030-12-25', name: 'Again' } }), 409, 'conflict');
    const overlap = await problemOf(p.admin.client.call('availability.holidays.create', { body: { date: '2030-12-31', name: 'NYE', hours: [{ start: '08:00', end: '12:00' }, { start: '10:00', end: '11:00' }] } }));
    assert.deepEqual([overlap.status, overlap.code, overlap.errors?.[0]?.path], [422, 'invalid_interval', '/body/hours/1']);
    await rejects(p.admin.client.call('availability.holidays.create', { body: { date: '2030-02-30', name: 'No such day' } }), 400, 'validation_failed');
    // Years PostgreSQL cannot store (0) or nobody plans for: a clear 400, not a database error.
    for (const date of ['0000-01-01', '0999-12-25', '3030-12-25']) {
      const bad = await problemOf(p.admin.client.call('availability.holidays.create', { body: { date, name: 'Far away' } }));
      assert.deepEqual([bad.status, bad.code, bad.errors?.[0]?.path], [400, 'validation_failed', '/body/date'], date);
    }
    await rejects(p.admin.client.call('availability.holidays.create', { body: { date: '2030-12-31', name: '   ' } }), 400, 'validation_failed');
    await rejects(p.admin.client.call('availability.holidays.create', { body: { date: '2030-12-31', name: 'x', departmentId: other.dept.id } }), 404, 'not_found');
    for (const who of [p.nurse, p.provider, p.patientA, p.compliance]) await rejects(who.client.call('availability.holidays.create', { body: { date: '2030-12-31', name: 'x' } }), 403, 'forbidden');

    assert.deepEqual((await p.nurse.client.call('availability.holidays.list')).items.map((h) => h.id), [eve.id, christmas.id, erOpen.id]);
    assert.deepEqual((await p.nurse.client.call('availability.holidays.list', { query: { departmentId: p.dept.id } })).items.map((h) => h.id), [eve.id, christmas.id]);
    assert.deepEqual((await p.nurse.client.call('availability.holidays.list', { query: { departmentId: er.id, from: '2030-12-25', to: '2030-12-31' } })).items.map((h) => h.id), [christmas.id, erOpen.id]);
    const inverted = await problemOf(p.nurse.client.call('availability.holidays.list', { query: { from: '2030-12-31', to: '2030-12-01' } }));
    assert.deepEqual([inverted.status, inverted.errors?.[0]?.path], [422, '/query/to']);
    assert.deepEqual((await other.nurse.client.call('availability.holidays.list')).items, [], "another organization's holidays are its own");

    // Christmas Day, 09:00 CST: the practice is closed until Thursday 08:00; urgent care is open.
    const xmas = await p.patientA.client.call('availability.status', { query: { at: '2030-12-25T15:00:00Z' } });
    assert.deepEqual([xmas.open, xmas.nextOpening], [false, '2030-12-26T14:00:00.000Z']);
    assert.equal((await p.patientA.client.call('availability.status', { query: { departmentId: er.id, at: '2030-12-25T15:00:00Z' } })).open, true);
    assert.equal(await services().isOpen(p.orgId, null, new Date('2030-12-24T17:00:00Z')), true, 'Christmas Eve 11:00 CST');
    assert.equal(await services().isOpen(p.orgId, null, new Date('2030-12-24T19:00:00Z')), false, 'Christmas Eve 13:00 CST');
    const before = await p.patientA.client.call('availability.status', { query: { at: '2030-12-01T15:00:00Z' } });
    assert.deepEqual(before.upcomingHolidays, [
      { date: '2030-12-24', name: 'Christmas Eve', hours: [{ start: '08:00', end: '12:00' }] },
      { date: '2030-12-25', name: 'Christmas Day', hours: [] },
    ]);
    const erBefore = await p.patientA.client.call('availability.status', { query: { departmentId: er.id, at: '2030-12-01T15:00:00Z' } });
    assert.deepEqual(erBefore.upcomingHolidays.map((h) => h.name), ['Christmas Eve', 'Christmas (open)'], "the department's own entry wins on its date");
    assert.deepEqual((await p.patientA.client.call('availability.status', { query: { at: '2030-09-01T15:00:00Z' } })).upcomingHolidays, [], 'more than 60 days ahead');

    // Removing: admins of this organization only.
    await rejects(p.nurse.client.call('availability.holidays.delete', { params: { holidayId: eve.id } }), 403, 'forbidden');
    await rejects(other.admin.client.call('availability.holidays.delete', { params: { holidayId: eve.id } }), 404, 'not_found');
    await rejects(p.admin.client.call('availability.holidays.delete', { params: { holidayId: uuid() } }), 404, 'not_found');
    await p.admin.client.call('availability.holidays.delete', { params: { holidayId: eve.id } });
    await rejects(p.admin.client.call('availability.holidays.delete', { params: { holidayId: eve.id } }), 404, 'not_found');
    assert.equal(await services().isOpen(p.orgId, null, new Date('2030-12-24T19:00:00Z')), true, 'an ordinary Tuesday again');
  });
});

describe('staff availability', () => {
  const evenings = { mon: [{ start: '16:00', end: '22:00' }], tue: none, wed: [{ start: '16:00', end: '22:00' }], thu: none, fri: none, sat: none, sun: none };

  test('each provider and staff member manages their own hours; admins anyone’s; nobody else', async () => {
    const mine = await p.nurse.client.call('availability.staff.update', { params: { userId: p.nurse.id }, body: { timeZone: 'America/Los_Angeles', weeklyHours: evenings } });
    assert.deepEqual([mine.userId, mine.timeZone, mine.effective.timeZone, mine.weeklyHours?.mon], [p.nurse.id, 'America/Los_Angeles', 'America/Los_Angeles', evenings.mon]);
    assert.deepEqual(await p.provider.client.call('availability.staff.get', { params: { userId: p.nurse.id } }), mine, 'colleagues read it');
    // Monday 18:00 in Los Angeles: the nurse works, the practice (Chicago, closed at 17:00) does not.
    assert.deepEqual(await services().availableStaff(p.orgId, [p.nurse.id, p.provider.id], new Date('2030-06-04T01:00:00Z')), [p.nurse.id]);

    const body = { timeZone: null, weeklyHours: null };
    await rejects(p.otherProvider.client.call('availability.staff.update', { params: { userId: p.nurse.id }, body }), 403, 'forbidden');
    await rejects(p.provider.client.call('availability.staff.update', { params: { userId: uuid() }, body }), 403, 'forbidden');
    await rejects(p.patientA.client.call('availability.staff.update', { params: { userId: p.nurse.id }, body }), 403, 'forbidden');
    await rejects(p.patientA.client.call('availability.staff.update', { params: { userId: p.patientA.id }, body }), 403, 'forbidden');
    await rejects(p.compliance.client.call('availability.staff.update', { params: { userId: p.compliance.id }, body }), 403, 'forbidden');
    await rejects(p.patientA.client.call('availability.staff.get', { params: { userId: p.nurse.id } }), 403, 'forbidden');
    await rejects(p.admin.client.call('availability.staff.update', { params: { userId: uuid() }, body }), 404, 'not_found');
    await rejects(p.admin.client.call('availability.staff.update', { params: { userId: p.patientA.id }, body }), 404, 'not_found');
    await rejects(other.admin.client.call('availability.staff.update', { params: { userId: p.nurse.id }, body }), 404, 'not_found');
    await rejects(other.nurse.client.call('availability.staff.get', { params: { userId: p.nurse.id } }), 404, 'not_found');
    const badZone = await problemOf(p.nurse.client.call('availability.staff.update', { params: { userId: p.nurse.id }, body: { timeZone: 'Pacific Time', weeklyHours: null } }));
    assert.deepEqual([badZone.status, badZone.errors?.[0]?.path], [400, '/body/timeZone']);

    const reset = await p.admin.client.call('availability.staff.update', { params: { userId: p.nurse.id }, body });
    assert.deepEqual([reset.timeZone, reset.weeklyHours, reset.effective.timeZone], [null, null, 'America/Chicago'], "back to the department's (the organization's) hours");
    assert.deepEqual(reset.effective.weeklyHours.mon, [{ start: '08:00', end: '12:00' }, { start: '13:00', end: '17:00' }]);
  });

  test('out of office with a covering colleague; chains; cycles; who is available', async () => {
    const week = { startsAt: '2030-06-03T00:00:00Z', endsAt: '2030-06-08T00:00:00Z' };
    const at = new Date('2030-06-03T15:00:00Z'); // Monday 10:00 CDT
    const nurseAway = await p.nurse.client.call('availability.outOfOffice.create', { params: { userId: p.nurse.id }, body: { ...week, coverUserId: p.provider.id } });
    // A leap second passes the date-time format but no Date holds it: a clear 400 naming the field, nothing stored.
    const leap = await problemOf(p.nurse.client.call('availability.outOfOffice.create', { params: { userId: p.nurse.id }, body: { startsAt: '2030-06-30T23:59:60Z', endsAt: '2030-07-02T00:00:00Z' } }));
    assert.deepEqual([leap.status, leap.code, leap.errors?.[0]?.path], [400, 'validation_failed', '/body/startsAt']);
    const leapAt = await problemOf(p.nurse.client.call('availability.staff.list', { query: { at: '2030-06-30T23:59:60Z' } }));
    assert.deepEqual([leapAt.status, leapAt.errors?.[0]?.path], [400, '/query/at']);
    assert.deepEqual([nurseAway.userId, nurseAway.coverUserId, nurseAway.createdBy, nurseAway.startsAt], [p.nurse.id, p.provider.id, p.nurse.id, '2030-06-03T00:00:00.000Z']);
    // staff.get lists the current and upcoming periods (by the server's clock): not the ones that are over.
    const day = 86_400_000;
    const isoIn = (ms: number) => new Date(Date.now() + ms).toISOString();
    const past = await p.nurse.client.call('availability.outOfOffice.create', { params: { userId: p.nurse.id }, body: { startsAt: isoIn(-2 * day), endsAt: isoIn(-day) } });
    const soon = await p.nurse.client.call('availability.outOfOffice.create', { params: { userId: p.nurse.id }, body: { startsAt: isoIn(day), endsAt: isoIn(2 * day) } });
    const listed = (await p.nurse.client.call('availability.staff.get', { params: { userId: p.nurse.id } })).outOfOffice;
    assert.deepEqual(listed[0], soon, 'soonest first');
    assert.ok(!listed.some((o) => o.id === past.id), 'a period that is over is not listed');
    for (const o of [past, soon]) await p.nurse.client.call('availability.outOfOffice.delete', { params: { userId: p.nurse.id, outOfOfficeId: o.id } });
    assert.deepEqual(await services().coverFor(p.orgId, p.nurse.id, at), { userId: p.provider.id, name: 'Dr A avail' });
    assert.equal(await services().coverFor(p.orgId, p.provider.id, at), null, 'the provider is not away');

    const list = await p.provider.client.call('availability.staff.list', { query: { at: at.toISOString(), departmentId: p.dept.id } });
    const byId = new Map(list.items.map((i) => [i.userId, i]));
    assert.deepEqual(byId.get(p.nurse.id), { userId: p.nurse.id, name: 'Nurse A avail', role: 'staff', departmentId: p.dept.id, working: true, outOfOffice: true, available: false, coveredBy: { userId: p.provider.id, name: 'Dr A avail' } });
    assert.deepEqual([byId.get(p.provider.id)?.available, byId.get(p.provider.id)?.coveredBy], [true, null]);
    assert.equal(list.at, at.toISOString());
    assert.ok(list.items.every((i) => i.departmentId === p.dept.id));

    // The cover must be another active provider or staff member of the organization.
    const create = (coverUserId: string) => p.nurse.client.call('availability.outOfOffice.create', { params: { userId: p.nurse.id }, body: { ...week, coverUserId } });
    await rejects(create(other.provider.id), 404, 'not_found');
    await rejects(create(p.patientA.id), 404, 'not_found');
    await rejects(create(p.compliance.id), 404, 'not_found');
    await rejects(create(uuid()), 404, 'not_found');
    const self = await problemOf(create(p.nurse.id));
    assert.deepEqual([self.status, self.errors?.[0]?.path], [400, '/body/coverUserId']);
    const inverted = await problemOf(p.nurse.client.call('availability.outOfOffice.create', { params: { userId: p.nurse.id }, body: { startsAt: week.endsAt, endsAt: week.startsAt } }));
    assert.deepEqual([inverted.status, inverted.code, inverted.errors?.[0]?.path], [422, 'invalid_interval', '/body/endsAt']);
    await rejects(p.nurse.client.call('availability.outOfOffice.create', { params: { userId: p.nurse.id }, body: { startsAt: week.startsAt, endsAt: week.startsAt } }), 422, 'invalid_interval');
    await rejects(p.nurse.client.call('availability.outOfOffice.create', { params: { userId: p.nurse.id }, body: { startsAt: '2030-01-01T00:00:00Z', endsAt: '2032-01-01T00:00:00Z' } }), 400, 'validation_failed');
    // Someone else's absence: staff 403, patients 403, another organization 404.
    await rejects(p.otherProvider.client.call('availability.outOfOffice.create', { params: { userId: p.nurse.id }, body: week }), 403, 'forbidden');
    await rejects(p.patientA.client.call('availability.outOfOffice.create', { params: { userId: p.patientA.id }, body: week }), 403, 'forbidden');
    await rejects(other.admin.client.call('availability.outOfOffice.create', { params: { userId: p.nurse.id }, body: week }), 404, 'not_found');

    // An admin records the provider's absence, covered by the other provider: the nurse's cover is now that one.
    const providerAway = await p.admin.client.call('availability.outOfOffice.create', { params: { userId: p.provider.id }, body: { ...week, coverUserId: p.otherProvider.id } });
    assert.equal(providerAway.createdBy, p.admin.id);
    assert.deepEqual(await services().coverFor(p.orgId, p.nurse.id, at), { userId: p.otherProvider.id, name: 'Dr B avail' });
    assert.deepEqual(await services().availableStaff(p.orgId, [p.nurse.id, p.provider.id, p.otherProvider.id, p.patientA.id, p.admin.id, p.nurse.id], at), [p.otherProvider.id]);
    const states = await services().staffStatus(p.orgId, [p.nurse.id], at);
    assert.deepEqual(states.get(p.nurse.id), { working: true, outOfOffice: true, available: false, coverUserId: p.otherProvider.id });
    // The other provider is away too, covered by the nurse: a cycle, nobody available.
    const loop = await p.otherProvider.client.call('availability.outOfOffice.create', { params: { userId: p.otherProvider.id }, body: { ...week, coverUserId: p.nurse.id } });
    assert.equal(await services().coverFor(p.orgId, p.nurse.id, at), null);
    assert.equal(await services().coverFor(p.orgId, p.provider.id, at), null);
    await p.otherProvider.client.call('availability.outOfOffice.delete', { params: { userId: p.otherProvider.id, outOfOfficeId: loop.id } });
    assert.equal((await services().coverFor(p.orgId, p.nurse.id, at))?.userId, p.otherProvider.id);

    // Changing and removing: the owner (or an admin), through the owner's path.
    await rejects(p.nurse.client.call('availability.outOfOffice.update', { params: { userId: p.provider.id, outOfOfficeId: providerAway.id }, body: { coverUserId: null } }), 403, 'forbidden');
    await rejects(p.nurse.client.call('availability.outOfOffice.update', { params: { userId: p.nurse.id, outOfOfficeId: providerAway.id }, body: { coverUserId: null } }), 404, 'not_found');
    await rejects(p.nurse.client.call('availability.outOfOffice.delete', { params: { userId: p.nurse.id, outOfOfficeId: providerAway.id } }), 404, 'not_found');
    const earlyEnd = await problemOf(p.nurse.client.call('availability.outOfOffice.update', { params: { userId: p.nurse.id, outOfOfficeId: nurseAway.id }, body: { endsAt: '2030-06-02T00:00:00Z' } }));
    assert.deepEqual([earlyEnd.status, earlyEnd.errors?.[0]?.path], [422, '/body/endsAt']);
    const lateStart = await problemOf(p.nurse.client.call('availability.outOfOffice.update', { params: { userId: p.nurse.id, outOfOfficeId: nurseAway.id }, body: { startsAt: '2030-06-09T00:00:00Z' } }));
    assert.deepEqual([lateStart.status, lateStart.errors?.[0]?.path], [422, '/body/startsAt']);
    const uncovered = await p.nurse.client.call('availability.outOfOffice.update', { params: { userId: p.nurse.id, outOfOfficeId: nurseAway.id }, body: { coverUserId: null, endsAt: '2030-06-05T00:00:00Z' } });
    assert.deepEqual([uncovered.coverUserId, uncovered.endsAt, uncovered.startsAt], [null, '2030-06-05T00:00:00.000Z', nurseAway.startsAt]);
    assert.equal(await services().coverFor(p.orgId, p.nurse.id, at), null, 'away without a cover');
    assert.deepEqual(await services().availableStaff(p.orgId, [p.nurse.id], new Date('2030-06-05T15:00:00Z')), [p.nurse.id], 'back on Wednesday');
    await p.admin.client.call('availability.outOfOffice.delete', { params: { userId: p.provider.id, outOfOfficeId: providerAway.id } });
    await p.nurse.client.call('availability.outOfOffice.delete', { params: { userId: p.nurse.id, outOfOfficeId: nurseAway.id } });
    await rejects(p.nurse.client.call('availability.outOfOffice.delete', { params: { userId: p.nurse.id, outOfOfficeId: nurseAway.id } }), 404, 'not_found');
    assert.deepEqual((await p.nurse.client.call('availability.staff.get', { params: { userId: p.nurse.id } })).outOfOffice, []);
  });
});

describe('on call', () => {
  test('shifts per department and organization-wide; who is on call now, with the fallback; refusals', async () => {
    const shift = (body: { departmentId?: string | null; userId: string; startsAt: string; endsAt: string }) => p.admin.client.call('onCall.shifts.create', { body });
    const night = await shift({ departmentId: p.dept.id, userId: p.nurse.id, startsAt: '2030-06-03T22:00:00Z', endsAt: '2030-06-04T12:00:00Z' });
    const overlapping = await shift({ departmentId: p.dept.id, userId: p.provider.id, startsAt: '2030-06-04T10:00:00Z', endsAt: '2030-06-04T16:00:00Z' });
    const orgWide = await shift({ userId: p.otherProvider.id, startsAt: '2030-06-01T00:00:00Z', endsAt: '2030-06-10T00:00:00Z' });
    assert.deepEqual([night.departmentId, orgWide.departmentId, night.createdBy], [p.dept.id, null, p.admin.id]);

    const both = await p.nurse.client.call('onCall.current', { query: { departmentId: p.dept.id, at: '2030-06-04T11:00:00Z' } });
    assert.deepEqual(both.items.map((i) => [i.userId, i.name, i.shiftId]), [[p.nurse.id, 'Nurse A avail', night.id], [p.provider.id, 'Dr A avail', overlapping.id]]);
    assert.equal(both.fallback, false);
    const later = await p.compliance.client.call('onCall.current', { query: { departmentId: p.dept.id, at: '2030-06-04T17:00:00Z' } });
    assert.deepEqual([later.fallback, later.items.map((i) => i.userId)], [true, [p.otherProvider.id]]);
    const urgent = await p.nurse.client.call('onCall.current', { query: { departmentId: er.id, at: '2030-06-04T11:00:00Z' } });
    assert.deepEqual([urgent.fallback, urgent.items.map((i) => i.userId)], [true, [p.otherProvider.id]], 'a department without shifts: the organization-wide on call');
    const org = await p.nurse.client.call('onCall.current', { query: { at: '2030-06-04T11:00:00Z' } });
    assert.deepEqual([org.departmentId, org.fallback, org.items.map((i) => i.userId)], [null, false, [p.otherProvider.id]]);
    assert.deepEqual(await services().onCallNow(p.orgId, p.dept.id, new Date('2030-06-04T11:00:00Z')), [p.nurse.id, p.provider.id]);
    assert.deepEqual(await services().onCallNow(p.orgId, p.dept.id, new Date('2030-06-12T11:00:00Z')), [], 'nobody at all');

    const day = { from: '2030-06-04T00:00:00Z', to: '2030-06-05T00:00:00Z' };
    assert.deepEqual((await p.nurse.client.call('onCall.shifts.list', { query: { departmentId: p.dept.id, ...day } })).items.map((s) => s.id), [night.id, overlapping.id]);
    assert.deepEqual((await p.nurse.client.call('onCall.shifts.list', { query: day })).items.map((s) => s.id), [orgWide.id, night.id, overlapping.id]);
    assert.deepEqual((await p.nurse.client.call('onCall.shifts.list', { query: { from: '2030-06-04T16:00:00Z', to: '2030-06-04T17:00:00Z', departmentId: p.dept.id } })).items, [], 'half-open: the shift ending at 16:00 is not in it');
    const inverted = await problemOf(p.nurse.client.call('onCall.shifts.list', { query: { from: day.to, to: day.from } }));
    assert.deepEqual([inverted.status, inverted.code, inverted.errors?.[0]?.path], [422, 'invalid_interval', '/query/to']);
    await rejects(p.nurse.client.call('onCall.shifts.list', { query: { from: '2030-01-01T00:00:00Z', to: '2030-12-01T00:00:00Z' } }), 400, 'validation_failed');
    assert.deepEqual((await other.nurse.client.call('onCall.shifts.list', { query: day })).items, [], "another organization's schedule is its own");

    const bad = await problemOf(shift({ departmentId: p.dept.id, userId: p.nurse.id, startsAt: '2030-06-05T10:00:00Z', endsAt: '2030-06-05T09:00:00Z' }));
    assert.deepEqual([bad.status, bad.code, bad.errors?.[0]?.path], [422, 'invalid_interval', '/body/endsAt']);
    const slot = { startsAt: '2030-06-05T10:00:00Z', endsAt: '2030-06-05T12:00:00Z' };
    await rejects(shift({ departmentId: p.dept.id, userId: p.patientA.id, ...slot }), 404, 'not_found');
    await rejects(shift({ departmentId: p.dept.id, userId: other.nurse.id, ...slot }), 404, 'not_found');
    await rejects(shift({ departmentId: other.dept.id, userId: p.nurse.id, ...slot }), 404, 'not_found');
    for (const who of [p.nurse, p.provider, p.compliance, p.patientA]) await rejects(who.client.call('onCall.shifts.create', { body: { userId: who.id, ...slot } }), 403, 'forbidden');
    await rejects(p.patientA.client.call('onCall.current', { query: {} }), 403, 'forbidden');
    await rejects(p.patientA.client.call('onCall.shifts.list', { query: {} }), 403, 'forbidden');
    await rejects(p.nurse.client.call('onCall.current', { query: { departmentId: uuid() } }), 404, 'not_found');

    // A deactivated person is no longer on call; their department falls back.
    const temp = await addStaff(server, 'avail', p.admin.client, 'staff', 'Temp avail', er.id);
    await shift({ departmentId: er.id, userId: temp.id, startsAt: '2030-06-04T00:00:00Z', endsAt: '2030-06-05T00:00:00Z' });
    assert.deepEqual(await services().onCallNow(p.orgId, er.id, new Date('2030-06-04T11:00:00Z')), [temp.id]);
    await p.admin.client.call('users.deactivate', { params: { id: temp.id } });
    assert.deepEqual(await services().onCallNow(p.orgId, er.id, new Date('2030-06-04T11:00:00Z')), [p.otherProvider.id]);

    await rejects(p.nurse.client.call('onCall.shifts.delete', { params: { shiftId: night.id } }), 403, 'forbidden');
    await rejects(other.admin.client.call('onCall.shifts.delete', { params: { shiftId: night.id } }), 404, 'not_found');
    await rejects(p.admin.client.call('onCall.shifts.delete', { params: { shiftId: uuid() } }), 404, 'not_found');
    await p.admin.client.call('onCall.shifts.delete', { params: { shiftId: night.id } });
    assert.deepEqual(await services().onCallNow(p.orgId, p.dept.id, new Date('2030-06-04T11:00:00Z')), [p.provider.id]);
  });
});

describe('live events and audit', () => {
  test('staff hear availability.changed (identifiers only); patients do not', async () => {
    const [staff, patient] = await Promise.all([listen(p.provider.client), listen(p.patientA.client)]);
    try {
      const away = await p.nurse.client.call('availability.outOfOffice.create', { params: { userId: p.nurse.id }, body: { startsAt: '2030-07-01T00:00:00Z', endsAt: '2030-07-02T00:00:00Z' } });
      const frame = await staff.waitFor(isEvent('availability.changed'));
      assert.deepEqual(frame.event.availability, { scope: 'staff', departmentId: null, userId: p.nurse.id });
      assert.equal(frame.event.actorId, p.nurse.id);
      await p.admin.client.call('availability.holidays.create', { body: { date: '2030-07-04', name: 'Independence Day' } });
      const holiday = await staff.waitFor((f) => f.type === 'event' && f.event.type === 'availability.changed' && f.event.availability?.scope === 'holidays');
      assert.ok(holiday.type === 'event' && !JSON.stringify(holiday).includes('Independence'), 'no names in the event');
      await sleep(300);
      assert.deepEqual(patient.events().filter((e) => e.type === 'availability.changed'), []);
      await p.nurse.client.call('availability.outOfOffice.delete', { params: { userId: p.nurse.id, outOfOfficeId: away.id } });
    } finally {
      staff.stream.close();
      patient.stream.close();
    }
  });

  test('every change is audited with identifiers, by its actor', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await p.compliance.client.call('audit.list', { query: { limit: 200, ...(cursor ? { cursor } : {}) } });
      for (const e of page.items) if (e.action.startsWith('availability.') || e.action.startsWith('onCall.')) seen.push(`${e.action} ${e.actorId === p.admin.id ? 'admin' : e.actorId === p.nurse.id ? 'nurse' : 'other'}`);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    for (const expected of [
      'availability.hours.update admin',
      'availability.departmentHours.update admin',
      'availability.holidays.create admin',
      'availability.holidays.delete admin',
      'availability.staff.update nurse',
      'availability.staff.update admin',
      'availability.outOfOffice.create nurse',
      'availability.outOfOffice.create admin',
      'availability.outOfOffice.update nurse',
      'availability.outOfOffice.delete nurse',
      'onCall.shifts.create admin',
      'onCall.shifts.delete admin',
    ]) {
      assert.ok(seen.includes(expected), `audited: ${expected}`);
    }
    assert.ok(!seen.some((s) => s.startsWith('availability.hours.update') && !s.endsWith('admin')), 'refused calls changed nothing');
  });
});
