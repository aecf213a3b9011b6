import { randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import type {
  AvailabilityChange,
  AvailabilityStatus,
  AvailabilityStatusQuery,
  BusinessHours,
  DepartmentHoursUpdate,
  Holiday,
  HolidayCreate,
  HolidayListQuery,
  OnCallCurrent,
  OnCallCurrentQuery,
  OnCallShift,
  OnCallShiftCreate,
  OnCallShiftListQuery,
  OrganizationHoursUpdate,
  OutOfOffice,
  OutOfOfficeCreate,
  OutOfOfficeUpdate,
  StaffAvailability,
  StaffAvailabilityUpdate,
  StaffStatus,
  StaffStatusQuery,
} from '@haven/api';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError, notFound, type ProblemItem } from '../../platform/http/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { EventOutbox } from '../events/event.outbox.js';
import type { OrganizationService } from '../organization/organization.service.js';
import { can, type Action } from '../policy/policy.js';
import type { UserService } from '../users/user.service.js';
import {
  addBusinessMinutes,
  businessMinutesBetween,
  canonicalTimeZone,
  dateString,
  dayHoursProblems,
  isOpen,
  localDay,
  nextOpening,
  resolveCalendar,
  sortedHours,
  sortedWeekly,
  weeklyHoursProblems,
  type BusinessCalendar,
  type WeeklyHours,
} from './business-calendar.js';
import { onCallAt } from './on-call-schedule.js';
import { coverFor, isOutOfOffice, isWorking, staffCalendar, type CoverCandidate, type OutOfOfficePeriod } from './staff-availability.js';
import { presentHoliday, presentOutOfOffice, presentShift } from './availability.presenters.js';
import type { AvailabilityStore, ClinicianRow, HolidayRow, OutOfOfficeRow, StaffHoursRow } from './availability.store.js';

/**
 * Availability: business hours and holidays of the organization and its departments, working hours and out of office
 * of providers and staff with covering colleagues, on-call shifts per department.
 *
 * For other modules (routing, auto-assignment, off-hours replies, SLA due times, "message the on-call"). Every method
 * takes the moment it is about; none reads the clock:
 *
 *   calendarFor(orgId, departmentId | null): Promise<BusinessCalendar>
 *       The department's calendar (its own hours and zone where set, else the organization's, else America/New_York
 *       Mon–Fri 08:00–17:00; the organization's holidays plus the department's, which win on the same date). Cached
 *       for CALENDAR_TTL_MS per node; a change made on this node drops the organization's entries at once (other
 *       nodes see it within the TTL). An unknown department gets the organization's calendar.
 *   isOpen(orgId, departmentId, at): Promise<boolean>
 *   nextOpening(orgId, departmentId, at): Promise<Date | null>     `at` when open; null: no opening within 400 days
 *   addBusinessMinutes(orgId, departmentId, start, minutes): Promise<Date | null>   SLA due times; null: never opens
 *   businessMinutesBetween(orgId, departmentId, a, b): Promise<number>
 *   availableStaff(orgId, userIds, at): Promise<string[]>
 *       Of these users, the active providers and staff within their working hours and not out of office, in the
 *       order given (for least-loaded assignment among those available now).
 *   staffStatus(orgId, userIds, at): Promise<Map<userId, { working, outOfOffice, available, coverUserId }>>
 *   coverFor(orgId, userId, at): Promise<{ userId, name } | null>
 *       Who covers for someone out of office, following chains (never someone away; cycle-safe). Null when the
 *       person is not out of office, or nobody available covers (route to their team then).
 *   onCallNow(orgId, departmentId | null, at): Promise<string[]>
 *       Who is on call: the department's running shifts, else the organization-wide ones (departmentId null).
 *
 * The HTTP operations (availability.*, onCall.*) decide with the policy module first, write their audit event and an
 * `availability.changed` live event (to every active staff user of the organization) in the change's transaction.
 */
export const CALENDAR_TTL_MS = 5_000;
const DAY_MS = 86_400_000;
/** Longest out-of-office period and on-call shift accepted (a typo in a year should not make someone away for ten). */
const MAX_PERIOD_DAYS = 400;
const MAX_SHIFT_LIST_DAYS = 92;
const UPCOMING_HOLIDAY_DAYS = 60;

export interface StaffState {
  working: boolean;
  outOfOffice: boolean;
  available: boolean;
  /** When out of office: who covers (after following chains), else null. */
  coverUserId: string | null;
}

