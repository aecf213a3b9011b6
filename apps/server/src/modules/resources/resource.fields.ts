import { AppError } from '../../platform/http/errors.js';

/**
 * The text fields of a library resource: what is accepted, and how it is normalized before it is stored. Links are
 * shown to patients as text and never fetched by the server, but they must still be plain web links: no script,
 * data or file URLs, no credentials that make "https://clinic.example@evil.example" read like the clinic's site.
 */

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
const CONTROL_G = /[\u0000-\u001f\u007f-\u009f]/gu;
// Bidi embeddings, overrides and isolates, zero-width and invisible formatting characters.
const INVISIBLE_G = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]/gu;
const MAX_URL = 2048;

/** An http(s) URL, parsed and serialized by the WHATWG URL parser (lower-cased scheme and host, punycode, no default port). */
export function normalizeUrl(raw: string): string {
  const input = raw.trim();
  const refuse = (detail: string): never => {
    throw new AppError('invalid_link', detail, { errors: [{ path: '/url', message: detail }] });
  };
  if (!input) refuse('The link is empty');
  if (CONTROL.test(input) || /\s/u.test(input)) refuse('The link contains spaces or control characters');
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return refuse('The link is not a valid absolute URL (it must start with https:// or http://)');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') refuse(`Only http and https links are allowed, not ${url.protocol}`);
  if (url.username || url.password) refuse('Links with a user name or password are not allowed');
  if (!url.hostname) refuse('The link has no host');
  const href = url.href;
  if (href.length > MAX_URL) refuse(`The link is longer than ${MAX_URL} characters`);
  return href;
}

/** A single-line text: invisible and control characters removed, white space collapsed. */
export function cleanLine(raw: string): string {
  return raw.normalize('NFC').replace(INVISIBLE_G, '').replace(CONTROL_G, ' ').replace(/\s+/gu, ' ').trim();
}

/** A multi-line text: invisible and control characters removed (line breaks and tabs kept). */
export function cleanText(raw: string): string {
  return raw
    .normalize('NFC')
    .replace(INVISIBLE_G, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/gu, '')
    .trim();
}

/** Tags: one line each, lower-cased; empty ones dropped, duplicates removed, order kept. */
export function normalizeTags(raw: readonly string[]): string[] {
  return [...new Set(raw.map((t) => [...cleanLine(t).normalize('NFKC').toLowerCase()].slice(0, 40).join('').trim()).filter((t) => t.length > 0))];
}

/** Lower-cased and accent-folded: what library searches compare, so "Übung" finds "ubungen" and "UBUNG". */
export function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

export function searchText(r: { title: string; description: string; tags: readonly string[] }): string {
  return fold([r.title, r.description, r.tags.join(' ')].join('\n'));
}

/** The words of a search (at most 10); a resource matches when each appears somewhere in its search text. */
export function searchWords(q: string | undefined): string[] {
  if (!q) return [];
  return [...new Set(fold(q).split(/\s+/u).filter(Boolean))].slice(0, 10);
}
