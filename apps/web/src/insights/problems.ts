import { isApiError } from '../lib/api.js';
import { fieldProblems } from '../lib/problems.js';

/**
 * The field a validation problem points at: the server answers `errors[].path` as a JSON Pointer into the request
 * (`/query/to`), so each message can be shown next to its own field. Anything else is for the whole form.
 */
export function fieldErrorsOf(err: unknown, fields: readonly string[]): { fields: Record<string, string>; form: string | null; status: number | null } {
  if (!isApiError(err)) return { fields: {}, form: null, status: null };
  const out: Record<string, string> = {};
  for (const e of fieldProblems(err)) if (fields.includes(e.field) && !out[e.field]) out[e.field] = e.message;
  const unplaced = Object.keys(out).length === 0;
  return { fields: out, form: unplaced ? (err.problem.detail ?? err.problem.title) : null, status: err.status };
}