interface LoadedCalendar {
  calendar: BusinessCalendar;
  holidays: HolidayRow[];
  org: { timeZone: string | null; weekly: WeeklyHours | null; updatedAt: Date | null };
  department: { timeZone: string | null; weekly: WeeklyHours | null; updatedAt: Date | null } | null;
}

export interface AvailabilityOptions {
  /** The clock of the HTTP operations that answer "now" (default: the system clock). */
  now?: () => Date;
  calendarTtlMs?: number;
}

const toPeriod = (r: OutOfOfficeRow): OutOfOfficePeriod => ({ startsAt: r.starts_at, endsAt: r.ends_at, coverUserId: r.cover_user_id });
const invalidInterval = (problems: ProblemItem[]): AppError =>
  new AppError('invalid_interval', problems.map((p) => `${p.path}: ${p.message}`).join('; '), { errors: problems });
const invalid = (path: string, message: string): AppError => new AppError('validation_failed', `${path}: ${message}`, { errors: [{ path, message }] });

export class AvailabilityService {
  private readonly calendars = new Map<string, { at: number; value: Promise<LoadedCalendar> }>();
  private readonly now: () => Date;
  private readonly ttlMs: number;

  constructor(
    private readonly db: Db,
    private readonly store: AvailabilityStore,
    private readonly users: UserService,
    private readonly orgs: OrganizationService,
    private readonly audit: AuditService,
    private readonly outbox: EventOutbox,
    options: AvailabilityOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.ttlMs = options.calendarTtlMs ?? CALENDAR_TTL_MS;
  }

  // ================================================================================================================
  // For other modules
  // ================================================================================================================

  async calendarFor(orgId: string, departmentId: string | null): Promise<BusinessCalendar> {
    return (await this.loaded(orgId, departmentId)).calendar;
  }

  async isOpen(orgId: string, departmentId: string | null, at: Date): Promise<boolean> {
    return isOpen(await this.calendarFor(orgId, departmentId), at);
  }

  async nextOpening(orgId: string, departmentId: string | null, at: Date): Promise<Date | null> {
    return nextOpening(await this.calendarFor(orgId, departmentId), at);
  }

  async addBusinessMinutes(orgId: string, departmentId: string | null, start: Date, minutes: number): Promise<Date | null> {
    return addBusinessMinutes(await this.calendarFor(orgId, departmentId), start, minutes);
  }

  async businessMinutesBetween(orgId: string, departmentId: string | null, a: Date, b: Date): Promise<number> {
    return businessMinutesBetween(await this.calendarFor(orgId, departmentId), a, b);
  }

  async availableStaff(orgId: string, userIds: readonly string[], at: Date): Promise<string[]> {
    const ids = [...new Set(userIds.map((id) => id.toLowerCase()))];
    const states = await this.staffStatus(orgId, ids, at);
    return ids.filter((id) => states.get(id)?.available === true);
  }

  /** Working, out of office, available and cover of each active provider or staff member among `userIds` (others are left out). */
  async staffStatus(orgId: string, userIds: readonly string[], at: Date): Promise<Map<string, StaffState>> {
    const people = await this.store.clinicians(orgId, [...new Set(userIds.map((id) => id.toLowerCase()))]);
    return this.statesOf(orgId, people, at);
  }

  async coverFor(orgId: string, userId: string, at: Date): Promise<{ userId: string; name: string } | null> {
    const id = await this.coverId(orgId, userId, at);
    if (!id) return null;
    return { userId: id, name: (await this.names(orgId, [id])).get(id) ?? '' };
  }

  async onCallNow(orgId: string, departmentId: string | null, at: Date): Promise<string[]> {
    return onCallAt((await this.store.shiftsAt(orgId, departmentId, at)).map(toShift), departmentId, at).userIds;
  }

  // ================================================================================================================
  // Calendars (cached)
  // ================================================================================================================

  private loaded(orgId: string, departmentId: string | null): Promise<LoadedCalendar> {
    const key = `${orgId}|${departmentId ?? ''}`;
    const hit = this.calendars.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.value;
    const value = this.loadCalendar(orgId, departmentId);
    this.calendars.set(key, { at: Date.now(), value });
    value.catch(() => this.calendars.delete(key));
    return value;
  }

