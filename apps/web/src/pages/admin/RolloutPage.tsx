import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { MessagingRollout, TagSummary, User } from '@haven/api';
import { api } from '../../lib/api.js';
import { formatWhen } from '../../lib/format.js';
import { AdminLayout } from './AdminLayout.js';
import { FieldError, FormMessage, Loaded, noProblem, problemOf, Saved, useLoad, type FormProblem } from './common.js';

/**
 * Soft launch: messaging for every patient, or a pilot (patients with one of the chosen cohort tags, or in a care
 * team of one of the chosen providers), and what everyone else is told instead.
 */
export default function RolloutPage() {
  const { t } = useTranslation();
  const state = useLoad(async () => {
    const [rollout, tags, users] = await Promise.all([api.call('messagingRollout.get'), api.call('tags.list'), api.call('users.list')]);
    return { rollout, tags: tags.items, providers: users.items.filter((u) => u.role === 'provider' && u.status === 'active') };
  });
  return (
    <AdminLayout title={t('admin.rollout.title')}>
      <h1 tabIndex={-1}>{t('admin.rollout.title')}</h1>
      <p>{t('admin.rollout.intro')}</p>
      <Loaded state={state}>{(d) => <RolloutForm rollout={d.rollout} tags={d.tags} providers={d.providers} />}</Loaded>
    </AdminLayout>
  );
}

