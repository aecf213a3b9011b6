import { useTranslation } from 'react-i18next';
import type { CareContact } from '@haven/api';

/** Who answers while the patient's provider is away (thread.careContact: the covering colleague and whom they cover for). */
export function CoverageNotice({ contact }: { contact: CareContact | undefined }) {
  const { t } = useTranslation();
  if (!contact?.assignee || !contact.coveringFor) return null;
  return (
    <p className="coverage" data-testid="coverage">
      {t('patientSettings.covering', { name: contact.assignee.name, other: contact.coveringFor.name })}
    </p>
  );
}
