import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './locales/en.js';
import { es } from './locales/es.js';

/** The languages the app offers, by their own names (a picker lists them so). */
export const LANGUAGES = [
  { code: 'en', name: 'English' },
  { code: 'es', name: 'Español' },
] as const;
export type LanguageCode = (typeof LANGUAGES)[number]['code'];

// The chosen language is the only thing the app keeps in the browser's storage: a language code, no health
// information. Sign-out leaves it, so the sign-in page stays in the person's language.
const STORAGE_KEY = 'haven.language';

function initialLanguage(): LanguageCode {
  const stored = safeStorageGet(STORAGE_KEY);
  const candidates = [stored, ...navigator.languages.map((l) => l.slice(0, 2).toLowerCase())];
  return (candidates.find((c) => LANGUAGES.some((l) => l.code === c)) as LanguageCode | undefined) ?? 'en';
}

/** The language this browser's person picked (kept in storage), if any: it wins over the account's and is saved to it. */
export function chosenLanguage(): LanguageCode | null {
  const stored = safeStorageGet(STORAGE_KEY);
  return LANGUAGES.some((l) => l.code === stored) ? (stored as LanguageCode) : null;
}

function safeStorageGet(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export async function setupI18n(): Promise<typeof i18next> {
  await i18next.use(initReactI18next).init({
    resources: { en: { translation: en }, es: { translation: es } },
    lng: initialLanguage(),
    fallbackLng: 'en',
    interpolation: { escapeValue: false }, // React escapes; nothing is ever set as HTML
    returnNull: false,
  });
  document.documentElement.lang = i18next.language;
  i18next.on('languageChanged', (lng) => {
    document.documentElement.lang = lng;
    try {
      localStorage.setItem(STORAGE_KEY, lng);
    } catch {
      // storage unavailable (private mode): the choice lasts for this page only
    }
  });
  return i18next;
}

let staffStringsLoaded: Promise<void> | null = null;

/**
 * The staff dashboard's strings (locales/staff.ts, its own chunk): added to every language once, when a staff member's
 * pages first render. The patient app never loads them.
 */
export function loadStaffStrings(): Promise<void> {
  staffStringsLoaded ??= import('./locales/staff.js').then(
    ({ staffStrings }) => {
      for (const [lng, bundle] of Object.entries(staffStrings)) i18next.addResourceBundle(lng, 'translation', bundle, true, true);
    },
    (err: unknown) => {
      staffStringsLoaded = null; // a failed download (offline): the next render tries again
      throw err;
    },
  );
  return staffStringsLoaded;
}

/** Whether the staff strings are there (after `loadStaffStrings`). */
export const staffStringsReady = (): boolean => i18next.exists('staffThread.details');

