import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { useSession } from '../hooks/useSession.js';
import { api } from '../lib/api.js';
import { LANGUAGES, type LanguageCode } from '../i18n.js';

/**
 * Choose the app's language; each language is named in itself. Signed in, the choice is also saved to the account
 * (for a patient, automatic replies and the practice's guidance then come in that language).
 */
export function LanguagePicker() {
  const { t, i18n } = useTranslation();
  const { status } = useSession();
  const id = useId();
  // Signed in, the account is saved first, so pages that refetch the practice's texts on a language change (they
  // follow i18n's language) get them in the new language; a failed save still switches the app.
  const choose = (language: LanguageCode) => {
    if (status !== 'active') return void i18n.changeLanguage(language);
    void api
      .call('me.language.update', { body: { language } })
      .catch(() => undefined)
      .finally(() => void i18n.changeLanguage(language));
  };
  return (
    <div className="language-picker">
      <label htmlFor={id}>{t('app.language')}</label>
      <select id={id} value={i18n.resolvedLanguage ?? 'en'} onChange={(e) => choose(e.target.value as LanguageCode)}>
        {LANGUAGES.map((l) => (
          <option key={l.code} value={l.code} lang={l.code}>
            {l.name}
          </option>
        ))}
      </select>
    </div>
  );
}
