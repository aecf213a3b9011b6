import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Message } from '@haven/api';
import { MessageEditForm } from './MessageEditForm.js';
import { MessageVersions } from './MessageVersions.js';

interface Props {
  message: Message;
  mine: boolean;
  staffView: boolean;
  onEdit(messageId: string, body: string): Promise<void>;
  onRetract(messageId: string): Promise<void>;
}

/**
 * What can be done with one message: edit your own (patient or staff), retract your own (staff; the patient no
 * longer sees it), and, for staff, read the earlier texts of an edited message. Retracting asks first, in the page.
 */
export function MessageActions({ message, mine, staffView, onEdit, onRetract }: Props) {
  const { t } = useTranslation();
  const [mode, setMode] = useState<'idle' | 'editing' | 'confirmRetract'>('idle');
  const [showVersions, setShowVersions] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  const canChange = mine && !message.retracted && message.body !== null;

  if (mode === 'editing' && canChange) {
    return (
      <MessageEditForm
        initial={message.body ?? ''}
        onCancel={() => setMode('idle')}
        onSave={async (body) => {
          await onEdit(message.id, body);
          setMode('idle');
        }}
      />
    );
  }

  const retract = async () => {
    setBusy(true);
    setFailed(false);
    try {
      await onRetract(message.id);
      setMode('idle');
    } catch {
      setFailed(true);
    } finally {
      setBusy(false);
    }
  };

  const versions = staffView && message.edited;
  if (!canChange && !versions) return null;
  return (
    <div className="message-actions-area">
      {mode === 'confirmRetract' ? (
        <div className="retract-confirm" role="group" aria-label={t('messageActions.retract')}>
          <p>{t('messageActions.retractConfirm')}</p>
          {failed && (
            <p className="field-error" role="alert">
              {t('app.errorGeneric')}
            </p>
          )}
          <div className="message-actions">
            <button type="button" className="button button--small button--danger" disabled={busy} onClick={() => void retract()}>
              {t('messageActions.retractYes')}
            </button>
            <button type="button" className="button button--small button--secondary" disabled={busy} onClick={() => setMode('idle')}>
              {t('messageActions.cancel')}
            </button>
          </div>
        </div>
      ) : (
        <div className="message-actions">
          {canChange && (
            <button type="button" className="button button--small button--secondary" onClick={() => setMode('editing')}>
              {t('messageActions.edit')}
            </button>
          )}
          {canChange && staffView && (
            <button type="button" className="button button--small button--secondary" onClick={() => setMode('confirmRetract')}>
              {t('messageActions.retract')}
            </button>
          )}
          {versions && (
            <button type="button" className="button button--small button--secondary" aria-expanded={showVersions} onClick={() => setShowVersions((v) => !v)}>
              {showVersions ? t('messageActions.hideVersions') : t('messageActions.showVersions')}
            </button>
          )}
        </div>
      )}
      {versions && showVersions && <MessageVersions threadId={message.threadId} messageId={message.id} version={message.version} />}
    </div>
  );
}
