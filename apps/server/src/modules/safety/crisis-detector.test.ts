import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { CRISIS_CATEGORIES, type CrisisLexicon } from '@haven/api';
import { AppError } from '../../platform/http/errors.js';
import { detectCrisis } from './crisis-detector.js';
import { checkSet, evaluate, type LabelledMessage } from './crisis-evaluation.js';
import { compileLexicon, lexiconProblems, mergeLexicon } from './crisis-lexicon.js';
import { en } from './lexicons/en.js';
import { es } from './lexicons/es.js';
import { commonWords, wordsCorrected } from './lexicons/generate-keep-words.js';
import { baseLexicon, compiledLexicon, crisisLanguages, lexiconLanguage, registerLexicon } from './lexicons/index.js';

const EN = compiledLexicon('en');
const ES = compiledLexicon('es');
const load = (name: string): LabelledMessage[] => checkSet(JSON.parse(readFileSync(new URL(`./crisis-testset.${name}.json`, import.meta.url), 'utf8')));
const categoriesOf = (text: string, lexicon = EN) => detectCrisis(text, lexicon)?.categories ?? [];
const flagged = (text: string, lexicon = EN) => detectCrisis(text, lexicon) !== null;

/** The error a compile or merge throws: its code and problems. */
function problemsOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`);
    assert.equal(err.code, 'validation_failed');
    assert.equal(err.status, 400);
    assert.ok(err.errors && err.errors.length > 0);
    return err.errors;
  }
  assert.fail('expected the lexicon to be refused');
}

/** A small valid lexicon to vary in the compile tests. */
const tiny = (over: Partial<CrisisLexicon> = {}): CrisisLexicon => ({
  version: 'xx-1',
  language: 'xx',
  categories: { self_harm: [{ id: 'sh.one', phrase: 'hurt myself' }] },
  exceptions: [],
  negation: { before: ['not'], after: [], pseudo: [], window: 3, afterWindow: 0 },
  clauses: { boundaries: ['but'], conjunctions: [], starters: [], openers: [], complementizers: [] },
  contractions: {},
  slang: {},
  spellings: {},
  fuzzy: { minLength: 5, vocabulary: [], keepWords: [] },
  ...over,
});

describe('labelled sets: precision and recall', () => {
  const sets = [
    { name: 'en', lexicon: EN, minimum: 240, what: 'English dev set (the lexicon was tuned on it)' },
    { name: 'en.heldout', lexicon: EN, minimum: 80, what: 'English held-out set 1 (written before the lexicon)' },
    { name: 'en.heldout2', lexicon: EN, minimum: 80, what: 'English held-out set 2 (written after the first held-out run)' },
    { name: 'en.heldout3', lexicon: EN, minimum: 80, what: 'English held-out set 3 (evaluated blind once at recall 0.694; its misses informed en-2026.12.1)' },
    { name: 'en.heldout4', lexicon: EN, minimum: 200, what: 'English held-out set 4 (written blind; evaluated blind once at recall 0.775; its misses informed en-2026.12.2)' },
    { name: 'en.heldout5', lexicon: EN, minimum: 200, what: 'English held-out set 5 (written blind; evaluated blind once at recall 0.800; its misses informed en-2026.12.3)' },
    { name: 'es', lexicon: ES, minimum: 40, what: 'Spanish set' },
  ];
  /**
   * Held-out set 6 was written blind (by someone who never saw the lexicon or the other sets) after all lexicon work
   * and evaluated once (en-2026.12.3: recall 0.767, precision 0.920): the lexicon does NOT reach the 0.95 recall
   * target on phrasing it has never seen (see docs/safety.md). It is not tuned to; this test shows its numbers and
   * guards against regressions only.
   */
  const FRESH_RECALL_FLOOR = 0.75;
  for (const { name, lexicon, minimum, what } of sets) {
    test(`${what}: overall recall >= 0.95 and precision >= 0.85`, (t) => {
      const set = load(name);
      assert.ok(set.length >= minimum, `${name} has ${set.length} messages, fewer than ${minimum}`);
      for (const c of CRISIS_CATEGORIES) assert.ok(set.some((m) => m.label === c), `${name} has no ${c} message`);
      for (const kind of ['positive', 'negative', 'negation', 'misspelling', 'benign_idiom'] as const) assert.ok(set.some((m) => m.kind === kind), `${name} has no ${kind} message`);
      const e = evaluate(set, lexicon);
      const pct = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(3));
      t.diagnostic(`${name}: ${e.messages} messages, overall precision ${pct(e.overall.precision)} recall ${pct(e.overall.recall)} (TP ${e.overall.tp}, FP ${e.overall.fp}, FN ${e.overall.fn})`);
      for (const c of CRISIS_CATEGORIES) {
        const s = e.categories[c];
        t.diagnostic(`  ${c}: precision ${pct(s.precision)} recall ${pct(s.recall)} (TP ${s.tp}, FP ${s.fp}, FN ${s.fn})`);
      }
      for (const err of e.errors) t.diagnostic(`  wrong: [${err.message.label ?? 'none'}] ${err.message.kind} -> ${err.detected?.ruleIds.join(',') ?? 'nothing'}`);
      assert.ok(e.overall.recall >= 0.95, `${name}: recall ${e.overall.recall} < 0.95`);
      assert.ok(e.overall.precision >= 0.85, `${name}: precision ${e.overall.precision} < 0.85`);
    });
  }

  test(`English held-out set 6 (written blind, never tuned to): precision >= 0.85, recall above its regression floor ${FRESH_RECALL_FLOOR} (the 0.95 target is not met)`, (t) => {
    const set = load('en.heldout6');
    assert.ok(set.length >= 200);
    const e = evaluate(set, EN);
    t.diagnostic(`en.heldout6: ${e.messages} messages, overall precision ${e.overall.precision.toFixed(3)} recall ${e.overall.recall.toFixed(3)} (TP ${e.overall.tp}, FP ${e.overall.fp}, FN ${e.overall.fn}); target 0.95 NOT met`);
    assert.ok(e.overall.precision >= 0.85, `precision ${e.overall.precision}`);
    assert.ok(e.overall.recall >= FRESH_RECALL_FLOOR, `recall ${e.overall.recall} fell below the regression floor ${FRESH_RECALL_FLOOR}`);
  });

  test('a set whose labels do not fit their kinds is refused', () => {
    assert.throws(() => checkSet([{ text: 'I am not suicidal', label: 'suicidal_ideation', kind: 'negation' }]), /label does not fit/);
    assert.throws(() => checkSet([{ text: 'x', label: 'sadness', kind: 'positive' }]), /message 0/);
    assert.throws(() => checkSet({}), /array/);
  });
});

describe('negation', () => {
  test('the examples of the issue', () => {
    assert.equal(detectCrisis("I'm not suicidal", EN), null);
    assert.equal(detectCrisis('no chest pain', EN), null);
    assert.equal(detectCrisis('never thought of hurting myself', EN), null);
    assert.equal(detectCrisis('denies SI', EN), null);
    assert.deepEqual(categoriesOf("I'm not ok, I want to end it all"), ['suicidal_ideation']);
    assert.deepEqual(categoriesOf("I don't want to live anymore"), ['suicidal_ideation']);
  });

  test('a negation reaches only its window of words in its clause', () => {
    // The cue is too far away (11 words) in the same clause: the match stands.
    assert.ok(flagged('Without my sister around these last few lonely months everything makes me want to die'));
    // Close enough: negated.
    assert.ok(!flagged('I have never really wanted to die'));
  });

  test('clause boundaries end a negation: sentence ends, "but", a new subject after a comma or a conjunction', () => {
    assert.deepEqual(categoriesOf("I'm not suicidal. I want to die."), ['suicidal_ideation']);
    assert.deepEqual(categoriesOf("I'm not suicidal but I keep cutting myself"), ['self_harm']);
    assert.deepEqual(categoriesOf('There is no chest pain, my left arm hurts a lot'), ['chest_pain']);
    assert.deepEqual(categoriesOf("I'm not ok and I want to end it all"), ['suicidal_ideation']);
    // Without punctuation, a new subject still starts a clause...
    assert.deepEqual(categoriesOf('im not ok i want to kill myself'), ['suicidal_ideation']);
    // ...but not after "that"/"think", where it continues the negated thought.
    assert.equal(detectCrisis("I have no thoughts that I would hurt myself", EN), null);
    assert.equal(detectCrisis("I don't think I'd ever hurt myself", EN), null);
  });

  test('a cue inside a match negates it, unless it is one of the rule\'s own words', () => {
    assert.equal(detectCrisis("His speech isn't slurred, he's just tired", EN), null);
    assert.equal(detectCrisis('My husband has never hit me', EN), null);
    assert.ok(flagged('I do not want to live'));
  });

  test('a cue after the match, within its window', () => {
    assert.equal(detectCrisis('The chest pain went away after I rested', EN), null);
    assert.equal(detectCrisis('I had thoughts of suicide years ago', EN), null);
    assert.ok(flagged('chest pain that went down my left arm'));
  });

  test('interjections and pseudo-negations do not negate', () => {
    assert.ok(flagged('No, I want to die'));
    assert.ok(flagged('No one would miss me if I died'));
    assert.ok(flagged("I can't stop thinking about killing myself"));
    assert.ok(flagged("I'm not sure I want to be alive anymore. I want to disappear"));
    assert.ok(flagged('Struggling not to cut tonight'));
  });

  test('Spanish: the same rules with its own cues', () => {
    assert.equal(detectCrisis('No quiero morir, solo estoy cansada', ES), null);
    assert.deepEqual(categoriesOf('Ya no quiero vivir', ES), ['suicidal_ideation']);
    assert.equal(detectCrisis('Nunca he pensado en suicidarme', ES), null);
    assert.deepEqual(categoriesOf('No tengo fiebre pero me duele el pecho', ES), ['chest_pain']);
  });
});

describe('normalization', () => {
  test('case, accents, compatibility forms and typographic apostrophes', () => {
    assert.ok(flagged('I WANT TO KILL MYSELF'));
    assert.ok(flagged('Ｉ ｗａｎｔ ｔｏ ｄｉｅ'));
    assert.equal(detectCrisis('I don’t want to die, I’m scared of surgery', EN), null);
    assert.ok(flagged('Quiero suicidarme', ES) && flagged('quiero matarme', ES) && flagged('Pienso en el suicídio', ES));
  });

  test('contractions: "he\'ll" is "he will", not "hell"', () => {
    assert.deepEqual(categoriesOf("He said he'll kill me if I leave"), ['abuse']);
    assert.equal(detectCrisis('what the hell, the pharmacy is closed', EN), null);
  });

  test('repeated letters, digits as letters, slang', () => {
    assert.ok(flagged('i want to diiiiiie'));
    assert.ok(flagged('im gonna k1ll mys3lf'));
    assert.ok(flagged('honestly might kms'));
    assert.ok(flagged('thinking about unaliving myself'));
    assert.ok(flagged('sewerslide is on my mind'));
    assert.ok(flagged('kiero morirme', ES));
  });

  test('one-edit typos of lexicon words of 5+ letters (and swapped letters in 4-letter words)', () => {
    assert.ok(flagged('feeling really sucidal'));
    assert.ok(flagged('i overdossed on my meds'));
    assert.ok(flagged('chset pain since i woke up'));
    assert.ok(flagged('my husbnd hits me'));
    assert.ok(flagged('the pian in my chest is bad'));
    assert.ok(flagged('tengo dolor en el pehco', ES));
  });

  test('real words are never corrected into lexicon words', () => {
    assert.ok(flagged('I took all my pills'));
    assert.equal(detectCrisis('I paid all my bills', EN), null);
    assert.equal(detectCrisis('I keep putting myself down', EN), null);
    assert.equal(detectCrisis('We played chess and my dad said it hurts his pride', EN), null);
  });

  test('the protected words are up to date: no common word is changed by typo correction', async () => {
    for (const [language, lexicon] of [['en', en], ['es', es]] as const) {
      const changed = wordsCorrected(lexicon, await commonWords(language));
      const stale = changed.filter((w) => !lexicon.fuzzy.keepWords.includes(w));
      assert.deepEqual(stale, [], `${language}: regenerate with node --import tsx apps/server/src/modules/safety/lexicons/generate-keep-words.ts ${language}`);
    }
  });
});

describe('exceptions (benign idioms)', () => {
  test('idioms with crisis words are not flagged', () => {
    for (const text of [
      "I'm killing time in the waiting room",
      "I'm dying to know my results",
      'When will the chest x-ray results be ready?',
      'I got an overdue bill from billing',
      'my feet are killing me after the shift',
      'I could kill for a coffee',
      'You almost gave me a heart attack with that voicemail',
      'it was a stroke of luck',
      'refill for my chest inhaler',
      'I cut my hair and my neck itches',
      'the pain killers help',
      'I cut myself shaving this morning',
    ]) {
      assert.equal(detectCrisis(text, EN), null, text);
    }
  });

  test('an exception masks only its own words', () => {
    assert.deepEqual(categoriesOf("I'm killing time until I kill myself"), ['suicidal_ideation']);
    assert.deepEqual(categoriesOf('The chest x-ray was fine but now I have crushing chest pain'), ['chest_pain']);
  });
});

describe('result', () => {
  test('categories, rule ids and the lexicon version; never the words of the message', () => {
    const text = 'I took a whole bottle of tylenol and my husband hits me';
    const r = detectCrisis(text, EN);
    assert.ok(r);
    assert.deepEqual(Object.keys(r).sort(), ['categories', 'lexiconVersion', 'ruleIds']);
    assert.deepEqual(r.categories, ['overdose', 'abuse']);
    assert.ok(r.ruleIds.includes('od.took_bottle') && r.ruleIds.includes('ab.person_verbs'));
    assert.equal(r.lexiconVersion, 'en-2026.12.3');
    // Rule ids are the lexicon's, and nothing of the message itself comes back.
    for (const id of r.ruleIds) assert.ok(EN.rules.some((rule) => rule.id === id), id);
    const json = JSON.stringify(r);
    for (const word of ['tylenol', 'whole', 'husband', 'hits']) assert.ok(!json.includes(word), word);
  });

  test('empty, punctuation-only and harmless messages give null', () => {
    for (const text of ['', '   ', '...!!!', '🙂', 'Can I move my appointment to Friday?']) assert.equal(detectCrisis(text, EN), null);
  });
});

describe('compiling a lexicon', () => {
  test('the shipped lexicons compile', () => {
    assert.deepEqual(lexiconProblems(en), []);
    assert.deepEqual(lexiconProblems(es), []);
    assert.ok(EN.rules.length > 150 && ES.rules.length > 40);
  });

  test('bad phrases are refused with the rule named and what is wrong', () => {
    const bad = (phrase: string) => problemsOf(() => compileLexicon(tiny({ categories: { self_harm: [{ id: 'sh.bad', phrase }] } })))[0]!;
    const cases: [string, RegExp][] = [
      ['(cut|hurt myself', /unclosed "\("/],
      ['cut) myself', /unbalanced "\)"/],
      ['((cut|hurt)) myself', /cannot be nested/],
      ['want [0-9] die', /wider than 6/],
      ['want [2-1] die', /minimum above its maximum/],
      ['want [a-b] die', /gap is written/],
      ['[0-2] die', /cannot start or end with a gap/],
      ['su* myself', /too short/],
      ['su*c myself', /may only end a word/],
      ['(cut|hurt)+ myself', /unexpected "\+"/],
      ['.* myself', /unexpected "\."/],
      ['(a|b){1000}', /unexpected "\{"/],
      ['cut\\s+myself', /unexpected "\\"/],
      ['(cut|) myself', /empty alternative/],
      ['(cut)?', /at least one word that is not optional/],
      ['die $ now', /only end the phrase/],
      ['want [3] to [3] die [3] now [3] ok', /more than 3 gaps/],
      ['k1ll myself', /mixes letters and digits/],
      ['dont want to live', /rewritten to "do not"/],
    ];
    for (const [phrase, message] of cases) {
      const lex = phrase === 'dont want to live' ? tiny({ slang: { dont: 'do not' }, categories: { self_harm: [{ id: 'sh.bad', phrase }] } }) : undefined;
      const p = lex ? problemsOf(() => compileLexicon(lex))[0]! : bad(phrase);
      assert.equal(p.path, '/categories/self_harm/0/phrase', phrase);
      assert.match(p.message, /^rule "sh\.bad": /, phrase);
      assert.match(p.message, message, phrase);
    }
  });

  test('schema errors, duplicate ids and bad cues are refused with their paths', () => {
    const schema = problemsOf(() => compileLexicon({ ...tiny(), categories: { sadness: [] } }));
    assert.ok(schema.some((p) => p.path.startsWith('/categories')));
    const long = problemsOf(() => compileLexicon(tiny({ categories: { abuse: [{ id: 'ab.long', phrase: 'x '.repeat(600) }] } })));
    assert.match(long[0]!.message, /^rule "ab\.long": /);
    const dup = problemsOf(() => compileLexicon(tiny({ categories: { self_harm: [{ id: 'sh.one', phrase: 'cut myself' }, { id: 'sh.one', phrase: 'burn myself' }] } })));
    assert.deepEqual(dup.map((p) => p.path), ['/categories/self_harm/1/id']);
    const cue = problemsOf(() => compileLexicon(tiny({ negation: { before: ['no (way'], after: [], pseudo: [], window: 3, afterWindow: 0 } })));
    assert.equal(cue[0]!.path, '/negation/before/0');
    const version = problemsOf(() => compileLexicon(tiny({ version: 'bad version!' })));
    assert.equal(version[0]!.path, '/version');
  });

  test('phrases compile to expressions that match whole words only', () => {
    const lex = compileLexicon(
      tiny({
        categories: {
          self_harm: [
            { id: 'sh.prefix', phrase: 'self harm*' },
            { id: 'sh.gap', phrase: 'want [1-2] hurt myself' },
            { id: 'sh.end', phrase: 'cutting again $' },
            // Starts with an optional group: not anchored to a first word, so its expression scans the text.
            { id: 'sh.optional_first', phrase: '(really)? badly [0-1] burned myself' },
          ],
          overdose: [{ id: 'od.number', phrase: 'took # (of my)? pills' }],
        },
      }),
    );
    const ids = (text: string) => detectCrisis(text, lex)?.ruleIds ?? [];
    assert.deepEqual(ids('self harming'), ['sh.prefix']);
    assert.deepEqual(ids('myself harming'), []);
    assert.deepEqual(ids('want to hurt myself'), ['sh.gap']);
    assert.deepEqual(ids('want hurt myself'), []);
    assert.deepEqual(ids('want to really badly hurt myself'), []);
    assert.deepEqual(ids('I want to. Hurt myself is a song'), []);
    assert.deepEqual(ids('cutting again, sorry'), ['sh.end']);
    assert.deepEqual(ids('cutting again coupons'), []);
    assert.deepEqual(ids('took 30 of my pills'), ['od.number']);
    assert.deepEqual(ids('took 2 pills'), []);
    assert.ok(!lex.rules.find((r) => r.id === 'sh.optional_first')!.anchored && lex.rules.find((r) => r.id === 'sh.gap')!.anchored);
    assert.deepEqual(ids('i really badly just burned myself'), ['sh.optional_first']);
    assert.deepEqual(ids('i badly burned myself, i did not burn myself on purpose'), ['sh.optional_first']);
    assert.deepEqual(ids('i have not badly burned myself'), []);
  });
});

describe('organization overrides', () => {
  const overrides = {
    baseVersion: en.version,
    revision: 'org-7',
    add: { self_harm: [{ id: 'org.pinch', phrase: 'pinch* myself until (it|i) bruise*' }] },
    disable: ['sh.cut_self', 'x.killing_time'],
    exceptions: [{ id: 'org.x.cutting_room', phrase: 'cutting room' }],
    slang: { 'selfh': 'self harm' },
  };

  test('a merge adds and disables rules and versions the result', () => {
    const merged = mergeLexicon(en, overrides);
    assert.equal(merged.version, 'en-2026.12.3+org-7');
    const lex = compileLexicon(merged);
    assert.deepEqual(detectCrisis('I pinch myself until it bruises', lex)?.ruleIds, ['org.pinch']);
    assert.equal(detectCrisis('I pinch myself until it bruises', EN), null);
    assert.ok(EN.rules.some((r) => r.id === 'sh.cut_self') && !lex.rules.some((r) => r.id === 'sh.cut_self'));
    assert.equal(detectCrisis('selfh again', EN), null);
    assert.deepEqual(detectCrisis('selfh again', lex)?.categories, ['self_harm']);
    // The base lexicon is not changed by a merge.
    assert.ok(en.categories.self_harm!.some((r) => r.id === 'sh.cut_self'));
    assert.equal(en.version, 'en-2026.12.3');
  });

  test('overrides that do not fit the base are refused with paths into the overrides', () => {
    const paths = (o: unknown) => problemsOf(() => mergeLexicon(en, o)).map((p) => `${p.path} ${p.message}`);
    assert.match(paths({ ...overrides, baseVersion: 'en-2020.1.1' })[0]!, /^\/baseVersion the overrides were written for "en-2020\.1\.1"/);
    assert.match(paths({ ...overrides, disable: ['sh.nope'] })[0]!, /^\/disable\/0 no rule "sh\.nope"/);
    assert.match(paths({ ...overrides, add: { abuse: [{ id: 'ab.strong_verbs', phrase: 'hits me' }] } })[0]!, /^\/add\/abuse\/0\/id .*already a rule/);
    assert.match(paths({ ...overrides, add: { abuse: [{ id: 'org.bad', phrase: 'hits (me' }] } })[0]!, /^\/add\/abuse\/0\/phrase rule "org\.bad": unclosed/);
    assert.match(paths({ ...overrides, add: { abuse: [{ id: 'org.raw', phrase: '(hit|punch)+ me' }] } })[0]!, /^\/add\/abuse\/0\/phrase rule "org\.raw": unexpected "\+"/);
    assert.match(paths({ ...overrides, add: { abuse: [{ id: 'org.slang', phrase: 'bf hits me' }] } })[0]!, /rewritten to "boyfriend"/);
    assert.match(paths({ ...overrides, negation: { before: ['(no'] } })[0]!, /^\/negation\/before\/0 cue/);
    assert.match(paths({ ...overrides, negation: { before: ['dont'] } })[0]!, /^\/negation\/before\/0 cue "dont": "dont" is rewritten to "do not"/);
    assert.ok(paths({ ...overrides, revision: 'no spaces allowed' })[0]!.startsWith('/revision'));
    assert.ok(paths({ ...overrides, add: { sadness: [] } }).length > 0);
  });
});

describe('languages', () => {
  test('a registry by language, with fallbacks', () => {
    assert.deepEqual(crisisLanguages(), ['en', 'es']);
    assert.equal(lexiconLanguage('es-MX'), 'es');
    assert.equal(lexiconLanguage('fr'), 'en');
    assert.equal(compiledLexicon('es-MX'), ES);
    assert.equal(baseLexicon('en').version, 'en-2026.12.3');
  });

  test('a language is pluggable: register a lexicon and it checks messages', () => {
    registerLexicon(tiny({ language: 'xx', version: 'xx-2026.1.1', categories: { self_harm: [{ id: 'xx.one', phrase: 'blorp myself' }] } }));
    assert.equal(lexiconLanguage('xx'), 'xx');
    assert.deepEqual(detectCrisis('i blorp myself', compiledLexicon('xx')), { categories: ['self_harm'], ruleIds: ['xx.one'], lexiconVersion: 'xx-2026.1.1' });
    assert.equal(detectCrisis('i do not blorp myself', compiledLexicon('xx')), null);
    assert.throws(() => registerLexicon(tiny({ language: 'yy', categories: { self_harm: [{ id: 'yy.bad', phrase: '(' }] } })), AppError);
    assert.ok(!crisisLanguages().includes('yy'));
  });
});

describe('speed and safety on hostile input', () => {
  /** CPU milliseconds of one check (CPU, not wall time: the test machine's cores are shared with other work). */
  const time = (text: string, lexicon = EN): number => {
    const c0 = process.cpuUsage();
    detectCrisis(text, lexicon);
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000;
  };
  /** 100 KB (a little more) of one unit repeated. */
  const fill = (unit: string): string => unit.repeat(Math.ceil(100_000 / unit.length));
  const adversarial: [string, string][] = [
    ['one 100 KB word', fill('a')],
    ['gap starters with no end', fill('want ')],
    ['trigger words everywhere', fill('chest pain no not never ')],
    ['nested-looking punctuation', fill('((((([[[[[||||*+?')],
    ['alternating cues and matches', fill('no i want to die but ')],
    ['long words that almost match', fill(`${'suicidalx'.repeat(5)} `)],
    ['repeated letters', fill('diiiiiiiiiiiiiiiiiiiiiiiie ')],
    ['numbers and pills', fill('took 1234567890 of my pills ')],
    ['typos of lexicon words', fill('sucidal overdossed chset husbnd pian ')],
    ['no punctuation, every word a starter', fill('i not i no i never i ')],
  ];
  for (const [what, text] of adversarial) {
    test(`100 KB of ${what} is checked in well under a second`, () => {
      assert.ok(text.length >= 100_000, `${text.length}`);
      time(text);
      const ms = time(text);
      // Linear work measures tens of milliseconds here; a super-linear path (as a negation scan over every cue once
      // was) takes seconds to minutes.
      assert.ok(ms < 1000, `${what}: ${ms.toFixed(1)} ms of CPU`);
    });
  }

  test('the widest gaps and many alternatives stay fast on input that almost matches everywhere', () => {
    const alts = `(${Array.from({ length: 40 }, (_, i) => `w${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}x`).join('|')})`;
    // The last word is the rule's trigger; it appears once, after a sentence end, so the expression runs over
    // 100 KB where every position matches the first three parts and fails on the last.
    const lex = compileLexicon(tiny({ categories: { self_harm: [{ id: 'sh.wide', phrase: `${alts} [0-4] ${alts} [0-3] ${alts} [0-3] (nomatch|neverhere)` }] } }));
    const text = `${fill('waax wbax ')}. nomatch`;
    assert.equal(detectCrisis(text, lex), null);
    assert.ok(time(text, lex) < 1000);
    assert.deepEqual(detectCrisis('waax wbax waax nomatch', lex)?.ruleIds, ['sh.wide']);
  });

  test('ordinary messages: thousands per second', () => {
    const messages = load('en').map((m) => m.text);
    for (const m of messages) detectCrisis(m, EN);
    const c0 = process.cpuUsage();
    for (let i = 0; i < 10; i++) for (const m of messages) detectCrisis(m, EN);
    const c = process.cpuUsage(c0);
    const perSecond = (10 * messages.length) / ((c.user + c.system) / 1e6);
    assert.ok(perSecond > 2_000, `${perSecond.toFixed(0)} messages per CPU second`);
  });
});
