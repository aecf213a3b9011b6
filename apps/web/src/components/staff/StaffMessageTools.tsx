import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Message } from '@haven/api';
import { api, newId } from '../../lib/api.js';
import { ApiProblem } from './ApiProblem.js';
import { Reactions } from '../Reactions.js';
import '../../styles/staff.css';

/**
 * Staff, under one message: emoji reactions (the shared Reactions) and "Mark as
 * clinically relevant" (the whole message or an exact excerpt, with an optional comment: a chart note).
 */
export function StaffMessageTools({ message, me, patientThread }: { message: Message; me: string; patientThread: boolean }) {
  const { t } = useTranslation();
  const id = useId();
  const [marking, setMarking] = useState(false);
  const [excerpt, setExcerpt] = useState('');
  const [comment, setComment] = useState('');
  const [noteId, setNoteId] = useState(newId);
  const [markError, setMarkError] = useState<unknown>(null);
  const [marked, setMarked] = useState(false);
  const [busy, setBusy] = useState(false);
  if (message.retracted || message.body === null) return null;

  const openMark = () => {
    // Text selected inside this message becomes the excerpt (it can still be changed).
    const selected = window.getSelection()?.toString().trim() ?? '';
    setExcerpt(selected && message.body?.includes(selected) ? selected : '');
    setMarking(true);
    setMarked(false);
  };

  const mark = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setMarkError(null);
    try {
      await api.call('chartNotes.create', {
        params: { threadId: message.threadId, messageId: message.id },
        body: { id: noteId, ...(excerpt.trim() ? { excerpt: excerpt.trim() } : {}), ...(comment.trim() ? { comment: comment.trim() } : {}) },
      });
      setMarking(false);
      setMarked(true);
      setExcerpt('');
      setComment('');
      setNoteId(newId());
    } catch (err) {
      setMarkError(err);
    } finally {
      setBusy(false);
    }
  };

  const canMark = patientThread && !message.internal && message.senderRole !== 'system';
  return (
    <div className="message-tools" data-testid="message-tools">
      <Reactions message={message} me={me}>
        {canMark && !marking && (
          <button type="button" className="button button--small button--secondary" onClick={openMark}>
            {t('staffThread.chart.mark')}
          </button>
        )}
      </Reactions>
      {marked && (
        <p className="workflow__done" role="status">
          {t('staffThread.chart.marked')}
        </p>
      )}
      {marking && (
        <form className="mark-form" onSubmit={(e) => void mark(e)} aria-label={t('staffThread.chart.mark')}>
          <label htmlFor={`${id}-excerpt`}>{t('staffThread.chart.excerpt')}</label>
          <textarea id={`${id}-excerpt`} rows={2} value={excerpt} maxLength={20000} onChange={(e) => setExcerpt(e.target.value)} aria-describedby={`${id}-excerpt-hint ${id}-excerpt-error`} />
          <p id={`${id}-excerpt-hint`} className="hint">
            {t('staffThread.chart.excerptHint')}
          </p>
          <div id={`${id}-excerpt-error`}>
            <ApiProblem error={markError} field="excerpt" />
          </div>
          <label htmlFor={`${id}-comment`}>{t('staffThread.chart.commentLabel')}</label>
          <input id={`${id}-comment`} value={comment} maxLength={2000} onChange={(e) => setComment(e.target.value)} aria-describedby={`${id}-comment-hint ${id}-comment-error`} />
          <p id={`${id}-comment-hint`} className="hint">
            {t('staffThread.chart.commentHint')}
          </p>
          <div id={`${id}-comment-error`}>
            <ApiProblem error={markError} field="comment" />
          </div>
          <ApiProblem error={markError} />
          <div className="button-row">
            <button type="submit" className="button button--small" disabled={busy}>
              {t('staffThread.chart.save')}
            </button>
            <button type="button" className="button button--small button--secondary" onClick={() => setMarking(false)}>
              {t('staffThread.cancel')}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
