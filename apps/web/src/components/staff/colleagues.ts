import { useEffect, useState } from 'react';
import type { HavenApiError } from '@haven/api';
import { api, isApiError } from '../../lib/api.js';
import { fieldProblems } from '../../lib/problems.js';

/** A provider or staff member of the practice, as the staff directory (`availability.staff.list`) gives them. */
export interface Colleague {
  id: string;
  name: string;
  role: 'provider' | 'staff';
  available: boolean;
}

export const nameOf = (colleagues: Colleague[] | null, id: string | null | undefined, fallback: string): string =>
  (id && colleagues?.find((c) => c.id === id)?.name) || fallback;

let directory: Promise<Colleague[]> | null = null;

/**
 * The practice's providers and staff: who can be mentioned, assigned, escalated to or added to an internal
 * conversation. `users.list` is for admins only; every staff member reads the availability directory.
 * Kept in memory for the page's life (names and ids only, no health information).
 */
export function loadColleagues(): Promise<Colleague[]> {
  directory ??= api.call('availability.staff.list', { query: {} }).then(
    (r) => r.items.map((x) => ({ id: x.userId, name: x.name, role: x.role, available: x.available })).sort((a, b) => a.name.localeCompare(b.name)),
    (err: unknown) => {
      directory = null;
      throw err;
    },
  );
  return directory;
}

export function useColleagues(): Colleague[] | null {
  const [list, setList] = useState<Colleague[] | null>(null);
  useEffect(() => {
    let live = true;
    loadColleagues().then(
      (l) => live && setList(l),
      () => live && setList([]),
    );
    return () => {
      live = false;
    };
  }, []);
  return list;
}

/**
 * The API's validation problems by field: `{ '/body/reason': 'must be …' }` becomes `{ reason: code }` where the
 * page shows a translated text per code (the server's own words are the fallback).
 */
export interface FieldProblem {
  field: string;
  message: string;
}

export function problemsOf(err: unknown): { code: string; status: number; fields: FieldProblem[]; detail: string } | null {
  if (!isApiError(err)) return null;
  const e: HavenApiError = err;
  const fields = fieldProblems(e).map((x) => ({ field: x.field, message: x.message }));
  return { code: e.code, status: e.status, fields, detail: e.problem.detail ?? e.problem.title };
}

/** The first problem of one field, if any. */
export function fieldProblem(err: unknown, field: string): FieldProblem | undefined {
  return problemsOf(err)?.fields.find((f) => f.field === field);
}
