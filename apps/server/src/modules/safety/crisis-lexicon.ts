/**
 * Crisis lexicons: validation and compilation of the lexicon format (packages/api/src/safety.ts), and an
 * organization's overrides merged onto a base lexicon. A compiled lexicon holds everything the detector needs,
 * built once: one regular expression per rule, the trigger index that picks the rules worth running for a message,
 * the negation cues and the normalizer.
 */
import { CRISIS_CATEGORIES, CrisisLexicon, CrisisLexiconOverrides, type CrisisCategory, type CrisisRule } from '@haven/api';
import { Compile } from 'typebox/compile';
import { AppError, type ProblemItem } from '../../platform/http/errors.js';
import { foldText, TextNormalizer } from './crisis-normalize.js';
import { parsePhrase, phraseRegex, phraseTriggers, phraseWords, PhraseError, type ParsedPhrase, type PhraseWord } from './crisis-phrase.js';

/** A compiled phrase: an exception, or (with its category) a rule. */
export interface CompiledPattern {
  readonly id: string;
  readonly regex: RegExp;
}

export interface CompiledRule extends CompiledPattern {
  readonly category: CrisisCategory;
  /** The rule starts with one of its trigger words: `regex` is sticky and tried only where one stands. */
  readonly anchored: boolean;
  /** For phrases with gaps: the same expression capturing each gap (sticky, flag `d`), else null. */
  readonly gapRegex: RegExp | null;
}

const NONE: readonly number[] = Object.freeze([]);
const TRIGGER_CACHE_LIMIT = 50_000;

/** Which patterns (by index) may match a text, by the words it contains. */
export class TriggerIndex {
  /** The patterns each word seen lately triggers (most messages reuse the same few thousand words). */
  private readonly cache = new Map<string, readonly number[]>();

  constructor(
    private readonly exact: ReadonlyMap<string, readonly number[]>,
    private readonly prefixes: ReadonlyMap<string, readonly number[]>,
    /** Distinct prefix lengths, ascending. */
    private readonly prefixLengths: readonly number[],
  ) {}

  /** The patterns whose trigger is this word (or a prefix of it), ascending. */
  of(word: string): readonly number[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    const found: number[] = [...(this.exact.get(word) ?? NONE)];
    for (const n of this.prefixLengths) {
      if (n > word.length) break;
      const list = this.prefixes.get(word.slice(0, n));
      if (list) found.push(...list);
    }
    const result = found.length > 0 ? [...new Set(found)].sort((a, b) => a - b) : NONE;
    if (this.cache.size >= TRIGGER_CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, result);
    return result;
  }
}

export interface CompiledLexicon {
  readonly version: string;
  readonly language: string;
  readonly normalizer: TextNormalizer;
  readonly rules: readonly CompiledRule[];
  readonly ruleTriggers: TriggerIndex;
  readonly exceptions: readonly CompiledPattern[];
  readonly exceptionTriggers: TriggerIndex;
  readonly negation: {
    /** All cues before a match, as one expression (longest cues first); null when there are none. */
    readonly before: RegExp | null;
    readonly after: RegExp | null;
    readonly pseudo: RegExp | null;
    readonly window: number;
    readonly afterWindow: number;
  };
  readonly clauses: {
    readonly boundaries: ReadonlySet<string>;
    readonly conjunctions: ReadonlySet<string>;
    readonly starters: ReadonlySet<string>;
    readonly openers: ReadonlySet<string>;
    readonly complementizers: ReadonlySet<string>;
  };
}

const checkLexicon = Compile(CrisisLexicon);
const checkOverrides = Compile(CrisisLexiconOverrides);
const WORDS = /^[\p{L}\p{N}]+( [\p{L}\p{N}]+)*$/u;

/** Schema errors as problems; one under a rule names the rule. */
function schemaProblems(errors: { instancePath: string; message: string }[], value: unknown): ProblemItem[] {
  return errors.slice(0, 20).map((e) => {
    const path = e.instancePath || '/';
    const m = /^\/(?:categories|add)\/([a-z_]+)\/(\d+)|^\/exceptions\/(\d+)/.exec(path);
    const v = value as { categories?: Record<string, { id?: unknown }[]>; add?: Record<string, { id?: unknown }[]>; exceptions?: { id?: unknown }[] };
    const rule = m ? (m[3] !== undefined ? v.exceptions?.[Number(m[3])] : (v.categories ?? v.add)?.[m[1]!]?.[Number(m[2])]) : undefined;
    const id = typeof rule?.id === 'string' ? `rule "${rule.id}": ` : '';
    return { path, message: `${id}${e.message}` };
  });
}