  private async loadCalendar(orgId: string, departmentId: string | null): Promise<LoadedCalendar> {
    const [rows, holidays] = await Promise.all([this.store.businessHours(orgId, departmentId), this.store.holidays(orgId, { departmentId })]);
    const orgRow = rows.find((r) => r.department_id === null);
    const deptRow = departmentId === null ? undefined : rows.find((r) => r.department_id === departmentId);
    const org = { timeZone: orgRow?.time_zone ?? null, weekly: (orgRow?.weekly_hours as WeeklyHours | null | undefined) ?? null, updatedAt: orgRow?.updated_at ?? null };
    const department = departmentId === null ? null : { timeZone: deptRow?.time_zone ?? null, weekly: (deptRow?.weekly_hours as WeeklyHours | null | undefined) ?? null, updatedAt: deptRow?.updated_at ?? null };
    const calendar = resolveCalendar(org, department && { id: departmentId!, ...department }, holidays.map((h) => ({ departmentId: h.department_id, date: h.day, hours: h.hours })));
    return { calendar, holidays, org, department };
  }

  /** Drops an organization's cached calendars (after a change of hours or holidays). */
  private forget(orgId: string): void {
    for (const key of this.calendars.keys()) if (key.startsWith(`${orgId}|`)) this.calendars.delete(key);
  }

  // ================================================================================================================
  // Staff states, covers, names
  // ================================================================================================================

  private async statesOf(orgId: string, people: ClinicianRow[], at: Date): Promise<Map<string, StaffState>> {
    const ids = people.map((p) => p.id);
    const [own, away] = await Promise.all([this.store.staffHours(orgId, ids), this.store.outOfOfficeAt(orgId, at, ids)]);
    const ownBy = new Map(own.map((r) => [r.user_id, r]));
    const calendars = new Map<string | null, BusinessCalendar>();
    for (const dept of new Set(people.map((p) => p.department_id))) calendars.set(dept, await this.calendarFor(orgId, dept));
    const cover = away.length > 0 ? await this.covers(orgId, at) : () => null;
    const out = new Map<string, StaffState>();
    for (const p of people) {
      const periods = away.filter((r) => r.user_id === p.id).map(toPeriod);
      const working = isWorking(staffCalendar(calendars.get(p.department_id)!, ownHours(ownBy.get(p.id))), at);
      const outOfOffice = isOutOfOffice(periods, at);
      out.set(p.id, { working, outOfOffice, available: working && !outOfOffice, coverUserId: outOfOffice ? cover(p.id) : null });
    }
    return out;
  }

  /**
   * Who covers whom at `at`: from everyone's running out-of-office periods and who is an active provider or staff
   * member (two queries, whatever the length of the chains).
   */
  private async covers(orgId: string, at: Date): Promise<(userId: string) => string | null> {
    const [running, active] = await Promise.all([this.store.outOfOfficeAt(orgId, at), this.store.clinicians(orgId)]);
    const activeIds = new Set(active.map((c) => c.id));
    const periods = new Map<string, OutOfOfficePeriod[]>();
    for (const r of running) periods.set(r.user_id, [...(periods.get(r.user_id) ?? []), toPeriod(r)]);
    const lookup = (id: string): CoverCandidate | undefined => (activeIds.has(id) ? { active: true, outOfOffice: periods.get(id) ?? [] } : undefined);
    return (userId) => coverFor(lookup, userId, at);
  }

  /** Who covers for this staff member at `at` (their id only: routing needs no name). */
  async coverId(orgId: string, userId: string, at: Date): Promise<string | null> {
    return (await this.covers(orgId, at))(userId.toLowerCase());
  }

  private names(orgId: string, ids: readonly string[]): Promise<Map<string, string>> {
    return this.users.names(orgId, [...ids]);
  }

  // ================================================================================================================
  // HTTP operations
  // ================================================================================================================

  private require(ctx: RequestContext, action: Action, subjectUserId?: string): void {
    if (!can(ctx.actor, action, { orgId: ctx.actor.orgId, ...(subjectUserId ? { subjectUserId } : {}) }, { staffSeeAllPatients: false })) {
      const why: Record<string, string> = {
        'availability.read': 'Only staff read schedules and availability',
        'availability.manage': 'Only practice admins manage hours, holidays and on-call shifts',
        'availability.manageStaff': 'Providers and staff manage their own availability; admins anyone’s',
      };
      throw new AppError('forbidden', why[action] ?? 'Not allowed');
    }
  }

  private async requireDepartment(orgId: string, departmentId: string): Promise<string> {
    const id = departmentId.toLowerCase();
    if (!(await this.orgs.departmentExists(orgId, id))) throw notFound('department');
    return id;
  }

  /** An active provider or staff member of the caller's organization, or 404. */
  private async requireClinician(orgId: string, userId: string, what = 'user'): Promise<ClinicianRow> {
    const [row] = await this.store.clinicians(orgId, [userId.toLowerCase()]);
    if (!row) throw notFound(what);
    return row;
  }

