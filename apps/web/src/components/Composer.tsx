import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * Writes a message. Staff can switch it to an internal note: the whole composer changes colour and wording, so a
 * note is never sent to the patient by mistake (and the server never shows notes to patients anyway).
 */
export function Composer({ onSend, allowInternal = false }: { onSend(body: string, opts: { internal: boolean }): Promise<void>; allowInternal?: boolean }) {
  const { t } = useTranslation();
  const [body, setBody] = useState('');
  const [internal, setInternal] = useState(false);
  const [empty, setEmpty] = useState(false);
  const id = useId();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const text = body.trim();
    if (!text) {
      setEmpty(true);
      return;
    }
    setEmpty(false);
    setBody('');
    // The message shows at once (pending) and is retried from the history if it fails: nothing is lost here.
    void onSend(text, { internal });
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
      <label htmlFor={id} className="composer__label">
        {internal ? t('composer.placeholderInternal') : t('composer.label')}
      </label>
      <textarea
        id={id}
        value={body}
        rows={4}
        maxLength={20000}
        onChange={(e) => setBody(e.target.value)}
        aria-invalid={empty || undefined}
        aria-describedby={empty ? `${id}-error` : undefined}
      />
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
