import type { ReactNode } from 'react';
import { NavLink } from 'react-router';
import { useTranslation } from 'react-i18next';
import { Layout } from '../../components/Layout.js';
import { adminSections } from './sections.js';

/** An admin settings page: the signed-in layout with the settings navigation (every section of `sections.ts`) beside the page. */
export function AdminLayout({ title, children }: { title: string; children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <Layout title={title}>
      <div className="admin">
        <nav className="admin-nav" aria-label={t('admin.nav.label')}>
          <ul>
            <li>
              <NavLink to="/staff/admin" end>
                {t('admin.nav.overview')}
              </NavLink>
            </li>
            {adminSections.map((s) => (
              <li key={s.path}>
                <NavLink to={`/staff/admin/${s.path}`}>{t(s.labelKey)}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="admin-page">{children}</div>
      </div>
    </Layout>
  );
}
