import { useEffect, type ReactNode } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { LanguagePicker } from './LanguagePicker.js';
import { useSafetyAlerts } from './SafetyAlerts.js';
import { SafetyAlertNotice } from './SafetyAlertNotice.js';
import { StaffNav } from './staff/StaffNav.js';
import { isStaff, startPage, useSession } from '../hooks/useSession.js';
import { InsightsNav } from '../insights/InsightsNav.js';
import { useEvents } from '../hooks/useEvents.js';
import { OperationsHeaderLinks } from '../pages/admin/operations/HeaderLinks.js';

/** A page of the signed-in app: header (home, language, sign-out), connection status, and the page's main content. */
export function Layout({ title, children }: { title: string; children: ReactNode }) {
  const { t } = useTranslation();
  const { session, signOut } = useSession();
  const { connected } = useEvents(() => undefined);
  const alerts = useSafetyAlerts();
  return (
    <PageFrame title={title}>
      <header className="app-header">
        <Link className="app-name" to={startPage(session)}>
          {t('app.name')}
          <span className="visually-hidden"> – {session?.user.role === 'compliance' ? t('compliance.nav') : isStaff(session) ? t('app.staffNav') : t('app.patientNav')}</span>
        </Link>
        <InsightsNav session={session} />
        <div className="app-header__tools">
          {session?.user.role === 'admin' && (
            <Link className="app-header__link" to="/staff/admin">
              {t('admin.nav.headerLink')}
            </Link>
          )}
          <OperationsHeaderLinks />
          <Link className="app-header__link" to={isStaff(session) ? '/staff/settings' : '/messages/settings'}>{t('patientSettings.nav')}</Link>
          <LanguagePicker />
          <button type="button" className="button button--secondary" onClick={() => void signOut()}>
            {t('app.signOut')}
          </button>
        </div>
      </header>
      {isStaff(session) && <StaffNav />}
      <p className={connected ? 'connection connection--live' : 'connection connection--offline'} role="status" data-testid="connection">
        {connected ? t('app.live') : t('app.offline')}
      </p>
      <main id="main" tabIndex={-1} className="page">
        {/* Staff paged for a patient in crisis see it on every page until they open it (patients never get alerts). */}
        <SafetyAlertNotice threadIds={alerts.threadIds} onDismiss={alerts.dismiss} />
        {children}
      </main>
    </PageFrame>
  );
}

/** The document title and a skip link; moves focus to the page heading when the page changes (screen readers). */
export function PageFrame({ title, children }: { title: string; children: ReactNode }) {
  const { t } = useTranslation();
  useEffect(() => {
    document.title = `${title} – ${t('app.name')}`;
  }, [title, t]);
  useEffect(() => {
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, []);
  return (
    <>
      <a className="skip-link" href="#main">
        {t('app.skipToContent')}
      </a>
      {children}
    </>
  );
}
