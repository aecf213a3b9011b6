import type { Holiday, OnCallShift, OutOfOffice } from '@haven/api';
import { sortedHours } from './business-calendar.js';
import type { HolidayRow, OnCallShiftRow, OutOfOfficeRow } from './availability.store.js';

/** The only way availability rows leave the server. */

export const presentHoliday = (r: HolidayRow): Holiday => ({
  id: r.id,
  departmentId: r.department_id,
  date: r.day,
  name: r.name,
  hours: sortedHours(r.hours),
  createdAt: r.created_at.toISOString(),
});

export const presentOutOfOffice = (r: OutOfOfficeRow): OutOfOffice => ({
  id: r.id,
  userId: r.user_id,
  startsAt: r.starts_at.toISOString(),
  endsAt: r.ends_at.toISOString(),
  coverUserId: r.cover_user_id,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

export const presentShift = (r: OnCallShiftRow): OnCallShift => ({
  id: r.id,
  departmentId: r.department_id,
  userId: r.user_id,
  startsAt: r.starts_at.toISOString(),
  endsAt: r.ends_at.toISOString(),
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
});
