import type { Ajv } from 'ajv';

/** The years an instant in a request may fall in: what PostgreSQL and a JavaScript Date both hold, and more. */
const FIRST_YEAR = 1900;
const LAST_YEAR = 9999;

/**
 * Tightens the `date-time` format of request validation: besides RFC 3339's shape (ajv-formats), the instant must be
 * one a Date holds (no leap second `23:59:60`) in the years 1900–9999. Every operation that takes a time answers a bad
 * one with the same 400 naming the field, instead of each service re-checking it (or the database failing on year 0).
 */
export function tightenDateTime(ajv: Ajv): void {
  const rfc3339 = ajv.formats['date-time'];
  const shape = typeof rfc3339 === 'object' && rfc3339 !== null && 'validate' in rfc3339 ? rfc3339.validate : rfc3339;
  const matches = (s: string): boolean => (typeof shape === 'function' ? Boolean((shape as (x: string) => boolean)(s)) : shape instanceof RegExp ? shape.test(s) : true);
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (s: string) => {
      if (!matches(s)) return false;
      const t = Date.parse(s);
      if (Number.isNaN(t)) return false;
      const year = new Date(t).getUTCFullYear();
      return year >= FIRST_YEAR && year <= LAST_YEAR;
    },
  });
}
