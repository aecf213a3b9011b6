import { Type, type Static } from 'typebox';
import { Timestamp, Uuid } from './common.js';

/**
 * Availability: when the practice (or a department) is open, its holidays, when each provider or staff member works,
 * who is out of office and who covers for them, and who is on call per department.
 *
 * Times of day are wall-clock times ("HH:MM", 24-hour) in the calendar's IANA time zone; an interval whose end is not
 * after its start runs overnight into the next day (22:00–06:00). "24:00" ends an interval at midnight. An interval
 * belongs to the day it starts on. Instants (out of office, on-call shifts) are RFC 3339 date-times.
 */
export const TimeOfDay = Type.String({ pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$', description: 'HH:MM, 24-hour wall-clock time; 24:00 only as an end' });
export const HoursInterval = Type.Object(
  { start: TimeOfDay, end: TimeOfDay },
  { additionalProperties: false, description: 'Open from start to end; an end at or before the start runs overnight into the next day' },
);
export type HoursInterval = Static<typeof HoursInterval>;
export const DayHours = Type.Array(HoursInterval, { maxItems: 8, description: 'The intervals of one day, in any order, not overlapping; [] = closed' });

export const WeeklyHours = Type.Object(
  { mon: DayHours, tue: DayHours, wed: DayHours, thu: DayHours, fri: DayHours, sat: DayHours, sun: DayHours },
  { additionalProperties: false },
);
export type WeeklyHours = Static<typeof WeeklyHours>;

export const TimeZoneName = Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. America/New_York or Europe/Berlin' });
export const CalendarDate = Type.String({ format: 'date', description: 'YYYY-MM-DD, a date in the calendar time zone' });

// ---- practice and department hours -------------------------------------------------------------------------------

export const BusinessHours = Type.Object({
  departmentId: Type.Union([Uuid, Type.Null()], { description: 'null: the organization' }),
  /** The hours that apply (a department without its own: the organization's; nothing set: Mon–Fri 08:00–17:00). */
  timeZone: Type.String(),
  weeklyHours: WeeklyHours,
  /** Whether the time zone and weekly hours are set here or come from the organization (or the defaults). */
  inherited: Type.Object({ timeZone: Type.Boolean(), weeklyHours: Type.Boolean() }),
  updatedAt: Type.Union([Timestamp, Type.Null()]),
});
export type BusinessHours = Static<typeof BusinessHours>;

export const OrganizationHoursUpdate = Type.Object({ timeZone: TimeZoneName, weeklyHours: WeeklyHours }, { additionalProperties: false });
export type OrganizationHoursUpdate = Static<typeof OrganizationHoursUpdate>;

export const DepartmentHoursUpdate = Type.Object(
  {
    timeZone: Type.Union([TimeZoneName, Type.Null()], { description: "null: the organization's time zone" }),
    weeklyHours: Type.Union([WeeklyHours, Type.Null()], { description: "null: the organization's weekly hours" }),
  },
  { additionalProperties: false },
);
export type DepartmentHoursUpdate = Static<typeof DepartmentHoursUpdate>;
export const DepartmentHoursParams = Type.Object({ departmentId: Uuid });

// ---- holidays ----------------------------------------------------------------------------------------------------

export const Holiday = Type.Object({
  id: Uuid,
  departmentId: Type.Union([Uuid, Type.Null()], { description: 'null: the whole organization (every department without its own entry for the date)' }),
  date: CalendarDate,
  name: Type.String(),
  hours: Type.Array(HoursInterval, { description: 'The hours kept that day instead of the weekly hours; [] = closed all day' }),
  createdAt: Timestamp,
});
export type Holiday = Static<typeof Holiday>;

export const HolidayCreate = Type.Object(
  {
    date: CalendarDate,
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]+$' }),
    departmentId: Type.Optional(Uuid),
    hours: Type.Optional(Type.Array(HoursInterval, { maxItems: 8 })),
  },
  { additionalProperties: false },
);
export type HolidayCreate = Static<typeof HolidayCreate>;

export const HolidayListQuery = Type.Object(
  {
    departmentId: Type.Optional(Uuid),
    from: Type.Optional(CalendarDate),
    to: Type.Optional(CalendarDate),
  },
  { additionalProperties: false },
);
export const HolidayParams = Type.Object({ holidayId: Uuid });

// ---- open now (everyone, patients included) ---------------------------------------------------------------------

export const AvailabilityStatusQuery = Type.Object(
  {
    departmentId: Type.Optional(Uuid),
    at: Type.Optional(Type.String({ format: 'date-time', description: 'The moment to answer for (default: now)' })),
  },
  { additionalProperties: false },
);
export const AvailabilityStatus = Type.Object({
  departmentId: Type.Union([Uuid, Type.Null()]),
  at: Timestamp,
  open: Type.Boolean(),
  /** `at` itself when open; else when it opens next (null: not within a year). */
  nextOpening: Type.Union([Timestamp, Type.Null()]),
  timeZone: Type.String(),
  weeklyHours: WeeklyHours,
  /** Holidays and special hours in the next 60 days. */
  upcomingHolidays: Type.Array(Type.Object({ date: CalendarDate, name: Type.String(), hours: Type.Array(HoursInterval) })),
});
export type AvailabilityStatus = Static<typeof AvailabilityStatus>;

// ---- staff availability ------------------------------------------------------------------------------------------

export const StaffParams = Type.Object({ userId: Uuid });

export const OutOfOffice = Type.Object({
  id: Uuid,
  userId: Uuid,
  startsAt: Timestamp,
  endsAt: Timestamp,
  coverUserId: Type.Union([Uuid, Type.Null()], { description: 'The colleague who covers (messages for this person go to them)' }),
  createdBy: Uuid,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type OutOfOffice = Static<typeof OutOfOffice>;

export const OutOfOfficeCreate = Type.Object(
  { startsAt: Timestamp, endsAt: Timestamp, coverUserId: Type.Optional(Type.Union([Uuid, Type.Null()])) },
  { additionalProperties: false },
);
export type OutOfOfficeCreate = Static<typeof OutOfOfficeCreate>;
export const OutOfOfficeUpdate = Type.Object(
  { startsAt: Type.Optional(Timestamp), endsAt: Type.Optional(Timestamp), coverUserId: Type.Optional(Type.Union([Uuid, Type.Null()])) },
  { additionalProperties: false },
);
export type OutOfOfficeUpdate = Static<typeof OutOfOfficeUpdate>;
export const OutOfOfficeParams = Type.Object({ userId: Uuid, outOfOfficeId: Uuid });

export const StaffRef = Type.Object({ userId: Uuid, name: Type.String() });
export type StaffRef = Static<typeof StaffRef>;

export const StaffAvailability = Type.Object({
  userId: Uuid,
  /** Own settings; null: the department's (or the organization's) time zone and hours. */
  timeZone: Type.Union([Type.String(), Type.Null()]),
  weeklyHours: Type.Union([WeeklyHours, Type.Null()]),
  /** What applies (own, else the department's or organization's hours). */
  effective: Type.Object({ timeZone: Type.String(), weeklyHours: WeeklyHours }),
  /** Current and upcoming out-of-office periods, soonest first (at most 100). */
  outOfOffice: Type.Array(OutOfOffice),
  updatedAt: Type.Union([Timestamp, Type.Null()]),
});
export type StaffAvailability = Static<typeof StaffAvailability>;

export const StaffAvailabilityUpdate = Type.Object(
  {
    timeZone: Type.Union([TimeZoneName, Type.Null()], { description: "null: the department's or organization's time zone" }),
    weeklyHours: Type.Union([WeeklyHours, Type.Null()], { description: "null: the department's or organization's hours" }),
  },
  { additionalProperties: false },
);
export type StaffAvailabilityUpdate = Static<typeof StaffAvailabilityUpdate>;

export const StaffStatusQuery = Type.Object(
  {
    departmentId: Type.Optional(Uuid),
    at: Type.Optional(Type.String({ format: 'date-time', description: 'The moment to answer for (default: now)' })),
  },
  { additionalProperties: false },
);
export const StaffStatus = Type.Object({
  userId: Uuid,
  name: Type.String(),
  role: Type.Union([Type.Literal('provider'), Type.Literal('staff')]),
  departmentId: Type.Union([Uuid, Type.Null()]),
  /** Within their working hours. */
  working: Type.Boolean(),
  outOfOffice: Type.Boolean(),
  /** Working and not out of office. */
  available: Type.Boolean(),
  /** When out of office: who covers (following chains of covers; null: nobody available). */
  coveredBy: Type.Union([StaffRef, Type.Null()]),
});
export type StaffStatus = Static<typeof StaffStatus>;
export const StaffStatusList = Type.Object({ at: Timestamp, items: Type.Array(StaffStatus) });

// ---- on call -----------------------------------------------------------------------------------------------------

export const OnCallShift = Type.Object({
  id: Uuid,
  departmentId: Type.Union([Uuid, Type.Null()], { description: 'null: organization-wide (the fallback of departments with nobody on call)' }),
  userId: Uuid,
  startsAt: Timestamp,
  endsAt: Timestamp,
  createdBy: Uuid,
  createdAt: Timestamp,
});
export type OnCallShift = Static<typeof OnCallShift>;

export const OnCallShiftCreate = Type.Object(
  { departmentId: Type.Optional(Type.Union([Uuid, Type.Null()])), userId: Uuid, startsAt: Timestamp, endsAt: Timestamp },
  { additionalProperties: false },
);
export type OnCallShiftCreate = Static<typeof OnCallShiftCreate>;
export const OnCallShiftParams = Type.Object({ shiftId: Uuid });

export const OnCallShiftListQuery = Type.Object(
  {
    departmentId: Type.Optional(Uuid),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Shifts ending after this (default: now)' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Shifts starting before this (default: from + 7 days; at most 92 days after from)' })),
  },
  { additionalProperties: false },
);

export const OnCallCurrentQuery = Type.Object(
  {
    departmentId: Type.Optional(Uuid),
    at: Type.Optional(Type.String({ format: 'date-time', description: 'The moment to answer for (default: now)' })),
  },
  { additionalProperties: false },
);
export const OnCallCurrent = Type.Object({
  departmentId: Type.Union([Uuid, Type.Null()]),
  at: Timestamp,
  /** True when the department had nobody on call and the organization-wide shifts answered. */
  fallback: Type.Boolean(),
  items: Type.Array(Type.Object({ userId: Uuid, name: Type.String(), shiftId: Uuid, departmentId: Type.Union([Uuid, Type.Null()]), startsAt: Timestamp, endsAt: Timestamp })),
});
export type OnCallCurrent = Static<typeof OnCallCurrent>;

/** What changed, in the `availability.changed` live event (identifiers only). */
export const AvailabilityChange = Type.Object({
  scope: Type.Union([Type.Literal('hours'), Type.Literal('holidays'), Type.Literal('staff'), Type.Literal('on_call')]),
  departmentId: Type.Union([Uuid, Type.Null()]),
  userId: Type.Union([Uuid, Type.Null()]),
});
export type AvailabilityChange = Static<typeof AvailabilityChange>;
