import { hmac } from './hash.js';

const TOKEN_BYTES = 16;
const MAX_TOKENS = 512;

/** Lower-case, accent-folded words of 2+ letters/digits; duplicates removed. */
export function tokenize(text: string): string[] {
  const folded = text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  const words = folded.match(/[\p{L}\p{N}]{2,}/gu) ?? [];
  return [...new Set(words.map((w) => w.slice(0, 64)))].slice(0, MAX_TOKENS);
}

/** Keyed, truncated HMAC of one normalized word: equal words give equal tokens within one organization only. */
export function blindToken(key: Buffer, word: string): Buffer {
  return hmac(key, `word:${word}`).subarray(0, TOKEN_BYTES);
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function blindValue(key: Buffer, field: string, value: string): Buffer {
  return hmac(key, `${field}:${value}`);
}
