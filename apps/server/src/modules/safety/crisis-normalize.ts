/**
 * Normalization of patient messages (and of lexicon phrases, the same way) before crisis matching:
 * Unicode NFKC, lower case, accents and apostrophes removed ("Don’t" → "dont", "suicídio" → "suicidio"), words split
 * on anything that is not a letter or digit, sentence ends kept as "|" and commas as ",". Then, per word: digits used
 * as letters ("k1ll"), letters repeated three or more times ("sooo", "diiie"), slang and known misspellings
 * ("kms" → "kill myself") and, for words of the lexicon's minimum length, one-edit typos of lexicon words
 * ("sucidal" → "suicidal"; one letter shorter, only swapped neighbours: "pian" → "pain"), unless the word is a real
 * word the lexicon protects ("bills" stays "bills", never "pills").
 */
import { distance } from 'fastest-levenshtein';

const APOSTROPHES = /['’‘`´ʼ′ʹ]/g;
const TYPOGRAPHIC_APOSTROPHES = /[’‘`´ʼ′ʹ]/g;
const MARKS = /\p{M}/gu;
const MARKS_AND_APOSTROPHES = /[\p{M}'’‘`´ʼ′ʹ]/gu;
const APOSTROPHE = /'/g;
/** Words, runs of sentence-ending punctuation (and line breaks), commas. */
const TOKEN = /[\p{L}\p{N}]+|[.!?;:\n\r\u2026\u3002\uff01\uff1f]+|,/gu;
/** First characters of the sentence-end tokens (see TOKEN). */
const SENTENCE_PUNCTUATION = new Set(['.', '!', '?', ';', ':', '\n', '\r', '\u2026', '\u3002', '\uff01', '\uff1f']);
const LETTERS = /\p{L}/gu;
const DIGIT = /[0-9]/;
const ALL_DIGITS = /^[0-9]+$/;
const TRIPLE = /(.)\1\1/u;
const RUN_TO_TWO = /(.)\1{2,}/gu;
const RUN_TO_ONE = /(.)\1{2,}/gu;
const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't' };
const LEET_DIGITS = /[013457]/g;

/** Tokens that stand for structure, never for a word. */
export const SENTENCE_END = '|';
export const COMMA = ',';
/** Stands for a word covered by an exception (benign idiom): it matches no phrase word. */
export const MASKED = '_';
/** Stands for a word longer than MAX_WORD characters. */
export const OVERLONG = '~';
export const MAX_WORD = 40;
const CACHE_LIMIT = 50_000;

/** Case, compatibility forms, accents and apostrophes folded: what both messages and phrases go through first. */
export function foldText(text: string): string {
  return text.replace(APOSTROPHES, '').normalize('NFKC').toLowerCase().normalize('NFD').replace(MARKS_AND_APOSTROPHES, '');
}

/** Like foldText, but apostrophes are kept (as ') for the contractions. */
function foldKeepingApostrophes(text: string): string {
  return text.replace(TYPOGRAPHIC_APOSTROPHES, "'").normalize('NFKC').toLowerCase().normalize('NFD').replace(MARKS, '');
}

export interface NormalizerOptions {
  /** Endings after an apostrophe → the word they stand for ("ll" → "will"). */
  contractions: ReadonlyMap<string, string>;
  /** Word → the words that replace it (slang, known misspellings), already folded. */
  replacements: ReadonlyMap<string, readonly string[]>;
  /** Words never corrected: every word of the lexicon and its protected real words. */
  known: ReadonlySet<string>;
  /** Words typos are corrected to. */
  vocabulary: readonly string[];
  /** Only words at least this long are corrected. */
  minLength: number;
  /** Prefixes of the lexicon (`suicid*`): words starting with one already match and are never corrected. */
  stems: readonly string[];
}

const isTransposition = (a: string, b: string): boolean => {
  if (a.length !== b.length) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i < a.length - 1 && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
};

export class TextNormalizer {
  private readonly replacements: ReadonlyMap<string, readonly string[]>;
  private readonly contractions: ReadonlyMap<string, string>;
  private readonly contraction: RegExp | null;
  private readonly known: ReadonlySet<string>;
  private readonly minLength: number;
  private readonly stems: ReadonlySet<string>;
  private readonly stemLengths: readonly number[];
  private readonly vocabulary: ReadonlySet<string>;
  /** Symmetric-delete index: each vocabulary word and each of its one-letter deletions → the vocabulary words. */
  private readonly deletions = new Map<string, string[]>();
  /** Normalized form of each word seen lately (most messages reuse the same few thousand words). */
  private readonly cache = new Map<string, readonly string[]>();

