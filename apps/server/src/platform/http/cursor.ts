import { AppError } from './errors.js';

/** Opaque cursors: base64url of an internal position, validated on the way back in. */
export const encodeCursor = (position: string): string => Buffer.from(`c1:${position}`).toString('base64url');

/** A whole number PostgreSQL's bigint always holds (18 digits), so a forged cursor is a 400, never a database error. */
const NUMERIC = /^\d{1,18}$/;
/** A UUID as PostgreSQL's uuid type accepts it (a pattern of 36 hyphens would not be). */
export const CURSOR_UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const TIME_ID = new RegExp(`^-?\\d{1,18}_${CURSOR_UUID}$`);

export function decodeCursor(cursor: string, pattern: RegExp = NUMERIC): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const position = text.startsWith('c1:') ? text.slice(3) : '';
  if (!pattern.test(position)) throw new AppError('validation_failed', 'Invalid cursor', { errors: [{ path: '/cursor', message: 'not a cursor this endpoint issued' }] });
  return position;
}

/** The usual keyset position: a time in microseconds and a row id (`<micros>_<uuid>`). */
export function decodeTimeCursor(cursor: string): { micros: string; id: string } {
  const [micros, id] = decodeCursor(cursor, TIME_ID).split('_');
  return { micros: micros!, id: id! };
}
