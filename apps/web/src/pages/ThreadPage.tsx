import { useCallback, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import type { Message, OperationOutput } from '@haven/api';
import { Composer } from '../components/Composer.js';
import { CoverageNotice } from '../components/CoverageNotice.js';
import { ExpectationNotice, type Expectations } from '../components/ExpectationNotice.js';
import { Layout } from '../components/Layout.js';
import { MessageList } from '../components/MessageList.js';
import { LazyStaffContextPanel, LazyStaffMessageTools, LazyStaffShortcuts } from '../components/staff/lazy.js';
import { MessagingPolicyGate } from '../components/MessagingPolicyGate.js';
import { TemplatePicker } from '../components/TemplatePicker.js';
import { isStaff, useSession } from '../hooks/useSession.js';
import { useThread } from '../hooks/useThread.js';
import { useTypingIndicator, useTypingSender } from '../hooks/useTyping.js';
import { api } from '../lib/api.js';
import { topicLabel } from '../lib/format.js';

/**
 * One conversation, for the patient or for staff: history (newest at the bottom, older pages on request), live
 * replies and edits, and the composer. Staff also get the workflow actions (assign to me, close) and internal notes.
 */
export function ThreadPage() {
  const { threadId = '' } = useParams();
  const { t, i18n } = useTranslation();
  const { session } = useSession();
  const me = session?.user.id ?? '';
  const staff = isStaff(session);
  const th = useThread(threadId, me);
  const [expectations, setExpectations] = useState<Expectations | null>(null);
  const [patient, setPatient] = useState<OperationOutput<'patients.get'> | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState(false);

  useEffect(() => {
    if (staff) return;
    api.call('messaging.expectations', { query: { threadId } }).then(setExpectations, () => undefined);
  }, [threadId, staff, i18n.resolvedLanguage]); // the practice's texts come in the reader's language
  // Staff tools under each message; stable between renders, so the history's memoized rows are not all redrawn.
  const patientThread = th.thread?.kind === 'patient';
  const staffTools = useCallback((m: Message) => <LazyStaffMessageTools message={m} me={me} patientThread={patientThread} />, [me, patientThread]);
  // Typing: yours goes to the others in the thread; theirs shows above the composer.
  const sendTyping = useTypingSender(threadId);
  const typers = useTypingIndicator(threadId, me);
  const typingText =
    typers.length === 0 ? '' : !staff ? t('thread.typingCareTeam') : typers.includes(th.thread?.patientId ?? '') ? t('thread.typingPatient') : t('thread.typingColleague');
  const patientId = th.thread?.patientId;
  useEffect(() => {
    if (!staff || !patientId) return;
    api.call('patients.get', { params: { id: patientId } }).then(setPatient, () => undefined);
  }, [staff, patientId]);

  const act = async (op: 'threads.claim' | 'threads.close' | 'threads.reopen') => {
    setBusy(true);
    setActionError(false);
    try {
      if (op === 'threads.reopen') await api.call(op, { params: { threadId } });
      else await api.call(op, { params: { threadId }, body: {} });
      await th.refreshThread();
    } catch {
      setActionError(true);
    } finally {
      setBusy(false);
    }
  };

  const workflow = th.thread?.workflow;
  const title = th.thread?.subject ?? t('app.loading');
  return (
    <Layout title={title}>
      <p>
        <Link to={staff ? '/staff/inbox' : '/messages'}>{staff ? t('thread.backInbox') : t('thread.back')}</Link>
      </p>
      {staff && <LazyStaffShortcuts scope="thread" threadId={threadId} />}
      {th.error !== null && (
        <p className="form-error" role="alert">
          {t('app.errorGeneric')}
        </p>
      )}
      <div className={staff ? 'thread-layout thread-layout--staff' : 'thread-layout'}>
        <div className="thread-main">
          <h1 tabIndex={-1}>{title}</h1>
          {th.thread && <p className="thread-topic">{t('threads.topic', { topic: topicLabel(t, th.thread.topic) })}</p>}
          {!staff && th.thread?.careContact?.assignee && <p>{t('thread.answeredBy', { name: th.thread.careContact.assignee.name })}</p>}
          {!staff && <CoverageNotice contact={th.thread?.careContact} />}
          {th.hasOlder ? (
            <button type="button" className="button button--secondary" onClick={() => void th.loadOlder()} disabled={th.loadingOlder}>
              {th.loadingOlder ? t('thread.loadingOlder') : t('thread.loadOlder')}
            </button>
          ) : (
            th.thread && <p className="hint">{t('thread.noOlder')}</p>
          )}
          <MessageList
            messages={th.messages}
            pending={th.pending}
            me={me}
            staffView={staff}
            hasOlder={th.hasOlder}
            loadingOlder={th.loadingOlder}
            onLoadOlder={() => void th.loadOlder()}
            onRetry={(id) => void th.retry(id)}
            onDropFile={(id) => void th.dropRefusedFile(id)}
            onEdit={th.edit}
            onRetract={th.retract}
            extraActions={staff ? staffTools : undefined}
          />
          <p className="typing-indicator" role="status" data-testid="typing">
            {typingText}
          </p>
          {!staff && expectations && <ExpectationNotice expectations={expectations} />}
          <MessagingPolicyGate skip={staff}>
            <Composer
              onSend={(body, opts) => th.send(body, opts)}
              onTyping={sendTyping}
              allowInternal={staff && th.thread?.kind !== 'internal'}
              mentions={staff ? (th.thread?.kind === 'internal' ? 'always' : 'internal') : undefined}
              tools={staff && th.thread ? (insert) => <TemplatePicker threadId={threadId} topic={th.thread!.topic} onInsert={insert} /> : undefined}
            />
          </MessagingPolicyGate>
        </div>
        {staff && th.thread && (
          <aside className="thread-side" aria-label={t('staffThread.details')}>
            {patient && <p className="thread-side__patient">{t('staffThread.patient', { name: patient.name })}</p>}
            {workflow && (
              <>
                <p data-testid="thread-state">{t('staffThread.state', { state: t(`inbox.state.${workflow.state}`) })}</p>
                {workflow.priority === 'urgent' && <p className="badge badge--urgent">{t('inbox.urgent')}</p>}
                {actionError && (
                  <p className="form-error" role="alert">
                    {t('app.errorGeneric')}
                  </p>
                )}
                {workflow.state === 'closed' ? (
                  <>
                    <p>{t('staffThread.closed')}</p>
                    <button type="button" className="button button--secondary" disabled={busy} onClick={() => void act('threads.reopen')}>
                      {t('staffThread.reopen')}
                    </button>
                  </>
                ) : (
                  <div className="thread-side__actions">
                    {workflow.assigneeId === me ? (
                      <p>{t('staffThread.assignedToYou')}</p>
                    ) : (
                      <button type="button" className="button" disabled={busy} onClick={() => void act('threads.claim')}>
                        {t('staffThread.assignToMe')}
                      </button>
                    )}
                    <button type="button" className="button button--secondary" disabled={busy} onClick={() => void act('threads.close')}>
                      {t('staffThread.close')}
                    </button>
                  </div>
                )}
              </>
            )}
            <LazyStaffContextPanel thread={th.thread} me={me} />
          </aside>
        )}
      </div>
    </Layout>
  );
}
