/**
 * Crisis-language detection: is a patient message likely to speak of suicide, self-harm, chest pain, stroke signs,
 * an overdose or abuse? A pure function over a compiled lexicon (crisis-lexicon.ts). It reports the categories and
 * the ids of the rules that matched, never the matched words. It is a safety net for triage, not a diagnosis: it
 * misses some crises and flags some messages that are not; it never blocks a message.
 *
 * Steps, all linear in the length of the message:
 *  1. normalize into words (crisis-normalize.ts);
 *  2. mask the words covered by exceptions (benign idioms such as "killing time", "chest x-ray");
 *  3. pick the rules whose trigger word is in the message and run their precompiled expressions (a rule that starts
 *     with a word is tried only where that word stands);
 *  4. drop a match when a negation cue governs it: a cue before it ("not", "no", "never", "denies") at most
 *     `window` words away in the same clause, a cue in one of its gaps ("speech [is not] slurred"), or a cue after it
 *     ("… has gone away") within `afterWindow` words, unless the cue is part of a pseudo-negation ("no one", "not
 *     sure"). Clauses end at sentence ends, at boundary words ("but"), and where a new subject starts ("…, I want to
 *     end it all"; "… and I").
 */
import { CRISIS_CATEGORIES, type CrisisCategory, type CrisisMatch } from '@haven/api';
import type { CompiledLexicon, CompiledPattern, CompiledRule, TriggerIndex } from './crisis-lexicon.js';
import { COMMA, MASKED, OVERLONG, SENTENCE_END } from './crisis-normalize.js';

/** A message laid out for the expressions: " w1 w2 … " with the character offset of each word. */
interface Layout {
  text: string;
  starts: Int32Array;
}

function layout(tokens: readonly string[]): Layout {
  const starts = new Int32Array(tokens.length);
  let offset = 1;
  for (let i = 0; i < tokens.length; i++) {
    starts[i] = offset;
    offset += tokens[i]!.length + 1;
  }
  return { text: ` ${tokens.join(' ')} `, starts };
}

/** Index of the word starting at character `offset` (or the first after it). */
function wordAt(starts: Int32Array, offset: number): number {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid]! < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Word span [start, end) of each match of an expression (cues, pseudo-negations, exceptions). */
function* spans(regex: RegExp, l: Layout): Generator<[number, number]> {
  regex.lastIndex = 0;
  for (let m = regex.exec(l.text); m !== null; m = regex.exec(l.text)) {
    const endChar = m.index + m[0].length - 1;
    yield [wordAt(l.starts, m.index + 1), wordAt(l.starts, endChar)];
    // The next match may start at this match's trailing space.
    regex.lastIndex = endChar;
  }
}

/** Word spans [start, end) of the gaps of the match at character `at`, from the rule's gap-capturing twin. */
function gapSpans(gapRegex: RegExp, at: number, l: Layout): [number, number][] {
  gapRegex.lastIndex = at;
  const indices = gapRegex.exec(l.text)?.indices;
  const out: [number, number][] = [];
  if (!indices) return out;
  for (let g = 1; g < indices.length; g++) {
    const span = indices[g];
    if (span && span[1] > span[0]) out.push([wordAt(l.starts, span[0]), wordAt(l.starts, span[1])]);
  }
  return out;
}

/** The patterns (by index) whose trigger words occur among the tokens, ascending, and where each trigger stands. */
function candidates(index: TriggerIndex, count: number, tokens: readonly string[]): { which: number[]; positions: (number[] | undefined)[] } {
  const positions: (number[] | undefined)[] = new Array(count);
  const which: number[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t === SENTENCE_END || t === COMMA || t === MASKED || t === OVERLONG) continue;
    const rules = index.of(t);
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      const list = positions[r];
      if (list) {
        if (list[list.length - 1] !== k) list.push(k);
      } else {
        positions[r] = [k];
        which.push(r);
      }
    }
  }
  return { which: which.sort((x, y) => x - y), positions };
}

/** Tokens with the words of every exception match replaced by MASKED (the same array when nothing matched). */
function maskExceptions(lexicon: CompiledLexicon, tokens: string[], l: Layout): string[] {
  const { which } = candidates(lexicon.exceptionTriggers, lexicon.exceptions.length, tokens);
  let masked: string[] | undefined;
  for (const r of which) {
    for (const [start, end] of spans((lexicon.exceptions[r] as CompiledPattern).regex, l)) {
      masked ??= tokens.slice();
      for (let k = start; k < end; k++) if (masked[k] !== SENTENCE_END && masked[k] !== COMMA) masked[k] = MASKED;
    }
  }
  return masked ?? tokens;
}

/**
 * Negation context of one message, computed once and only when some rule matched. Cues are indexed by the word
 * where they start and end, so checking a match looks at the few words around it (its window), never at every cue
 * of the message: the cost per match is bounded by the window, whatever the length of the message.
 */
class NegationScope {
  private readonly clause: Int32Array;
  /** Cues before a match, by end word (exclusive) → start word; by start word → end word. */
  private readonly beforeByEnd = new Map<number, number>();
  private readonly beforeByStart = new Map<number, number>();
  /** Cues after a match, by start word. */
  private readonly afterStarts = new Set<number>();

