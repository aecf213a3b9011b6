import { useCallback, useEffect, useId, useRef, useState, type DependencyList, type ReactNode } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import type { Department, StaffStatus } from '@haven/api';
import { AdminLayout } from '../AdminLayout.js';
import { Layout } from '../../../components/Layout.js';
import { useSession } from '../../../hooks/useSession.js';
import { api, isApiError } from '../../../lib/api.js';
import { fieldProblems } from '../../../lib/problems.js';

/** Who may open a page: practice admins, or the providers and staff who manage their own settings. */
export type Audience = 'admin' | 'clinician';

const allowed = (role: string | undefined, who: Audience): boolean => (who === 'admin' ? role === 'admin' : role === 'provider' || role === 'staff');

/**
 * The frame of every page of this area: the app's header, the page heading, a way back to the settings list, and
 * the refusal page for anyone else (the API refuses them too; this only spares them a page of errors).
 */
export function OpsFrame({ title, who, intro, children }: { title: string; who: Audience; intro?: string; children: ReactNode }) {
  const { t } = useTranslation();
  const { session } = useSession();
  if (!allowed(session?.user.role, who)) {
    return (
      <Layout title={t('operations.notAllowed.title')}>
        <h1 tabIndex={-1}>{t('operations.notAllowed.title')}</h1>
        <p data-testid="not-allowed">{who === 'admin' ? t('operations.notAllowed.admin') : t('operations.notAllowed.clinician')}</p>
        <p>
          <Link to="/staff/inbox">{t('operations.notAllowed.back')}</Link>
        </p>
      </Layout>
    );
  }
  // Admin pages sit in the admin settings (their navigation lists every section); providers' own pages do not.
  const Frame = who === 'admin' ? AdminLayout : Layout;
  return (
    <Frame title={title}>
      <div className="ops">
        <h1 tabIndex={-1}>{title}</h1>
        {intro && <p className="hint ops__intro">{intro}</p>}
        {children}
      </div>
    </Frame>
  );
}

// ---- loading --------------------------------------------------------------------------------------------------

export interface Loaded<T> {
  data: T | null;
  failed: boolean;
  reload(): void;
  set(value: T): void;
}

/** Loads once (and again on `reload`); keeps the last good value while reloading. */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [failed, setFailed] = useState(false);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (v) => {
        if (!live) return;
        setData(v);
        setFailed(false);
      },
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
    // `load` is a new function each render: the caller names what it depends on in `deps`.
  }, [...deps, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { data, failed, reload, set: setData };
}

/** "Loading…" or "could not load", with a retry. */
export function LoadState({ loaded }: { loaded: Loaded<unknown> }) {
  const { t } = useTranslation();
  if (loaded.failed) {
    return (
      <div className="form-error" role="alert">
        <p>{t('operations.loadFailed')}</p>
        <button type="button" className="button button--small button--secondary" onClick={loaded.reload}>
          {t('operations.tryAgain')}
        </button>
      </div>
    );
  }
  if (loaded.data === null) return <p role="status">{t('app.loading')}</p>;
  return null;
}

// ---- errors from the API ----------------------------------------------------------------------------------------

export interface FieldProblem {
  path: string;
  message: string;
}
export interface Problem {
  message: string;
  fields: FieldProblem[];
}

/**
 * What a refused save says, in the reader's language, and the API's validation details by field. Paths are JSON
 * pointers into the request; `/body/…` is dropped so a field is named by its place in the form's value.
 */
export function problemFrom(err: unknown, t: TFunction): Problem {
  if (!isApiError(err)) return { message: t('app.errorGeneric'), fields: [] };
  const fields = fieldProblems(err).map((e) => ({ path: e.path, message: e.message }));
  const detail = err.problem.detail ?? '';
  switch (err.status) {
    case 403:
      return { message: t('operations.errors.forbidden'), fields };
    case 404:
      return { message: t('operations.errors.notFound'), fields };
    case 409:
      return { message: t('operations.errors.conflict', { detail }), fields };
    case 400:
    case 422:
      return { message: fields.length > 0 ? t('operations.errors.invalid') : t('operations.errors.invalidDetail', { detail }), fields };
    default:
      return { message: t('app.errorGeneric'), fields };
  }
}

