import { useCallback, useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import type { OperationInput, OperationOutput } from '@haven/api';
import { Layout } from '../components/Layout.js';
import { isStaff, useSession } from '../hooks/useSession.js';
import { api, isApiError } from '../lib/api.js';
import { fieldProblems } from '../lib/problems.js';
import { formatWhen } from '../lib/format.js';
import { currentSubscription, isIosBrowserTab, pushSupport, subscribe, subscriptionBody, type PushSupport } from '../lib/pwa.js';
import '../styles/patientSettings.css';

type Prefs = OperationOutput<'notifications.preferences.get'>;
type PrefsUpdate = NonNullable<OperationInput<'notifications.preferences.update'>['body']>;
type Device = OperationOutput<'notifications.push.list'>['items'][number];

interface Form {
  emailOn: boolean;
  email: string;
  smsOn: boolean;
  smsPhone: string;
  quietOn: boolean;
  quietStart: string;
  quietEnd: string;
  timeZone: string;
  batch: number;
  staffAssigned: boolean;
  staffUrgent: boolean;
  staffCareTeam: boolean;
}
type Field = 'email' | 'smsPhone' | 'quietHours' | 'timeZone' | 'batch';

const BATCH_CHOICES = [0, 5, 15, 30, 60, 240];
const browserTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

function formOf(p: Prefs): Form {
  return {
    emailOn: p.channels.email && p.consent.email.given,
    email: p.email ?? '',
    smsOn: p.channels.sms && p.consent.sms.given,
    smsPhone: p.smsPhone ?? '',
    quietOn: p.quietHours !== null,
    quietStart: p.quietHours?.start ?? '21:00',
    quietEnd: p.quietHours?.end ?? '07:00',
    timeZone: p.quietHours?.timeZone ?? browserTimeZone(),
    batch: p.batchWindowMinutes,
    staffAssigned: p.staff?.assignedThreads ?? false,
    staffUrgent: p.staff?.urgentThreads ?? false,
    staffCareTeam: p.staff?.careTeamThreads ?? false,
  };
}

/** Only what changed, so the audit names what the person changed (and an unchanged number keeps its SMS consent). */
function changes(p: Prefs, f: Form): PrefsUpdate {
  const was = formOf(p);
  const body: PrefsUpdate = {};
  const channels: NonNullable<PrefsUpdate['channels']> = {};
  if (f.emailOn !== p.channels.email) channels.email = f.emailOn;
  if (f.smsOn !== p.channels.sms) channels.sms = f.smsOn;
  if (Object.keys(channels).length > 0) body.channels = channels;
  if (f.email.trim() !== was.email) body.email = f.email.trim() === '' ? null : f.email.trim();
  if (f.smsPhone.trim() !== was.smsPhone) body.smsPhone = f.smsPhone.trim() === '' ? null : f.smsPhone.trim();
  if (f.quietOn !== was.quietOn || (f.quietOn && (f.quietStart !== was.quietStart || f.quietEnd !== was.quietEnd || f.timeZone !== was.timeZone))) {
    body.quietHours = f.quietOn ? { start: f.quietStart, end: f.quietEnd, timeZone: f.timeZone } : null;
  }
  if (f.batch !== p.batchWindowMinutes) body.batchWindowMinutes = f.batch;
  if (p.staff && (f.staffAssigned !== was.staffAssigned || f.staffUrgent !== was.staffUrgent || f.staffCareTeam !== was.staffCareTeam)) {
    body.staff = { assignedThreads: f.staffAssigned, urgentThreads: f.staffUrgent, careTeamThreads: f.staffCareTeam };
  }
  return body;
}

/** The field an API validation error names (`/body/smsPhone`, `/body/quietHours/timeZone` …). */
function fieldOf(path: string): Field | null {
  if (path.startsWith('/email')) return 'email';
  if (path.startsWith('/smsPhone')) return 'smsPhone';
  if (path.startsWith('/quietHours/timeZone')) return 'timeZone';
  if (path.startsWith('/quietHours')) return 'quietHours';
  if (path.startsWith('/batchWindowMinutes')) return 'batch';
  return null;
}

/**
 * Notification settings for the signed-in person (patients at /messages/settings, staff at /staff/settings): Web Push
 * on this device, e-mail and SMS with their consent (given or withdrawn, recorded by the server), quiet hours and
 * how often. Nothing typed is lost when a save fails: the form keeps it and marks the fields the server refused.
 */
export default function NotificationSettingsPage() {
  const { t, i18n } = useTranslation();
  const lng = i18n.resolvedLanguage ?? 'en';
  const { session } = useSession();
  const staff = isStaff(session);
  const [prefs, setPrefs] = useState<Prefs | null>(null);
  const [loadFailed, setLoadFailed] = useState(false);
  const [form, setForm] = useState<Form | null>(null);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [saveState, setSaveState] = useState<'idle' | 'saving' | 'saved' | 'failed'>('idle');
  // Bumped by a failed save: once the marks are rendered, focus goes to the first field to fix.
  const [failures, setFailures] = useState(0);
  const id = useId();
  useEffect(() => {
    if (failures > 0) document.querySelector<HTMLElement>('.settings__form [aria-invalid="true"]')?.focus();
  }, [failures]);

  const load = useCallback(async () => {
    setLoadFailed(false);
    try {
      const p = await api.call('notifications.preferences.get');
      setPrefs(p);
      setForm(formOf(p));
    } catch {
      setLoadFailed(true);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const set = <K extends keyof Form>(key: K, value: Form[K]) => {
    setForm((f) => (f ? { ...f, [key]: value } : f));
    if (saveState === 'saved') setSaveState('idle');
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!prefs || !form) return;
    const found: Partial<Record<Field, string>> = {};
    if (form.smsOn && !form.smsPhone.trim()) found.smsPhone = t('patientSettings.form.smsNeedsPhone');
    if (form.quietOn && (!form.quietStart || !form.quietEnd)) found.quietHours = t('patientSettings.errors.quietHours');
    setErrors(found);
    if (Object.keys(found).length > 0) {
      setSaveState('failed');
      setFailures((n) => n + 1);
      return;
    }
    setSaveState('saving');
    try {
      let now = prefs;
      const body = changes(now, form);
      if (Object.keys(body).length > 0) {
        now = await api.call('notifications.preferences.update', { body });
        setPrefs(now);
      }
      // Consent after the number: a new number needs consent again (the server withdraws the old one).
      for (const channel of ['email', 'sms'] as const) {
        const wanted = channel === 'email' ? form.emailOn : form.smsOn;
        if (wanted !== now.consent[channel].given) {
          now = await api.call('notifications.consent.update', { params: { channel }, body: { given: wanted } });
          setPrefs(now);
        }
      }
      setForm(formOf(now));
      setSaveState('saved');
    } catch (err) {
      const next: Partial<Record<Field, string>> = {};
      if (isApiError(err, 400)) {
        for (const x of fieldProblems(err)) {
          const f = fieldOf(x.path);
          if (f) next[f] = t(f === 'batch' ? 'patientSettings.errors.batch' : `patientSettings.errors.${f}`);
        }
      }
      setErrors(next);
      setSaveState('failed');
      setFailures((n) => n + 1);
    }
  };

  const back = staff ? '/staff/inbox' : '/messages';
  const fieldError = (f: Field) =>
    errors[f] ? (
      <p id={`${id}-${f}-error`} className="field-error">
        {errors[f]}
      </p>
    ) : null;
  const describedBy = (f: Field, hint?: string) => [hint, errors[f] ? `${id}-${f}-error` : ''].filter(Boolean).join(' ') || undefined;
  const consentNote = (channel: 'email' | 'sms') => {
    const c = prefs?.consent[channel];
    if (!c?.at) return null;
    const when = formatWhen(c.at, lng);
    const text = c.given ? t('patientSettings.form.consentGiven', { when }) : c.source === 'sms_reply' ? t('patientSettings.form.consentBySms', { when }) : t('patientSettings.form.consentWithdrawn', { when });
    return (
      <p className="hint" data-testid={`consent-${channel}`}>
        {text}
      </p>
    );
  };
  const timeZones = useMemo(() => {
    const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
    const tz = form?.timeZone ?? browserTimeZone();
    return all.includes(tz) ? all : [tz, ...all];
  }, [form?.timeZone]);
  const batchChoices = form && !BATCH_CHOICES.includes(form.batch) ? [...BATCH_CHOICES, form.batch].sort((a, b) => a - b) : BATCH_CHOICES;
  const batchLabel = (m: number) =>
    m === 0 ? t('patientSettings.form.batchEvery') : m % 60 === 0 ? t('patientSettings.form.batchHours', { count: m / 60 }) : t('patientSettings.form.batchMinutes', { count: m });

  return (
    <Layout title={t('patientSettings.title')}>
      <p>
        <Link to={back}>{staff ? t('patientSettings.backStaff') : t('patientSettings.backPatient')}</Link>
      </p>
      <div className="settings">
        <h1 tabIndex={-1}>{t('patientSettings.title')}</h1>
        <p>{t('patientSettings.intro')}</p>
        {loadFailed && (
          <div role="alert">
            <p className="form-error">{t('app.errorGeneric')}</p>
            <button type="button" className="button button--secondary" onClick={() => void load()}>
              {t('consent.retry')}
            </button>
          </div>
        )}
        {!prefs && !loadFailed && <p role="status">{t('app.loading')}</p>}
        {prefs && <DevicePush prefs={prefs} onPrefs={setPrefs} />}
        {prefs && form && (
          <form className="form settings__form" onSubmit={(e) => void save(e)} noValidate aria-busy={saveState === 'saving'}>
            <h2>{t('patientSettings.form.channelsTitle')}</h2>
            <fieldset className="settings__group">
              <legend>{t('patientSettings.form.emailLegend')}</legend>
              <div className="check">
                <input id={`${id}-emailOn`} type="checkbox" checked={form.emailOn} onChange={(e) => set('emailOn', e.target.checked)} />
                <label htmlFor={`${id}-emailOn`}>{t('patientSettings.form.emailOn')}</label>
              </div>
              {consentNote('email')}
              <div className="field">
                <label htmlFor={`${id}-email`}>{t('patientSettings.form.emailAddress')}</label>
                <input
                  id={`${id}-email`}
                  type="email"
                  autoComplete="email"
                  value={form.email}
                  onChange={(e) => set('email', e.target.value)}
                  aria-invalid={errors.email ? true : undefined}
                  aria-describedby={describedBy('email', `${id}-email-hint`)}
                />
                <p id={`${id}-email-hint`} className="hint">
                  {t('patientSettings.form.emailHint')}
                </p>
                {fieldError('email')}
              </div>
            </fieldset>
            <fieldset className="settings__group">
              <legend>{t('patientSettings.form.smsLegend')}</legend>
              <div className="check">
                <input id={`${id}-smsOn`} type="checkbox" checked={form.smsOn} onChange={(e) => set('smsOn', e.target.checked)} aria-describedby={`${id}-sms-hint`} />
                <label htmlFor={`${id}-smsOn`}>{t('patientSettings.form.smsOn')}</label>
              </div>
              <p id={`${id}-sms-hint`} className="hint">
                {t('patientSettings.form.smsHint')}
              </p>
              {consentNote('sms')}
              <div className="field">
                <label htmlFor={`${id}-smsPhone`}>{t('patientSettings.form.smsPhone')}</label>
                <input
                  id={`${id}-smsPhone`}
                  type="tel"
                  autoComplete="tel"
                  value={form.smsPhone}
                  onChange={(e) => set('smsPhone', e.target.value)}
                  aria-invalid={errors.smsPhone ? true : undefined}
                  aria-describedby={describedBy('smsPhone', `${id}-phone-hint`)}
                />
                <p id={`${id}-phone-hint`} className="hint">
                  {t('patientSettings.form.smsPhoneHint')}
                </p>
                {fieldError('smsPhone')}
              </div>
            </fieldset>
            <fieldset className="settings__group">
              <legend>{t('patientSettings.form.quietLegend')}</legend>
              <div className="check">
                <input id={`${id}-quietOn`} type="checkbox" checked={form.quietOn} onChange={(e) => set('quietOn', e.target.checked)} aria-describedby={`${id}-quiet-hint`} />
                <label htmlFor={`${id}-quietOn`}>{t('patientSettings.form.quietOn')}</label>
              </div>
              <p id={`${id}-quiet-hint`} className="hint">
                {t('patientSettings.form.quietHint')}
              </p>
              {form.quietOn && (
                <div className="settings__row">
                  <div className="field">
                    <label htmlFor={`${id}-quietStart`}>{t('patientSettings.form.quietStart')}</label>
                    <input id={`${id}-quietStart`} type="time" value={form.quietStart} onChange={(e) => set('quietStart', e.target.value)} aria-invalid={errors.quietHours ? true : undefined} aria-describedby={describedBy('quietHours')} />
                  </div>
                  <div className="field">
                    <label htmlFor={`${id}-quietEnd`}>{t('patientSettings.form.quietEnd')}</label>
                    <input id={`${id}-quietEnd`} type="time" value={form.quietEnd} onChange={(e) => set('quietEnd', e.target.value)} aria-invalid={errors.quietHours ? true : undefined} aria-describedby={describedBy('quietHours')} />
                  </div>
                  <div className="field settings__tz">
                    <label htmlFor={`${id}-timeZone`}>{t('patientSettings.form.timeZone')}</label>
                    <select id={`${id}-timeZone`} value={form.timeZone} onChange={(e) => set('timeZone', e.target.value)} aria-invalid={errors.timeZone ? true : undefined} aria-describedby={describedBy('timeZone')}>
                      {timeZones.map((z) => (
                        <option key={z} value={z}>
                          {z.replace(/_/g, ' ')}
                        </option>
                      ))}
                    </select>
                    {fieldError('timeZone')}
                  </div>
                </div>
              )}
              {fieldError('quietHours')}
            </fieldset>
            <fieldset className="settings__group">
              <legend>{t('patientSettings.form.batchLegend')}</legend>
              <div className="field">
                <label htmlFor={`${id}-batch`}>{t('patientSettings.form.batch')}</label>
                <select id={`${id}-batch`} value={form.batch} onChange={(e) => set('batch', Number(e.target.value))} aria-invalid={errors.batch ? true : undefined} aria-describedby={describedBy('batch', `${id}-batch-hint`)}>
                  {batchChoices.map((m) => (
                    <option key={m} value={m}>
                      {batchLabel(m)}
                    </option>
                  ))}
                </select>
                <p id={`${id}-batch-hint`} className="hint">
                  {t('patientSettings.form.batchHint')}
                </p>
                {fieldError('batch')}
              </div>
            </fieldset>
            {prefs.staff && (
              <fieldset className="settings__group">
                <legend>{t('patientSettings.form.staffLegend')}</legend>
                {(
                  [
                    ['staffAssigned', 'patientSettings.form.staffAssigned'],
                    ['staffUrgent', 'patientSettings.form.staffUrgent'],
                    ['staffCareTeam', 'patientSettings.form.staffCareTeam'],
                  ] as const
                ).map(([key, label]) => (
                  <div className="check" key={key}>
                    <input id={`${id}-${key}`} type="checkbox" checked={form[key]} onChange={(e) => set(key, e.target.checked)} />
                    <label htmlFor={`${id}-${key}`}>{t(label)}</label>
                  </div>
                ))}
              </fieldset>
            )}
            {saveState === 'failed' && (
              <p className="form-error" role="alert">
                {t('patientSettings.form.failed')}
              </p>
            )}
            <p className="settings__status" role="status">
              {saveState === 'saved' ? t('patientSettings.form.saved') : ''}
            </p>
            <button type="submit" className="button button--wide" disabled={saveState === 'saving'}>
              {saveState === 'saving' ? t('patientSettings.form.saving') : t('patientSettings.form.save')}
            </button>
          </form>
        )}
      </div>
    </Layout>
  );
}

/** Web Push on this device: turn it on (permission, subscription, sent to the server) or off; the devices subscribed. */
function DevicePush({ prefs, onPrefs }: { prefs: Prefs; onPrefs(p: Prefs): void }) {
  const { t, i18n } = useTranslation();
  const lng = i18n.resolvedLanguage ?? 'en';
  const [support, setSupport] = useState<PushSupport>(() => pushSupport());
  const [subscribed, setSubscribed] = useState<boolean | null>(null);
  const [devices, setDevices] = useState<Device[] | null>(null);
  const [busy, setBusy] = useState<'on' | 'off' | null>(null);
  const [problem, setProblem] = useState<'failed' | 'offFailed' | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [removed, setRemoved] = useState(false);

  const refresh = useCallback(async () => {
    const [list, sub] = await Promise.all([api.call('notifications.push.list'), currentSubscription().catch(() => null)]);
    setDevices(list.items);
    setSubscribed(sub !== null);
    return list.items;
  }, []);
  useEffect(() => {
    refresh().catch(() => setDevices([]));
  }, [refresh]);

  const turnOn = async () => {
    setBusy('on');
    setProblem(null);
    setRemoved(false);
    try {
      const { publicKey } = await api.call('notifications.push.publicKey');
      const body = await subscribe(publicKey);
      await api.call('notifications.push.subscribe', { body });
      if (!prefs.channels.push) onPrefs(await api.call('notifications.preferences.update', { body: { channels: { push: true } } }));
      await refresh();
    } catch (err) {
      setSupport(pushSupport());
      if (!(err instanceof Error && err.message === 'blocked')) setProblem('failed');
    } finally {
      setBusy(null);
    }
  };

  const turnOff = async () => {
    setBusy('off');
    setProblem(null);
    try {
      const sub = await currentSubscription();
      if (sub) {
        // The server knows a subscription by its id; sending this one again answers its id (the same endpoint replaces itself).
        const { id } = await api.call('notifications.push.subscribe', { body: subscriptionBody(sub) });
        await api.call('notifications.push.unsubscribe', { params: { id } });
        await sub.unsubscribe();
      }
      const left = await refresh();
      if (left.length === 0 && prefs.channels.push) onPrefs(await api.call('notifications.preferences.update', { body: { channels: { push: false } } }));
    } catch {
      setProblem('offFailed');
    } finally {
      setBusy(null);
    }
  };

  const remove = async (deviceId: string) => {
    setProblem(null);
    try {
      await api.call('notifications.push.unsubscribe', { params: { id: deviceId } });
      setConfirming(null);
      setRemoved(true);
      const left = await refresh();
      if (left.length === 0 && prefs.channels.push) onPrefs(await api.call('notifications.preferences.update', { body: { channels: { push: false } } }));
    } catch {
      setProblem('offFailed');
    }
  };

  // This browser has a subscription, the server has at least one (a removed one cannot be told apart), push is on.
  const on = subscribed === true && (devices?.length ?? 0) > 0 && prefs.channels.push;
  return (
    <section className="settings__device" aria-labelledby="device-title" data-testid="device-push">
      <h2 id="device-title">{t('patientSettings.device.title')}</h2>
      {support === 'unsupported' && (
        <>
          <p>{t('patientSettings.device.unsupported')}</p>
          {isIosBrowserTab() && <p className="hint">{t('patientSettings.device.iosHint')}</p>}
        </>
      )}
      {support === 'blocked' && <p role="alert">{t('patientSettings.device.blocked')}</p>}
      {support === 'supported' && subscribed !== null && (
        <>
          <p className={on ? 'settings__state settings__state--on' : 'settings__state'} data-testid="push-state">
            {on ? t('patientSettings.device.on') : t('patientSettings.device.off')}
          </p>
          {on ? (
            <button type="button" className="button button--secondary" disabled={busy !== null} onClick={() => void turnOff()}>
              {busy === 'off' ? t('patientSettings.device.turningOff') : t('patientSettings.device.turnOff')}
            </button>
          ) : (
            <button type="button" className="button" disabled={busy !== null} onClick={() => void turnOn()}>
              {busy === 'on' ? t('patientSettings.device.turningOn') : t('patientSettings.device.turnOn')}
            </button>
          )}
        </>
      )}
      {problem && (
        <p className="form-error" role="alert">
          {t(`patientSettings.device.${problem}`)}
        </p>
      )}
      <h3>{t('patientSettings.device.listTitle')}</h3>
      {removed && <p role="status">{t('patientSettings.device.removed')}</p>}
      {devices === null ? (
        <p>{t('app.loading')}</p>
      ) : devices.length === 0 ? (
        <p>{t('patientSettings.device.none')}</p>
      ) : (
        <ul className="settings__devices">
          {devices.map((d) => {
            const when = formatWhen(d.createdAt, lng);
            return (
              <li key={d.id}>
                <span>{t('patientSettings.device.item', { service: new URL(d.endpointOrigin).hostname, when })}</span>
                {d.lastSuccessAt && <span className="hint">{t('patientSettings.device.lastSent', { when: formatWhen(d.lastSuccessAt, lng) })}</span>}
                {confirming === d.id ? (
                  <div className="retract-confirm" role="group" aria-labelledby={`confirm-${d.id}`}>
                    <p id={`confirm-${d.id}`}>{t('patientSettings.device.confirm')}</p>
                    <div className="message-actions">
                      <button type="button" className="button button--danger button--small" onClick={() => void remove(d.id)}>
                        {t('patientSettings.device.confirmRemove')}
                      </button>
                      <button type="button" className="button button--secondary button--small" onClick={() => setConfirming(null)}>
                        {t('patientSettings.device.keep')}
                      </button>
                    </div>
                  </div>
                ) : (
                  <button type="button" className="button button--secondary button--small" aria-label={t('patientSettings.device.removeLabel', { when })} onClick={() => setConfirming(d.id)}>
                    {t('patientSettings.device.remove')}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
