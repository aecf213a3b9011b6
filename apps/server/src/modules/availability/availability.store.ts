import { sql, type Selectable } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { BusinessHoursTable, OnCallShiftsTable, OutOfOfficeTable, StaffHoursTable, WeeklyHoursJson } from '../../platform/db/schema.js';

export type BusinessHoursRow = Selectable<BusinessHoursTable>;
export type StaffHoursRow = Selectable<StaffHoursTable>;
export type OutOfOfficeRow = Selectable<OutOfOfficeTable>;
export type OnCallShiftRow = Selectable<OnCallShiftsTable>;
export interface HolidayRow {
  id: string;
  org_id: string;
  department_id: string | null;
  /** YYYY-MM-DD */
  day: string;
  name: string;
  hours: { start: string; end: string }[];
  created_at: Date;
}
/** An active provider or staff member (the people availability is about). */
export interface ClinicianRow {
  id: string;
  role: 'provider' | 'staff';
  department_id: string | null;
}

const HOLIDAY_COLUMNS = ['id', 'org_id', 'department_id', sql<string>`day::text`.as('day'), 'name', 'hours', 'created_at'] as const;
const json = (v: unknown): string => JSON.stringify(v);

/** SQL of the availability module: hours, holidays, staff hours, out of office, on-call shifts. */
export class AvailabilityStore {
  constructor(private readonly db: Db) {}

  // ---- business hours --------------------------------------------------------------------------------------------

  /** The organization's row and, when asked, the department's (either may be missing). */
  businessHours(orgId: string, departmentId: string | null, tx: Queryable = this.db): Promise<BusinessHoursRow[]> {
    return tx
      .selectFrom('business_hours')
      .selectAll()
      .where('org_id', '=', orgId)
      .where((eb) => (departmentId === null ? eb('department_id', 'is', null) : eb.or([eb('department_id', 'is', null), eb('department_id', '=', departmentId)])))
      .execute();
  }

  async upsertBusinessHours(tx: Queryable, r: { orgId: string; departmentId: string | null; timeZone: string | null; weekly: WeeklyHoursJson | null; by: string; at: Date }): Promise<void> {
    await tx
      .insertInto('business_hours')
      .values({ org_id: r.orgId, department_id: r.departmentId, time_zone: r.timeZone, weekly_hours: r.weekly === null ? null : json(r.weekly), updated_by: r.by, updated_at: r.at })
      .onConflict((oc) => oc.columns(['org_id', 'department_id']).doUpdateSet({ time_zone: r.timeZone, weekly_hours: r.weekly === null ? null : json(r.weekly), updated_by: r.by, updated_at: r.at }))
      .execute();
  }

  async deleteDepartmentHours(tx: Queryable, orgId: string, departmentId: string): Promise<void> {
    await tx.deleteFrom('business_hours').where('org_id', '=', orgId).where('department_id', '=', departmentId).execute();
  }

  // ---- holidays --------------------------------------------------------------------------------------------------

  /**
   * Holidays of the organization: with `departmentId` undefined every one; null only the organization-wide ones; an
   * id the organization-wide ones and that department's. Optionally between two dates (inclusive). Date order.
   */
  holidays(orgId: string, q: { departmentId?: string | null; from?: string; to?: string; limit?: number }, tx: Queryable = this.db): Promise<HolidayRow[]> {
    let query = tx.selectFrom('holidays').select(HOLIDAY_COLUMNS).where('org_id', '=', orgId);
    if (q.departmentId === null) query = query.where('department_id', 'is', null);
    else if (q.departmentId !== undefined) {
      const id = q.departmentId;
      query = query.where((eb) => eb.or([eb('department_id', 'is', null), eb('department_id', '=', id)]));
    }
    if (q.from) query = query.where(sql<boolean>`day >= ${q.from}::date`);
    if (q.to) query = query.where(sql<boolean>`day <= ${q.to}::date`);
    return query.orderBy('day').orderBy(sql`department_id NULLS FIRST`).limit(q.limit ?? 5000).execute() as Promise<HolidayRow[]>;
  }

