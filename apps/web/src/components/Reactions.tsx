import { useEffect, useId, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { Message, ReactionSummary } from '@haven/api';
import { api } from '../lib/api.js';

const QUICK = ['👍', '❤️', '✅', '👀', '🙏'];

/**
 * Emoji reactions under a message, for patients and staff: each emoji with its count (yours pressed; press to add
 * or take back yours), "React" to choose one; live through `message.reaction`. `children` go at the end of the row
 * (staff: "Mark as clinically relevant").
 */
export function Reactions({ message, me, children }: { message: Message; me: string; children?: ReactNode }) {
  const { t } = useTranslation();
  const id = useId();
  const [reactions, setReactions] = useState<ReactionSummary[]>(message.reactions);
  useEffect(() => setReactions(message.reactions), [message.reactions]);
  const [picking, setPicking] = useState(false);
  const [failed, setFailed] = useState(false);

  const toggle = async (emoji: string) => {
    const mine = reactions.find((r) => r.emoji === emoji)?.userIds.includes(me) ?? false;
    setFailed(false);
    try {
      const params = { threadId: message.threadId, messageId: message.id, emoji };
      const r = mine ? await api.call('reactions.remove', { params }) : await api.call('reactions.add', { params });
      setReactions(r.reactions);
      setPicking(false);
    } catch {
      setFailed(true);
    }
  };

  return (
    <>
      <div className="reactions" role="group" aria-label={t('reactions.label')}>
        {reactions.map((r) => {
          const mine = r.userIds.includes(me);
          return (
            <button
              key={r.emoji}
              type="button"
              className={mine ? 'reaction reaction--mine' : 'reaction'}
              aria-pressed={mine}
              aria-label={t(mine ? 'reactions.countMine' : 'reactions.count', { emoji: r.emoji, count: r.count })}
              onClick={() => void toggle(r.emoji)}
              data-emoji={r.emoji}
            >
              <span aria-hidden="true">
                {r.emoji} {r.count}
              </span>
            </button>
          );
        })}
        <button type="button" className="button button--small button--secondary" aria-expanded={picking} aria-controls={`${id}-emoji`} onClick={() => setPicking((p) => !p)}>
          {t('reactions.add')}
        </button>
        {children}
      </div>
      {picking && (
        <div id={`${id}-emoji`} className="reaction-picker" role="group" aria-label={t('reactions.choose')}>
          {QUICK.map((emoji) => (
            <button key={emoji} type="button" className="reaction" aria-label={t('reactions.reactWith', { emoji })} onClick={() => void toggle(emoji)} data-emoji={emoji}>
              <span aria-hidden="true">{emoji}</span>
            </button>
          ))}
        </div>
      )}
      {failed && (
        <p className="field-error" role="alert">
          {t('app.errorGeneric')}
        </p>
      )}
    </>
  );
}
