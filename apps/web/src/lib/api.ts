// The client alone (methods and paths), not the schemas of the whole contract: a much smaller first download.
import { HavenApiError, HavenClient } from '@haven/api/client';

/**
 * The one API client of the app: same origin as the page (the Haven server serves both), the HttpOnly session
 * cookie, and the CSRF token from sign-in (or from `auth.session` after a reload), held in memory only.
 */
export const api: HavenClient = new HavenClient({ fetch: watchForEndedSession });

let sessionEnded: (() => void) | null = null;

/** Called when the server says the session is over (a 401 outside sign-in): deactivated, expired or signed out elsewhere. */
export function onSessionEnded(handler: (() => void) | null): void {
  sessionEnded = handler;
}

async function watchForEndedSession(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const response = await globalThis.fetch(input, init);
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  // Sign-in steps and the session check answer 401 as part of signing in: they are not a session that ended.
  if (response.status === 401 && !url.includes('/api/v1/auth/')) sessionEnded?.();
  return response;
}

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
