import { memo, type ReactNode, type Ref } from 'react';
import { useTranslation } from 'react-i18next';
import type { Message } from '@haven/api';
import type { PendingMessage } from '../hooks/useThread.js';
import { formatWhen } from '../lib/format.js';
import { MessageActions } from './MessageActions.js';
import { MessageAttachments } from './MessageAttachments.js';
import { Reactions } from './Reactions.js';

export type Row = { kind: 'message'; message: Message } | { kind: 'pending'; pending: PendingMessage };
/** Why the server refused a file, as a key of `attachments.refused` (an unknown code reads as "not accepted"). */
const refusalKey = (code: string): 'tooLarge' | 'tooMany' | 'type' | 'unreadable' =>
  code === 'payload_too_large' || code === 'attachment_too_large' ? 'tooLarge' : code === 'attachment_limit_reached' ? 'tooMany' : code === 'attachment_unprocessable' ? 'unreadable' : 'type';

export const rowId = (r: Row): string => (r.kind === 'message' ? r.message.id : r.pending.id);

interface Props {
  row: Row;
  index: number;
  /** Offset from the top of the history, in pixels (the list is virtualized). */
  start: number;
  measure: Ref<HTMLLIElement>;
  me: string;
  staffView: boolean;
  onRetry(id: string): void;
  /** A pending message whose file the server refused: send it without that file. */
  onDropFile(id: string): void;
  onEdit(messageId: string, body: string): Promise<void>;
  onRetract(messageId: string): Promise<void>;
  /** Staff: more tools under the message (reactions, mark clinically relevant). */
  extraActions?: ((m: Message) => ReactNode) | undefined;
}

/**
 * One row of the history: a message (sender, time, "edited", the text, your message's status, its actions) or one of
 * yours the server has not confirmed yet. Text is rendered as text (React escapes it; no HTML is interpreted).
 * Memoized: scrolling re-renders only rows that arrive or move.
 */
export const MessageRow = memo(function MessageRow({ row, index, start, measure, me, staffView, onRetry, onDropFile, onEdit, onRetract, extraActions }: Props) {
  const { t, i18n } = useTranslation();
  const common = { ref: measure, 'data-index': index, 'data-row-id': rowId(row), style: { transform: `translateY(${start}px)` } };

  if (row.kind === 'pending') {
    const p = row.pending;
    return (
      <li {...common} className={['message', 'message--mine', 'message--pending', p.internal ? 'message--internal' : ''].join(' ')} data-testid="pending-message" data-status={p.status}>
        <p className="message__meta">
          <span className="message__sender">{t('thread.you')}</span>
        </p>
        {p.internal && <p className="message__note-label">{t('thread.internalNote')}</p>}
        <p className="message__body">{p.body}</p>
        {p.files && p.files.length > 0 && (
          <ul className="attachments" aria-label={t('attachments.listLabel')}>
            {p.files.map((f, i) => (
              <li key={`${f.name}-${i}`} className="attachment">
                {f.name}
              </li>
            ))}
          </ul>
        )}
        {p.status === 'sending' ? (
          <p className="message__status">{p.files?.length ? t('attachments.uploading', { done: p.uploaded ?? 0, count: p.files.length }) : t('thread.sending')}</p>
        ) : p.refused && p.files?.[p.refused.index] ? (
          <p className="message__status message__status--failed" role="alert">
            {t(`attachments.refused.${refusalKey(p.refused.code)}`, { name: p.files[p.refused.index]!.name })}{' '}
            <button type="button" className="button button--small" onClick={() => onDropFile(p.id)}>
              {t('attachments.sendWithout', { name: p.files[p.refused.index]!.name })}
            </button>
          </p>
        ) : (
          <p className="message__status message__status--failed" role="alert">
            {t('thread.failed')}{' '}
            <button type="button" className="button button--small" onClick={() => onRetry(p.id)}>
              {t('thread.retry')}
            </button>
          </p>
        )}
      </li>
    );
  }

  const m = row.message;
  const mine = m.senderId === me;
  const sender = (): string => {
    if (mine) return t('thread.you');
    if (m.senderRole === 'patient') return t('thread.patient');
    if (m.senderRole === 'system') return t('thread.system');
    if (!staffView) return t('thread.careTeam');
    if (m.senderRole === 'provider') return t('thread.roleProvider');
    if (m.senderRole === 'admin') return t('thread.roleAdmin');
    return t('thread.roleStaff');
  };
  const status = m.receipts.some((r) => r.userId !== me && r.readAt) ? t('thread.read') : t('thread.sent');
  const className = ['message', mine ? 'message--mine' : 'message--theirs', m.internal ? 'message--internal' : '', m.senderRole === 'system' ? 'message--system' : '', m.retracted ? 'message--retracted' : ''].join(' ');
  return (
    <li {...common} className={className} data-testid="message" data-message-id={m.id} data-sender-role={m.senderRole}>
      <p className="message__meta">
        <span className="message__sender">{sender()}</span>
        <time dateTime={m.createdAt}>{formatWhen(m.createdAt, i18n.resolvedLanguage ?? 'en')}</time>
        {m.edited && <span className="message__edited">({t('thread.edited')})</span>}
      </p>
      {m.internal && <p className="message__note-label">{t('thread.internalNote')}</p>}
      {m.retracted && staffView && <p className="message__retracted-label">{t('thread.retractedForPatient')}</p>}
      {m.body === null ? <p className="message__body message__body--retracted">{t('thread.retracted')}</p> : <p className="message__body">{m.body}</p>}
      <MessageAttachments message={m} />
      {mine && !m.retracted && <p className="message__status">{status}</p>}
      <MessageActions message={m} mine={mine} staffView={staffView} onEdit={onEdit} onRetract={onRetract} />
      {/* Patients react here; staff get reactions with their other tools (extraActions). */}
      {!staffView && !m.retracted && m.body !== null && <Reactions message={m} me={me} />}
      {extraActions?.(m)}
    </li>
  );
});
