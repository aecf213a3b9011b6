import { lazy, Suspense } from 'react';
import { Link, Navigate, Outlet, Route, Routes, useLocation } from 'react-router';
import { useTranslation } from 'react-i18next';
import { EventsProvider } from './components/EventsProvider.js';
import { PageFrame } from './components/Layout.js';
import { isStaff, useSession } from './hooks/useSession.js';
import { InboxPage } from './pages/InboxPage.js';
import { NewThreadPage } from './pages/NewThreadPage.js';
import { SignInPage } from './pages/SignInPage.js';
import { ThreadListPage } from './pages/ThreadListPage.js';
import { ThreadPage } from './pages/ThreadPage.js';

// Admin settings: a separate chunk, loaded when an admin opens them (the patient app never downloads it).
const AdminRoutes = lazy(() => import('./pages/admin/AdminRoutes.js'));

/**
 * Routes. URLs carry only ids and view names: never message text, subjects or names.
 *   /sign-in                       both
 *   /messages, /messages/new, /messages/:threadId        the patient app
 *   /staff/inbox, /staff/threads/:threadId               the staff dashboard
 *   /staff/admin, /staff/admin/<section>                 admin settings (admins only; see pages/admin/sections.ts)
 *   /, /inbox                      the right start page for who is signed in (notification links open /inbox)
 */
export function App() {
  return (
    <Routes>
      <Route path="/sign-in" element={<SignInPage />} />
      <Route path="/" element={<Home />} />
      <Route path="/inbox" element={<Home />} />
      <Route element={<Protected role="patient" />}>
        <Route path="/messages" element={<ThreadListPage />} />
        <Route path="/messages/new" element={<NewThreadPage />} />
        <Route path="/messages/:threadId" element={<ThreadPage />} />
      </Route>
      <Route element={<Protected role="staff" />}>
        <Route path="/staff/inbox" element={<InboxPage />} />
        <Route path="/staff/threads/:threadId" element={<ThreadPage />} />
        <Route path="/staff/admin/*" element={<Suspense fallback={<Loading />}><AdminRoutes /></Suspense>} />
      </Route>
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}

function Loading() {
  const { t } = useTranslation();
  return (
    <p className="page" role="status">
      {t('app.loading')}
    </p>
  );
}

function Home() {
  const { status, session } = useSession();
  if (status === 'loading') return <Loading />;
  if (status !== 'active') return <Navigate to="/sign-in" replace />;
  return <Navigate to={isStaff(session) ? '/staff/inbox' : '/messages'} replace />;
}

/** Signed-in pages: sign-in first (then back here); the other app for the other kind of user; one event socket for all of them. */
function Protected({ role }: { role: 'patient' | 'staff' }) {
  const { status, session } = useSession();
  const location = useLocation();
  if (status === 'loading') return <Loading />;
  if (status !== 'active') return <Navigate to="/sign-in" replace state={{ from: location.pathname + location.search }} />;
  if ((role === 'staff') !== isStaff(session)) return <Navigate to="/" replace />;
  return (
    <EventsProvider>
      <Outlet />
    </EventsProvider>
  );
}

function NotFound() {
  const { t } = useTranslation();
  return (
    <PageFrame title={t('app.notFound')}>
      <main id="main" className="page page--narrow">
        <h1 tabIndex={-1}>{t('app.notFound')}</h1>
        <p>
          <Link to="/">{t('app.backHome')}</Link>
        </p>
      </main>
    </PageFrame>
  );
}
