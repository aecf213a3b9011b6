import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { OperationOutput } from '@haven/api';
import { api } from '../lib/api.js';
import { formatWhen } from '../lib/format.js';

type Version = OperationOutput<'messages.versions'>['items'][number];

/** Staff: every earlier text of an edited message (`messages.versions`), oldest first, read when asked for. */
export function MessageVersions({ threadId, messageId, version }: { threadId: string; messageId: string; version: number }) {
  const { t, i18n } = useTranslation();
  const lng = i18n.resolvedLanguage ?? 'en';
  const [items, setItems] = useState<Version[] | null>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    let cancelled = false;
    api.call('messages.versions', { params: { threadId, messageId } }).then(
      (r) => !cancelled && setItems([...r.items].sort((a, b) => a.version - b.version)),
      () => !cancelled && setFailed(true),
    );
    return () => {
      cancelled = true;
    };
  }, [threadId, messageId, version]);

  if (failed) return <p className="field-error">{t('app.errorGeneric')}</p>;
  if (!items) return <p className="hint">{t('app.loading')}</p>;
  return (
    <ol className="message-versions" aria-label={t('messageActions.versionsTitle')} data-testid="message-versions">
      {items.map((v) => (
        <li key={v.version}>
          <p className="message-versions__meta">
            {t('messageActions.versionLabel', { version: v.version })} · <time dateTime={v.createdAt}>{formatWhen(v.createdAt, lng)}</time>
          </p>
          <p className="message__body">{v.body}</p>
        </li>
      ))}
    </ol>
  );
}