const invalid = (what: string, problems: ProblemItem[]): AppError =>
  new AppError('validation_failed', `${what} is not valid: ${problems[0]!.path}: ${problems[0]!.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, {
    errors: problems,
  });

/** Folded words of a replacement target ("kill myself"), or undefined if it is not plain words. */
function replacementWords(value: string): string[] | undefined {
  const folded = foldText(value).trim().replace(/\s+/g, ' ');
  return WORDS.test(folded) ? folded.split(' ') : undefined;
}

/** Parses one rule's phrase; a problem names the rule and says what is wrong. */
function parseRule(rule: CrisisRule, path: string, replacements: ReadonlyMap<string, readonly string[]>, problems: ProblemItem[]): ParsedPhrase | undefined {
  try {
    const parsed = parsePhrase(rule.phrase);
    for (const w of phraseWords(parsed)) {
      const to = replacements.get(w.text);
      if (to && !w.prefix) {
        problems.push({ path: `${path}/phrase`, message: `rule "${rule.id}": "${w.text}" is rewritten to "${to.join(' ')}" before matching; write "${to.join(' ')}"` });
        return undefined;
      }
    }
    return parsed;
  } catch (err) {
    if (!(err instanceof PhraseError)) throw err;
    problems.push({ path: `${path}/phrase`, message: `rule "${rule.id}": ${err.message}` });
    return undefined;
  }
}

function parseCue(source: string, path: string, replacements: ReadonlyMap<string, readonly string[]>, problems: ProblemItem[]): ParsedPhrase | undefined {
  try {
    const parsed = parsePhrase(source);
    const rewritten = phraseWords(parsed).find((w) => !w.prefix && replacements.has(w.text));
    if (rewritten) {
      const to = replacements.get(rewritten.text)!.join(' ');
      problems.push({ path, message: `cue "${source}": "${rewritten.text}" is rewritten to "${to}" before matching; write "${to}"` });
      return undefined;
    }
    return parsed;
  } catch (err) {
    if (!(err instanceof PhraseError)) throw err;
    problems.push({ path, message: `cue "${source}": ${err.message}` });
    return undefined;
  }
}

function triggerIndex(triggers: readonly PhraseWord[][]): TriggerIndex {
  const exact = new Map<string, number[]>();
  const prefixes = new Map<string, number[]>();
  const lengths = new Set<number>();
  triggers.forEach((words, ruleIndex) => {
    for (const w of words) {
      const map = w.prefix ? prefixes : exact;
      const list = map.get(w.text) ?? [];
      if (!list.includes(ruleIndex)) list.push(ruleIndex);
      map.set(w.text, list);
      if (w.prefix) lengths.add(w.text.length);
    }
  });
  return new TriggerIndex(exact, prefixes, [...lengths].sort((a, b) => a - b));
}

/** One expression for a list of cue phrases: longest first, so "no longer" wins over "no". */
function cueRegex(phrases: ParsedPhrase[]): RegExp | null {
  if (phrases.length === 0) return null;
  const sources = phrases.map((p) => phraseRegex(p).source.slice(1)).sort((a, b) => b.length - a.length);
  return new RegExp(` (?:${sources.join('|')})`, 'g');
}

interface Built {
  compiled?: CompiledLexicon;
  problems: ProblemItem[];
}

function build(config: unknown): Built {
  if (!checkLexicon.Check(config)) return { problems: schemaProblems(checkLexicon.Errors(config), config) };
  const lexicon = config as CrisisLexicon;
  const problems: ProblemItem[] = [];

  // Replacements first: phrases must be written in their replaced form.
  const replacements = new Map<string, readonly string[]>();
  for (const [field, map] of [['slang', lexicon.slang], ['spellings', lexicon.spellings]] as const) {
    for (const [key, value] of Object.entries(map)) {
      const from = foldText(key);
      const to = replacementWords(value);
      if (!/^[\p{L}\p{N}]+$/u.test(from)) problems.push({ path: `/${field}/${key}`, message: `"${key}" must be one word` });
      else if (!to) problems.push({ path: `/${field}/${key}`, message: `"${value}" must be plain words` });
      else if (replacements.has(from)) problems.push({ path: `/${field}/${key}`, message: `"${key}" is replaced twice (slang and spellings)` });
      else replacements.set(from, to);
    }
  }
  const contractions = new Map<string, string>();
  for (const [ending, word] of Object.entries(lexicon.contractions)) {
    const to = replacementWords(word);
    if (!to || to.length !== 1) problems.push({ path: `/contractions/${ending}`, message: `"${word}" must be one word` });
    else contractions.set(ending, to[0]!);
  }
  for (const [from, to] of replacements) {
    const loop = to.find((w) => replacements.has(w));
    if (loop) problems.push({ path: `/slang/${from}`, message: `"${from}" is replaced by "${to.join(' ')}", whose word "${loop}" is itself replaced` });
  }

  const ids = new Set<string>();
  const seeId = (id: string, path: string) => {
    if (ids.has(id)) problems.push({ path: `${path}/id`, message: `rule id "${id}" is used twice` });
    ids.add(id);
  };

  const rules: CompiledRule[] = [];
  const ruleTriggers: PhraseWord[][] = [];
  const vocabulary = new Set<string>(lexicon.fuzzy.vocabulary.map(foldText));
  const known = new Set<string>();
  const stems = new Set<string>();
  for (const category of CRISIS_CATEGORIES) {
    (lexicon.categories[category] ?? []).forEach((rule, i) => {
      const path = `/categories/${category}/${i}`;
      seeId(rule.id, path);
      const parsed = parseRule(rule, path, replacements, problems);
      if (!parsed) return;
      const gaps = parsed.elements.some((e) => e.kind === 'gap');
      const triggers = phraseTriggers(parsed);
      rules.push({
        id: rule.id,
        category,
        anchored: triggers.anchored,
        regex: phraseRegex(parsed, { sticky: triggers.anchored }),
        gapRegex: gaps ? phraseRegex(parsed, { gaps: true }) : null,
      });
      ruleTriggers.push(triggers.words);
      for (const w of phraseWords(parsed)) {
        if (w.prefix) stems.add(w.text);
        else {
          vocabulary.add(w.text);
          known.add(w.text);
        }
      }
    });
  }

  const exceptions: CompiledPattern[] = [];
  const exceptionTriggers: PhraseWord[][] = [];
  lexicon.exceptions.forEach((rule, i) => {
    const path = `/exceptions/${i}`;
    seeId(rule.id, path);
    const parsed = parseRule(rule, path, replacements, problems);
    if (!parsed) return;
    exceptions.push({ id: rule.id, regex: phraseRegex(parsed) });
    exceptionTriggers.push(phraseTriggers(parsed).words);
    for (const w of phraseWords(parsed)) if (!w.prefix) known.add(w.text);
  });

  const cues = (list: readonly string[], path: string): ParsedPhrase[] =>
    list.flatMap((source, i) => {
      const parsed = parseCue(source, `${path}/${i}`, replacements, problems);
      if (parsed) for (const w of phraseWords(parsed)) if (!w.prefix) known.add(w.text);
      return parsed ? [parsed] : [];
    });
  const before = cues(lexicon.negation.before, '/negation/before');
  const after = cues(lexicon.negation.after, '/negation/after');
  const pseudo = cues(lexicon.negation.pseudo, '/negation/pseudo');

  const wordSet = (list: readonly string[], path: string): Set<string> => {
    const set = new Set<string>();
    list.forEach((w, i) => {
      const folded = foldText(w);
      if (!/^[\p{L}\p{N}]+$/u.test(folded)) problems.push({ path: `${path}/${i}`, message: `"${w}" must be one word` });
      set.add(folded);
      known.add(folded);
    });
    return set;
  };
  const clauses = {
    boundaries: wordSet(lexicon.clauses.boundaries, '/clauses/boundaries'),
    conjunctions: wordSet(lexicon.clauses.conjunctions, '/clauses/conjunctions'),
    starters: wordSet(lexicon.clauses.starters, '/clauses/starters'),
    openers: wordSet(lexicon.clauses.openers, '/clauses/openers'),
    complementizers: wordSet(lexicon.clauses.complementizers, '/clauses/complementizers'),
  };
  wordSet(lexicon.fuzzy.keepWords, '/fuzzy/keepWords');
  for (const w of vocabulary) known.add(w);
  for (const to of replacements.values()) for (const w of to) known.add(w);

  if (problems.length > 0) return { problems };
  for (const w of contractions.values()) known.add(w);
  const normalizer = new TextNormalizer({ contractions, replacements, known, vocabulary: [...vocabulary], minLength: lexicon.fuzzy.minLength, stems: [...stems] });
  return {
    problems,
    compiled: {
      version: lexicon.version,
      language: lexicon.language,
      normalizer,
      rules,
      ruleTriggers: triggerIndex(ruleTriggers),
      exceptions,
      exceptionTriggers: triggerIndex(exceptionTriggers),
      negation: {
        before: cueRegex(before),
        after: cueRegex(after),
        pseudo: cueRegex(pseudo),
        window: lexicon.negation.window,
        afterWindow: lexicon.negation.afterWindow,
      },
      clauses,
    },
  };
}

/** What is wrong with a lexicon (empty when it compiles): paths into the lexicon, messages naming the rule. */
export function lexiconProblems(config: unknown): ProblemItem[] {
  return build(config).problems;
}

/**
 * Validates and compiles a lexicon. Throws AppError `validation_failed` whose `errors` name each bad rule, e.g.
 * `{ path: '/categories/self_harm/3/phrase', message: 'rule "sh.cut": unclosed "(" at character 5' }`.
 */
export function compileLexicon(config: unknown): CompiledLexicon {
  const { compiled, problems } = build(config);
  if (!compiled) throw invalid('The crisis lexicon', problems);
  return compiled;
}

const without = (map: Record<string, string>, keys: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(map).filter(([k]) => !keys || !(k in keys)));

/**
 * An organization's lexicon: the base with the overrides' rules and exceptions added, its disabled rules removed,
 * its cues, replacements and protected words added. The result's version is `<base version>+<revision>`.
 * Throws AppError `validation_failed` (paths into the overrides) when the overrides do not fit the base.
 */
export function mergeLexicon(base: CrisisLexicon, overrides: unknown): CrisisLexicon {
  if (!checkOverrides.Check(overrides)) throw invalid('The lexicon overrides', schemaProblems(checkOverrides.Errors(overrides), overrides));
  const o = overrides as CrisisLexiconOverrides;
  const problems: ProblemItem[] = [];
  if (o.baseVersion !== base.version) problems.push({ path: '/baseVersion', message: `the overrides were written for "${o.baseVersion}", the base lexicon is "${base.version}"` });

  const baseIds = new Set<string>([...CRISIS_CATEGORIES.flatMap((c) => (base.categories[c] ?? []).map((r) => r.id)), ...base.exceptions.map((r) => r.id)]);
  const disabled = new Set(o.disable ?? []);
  (o.disable ?? []).forEach((id, i) => {
    if (!baseIds.has(id)) problems.push({ path: `/disable/${i}`, message: `no rule "${id}" in ${base.version}` });
  });

  const replacements = new Map<string, readonly string[]>();
  for (const map of [base.slang, base.spellings, o.slang ?? {}, o.spellings ?? {}]) {
    for (const [k, v] of Object.entries(map)) {
      const to = replacementWords(v);
      if (to) replacements.set(foldText(k), to);
    }
  }
  const addedIds = new Set<string>();
  const checkAdded = (rule: CrisisRule, path: string) => {
    if (baseIds.has(rule.id)) problems.push({ path: `${path}/id`, message: `rule id "${rule.id}" is already a rule of ${base.version}; choose another id (e.g. org.${rule.id})` });
    else if (addedIds.has(rule.id)) problems.push({ path: `${path}/id`, message: `rule id "${rule.id}" is used twice` });
    addedIds.add(rule.id);
    parseRule(rule, path, replacements, problems);
  };
  for (const c of CRISIS_CATEGORIES) (o.add?.[c] ?? []).forEach((r, i) => checkAdded(r, `/add/${c}/${i}`));
  (o.exceptions ?? []).forEach((r, i) => checkAdded(r, `/exceptions/${i}`));
  for (const field of ['before', 'after', 'pseudo'] as const) (o.negation?.[field] ?? []).forEach((cue, i) => parseCue(cue, `/negation/${field}/${i}`, replacements, problems));
  if (problems.length > 0) throw invalid('The lexicon overrides', problems);

  const keep = (rules: readonly CrisisRule[]) => rules.filter((r) => !disabled.has(r.id));
  const categories = Object.fromEntries(CRISIS_CATEGORIES.map((c) => [c, [...keep(base.categories[c] ?? []), ...(o.add?.[c] ?? [])]])) as CrisisLexicon['categories'];
  return {
    ...base,
    version: `${base.version}+${o.revision}`,
    categories,
    exceptions: [...keep(base.exceptions), ...(o.exceptions ?? [])],
    negation: {
      ...base.negation,
      before: [...base.negation.before, ...(o.negation?.before ?? [])],
      after: [...base.negation.after, ...(o.negation?.after ?? [])],
      pseudo: [...base.negation.pseudo, ...(o.negation?.pseudo ?? [])],
    },
    // An organization's replacement of a word wins over the base's, whichever list either is in.
    slang: { ...without(base.slang, o.spellings), ...(o.slang ?? {}) },
    spellings: { ...without(base.spellings, o.slang), ...(o.spellings ?? {}) },
    fuzzy: { ...base.fuzzy, keepWords: [...base.fuzzy.keepWords, ...(o.keepWords ?? [])] },
  };
}
