import { useCallback, useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { OperationOutput } from '@haven/api';
import { routes } from '@haven/api/client';
import { Layout } from '../components/Layout.js';
import { useSession } from '../hooks/useSession.js';
import { api, isApiError } from '../lib/api.js';
import { NoAccess } from './NoAccess.js';
import { fieldErrorsOf } from './problems.js';
import '../styles/insights.css';

type AuditPage = OperationOutput<'audit.list'>;
type AuditEvent = AuditPage['items'][number];
type Verify = OperationOutput<'audit.verify'>;
type Checkpoints = OperationOutput<'audit.checkpoints'>;
type PublicKey = OperationOutput<'audit.publicKey'>;

interface Filters {
  action: string;
  actorId: string;
  patientId: string;
  from: string;
  to: string;
}
const NO_FILTERS: Filters = { action: '', actorId: '', patientId: '', from: '', to: '' };
const FIELDS = ['action', 'actorId', 'patientId', 'from', 'to'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ACTION = /^[A-Za-z_.]+$/;
const PAGE = 50;

/** The server's reasons (English, for logs and the CLI) in the reader's language; an unknown one is shown as written. */
const REASONS: [RegExp, 'missing' | 'modified' | 'link' | 'checkpointMismatch' | 'checkpointSignature' | 'tailMissing' | 'head'][] = [
  [/^event (\d+) is missing/, 'missing'],
  [/^event (\d+) was modified/, 'modified'],
  [/^event (\d+) does not link/, 'link'],
  [/^checkpoint at (\d+) does not match/, 'checkpointMismatch'],
  [/^checkpoint at (\d+) has an invalid signature/, 'checkpointSignature'],
  [/^events after (\d+) are missing/, 'tailMissing'],
  [/^the chain head does not match the last event \((\d+)\)/, 'head'],
];

/** The API's query for the applied filters (datetime-local values are the reader's local time). */
function queryOf(f: Filters) {
  return {
    ...(f.action.trim() ? { action: f.action.trim() } : {}),
    ...(f.actorId.trim() ? { actorId: f.actorId.trim().toLowerCase() } : {}),
    ...(f.patientId.trim() ? { patientId: f.patientId.trim().toLowerCase() } : {}),
    ...(f.from ? { from: new Date(f.from).toISOString() } : {}),
    ...(f.to ? { to: new Date(f.to).toISOString() } : {}),
  };
}

/**
 * The compliance officer's page: the audit trail (`audit.list`) with filters and cursor pagination, and the integrity
 * check of the hash chain (`audit.verify`) with the signed checkpoints and the public key that signs them. The
 * trail holds identifiers, counts and outcomes only: the API gives no message text here, and neither does the page.
 */
export default function CompliancePage() {
  const { t } = useTranslation();
  const { session } = useSession();
  if (session?.user.role !== 'compliance') return <NoAccess title={t('compliance.noAccess')} />;
  return <Compliance />;
}

function Compliance() {
  const { t } = useTranslation();
  return (
    <Layout title={t('compliance.title')}>
      <div className="insights insights--wide">
        <h1 tabIndex={-1}>{t('compliance.title')}</h1>
        <p className="insights__intro">{t('compliance.intro')}</p>
        <div className="compliance-layout">
          <AuditTrail />
          <Integrity />
        </div>
      </div>
    </Layout>
  );
}

function AuditTrail() {
  const { t, i18n } = useTranslation();
  const me = useSession().session?.user.id;
  const lng = i18n.resolvedLanguage ?? 'en';
  const ids = useId();
  const [form, setForm] = useState<Filters>(NO_FILTERS);
  const [applied, setApplied] = useState<Filters>(NO_FILTERS);
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const [errors, setErrors] = useState<Partial<Record<keyof Filters, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const refs = useRef<Partial<Record<keyof Filters, HTMLInputElement | null>>>({});
  const listHeading = useRef<HTMLHeadingElement>(null);

  const validate = (f: Filters) => {
    const e: Partial<Record<keyof Filters, string>> = {};
    if (f.action.trim() && !ACTION.test(f.action.trim())) e.action = t('compliance.errors.badAction');
    if (f.actorId.trim() && !UUID.test(f.actorId.trim())) e.actorId = t('compliance.errors.notAnId');
    if (f.patientId.trim() && !UUID.test(f.patientId.trim())) e.patientId = t('compliance.errors.notAnId');
    if (f.from && f.to && new Date(f.to) <= new Date(f.from)) e.to = t('compliance.errors.toBeforeFrom');
    return e;
  };

  const load = useCallback(
    async (f: Filters, focusList: boolean) => {
      setLoading(true);
      setFormError(null);
      try {
        const page = await api.call('audit.list', { query: { ...queryOf(f), limit: PAGE } });
        setEvents(page.items);
        setCursor(page.nextCursor);
        setApplied(f);
        setErrors({});
        if (focusList) listHeading.current?.focus();
      } catch (err) {
        // The filters stay as typed: nothing is lost; the API's complaint is shown beside its field.
        const p = fieldErrorsOf(err, FIELDS);
        const fields = Object.fromEntries(Object.entries(p.fields).map(([k, m]) => [k, `${t('compliance.errors.invalid')} (${m})`]));
        setErrors(fields);
        setFormError(p.status === 403 ? t('compliance.errors.forbidden') : (p.form ?? (Object.keys(fields).length ? null : t('app.errorGeneric'))));
        const first = FIELDS.find((k) => fields[k]);
        if (first) refs.current[first]?.focus();
      } finally {
        setLoading(false);
      }
    },
    [t],
  );

  useEffect(() => {
    void load(NO_FILTERS, false);
  }, [load]);

  const apply = (f: Filters) => {
    const e = validate(f);
    setErrors(e);
    const first = FIELDS.find((k) => e[k]);
    if (first) {
      setFormError(null);
      refs.current[first]?.focus();
      return;
    }
    void load(f, true);
  };
  const onSubmit = (ev: FormEvent) => {
    ev.preventDefault();
    apply(form);
  };
  const only = (patch: Partial<Filters>) => {
    const f = { ...form, ...patch };
    setForm(f);
    apply(f);
  };

  const more = async () => {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const page = await api.call('audit.list', { query: { ...queryOf(applied), limit: PAGE, cursor } });
      setEvents((list) => [...(list ?? []), ...page.items.filter((x) => !list?.some((y) => y.id === x.id))]);
      setCursor(page.nextCursor);
    } catch (err) {
      setFormError(isApiError(err, 403) ? t('compliance.errors.forbidden') : t('app.errorGeneric'));
    } finally {
      setLoadingMore(false);
    }
  };

  // Suggestions for the action filter: every operation of the API and the actions already seen.
  const actions = useMemo(() => [...new Set([...Object.keys(routes), ...(events ?? []).map((e) => e.action)])].sort(), [events]);
  const activeCount = FIELDS.filter((k) => applied[k].trim()).length;
  const when = (iso: string) => new Intl.DateTimeFormat(lng, { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit' }).format(new Date(iso));
  const role = (r: string | null) => (r && ['admin', 'provider', 'staff', 'compliance', 'patient', 'proxy'].includes(r) ? t(`compliance.roles.${r}` as 'compliance.roles.admin') : (r ?? ''));
  const dash = t('compliance.list.noneValue');
  const describe = (name: keyof Filters, hint?: boolean) => [hint ? `${ids}-${name}-hint` : '', errors[name] ? `${ids}-${name}-error` : ''].filter(Boolean).join(' ') || undefined;

  const field = (name: keyof Filters, label: string, type: 'text' | 'datetime-local', hint?: string, extra: Record<string, string> = {}) => (
    <div className="field">
      <label htmlFor={`${ids}-${name}`}>{label}</label>
      {hint && (
        <p className="hint" id={`${ids}-${name}-hint`}>
          {hint}
        </p>
      )}
      <input
        id={`${ids}-${name}`}
        ref={(el) => void (refs.current[name] = el)}
        type={type}
        value={form[name]}
        onChange={(e) => setForm({ ...form, [name]: e.target.value })}
        aria-invalid={errors[name] ? true : undefined}
        aria-describedby={describe(name, Boolean(hint))}
        autoComplete="off"
        spellCheck={false}
        {...extra}
      />
      {errors[name] && (
        <p className="field-error" id={`${ids}-${name}-error`}>
          {errors[name]}
        </p>
      )}
    </div>
  );

  return (
    <section className="audit-trail" aria-labelledby={`${ids}-list`}>
      <form className="insights-filters" onSubmit={onSubmit} noValidate>
        <fieldset>
          <legend>{t('compliance.filters.legend')}</legend>
          <div className="insights-filters__grid">
            {field('action', t('compliance.filters.action'), 'text', t('compliance.filters.actionHint'), { list: `${ids}-actions` })}
            {field('actorId', t('compliance.filters.actor'), 'text', t('compliance.filters.actorHint'))}
            {field('patientId', t('compliance.filters.patient'), 'text', t('compliance.filters.patientHint'))}
            {field('from', t('compliance.filters.from'), 'datetime-local')}
            {field('to', t('compliance.filters.to'), 'datetime-local')}
          </div>
          <datalist id={`${ids}-actions`}>
            {actions.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
          <div className="insights-filters__actions">
            <button type="submit" className="button" disabled={loading}>
              {t('compliance.filters.apply')}
            </button>
            <button
              type="button"
              className="button button--secondary"
              disabled={loading}
              onClick={() => {
                setForm(NO_FILTERS);
                apply(NO_FILTERS);
              }}
            >
              {t('compliance.filters.clear')}
            </button>
            {activeCount > 0 && <span className="hint">{t('compliance.filters.active', { count: activeCount })}</span>}
          </div>
          {formError && (
            <p className="form-error" role="alert">
              {formError}
            </p>
          )}
        </fieldset>
      </form>

      <h2 id={`${ids}-list`} ref={listHeading} tabIndex={-1}>
        {t('compliance.list.title')}
      </h2>
      <p role="status" className="hint">
        {loading ? t('compliance.list.loading') : events ? t('compliance.list.shown', { count: events.length }) : ''}
      </p>
      {events && events.length === 0 && !loading && <p className="notice">{t('compliance.list.empty')}</p>}
      {events && events.length > 0 && (
        <div className={loading ? 'table-scroll insights__results--stale' : 'table-scroll'} role="region" aria-label={t('compliance.list.region')} tabIndex={0}>
          <table className="data-table audit-table" data-testid="audit-table">
            <caption className="visually-hidden">{t('compliance.list.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('compliance.list.seq')}</th>
                <th scope="col">{t('compliance.list.when')}</th>
                <th scope="col">{t('compliance.list.who')}</th>
                <th scope="col">{t('compliance.list.action')}</th>
                <th scope="col">{t('compliance.list.resource')}</th>
                <th scope="col">{t('compliance.list.patient')}</th>
                <th scope="col">{t('compliance.list.outcome')}</th>
                <th scope="col">{t('compliance.list.address')}</th>
                <th scope="col">{t('compliance.list.details')}</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id} data-testid="audit-row" data-action={e.action} data-actor={e.actorId ?? ''} className={e.outcome === 'success' ? undefined : 'audit-row--problem'}>
                  <td className="num">{e.seq ?? t('compliance.list.notChained')}</td>
                  <td className="nowrap">
                    <time dateTime={e.at}>{when(e.at)}</time>
                  </td>
                  <td>
                    {e.actorId ? (
                      <>
                        <span className="audit-id">{e.actorId}</span>
                        {e.actorRole && <span className="audit-role"> ({role(e.actorRole)})</span>}
                        {e.actorId === me && <strong className="audit-you"> {t('compliance.list.you')}</strong>}
                        {applied.actorId.toLowerCase() !== e.actorId && (
                          <button type="button" className="link-button" aria-label={t('compliance.list.onlyActorLabel', { id: e.actorId })} onClick={() => only({ actorId: e.actorId! })}>
                            {t('compliance.list.onlyActor')}
                          </button>
                        )}
                      </>
                    ) : (
                      t('compliance.list.system')
                    )}
                  </td>
                  <td>
                    <code>{e.action}</code>
                    {applied.action !== e.action && (
                      <button type="button" className="link-button" aria-label={t('compliance.list.onlyActionLabel', { action: e.action })} onClick={() => only({ action: e.action })}>
                        {t('compliance.list.onlyAction')}
                      </button>
                    )}
                  </td>
                  <td>
                    {e.resourceType}
                    {e.resourceId && <span className="audit-id"> {e.resourceId}</span>}
                  </td>
                  <td>
                    {e.patientId ? (
                      <>
                        <span className="audit-id">{e.patientId}</span>
                        {applied.patientId.toLowerCase() !== e.patientId && (
                          <button type="button" className="link-button" aria-label={t('compliance.list.onlyPatientLabel', { id: e.patientId })} onClick={() => only({ patientId: e.patientId! })}>
                            {t('compliance.list.onlyPatient')}
                          </button>
                        )}
                      </>
                    ) : (
                      dash
                    )}
                  </td>
                  <td>
                    <span className={`outcome outcome--${e.outcome}`}>{t(`compliance.outcome.${e.outcome}`)}</span>
                  </td>
                  <td>{e.address ?? dash}</td>
                  <td>
                    {Object.keys(e.details).length === 0 ? (
                      dash
                    ) : (
                      <dl className="audit-details">
                        {Object.entries(e.details).map(([k, v]) => (
                          <div key={k}>
                            <dt>{k}</dt>
                            <dd>{v === null || v === undefined || v === '' ? dash : typeof v === 'string' ? v : JSON.stringify(v)}</dd>
                          </div>
                        ))}
                      </dl>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && events && (
        <p>
          <button type="button" className="button button--secondary" onClick={() => void more()} disabled={loadingMore}>
            {loadingMore ? t('compliance.list.loadingMore') : t('compliance.list.more')}
          </button>
        </p>
      )}
    </section>
  );
}

function Integrity() {
  const { t, i18n } = useTranslation();
  const lng = i18n.resolvedLanguage ?? 'en';
  const ids = useId();
  const [result, setResult] = useState<{ verify: Verify; at: string } | null>(null);
  const [running, setRunning] = useState(false);
  const [failed, setFailed] = useState<string | null>(null);
  const [key, setKey] = useState<PublicKey | null>(null);
  const [checkpoints, setCheckpoints] = useState<Checkpoints | null>(null);
  const resultRef = useRef<HTMLDivElement>(null);
  const when = (iso: string) => new Intl.DateTimeFormat(lng, { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit' }).format(new Date(iso));

  const loadKey = useCallback(async () => {
    try {
      const [k, c] = await Promise.all([api.call('audit.publicKey'), api.call('audit.checkpoints')]);
      setKey(k);
      setCheckpoints(c);
    } catch {
      // shown as absent: the check itself still works
    }
  }, []);
  useEffect(() => {
    void loadKey();
  }, [loadKey]);

  const verify = async () => {
    setRunning(true);
    setFailed(null);
    setResult(null);
    try {
      const v = await api.call('audit.verify');
      setResult({ verify: v, at: new Date().toISOString() });
      void loadKey();
    } catch (err) {
      setFailed(isApiError(err, 403) ? t('compliance.errors.forbidden') : t('compliance.verify.failed'));
    } finally {
      setRunning(false);
      // The outcome is announced (role=alert/status); focus stays on the button so it can be run again.
    }
  };

  const reasonText = (reason: string) => {
    for (const [re, key] of REASONS) {
      const m = re.exec(reason);
      if (m) return t(`compliance.reasons.${key}`, { seq: m[1] });
    }
    return reason;
  };
  const latest = checkpoints?.items.reduce<Checkpoints['items'][number] | null>((a, c) => (!a || c.seq > a.seq ? c : a), null) ?? null;
  const v = result?.verify;
  return (
    <section className="integrity" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>{t('compliance.verify.title')}</h2>
      <p>{t('compliance.verify.intro')}</p>
      <button type="button" className="button" onClick={() => void verify()} disabled={running}>
        {running ? t('compliance.verify.running') : t('compliance.verify.button')}
      </button>
      <div ref={resultRef} role="status" className="integrity__live" data-testid="verify-result">
        {v && v.ok && (
          <div className="integrity__result integrity__result--ok">
            <p className="integrity__headline">{t('compliance.verify.ok')}</p>
            <p>{t('compliance.verify.okDetail', { head: v.headSeq, events: v.eventsChecked, checkpoints: v.checkpointsChecked })}</p>
            <p className="hint">{t('compliance.verify.checkedAt', { when: when(result.at) })}</p>
          </div>
        )}
        {v && !v.ok && (
          <div className="integrity__result integrity__result--broken">
            <p className="integrity__headline">{t('compliance.verify.broken')}</p>
            {v.firstBadSeq !== null && <p className="integrity__where">{t('compliance.verify.brokenAt', { seq: v.firstBadSeq })}</p>}
            {v.firstBadSeq !== null && <p>{t('compliance.verify.brokenDetail', { seq: v.firstBadSeq, events: v.eventsChecked })}</p>}
            {v.reason && <p>{t('compliance.verify.reason', { reason: reasonText(v.reason) })}</p>}
            <p className="hint">{t('compliance.verify.checkedAt', { when: when(result.at) })}</p>
          </div>
        )}
        {failed && <p className="form-error">{failed}</p>}
      </div>
      <h3>{t('compliance.key.title')}</h3>
      <p className="hint">{t('compliance.key.intro')}</p>
      {checkpoints && (
        <p>
          {t('compliance.key.checkpoints', { count: checkpoints.items.length })}{' '}
          {latest ? t('compliance.key.latest', { seq: latest.seq, when: when(latest.signedAt) }) : t('compliance.key.none')}
        </p>
      )}
      {key && (
        <details className="integrity__key">
          <summary>{t('compliance.key.pem')}</summary>
          <p>{t('compliance.key.keyId', { id: key.keyId })}</p>
          <p>{t('compliance.key.algorithm', { algorithm: key.algorithm })}</p>
          <pre tabIndex={0}>{key.publicKeyPem}</pre>
        </details>
      )}
    </section>
  );
}
