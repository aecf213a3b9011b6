import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CrisisLexiconOverrides } from '@haven/api';
import type { Logger } from 'pino';
import { AppError } from '../../platform/http/errors.js';
import { detectCrisis } from './crisis-detector.js';
import { baseLexicon, compiledLexicon } from './lexicons/index.js';
import { compileOverrides, OrgLexicons, type OrgLexiconSource, type StoredOverrides } from './org-lexicons.js';

const base = { lexicon: baseLexicon('en'), compiled: compiledLexicon('en') };
const V = base.lexicon.version;
const ORG = '00000000-0000-4000-8000-000000000001';
const rule = { id: 'org.see_grandpa', phrase: 'ready to see (grandpa|grandma) again' };
const TEXT = 'I am ready to see grandpa again';

const stored = (revision: number, overrides: Partial<CrisisLexiconOverrides> = {}): StoredOverrides => ({
  revision,
  baseVersion: overrides.baseVersion ?? V,
  overrides: { baseVersion: V, revision: String(revision), add: { suicidal_ideation: [rule] }, ...overrides },
  createdBy: '00000000-0000-4000-8000-000000000002',
  createdAt: new Date(),
});

/** A source over an in-memory list of revisions, counting its queries; `fail` makes every query throw. */
function source(revisions: StoredOverrides[] = []) {
  const s = {
    revisions,
    latestCalls: 0,
    loads: 0,
    fail: false,
    gate: undefined as Promise<void> | undefined,
    base: () => base,
    async latestRevision() {
      s.latestCalls++;
      if (s.gate) await s.gate;
      if (s.fail) throw new Error('connection refused');
      return s.revisions.at(-1)?.revision ?? 0;
    },
    async revision(_orgId: string, n: number) {
      s.loads++;
      if (s.fail) throw new Error('connection refused');
      return s.revisions.find((r) => r.revision === n);
    },
  };
  return s satisfies OrgLexiconSource;
}

function logger() {
  const errors: { obj: Record<string, unknown>; msg: string }[] = [];
  const log = { error: (obj: Record<string, unknown>, msg: string) => errors.push({ obj, msg }) } as unknown as Logger;
  return { log, errors };
}

function clock() {
  const c = { t: 1_000_000, now: () => c.t };
  return c;
}

