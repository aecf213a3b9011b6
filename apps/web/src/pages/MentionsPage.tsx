import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import type { Mention, Thread } from '@haven/api';
import { Layout } from '../components/Layout.js';
import { ApiProblem } from '../components/staff/ApiProblem.js';
import { nameOf, useColleagues } from '../components/staff/colleagues.js';
import { useEvents } from '../hooks/useEvents.js';
import { api } from '../lib/api.js';
import { formatWhen } from '../lib/format.js';
import '../styles/staff.css';

type Status = 'open' | 'done';

/**
 * Staff: where colleagues mentioned you (in internal notes and internal conversations), newest first; live as new
 * mentions arrive. Open the conversation, or mark a mention done.
 */
export function MentionsPage() {
  const { t, i18n } = useTranslation();
  const lng = i18n.resolvedLanguage ?? 'en';
  const colleagues = useColleagues();
  const [status, setStatus] = useState<Status>('open');
  const [items, setItems] = useState<Mention[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [threads, setThreads] = useState<Record<string, Thread | null>>({});
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      const page = await api.call('mentions.list', { query: { status, limit: 50 } });
      setItems(page.items);
      setCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [status]);
  useEffect(() => {
    setItems(null);
    void load();
  }, [load]);
  useEvents((e) => {
    if (e.type === 'mention.created' || e.type === 'mention.done') void load();
  });
  // The subjects of the conversations (a mention carries ids only).
  useEffect(() => {
    const missing = [...new Set((items ?? []).map((m) => m.threadId))].filter((id) => !(id in threads));
    if (missing.length === 0) return;
    void Promise.all(missing.map((id) => api.call('threads.get', { params: { threadId: id } }).then((x) => [id, x] as const, () => [id, null] as const))).then((pairs) =>
      setThreads((cur) => ({ ...cur, ...Object.fromEntries(pairs) })),
    );
  }, [items, threads]);

  const more = async () => {
    if (!cursor) return;
    const page = await api.call('mentions.list', { query: { status, limit: 50, cursor } });
    setItems((list) => [...(list ?? []), ...page.items]);
    setCursor(page.nextCursor);
  };
  const done = async (id: string) => {
    try {
      await api.call('mentions.done', { params: { mentionId: id } });
      await load();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <Layout title={t('staffThread.mentions.title')}>
      <h1 tabIndex={-1}>{t('staffThread.mentions.title')}</h1>
      <p>{t('staffThread.mentions.intro')}</p>
      <div className="segmented" role="group" aria-label={t('staffThread.mentions.show')}>
        {(['open', 'done'] as const).map((s) => (
          <button key={s} type="button" className={s === status ? 'button button--small' : 'button button--small button--secondary'} aria-pressed={s === status} onClick={() => setStatus(s)}>
            {t(`staffThread.mentions.status.${s}`)}
          </button>
        ))}
      </div>
      <ApiProblem error={error} />
      {items === null && !error && <p>{t('app.loading')}</p>}
      {items?.length === 0 && <p>{status === 'open' ? t('staffThread.mentions.emptyOpen') : t('staffThread.mentions.emptyDone')}</p>}
      {items && items.length > 0 && (
        <ul className="card-list" data-testid="mentions-list">
          {items.map((m) => {
            const th = threads[m.threadId];
            return (
              <li key={m.id} className="card" data-testid="mention">
                <p>
                  {t('staffThread.mentions.by', { name: nameOf(colleagues, m.mentionedBy, t('staffThread.colleague')), when: formatWhen(m.createdAt, lng) })}
                </p>
                <p>
                  <Link to={`/staff/threads/${m.threadId}`}>{th ? th.subject : t('staffThread.mentions.openThread')}</Link>
                  {th?.kind === 'internal' && <span className="hint"> · {t('internal.kind')}</span>}
                </p>
                {m.doneAt ? (
                  <p className="hint">{t('staffThread.mentions.doneAt', { when: formatWhen(m.doneAt, lng) })}</p>
                ) : (
                  <button type="button" className="button button--small button--secondary" onClick={() => void done(m.id)}>
                    {t('staffThread.mentions.markDone')}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {cursor && (
        <button type="button" className="button button--secondary" onClick={() => void more()}>
          {t('inbox.loadMore')}
        </button>
      )}
    </Layout>
  );
}
