import { Type, type Static } from 'typebox';
import { Cursor, Limit, Timestamp, Uuid } from './common.js';

/**
 * Crisis-language detection: the lexicon format. Haven checks every patient message against a versioned lexicon of
 * phrases per crisis category; an organization configures it as a base lexicon plus its own additions and disabled
 * rules (CrisisLexiconOverrides). Phrases use a restricted syntax that Haven compiles to safe regular expressions
 * (never a raw regular expression from a user):
 *
 *   words            `chest pain`          words match whole normalized words (lower case, no accents, no apostrophes)
 *   word prefix      `suicid*`             any word starting with `suicid` (at least 3 letters before the `*`)
 *   word gap         `want [0-2] die`      0 to 2 arbitrary words in between (`[2]` means `[0-2]`; at most 6)
 *   alternatives     `(kill|hurt*) myself` one of the alternatives, each a sequence of words and prefixes
 *   optional         `(really|so)? sad`    the group may be absent
 *   number           `took # pills`        a number of at least two digits (10 or more)
 *
 * A phrase never matches across a sentence end (. ! ? ; : or a line break).
 */
export const CRISIS_CATEGORIES = ['suicidal_ideation', 'self_harm', 'chest_pain', 'stroke_signs', 'overdose', 'abuse'] as const;
export const CrisisCategory = Type.Union([
  Type.Literal('suicidal_ideation'),
  Type.Literal('self_harm'),
  Type.Literal('chest_pain'),
  Type.Literal('stroke_signs'),
  Type.Literal('overdose'),
  Type.Literal('abuse'),
]);
export type CrisisCategory = Static<typeof CrisisCategory>;

export const CrisisRuleId = Type.String({
  minLength: 1,
  maxLength: 80,
  pattern: '^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*$',
  description: 'Stable id, unique in the lexicon, e.g. si.kill_myself (reported when the rule matches)',
});
export const CrisisPhrase = Type.String({ minLength: 1, maxLength: 1000, description: 'A phrase in the restricted phrase syntax' });
/** One word of the lexicon's language, as Haven normalizes it: lower case letters and digits. */
const LexiconWord = Type.String({ minLength: 1, maxLength: 40 });

export const CrisisRule = Type.Object(
  {
    id: CrisisRuleId,
    phrase: CrisisPhrase,
    note: Type.Optional(Type.String({ maxLength: 300, description: 'Why the rule is there (for reviewers)' })),
  },
  { additionalProperties: false },
);
export type CrisisRule = Static<typeof CrisisRule>;

const RuleList = Type.Array(CrisisRule, { maxItems: 2000 });
export const CrisisCategoryRules = Type.Object(
  {
    suicidal_ideation: Type.Optional(RuleList),
    self_harm: Type.Optional(RuleList),
    chest_pain: Type.Optional(RuleList),
    stroke_signs: Type.Optional(RuleList),
    overdose: Type.Optional(RuleList),
    abuse: Type.Optional(RuleList),
  },
  { additionalProperties: false },
);
export type CrisisCategoryRules = Static<typeof CrisisCategoryRules>;

const PhraseList = Type.Array(CrisisPhrase, { maxItems: 500 });
const WordList = Type.Array(LexiconWord, { maxItems: 5000 });
/** Replacements of one normalized word by one or more words (slang, known misspellings). */
const WordMap = Type.Record(Type.String({ pattern: '^[^ ]{1,40}$' }), Type.String({ minLength: 1, maxLength: 120 }), { maxProperties: 5000 });

export const CrisisNegation = Type.Object(
  {
    before: PhraseList,
    after: PhraseList,
    pseudo: Type.Array(CrisisPhrase, { maxItems: 500, description: 'Phrases that contain a negation word but do not negate (e.g. "no one", "not sure")' }),
    window: Type.Integer({ minimum: 1, maximum: 12, description: 'A cue before a match negates it when at most this many words stand between them, in the same clause' }),
    afterWindow: Type.Integer({ minimum: 0, maximum: 6, description: 'The same for cues after a match' }),
  },
  { additionalProperties: false },
);

