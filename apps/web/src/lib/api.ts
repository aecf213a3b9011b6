import { HavenApiError, HavenClient } from '@haven/api';

/**
 * The one API client of the app: same origin as the page (the Haven server serves both), the HttpOnly session
 * cookie, and the CSRF token from sign-in (or from `auth.session` after a reload), held in memory only.
 */
export const api = new HavenClient({});

export const isApiError = (err: unknown, status?: number): err is HavenApiError =>
  err instanceof HavenApiError && (status === undefined || err.status === status);

/** A client-generated id for a message: a retry reuses it, so the server never stores the message twice. */
export function newId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
