import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Priority } from '@haven/api';
import { api } from '../../../lib/api.js';
import { topicLabel } from '../../../lib/format.js';
import { errorAt, FieldError, invalidProps, LoadState, OpsFrame, SaveOutcome, useLoad, useSave, useTopics } from './common.js';

interface Row {
  topic: string;
  priority: Priority;
  responseMinutes: string;
  remindBeforeMinutes: string;
}

/** Response-time targets (`sla.targets`): per topic and priority, business minutes to the first answer and a reminder. */
export default function SlaPage() {
  const { t } = useTranslation();
  const loaded = useLoad(() => api.call('sla.targets.get'), []);
  const topics = useTopics();
  const [rows, setRows] = useState<Row[] | null>(null);
  const save = useSave();
  useEffect(() => {
    if (loaded.data)
      setRows(loaded.data.targets.map((x) => ({ topic: x.topic, priority: x.priority, responseMinutes: String(x.responseMinutes), remindBeforeMinutes: x.remindBeforeMinutes === undefined ? '' : String(x.remindBeforeMinutes) })));
  }, [loaded.data]);
  const update = (i: number, part: Partial<Row>) => setRows((rs) => rs?.map((r, j) => (j === i ? { ...r, ...part } : r)) ?? rs);
  const toNumber = (v: string) => (v.trim() === '' ? NaN : Number(v));

  return (
    <OpsFrame who="admin" title={t('operations.sla.title')} intro={t('operations.sla.intro')}>
      <LoadState loaded={loaded} />
      {rows && (
        <form
          className="form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void save.run(async () =>
              loaded.set(
                await api.call('sla.targets.replace', {
                  body: {
                    targets: rows.map((r) => ({
                      topic: r.topic,
                      priority: r.priority,
                      responseMinutes: toNumber(r.responseMinutes),
                      ...(r.remindBeforeMinutes.trim() === '' ? {} : { remindBeforeMinutes: toNumber(r.remindBeforeMinutes) }),
                    })),
                  },
                }),
              ),
            );
          }}
        >
          {rows.length === 0 && <p>{t('operations.sla.empty')}</p>}
          <ol className="ops__list" data-testid="sla-targets">
            {rows.map((r, i) => {
              const base = `/targets/${i}`;
              const topicError = errorAt(save.problem, `${base}/topic`);
              const responseError = errorAt(save.problem, `${base}/responseMinutes`);
              const remindError = errorAt(save.problem, `${base}/remindBeforeMinutes`);
              const rowError = errorAt(save.problem, base);
              return (
                <li key={i} className="ops__target" data-testid="sla-target">
                  <fieldset className="ops__choice">
                    <legend>{t('operations.sla.target', { n: i + 1 })}</legend>
                    <div className="ops__row">
                      <div className="field">
                        <label htmlFor={`sla-${i}-topic`}>{t('operations.sla.topic')}</label>
                        <select id={`sla-${i}-topic`} className="ops__select" value={r.topic} onChange={(e) => update(i, { topic: e.target.value })} {...invalidProps(topicError ?? rowError, `sla-${i}-error`)}>
                          <option value="*">{t('operations.sla.anyTopic')}</option>
                          {(topics.data ?? []).concat(r.topic !== '*' && !(topics.data ?? []).includes(r.topic) ? [r.topic] : []).map((x) => (
                            <option key={x} value={x}>
                              {topicLabel(t, x)}
                            </option>
                          ))}
                        </select>
                      </div>
                      <div className="field">
                        <label htmlFor={`sla-${i}-priority`}>{t('operations.sla.priority')}</label>
                        <select id={`sla-${i}-priority`} className="ops__select" value={r.priority} onChange={(e) => update(i, { priority: e.target.value as Priority })}>
                          <option value="routine">{t('operations.sla.routine')}</option>
                          <option value="urgent">{t('operations.sla.urgent')}</option>
                        </select>
                      </div>
                      <div className="field">
                        <label htmlFor={`sla-${i}-response`}>{t('operations.sla.responseMinutes')}</label>
                        <input id={`sla-${i}-response`} type="number" inputMode="numeric" min={1} value={r.responseMinutes} onChange={(e) => update(i, { responseMinutes: e.target.value })} {...invalidProps(responseError, `sla-${i}-error`)} />
                      </div>
                      <div className="field">
                        <label htmlFor={`sla-${i}-remind`}>{t('operations.sla.remindMinutes')}</label>
                        <input id={`sla-${i}-remind`} type="number" inputMode="numeric" min={0} value={r.remindBeforeMinutes} onChange={(e) => update(i, { remindBeforeMinutes: e.target.value })} {...invalidProps(remindError, `sla-${i}-error`)} />
                      </div>
                    </div>
                    <p className="hint">{describe(t, r)}</p>
                    <FieldError id={`sla-${i}-error`} message={[topicError, responseError, remindError, rowError].filter(Boolean).join('; ') || null} />
                    <button type="button" className="button button--small button--secondary" onClick={() => setRows(rows.filter((_, j) => j !== i))}>
                      {t('operations.sla.remove', { n: i + 1 })}
                    </button>
                  </fieldset>
                </li>
              );
            })}
          </ol>
          <button type="button" className="button button--secondary ops__add" disabled={rows.length >= 200} onClick={() => setRows([...rows, { topic: '*', priority: 'routine', responseMinutes: '480', remindBeforeMinutes: '' }])}>
            {t('operations.sla.add')}
          </button>
          <p className="hint">{t('operations.sla.saveHint')}</p>
          <div className="ops__actions">
            <button type="submit" className="button" disabled={save.busy}>
              {save.busy ? t('operations.saving') : t('operations.sla.save')}
            </button>
            <SaveOutcome problem={save.problem} saved={save.saved} shown={(p) => /^\/targets\/\d+(\/(topic|responseMinutes|remindBeforeMinutes))?$/.test(p)} />
          </div>
        </form>
      )}
    </OpsFrame>
  );
}

/** "8 hours" style reading of a number of minutes, so a target is easy to check. */
function describe(t: (k: string, o?: Record<string, unknown>) => string, r: Row): string {
  const m = Number(r.responseMinutes);
  if (!Number.isFinite(m) || m <= 0) return '';
  const hours = Math.floor(m / 60);
  const minutes = m % 60;
  return hours > 0 ? t('operations.sla.reads', { hours, minutes }) : t('operations.sla.readsMinutes', { minutes });
}