  holiday(orgId: string, id: string, tx: Queryable = this.db): Promise<HolidayRow | undefined> {
    return tx.selectFrom('holidays').select(HOLIDAY_COLUMNS).where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst() as Promise<HolidayRow | undefined>;
  }

  async insertHoliday(tx: Queryable, h: { id: string; orgId: string; departmentId: string | null; day: string; name: string; hours: { start: string; end: string }[]; by: string; at: Date }): Promise<void> {
    await tx
      .insertInto('holidays')
      .values({ id: h.id, org_id: h.orgId, department_id: h.departmentId, day: h.day, name: h.name, hours: json(h.hours), created_by: h.by, created_at: h.at })
      .execute();
  }

  /** Returns whether it was there. */
  async deleteHoliday(tx: Queryable, orgId: string, id: string): Promise<boolean> {
    const res = await tx.deleteFrom('holidays').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  // ---- people ----------------------------------------------------------------------------------------------------

  /** Active providers and staff of the organization (all, or among `ids`). Ids and roles only. */
  clinicians(orgId: string, ids?: readonly string[], tx: Queryable = this.db): Promise<ClinicianRow[]> {
    if (ids && ids.length === 0) return Promise.resolve([]);
    let q = tx
      .selectFrom('users')
      .select(['id', 'role', 'department_id'])
      .where('org_id', '=', orgId)
      .where('status', '=', 'active')
      .where('role', 'in', ['provider', 'staff']);
    if (ids) q = q.where('id', 'in', [...ids]);
    return q.orderBy('created_at').execute() as Promise<ClinicianRow[]>;
  }

  /** Who hears of availability changes live: the organization's active staff (not patients, not the system sender). */
  async staffAudience(tx: Queryable, orgId: string): Promise<string[]> {
    const rows = await tx.selectFrom('users').select('id').where('org_id', '=', orgId).where('status', '=', 'active').where('role', 'in', ['admin', 'provider', 'staff', 'compliance']).execute();
    return rows.map((r) => r.id);
  }

  // ---- staff hours -----------------------------------------------------------------------------------------------

  staffHours(orgId: string, userIds: readonly string[], tx: Queryable = this.db): Promise<StaffHoursRow[]> {
    if (userIds.length === 0) return Promise.resolve([]);
    return tx.selectFrom('staff_hours').selectAll().where('org_id', '=', orgId).where('user_id', 'in', [...userIds]).execute();
  }

  async upsertStaffHours(tx: Queryable, r: { orgId: string; userId: string; timeZone: string | null; weekly: WeeklyHoursJson | null; by: string; at: Date }): Promise<void> {
    const weekly = r.weekly === null ? null : json(r.weekly);
    await tx
      .insertInto('staff_hours')
      .values({ user_id: r.userId, org_id: r.orgId, time_zone: r.timeZone, weekly_hours: weekly, updated_by: r.by, updated_at: r.at })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ time_zone: r.timeZone, weekly_hours: weekly, updated_by: r.by, updated_at: r.at }))
      .execute();
  }

  // ---- out of office ---------------------------------------------------------------------------------------------

  /** A person's periods that end after `after`, soonest first. */
  outOfOfficeOf(orgId: string, userId: string, after: Date, limit: number): Promise<OutOfOfficeRow[]> {
    return this.db
      .selectFrom('out_of_office')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .where('ends_at', '>', after)
      .orderBy('starts_at')
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  outOfOfficeById(orgId: string, userId: string, id: string, tx: Queryable = this.db, lock = false): Promise<OutOfOfficeRow | undefined> {
    let q = tx.selectFrom('out_of_office').selectAll().where('org_id', '=', orgId).where('user_id', '=', userId).where('id', '=', id);
    if (lock) q = q.forUpdate();
    return q.executeTakeFirst();
  }

  /** Periods running at `at` (of everyone in the organization, or of `userIds`). */
  outOfOfficeAt(orgId: string, at: Date, userIds?: readonly string[]): Promise<OutOfOfficeRow[]> {
    if (userIds && userIds.length === 0) return Promise.resolve([]);
    let q = this.db.selectFrom('out_of_office').selectAll().where('org_id', '=', orgId).where('ends_at', '>', at).where('starts_at', '<=', at);
    if (userIds) q = q.where('user_id', 'in', [...userIds]);
    return q.execute();
  }

  async insertOutOfOffice(tx: Queryable, r: { id: string; orgId: string; userId: string; startsAt: Date; endsAt: Date; coverUserId: string | null; by: string; at: Date }): Promise<void> {
    await tx
      .insertInto('out_of_office')
      .values({ id: r.id, org_id: r.orgId, user_id: r.userId, starts_at: r.startsAt, ends_at: r.endsAt, cover_user_id: r.coverUserId, created_by: r.by, created_at: r.at, updated_by: r.by, updated_at: r.at })
      .execute();
  }

  async updateOutOfOffice(tx: Queryable, orgId: string, id: string, set: { startsAt: Date; endsAt: Date; coverUserId: string | null; by: string; at: Date }): Promise<void> {
    await tx
      .updateTable('out_of_office')
      .set({ starts_at: set.startsAt, ends_at: set.endsAt, cover_user_id: set.coverUserId, updated_by: set.by, updated_at: set.at })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .execute();
  }

  async deleteOutOfOffice(tx: Queryable, orgId: string, id: string): Promise<void> {
    await tx.deleteFrom('out_of_office').where('org_id', '=', orgId).where('id', '=', id).execute();
  }

  // ---- on call ---------------------------------------------------------------------------------------------------

  /** Shifts overlapping [from, to), of a department or all, earliest first. */
  shifts(orgId: string, q: { departmentId?: string; from: Date; to: Date; limit: number }): Promise<OnCallShiftRow[]> {
    let query = this.db.selectFrom('on_call_shifts').selectAll().where('org_id', '=', orgId).where('ends_at', '>', q.from).where('starts_at', '<', q.to);
    if (q.departmentId) query = query.where('department_id', '=', q.departmentId);
    return query.orderBy('starts_at').orderBy('id').limit(q.limit).execute();
  }

  /**
   * Shifts running at `at` of active providers and staff: the department's and the organization-wide ones (a
   * deactivated person's shifts no longer count).
   */
  shiftsAt(orgId: string, departmentId: string | null, at: Date): Promise<OnCallShiftRow[]> {
    return this.db
      .selectFrom('on_call_shifts as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .selectAll('s')
      .where('s.org_id', '=', orgId)
      .where('s.ends_at', '>', at)
      .where('s.starts_at', '<=', at)
      .where((eb) => (departmentId === null ? eb('s.department_id', 'is', null) : eb.or([eb('s.department_id', 'is', null), eb('s.department_id', '=', departmentId)])))
      .where('u.status', '=', 'active')
      .where('u.role', 'in', ['provider', 'staff'])
      .execute();
  }

  shift(orgId: string, id: string, tx: Queryable = this.db): Promise<OnCallShiftRow | undefined> {
    return tx.selectFrom('on_call_shifts').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  }

  async insertShift(tx: Queryable, r: { id: string; orgId: string; departmentId: string | null; userId: string; startsAt: Date; endsAt: Date; by: string; at: Date }): Promise<void> {
    await tx
      .insertInto('on_call_shifts')
      .values({ id: r.id, org_id: r.orgId, department_id: r.departmentId, user_id: r.userId, starts_at: r.startsAt, ends_at: r.endsAt, created_by: r.by, created_at: r.at })
      .execute();
  }

  /** Returns whether it was there. */
  async deleteShift(tx: Queryable, orgId: string, id: string): Promise<boolean> {
    const res = await tx.deleteFrom('on_call_shifts').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }
}
