import { Suspense } from 'react';
import { Link, Route, Routes } from 'react-router';
import { useTranslation } from 'react-i18next';
import { Layout } from '../../components/Layout.js';
import { useSession } from '../../hooks/useSession.js';
import { AdminLayout } from './AdminLayout.js';
import { adminSections } from './sections.js';
import '../../styles/admin.css';

/**
 * The admin settings (/staff/admin/...), loaded only when an admin opens them. Anyone else signed in as staff gets
 * "not allowed" and no admin page (the API refuses them anyway).
 */
export default function AdminRoutes() {
  const { t } = useTranslation();
  const { session } = useSession();
  if (session?.user.role !== 'admin') return <NotAllowed />;
  const loading = <p role="status">{t('app.loading')}</p>;
  return (
    <Routes>
      <Route index element={<AdminHome />} />
      {adminSections.map(({ path, page: Page }) =>
        Page ? (
          <Route
            key={path}
            path={path}
            element={
              <Suspense fallback={loading}>
                <Page />
              </Suspense>
            }
          />
        ) : null,
      )}
      <Route path="*" element={<AdminNotFound />} />
    </Routes>
  );
}

function AdminHome() {
  const { t } = useTranslation();
  return (
    <AdminLayout title={t('admin.home.title')}>
      <h1 tabIndex={-1}>{t('admin.home.title')}</h1>
      <p>{t('admin.home.intro')}</p>
      <ul className="admin-home">
        {adminSections.map((s) => (
          <li key={s.path}>
            <Link to={`/staff/admin/${s.path}`}>{t(s.labelKey)}</Link>
            <p className="hint">{t(`${s.labelKey}Hint`, { defaultValue: '' })}</p>
          </li>
        ))}
      </ul>
    </AdminLayout>
  );
}

function AdminNotFound() {
  const { t } = useTranslation();
  return (
    <AdminLayout title={t('app.notFound')}>
      <h1 tabIndex={-1}>{t('app.notFound')}</h1>
    </AdminLayout>
  );
}

function NotAllowed() {
  const { t } = useTranslation();
  return (
    <Layout title={t('admin.notAllowed.title')}>
      <h1 tabIndex={-1}>{t('admin.notAllowed.title')}</h1>
      <p>{t('admin.notAllowed.body')}</p>
      <p>
        <Link to="/">{t('app.backHome')}</Link>
      </p>
    </Layout>
  );
}
