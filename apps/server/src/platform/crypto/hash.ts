import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const sha256 = (data: Buffer | string): Buffer => createHash('sha256').update(data).digest();
export const hmac = (key: Buffer, data: Buffer | string): Buffer => createHmac('sha256', key).update(data).digest();
/** 256-bit random token, base64url. */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
