import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import type { InboxCounts, InboxView, Thread } from '@haven/api';
import { Layout } from '../components/Layout.js';
import { LazyStaffShortcuts } from '../components/staff/lazy.js';
import { useEvents } from '../hooks/useEvents.js';
import { api } from '../lib/api.js';
import { formatWhen, topicLabel } from '../lib/format.js';

/** Urgent conversations first (a crisis never waits below routine ones); otherwise the server's order, soonest due first. */
const urgentFirst = (list: Thread[]): Thread[] => [...list].sort((a, b) => Number(b.workflow?.priority === 'urgent') - Number(a.workflow?.priority === 'urgent'));

/** A conversation due within this long (and not yet overdue) is marked "Due soon". */
const DUE_SOON_MS = 60 * 60_000;

/** Where a conversation stands against its response-time target, at `now` (the server's flag, or the time passing). */
function slaBadge(th: Thread, now: number): 'overdue' | 'dueSoon' | null {
  const w = th.workflow;
  if (!w || w.state === 'closed' || w.state === 'awaiting_patient') return w?.overdue ? 'overdue' : null;
  if (w.overdue) return 'overdue';
  if (!w.dueAt) return null;
  const left = Date.parse(w.dueAt) - now;
  return left <= 0 ? 'overdue' : left <= DUE_SOON_MS ? 'dueSoon' : null;
}

const VIEWS: InboxView[] = ['mine', 'unassigned', 'care_teams', 'department', 'urgent', 'overdue', 'awaiting_patient', 'closed'];

/** The staff inbox: the views the API offers with their counts, soonest due first; live as threads change. */
export function InboxPage() {
  const { t, i18n } = useTranslation();
  const lng = i18n.resolvedLanguage ?? 'en';
  const [params, setParams] = useSearchParams();
  const requested = params.get('view') as InboxView | null;
  const view: InboxView = requested && VIEWS.includes(requested) ? requested : 'unassigned';
  const [counts, setCounts] = useState<InboxCounts | null>(null);
  const [threads, setThreads] = useState<Thread[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  // The badges follow the clock: "Due soon" and "Overdue" appear without a reload.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(tick);
  }, []);

  const load = useCallback(async () => {
    try {
      const [c, page] = await Promise.all([api.call('inbox.counts'), api.call('inbox.list', { query: { view, limit: 50 } })]);
      setCounts(c);
      setThreads(urgentFirst(page.items));
      setCursor(page.nextCursor);
      setError(false);
    } catch {
      setError(true);
    }
  }, [view]);
  useEffect(() => {
    setThreads(null);
    void load();
  }, [load]);
  // Many events can arrive together (a busy practice): reload once for a burst.
  useEvents((e) => {
    if (e.type === 'safety.alert' || e.type === 'thread.created' || e.type === 'thread.updated' || e.type === 'message.created' || e.type === 'receipts.updated' || e.type === 'access.changed') {
      clearTimeout(timer.current);
      timer.current = setTimeout(() => void load(), 150);
    }
  });
  useEffect(() => () => clearTimeout(timer.current), []);

  const more = async () => {
    if (!cursor) return;
    const page = await api.call('inbox.list', { query: { view, limit: 50, cursor } });
    setThreads((list) => urgentFirst([...(list ?? []), ...page.items.filter((x) => !list?.some((y) => y.id === x.id))]));
    setCursor(page.nextCursor);
  };

  return (
    <Layout title={t('inbox.title')}>
      <h1 tabIndex={-1}>{t('inbox.title')}</h1>
      <LazyStaffShortcuts scope="inbox" />
      <div className="inbox">
        <nav className="inbox__views" aria-label={t('inbox.views')}>
          <ul>
            {VIEWS.map((v) => (
              <li key={v}>
                <Link
                  to={`/staff/inbox?view=${v}`}
                  className={v === view ? 'inbox__view inbox__view--current' : 'inbox__view'}
                  aria-current={v === view ? 'page' : undefined}
                  onClick={(e) => {
                    e.preventDefault();
                    setParams({ view: v });
                  }}
                  data-view={v}
                >
                  <span>{t(`inbox.view.${v}`)}</span>
                  <span className={v === 'urgent' && counts && counts.urgent > 0 ? 'count count--urgent' : 'count'} data-testid={`count-${v}`}>
                    {counts ? counts[v] : '–'}
                    <span className="visually-hidden"> {counts ? t('inbox.count', { count: counts[v] }) : ''}</span>
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <section className="inbox__list" aria-labelledby="inbox-view-title">
          <h2 id="inbox-view-title">{t(`inbox.view.${view}`)}</h2>
          {error && (
            <p className="form-error" role="alert">
              {t('app.errorGeneric')}
            </p>
          )}
          {threads === null && !error && <p>{t('app.loading')}</p>}
          {threads?.length === 0 && <p>{t('inbox.empty')}</p>}
          {threads && threads.length > 0 && (
            <ul className="thread-list" data-testid="inbox-list">
              {threads.map((th) => (
                <li key={th.id} className={['thread-item', th.unreadCount > 0 ? 'thread-item--unread' : '', th.workflow?.priority === 'urgent' ? 'thread-item--urgent' : ''].join(' ')} data-priority={th.workflow?.priority}>
                  <Link to={`/staff/threads/${th.id}`} className="thread-item__link">
                    <span className="thread-item__subject">{th.subject}</span>
                    <span className="thread-item__topic">{t('threads.topic', { topic: topicLabel(t, th.topic) })}</span>
                    {th.workflow && (
                      <span className="thread-item__when">
                        {t(`inbox.state.${th.workflow.state}`)}
                        {th.workflow.dueAt ? ` · ${t('inbox.due', { when: formatWhen(th.workflow.dueAt, lng) })}` : ''}
                      </span>
                    )}
                    <span className="thread-item__badges">
                      {th.workflow?.priority === 'urgent' && <span className="badge badge--urgent">{t('inbox.urgent')}</span>}
                      {slaBadge(th, now) === 'overdue' && <span className="badge badge--urgent">{t('inbox.overdue')}</span>}
                      {slaBadge(th, now) === 'dueSoon' && <span className="badge badge--soon">{t('inbox.dueSoon')}</span>}
                      {th.unreadCount > 0 && <span className="badge">{t('inbox.unread', { count: th.unreadCount })}</span>}
                    </span>
                  </Link>
                </li>
              ))}
            </ul>
          )}
          {cursor && (
            <button type="button" className="button button--secondary" onClick={() => void more()}>
              {t('inbox.loadMore')}
            </button>
          )}
        </section>
      </div>
    </Layout>
  );
}
