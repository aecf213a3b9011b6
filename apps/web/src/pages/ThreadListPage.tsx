import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import type { Thread } from '@haven/api';
import { Layout } from '../components/Layout.js';
import { useEvents } from '../hooks/useEvents.js';
import { api } from '../lib/api.js';
import { formatWhen, topicLabel } from '../lib/format.js';

/** The patient's conversations, most recent first, with unread markers; kept current by the event stream. */
export function ThreadListPage() {
  const { t, i18n } = useTranslation();
  const lng = i18n.resolvedLanguage ?? 'en';
  const [threads, setThreads] = useState<Thread[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState(false);

  const load = useCallback(async () => {
    try {
      const page = await api.call('threads.list', { query: { kind: 'patient', limit: 50 } });
      setThreads(page.items);
      setCursor(page.nextCursor);
      setError(false);
    } catch {
      setError(true);
    }
  }, []);
  useEffect(() => void load(), [load]);
  useEvents((e) => {
    if (e.type === 'message.created' || e.type === 'thread.created' || e.type === 'receipts.updated' || e.type === 'access.changed') void load();
  });
  const more = async () => {
    if (!cursor) return;
    const page = await api.call('threads.list', { query: { kind: 'patient', limit: 50, cursor } });
    setThreads((list) => [...(list ?? []), ...page.items.filter((x) => !list?.some((y) => y.id === x.id))]);
    setCursor(page.nextCursor);
  };

  return (
    <Layout title={t('threads.title')}>
      <div className="page-heading">
        <h1 tabIndex={-1}>{t('threads.title')}</h1>
        <Link className="button" to="/messages/new">
          {t('threads.newThread')}
        </Link>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {t('app.errorGeneric')}
        </p>
      )}
      {threads === null && !error && <p>{t('app.loading')}</p>}
      {threads?.length === 0 && <p>{t('threads.empty')}</p>}
      {threads && threads.length > 0 && (
        <ul className="thread-list" data-testid="thread-list">
          {threads.map((th) => (
            <li key={th.id} className={th.unreadCount > 0 ? 'thread-item thread-item--unread' : 'thread-item'}>
              <Link to={`/messages/${th.id}`} className="thread-item__link">
                <span className="thread-item__subject">{th.subject}</span>
                <span className="thread-item__topic">{t('threads.topic', { topic: topicLabel(t, th.topic) })}</span>
                <span className="thread-item__when">{th.lastMessageAt ? t('threads.lastActivity', { when: formatWhen(th.lastMessageAt, lng) }) : t('threads.noMessagesYet')}</span>
                {th.unreadCount > 0 && <span className="badge">{t('threads.unread', { count: th.unreadCount })}</span>}
              </Link>
            </li>
          ))}
        </ul>
      )}
      {cursor && (
        <button type="button" className="button button--secondary" onClick={() => void more()}>
          {t('threads.loadMore')}
        </button>
      )}
    </Layout>
  );
}
