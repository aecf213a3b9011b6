import { AppError } from './errors.js';

/** Opaque cursors: base64url of an internal position, validated on the way back in. */
export const encodeCursor = (position: string): string => Buffer.from(`c1:${position}`).toString('base64url');

const NUMERIC = /^\d{1,19}$/;

export function decodeCursor(cursor: string, pattern: RegExp = NUMERIC): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const position = text.startsWith('c1:') ? text.slice(3) : '';
  if (!pattern.test(position)) throw new AppError('validation_failed', 'Invalid cursor', { errors: [{ path: '/cursor', message: 'not a cursor this endpoint issued' }] });
  return position;
}
