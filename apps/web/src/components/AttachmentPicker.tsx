import { useId, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { fileSize } from '../lib/format.js';

/** The server accepts at most this many files per message from one sender. */
export const MAX_FILES = 10;

/**
 * Choose files to send with the message (photos, documents): listed with their size, each removable before sending.
 * What the practice accepts is decided by the server (type read from the bytes, size limits); a refusal is shown on the
 * message, with a way to send it without that file.
 */
export function AttachmentPicker({ files, onChange }: { files: File[]; onChange(files: File[]): void }) {
  const { t, i18n } = useTranslation();
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const lng = i18n.resolvedLanguage ?? 'en';
  const full = files.length >= MAX_FILES;
  return (
    <div className="attachment-picker">
      {/* The input itself is hidden; the button opens it (a real button: focusable, named, large). */}
      <input
        ref={input}
        id={id}
        type="file"
        multiple
        hidden
        tabIndex={-1}
        aria-hidden="true"
        onChange={(e) => {
          const chosen = [...(e.target.files ?? [])];
          onChange([...files, ...chosen].slice(0, MAX_FILES));
          e.target.value = '';
        }}
      />
      <button type="button" className="button button--secondary button--small" disabled={full} onClick={() => input.current?.click()}>
        {t('attachments.add')}
      </button>
      {full && <p className="hint">{t('attachments.max', { count: MAX_FILES })}</p>}
      {files.length > 0 && (
        <ul className="attachment-picker__files" aria-label={t('attachments.chosen')}>
          {files.map((f, i) => (
            <li key={`${f.name}-${i}`}>
              <span>
                {f.name} ({fileSize(f.size, lng)})
              </span>
              <button type="button" className="button button--small button--secondary" onClick={() => onChange(files.filter((_, j) => j !== i))}>
                {t('attachments.remove', { name: f.name })}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