  /** Writes the availability.changed event for every active staff user, inside the change's transaction. */
  private async changed(tx: Queryable, ctx: RequestContext, change: AvailabilityChange): Promise<void> {
    const audience = await this.store.staffAudience(tx, ctx.actor.orgId);
    await this.outbox.record(
      tx,
      audience.map((userId) => ({ orgId: ctx.actor.orgId, kind: 'availability.changed', userId, actorId: ctx.actor.userId, data: { ...change } })),
    );
  }

  private timeZone(name: string, path: string): string {
    const tz = canonicalTimeZone(name);
    if (!tz) throw invalid(path, 'unknown time zone (use an IANA name such as America/New_York)');
    return tz;
  }

  private weekly(weekly: WeeklyHours, path: string): WeeklyHours {
    const problems = weeklyHoursProblems(weekly, path);
    if (problems.length > 0) throw invalidInterval(problems);
    return sortedWeekly(weekly);
  }

  /** Start and end of a period: the end after the start (422 naming `endPath`), at most `maxDays` long (400). */
  private period(startsAt: Date, endsAt: Date, endPath: string, maxDays: number): void {
    // A time the format admits but a Date cannot hold (a leap second): a clear 400, never a server error.
    if (Number.isNaN(startsAt.getTime())) throw invalid(endPath.replace('endsAt', 'startsAt').replace('/query/to', '/query/from'), 'not a valid time');
    if (Number.isNaN(endsAt.getTime())) throw invalid(endPath, 'not a valid time');
    if (endsAt.getTime() <= startsAt.getTime()) throw invalidInterval([{ path: endPath, message: 'must be after the start' }]);
    if (endsAt.getTime() - startsAt.getTime() > maxDays * DAY_MS) throw invalid(endPath, `at most ${maxDays} days after the start`);
  }

  private at(q: { at?: string }): Date {
    if (!q.at) return this.now();
    const at = new Date(q.at);
    if (Number.isNaN(at.getTime())) throw invalid('/query/at', 'not a valid time');
    return at;
  }

  // ---- business hours --------------------------------------------------------------------------------------------

  private presentHours(l: LoadedCalendar, departmentId: string | null): BusinessHours {
    const own = departmentId === null ? l.org : l.department!;
    return {
      departmentId,
      timeZone: l.calendar.timeZone,
      weeklyHours: sortedWeekly(l.calendar.weekly),
      inherited: { timeZone: own.timeZone === null, weeklyHours: own.weekly === null },
      updatedAt: own.updatedAt?.toISOString() ?? null,
    };
  }

  async getHours(ctx: RequestContext): Promise<BusinessHours> {
    this.require(ctx, 'availability.read');
    return this.presentHours(await this.loaded(ctx.actor.orgId, null), null);
  }

  async updateHours(ctx: RequestContext, input: Static<typeof OrganizationHoursUpdate>): Promise<BusinessHours> {
    this.require(ctx, 'availability.manage');
    const timeZone = this.timeZone(input.timeZone, '/body/timeZone');
    const weekly = this.weekly(input.weeklyHours, '/body/weeklyHours');
    await this.db.transaction().execute(async (tx) => {
      await this.store.upsertBusinessHours(tx, { orgId: ctx.actor.orgId, departmentId: null, timeZone, weekly, by: ctx.actor.userId, at: new Date() });
      await this.audit.recordFor(tx, ctx, { action: 'availability.hours.update', resourceType: 'business_hours', resourceId: ctx.actor.orgId, details: { timeZone } });
      await this.changed(tx, ctx, { scope: 'hours', departmentId: null, userId: null });
    });
    this.afterChange(ctx.actor.orgId);
    return this.presentHours(await this.loaded(ctx.actor.orgId, null), null);
  }

  async getDepartmentHours(ctx: RequestContext, departmentId: string): Promise<BusinessHours> {
    this.require(ctx, 'availability.read');
    const id = await this.requireDepartment(ctx.actor.orgId, departmentId);
    return this.presentHours(await this.loaded(ctx.actor.orgId, id), id);
  }

