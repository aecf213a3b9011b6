/**
 * The restricted phrase syntax of crisis lexicons, parsed and compiled to regular expressions that are safe by
 * construction (no user-written regular expression ever reaches the engine).
 *
 *   chest pain          words, matched as whole normalized words
 *   suicid*             a word starting with "suicid" (at least 3 characters before the *)
 *   want [0-2] die      0 to 2 arbitrary words in between ([2] is [0-2]); never across a sentence end
 *   (kill|hurt*) me     alternatives: each a sequence of words and prefixes; no nesting
 *   (really|so)? sad    an optional group
 *   took # pills        # stands for a number of at least two digits (10 or more)
 *   ending it $         $ (last) requires the end of the clause: a comma, a sentence end or the end of the message
 *
 * Compiled form: the detector matches against normalized text laid out as " w1 w2 w3 " (words separated by single
 * spaces, "|" for a sentence end, "," for a comma). Every fragment consumes whole words with their trailing space, a
 * gap is a bounded repetition of "one word and a space" (`(?:[^ |]+ ){n,m}`), a prefix is `stem[^ ]* `. A fragment
 * can only match whole words, so backtracking is bounded by the gap widths and the number of alternatives (both
 * capped here), not by the input: matching is linear in the length of the text.
 */
import { foldText } from './crisis-normalize.js';

export const PHRASE_LIMITS = {
  elements: 12,
  alternatives: 60,
  wordsPerAlternative: 6,
  gapMax: 6,
  gapTotal: 10,
  gaps: 3,
  prefixMin: 3,
  wordMax: 40,
} as const;

/** One word of a phrase: a whole word, a prefix (`stem*`), or `#` (a number of at least two digits). */
export interface PhraseWord {
  text: string;
  prefix: boolean;
  number?: true;
}

export type PhraseElement =
  | { kind: 'words'; alternatives: PhraseWord[][]; optional: boolean }
  | { kind: 'gap'; min: number; max: number }
  | { kind: 'end' };

export interface ParsedPhrase {
  elements: PhraseElement[];
}

export class PhraseError extends Error {}

