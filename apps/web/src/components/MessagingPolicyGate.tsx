import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { OperationOutput } from '@haven/api';
import { api, isApiError } from '../lib/api.js';
import { formatWhen } from '../lib/format.js';
import '../styles/consent.css';

type Policy = OperationOutput<'me.messagingPolicy.get'>;

// The last policy read in this page load (memory only), so a second thread opens without a loading flash; it is
// read again on every mount, so a new version asks again without a reload.
let known: Policy | null = null;

/**
 * The patient's composer appears only after they accepted the current messaging policy (decision 0027): what
 * messaging is for, when to expect an answer, what to do in an emergency. The text and its version come from the
 * server; accepting records that version. `skip` (staff) shows the children as they are.
 */
export function MessagingPolicyGate({ children, skip = false }: { children: ReactNode; skip?: boolean }) {
  const { t, i18n } = useTranslation();
  const lng = i18n.resolvedLanguage ?? 'en';
  const [policy, setPolicy] = useState<Policy | null>(known);
  const [loadFailed, setLoadFailed] = useState(false);
  const [problem, setProblem] = useState<'failed' | 'changed' | null>(null);
  const [busy, setBusy] = useState(false);
  const [justAccepted, setJustAccepted] = useState(false);
  const after = useRef<HTMLDivElement>(null);

  // Asked again when the language changes: the language picker has saved it to the account by then.
  const load = useCallback(async () => {
    setLoadFailed(false);
    try {
      const p = await api.call('me.messagingPolicy.get');
      known = p;
      setPolicy(p);
    } catch {
      setLoadFailed(true);
    }
  }, []);
  useEffect(() => {
    if (!skip) void load();
  }, [load, skip, lng]);
  useEffect(() => {
    if (justAccepted) after.current?.querySelector<HTMLElement>('textarea, input, select')?.focus();
  }, [justAccepted]);

  if (skip) return <>{children}</>;

  const accept = async () => {
    if (!policy) return;
    setBusy(true);
    setProblem(null);
    try {
      const p = await api.call('me.messagingPolicy.accept', { body: { version: policy.version } });
      known = p;
      setPolicy(p);
      setJustAccepted(true);
    } catch (err) {
      if (isApiError(err, 409)) {
        setProblem('changed');
        await load();
      } else setProblem('failed');
    } finally {
      setBusy(false);
    }
  };

  if (!policy) {
    return loadFailed ? (
      <div className="policy policy--problem" role="alert">
        <p>{t('consent.loadFailed')}</p>
        <button type="button" className="button button--secondary" onClick={() => void load()}>
          {t('consent.retry')}
        </button>
      </div>
    ) : (
      <p role="status">{t('app.loading')}</p>
    );
  }

  if (policy.accepted) {
    return (
      <div ref={after}>
        {justAccepted && (
          <p className="notice" role="status">
            {t('consent.accepted')}
          </p>
        )}
        {children}
        <details className="policy-reread">
          <summary>{t('consent.reread')}</summary>
          <PolicyText policy={policy} />
          {policy.lastAcceptance && <p className="hint">{t('consent.acceptedOn', { when: formatWhen(policy.lastAcceptance.acceptedAt, lng) })}</p>}
        </details>
      </div>
    );
  }

  const changed = policy.lastAcceptance !== null;
  return (
    <section className="policy" aria-labelledby="policy-title" data-testid="messaging-policy">
      <h2 id="policy-title">{changed ? t('consent.changedTitle') : t('consent.title')}</h2>
      <p>{changed ? t('consent.changedIntro') : t('consent.intro')}</p>
      <PolicyText policy={policy} />
      {problem && (
        <p className="form-error" role="alert">
          {problem === 'changed' ? t('consent.changedWhileReading') : t('consent.failed')}
        </p>
      )}
      <button type="button" className="button button--wide" disabled={busy} onClick={() => void accept()}>
        {busy ? t('consent.accepting') : t('consent.accept')}
      </button>
    </section>
  );
}

/** The policy as the server wrote it for this reader (text, never HTML), with the practice's crisis resources. */
function PolicyText({ policy }: { policy: Policy }) {
  const { t } = useTranslation();
  return (
    <div className="policy__text" lang={policy.language}>
      {policy.sections.map((s) => (
        <p key={s.id} className={s.id === 'emergency' ? 'policy__emergency' : undefined} data-section={s.id}>
          {s.text}
        </p>
      ))}
      {policy.crisisResources.length > 0 && (
        <>
          <h3 className="policy__subtitle">{t('consent.helpNow')}</h3>
          <ul>
            {policy.crisisResources.map((r) => (
              <li key={`${r.name}|${r.contact}`}>
                {r.name}: <strong>{r.contact}</strong>
              </li>
            ))}
          </ul>
        </>
      )}
      <p className="hint">{t('consent.version', { version: policy.version })}</p>
    </div>
  );
}