  constructor(
    private readonly lexicon: CompiledLexicon,
    private readonly tokens: readonly string[],
    l: Layout,
  ) {
    this.clause = clauses(lexicon, tokens);
    // Which pseudo-negation ("no one", "not sure") covers each word; a cue inside one is no cue.
    const pseudo = new Int32Array(tokens.length).fill(-1);
    let n = 0;
    if (lexicon.negation.pseudo) for (const [ps, pe] of spans(lexicon.negation.pseudo, l)) pseudo.fill(n++, ps, pe);
    const real = (cs: number, ce: number): boolean => {
      const id = pseudo[cs]!;
      if (id === -1) return true;
      for (let k = cs + 1; k < ce; k++) if (pseudo[k] !== id) return true;
      return false;
    };
    if (lexicon.negation.before) {
      for (const [cs, ce] of spans(lexicon.negation.before, l)) {
        if (!real(cs, ce)) continue;
        this.beforeByEnd.set(ce, cs);
        this.beforeByStart.set(cs, ce);
      }
    }
    if (lexicon.negation.after) for (const [cs, ce] of spans(lexicon.negation.after, l)) if (real(cs, ce)) this.afterStarts.add(cs);
  }

  /** A match [start, end) of `rule` found at character `at` (its gaps are looked up only when a cue is inside). */
  negates(start: number, end: number, rule: CompiledRule, at: number, l: Layout): boolean {
    const { window, afterWindow } = this.lexicon.negation;
    // Before the match: walk back over at most `window` words (commas do not count) in the same clause.
    let words = 0;
    for (let p = start; p > 0 && words <= window; p--) {
      if (this.clause[p - 1] !== this.clause[start]) break;
      // A cue ending at p, i.e. followed directly by the word at p. "No, I want…": a cue followed by a comma is an
      // interjection, not a negation of what follows.
      if (this.beforeByEnd.has(p) && this.tokens[p] !== COMMA) return true;
      if (this.tokens[p - 1] !== COMMA) words++;
    }
    // Inside a gap of the match: "speech is not slurred", "he has never hit me".
    let inside = false;
    for (let p = start + 1; p < end && !inside; p++) inside = this.beforeByStart.has(p);
    if (inside && rule.gapRegex) {
      for (const [gs, ge] of gapSpans(rule.gapRegex, at, l)) {
        for (let p = gs; p < ge; p++) {
          const ce = this.beforeByStart.get(p);
          if (ce !== undefined && ce <= ge) return true;
        }
      }
    }
    // After the match: a cue starting within `afterWindow` words ("… went away"), in the same clause.
    words = 0;
    for (let p = end; p < this.tokens.length && words <= afterWindow; p++) {
      if (this.clause[p] !== this.clause[end - 1]) break;
      if (this.afterStarts.has(p)) return true;
      if (this.tokens[p] !== COMMA) words++;
    }
    return false;
  }
}

/**
 * The clause of each word. A clause starts at a sentence end and the word after it, at a boundary word ("but"),
 * at a starter ("I", "he") unless a complementizer ("that", "think") or a conjunction precedes it, at a conjunction
 * ("and", "so") followed by a starter or opener, and at an opener ("my", "the") after a comma.
 */
function clauses(lexicon: CompiledLexicon, tokens: readonly string[]): Int32Array {
  const { boundaries, conjunctions, starters, openers, complementizers } = lexicon.clauses;
  const ids = new Int32Array(tokens.length);
  let id = 0;
  for (let i = 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    const prev = tokens[i - 1]!;
    const next = tokens[i + 1];
    const opens =
      t === SENTENCE_END ||
      prev === SENTENCE_END ||
      boundaries.has(t) ||
      (starters.has(t) && !complementizers.has(prev) && !conjunctions.has(prev)) ||
      (conjunctions.has(t) && next !== undefined && (starters.has(next) || openers.has(next))) ||
      (openers.has(t) && prev === COMMA);
    if (opens) id++;
    ids[i] = id;
  }
  return ids;
}

/**
 * Checks one message. Returns null when no rule matches outside a negation, else the categories (in the order of
 * CRISIS_CATEGORIES), the ids of the matching rules (sorted) and the lexicon's version. Never the matched text.
 */
export function detectCrisis(text: string, lexicon: CompiledLexicon): CrisisMatch | null {
  const words = lexicon.normalizer.tokens(text);
  if (words.length === 0) return null;
  // Rules are picked on the words before masking; masking can only remove matches.
  const { which, positions } = candidates(lexicon.ruleTriggers, lexicon.rules.length, words);
  if (which.length === 0) return null;
  let l = layout(words);
  const tokens = maskExceptions(lexicon, words, l);
  if (tokens !== words) l = layout(tokens);

  let scope: NegationScope | undefined;
  const categories = new Set<CrisisCategory>();
  const ruleIds: string[] = [];
  /** Whether a match counts: true unless a negation governs it. */
  const counts = (rule: CompiledRule, start: number, end: number, at: number): boolean => {
    scope ??= new NegationScope(lexicon, tokens, l);
    return !scope.negates(start, end, rule, at, l);
  };
  for (const r of which) {
    const rule = lexicon.rules[r]!;
    let found = false;
    const regex = rule.regex;
    if (rule.anchored) {
      // Sticky: tried only where one of its first words stands.
      for (const k of positions[r]!) {
        const at = l.starts[k]! - 1;
        regex.lastIndex = at;
        const m = regex.exec(l.text);
        if (m && counts(rule, k, wordAt(l.starts, at + m[0].length - 1), at)) {
          found = true;
          break;
        }
      }
    } else {
      regex.lastIndex = 0;
      for (let m = regex.exec(l.text); m !== null && !found; m = regex.exec(l.text)) {
        const endChar = m.index + m[0].length - 1;
        found = counts(rule, wordAt(l.starts, m.index + 1), wordAt(l.starts, endChar), m.index);
        // The next match may start at this match's trailing space.
        regex.lastIndex = endChar;
      }
    }
    if (found) {
      categories.add(rule.category);
      ruleIds.push(rule.id);
    }
  }
  if (ruleIds.length === 0) return null;
  return {
    categories: CRISIS_CATEGORIES.filter((c) => categories.has(c)),
    ruleIds: ruleIds.sort(),
    lexiconVersion: lexicon.version,
  };
}
