import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { WorkflowSettings } from '@haven/api';
import { api } from '../../../lib/api.js';
import { errorAt, FieldError, invalidProps, LoadState, OpsFrame, SaveOutcome, useLoad, useSave, type Problem } from './common.js';

/**
 * What patients are told automatically (`workflow.settings`): the off-hours reply, the crisis reply and crisis
 * resources, the emergency number and the urgent guidance shown in the patient's composer.
 */
export default function AutoResponsesPage() {
  const { t } = useTranslation();
  const loaded = useLoad(() => api.call('workflow.settings.get'), []);
  const [form, setForm] = useState<WorkflowSettings | null>(null);
  const save = useSave();
  useEffect(() => {
    if (loaded.data) setForm(loaded.data);
  }, [loaded.data]);
  const set = (part: Partial<WorkflowSettings>) => setForm((f) => (f ? { ...f, ...part } : f));

  return (
    <OpsFrame who="admin" title={t('operations.autoResponses.title')} intro={t('operations.autoResponses.intro')}>
      <LoadState loaded={loaded} />
      {form && (
        <form
          className="form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void save.run(async () =>
              loaded.set(
                await api.call('workflow.settings.update', {
                  body: {
                    offHoursReplyEnabled: form.offHoursReplyEnabled,
                    offHoursReply: form.offHoursReply,
                    crisisReply: form.crisisReply,
                    crisisResources: form.crisisResources.map((r) => ({ name: r.name.trim(), contact: r.contact.trim() })),
                    emergencyNumber: form.emergencyNumber.trim(),
                    urgentGuidance: form.urgentGuidance,
                  },
                }),
              ),
            );
          }}
        >
          <section className="ops__section" aria-labelledby="offhours-title">
            <h2 id="offhours-title">{t('operations.autoResponses.offHoursTitle')}</h2>
            <div className="ops__check">
              <input id="offhours-enabled" type="checkbox" checked={form.offHoursReplyEnabled} onChange={(e) => set({ offHoursReplyEnabled: e.target.checked })} />
              <label htmlFor="offhours-enabled">{t('operations.autoResponses.offHoursEnabled')}</label>
            </div>
            <TextArea id="offhours-reply" path="/offHoursReply" label={t('operations.autoResponses.offHoursReply')} hint={t('operations.autoResponses.offHoursHint')} value={form.offHoursReply} onChange={(v) => set({ offHoursReply: v })} problem={save.problem} />
          </section>
          <section className="ops__section" aria-labelledby="urgent-title">
            <h2 id="urgent-title">{t('operations.autoResponses.urgentTitle')}</h2>
            <TextArea id="urgent-guidance" path="/urgentGuidance" label={t('operations.autoResponses.urgentGuidance')} hint={t('operations.autoResponses.urgentHint')} value={form.urgentGuidance} onChange={(v) => set({ urgentGuidance: v })} problem={save.problem} />
            <div className="field">
              <label htmlFor="emergency-number">{t('operations.autoResponses.emergencyNumber')}</label>
              <input id="emergency-number" className="ops__short" value={form.emergencyNumber} maxLength={20} onChange={(e) => set({ emergencyNumber: e.target.value })} {...invalidProps(errorAt(save.problem, '/emergencyNumber'), 'emergency-number-error')} />
              <FieldError id="emergency-number-error" message={errorAt(save.problem, '/emergencyNumber')} />
            </div>
          </section>
          <section className="ops__section" aria-labelledby="crisis-title">
            <h2 id="crisis-title">{t('operations.autoResponses.crisisTitle')}</h2>
            <TextArea id="crisis-reply" path="/crisisReply" label={t('operations.autoResponses.crisisReply')} hint={t('operations.autoResponses.crisisHint')} value={form.crisisReply} onChange={(v) => set({ crisisReply: v })} problem={save.problem} />
            <fieldset className="ops__choice">
              <legend>{t('operations.autoResponses.resources')}</legend>
              {form.crisisResources.length === 0 && <p>{t('operations.autoResponses.noResources')}</p>}
              <ul className="ops__list">
                {form.crisisResources.map((r, i) => {
                  const nameError = errorAt(save.problem, `/crisisResources/${i}/name`);
                  const contactError = errorAt(save.problem, `/crisisResources/${i}/contact`);
                  const update = (part: Partial<typeof r>) => set({ crisisResources: form.crisisResources.map((x, j) => (j === i ? { ...x, ...part } : x)) });
                  return (
                    <li key={i} className="ops__row ops__resource" data-testid="crisis-resource">
                      <div className="field">
                        <label htmlFor={`resource-${i}-name`}>{t('operations.autoResponses.resourceName', { n: i + 1 })}</label>
                        <input id={`resource-${i}-name`} value={r.name} maxLength={120} onChange={(e) => update({ name: e.target.value })} {...invalidProps(nameError, `resource-${i}-name-error`)} />
                        <FieldError id={`resource-${i}-name-error`} message={nameError} />
                      </div>
                      <div className="field">
                        <label htmlFor={`resource-${i}-contact`}>{t('operations.autoResponses.resourceContact', { n: i + 1 })}</label>
                        <input id={`resource-${i}-contact`} value={r.contact} maxLength={120} onChange={(e) => update({ contact: e.target.value })} {...invalidProps(contactError, `resource-${i}-contact-error`)} />
                        <FieldError id={`resource-${i}-contact-error`} message={contactError} />
                      </div>
                      <button type="button" className="button button--small button--secondary" onClick={() => set({ crisisResources: form.crisisResources.filter((_, j) => j !== i) })}>
                        {t('operations.autoResponses.removeResource', { n: i + 1 })}
                      </button>
                    </li>
                  );
                })}
              </ul>
              <button type="button" className="button button--small button--secondary" disabled={form.crisisResources.length >= 10} onClick={() => set({ crisisResources: [...form.crisisResources, { name: '', contact: '' }] })}>
                {t('operations.autoResponses.addResource')}
              </button>
            </fieldset>
          </section>
          <div className="ops__actions">
            <button type="submit" className="button" disabled={save.busy}>
              {save.busy ? t('operations.saving') : t('operations.autoResponses.save')}
            </button>
            <SaveOutcome problem={save.problem} saved={save.saved} shown={(p) => ['/offHoursReply', '/urgentGuidance', '/emergencyNumber', '/crisisReply'].includes(p) || /^\/crisisResources\/\d+\/(name|contact)$/.test(p)} />
          </div>
        </form>
      )}
    </OpsFrame>
  );
}

function TextArea({ id, path, label, hint, value, onChange, problem }: { id: string; path: string; label: string; hint: string; value: string; onChange(v: string): void; problem: Problem | null }) {
  const error = errorAt(problem, path);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <p className="hint" id={`${id}-hint`}>
        {hint}
      </p>
      <textarea id={id} rows={4} maxLength={2000} value={value} onChange={(e) => onChange(e.target.value)} {...invalidProps(error, `${id}-error`, `${id}-hint`)} />
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}