function RolloutForm({ rollout, tags, providers }: { rollout: MessagingRollout; tags: TagSummary[]; providers: User[] }) {
  const { t, i18n } = useTranslation();
  const id = useId();
  const [current, setCurrent] = useState(rollout);
  const [mode, setMode] = useState(rollout.mode);
  const [cohortTags, setCohortTags] = useState(rollout.cohortTags);
  const [providerIds, setProviderIds] = useState(rollout.providerIds);
  const [alternativeContact, setAlternativeContact] = useState(rollout.alternativeContact);
  const [newTag, setNewTag] = useState('');
  const [problem, setProblem] = useState<FormProblem>(noProblem);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  // Every tag in use, and the chosen ones even when no patient has them yet.
  const allTags = [...new Set([...tags.map((x) => x.tag), ...cohortTags])].sort();
  const counts = new Map(tags.map((x) => [x.tag, x.patients]));

  const addTag = () => {
    const value = newTag.trim().toLowerCase();
    if (!/^[a-z0-9]+([-_][a-z0-9]+)*$/.test(value) || value.length > 64) return setProblem({ form: null, fields: { newTag: t('admin.rollout.tagInvalid') } });
    if (!cohortTags.includes(value)) setCohortTags([...cohortTags, value]);
    setNewTag('');
    setProblem(noProblem);
  };
  const toggle = (list: string[], value: string, on: boolean) => (on ? [...list, value] : list.filter((x) => x !== value));

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (mode === 'pilot' && cohortTags.length === 0 && providerIds.length === 0) {
      return setProblem({ form: t('admin.rollout.pilotEmpty'), fields: {} });
    }
    setBusy(true);
    setProblem(noProblem);
    setSaved(null);
    try {
      const r = await api.call('messagingRollout.update', { body: { mode, cohortTags, providerIds, alternativeContact: alternativeContact.trim() } });
      setCurrent(r);
      setSaved(t('admin.rollout.saved'));
    } catch (err) {
      const p = problemOf(err, t);
      const fields: Record<string, string> = {};
      for (const key of Object.keys(p.fields)) fields[key.split('/')[0]!] = p.fields[key]!;
      setProblem({ ...p, fields });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form admin-form" onSubmit={(e) => void save(e)} noValidate aria-busy={busy}>
      <p className="notice" data-testid="rollout-now">
        {current.mode === 'everyone' ? t('admin.rollout.nowEveryone') : t('admin.rollout.nowPilot')}
        {current.updatedAt ? ` ${t('admin.rollout.changedAt', { when: formatWhen(current.updatedAt, i18n.language) })}` : ''}
      </p>
      <FormMessage problem={problem} />
      <fieldset className="admin-fieldset">
        <legend>{t('admin.rollout.modeLegend')}</legend>
        {(['everyone', 'pilot'] as const).map((m) => (
          <div key={m} className="admin-check">
            <input type="radio" id={`${id}-mode-${m}`} name="mode" value={m} checked={mode === m} onChange={() => setMode(m)} aria-describedby={`${id}-mode-${m}-hint`} />
            <label htmlFor={`${id}-mode-${m}`}>{t(`admin.rollout.mode.${m}`)}</label>
            <p id={`${id}-mode-${m}-hint`} className="hint admin-check__hint">
              {t(`admin.rollout.modeHint.${m}`)}
            </p>
          </div>
        ))}
      </fieldset>
      <fieldset className="admin-fieldset" disabled={mode !== 'pilot'}>
        <legend>{t('admin.rollout.cohorts')}</legend>
        {allTags.length === 0 && <p className="hint">{t('admin.rollout.noTags')}</p>}
        {allTags.map((tag) => (
          <div key={tag} className="admin-check">
            <input type="checkbox" id={`${id}-tag-${tag}`} checked={cohortTags.includes(tag)} onChange={(e) => setCohortTags(toggle(cohortTags, tag, e.target.checked))} />
            <label htmlFor={`${id}-tag-${tag}`}>{t('admin.rollout.tagWithCount', { tag, count: counts.get(tag) ?? 0 })}</label>
          </div>
        ))}
        <FieldError id={`${id}-cohortTags-error`} message={problem.fields.cohortTags} />
        <div className="admin-inline-form">
          <div className="field">
            <label htmlFor={`${id}-newTag`}>{t('admin.rollout.newTag')}</label>
            <input
              id={`${id}-newTag`}
              value={newTag}
              onChange={(e) => setNewTag(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  addTag();
                }
              }}
              maxLength={64}
              autoComplete="off"
              aria-invalid={problem.fields.newTag ? true : undefined}
              aria-describedby={problem.fields.newTag ? `${id}-newTag-error` : undefined}
            />
            <FieldError id={`${id}-newTag-error`} message={problem.fields.newTag} />
          </div>
          <button type="button" className="button button--secondary button--small" onClick={addTag}>
            {t('admin.rollout.addTag')}
          </button>
        </div>
      </fieldset>
      <fieldset className="admin-fieldset" disabled={mode !== 'pilot'}>
        <legend>{t('admin.rollout.providers')}</legend>
        {providers.length === 0 && <p className="hint">{t('admin.rollout.noProviders')}</p>}
        {providers.map((u) => (
          <div key={u.id} className="admin-check">
            <input type="checkbox" id={`${id}-provider-${u.id}`} checked={providerIds.includes(u.id)} onChange={(e) => setProviderIds(toggle(providerIds, u.id, e.target.checked))} />
            <label htmlFor={`${id}-provider-${u.id}`}>{u.name}</label>
          </div>
        ))}
        <FieldError id={`${id}-providerIds-error`} message={problem.fields.providerIds} />
      </fieldset>
      <div className="field">
        <label htmlFor={`${id}-alt`}>{t('admin.rollout.alternative')}</label>
        <textarea
          id={`${id}-alt`}
          rows={3}
          maxLength={500}
          value={alternativeContact}
          onChange={(e) => setAlternativeContact(e.target.value)}
          aria-describedby={`${id}-alt-hint${problem.fields.alternativeContact ? ` ${id}-alt-error` : ''}`}
          aria-invalid={problem.fields.alternativeContact ? true : undefined}
        />
        <p id={`${id}-alt-hint`} className="hint">
          {t('admin.rollout.alternativeHint')}
        </p>
        <FieldError id={`${id}-alt-error`} message={problem.fields.alternativeContact} />
      </div>
      <button type="submit" className="button" disabled={busy}>
        {busy ? t('admin.common.saving') : t('admin.rollout.save')}
      </button>
      <Saved text={saved} />
    </form>
  );
}
