import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Broadcast, BroadcastDraft, BroadcastPreview, CareTeam, TagSummary } from '@haven/api';
import { Layout } from '../components/Layout.js';
import { ApiProblem } from '../components/staff/ApiProblem.js';
import { useColleagues } from '../components/staff/colleagues.js';
import { api } from '../lib/api.js';
import { formatWhen, topicLabel } from '../lib/format.js';
import '../styles/staff.css';

/**
 * Providers and staff: one message to a group of their patients (by tag, care team or provider), each patient in a
 * conversation of their own. Preview first (who it reaches, who is skipped and why, the first messages as patients
 * will read them, personalized); sending asks first; running broadcasts can be stopped (asked first too).
 */
export function BroadcastsPage() {
  const { t, i18n } = useTranslation();
  const lng = i18n.resolvedLanguage ?? 'en';
  const id = useId();
  const colleagues = useColleagues();
  const [tags, setTags] = useState<TagSummary[] | null>(null);
  const [teams, setTeams] = useState<CareTeam[] | null>(null);
  const [topics, setTopics] = useState<string[]>([]);
  const [chosenTags, setChosenTags] = useState<string[]>([]);
  const [careTeamId, setCareTeamId] = useState('');
  const [providerId, setProviderId] = useState('');
  const [topic, setTopic] = useState('');
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [preview, setPreview] = useState<BroadcastPreview | null>(null);
  const [confirmSend, setConfirmSend] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [noSelector, setNoSelector] = useState(false);
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState('');
  const [list, setList] = useState<Broadcast[] | null>(null);
  const [listError, setListError] = useState(false);
  const [confirmCancel, setConfirmCancel] = useState<string | null>(null);
  const [cancelError, setCancelError] = useState<unknown>(null);

  useEffect(() => {
    api.call('tags.list').then(
      (r) => setTags(r.items),
      () => setTags([]),
    );
    api.call('careTeams.list').then(
      (r) => setTeams(r.items),
      () => setTeams([]),
    );
    api.call('organization.get').then(
      (o) => setTopics(o.topics),
      () => undefined,
    );
  }, []);
  const load = useCallback(async () => {
    try {
      setList((await api.call('broadcasts.list', { query: { limit: 50 } })).items);
      setListError(false);
    } catch {
      setListError(true);
    }
  }, []);
  useEffect(() => void load(), [load]);
  // Progress has no live event: while a broadcast is sending, look again every few seconds.
  const running = list?.some((b) => b.state === 'queued' || b.state === 'running') ?? false;
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => void load(), 3000);
    return () => clearInterval(timer);
  }, [running, load]);

  // Any change to the draft makes the preview out of date.
  const changed = <T,>(set: (v: T) => void) => (v: T) => {
    set(v);
    setPreview(null);
    setConfirmSend(false);
  };

  const draft = (): BroadcastDraft => ({
    selector: { ...(chosenTags.length > 0 ? { tags: chosenTags } : {}), ...(careTeamId ? { careTeamId } : {}), ...(providerId ? { providerId } : {}) },
    subject: subject.trim(),
    body: body.trim(),
    ...(topic ? { topic } : {}),
  });

  const doPreview = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSent('');
    const d = draft();
    setNoSelector(Object.keys(d.selector).length === 0);
    if (Object.keys(d.selector).length === 0) return;
    setBusy(true);
    try {
      setPreview(await api.call('broadcasts.preview', { body: d }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const send = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.call('broadcasts.create', { body: draft() });
      setSent(t('broadcasts.started', { count: preview?.recipients ?? 0 }));
      setPreview(null);
      setConfirmSend(false);
      setSubject('');
      setBody('');
      setChosenTags([]);
      setCareTeamId('');
      setProviderId('');
      setTopic('');
      await load();
    } catch (err) {
      setError(err);
      setConfirmSend(false);
    } finally {
      setBusy(false);
    }
  };

  const cancel = async (bid: string) => {
    setCancelError(null);
    try {
      await api.call('broadcasts.cancel', { params: { id: bid } });
      setConfirmCancel(null);
      await load();
    } catch (err) {
      setCancelError(err);
    }
  };

  const providers = colleagues?.filter((c) => c.role === 'provider') ?? [];
  const skippedTotal = preview ? Object.values(preview.skipped).reduce((a, b) => a + b, 0) : 0;
  return (
    <Layout title={t('broadcasts.title')}>
      <h1 tabIndex={-1}>{t('broadcasts.title')}</h1>
      <p>{t('broadcasts.intro')}</p>
      <div className="two-columns">
        <section aria-labelledby={`${id}-new`}>
          <h2 id={`${id}-new`}>{t('broadcasts.newTitle')}</h2>
          <form className="form" onSubmit={(e) => void doPreview(e)} noValidate data-testid="broadcast-form">
            <fieldset aria-describedby={`${id}-who-hint ${id}-who-error`}>
              <legend>{t('broadcasts.who')}</legend>
              <p id={`${id}-who-hint`} className="hint">
                {t('broadcasts.whoHint')}
              </p>
              {tags && tags.length > 0 && (
                <fieldset>
                  <legend>{t('broadcasts.tags')}</legend>
                  {tags.map((tag) => (
                    <div key={tag.tag} className="checkbox-row">
                      <input
                        id={`${id}-tag-${tag.tag}`}
                        type="checkbox"
                        checked={chosenTags.includes(tag.tag)}
                        onChange={() => changed(setChosenTags)(chosenTags.includes(tag.tag) ? chosenTags.filter((x) => x !== tag.tag) : [...chosenTags, tag.tag])}
                      />
                      <label htmlFor={`${id}-tag-${tag.tag}`}>{t('broadcasts.tagCount', { tag: tag.tag, count: tag.patients })}</label>
                    </div>
                  ))}
                </fieldset>
              )}
              <label htmlFor={`${id}-team`}>{t('broadcasts.careTeam')}</label>
              <select id={`${id}-team`} value={careTeamId} onChange={(e) => changed(setCareTeamId)(e.target.value)}>
                <option value="">{t('broadcasts.any')}</option>
                {teams?.map((x) => (
                  <option key={x.id} value={x.id}>
                    {x.name}
                  </option>
                ))}
              </select>
              <label htmlFor={`${id}-provider`}>{t('broadcasts.provider')}</label>
              <select id={`${id}-provider`} value={providerId} onChange={(e) => changed(setProviderId)(e.target.value)}>
                <option value="">{t('broadcasts.any')}</option>
                {providers.map((x) => (
                  <option key={x.id} value={x.id}>
                    {x.name}
                  </option>
                ))}
              </select>
            </fieldset>
            <div id={`${id}-who-error`}>
              {noSelector && (
                <p className="field-error" role="alert">
                  {t('broadcasts.chooseWho')}
                </p>
              )}
              <ApiProblem error={error} field="selector" />
            </div>
            {topics.length > 0 && (
              <>
                <label htmlFor={`${id}-topic`}>{t('broadcasts.topic')}</label>
                <select id={`${id}-topic`} value={topic} onChange={(e) => changed(setTopic)(e.target.value)}>
                  <option value="">{t('broadcasts.topicDefault')}</option>
                  {topics.map((x) => (
                    <option key={x} value={x}>
                      {topicLabel(t, x)}
                    </option>
                  ))}
                </select>
              </>
            )}
            <label htmlFor={`${id}-subject`}>{t('broadcasts.subject')}</label>
            <input id={`${id}-subject`} value={subject} maxLength={200} onChange={(e) => changed(setSubject)(e.target.value)} aria-describedby={`${id}-vars ${id}-subject-error`} />
            <div id={`${id}-subject-error`}>
              <ApiProblem error={error} field="subject" />
            </div>
            <label htmlFor={`${id}-body`}>{t('broadcasts.body')}</label>
            <textarea id={`${id}-body`} rows={6} value={body} maxLength={20000} onChange={(e) => changed(setBody)(e.target.value)} aria-describedby={`${id}-vars ${id}-body-error`} />
            <p id={`${id}-vars`} className="hint">
              {t('broadcasts.variables', { variables: '{patient.firstName}, {patient.name}, {practice.name}, {practice.phone}' })}
            </p>
            <div id={`${id}-body-error`}>
              <ApiProblem error={error} field="body" />
            </div>
            <ApiProblem error={error} />
            <button type="submit" className="button button--secondary" disabled={busy}>
              {t('broadcasts.preview')}
            </button>
          </form>
          {sent && (
            <p className="notice" role="status">
              {sent}
            </p>
          )}
          {preview && (
            <section className="preview" aria-labelledby={`${id}-preview`} data-testid="broadcast-preview">
              <h3 id={`${id}-preview`}>{t('broadcasts.previewTitle')}</h3>
              <p data-testid="broadcast-recipients">{t('broadcasts.recipients', { count: preview.recipients })}</p>
              {skippedTotal > 0 && (
                <ul className="staff-panel__list">
                  {(Object.entries(preview.skipped) as [keyof BroadcastPreview['skipped'], number][])
                    .filter(([, n]) => n > 0)
                    .map(([why, n]) => (
                      <li key={why}>{t(`broadcasts.skipped.${why}`, { count: n })}</li>
                    ))}
                </ul>
              )}
              {preview.samples.length > 0 && <h4>{t('broadcasts.samples', { count: preview.samples.length })}</h4>}
              <ol className="card-list">
                {preview.samples.map((s) => (
                  <li key={s.patientId} className="card sample" data-testid="broadcast-sample">
                    <p className="sample__subject">{s.subject}</p>
                    <p className="sample__body">{s.body}</p>
                  </li>
                ))}
              </ol>
              {preview.recipients > 0 &&
                (confirmSend ? (
                  <div className="confirm" role="group" aria-label={t('broadcasts.send', { count: preview.recipients })}>
                    <p>{t('broadcasts.sendConfirm', { count: preview.recipients })}</p>
                    <div className="button-row">
                      <button type="button" className="button" disabled={busy} onClick={() => void send()}>
                        {t('broadcasts.sendYes')}
                      </button>
                      <button type="button" className="button button--secondary" disabled={busy} onClick={() => setConfirmSend(false)}>
                        {t('staffThread.cancel')}
                      </button>
                    </div>
                  </div>
                ) : (
                  <button type="button" className="button" onClick={() => setConfirmSend(true)}>
                    {t('broadcasts.send', { count: preview.recipients })}
                  </button>
                ))}
            </section>
          )}
        </section>
        <section aria-labelledby={`${id}-list`}>
          <h2 id={`${id}-list`}>{t('broadcasts.listTitle')}</h2>
          {listError && (
            <p className="form-error" role="alert">
              {t('app.errorGeneric')}
            </p>
          )}
          {list === null && !listError && <p>{t('app.loading')}</p>}
          {list?.length === 0 && <p>{t('broadcasts.empty')}</p>}
          {list && list.length > 0 && (
            <ul className="card-list" data-testid="broadcast-list">
              {list.map((b) => (
                <li key={b.id} className="card" data-testid="broadcast" data-state={b.state}>
                  <p className="sample__subject">{b.subject}</p>
                  <p className="hint">
                    {t(`broadcasts.state.${b.state}`)} · {formatWhen(b.createdAt, lng)}
                  </p>
                  <p>{t('broadcasts.progress', { sent: b.progress.sent, total: b.progress.total, skipped: b.progress.skipped, failed: b.progress.failed })}</p>
                  {(b.state === 'queued' || b.state === 'running') &&
                    (confirmCancel === b.id ? (
                      <div className="confirm" role="group" aria-label={t('broadcasts.cancel')}>
                        <p>{t('broadcasts.cancelConfirm', { count: b.progress.pending })}</p>
                        <ApiProblem error={cancelError} />
                        <div className="button-row">
                          <button type="button" className="button button--small button--danger" onClick={() => void cancel(b.id)}>
                            {t('broadcasts.cancelYes')}
                          </button>
                          <button type="button" className="button button--small button--secondary" onClick={() => setConfirmCancel(null)}>
                            {t('broadcasts.keepSending')}
                          </button>
                        </div>
                      </div>
                    ) : (
                      <button type="button" className="button button--small button--secondary" onClick={() => setConfirmCancel(b.id)}>
                        {t('broadcasts.cancel')}
                      </button>
                    ))}
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </Layout>
  );
}