  async updateDepartmentHours(ctx: RequestContext, departmentId: string, input: Static<typeof DepartmentHoursUpdate>): Promise<BusinessHours> {
    this.require(ctx, 'availability.manage');
    const id = await this.requireDepartment(ctx.actor.orgId, departmentId);
    const timeZone = input.timeZone === null ? null : this.timeZone(input.timeZone, '/body/timeZone');
    const weekly = input.weeklyHours === null ? null : this.weekly(input.weeklyHours, '/body/weeklyHours');
    await this.db.transaction().execute(async (tx) => {
      if (timeZone === null && weekly === null) await this.store.deleteDepartmentHours(tx, ctx.actor.orgId, id);
      else await this.store.upsertBusinessHours(tx, { orgId: ctx.actor.orgId, departmentId: id, timeZone, weekly, by: ctx.actor.userId, at: new Date() });
      await this.audit.recordFor(tx, ctx, {
        action: 'availability.departmentHours.update',
        resourceType: 'business_hours',
        resourceId: id,
        details: { timeZone, ownHours: weekly !== null },
      });
      await this.changed(tx, ctx, { scope: 'hours', departmentId: id, userId: null });
    });
    this.afterChange(ctx.actor.orgId);
    return this.presentHours(await this.loaded(ctx.actor.orgId, id), id);
  }

  private afterChange(orgId: string): void {
    this.forget(orgId);
    this.outbox.committed();
  }

  // ---- holidays --------------------------------------------------------------------------------------------------

