/**
 * Where the care workflow reads the time (off-hours, SLA due times, reminders, escalation). The server uses the
 * system clock; scenario tests drive a `ManualClock` ("a patient writes at 20:47 on a Tuesday", "two business hours
 * later"). Message timestamps, sessions and tokens always use the real clock.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that moves only when told to (tests). */
export class ManualClock implements Clock {
  private at: number;

  constructor(start: Date | string) {
    this.at = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.at);
  }

  set(at: Date | string): void {
    this.at = new Date(at).getTime();
  }

  advance(ms: number): void {
    this.at += ms;
  }
}
