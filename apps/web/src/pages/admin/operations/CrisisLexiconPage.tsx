import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { CrisisLexiconCheckResult, CrisisLexiconOverridesInput } from '@haven/api';
import { api } from '../../../lib/api.js';
import { ConfirmAction, errorAt, FieldError, invalidProps, LoadState, OpsFrame, problemFrom, SaveOutcome, useLoad, useSave, type Problem } from './common.js';

const EMPTY = { add: {}, disable: [] as string[] };
const EXAMPLE = JSON.stringify({ add: { chest_pain: [{ id: 'org.chest_tight', phrase: 'chest (feels|is) tight' }] }, disable: ['si.example_rule'] });

/**
 * The crisis lexicon (`safety.lexicon.*`): what is in force (base version, the practice's revision, or why it is
 * stale), the revision history, a check of a sample text (never stored), and the practice's overrides, edited as
 * JSON (the format of docs/safety.md) and checked by the server before anything is saved.
 */
export default function CrisisLexiconPage() {
  const { t, i18n } = useTranslation();
  const loaded = useLoad(() => api.call('safety.lexicon.get'), []);
  const history = useLoad(() => api.call('safety.lexicon.history', { query: { limit: 20 } }).then((r) => r.items), []);
  const [text, setText] = useState('');
  const [json, setJson] = useState('');
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [check, setCheck] = useState<CrisisLexiconCheckResult | null>(null);
  const [checkProblem, setCheckProblem] = useState<Problem | null>(null);
  const save = useSave();
  const when = (iso: string) => new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));

  useEffect(() => {
    if (!loaded.data) return;
    const o = loaded.data.overrides;
    setJson(JSON.stringify(o ? { add: o.add ?? {}, disable: o.disable ?? [], ...(o.exceptions ? { exceptions: o.exceptions } : {}), ...(o.negation ? { negation: o.negation } : {}), ...(o.slang ? { slang: o.slang } : {}), ...(o.spellings ? { spellings: o.spellings } : {}), ...(o.keepWords ? { keepWords: o.keepWords } : {}) } : EMPTY, null, 2));
  }, [loaded.data]);

  const parsed = (): CrisisLexiconOverridesInput | null => {
    if (!loaded.data) return null;
    try {
      const value = JSON.parse(json) as Record<string, unknown>;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
      setJsonError(null);
      return { ...value, baseVersion: loaded.data.baseVersion } as CrisisLexiconOverridesInput;
    } catch {
      setJsonError(t('operations.lexicon.notJson'));
      return null;
    }
  };

  const runCheck = async (withOverrides: boolean) => {
    setCheck(null);
    setCheckProblem(null);
    const overrides = withOverrides ? parsed() : undefined;
    if (withOverrides && !overrides) return;
    try {
      setCheck(await api.call('safety.lexicon.check', { body: { text, ...(overrides ? { overrides } : {}) } }));
    } catch (err) {
      setCheckProblem(problemFrom(err, t));
    }
  };

  const data = loaded.data;
  return (
    <OpsFrame who="admin" title={t('operations.lexicon.title')} intro={t('operations.lexicon.intro')}>
      <LoadState loaded={loaded} />
      {data && (
        <>
          <section className="ops__section" aria-labelledby="lexicon-now-title">
            <h2 id="lexicon-now-title">{t('operations.lexicon.nowTitle')}</h2>
            <dl className="ops__facts" data-testid="lexicon-status">
              <dt>{t('operations.lexicon.inForce')}</dt>
              <dd>{data.effectiveVersion}</dd>
              <dt>{t('operations.lexicon.status')}</dt>
              <dd>{t(`operations.lexicon.statuses.${data.status}`)}</dd>
              {data.updatedAt && (
                <>
                  <dt>{t('operations.lexicon.savedAt')}</dt>
                  <dd>{when(data.updatedAt)}</dd>
                </>
              )}
              {data.counts && (
                <>
                  <dt>{t('operations.lexicon.changes')}</dt>
                  <dd>{t('operations.lexicon.counts', data.counts)}</dd>
                </>
              )}
            </dl>
            {data.problems.length > 0 && (
              <div className="form-error" role="alert">
                <p>{t('operations.lexicon.staleProblems')}</p>
                <ul>
                  {data.problems.map((p, i) => (
                    <li key={i}>
                      <code>{p.path}</code> {p.message}
                    </li>
                  ))}
                </ul>
              </div>
            )}
          </section>

          <section className="ops__section" aria-labelledby="lexicon-check-title">
            <h2 id="lexicon-check-title">{t('operations.lexicon.checkTitle')}</h2>
            <div className="field">
              <label htmlFor="lexicon-text">{t('operations.lexicon.sample')}</label>
              <p className="hint" id="lexicon-text-hint">
                {t('operations.lexicon.sampleHint')}
              </p>
              <textarea id="lexicon-text" rows={3} maxLength={20000} value={text} onChange={(e) => setText(e.target.value)} aria-describedby="lexicon-text-hint" />
            </div>
            <div className="ops__actions">
              <button type="button" className="button button--secondary" disabled={!text.trim()} onClick={() => void runCheck(false)}>
                {t('operations.lexicon.checkInForce')}
              </button>
              <button type="button" className="button button--secondary" disabled={!text.trim()} onClick={() => void runCheck(true)}>
                {t('operations.lexicon.checkProposed')}
              </button>
            </div>
            <div role="status" data-testid="lexicon-check">
              {check &&
                (check.match
                  ? t('operations.lexicon.matched', { categories: check.match.categories.map((c) => t(`operations.lexicon.categories.${c}`)).join(', '), rules: check.match.ruleIds.join(', '), version: check.lexiconVersion })
                  : t('operations.lexicon.noMatch', { version: check.lexiconVersion }))}
            </div>
            {checkProblem && <SaveOutcome problem={checkProblem} saved={false} />}
          </section>

          <section className="ops__section" aria-labelledby="lexicon-edit-title">
            <h2 id="lexicon-edit-title">{t('operations.lexicon.editTitle')}</h2>
            <form
              className="form"
              noValidate
              onSubmit={(e) => {
                e.preventDefault();
                const overrides = parsed();
                if (!overrides) return;
                void save.run(async () => {
                  loaded.set(await api.call('safety.lexicon.update', { body: { expectedRevision: data.revision, overrides } }));
                  history.reload();
                });
              }}
            >
              <div className="field">
                <label htmlFor="lexicon-json">{t('operations.lexicon.overrides')}</label>
                <p className="hint" id="lexicon-json-hint">
                  {t('operations.lexicon.overridesHint')} {t('operations.lexicon.example')} <code>{EXAMPLE}</code>
                </p>
                <textarea id="lexicon-json" className="ops__code" rows={14} spellCheck={false} value={json} onChange={(e) => setJson(e.target.value)} {...invalidProps(jsonError, 'lexicon-json-error', 'lexicon-json-hint')} />
                <FieldError id="lexicon-json-error" message={jsonError ?? errorAt(save.problem, '/overrides')} />
              </div>
              <div className="ops__actions">
                <button type="submit" className="button" disabled={save.busy}>
                  {save.busy ? t('operations.saving') : t('operations.lexicon.save')}
                </button>
                {data.revision > 0 && (
                  <ConfirmAction
                    label={t('operations.lexicon.revert')}
                    question={t('operations.lexicon.revertQuestion')}
                    confirmLabel={t('operations.lexicon.revertConfirm')}
                    onConfirm={() =>
                      save.run(async () => {
                        loaded.set(await api.call('safety.lexicon.update', { body: { expectedRevision: data.revision, overrides: { baseVersion: data.baseVersion } } }));
                        history.reload();
                      })
                    }
                  />
                )}
                <SaveOutcome problem={save.problem} saved={save.saved} />
              </div>
            </form>
          </section>

          <section className="ops__section" aria-labelledby="lexicon-history-title">
            <h2 id="lexicon-history-title">{t('operations.lexicon.historyTitle')}</h2>
            <LoadState loaded={history} />
            {history.data && history.data.length === 0 && <p>{t('operations.lexicon.noHistory')}</p>}
            {history.data && history.data.length > 0 && (
              <ul className="ops__list">
                {history.data.map((r) => (
                  <li key={r.revision} className="ops__item">
                    <div>
                      <p className="ops__item-title">{r.version}</p>
                      <p className="hint">
                        {when(r.createdAt)} · {t('operations.lexicon.counts', r.counts)}
                      </p>
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </OpsFrame>
  );
}
