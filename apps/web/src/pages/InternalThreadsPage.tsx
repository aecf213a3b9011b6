import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import type { Thread } from '@haven/api';
import { Layout } from '../components/Layout.js';
import { ApiProblem } from '../components/staff/ApiProblem.js';
import { nameOf, useColleagues } from '../components/staff/colleagues.js';
import { useEvents } from '../hooks/useEvents.js';
import { useSession } from '../hooks/useSession.js';
import { api, newId } from '../lib/api.js';
import { formatWhen } from '../lib/format.js';
import '../styles/staff.css';

/**
 * Staff: internal conversations (between colleagues; a patient never sees one), most recent first, live; and a
 * form to start one with chosen colleagues, optionally as a consult about a patient conversation (`?about=<id>`,
 * from the thread page). Nothing typed is lost when the server refuses it.
 */
export function InternalThreadsPage() {
  const { t, i18n } = useTranslation();
  const lng = i18n.resolvedLanguage ?? 'en';
  const id = useId();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const about = params.get('about');
  const { session } = useSession();
  const me = session?.user.id ?? '';
  const colleagues = useColleagues();
  const [threads, setThreads] = useState<Thread[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [listError, setListError] = useState(false);
  const [aboutThread, setAboutThread] = useState<Thread | null>(null);
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [people, setPeople] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [noPeople, setNoPeople] = useState(false);
  const [busy, setBusy] = useState(false);
  const [messageId] = useState(newId);
  // Made on a first try whose message then failed: a retry sends the message there instead of a second conversation.
  const [made, setMade] = useState<Thread | null>(null);

  const load = useCallback(async () => {
    try {
      const page = await api.call('threads.list', { query: { kind: 'internal', limit: 50 } });
      setThreads(page.items);
      setCursor(page.nextCursor);
      setListError(false);
    } catch {
      setListError(true);
    }
  }, []);
  useEffect(() => void load(), [load]);
  useEvents((e) => {
    if ((e.type === 'thread.created' && e.thread?.kind === 'internal') || (e.type === 'message.created' && threads?.some((x) => x.id === e.threadId))) void load();
  });
  useEffect(() => {
    if (!about) return;
    api.call('threads.get', { params: { threadId: about } }).then(setAboutThread, () => setAboutThread(null));
  }, [about]);

  const more = async () => {
    if (!cursor) return;
    const page = await api.call('threads.list', { query: { kind: 'internal', limit: 50, cursor } });
    setThreads((list) => [...(list ?? []), ...page.items.filter((x) => !list?.some((y) => y.id === x.id))]);
    setCursor(page.nextCursor);
  };

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setNoPeople(people.length === 0);
    if (people.length === 0) return;
    setBusy(true);
    try {
      const thread =
        made ??
        (await api.call('threads.create', {
          body: { kind: 'internal', subject: subject.trim(), participantIds: people, ...(about && aboutThread ? { linkedThreadId: about } : {}) },
        }));
      setMade(thread);
      if (body.trim()) {
        const mentions = (colleagues ?? []).filter((c) => body.includes(`@${c.name}`)).map((c) => c.id);
        await api.call('messages.create', { params: { threadId: thread.id }, body: { id: messageId, body: body.trim(), ...(mentions.length > 0 ? { mentions } : {}) } });
      }
      void navigate(`/staff/threads/${thread.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const toggle = (uid: string) => setPeople((list) => (list.includes(uid) ? list.filter((x) => x !== uid) : [...list, uid]));
  const others = colleagues?.filter((c) => c.id !== me) ?? [];
  return (
    <Layout title={t('internal.title')}>
      <h1 tabIndex={-1}>{t('internal.title')}</h1>
      <p>{t('internal.intro')}</p>
      <div className="two-columns">
        <section aria-labelledby={`${id}-list`}>
          <h2 id={`${id}-list`}>{t('internal.listTitle')}</h2>
          {listError && (
            <p className="form-error" role="alert">
              {t('app.errorGeneric')}
            </p>
          )}
          {threads === null && !listError && <p>{t('app.loading')}</p>}
          {threads?.length === 0 && <p>{t('internal.empty')}</p>}
          {threads && threads.length > 0 && (
            <ul className="card-list" data-testid="internal-list">
              {threads.map((x) => (
                <li key={x.id} className={x.unreadCount > 0 ? 'card card--unread' : 'card'}>
                  <Link to={`/staff/threads/${x.id}`}>{x.subject}</Link>
                  <p className="hint">
                    {t('internal.with', { names: x.participantIds.filter((p) => p !== me).map((p) => nameOf(colleagues, p, t('staffThread.colleague'))).join(', ') })}
                    {x.lastMessageAt ? ` · ${formatWhen(x.lastMessageAt, lng)}` : ''}
                  </p>
                  {x.linkedThreadId && <p className="hint">{t('internal.consult')}</p>}
                  {x.unreadCount > 0 && <span className="badge">{t('inbox.unread', { count: x.unreadCount })}</span>}
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
        <section aria-labelledby={`${id}-new`}>
          <h2 id={`${id}-new`}>{t('internal.newTitle')}</h2>
          {about && aboutThread && <p className="notice">{t('internal.about', { subject: aboutThread.subject })}</p>}
          <form className="form" onSubmit={(e) => void create(e)} noValidate>
            <label htmlFor={`${id}-subject`}>{t('internal.subject')}</label>
            <input id={`${id}-subject`} value={subject} maxLength={200} onChange={(e) => setSubject(e.target.value)} aria-describedby={`${id}-subject-error`} />
            <div id={`${id}-subject-error`}>
              <ApiProblem error={error} field="subject" />
            </div>
            <fieldset aria-describedby={`${id}-people-error`}>
              <legend>{t('internal.people')}</legend>
              {colleagues === null && <p>{t('app.loading')}</p>}
              {others.map((c) => (
                <div key={c.id} className="checkbox-row">
                  <input id={`${id}-p-${c.id}`} type="checkbox" checked={people.includes(c.id)} onChange={() => toggle(c.id)} />
                  <label htmlFor={`${id}-p-${c.id}`}>
                    {c.name} <span className="hint">({t(`staffThread.mentions.role.${c.role}`)})</span>
                  </label>
                </div>
              ))}
            </fieldset>
            <div id={`${id}-people-error`}>
              {noPeople && (
                <p className="field-error" role="alert">
                  {t('internal.choosePeople')}
                </p>
              )}
              <ApiProblem error={error} field="participantIds" />
            </div>
            <label htmlFor={`${id}-body`}>{t('internal.firstMessage')}</label>
            <textarea id={`${id}-body`} rows={4} value={body} maxLength={20000} onChange={(e) => setBody(e.target.value)} aria-describedby={`${id}-body-hint`} />
            <p id={`${id}-body-hint`} className="hint">
              {t('internal.firstMessageHint')}
            </p>
            <ApiProblem error={error} />
            <button type="submit" className="button" disabled={busy}>
              {t('internal.start')}
            </button>
          </form>
        </section>
      </div>
    </Layout>
  );
}
