import { LANGUAGES, type Language } from '@haven/api';

/** A stored language as one Haven speaks (a value from before a language was withdrawn reads as English). */
export const supportedLanguage = (stored: string | null | undefined): Language => ((LANGUAGES as readonly string[]).includes(stored ?? '') ? (stored as Language) : 'en');

/** The BCP 47 locale dates and times are written in for each language (US conventions, like the default texts). */
const LOCALES: Record<Language, string> = { en: 'en-US', es: 'es-US' };
export const localeOf = (language: Language): string => LOCALES[language];
