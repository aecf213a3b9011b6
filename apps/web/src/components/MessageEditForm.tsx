import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';

/** Changes the text of one of your messages in place; the other side sees the new text live, marked "edited". */
export function MessageEditForm({ initial, onSave, onCancel }: { initial: string; onSave(body: string): Promise<void>; onCancel(): void }) {
  const { t } = useTranslation();
  const id = useId();
  const [body, setBody] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<'empty' | 'failed' | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const text = body.trim();
    if (!text) return setProblem('empty');
    if (text === initial) return onCancel();
    setBusy(true);
    setProblem(null);
    try {
      await onSave(text);
    } catch {
      setProblem('failed');
      setBusy(false);
    }
  };

  return (
    <form className="message-edit" onSubmit={(e) => void submit(e)} data-testid="message-edit">
      <label htmlFor={id}>{t('messageActions.editLabel')}</label>
      <textarea id={id} value={body} rows={3} maxLength={20000} onChange={(e) => setBody(e.target.value)} aria-invalid={problem === 'empty' || undefined} aria-describedby={problem ? `${id}-error` : undefined} />
      {problem && (
        <p id={`${id}-error`} className="field-error" role="alert">
          {problem === 'empty' ? t('composer.empty') : t('app.errorGeneric')}
        </p>
      )}
      <div className="message-actions">
        <button type="submit" className="button button--small" disabled={busy}>
          {busy ? t('messageActions.saving') : t('messageActions.save')}
        </button>
        <button type="button" className="button button--small button--secondary" onClick={onCancel} disabled={busy}>
          {t('messageActions.cancel')}
        </button>
      </div>
    </form>
  );
}
