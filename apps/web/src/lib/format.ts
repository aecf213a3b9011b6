import type { TFunction } from 'i18next';

/** A date and time in the reader's language, e.g. "Mon, Dec 7, 2:30 PM" / "lun, 7 dic, 14:30". */
export function formatWhen(iso: string, lng: string): string {
  return new Intl.DateTimeFormat(lng, { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }).format(new Date(iso));
}

/** A topic's label: the translated one for the built-in topics, else the practice's own id made readable. */
export function topicLabel(t: TFunction, topic: string | null): string {
  if (!topic) return t('topics.other');
  const key = `topics.${topic}`;
  const label = t(key);
  return label === key ? topic.replace(/_/g, ' ') : label;
}

/** A file size for people: "820 KB", "3.4 MB", in the reader's language. */
export function fileSize(bytes: number, lng: string): string {
  const [value, unit] = bytes >= 1024 * 1024 ? [bytes / (1024 * 1024), 'megabyte'] : [Math.max(1, Math.round(bytes / 1024)), 'kilobyte'];
  return new Intl.NumberFormat(lng, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1 }).format(value);
}
