/**
 * What the workflow needs to know about time and people: business hours (per organization or department),
 * who works now, who covers for whom, who is on call. Implemented by the availability module; every question
 * carries its time (`at`), so the workflow clock drives it.
 */
export interface AvailabilityPort {
  isOpen(orgId: string, departmentId: string | null, at: Date): Promise<boolean>;
  nextOpening(orgId: string, departmentId: string | null, at: Date): Promise<Date | null>;
  addBusinessMinutes(orgId: string, departmentId: string | null, start: Date, minutes: number): Promise<Date>;
  /** Of these staff members, those working now (in their hours, not out of office). */
  availableStaff(orgId: string, userIds: string[], at: Date): Promise<string[]>;
  /** Who covers for this staff member now, when they are away (null: they are not away, or nobody covers). */
  coverFor(orgId: string, userId: string, at: Date): Promise<{ userId: string } | null>;
  /** Who is on call now for a department (or the organization). */
  onCallNow(orgId: string, departmentId: string | null, at: Date): Promise<string[]>;
  /** The organization's time zone (IANA), for times told to patients. */
  timeZone(orgId: string): Promise<string>;
}
