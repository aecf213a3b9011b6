/** Quiet hours: minutes after local midnight in an IANA time zone; a window may span midnight (22:00–07:00). */
export interface QuietWindow {
  start: number;
  end: number;
  timeZone: string;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const clockFormats = new Map<string, Intl.DateTimeFormat>();
/** A 24-hour clock in a zone, built once per zone (building a format costs far more than using it). */
function clockFormat(timeZone: string): Intl.DateTimeFormat {
  let f = clockFormats.get(timeZone);
  if (!f) {
    if (clockFormats.size >= 500) clockFormats.clear();
    clockFormats.set(timeZone, (f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' })));
  }
  return f;
}

/** Minutes after local midnight of `at` in `timeZone`, with seconds as a fraction. */
export function localMinutes(at: Date, timeZone: string): number {
  const parts = clockFormat(timeZone).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return get('hour') * 60 + get('minute') + get('second') / 60;
}

/**
 * If `at` falls in the quiet window, the moment the window ends; otherwise null. Computed from the local clock, so a
 * daylight-saving change inside the window can shift the end by an hour; the job then looks again and waits the rest.
 */
export function quietUntil(at: Date, w: QuietWindow | null): Date | null {
  if (!w || w.start === w.end) return null;
  const now = localMinutes(at, w.timeZone);
  const inside = w.start < w.end ? now >= w.start && now < w.end : now >= w.start || now < w.end;
  if (!inside) return null;
  const minutesLeft = (w.end - now + 1440) % 1440;
  return new Date(at.getTime() + Math.ceil(minutesLeft * 60) * 1000);
}

export const toHhMm = (minutes: number): string => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
export const fromHhMm = (text: string): number => {
  const [h, m] = text.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};