describe('organization lexicons', () => {
  test('a revision is compiled once and trusted for the TTL; then only its number is asked for', async () => {
    const src = source([stored(1)]);
    const c = clock();
    const lexicons = new OrgLexicons(src, () => undefined, { ttlMs: 5000, now: c.now });
    const first = await lexicons.get(ORG);
    assert.equal(first.status, 'merged');
    assert.equal(first.compiled.version, `${V}+1`);
    assert.deepEqual(detectCrisis(TEXT, first.compiled)?.ruleIds, ['org.see_grandpa']);
    c.t += 4999;
    assert.equal(await lexicons.get(ORG), first);
    assert.equal(src.latestCalls, 1);
    c.t += 2;
    assert.equal(await lexicons.get(ORG), first, 'same revision: the compiled lexicon is kept');
    assert.equal(src.latestCalls, 2);
    assert.equal(src.loads, 1);
    src.revisions.push(stored(2, { add: {} }));
    c.t += 5001;
    const second = await lexicons.get(ORG);
    assert.equal(second.compiled.version, `${V}+2`);
    assert.equal(detectCrisis(TEXT, second.compiled), null);
  });

  test('concurrent callers share one load', async () => {
    const src = source([stored(1)]);
    const lexicons = new OrgLexicons(src, () => undefined);
    const all = await Promise.all([1, 2, 3, 4, 5].map(() => lexicons.get(ORG)));
    assert.ok(all.every((l) => l === all[0]));
    assert.equal(src.latestCalls, 1);
    assert.equal(src.loads, 1);
  });

  test('no revision: the shared base lexicon', async () => {
    const l = await new OrgLexicons(source(), () => undefined).get(ORG);
    assert.equal(l.status, 'base');
    assert.equal(l.revision, 0);
    assert.equal(l.compiled, base.compiled);
  });

  test('stale overrides: the base lexicon checks messages, the problems are kept, the error is logged once per revision without phrases', async () => {
    const src = source([stored(1, { baseVersion: 'en-2020.01.1' })]);
    const { log, errors } = logger();
    const c = clock();
    const lexicons = new OrgLexicons(src, () => log, { ttlMs: 10, now: c.now });
    const l = await lexicons.get(ORG);
    assert.equal(l.status, 'stale');
    assert.equal(l.compiled, base.compiled);
    assert.deepEqual(l.problems.map((p) => p.path), ['/baseVersion']);
    for (let i = 0; i < 3; i++) {
      c.t += 100;
      lexicons.forget(ORG);
      await lexicons.get(ORG);
    }
    assert.equal(errors.length, 1);
    assert.ok(!JSON.stringify(errors).includes('grandpa'));
    // A newer stale revision is logged again.
    src.revisions.push(stored(2, { baseVersion: 'en-2020.01.2' }));
    c.t += 100;
    await lexicons.get(ORG);
    assert.equal(errors.length, 2);
  });

  test('detection never fails on the database: the last known lexicon, else the base one', async () => {
    const src = source([stored(1)]);
    const { log, errors } = logger();
    const c = clock();
    const lexicons = new OrgLexicons(src, () => log, { ttlMs: 10, now: c.now });
    const known = await lexicons.get(ORG);
    src.fail = true;
    c.t += 100;
    await assert.rejects(lexicons.get(ORG), /connection refused/);
    assert.equal(await lexicons.forDetection(ORG), known);
    const other = await lexicons.forDetection('00000000-0000-4000-8000-000000000009');
    assert.equal(other.compiled, base.compiled);
    assert.equal(errors.length, 2);
  });

  test("put() wins over a load that started before it", async () => {
    const src = source([stored(1)]);
    let open!: () => void;
    src.gate = new Promise<void>((r) => (open = r));
    const lexicons = new OrgLexicons(src, () => undefined, { ttlMs: 5000 });
    const loading = lexicons.get(ORG);
    const saved = { base: base.lexicon, revision: 2, stored: stored(2), compiled: compileOverrides(base.lexicon, stored(2).overrides), status: 'merged' as const, problems: [] };
    lexicons.put(ORG, saved);
    open();
    assert.equal((await loading).revision, 1, 'the caller that asked before gets what it loaded');
    assert.equal(await lexicons.get(ORG), saved, 'the entry keeps the newer revision');
  });

  test('the cache holds a bounded number of organizations', async () => {
    const src = source();
    const lexicons = new OrgLexicons(src, () => undefined, { maxEntries: 2 });
    for (const n of [1, 2, 3]) await lexicons.get(`00000000-0000-4000-8000-00000000000${n}`);
    assert.equal(src.latestCalls, 3);
    await lexicons.get('00000000-0000-4000-8000-000000000003');
    assert.equal(src.latestCalls, 3);
    await lexicons.get('00000000-0000-4000-8000-000000000001');
    assert.equal(src.latestCalls, 4, 'the least recently used one was dropped');
  });

  test("the compiler's problems point into the overrides", () => {
    const invalid = (overrides: object) => {
      try {
        compileOverrides(base.lexicon, { baseVersion: V, revision: '1', ...overrides });
      } catch (err) {
        assert.ok(err instanceof AppError);
        return err.errors?.map((e) => e.path);
      }
      assert.fail('compiled');
    };
    assert.deepEqual(invalid({ keepWords: ['fine', 'two words'] }), ['/keepWords/1']);
    assert.deepEqual(invalid({ slang: { zzq: 'not-plain!' } }), ['/slang/zzq']);
    assert.deepEqual(invalid({ add: { abuse: [{ id: 'org.x', phrase: 'hits me [9]' }] } }), ['/add/abuse/0/phrase']);
  });
});
