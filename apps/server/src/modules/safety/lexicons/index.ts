/**
 * The crisis lexicons Haven ships, by language. A language is pluggable: write its lexicon (see es.ts for a small
 * one), generate its protected words (generate-keep-words.ts) and add it here, or register it at startup with
 * registerLexicon(). Compiled lexicons are built once per process and cached.
 */
import type { CrisisLexicon } from '@haven/api';
import { compileLexicon, type CompiledLexicon } from '../crisis-lexicon.js';
import { en } from './en.js';
import { es } from './es.js';

const base = new Map<string, CrisisLexicon>([
  [en.language, en],
  [es.language, es],
]);
const compiled = new Map<string, CompiledLexicon>();

/** Adds (or replaces) the base lexicon of its language; it is validated now, not at its first use. */
export function registerLexicon(lexicon: CrisisLexicon): void {
  const c = compileLexicon(lexicon);
  base.set(lexicon.language, lexicon);
  compiled.set(lexicon.language, c);
}

/** Languages with a base lexicon. */
export function crisisLanguages(): string[] {
  return [...base.keys()].sort();
}

/** The language whose lexicon checks text in `language`: itself, else its base language ("pt-BR" → "pt"), else English. */
export function lexiconLanguage(language: string): string {
  if (base.has(language)) return language;
  const primary = language.split('-')[0]!.toLowerCase();
  return base.has(primary) ? primary : 'en';
}

/** The base lexicon (the configuration) for a language, with the same fallback as lexiconLanguage. */
export function baseLexicon(language: string): CrisisLexicon {
  return base.get(lexiconLanguage(language))!;
}

/** The compiled base lexicon for a language (same fallback), compiled on first use. */
export function compiledLexicon(language: string): CompiledLexicon {
  const lang = lexiconLanguage(language);
  let c = compiled.get(lang);
  if (!c) {
    c = compileLexicon(base.get(lang)!);
    compiled.set(lang, c);
  }
  return c;
}