export const CrisisClauses = Type.Object(
  {
    boundaries: Type.Array(LexiconWord, { maxItems: 200, description: 'Words that start a new clause (but, however…)' }),
    conjunctions: Type.Array(LexiconWord, { maxItems: 200, description: 'Words that start a new clause when a starter or opener follows (and, so…)' }),
    starters: Type.Array(LexiconWord, { maxItems: 200, description: 'Words that usually open a clause (subject pronouns)' }),
    openers: Type.Array(LexiconWord, { maxItems: 200, description: 'Words that open a new clause after a comma or a conjunction (my, the…)' }),
    complementizers: Type.Array(LexiconWord, { maxItems: 200, description: 'Words after which a starter does not open a new clause (that, if, think…)' }),
  },
  { additionalProperties: false },
);

export const CrisisLexicon = Type.Object(
  {
    version: Type.String({ minLength: 1, maxLength: 80, pattern: '^[A-Za-z0-9][A-Za-z0-9._+-]*$', description: 'e.g. en-2026.11.1' }),
    language: Type.String({ pattern: '^[a-z]{2,3}(-[A-Z]{2})?$', description: 'BCP 47 language (and region), e.g. en, es, pt-BR' }),
    categories: CrisisCategoryRules,
    exceptions: Type.Array(CrisisRule, { maxItems: 2000, description: 'Benign phrases ("killing time"): words they cover never count towards a match' }),
    negation: CrisisNegation,
    clauses: CrisisClauses,
    contractions: Type.Record(Type.String({ pattern: '^[a-z]{1,10}$' }), Type.String({ minLength: 1, maxLength: 40 }), {
      maxProperties: 50,
      description: 'Endings after an apostrophe and the word they stand for ("ll": "will" makes "he\'ll" "he will", not "hell")',
    }),
    slang: WordMap,
    spellings: WordMap,
    fuzzy: Type.Object(
      {
        minLength: Type.Integer({ minimum: 3, maximum: 20, description: 'Words at least this long are corrected when one edit away from a lexicon word' }),
        vocabulary: Type.Array(LexiconWord, { maxItems: 5000, description: 'Extra words typos are corrected to (full forms of prefixed words)' }),
        keepWords: Type.Array(LexiconWord, { maxItems: 20000, description: 'Real words one edit away from a lexicon word: never corrected' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type CrisisLexicon = Static<typeof CrisisLexicon>;

/** An organization's configuration: a base lexicon version plus additions and disabled rules. */
export const CrisisLexiconOverrides = Type.Object(
  {
    baseVersion: Type.String({ minLength: 1, maxLength: 80, description: 'The base lexicon these overrides were written for' }),
    revision: Type.String({ minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'The organization\'s own revision label; the merged version is <base>+<revision>' }),
    add: Type.Optional(CrisisCategoryRules),
    disable: Type.Optional(Type.Array(CrisisRuleId, { maxItems: 2000, description: 'Ids of base rules or exceptions to turn off' })),
    exceptions: Type.Optional(Type.Array(CrisisRule, { maxItems: 500 })),
    negation: Type.Optional(
      Type.Object({ before: Type.Optional(PhraseList), after: Type.Optional(PhraseList), pseudo: Type.Optional(PhraseList) }, { additionalProperties: false }),
    ),
    slang: Type.Optional(WordMap),
    spellings: Type.Optional(WordMap),
    keepWords: Type.Optional(WordList),
  },
  { additionalProperties: false },
);
export type CrisisLexiconOverrides = Static<typeof CrisisLexiconOverrides>;

/** What the detector reports: categories and rule ids, never the matched text. */
export const CrisisMatch = Type.Object({
  categories: Type.Array(CrisisCategory),
  ruleIds: Type.Array(Type.String()),
  lexiconVersion: Type.String(),
});
export type CrisisMatch = Static<typeof CrisisMatch>;

// ---- an organization's lexicon (safety.lexicon.*) -------------------------------------------------------------------

/**
 * Overrides as an admin sends them: `revision` may be left out and is ignored when given (the server numbers
 * revisions itself and writes the new number there). Send `{ baseVersion }` alone to go back to the base lexicon.
 */
export const CrisisLexiconOverridesInput = Type.Object(
  {
    ...CrisisLexiconOverrides.properties,
    revision: Type.Optional(Type.String({ maxLength: 40, description: 'Ignored: the server sets it to the new revision number' })),
  },
  { additionalProperties: false },
);
export type CrisisLexiconOverridesInput = Static<typeof CrisisLexiconOverridesInput>;

/** One problem of stored overrides that no longer fit the base lexicon (a JSON pointer into the overrides). */
export const CrisisLexiconProblem = Type.Object({ path: Type.String(), message: Type.String() });

/** How big a revision is: what it adds, disables and replaces (never its phrases). */
export const CrisisLexiconCounts = Type.Object({
  added: Type.Integer({ description: 'Rules added, all categories' }),
  disabled: Type.Integer({ description: 'Base rules and exceptions turned off' }),
  exceptions: Type.Integer({ description: 'Exceptions added' }),
  cues: Type.Integer({ description: 'Negation cues and pseudo-negations added' }),
  replacements: Type.Integer({ description: 'Slang and spelling replacements' }),
  keepWords: Type.Integer({ description: 'Words protected from typo correction' }),
});
export type CrisisLexiconCounts = Static<typeof CrisisLexiconCounts>;

export const CrisisLexiconStatus = Type.Union([Type.Literal('base'), Type.Literal('merged'), Type.Literal('stale')], {
  description:
    'base: no overrides were ever saved; merged: the latest revision is in force; stale: the latest revision no longer fits the base lexicon (see problems) and detection uses the base lexicon until an admin saves a revision that fits',
});

/** The lexicon an organization's patient messages are checked against. */
export const CrisisLexiconSettings = Type.Object({
  language: Type.String({ description: 'Language of the base lexicon, e.g. en' }),
  baseVersion: Type.String({ description: "Version of Haven's base lexicon in force, e.g. en-2026.11.1" }),
  effectiveVersion: Type.String({ description: 'What matches report: <baseVersion>+<revision> when the overrides are in force, else baseVersion' }),
  status: CrisisLexiconStatus,
  problems: Type.Array(CrisisLexiconProblem, { description: 'Why stored overrides are stale (empty otherwise)' }),
  revision: Type.Integer({ minimum: 0, description: 'Latest saved revision; 0 when none. Send it as expectedRevision with the next update' }),
  overrides: Type.Union([CrisisLexiconOverrides, Type.Null()], { description: 'The latest revision (also when stale), null when none' }),
  counts: Type.Union([CrisisLexiconCounts, Type.Null()]),
  updatedBy: Type.Union([Uuid, Type.Null()], { description: 'Who saved the latest revision' }),
  updatedAt: Type.Union([Timestamp, Type.Null()]),
});
export type CrisisLexiconSettings = Static<typeof CrisisLexiconSettings>;

export const CrisisLexiconUpdate = Type.Object(
  {
    expectedRevision: Type.Integer({ minimum: 0, maximum: 2147483646, description: 'The revision this change is based on (0 when none yet); another one answers 409 conflict' }),
    overrides: CrisisLexiconOverridesInput,
  },
  { additionalProperties: false },
);
export type CrisisLexiconUpdate = Static<typeof CrisisLexiconUpdate>;

/** One saved revision, for the history (the overrides themselves are not repeated). */
export const CrisisLexiconRevision = Type.Object({
  revision: Type.Integer({ minimum: 1 }),
  baseVersion: Type.String(),
  version: Type.String({ description: '<baseVersion>+<revision>' }),
  createdBy: Uuid,
  createdAt: Timestamp,
  counts: CrisisLexiconCounts,
});
export type CrisisLexiconRevision = Static<typeof CrisisLexiconRevision>;

export const CrisisLexiconHistoryQuery = Type.Object(
  {
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

/** Try a text against the lexicon in force, or against proposed overrides, without saving anything. */
export const CrisisLexiconCheck = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 20000, description: 'Never stored, logged or audited' }),
    overrides: Type.Optional(CrisisLexiconOverridesInput),
  },
  { additionalProperties: false },
);
export type CrisisLexiconCheck = Static<typeof CrisisLexiconCheck>;

export const CrisisLexiconCheckResult = Type.Object({
  lexiconVersion: Type.String({ description: 'The lexicon the text was checked against (<base>+proposed for proposed overrides)' }),
  match: Type.Union([CrisisMatch, Type.Null()]),
});
export type CrisisLexiconCheckResult = Static<typeof CrisisLexiconCheckResult>;
