import { useEffect, useRef, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { Message } from '@haven/api';
import type { PendingMessage } from '../hooks/useThread.js';
import { formatWhen } from '../lib/format.js';
import { MessageActions } from './MessageActions.js';

interface Props {
  messages: Message[];
  pending: PendingMessage[];
  me: string;
  /** Staff see role names and internal notes; patients see "Care team". */
  staffView: boolean;
  onRetry(id: string): void;
  onEdit(messageId: string, body: string): Promise<void>;
  onRetract(messageId: string): Promise<void>;
  /** Staff: more tools under each message (reactions, mark clinically relevant). */
  extraActions?: (m: Message) => ReactNode;
}

/**
 * The history, oldest at the top and newest at the bottom. Every text is rendered as text (React escapes it; no
 * HTML is ever interpreted), so a message cannot inject markup or script. New messages are announced politely.
 */
export function MessageList({ messages, pending, me, staffView, onRetry, onEdit, onRetract, extraActions }: Props) {
  const { t, i18n } = useTranslation();
  const lng = i18n.resolvedLanguage ?? 'en';
  const end = useRef<HTMLDivElement>(null);
  const count = messages.length + pending.length;
  const newest = messages[messages.length - 1]?.id;
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, [newest, pending.length]);

  const sender = (m: Message): string => {
    if (m.senderId === me) return t('thread.you');
    if (m.senderRole === 'patient') return t('thread.patient');
    if (m.senderRole === 'system') return t('thread.system');
    if (!staffView) return t('thread.careTeam');
    if (m.senderRole === 'provider') return t('thread.roleProvider');
    if (m.senderRole === 'admin') return t('thread.roleAdmin');
    return t('thread.roleStaff');
  };
  const status = (m: Message): string => (m.receipts.some((r) => r.userId !== me && r.readAt) ? t('thread.read') : t('thread.sent'));

  return (
    <div role="log" aria-live="polite" aria-relevant="additions" aria-label={t('thread.history')}>
      <ol className="messages" data-count={count}>
        {messages.map((m) => (
          <li
            key={m.id}
            className={['message', m.senderId === me ? 'message--mine' : 'message--theirs', m.internal ? 'message--internal' : '', m.senderRole === 'system' ? 'message--system' : '', m.retracted ? 'message--retracted' : ''].join(' ')}
            data-testid="message"
            data-message-id={m.id}
            data-sender-role={m.senderRole}
          >
            <p className="message__meta">
              <span className="message__sender">{sender(m)}</span>
              <time dateTime={m.createdAt}>{formatWhen(m.createdAt, lng)}</time>
              {m.edited && <span className="message__edited">({t('thread.edited')})</span>}
            </p>
            {m.internal && <p className="message__note-label">{t('thread.internalNote')}</p>}
            {m.retracted && staffView && <p className="message__retracted-label">{t('thread.retractedForPatient')}</p>}
            {m.body === null ? <p className="message__body message__body--retracted">{t('thread.retracted')}</p> : <p className="message__body">{m.body}</p>}
            {m.senderId === me && !m.retracted && <p className="message__status">{status(m)}</p>}
            <MessageActions message={m} mine={m.senderId === me} staffView={staffView} onEdit={onEdit} onRetract={onRetract} />
            {extraActions?.(m)}
          </li>
        ))}
        {pending.map((p) => (
          <li key={p.id} className={['message', 'message--mine', 'message--pending', p.internal ? 'message--internal' : ''].join(' ')} data-testid="pending-message" data-status={p.status}>
            <p className="message__meta">
              <span className="message__sender">{t('thread.you')}</span>
            </p>
            {p.internal && <p className="message__note-label">{t('thread.internalNote')}</p>}
            <p className="message__body">{p.body}</p>
            {p.status === 'sending' ? (
              <p className="message__status">{t('thread.sending')}</p>
            ) : (
              <p className="message__status message__status--failed" role="alert">
                {t('thread.failed')}{' '}
                <button type="button" className="button button--small" onClick={() => onRetry(p.id)}>
                  {t('thread.retry')}
                </button>
              </p>
            )}
          </li>
        ))}
      </ol>
      <div ref={end} className="messages__end" />
    </div>
  );
}
