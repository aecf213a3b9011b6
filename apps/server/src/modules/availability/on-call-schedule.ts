/**
 * On-call schedules: shifts [startsAt, endsAt) per department, or organization-wide (departmentId null). Shifts may
 * overlap: everyone whose shift runs is on call. "Message the on-call" addresses the department's role, and these
 * functions say who holds it at a moment. Pure; every question takes the moment it is about.
 */

export interface OnCallShift {
  id: string;
  departmentId: string | null;
  userId: string;
  startsAt: Date;
  endsAt: Date;
}

export interface OnCallAnswer {
  /** The shifts running at the moment, earliest start first. */
  shifts: OnCallShift[];
  /** Who is on call, once each, in the order of their shifts. */
  userIds: string[];
  /** True when the department had nobody and the organization-wide shifts answered. */
  fallback: boolean;
}

export const runsAt = (s: OnCallShift, at: Date): boolean => s.startsAt.getTime() <= at.getTime() && at.getTime() < s.endsAt.getTime();

function answer(shifts: OnCallShift[], fallback: boolean): OnCallAnswer {
  const sorted = [...shifts].sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || a.id.localeCompare(b.id));
  return { shifts: sorted, userIds: [...new Set(sorted.map((s) => s.userId))], fallback };
}

/**
 * Who is on call for a department at `at`: the department's running shifts; when it has none, the organization-wide
 * ones (departmentId null). `departmentId` null asks for the organization-wide shifts directly.
 */
export function onCallAt(shifts: readonly OnCallShift[], departmentId: string | null, at: Date): OnCallAnswer {
  const running = shifts.filter((s) => runsAt(s, at));
  const own = running.filter((s) => s.departmentId === departmentId);
  if (own.length > 0 || departmentId === null) return answer(own, false);
  const orgWide = running.filter((s) => s.departmentId === null);
  return answer(orgWide, orgWide.length > 0);
}

/** Shifts that overlap [from, to), earliest start first. */
export function shiftsBetween(shifts: readonly OnCallShift[], from: Date, to: Date): OnCallShift[] {
  return answer(
    shifts.filter((s) => s.startsAt.getTime() < to.getTime() && s.endsAt.getTime() > from.getTime()),
    false,
  ).shifts;
}
