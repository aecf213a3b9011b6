import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Thread } from '@haven/api';
import { api, newId } from '../../lib/api.js';
import { ApiProblem } from './ApiProblem.js';
import { nameOf, type Colleague } from './colleagues.js';

/**
 * Who has the conversation and how urgent it is, and the actions: hand it to a colleague (a reason is needed to
 * take it from someone else), escalate to a provider with a note that carries the context (an internal note that
 * mentions them), mark it urgent or routine. The thread's new state arrives live (thread.updated).
 */
export function WorkflowControls({ thread, me, colleagues }: { thread: Thread; me: string; colleagues: Colleague[] | null }) {
  const { t } = useTranslation();
  const id = useId();
  const workflow = thread.workflow;
  const [assignee, setAssignee] = useState('');
  const [reason, setReason] = useState('');
  const [assignError, setAssignError] = useState<unknown>(null);
  const [provider, setProvider] = useState('');
  const [note, setNote] = useState('');
  const [urgent, setUrgent] = useState(false);
  const [escalateError, setEscalateError] = useState<unknown>(null);
  const [noteId, setNoteId] = useState(newId);
  const [priorityError, setPriorityError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState('');
  if (!workflow) return null;

  const run = async (what: () => Promise<unknown>, setError: (e: unknown) => void, message: string): Promise<boolean> => {
    setBusy(true);
    // A new action: earlier refusals no longer apply.
    setAssignError(null);
    setEscalateError(null);
    setPriorityError(null);
    setError(null);
    setDone('');
    try {
      await what();
      setDone(message);
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const assign = async (e: FormEvent) => {
    e.preventDefault();
    const target = assignee === 'queue' ? null : assignee;
    if (assignee === '') return setAssignError(new Error('choose'));
    const ok = await run(
      () => api.call('threads.assign', { params: { threadId: thread.id }, body: { assigneeId: target, ...(reason.trim() ? { reason: reason.trim() } : {}) } }),
      setAssignError,
      target ? t('staffThread.workflow.assignedTo', { name: nameOf(colleagues, target, t('staffThread.colleague')) }) : t('staffThread.workflow.returned'),
    );
    if (ok) {
      setAssignee('');
      setReason('');
    }
  };

  const escalate = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await run(
      // The same note id on a retry: the server never adds the note twice.
      () => api.call('threads.escalate', { params: { threadId: thread.id }, body: { providerId: provider, note: note.trim(), noteId, ...(urgent ? { urgent: true } : {}) } }),
      setEscalateError,
      t('staffThread.workflow.escalated', { name: nameOf(colleagues, provider, t('staffThread.colleague')) }),
    );
    if (ok) {
      setProvider('');
      setNote('');
      setUrgent(false);
      setNoteId(newId());
    }
  };

  const urgentNow = workflow.priority === 'urgent';
  const togglePriority = () =>
    void run(
      () => api.call('threads.priority', { params: { threadId: thread.id }, body: { priority: urgentNow ? 'routine' : 'urgent' } }),
      setPriorityError,
      urgentNow ? t('staffThread.workflow.nowRoutine') : t('staffThread.workflow.nowUrgent'),
    );

  const others = colleagues?.filter((c) => c.id !== workflow.assigneeId) ?? [];
  const providers = colleagues?.filter((c) => c.role === 'provider') ?? [];
  const assigneeMissing = assignError instanceof Error && !('status' in assignError);
  return (
    <div className="workflow" data-testid="workflow-controls">
      <p data-testid="assignee">
        {workflow.assigneeId
          ? t('staffThread.workflow.assignee', { name: workflow.assigneeId === me ? t('staffThread.workflow.you') : nameOf(colleagues, workflow.assigneeId, t('staffThread.colleague')) })
          : t('staffThread.workflow.unassigned')}
      </p>
      <p data-testid="priority">{t('staffThread.workflow.priority', { priority: urgentNow ? t('staffThread.workflow.urgent') : t('staffThread.workflow.routine') })}</p>
      <p className="visually-hidden" role="status">
        {done}
      </p>
      {done && <p className="workflow__done">{done}</p>}
      {workflow.state !== 'closed' && (
        <>
          <button type="button" className="button button--secondary" disabled={busy} onClick={togglePriority}>
            {urgentNow ? t('staffThread.workflow.markRoutine') : t('staffThread.workflow.markUrgent')}
          </button>
          <ApiProblem error={priorityError} />

          <details className="workflow__section">
            <summary>{t('staffThread.workflow.reassign')}</summary>
            <form onSubmit={(e) => void assign(e)} noValidate>
              <label htmlFor={`${id}-assignee`}>{t('staffThread.workflow.assignTo')}</label>
              <select id={`${id}-assignee`} value={assignee} onChange={(e) => setAssignee(e.target.value)} aria-invalid={assigneeMissing || undefined} aria-describedby={`${id}-assignee-error`}>
                <option value="">{t('staffThread.workflow.choose')}</option>
                {others.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.id === me ? t('staffThread.workflow.meOption', { name: c.name }) : c.name}
                  </option>
                ))}
                {workflow.assigneeId && <option value="queue">{t('staffThread.workflow.backToQueue')}</option>}
              </select>
              <div id={`${id}-assignee-error`}>
                {assigneeMissing && (
                  <p className="field-error" role="alert">
                    {t('staffThread.workflow.chooseSomeone')}
                  </p>
                )}
                <ApiProblem error={assignError} field="assigneeId" />
              </div>
              <label htmlFor={`${id}-reason`}>{t('staffThread.workflow.reason')}</label>
              <input id={`${id}-reason`} value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} aria-describedby={`${id}-reason-hint ${id}-reason-error`} />
              <p id={`${id}-reason-hint`} className="hint">
                {t('staffThread.workflow.reasonHint')}
              </p>
              <div id={`${id}-reason-error`}>
                <ApiProblem error={assignError} field="reason" />
              </div>
              {!assigneeMissing && <ApiProblem error={assignError} />}
              <button type="submit" className="button" disabled={busy}>
                {t('staffThread.workflow.assign')}
              </button>
            </form>
          </details>

          <details className="workflow__section">
            <summary>{t('staffThread.workflow.escalate')}</summary>
            <form onSubmit={(e) => void escalate(e)} noValidate>
              <label htmlFor={`${id}-provider`}>{t('staffThread.workflow.provider')}</label>
              <select id={`${id}-provider`} value={provider} onChange={(e) => setProvider(e.target.value)} aria-describedby={`${id}-provider-error`}>
                <option value="">{t('staffThread.workflow.choose')}</option>
                {providers.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
              <div id={`${id}-provider-error`}>
                <ApiProblem error={escalateError} field="providerId" />
              </div>
              <label htmlFor={`${id}-note`}>{t('staffThread.workflow.note')}</label>
              <textarea id={`${id}-note`} rows={3} value={note} maxLength={5000} onChange={(e) => setNote(e.target.value)} aria-describedby={`${id}-note-hint ${id}-note-error`} />
              <p id={`${id}-note-hint`} className="hint">
                {t('staffThread.workflow.noteHint')}
              </p>
              <div id={`${id}-note-error`}>
                <ApiProblem error={escalateError} field="note" />
              </div>
              <div className="checkbox-row">
                <input id={`${id}-urgent`} type="checkbox" checked={urgent} onChange={(e) => setUrgent(e.target.checked)} />
                <label htmlFor={`${id}-urgent`}>{t('staffThread.workflow.escalateUrgent')}</label>
              </div>
              <ApiProblem error={escalateError} />
              <button type="submit" className="button" disabled={busy}>
                {t('staffThread.workflow.escalateButton')}
              </button>
            </form>
          </details>
        </>
      )}
    </div>
  );
}
