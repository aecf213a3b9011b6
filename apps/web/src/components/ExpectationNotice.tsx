import { useTranslation } from 'react-i18next';
import type { OperationOutput } from '@haven/api';
import { formatWhen } from '../lib/format.js';

export type Expectations = OperationOutput<'messaging.expectations'>;

/** What the patient can expect before they send: when an answer comes, and what to do when it cannot wait. */
export function ExpectationNotice({ expectations }: { expectations: Expectations }) {
  const { t, i18n } = useTranslation();
  const lng = i18n.resolvedLanguage ?? 'en';
  return (
    <section className="expectations" aria-labelledby="expectations-title" data-testid="expectations">
      <p>
        {expectations.open || !expectations.nextOpening
          ? t('composer.expectedBy', { when: formatWhen(expectations.expectedBy, lng) })
          : t('composer.closedNow', { when: formatWhen(expectations.nextOpening, lng) })}
      </p>
      <h2 id="expectations-title" className="expectations__title">
        {t('composer.urgentTitle')}
      </h2>
      {/* The practice's own guidance, as written by its admin (text, never HTML). */}
      <p>{expectations.urgentGuidance}</p>
      <p className="expectations__emergency">{t('composer.emergency', { number: expectations.emergencyNumber })}</p>
      {expectations.crisisResources.length > 0 && (
        <>
          <p>{t('composer.crisisResources')}</p>
          <ul>
            {expectations.crisisResources.map((r) => (
              <li key={`${r.name}|${r.contact}`}>
                {r.name}: <strong>{r.contact}</strong>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