  constructor(options: NormalizerOptions) {
    this.replacements = options.replacements;
    this.contractions = options.contractions;
    // Endings are validated as 1-10 letters: the expression is a plain alternation of literals.
    this.contraction = options.contractions.size > 0 ? new RegExp(`(?<=\\p{L})'(${[...options.contractions.keys()].join('|')})(?![\\p{L}\\p{N}])`, 'gu') : null;
    this.known = options.known;
    this.minLength = options.minLength;
    this.vocabulary = new Set(options.vocabulary);
    this.stems = new Set(options.stems);
    this.stemLengths = [...new Set(options.stems.map((s) => s.length))].sort((a, b) => a - b);
    for (const word of options.vocabulary) {
      if (word.length < options.minLength - 1) continue;
      this.index(word, word);
      for (let k = 0; k < word.length; k++) this.index(word.slice(0, k) + word.slice(k + 1), word);
    }
  }

  private index(key: string, word: string): void {
    const list = this.deletions.get(key);
    if (!list) this.deletions.set(key, [word]);
    else if (!list.includes(word)) list.push(word);
  }

  /** The message as normalized tokens: words, "|" for sentence ends, "," for commas. */
  tokens(text: string): string[] {
    const out: string[] = [];
    let folded = foldKeepingApostrophes(text);
    if (folded.includes("'")) {
      if (this.contraction) folded = folded.replace(this.contraction, (_, ending: string) => ` ${this.contractions.get(ending)}`);
      folded = folded.replace(APOSTROPHE, '');
    }
    for (const m of folded.matchAll(TOKEN)) {
      const raw = m[0];
      if (raw === ',') {
        if (out.length > 0 && out[out.length - 1] !== SENTENCE_END) out.push(COMMA);
      } else if (SENTENCE_PUNCTUATION.has(raw[0]!)) {
        if (out.length > 0 && out[out.length - 1] !== SENTENCE_END) {
          if (out[out.length - 1] === COMMA) out.pop();
          out.push(SENTENCE_END);
        }
      } else {
        for (const w of this.word(raw)) out.push(w);
      }
    }
    return out;
  }

  /** One word's normalized form (one or more words). */
  word(raw: string): readonly string[] {
    if (raw.length > MAX_WORD) return [OVERLONG];
    const cached = this.cache.get(raw);
    if (cached) return cached;
    const result = this.normalizeWord(raw);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(raw, result);
    return result;
  }

  private normalizeWord(raw: string): readonly string[] {
    let w = raw;
    // Digits used as letters: "k1ll", "su1c1de" (only in words that are mostly letters).
    if (DIGIT.test(w) && (w.match(LETTERS)?.length ?? 0) >= 2) w = w.replace(LEET_DIGITS, (d) => LEET[d]!);
    // "sooo", "diiiie", "killlll": a run of three or more becomes two letters, or one if that makes a lexicon word.
    if (TRIPLE.test(w)) {
      const two = w.replace(RUN_TO_TWO, '$1$1');
      const one = w.replace(RUN_TO_ONE, '$1');
      w = !this.isKnown(two) && this.isKnown(one) ? one : two;
    }
    const replaced = this.replacements.get(w);
    if (replaced) return replaced;
    // A dropped g ("killin", "cuttin", "thinkin"): the -ing word when the lexicon uses it.
    if (w.length >= 5 && w.endsWith('in') && this.vocabulary.has(`${w}g`)) return [`${w}g`];
    if (this.known.has(w) || w.length < this.minLength - 1 || ALL_DIGITS.test(w)) return [w];
    // Words of the minimum length and longer: any one edit; one letter shorter: only two neighbours swapped ("pian").
    const corrected = w.length >= this.minLength ? this.correct(w) : this.swapped(w);
    // A word that starts with a prefix of the lexicon ("overdos*") already matches it: keep that prefix.
    const stem = this.stemOf(w);
    return [corrected && (!stem || corrected.startsWith(stem)) ? corrected : w];
  }

  private stemOf(w: string): string | undefined {
    let found: string | undefined;
    for (const n of this.stemLengths) {
      if (n > w.length) break;
      const prefix = w.slice(0, n);
      if (this.stems.has(prefix)) found = prefix;
    }
    return found;
  }

  private isKnown(w: string): boolean {
    return this.known.has(w) || this.replacements.has(w);
  }

  /** The vocabulary word of the same length with two neighbouring letters swapped, if any. */
  swapped(w: string): string | undefined {
    for (let k = 0; k < w.length - 1; k++) {
      const candidate = w.slice(0, k) + w[k + 1] + w[k] + w.slice(k + 2);
      if (candidate !== w && this.vocabulary.has(candidate)) return candidate;
    }
    return undefined;
  }

  /** The vocabulary word one edit (insertion, deletion, substitution or swap of neighbours) away, if any. */
  correct(w: string): string | undefined {
    let best: string | undefined;
    let bestDistance = 2;
    const consider = (key: string) => {
      const candidates = this.deletions.get(key);
      if (!candidates) return;
      for (const v of candidates) {
        if (Math.abs(v.length - w.length) > 1 || v === w) continue;
        const d = isTransposition(w, v) ? 1 : distance(w, v);
        if (d < bestDistance) {
          best = v;
          bestDistance = d;
        }
      }
    };
    consider(w);
    for (let k = 0; k < w.length && bestDistance > 1; k++) consider(w.slice(0, k) + w.slice(k + 1));
    return best;
  }
}
