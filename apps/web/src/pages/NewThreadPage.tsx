import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { ExpectationNotice, type Expectations } from '../components/ExpectationNotice.js';
import { Layout } from '../components/Layout.js';
import { MessagingPolicyGate } from '../components/MessagingPolicyGate.js';
import { api, isApiError, newId } from '../lib/api.js';
import { topicLabel } from '../lib/format.js';

/**
 * Start a conversation: choose a topic (it decides who answers and how soon), see when to expect an answer and
 * what to do if it is urgent, then write. The first message has a client id, so "send" again never duplicates it.
 */
export function NewThreadPage() {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const [topics, setTopics] = useState<string[] | null>(null);
  const [topic, setTopic] = useState<string | null>(null);
  const [expectations, setExpectations] = useState<Expectations | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Kept across retries: the thread once created, and the first message's id.
  const attempt = useRef<{ threadId: string | null; messageId: string }>({ threadId: null, messageId: newId() });

  useEffect(() => {
    api.call('organization.get').then(
      (org) => setTopics(org.topics),
      () => setProblem(t('app.errorGeneric')),
    );
  }, [t]);
  useEffect(() => {
    let current = true;
    api.call('messaging.expectations', { query: topic ? { topic } : {} }).then(
      (x) => current && setExpectations(x),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [topic, i18n.resolvedLanguage]); // the practice's texts come in the reader's language

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const subject = String(form.get('subject') ?? '').trim();
    const body = String(form.get('body') ?? '').trim();
    if (!topic) return setProblem(t('newThread.chooseTopic'));
    if (!subject) return setProblem(t('newThread.writeSubject'));
    if (!body) return setProblem(t('newThread.writeMessage'));
    setProblem(null);
    setBusy(true);
    try {
      const a = attempt.current;
      a.threadId ??= (await api.call('threads.create', { body: { subject, topic } })).id;
      try {
        await api.call('messages.create', { params: { threadId: a.threadId }, body: { id: a.messageId, body } });
      } catch (err) {
        // The text was changed after an attempt that did arrive: this is another message, with an id of its own.
        if (!isApiError(err, 409)) throw err;
        a.messageId = newId();
        await api.call('messages.create', { params: { threadId: a.threadId }, body: { id: a.messageId, body } });
      }
      navigate(`/messages/${a.threadId}`, { replace: true });
    } catch {
      setProblem(t('app.errorGeneric'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Layout title={t('newThread.title')}>
      <p>
        <Link to="/messages">{t('newThread.back')}</Link>
      </p>
      <h1 tabIndex={-1}>{t('newThread.title')}</h1>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      <MessagingPolicyGate>
        <form className="form" onSubmit={(e) => void submit(e)} aria-busy={busy}>
          <fieldset className="topics">
            <legend>{t('newThread.topicLegend')}</legend>
            {topics === null && <p>{t('app.loading')}</p>}
            {topics?.map((x) => (
              <div key={x} className="topic-option">
                <input type="radio" id={`topic-${x}`} name="topic" value={x} checked={topic === x} onChange={() => setTopic(x)} />
                <label htmlFor={`topic-${x}`}>{topicLabel(t, x)}</label>
              </div>
            ))}
          </fieldset>
          {expectations && <ExpectationNotice expectations={expectations} />}
          <div className="field">
            <label htmlFor="subject">{t('newThread.subject')}</label>
            <input id="subject" name="subject" maxLength={200} aria-describedby="subject-hint" autoComplete="off" />
            <p id="subject-hint" className="hint">
              {t('newThread.subjectHint')}
            </p>
          </div>
          <div className="field">
            <label htmlFor="body">{t('newThread.body')}</label>
            <textarea id="body" name="body" rows={6} maxLength={20000} />
          </div>
          <button type="submit" className="button button--wide" disabled={busy}>
            {busy ? t('newThread.sending') : t('newThread.send')}
          </button>
        </form>
      </MessagingPolicyGate>
    </Layout>
  );
}
