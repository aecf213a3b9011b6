import { useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useMentionInput } from './staff/mentions.js';
import { AttachmentPicker } from './AttachmentPicker.js';

/**
 * Writes a message. Staff can switch it to an internal note: the whole composer changes colour and wording, so a
 * note is never sent to the patient by mistake (and the server never shows notes to patients anyway).
 */
export function Composer({
  onSend,
  allowInternal = false,
  tools,
  mentions,
  onTyping,
}: {
  onSend(body: string, opts: { internal: boolean; mentions?: string[]; files?: File[] }): Promise<void>;
  /** Staff: @mentions of colleagues, in internal notes only ('internal') or in every message (an internal conversation). */
  mentions?: 'internal' | 'always';
  allowInternal?: boolean;
  /** You are typing (text in the box) or stopped (empty, sent); `internal`: writing a note. */
  onTyping?(typing: boolean, internal: boolean): void;
  /** Helpers above the text box (staff: templates), given a function that puts text into it for review. */
  tools?: (insert: (text: string, missing: string[]) => void) => ReactNode;
}) {
  const { t } = useTranslation();
  const [body, setBody] = useState('');
  const [missing, setMissing] = useState<string[]>([]);
  const box = useRef<HTMLTextAreaElement>(null);
  const insert = (text: string, unfilled: string[]) => {
    setBody((current) => (current.trim() ? `${current.trimEnd()}\n${text}` : text));
    setMissing(unfilled);
    setEmpty(false);
    box.current?.focus();
  };
  const [internal, setInternal] = useState(false);
  const [files, setFiles] = useState<File[]>([]);
  const [empty, setEmpty] = useState(false);
  const id = useId();
  const mention = useMentionInput(mentions === 'always' || (mentions === 'internal' && internal), body, setBody, box);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    // Files alone are fine: the message then says which files it carries (a message always has text in the record).
    const text = body.trim() || (files.length > 0 ? t('attachments.onlyFiles', { names: files.map((f) => f.name).join(', ') }) : '');
    if (!text) {
      setEmpty(true);
      return;
    }
    const sending = files;
    setEmpty(false);
    setBody('');
    setMissing([]);
    setFiles([]);
    onTyping?.(false, internal);
    // The message shows at once (pending) and is retried from the history if it fails: nothing is lost here.
    const mentioned = mention.ids(text);
    void onSend(text, { internal, ...(mentioned.length > 0 ? { mentions: mentioned } : {}), ...(sending.length > 0 ? { files: sending } : {}) });
  };

  return (
    <form className={internal ? 'composer composer--internal' : 'composer'} onSubmit={submit} data-testid="composer" data-internal={internal}>
      {allowInternal && (
        <div className="composer__mode">
          <input id={`${id}-internal`} type="checkbox" className="switch" role="switch" checked={internal} onChange={(e) => setInternal(e.target.checked)} aria-describedby={`${id}-hint`} />
          <label htmlFor={`${id}-internal`}>{t('composer.internalToggle')}</label>
          <p id={`${id}-hint`} className="hint">
            {t('composer.internalHint')}
          </p>
        </div>
      )}
      {tools?.(insert)}
      <label htmlFor={id} className="composer__label">
        {internal ? t('composer.placeholderInternal') : t('composer.label')}
      </label>
      <textarea
        id={id}
        ref={box}
        value={body}
        rows={4}
        maxLength={20000}
        onChange={(e) => {
          setBody(e.target.value);
          onTyping?.(e.target.value.trim().length > 0, internal);
        }}
        {...mention.inputProps}
        aria-invalid={empty || undefined}
        aria-describedby={[empty ? `${id}-error` : '', missing.length > 0 ? `${id}-missing` : ''].join(' ').trim() || undefined}
      />
      {mention.list}
      {missing.length > 0 && (
        <p id={`${id}-missing`} className="composer__missing" role="status">
          {t('templates.missing', { variables: missing.join(', ') })}
        </p>
      )}
      <AttachmentPicker files={files} onChange={setFiles} />
      {empty && (
        <p id={`${id}-error`} className="field-error" role="alert">
          {t('composer.empty')}
        </p>
      )}
      <button type="submit" className={internal ? 'button button--internal' : 'button'}>
        {internal ? t('composer.sendInternal') : t('composer.send')}
      </button>
    </form>
  );
}
