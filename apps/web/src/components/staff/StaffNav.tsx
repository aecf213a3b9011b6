import { useCallback, useEffect, useState } from 'react';
import { NavLink } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useEvents } from '../../hooks/useEvents.js';
import { useSession } from '../../hooks/useSession.js';
import { api } from '../../lib/api.js';

/**
 * The staff dashboard's sections (under the header of every staff page), with how many mentions are still to do
 * (live by mention.created / mention.done). Mentions, internal conversations and broadcasts are for the clinical
 * staff (providers and staff); other roles get no such sections.
 */
export function StaffNav() {
  const { t } = useTranslation();
  const { session } = useSession();
  const clinical = session?.user.role === 'provider' || session?.user.role === 'staff';
  const [toDo, setToDo] = useState<string | null>(null);
  const load = useCallback(() => {
    if (!clinical) return;
    api.call('mentions.list', { query: { status: 'open', limit: 50 } }).then(
      (r) => setToDo(r.items.length === 0 ? null : `${r.items.length}${r.nextCursor ? '+' : ''}`),
      () => setToDo(null),
    );
  }, [clinical]);
  useEffect(load, [load]);
  useEvents((e) => {
    if (e.type === 'mention.created' || e.type === 'mention.done') load();
  });
  if (!clinical) return null;
  const items = [
    ['/staff/inbox', t('staffThread.nav.inbox'), null],
    ['/staff/mentions', t('staffThread.nav.mentions'), toDo],
    ['/staff/internal', t('internal.nav'), null],
    ['/staff/broadcasts', t('broadcasts.nav'), null],
  ] as const;
  return (
    <nav className="staff-nav" aria-label={t('staffThread.nav.label')}>
      <ul>
        {items.map(([to, label, count]) => (
          <li key={to}>
            <NavLink to={to} className="staff-nav__link">
              {label}
              {count && (
                <span className="count" data-testid="mentions-to-do">
                  {count}
                  <span className="visually-hidden"> {t('staffThread.nav.toDo')}</span>
                </span>
              )}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}
