import { NavLink } from 'react-router';
import { useTranslation } from 'react-i18next';
import type { SessionInfo } from '@haven/api';

/** Header links by role, as the policy allows: admins see analytics, compliance officers the audit trail. */
export function InsightsNav({ session }: { session: SessionInfo | null }) {
  const { t } = useTranslation();
  const role = session?.user.role;
  if (role !== 'admin' && role !== 'compliance') return null;
  return (
    <nav className="insights-nav" aria-label={t('analytics.navLabel')}>
      {role === 'admin' && <NavLink to="/staff/analytics">{t('analytics.nav')}</NavLink>}
      {role === 'compliance' && <NavLink to="/staff/compliance">{t('compliance.nav')}</NavLink>}
    </nav>
  );
}
