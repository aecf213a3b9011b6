import { isApiError } from './api.js';

/**
 * One validation problem of a refused request (`errors[]` of the API's problem answer). `path` is its JSON Pointer
 * inside the part of the request it names, without that part (`/body/rules/2/queueId` → `/rules/2/queueId`,
 * `/query/to` → `/to`; a bare `/body` is a field named body, as the server means it); `field` is its first segment (`rules`, `to`); `message` the server's own words.
 */
export interface FieldProblem {
  path: string;
  field: string;
  message: string;
}

/** The field-level problems of an API error (none for other errors): each page shows them next to its fields. */
export function fieldProblems(err: unknown): FieldProblem[] {
  if (!isApiError(err)) return [];
  return (err.problem.errors ?? []).map((e) => {
    const path = e.path.replace(/^\/(?:body|query|params)(?=\/)/, '');
    return { path, field: path.split('/')[1] ?? '', message: e.message };
  });
}