/** The messages the API gave for one field (its exact path). */
export const errorAt = (problem: Problem | null, path: string): string | null => {
  const found = problem?.fields.filter((f) => f.path === path).map((f) => f.message) ?? [];
  return found.length > 0 ? found.join('; ') : null;
};

/** The aria attributes of an input with a possible error. */
export function invalidProps(message: string | null, errorId: string, hintId?: string) {
  const describedBy = [message ? errorId : null, hintId ?? null].filter(Boolean).join(' ');
  return { 'aria-invalid': message ? (true as const) : undefined, 'aria-describedby': describedBy || undefined };
}

export function FieldError({ id, message }: { id: string; message: string | null }) {
  if (!message) return null;
  return (
    <p id={id} className="field-error">
      {message}
    </p>
  );
}

/**
 * The outcome of a save, next to its button: the problem (and the API's field errors that no field shows), or
 * "Saved". Nothing typed is lost: the form keeps its values on failure.
 */
export function SaveOutcome({ problem, saved, shown }: { problem: Problem | null; saved: boolean; shown?: (path: string) => boolean }) {
  const { t } = useTranslation();
  if (problem) {
    const rest = problem.fields.filter((f) => !shown?.(f.path));
    return (
      <div className="form-error" role="alert">
        <p>{problem.message}</p>
        {rest.length > 0 && (
          <ul>
            {rest.map((f, i) => (
              <li key={i}>{f.message}</li>
            ))}
          </ul>
        )}
      </div>
    );
  }
  return (
    <p role="status" className="ops__saved">
      {saved ? t('operations.saved') : ''}
    </p>
  );
}

/** Runs a save: busy while it runs, the problem when refused, "Saved" when done. */
export function useSave() {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [saved, setSaved] = useState(false);
  const run = useCallback(
    async (action: () => Promise<unknown>): Promise<boolean> => {
      setBusy(true);
      setSaved(false);
      setProblem(null);
      try {
        await action();
        setSaved(true);
        return true;
      } catch (err) {
        setProblem(problemFrom(err, t));
        return false;
      } finally {
        setBusy(false);
      }
    },
    [t],
  );
  const reset = useCallback(() => {
    setProblem(null);
    setSaved(false);
  }, []);
  return { busy, problem, saved, run, reset };
}

// ---- asking first -----------------------------------------------------------------------------------------------

/**
 * A destructive action that asks first, inside the page (no browser dialog): the button opens a question with
 * "Yes" and "Cancel"; focus goes to the question's confirm button and back to the first button on cancel.
 */
export function ConfirmAction({ label, shortLabel, question, confirmLabel, onConfirm, disabled }: { label: string; shortLabel?: string; question: string; confirmLabel: string; onConfirm(): Promise<unknown> | void; disabled?: boolean }) {
  const { t } = useTranslation();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const openRef = useRef<HTMLButtonElement>(null);
  const yesRef = useRef<HTMLButtonElement>(null);
  const id = useId();
  useEffect(() => {
    if (asking) yesRef.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button ref={openRef} type="button" className="button button--small button--secondary" disabled={disabled} aria-label={shortLabel ? label : undefined} onClick={() => setAsking(true)}>
        {shortLabel ?? label}
      </button>
    );
  }
  return (
    <div className="ops__confirm" role="group" aria-labelledby={`${id}-q`}>
      <p id={`${id}-q`}>{question}</p>
      <button
        ref={yesRef}
        type="button"
        className="button button--small button--danger"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await onConfirm();
          } finally {
            setBusy(false);
            setAsking(false);
          }
        }}
      >
        {confirmLabel}
      </button>
      <button
        type="button"
        className="button button--small button--secondary"
        disabled={busy}
        onClick={() => {
          setAsking(false);
          setTimeout(() => openRef.current?.focus(), 0);
        }}
      >
        {t('operations.cancel')}
      </button>
    </div>
  );
}

