import { useTranslation } from 'react-i18next';
import type { Message } from '@haven/api';
import { fileSize } from '../lib/format.js';

/** Where an attachment's bytes are: ids only in the URL; the session cookie authorizes it (same origin). */
const attachmentUrl = (m: Message, attachmentId: string, variant: 'content' | 'preview') =>
  `/api/v1/threads/${m.threadId}/messages/${m.id}/attachments/${attachmentId}/${variant}`;

/**
 * A message's files: a small preview for images (made by the server, metadata removed), a download link for each
 * (the server answers it as a download, never shown inside the app), or why it cannot be opened yet.
 */
export function MessageAttachments({ message }: { message: Message }) {
  const { t, i18n } = useTranslation();
  if (message.attachments.length === 0) return null;
  const lng = i18n.resolvedLanguage ?? 'en';
  return (
    <ul className="attachments" aria-label={t('attachments.listLabel')}>
      {message.attachments.map((a) => (
        <li key={a.id} className="attachment" data-testid="attachment">
          {a.status === 'ready' ? (
            <>
              {a.hasPreview && <img className="attachment__preview" src={attachmentUrl(message, a.id, 'preview')} alt={t('attachments.previewOf', { name: a.fileName })} loading="lazy" />}
              <a className="attachment__link" href={attachmentUrl(message, a.id, 'content')} download={a.fileName}>
                {t('attachments.download', { name: a.fileName, size: fileSize(a.size, lng) })}
              </a>
            </>
          ) : (
            <span className="attachment__status">{a.status === 'pending_scan' ? t('attachments.scanning', { name: a.fileName }) : t('attachments.rejected', { name: a.fileName })}</span>
          )}
        </li>
      ))}
    </ul>
  );
}