const WORD_CHAR = /[\p{L}\p{N}*#]/u;
const SEPARATOR = /[\s\-/]/u;
const HAS_LETTER = /\p{L}/u;
const HAS_DIGIT = /\p{N}/u;

/** Parses a phrase; throws PhraseError with a message that says what is wrong and where. */
export function parsePhrase(source: string): ParsedPhrase {
  const text = foldText(source);
  const elements: PhraseElement[] = [];
  let i = 0;
  const at = () => `at character ${i + 1}`;

  const readWord = (): PhraseWord => {
    const start = i;
    while (i < text.length && WORD_CHAR.test(text[i]!)) i++;
    return readWordOf(text.slice(start, i));
  };

  while (i < text.length) {
    const c = text[i]!;
    if (SEPARATOR.test(c)) {
      i++;
    } else if (c === '[') {
      const close = text.indexOf(']', i);
      if (close === -1) throw new PhraseError(`unclosed "[" ${at()}`);
      const body = text.slice(i + 1, close).trim();
      const m = /^(\d{1,2})(?:\s*-\s*(\d{1,2}))?$/.exec(body);
      if (!m) throw new PhraseError(`a gap is written [n-m] or [m] with whole numbers ("[${body}]" ${at()})`);
      const min = m[2] === undefined ? 0 : Number(m[1]);
      const max = m[2] === undefined ? Number(m[1]) : Number(m[2]);
      if (min > max) throw new PhraseError(`the gap [${body}] has its minimum above its maximum`);
      if (max < 1) throw new PhraseError(`the gap [${body}] allows no word; remove it`);
      if (max > PHRASE_LIMITS.gapMax) throw new PhraseError(`the gap [${body}] is wider than ${PHRASE_LIMITS.gapMax} words`);
      elements.push({ kind: 'gap', min, max });
      i = close + 1;
    } else if (c === '(') {
      const close = text.indexOf(')', i);
      if (close === -1) throw new PhraseError(`unclosed "(" ${at()}`);
      const body = text.slice(i + 1, close);
      if (body.includes('(')) throw new PhraseError(`groups cannot be nested ${at()}`);
      if (/[[\]]/.test(body)) throw new PhraseError(`a gap cannot stand inside a group ${at()}`);
      const alternatives = body.split('|').map((alt) => {
        const words: PhraseWord[] = [];
        let j = 0;
        while (j < alt.length) {
          const ch = alt[j]!;
          if (SEPARATOR.test(ch)) {
            j++;
            continue;
          }
          if (!WORD_CHAR.test(ch)) throw new PhraseError(`unexpected "${ch}" in a group ${at()}`);
          const start = j;
          while (j < alt.length && WORD_CHAR.test(alt[j]!)) j++;
          words.push(readWordOf(alt.slice(start, j)));
        }
        if (words.length === 0) throw new PhraseError(`empty alternative in "(${body})"; write "(…)?" for an optional group`);
        if (words.length > PHRASE_LIMITS.wordsPerAlternative) throw new PhraseError(`an alternative has more than ${PHRASE_LIMITS.wordsPerAlternative} words`);
        return words;
      });
      if (alternatives.length > PHRASE_LIMITS.alternatives) throw new PhraseError(`a group has more than ${PHRASE_LIMITS.alternatives} alternatives`);
      i = close + 1;
      const optional = text[i] === '?';
      if (optional) i++;
      elements.push({ kind: 'words', alternatives, optional });
    } else if (WORD_CHAR.test(c)) {
      const word = readWord();
      if (text[i] === '?') throw new PhraseError(`"?" follows a group, not a word: write "(${word.text})?"`);
      elements.push({ kind: 'words', alternatives: [[word]], optional: false });
    } else if (c === '$') {
      elements.push({ kind: 'end' });
      i++;
    } else if (c === ')' || c === ']') {
      throw new PhraseError(`unbalanced "${c}" ${at()}`);
    } else {
      throw new PhraseError(`unexpected "${c}" ${at()}; phrases use words, word*, [n-m], (a|b) and (…)?`);
    }
  }

  if (elements.length === 0) throw new PhraseError('the phrase is empty');
  if (elements.length > PHRASE_LIMITS.elements) throw new PhraseError(`the phrase has more than ${PHRASE_LIMITS.elements} parts`);
  const ends = elements.filter((e) => e.kind === 'end').length;
  if (ends > 1 || (ends === 1 && elements[elements.length - 1]!.kind !== 'end')) throw new PhraseError('"$" (end of clause) may only end the phrase');
  const body = ends === 1 ? elements.slice(0, -1) : elements;
  if (body.length === 0) throw new PhraseError('the phrase is empty');
  if (body[0]!.kind === 'gap' || body[body.length - 1]!.kind === 'gap') throw new PhraseError('a phrase cannot start or end with a gap');
  const gaps = elements.filter((e): e is Extract<PhraseElement, { kind: 'gap' }> => e.kind === 'gap');
  if (gaps.length > PHRASE_LIMITS.gaps) throw new PhraseError(`the phrase has more than ${PHRASE_LIMITS.gaps} gaps`);
  if (gaps.reduce((s, g) => s + g.max, 0) > PHRASE_LIMITS.gapTotal) throw new PhraseError(`the gaps of the phrase allow more than ${PHRASE_LIMITS.gapTotal} words in all`);
  for (let k = 1; k < elements.length; k++) {
    if (elements[k]!.kind === 'gap' && elements[k - 1]!.kind === 'gap') throw new PhraseError('two gaps in a row; write one gap');
  }
  if (!elements.some((e) => e.kind === 'words' && !e.optional && e.alternatives.every((alt) => !alt[0]!.number))) {
    throw new PhraseError('the phrase needs at least one word that is not optional (and not a number)');
  }
  return { elements };
}

function readWordOf(raw: string): PhraseWord {
  if (raw === '#') return { text: '#', prefix: false, number: true };
  if (raw.includes('#')) throw new PhraseError(`"#" stands alone for a number ("${raw}")`);
  const star = raw.indexOf('*');
  if (star !== -1 && star !== raw.length - 1) throw new PhraseError(`"*" may only end a word ("${raw}")`);
  const prefix = star !== -1;
  const word = prefix ? raw.slice(0, -1) : raw;
  if (word.length === 0) throw new PhraseError('"*" needs a word before it');
  if (prefix && word.length < PHRASE_LIMITS.prefixMin) throw new PhraseError(`the prefix "${word}*" is too short (at least ${PHRASE_LIMITS.prefixMin} characters before "*")`);
  if (word.length > PHRASE_LIMITS.wordMax) throw new PhraseError(`the word "${word.slice(0, 20)}…" is longer than ${PHRASE_LIMITS.wordMax} characters`);
  if (HAS_LETTER.test(word) && HAS_DIGIT.test(word)) throw new PhraseError(`"${word}" mixes letters and digits; messages never contain such words after normalization`);
  return { text: word, prefix };
}

/** Every word of a phrase (for checks and for the vocabulary), in order; numbers (#) left out. */
export function phraseWords(phrase: ParsedPhrase): PhraseWord[] {
  const out: PhraseWord[] = [];
  for (const e of phrase.elements) if (e.kind === 'words') for (const alt of e.alternatives) for (const w of alt) if (!w.number) out.push(w);
  return out;
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const wordSource = (w: PhraseWord): string => (w.number ? '[1-9][0-9]+ ' : w.prefix ? `${escapeRegex(w.text)}[^ ]* ` : `${escapeRegex(w.text)} `);

/**
 * The regular expression of a phrase over normalized text (" w1 w2 … "). It matches from the space before the first
 * word to the space after the last one; the caller resumes the next search at that last space. With `gaps`, each
 * gap is a capturing group and the expression is sticky with the `d` flag: run at a match's position, it tells
 * which words filled the gaps (slower, so only used when a negation cue lies inside a match).
 */
export function phraseRegex(phrase: ParsedPhrase, options: { gaps?: boolean; sticky?: boolean } = {}): RegExp {
  let source = ' ';
  for (const e of phrase.elements) {
    if (e.kind === 'gap') {
      source += `${options.gaps ? '(' : '(?:'}(?:[^ |]+ ){${e.min},${e.max}})`;
      continue;
    }
    if (e.kind === 'end') {
      // The words matched so far end the clause: a comma or sentence end follows, or the message ends.
      source += '(?=[|,] |$)';
      continue;
    }
    const alts = e.alternatives.map((alt) => alt.map(wordSource).join(''));
    if (alts.length === 1 && !e.optional) source += alts[0];
    else source += `(?:${alts.join('|')})${e.optional ? '?' : ''}`;
  }
  // With gaps: sticky, for re-running at a known match position to learn which words filled the gaps. Sticky:
  // tried only where the caller knows the first word is.
  return new RegExp(source, options.gaps ? 'dy' : options.sticky ? 'y' : 'g');
}

/**
 * Words one of which must be in a text for the phrase to match: the detector runs a rule's expression only when the
 * text holds one of its trigger words. When the phrase starts with a required word (most do), the triggers are its
 * first words and `anchored` is true: a match can only start at a trigger word, so the expression is tried there
 * only, never scanned over the whole text. Otherwise the triggers are the most specific required part.
 */
export function phraseTriggers(phrase: ParsedPhrase): { words: PhraseWord[]; anchored: boolean } {
  const first = phrase.elements[0]!;
  if (first.kind === 'words' && !first.optional && first.alternatives.every((alt) => !alt[0]!.number)) {
    return { words: first.alternatives.map((alt) => alt[0]!), anchored: true };
  }
  return { words: specificTriggers(phrase), anchored: false };
}

function specificTriggers(phrase: ParsedPhrase): PhraseWord[] {
  let best: PhraseWord[] = [];
  let bestScore = -1;
  for (const e of phrase.elements) {
    if (e.kind !== 'words' || e.optional) continue;
    const firsts = e.alternatives.map((alt) => alt[0]!);
    if (firsts.some((w) => w.number)) continue;
    // Prefer the element whose shortest first word is longest (rarer words), then fewer alternatives.
    const score = Math.min(...firsts.map((w) => w.text.length + (w.prefix ? 0 : 1))) * 100 - firsts.length;
    if (score > bestScore) {
      bestScore = score;
      best = firsts;
    }
  }
  return best;
}
