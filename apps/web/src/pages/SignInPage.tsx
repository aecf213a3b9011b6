import { useState, type FormEvent } from 'react';
import { Navigate, useLocation, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import type { OperationOutput } from '@haven/api';
import { LanguagePicker } from '../components/LanguagePicker.js';
import { PageFrame } from '../components/Layout.js';
import { startPage, useSession } from '../hooks/useSession.js';
import { api, isApiError } from '../lib/api.js';

/** Sign-in for patients and staff alike: practice code, e-mail and password, then the second step when asked. */
export function SignInPage() {
  const { t } = useTranslation();
  const { status, session, signIn, verifyCode, enableTotp } = useSession();
  const location = useLocation();
  const [params] = useSearchParams();
  const ended = params.get('ended') === '1';
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [enrollment, setEnrollment] = useState<OperationOutput<'auth.totp.setup'> | null>(null);

  if (status === 'active') {
    const from = (location.state as { from?: string } | null)?.from;
    return <Navigate to={from ?? startPage(session)} replace />;
  }

  const run = async (action: () => Promise<unknown>, failure: string) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(isApiError(err, 429) ? t('signIn.tooMany') : isApiError(err) && err.status < 500 ? failure : t('app.errorGeneric'));
    } finally {
      setBusy(false);
    }
  };

  const onPassword = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    void run(() => signIn(String(form.get('organization')).trim(), String(form.get('email')).trim(), String(form.get('password'))), t('signIn.failed'));
  };
  const onCode = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const code = String(new FormData(e.currentTarget).get('code')).replace(/\s/g, '');
    void run(() => (status === 'mfa_enrollment_required' ? enableTotp(code) : verifyCode(code)), t('signIn.codeFailed'));
  };

  const stepTitle = status === 'mfa_required' ? t('signIn.codeTitle') : status === 'mfa_enrollment_required' ? t('signIn.enrollTitle') : t('signIn.title');

  return (
    <PageFrame title={stepTitle}>
      <header className="app-header">
        <span className="app-name">{t('app.name')}</span>
        <div className="app-header__tools">
          <LanguagePicker />
        </div>
      </header>
      <main id="main" tabIndex={-1} className="page page--narrow">
        <h1 tabIndex={-1}>{stepTitle}</h1>
        {ended && status === 'signedOut' && (
          <p className="notice" role="status" data-testid="session-ended">
            {t('signIn.sessionEnded')}
          </p>
        )}
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        {(status === 'signedOut' || status === 'loading') && (
          <form className="form" onSubmit={onPassword} aria-busy={busy}>
            <p>{t('signIn.intro')}</p>
            <div className="field">
              <label htmlFor="organization">{t('signIn.organization')}</label>
              <input id="organization" name="organization" required autoComplete="organization" autoCapitalize="none" spellCheck={false} aria-describedby="organization-hint" />
              <p id="organization-hint" className="hint">
                {t('signIn.organizationHint')}
              </p>
            </div>
            <div className="field">
              <label htmlFor="email">{t('signIn.email')}</label>
              <input id="email" name="email" type="email" required autoComplete="username" />
            </div>
            <div className="field">
              <label htmlFor="password">{t('signIn.password')}</label>
              <input id="password" name="password" type="password" required autoComplete="current-password" />
            </div>
            <button type="submit" className="button button--wide" disabled={busy || status === 'loading'}>
              {busy ? t('signIn.submitting') : t('signIn.submit')}
            </button>
          </form>
        )}
        {status === 'mfa_enrollment_required' && !enrollment && (
          <div className="form">
            <p>{t('signIn.enrollIntro')}</p>
            <button type="button" className="button button--wide" disabled={busy} onClick={() => void run(async () => setEnrollment(await api.call('auth.totp.setup')), t('app.errorGeneric'))}>
              {t('signIn.enrollStart')}
            </button>
          </div>
        )}
        {(status === 'mfa_required' || (status === 'mfa_enrollment_required' && enrollment)) && (
          <form className="form" onSubmit={onCode} aria-busy={busy}>
            {enrollment ? (
              <>
                <p>{t('signIn.enrollIntro')}</p>
                <p>
                  {t('signIn.enrollKey')}: <code className="secret">{enrollment.secret}</code>
                </p>
              </>
            ) : (
              <p>{t('signIn.codeIntro')}</p>
            )}
            <div className="field">
              <label htmlFor="code">{t('signIn.code')}</label>
              <input id="code" name="code" required inputMode="numeric" pattern="[0-9 ]{6,7}" autoComplete="one-time-code" />
            </div>
            <button type="submit" className="button button--wide" disabled={busy}>
              {t('signIn.verify')}
            </button>
          </form>
        )}
      </main>
    </PageFrame>
  );
}
