import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { isApiError } from '../../lib/api.js';
import { fieldProblems } from '../../lib/problems.js';

/** What a refused save means for the form: a message for the whole form and one per field (by the field's path). */
export interface FormProblem {
  form: string | null;
  fields: Record<string, string>;
  /** The API's error code, when the API refused. */
  code?: string;
}
export const noProblem: FormProblem = { form: null, fields: {} };

/**
 * Turns an API error into messages people can act on, next to the field the API names (`/body/<field>`, e.g.
 * `/body/email` or `/body/rules/2/queueId`). The field keys are the paths without `/body/`.
 */
export function problemOf(err: unknown, t: TFunction): FormProblem {
  if (!isApiError(err)) return { form: t('admin.errors.network'), fields: {} };
  const fields: Record<string, string> = {};
  for (const e of fieldProblems(err)) {
    const key = e.path.slice(1);
    const last = key.split('/').pop() ?? '';
    const base = err.code === 'conflict' ? 'admin.errors.conflictField' : 'admin.errors.field';
    fields[key] = t(`${base}.${last}`, { defaultValue: t(`${base}.other`) });
  }
  const byCode: Record<string, string> = {
    conflict: t('admin.errors.conflict'),
    forbidden: t('admin.errors.forbidden'),
    not_found: t('admin.errors.notFound'),
    password_rejected: t('admin.errors.passwordRejected'),
    validation_failed: t('admin.errors.validation'),
  };
  return { form: byCode[err.code] ?? t('app.errorGeneric'), fields, code: err.code };
}

/** Loads something once (and again on `reload()`); `error` when it failed. */
export function useLoad<T>(load: () => Promise<T>): { data: T | null; error: boolean; reload: () => void; setData: (v: T) => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState(false);
  const [tick, setTick] = useState(0);
  const loader = useRef(load);
  loader.current = load;
  useEffect(() => {
    let current = true;
    loader.current().then(
      (v) => current && (setData(v), setError(false)),
      () => current && setError(true),
    );
    return () => {
      current = false;
    };
  }, [tick]);
  const reload = useCallback(() => setTick((x) => x + 1), []);
  return { data, error, reload, setData };
}

/** Loading, failed or loaded. */
export function Loaded<T>({ state, children }: { state: { data: T | null; error: boolean }; children: (data: T) => ReactNode }) {
  const { t } = useTranslation();
  if (state.error)
    return (
      <p className="form-error" role="alert">
        {t('admin.errors.load')}
      </p>
    );
  if (state.data === null) return <p role="status">{t('app.loading')}</p>;
  return <>{children(state.data)}</>;
}

/** The message under a field, tied to it by id (aria-describedby). */
export function FieldError({ id, message }: { id: string; message: string | undefined }) {
  if (!message) return null;
  return (
    <p id={id} className="field-error">
      {message}
    </p>
  );
}

/** Props for an input that may have an error: aria-invalid and the error's id. */
export const invalid = (id: string, message: string | undefined) =>
  message ? { 'aria-invalid': true as const, 'aria-describedby': `${id}-error` } : {};

/** The form-level message of a refused save, announced. */
export function FormMessage({ problem }: { problem: FormProblem }) {
  if (!problem.form) return null;
  return (
    <p className="form-error" role="alert">
      {problem.form}
    </p>
  );
}

/** A confirmation inside the page (no browser dialog): the question, the action and "Cancel"; focus moves to it. */
export function Confirm({ question, action, busy, onConfirm, onCancel }: { question: string; action: string; busy?: boolean; onConfirm: () => void; onCancel: () => void }) {
  const { t } = useTranslation();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div className="admin-confirm" role="group" aria-label={question} tabIndex={-1} ref={ref}>
      <p>{question}</p>
      <div className="admin-actions">
        <button type="button" className="button button--danger button--small" disabled={busy} onClick={onConfirm}>
          {action}
        </button>
        <button type="button" className="button button--secondary button--small" onClick={onCancel}>
          {t('admin.common.cancel')}
        </button>
      </div>
    </div>
  );
}

/**
 * Keyboard focus after a step closes (a form saved or cancelled, a confirmation answered): the element it came
 * from is gone, so focus moves to `target()` instead of being lost to the page.
 */
export function useReturnFocus(open: boolean, target: () => HTMLElement | null | undefined): void {
  const wasOpen = useRef(open);
  const find = useRef(target);
  find.current = target;
  useEffect(() => {
    if (wasOpen.current && !open) requestAnimationFrame(() => find.current()?.focus());
    wasOpen.current = open;
  }, [open]);
}

/** A short "Saved." that screen readers announce. */
export function Saved({ text }: { text: string | null }) {
  return (
    <p className="admin-saved" role="status">
      {text ?? ''}
    </p>
  );
}

/**
 * The password of an account just created (staff or patient), shown once: the admin gives it to the person, who
 * changes it (staff also set up their second factor) at first sign-in. "I have given it to them" hides it.
 */
export function OneTimePassword({ intro, password, onDone }: { intro: string; password: string; onDone: () => void }) {
  const { t } = useTranslation();
  return (
    <div className="notice admin-secret" role="status" data-testid="initial-password">
      <p>{intro}</p>
      <p>
        <span className="visually-hidden">{t('admin.people.passwordLabel')} </span>
        <code className="secret">{password}</code>
      </p>
      <button type="button" className="button button--secondary button--small" onClick={onDone}>
        {t('admin.people.passwordDone')}
      </button>
    </div>
  );
}

