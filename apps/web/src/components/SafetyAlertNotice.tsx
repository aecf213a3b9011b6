import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';

/**
 * Staff: a patient's message matched crisis language and you are paged (`safety.alert`: a thread id, never text).
 * Stays until opened or dismissed; announced at once.
 */
export function SafetyAlertNotice({ threadIds, onDismiss }: { threadIds: string[]; onDismiss(threadId: string): void }) {
  const { t } = useTranslation();
  if (threadIds.length === 0) return null;
  return (
    <div className="safety-alert" role="alert" data-testid="safety-alert">
      <p className="safety-alert__title">{t('safety.alertTitle')}</p>
      <ul>
        {threadIds.map((id) => (
          <li key={id} className="safety-alert__item">
            <Link to={`/staff/threads/${id}`} className="button button--danger">
              {t('safety.open')}
            </Link>
            <button type="button" className="button button--small button--secondary" onClick={() => onDismiss(id)}>
              {t('safety.dismiss')}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
