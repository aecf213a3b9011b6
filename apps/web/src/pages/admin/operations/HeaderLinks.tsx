import { NavLink } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useSession } from '../../../hooks/useSession.js';

/**
 * Links of the staff header to this area: providers and staff to their own availability and templates (admins reach
 * the practice's settings by the header's "Practice settings"). Nothing for patients and compliance.
 */
export function OperationsHeaderLinks() {
  const { t } = useTranslation();
  const { session } = useSession();
  const role = session?.user.role;
  if (role !== 'provider' && role !== 'staff') return null;
  return (
    <nav aria-label={t('operations.headerNav')} className="header-links">
      <NavLink to="/staff/my/availability">{t('operations.availability.myTitle')}</NavLink>
      <NavLink to="/staff/my/templates">{t('operations.templates.myTitle')}</NavLink>
    </nav>
  );
}
