import { lazy, Suspense, useEffect, useState, type ReactNode } from 'react';
import { Link, Navigate, Outlet, Route, Routes, useLocation } from 'react-router';
import { useTranslation } from 'react-i18next';
import { EventsProvider } from './components/EventsProvider.js';
import { PageFrame } from './components/Layout.js';
import { loadStaffStrings, staffStringsReady } from './i18n.js';
import { SafetyAlertsProvider } from './components/SafetyAlerts.js';
import { isStaff, startPage, useSession } from './hooks/useSession.js';
import { InboxPage } from './pages/InboxPage.js';
import { NewThreadPage } from './pages/NewThreadPage.js';
import { SignInPage } from './pages/SignInPage.js';
import { ThreadListPage } from './pages/ThreadListPage.js';
import { ThreadPage } from './pages/ThreadPage.js';
import { operationsRoutes } from './pages/admin/operations/sections.js';

const OperationsPage = lazy(() => import('./pages/admin/operations/OperationsPage.js'));

// Staff dashboard pages (staffThread helper): loaded on first visit, outside the patient app's initial JS.
const MentionsPage = lazy(() => import('./pages/MentionsPage.js').then((m) => ({ default: m.MentionsPage })));
const InternalThreadsPage = lazy(() => import('./pages/InternalThreadsPage.js').then((m) => ({ default: m.InternalThreadsPage })));
const BroadcastsPage = lazy(() => import('./pages/BroadcastsPage.js').then((m) => ({ default: m.BroadcastsPage })));
// Admin and compliance pages: their own chunks, so the patient app's initial JS does not carry them.
const AnalyticsPage = lazy(() => import('./insights/AnalyticsPage.js'));
const CompliancePage = lazy(() => import('./insights/CompliancePage.js'));

const NotificationSettingsPage = lazy(() => import('./pages/NotificationSettingsPage.js'));

// Admin settings: a separate chunk, loaded when an admin opens them (the patient app never downloads it).
const AdminRoutes = lazy(() => import('./pages/admin/AdminRoutes.js'));

/**
 * Routes. URLs carry only ids and view names: never message text, subjects or names.
 *   /sign-in                       both
 *   /messages, /messages/new, /messages/:threadId        the patient app (/messages/settings, /staff/settings: notifications)
 *   /staff/inbox, /staff/threads/:threadId               the staff dashboard
 *   /staff/mentions, /staff/internal, /staff/broadcasts   (lazily loaded)
 *   /staff/analytics (admins), /staff/compliance (compliance officers: their start page)
 *   /staff/admin/…, /staff/my/…     operations settings (pages/admin/operations/sections.ts), lazily loaded
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
        <Route path="/messages/settings" element={<Suspense fallback={<Loading />}><NotificationSettingsPage /></Suspense>} />
        <Route path="/messages/:threadId" element={<ThreadPage />} />
      </Route>
      <Route element={<Protected role="staff" />}>
        <Route path="/staff/inbox" element={<InboxPage />} />
        <Route path="/staff/threads/:threadId" element={<ThreadPage />} />
        <Route path="/staff/mentions" element={<Suspense fallback={<Loading />}><MentionsPage /></Suspense>} />
        <Route path="/staff/internal" element={<Suspense fallback={<Loading />}><InternalThreadsPage /></Suspense>} />
        <Route path="/staff/broadcasts" element={<Suspense fallback={<Loading />}><BroadcastsPage /></Suspense>} />
        <Route path="/staff/analytics" element={<Suspense fallback={<Loading />}><AnalyticsPage /></Suspense>} />
        <Route path="/staff/compliance" element={<Suspense fallback={<Loading />}><CompliancePage /></Suspense>} />
        {operationsRoutes.map((r) => <Route key={r.path} path={r.path} element={<Suspense fallback={<Loading />}><OperationsPage page={r.page} /></Suspense>} />)}
        <Route path="/staff/settings" element={<Suspense fallback={<Loading />}><NotificationSettingsPage /></Suspense>} />
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
  return <Navigate to={startPage(session)} replace />;
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
      {role === 'staff' ? (
        <StaffStrings>
          <SafetyAlertsProvider>
            <Outlet />
          </SafetyAlertsProvider>
        </StaffStrings>
      ) : (
        <Outlet />
      )}
    </EventsProvider>
  );
}

/** Staff pages render once the staff dashboard's strings are loaded (their own chunk: the patient app never loads them). */
function StaffStrings({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const [ready, setReady] = useState(staffStringsReady);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (ready) return;
    let live = true;
    loadStaffStrings().then(
      () => live && setReady(true),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [ready, failed]);
  if (failed)
    return (
      <p className="page form-error" role="alert">
        {t('app.errorGeneric')}{' '}
        <button type="button" className="button button--small" onClick={() => setFailed(false)}>
          {t('thread.retry')}
        </button>
      </p>
    );
  if (!ready) return <Loading />;
  return <>{children}</>;
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
