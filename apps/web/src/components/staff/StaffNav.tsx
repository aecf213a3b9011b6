import { NavLink } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useSession } from '../../hooks/useSession.js';

/** The staff dashboard's sections (under the header of every staff page). */
export function StaffNav() {
  const { t } = useTranslation();
  const { session } = useSession();
  // Mentions, internal conversations and broadcasts are for the clinical staff (providers and staff).
  if (session?.user.role !== 'provider' && session?.user.role !== 'staff') return null;
  const items = [
    ['/staff/inbox', t('staffThread.nav.inbox')],
    ['/staff/mentions', t('staffThread.nav.mentions')],
    ['/staff/internal', t('internal.nav')],
    ['/staff/broadcasts', t('broadcasts.nav')],
  ] as const;
  return (
    <nav className="staff-nav" aria-label={t('staffThread.nav.label')}>
      <ul>
        {items.map(([to, label]) => (
          <li key={to}>
            <NavLink to={to} className="staff-nav__link">
              {label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}