// ---- shared data ------------------------------------------------------------------------------------------------

export function useDepartments(): Loaded<Department[]> {
  return useLoad(() => api.call('departments.list').then((r) => r.items), []);
}

/** Providers and staff (who can be on call, be away, cover), by name. */
export function useStaff(): Loaded<StaffStatus[]> {
  return useLoad(() => api.call('availability.staff.list', { query: {} }).then((r) => [...r.items].sort((a, b) => a.name.localeCompare(b.name))), []);
}

export function useTopics(): Loaded<string[]> {
  return useLoad(() => api.call('organization.get').then((o) => o.topics), []);
}

/** A department select: the whole practice (value "") or one department. */
export function DepartmentSelect({ id, label, value, onChange, departments, allLabel, hint }: { id: string; label: string; value: string; onChange(v: string): void; departments: Department[]; allLabel: string; hint?: string }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <select id={id} className="ops__select" value={value} onChange={(e) => onChange(e.target.value)} aria-describedby={hint ? `${id}-hint` : undefined}>
        <option value="">{allLabel}</option>
        {departments.map((d) => (
          <option key={d.id} value={d.id}>
            {d.name}
          </option>
        ))}
      </select>
    </div>
  );
}

// ---- time ---------------------------------------------------------------------------------------------------

/** An instant as the value of a `datetime-local` input (the browser's time zone). */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value (the browser's time zone) as an RFC 3339 instant; "" stays "" (the API names it). */
export function fromLocalInput(value: string): string {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toISOString();
}

export function formatRange(startsAt: string, endsAt: string, lng: string): string {
  const f = new Intl.DateTimeFormat(lng, { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
  return `${f.format(new Date(startsAt))} – ${f.format(new Date(endsAt))}`;
}

export function formatDate(date: string, lng: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Intl.DateTimeFormat(lng, { weekday: 'short', year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(y!, m! - 1, d!)));
}

export const browserTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

const TIME_ZONES: string[] = (() => {
  const list = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  return list.includes('UTC') ? list : ['UTC', ...list];
})();

/** An IANA time zone: typed, with the browser's list to choose from; the API checks it. */
export function TimeZoneField({ id, label, value, onChange, error, disabled, hint }: { id: string; label: string; value: string; onChange(v: string): void; error: string | null; disabled?: boolean; hint: string }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <p className="hint" id={`${id}-hint`}>
        {hint}
      </p>
      <input id={id} list={`${id}-list`} value={value} disabled={disabled} autoComplete="off" onChange={(e) => onChange(e.target.value)} {...invalidProps(error, `${id}-error`, `${id}-hint`)} />
      <datalist id={`${id}-list`}>
        {TIME_ZONES.map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}

/** After something is removed from a list, focus goes to the list's heading (not lost on the page's body). */
export function focusById(id: string): void {
  setTimeout(() => document.getElementById(id)?.focus(), 0);
}

/** A start and an end (`datetime-local`, the browser's time zone), side by side, each with its error under it. */
export function TimeRangeFields(p: {
  idPrefix: string;
  fromLabel: string;
  untilLabel: string;
  from: string;
  until: string;
  setFrom(v: string): void;
  setUntil(v: string): void;
  fromError: string | null;
  untilError: string | null;
}) {
  const field = (which: 'from' | 'until', label: string, value: string, set: (v: string) => void, error: string | null) => (
    <div className="field">
      <label htmlFor={`${p.idPrefix}-${which}`}>{label}</label>
      <input id={`${p.idPrefix}-${which}`} type="datetime-local" value={value} onChange={(e) => set(e.target.value)} {...invalidProps(error, `${p.idPrefix}-${which}-error`)} />
      <FieldError id={`${p.idPrefix}-${which}-error`} message={error} />
    </div>
  );
  return (
    <div className="ops__row">
      {field('from', p.fromLabel, p.from, p.setFrom, p.fromError)}
      {field('until', p.untilLabel, p.until, p.setUntil, p.untilError)}
    </div>
  );
}