  async listHolidays(ctx: RequestContext, q: Static<typeof HolidayListQuery>): Promise<{ items: Holiday[] }> {
    this.require(ctx, 'availability.read');
    const departmentId = q.departmentId === undefined ? undefined : await this.requireDepartment(ctx.actor.orgId, q.departmentId);
    if (q.from && q.to && q.to < q.from) throw invalidInterval([{ path: '/query/to', message: 'must not be before from' }]);
    const rows = await this.store.holidays(ctx.actor.orgId, { ...(departmentId ? { departmentId } : {}), ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}), limit: 1000 });
    return { items: rows.map(presentHoliday) };
  }

  async createHoliday(ctx: RequestContext, input: Static<typeof HolidayCreate>): Promise<Holiday> {
    this.require(ctx, 'availability.manage');
    const departmentId = input.departmentId === undefined ? null : await this.requireDepartment(ctx.actor.orgId, input.departmentId);
    const name = input.name.replace(/\s+/g, ' ').trim();
    if (!name) throw invalid('/body/name', 'empty');
    // A real day of a year a practice plans for (PostgreSQL has no year 0, and a typo'd year helps no one).
    const [y, m, d] = input.date.split('-').map(Number) as [number, number, number];
    const day = new Date(Date.UTC(y, m - 1, d));
    if (y < 1970 || y > 2999 || day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) throw invalid('/body/date', 'not a date between 1970 and 2999');
    const hours = input.hours ?? [];
    const problems = dayHoursProblems(hours, '/body/hours');
    if (problems.length > 0) throw invalidInterval(problems);
    const id = randomUUID();
    await this.db.transaction().execute(async (tx) => {
      await this.store.insertHoliday(tx, { id, orgId: ctx.actor.orgId, departmentId, day: input.date, name, hours: sortedHours(hours), by: ctx.actor.userId, at: new Date() }).catch((err: unknown) => {
        if ((err as { code?: string }).code === '23505') throw new AppError('conflict', `There is already a holiday on ${input.date}${departmentId ? ' for this department' : ''}`);
        throw err;
      });
      await this.audit.recordFor(tx, ctx, { action: 'availability.holidays.create', resourceType: 'holiday', resourceId: id, details: { date: input.date, departmentId, closed: hours.length === 0 } });
      await this.changed(tx, ctx, { scope: 'holidays', departmentId, userId: null });
    });
    this.afterChange(ctx.actor.orgId);
    return presentHoliday((await this.store.holiday(ctx.actor.orgId, id))!);
  }

  async deleteHoliday(ctx: RequestContext, holidayId: string): Promise<{ ok: true }> {
    this.require(ctx, 'availability.manage');
    await this.db.transaction().execute(async (tx) => {
      const row = await this.store.holiday(ctx.actor.orgId, holidayId.toLowerCase(), tx);
      if (!row || !(await this.store.deleteHoliday(tx, ctx.actor.orgId, row.id))) throw notFound('holiday');
      await this.audit.recordFor(tx, ctx, { action: 'availability.holidays.delete', resourceType: 'holiday', resourceId: row.id, details: { date: row.day, departmentId: row.department_id } });
      await this.changed(tx, ctx, { scope: 'holidays', departmentId: row.department_id, userId: null });
    });
    this.afterChange(ctx.actor.orgId);
    return { ok: true };
  }

  // ---- open now (everyone) ---------------------------------------------------------------------------------------

  async status(ctx: RequestContext, q: Static<typeof AvailabilityStatusQuery>): Promise<AvailabilityStatus> {
    this.require(ctx, 'availability.readPublic');
    const departmentId = q.departmentId === undefined ? null : await this.requireDepartment(ctx.actor.orgId, q.departmentId);
    const at = this.at(q);
    const { calendar, holidays } = await this.loaded(ctx.actor.orgId, departmentId);
    const today = localDay(at.getTime(), calendar.timeZone);
    const [from, to] = [dateString(today), dateString(today + UPCOMING_HOLIDAY_DAYS)];
    // One entry per date: the department's own wins over the organization's (as in the calendar).
    const byDate = new Map<string, HolidayRow>();
    for (const h of holidays) if (h.day >= from && h.day <= to && (h.department_id !== null || !byDate.has(h.day))) byDate.set(h.day, h);
    const open = isOpen(calendar, at);
    return {
      departmentId,
      at: at.toISOString(),
      open,
      nextOpening: open ? at.toISOString() : (nextOpening(calendar, at)?.toISOString() ?? null),
      timeZone: calendar.timeZone,
      weeklyHours: sortedWeekly(calendar.weekly),
      upcomingHolidays: [...byDate.values()].sort((a, b) => (a.day < b.day ? -1 : 1)).map((h) => ({ date: h.day, name: h.name, hours: sortedHours(h.hours) })),
    };
  }

  // ---- staff -----------------------------------------------------------------------------------------------------

  async listStaff(ctx: RequestContext, q: Static<typeof StaffStatusQuery>): Promise<{ at: string; items: StaffStatus[] }> {
    this.require(ctx, 'availability.read');
    const departmentId = q.departmentId === undefined ? undefined : await this.requireDepartment(ctx.actor.orgId, q.departmentId);
    const at = this.at(q);
    const people = (await this.store.clinicians(ctx.actor.orgId)).filter((p) => departmentId === undefined || p.department_id === departmentId);
    const states = await this.statesOf(ctx.actor.orgId, people, at);
    const names = await this.names(ctx.actor.orgId, [...people.map((p) => p.id), ...[...states.values()].flatMap((s) => (s.coverUserId ? [s.coverUserId] : []))]);
    const items = people.map((p): StaffStatus => {
      const s = states.get(p.id)!;
      return {
        userId: p.id,
        name: names.get(p.id) ?? '',
        role: p.role,
        departmentId: p.department_id,
        working: s.working,
        outOfOffice: s.outOfOffice,
        available: s.available,
        coveredBy: s.coverUserId ? { userId: s.coverUserId, name: names.get(s.coverUserId) ?? '' } : null,
      };
    });
    items.sort((a, b) => a.name.localeCompare(b.name) || a.userId.localeCompare(b.userId));
    return { at: at.toISOString(), items };
  }

  private async presentStaff(orgId: string, person: ClinicianRow): Promise<StaffAvailability> {
    const [[own], periods, practice] = await Promise.all([
      this.store.staffHours(orgId, [person.id]),
      this.store.outOfOfficeOf(orgId, person.id, this.now(), 100),
      this.calendarFor(orgId, person.department_id),
    ]);
    const effective = staffCalendar(practice, ownHours(own));
    return {
      userId: person.id,
      timeZone: own?.time_zone ?? null,
      weeklyHours: own?.weekly_hours ? sortedWeekly(own.weekly_hours as WeeklyHours) : null,
      effective: { timeZone: effective.timeZone, weeklyHours: sortedWeekly(effective.weekly) },
      outOfOffice: periods.map(presentOutOfOffice),
      updatedAt: own?.updated_at.toISOString() ?? null,
    };
  }

  async getStaff(ctx: RequestContext, userId: string): Promise<StaffAvailability> {
    this.require(ctx, 'availability.read');
    return this.presentStaff(ctx.actor.orgId, await this.requireClinician(ctx.actor.orgId, userId));
  }

  async updateStaff(ctx: RequestContext, userId: string, input: Static<typeof StaffAvailabilityUpdate>): Promise<StaffAvailability> {
    this.require(ctx, 'availability.manageStaff', userId.toLowerCase());
    const person = await this.requireClinician(ctx.actor.orgId, userId);
    const timeZone = input.timeZone === null ? null : this.timeZone(input.timeZone, '/body/timeZone');
    const weekly = input.weeklyHours === null ? null : this.weekly(input.weeklyHours, '/body/weeklyHours');
    await this.db.transaction().execute(async (tx) => {
      await this.store.upsertStaffHours(tx, { orgId: ctx.actor.orgId, userId: person.id, timeZone, weekly, by: ctx.actor.userId, at: new Date() });
      await this.audit.recordFor(tx, ctx, { action: 'availability.staff.update', resourceType: 'user', resourceId: person.id, details: { timeZone, ownHours: weekly !== null } });
      await this.changed(tx, ctx, { scope: 'staff', departmentId: null, userId: person.id });
    });
    this.outbox.committed();
    return this.presentStaff(ctx.actor.orgId, person);
  }

  /** The covering colleague: another active provider or staff member of the organization (404 otherwise). */
  private async cover(orgId: string, person: ClinicianRow, coverUserId: string | null | undefined): Promise<string | null> {
    if (coverUserId === undefined || coverUserId === null) return null;
    const id = coverUserId.toLowerCase();
    if (id === person.id) throw invalid('/body/coverUserId', 'someone out of office cannot cover for themselves');
    return (await this.requireClinician(orgId, id, 'covering colleague')).id;
  }

  async createOutOfOffice(ctx: RequestContext, userId: string, input: Static<typeof OutOfOfficeCreate>): Promise<OutOfOffice> {
    this.require(ctx, 'availability.manageStaff', userId.toLowerCase());
    const person = await this.requireClinician(ctx.actor.orgId, userId);
    const startsAt = new Date(input.startsAt);
    const endsAt = new Date(input.endsAt);
    this.period(startsAt, endsAt, '/body/endsAt', MAX_PERIOD_DAYS);
    const coverUserId = await this.cover(ctx.actor.orgId, person, input.coverUserId);
    const id = randomUUID();
    await this.db.transaction().execute(async (tx) => {
      await this.store.insertOutOfOffice(tx, { id, orgId: ctx.actor.orgId, userId: person.id, startsAt, endsAt, coverUserId, by: ctx.actor.userId, at: new Date() });
      await this.audit.recordFor(tx, ctx, { action: 'availability.outOfOffice.create', resourceType: 'out_of_office', resourceId: id, details: { userId: person.id, coverUserId } });
      await this.changed(tx, ctx, { scope: 'staff', departmentId: null, userId: person.id });
    });
    this.outbox.committed();
    return presentOutOfOffice((await this.store.outOfOfficeById(ctx.actor.orgId, person.id, id))!);
  }

  async updateOutOfOffice(ctx: RequestContext, userId: string, id: string, input: Static<typeof OutOfOfficeUpdate>): Promise<OutOfOffice> {
    this.require(ctx, 'availability.manageStaff', userId.toLowerCase());
    const person = await this.requireClinician(ctx.actor.orgId, userId);
    const coverUserId = input.coverUserId === undefined ? undefined : await this.cover(ctx.actor.orgId, person, input.coverUserId);
    const row = await this.db.transaction().execute(async (tx) => {
      const current = await this.store.outOfOfficeById(ctx.actor.orgId, person.id, id.toLowerCase(), tx, true);
      if (!current) throw notFound('out-of-office period');
      const startsAt = input.startsAt === undefined ? current.starts_at : new Date(input.startsAt);
      const endsAt = input.endsAt === undefined ? current.ends_at : new Date(input.endsAt);
      this.period(startsAt, endsAt, input.endsAt === undefined ? '/body/startsAt' : '/body/endsAt', MAX_PERIOD_DAYS);
      const cover = coverUserId === undefined ? current.cover_user_id : coverUserId;
      await this.store.updateOutOfOffice(tx, ctx.actor.orgId, current.id, { startsAt, endsAt, coverUserId: cover, by: ctx.actor.userId, at: new Date() });
      await this.audit.recordFor(tx, ctx, {
        action: 'availability.outOfOffice.update',
        resourceType: 'out_of_office',
        resourceId: current.id,
        details: { userId: person.id, coverUserId: cover, fields: Object.keys(input).sort().join(',') },
      });
      await this.changed(tx, ctx, { scope: 'staff', departmentId: null, userId: person.id });
      return (await this.store.outOfOfficeById(ctx.actor.orgId, person.id, current.id, tx))!;
    });
    this.outbox.committed();
    return presentOutOfOffice(row);
  }

  async deleteOutOfOffice(ctx: RequestContext, userId: string, id: string): Promise<{ ok: true }> {
    this.require(ctx, 'availability.manageStaff', userId.toLowerCase());
    const person = await this.requireClinician(ctx.actor.orgId, userId);
    await this.db.transaction().execute(async (tx) => {
      const current = await this.store.outOfOfficeById(ctx.actor.orgId, person.id, id.toLowerCase(), tx, true);
      if (!current) throw notFound('out-of-office period');
      await this.store.deleteOutOfOffice(tx, ctx.actor.orgId, current.id);
      await this.audit.recordFor(tx, ctx, { action: 'availability.outOfOffice.delete', resourceType: 'out_of_office', resourceId: current.id, details: { userId: person.id } });
      await this.changed(tx, ctx, { scope: 'staff', departmentId: null, userId: person.id });
    });
    this.outbox.committed();
    return { ok: true };
  }

  // ---- on call ---------------------------------------------------------------------------------------------------

  async listShifts(ctx: RequestContext, q: Static<typeof OnCallShiftListQuery>): Promise<{ items: OnCallShift[] }> {
    this.require(ctx, 'availability.read');
    const departmentId = q.departmentId === undefined ? undefined : await this.requireDepartment(ctx.actor.orgId, q.departmentId);
    const from = q.from ? new Date(q.from) : this.now();
    const to = q.to ? new Date(q.to) : new Date(from.getTime() + 7 * DAY_MS);
    this.period(from, to, '/query/to', MAX_SHIFT_LIST_DAYS);
    const rows = await this.store.shifts(ctx.actor.orgId, { ...(departmentId ? { departmentId } : {}), from, to, limit: 1000 });
    return { items: rows.map(presentShift) };
  }

  async createShift(ctx: RequestContext, input: Static<typeof OnCallShiftCreate>): Promise<OnCallShift> {
    this.require(ctx, 'availability.manage');
    const departmentId = input.departmentId === undefined || input.departmentId === null ? null : await this.requireDepartment(ctx.actor.orgId, input.departmentId);
    const person = await this.requireClinician(ctx.actor.orgId, input.userId);
    const startsAt = new Date(input.startsAt);
    const endsAt = new Date(input.endsAt);
    this.period(startsAt, endsAt, '/body/endsAt', MAX_PERIOD_DAYS);
    const id = randomUUID();
    await this.db.transaction().execute(async (tx) => {
      await this.store.insertShift(tx, { id, orgId: ctx.actor.orgId, departmentId, userId: person.id, startsAt, endsAt, by: ctx.actor.userId, at: new Date() });
      await this.audit.recordFor(tx, ctx, { action: 'onCall.shifts.create', resourceType: 'on_call_shift', resourceId: id, details: { departmentId, userId: person.id } });
      await this.changed(tx, ctx, { scope: 'on_call', departmentId, userId: person.id });
    });
    this.outbox.committed();
    return presentShift((await this.store.shift(ctx.actor.orgId, id))!);
  }

  async deleteShift(ctx: RequestContext, shiftId: string): Promise<{ ok: true }> {
    this.require(ctx, 'availability.manage');
    await this.db.transaction().execute(async (tx) => {
      const row = await this.store.shift(ctx.actor.orgId, shiftId.toLowerCase(), tx);
      if (!row || !(await this.store.deleteShift(tx, ctx.actor.orgId, row.id))) throw notFound('on-call shift');
      await this.audit.recordFor(tx, ctx, { action: 'onCall.shifts.delete', resourceType: 'on_call_shift', resourceId: row.id, details: { departmentId: row.department_id, userId: row.user_id } });
      await this.changed(tx, ctx, { scope: 'on_call', departmentId: row.department_id, userId: row.user_id });
    });
    this.outbox.committed();
    return { ok: true };
  }

  async currentOnCall(ctx: RequestContext, q: Static<typeof OnCallCurrentQuery>): Promise<OnCallCurrent> {
    this.require(ctx, 'availability.read');
    const departmentId = q.departmentId === undefined ? null : await this.requireDepartment(ctx.actor.orgId, q.departmentId);
    const at = this.at(q);
    const answer = onCallAt((await this.store.shiftsAt(ctx.actor.orgId, departmentId, at)).map(toShift), departmentId, at);
    const names = await this.names(ctx.actor.orgId, answer.userIds);
    return {
      departmentId,
      at: at.toISOString(),
      fallback: answer.fallback,
      items: answer.shifts.map((s) => ({ userId: s.userId, name: names.get(s.userId) ?? '', shiftId: s.id, departmentId: s.departmentId, startsAt: s.startsAt.toISOString(), endsAt: s.endsAt.toISOString() })),
    };
  }
}

const toShift = (r: { id: string; department_id: string | null; user_id: string; starts_at: Date; ends_at: Date }) => ({ id: r.id, departmentId: r.department_id, userId: r.user_id, startsAt: r.starts_at, endsAt: r.ends_at });

function ownHours(row: StaffHoursRow | undefined): { timeZone: string | null; weekly: WeeklyHours | null } | null {
  return row ? { timeZone: row.time_zone, weekly: (row.weekly_hours as WeeklyHours | null) ?? null } : null;
}
