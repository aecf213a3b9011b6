import { CRISIS_CATEGORIES, type Language } from '@haven/api';
import type { CrisisLexiconCheck, CrisisLexiconCheckResult, CrisisLexiconCounts, CrisisLexiconOverrides, CrisisLexiconOverridesInput, CrisisLexiconRevision, CrisisLexiconSettings, CrisisLexiconUpdate, CrisisMatch } from '@haven/api';
import type { Logger } from 'pino';
import type { Db } from '../../platform/db/database.js';
import type { RequestContext } from '../../platform/http/context.js';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { AppError, type ProblemItem } from '../../platform/http/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import { can, type Action } from '../policy/policy.js';
import { detectCrisis } from './crisis-detector.js';
import type { CompiledLexicon } from './crisis-lexicon.js';
import { baseLexicon, compiledLexicon, lexiconLanguage } from './lexicons/index.js';
import type { LexiconOverridesStore, LexiconRevisionRow } from './lexicon-overrides.store.js';
import { compileOverrides, OrgLexicons, type OrgLexicon, type StoredOverrides } from './org-lexicons.js';
import type { CrisisDetector } from './safety.service.js';

/**
 * The base lexicon an organization's overrides are written for, and which checks every patient message: English.
 * A patient who reads Haven in another language with a lexicon of its own gets that base lexicon beside it (detect).
 */
export const OVERRIDES_LANGUAGE = 'en';

/** How big a set of overrides is (for the audit trail and the history: counts, never phrases). */
export function overridesCounts(o: Partial<CrisisLexiconOverrides>): CrisisLexiconCounts {
  const size = (m: Record<string, unknown> | undefined) => Object.keys(m ?? {}).length;
  return {
    added: Object.values(o.add ?? {}).reduce((n, rules) => n + (rules?.length ?? 0), 0),
    disabled: o.disable?.length ?? 0,
    exceptions: o.exceptions?.length ?? 0,
    cues: (o.negation?.before?.length ?? 0) + (o.negation?.after?.length ?? 0) + (o.negation?.pseudo?.length ?? 0),
    replacements: size(o.slang) + size(o.spellings),
    keepWords: o.keepWords?.length ?? 0,
  };
}

const toStored = (r: LexiconRevisionRow): StoredOverrides => ({ revision: r.revision, baseVersion: r.base_version, overrides: r.overrides, createdBy: r.created_by, createdAt: r.created_at });

/** Overrides as sent, with the revision label the server gives them (the sender's own `revision` is ignored). */
function labelled(input: CrisisLexiconOverridesInput, revision: string): CrisisLexiconOverrides {
  const { revision: _ignored, baseVersion, ...rest } = input;
  return { baseVersion, revision, ...rest };
}

/**
 * An organization's crisis lexicon: its overrides of the base lexicon, kept as numbered revisions (the latest is in
 * force), and the detector the send path uses (`detect`: the organization's merged lexicon, cached per node; see
 * org-lexicons.ts). Reading is for staff, the history for admins and compliance, changes and trial checks for admins
 * (policy: safety.lexicon.*). A change is optimistic: it names the revision it was based on, and loses (409) to a
 * change saved in between; it is audited in its own transaction. A trial check never stores, logs or audits its text.
 */
export class LexiconOverridesService implements CrisisDetector {
  log: Logger | undefined;
  readonly lexicons: OrgLexicons;

  constructor(
    private readonly db: Db,
    private readonly store: LexiconOverridesStore,
    private readonly audit: AuditService,
    options: { ttlMs?: number; maxEntries?: number } = {},
  ) {
    this.lexicons = new OrgLexicons(
      {
        base: () => ({ lexicon: baseLexicon(OVERRIDES_LANGUAGE), compiled: compiledLexicon(OVERRIDES_LANGUAGE) }),
        latestRevision: (orgId) => this.store.latestRevision(orgId),
        revision: async (orgId, revision) => {
          const row = await this.store.revision(orgId, revision);
          return row && toStored(row);
        },
      },
      () => this.log,
      options,
    );
  }

  // ---- for the send path ------------------------------------------------------------------------------------------

  /**
   * Checks a patient message against the organization's lexicon and, for a patient who reads Haven in another
   * language with a lexicon of its own, that language's base lexicon too (people mix languages; either match
   * counts). Never throws on the organization's account: if its lexicon cannot be read or fails, the base lexicon
   * checks the message (logged without content).
   */
  async detect(orgId: string, text: string, language: Language = 'en'): Promise<CrisisMatch | null> {
    const lexicon = await this.lexicons.forDetection(orgId);
    let match: CrisisMatch | null;
    try {
      match = detectCrisis(text, lexicon.compiled);
    } catch (err) {
      // Already the base lexicon: nothing to fall back to (the send path logs it and stores the message anyway).
      if (lexicon.status !== 'merged') throw err;
      this.log?.error({ err: { name: (err as Error).name }, orgId, revision: lexicon.revision }, "crisis detection failed with the organization's lexicon; checked with the base lexicon");
      match = detectCrisis(text, compiledLexicon(lexicon.base.language));
    }
    if (lexiconLanguage(language) === lexicon.base.language) return match;
    return combineMatches(match, detectCrisis(text, compiledLexicon(language)));
  }

  // ---- HTTP operations --------------------------------------------------------------------------------------------

  private require(ctx: RequestContext, action: Action): void {
    if (!can(ctx.actor, action, { orgId: ctx.actor.orgId }, { staffSeeAllPatients: false })) {
      const why: Partial<Record<Action, string>> = {
        'safety.lexicon.read': 'The crisis lexicon is for the practice',
        'safety.lexicon.history': 'Only practice admins and compliance officers read the history of the crisis lexicon',
        'safety.lexicon.configure': 'Only practice admins change or try the crisis lexicon',
      };
      throw new AppError('forbidden', why[action] ?? 'Not allowed');
    }
  }

  private present(l: OrgLexicon): CrisisLexiconSettings {
    return {
      language: l.base.language,
      baseVersion: l.base.version,
      effectiveVersion: l.compiled.version,
      status: l.status,
      problems: l.problems.map((p) => ({ path: p.path, message: p.message })),
      revision: l.revision,
      overrides: (l.stored?.overrides as CrisisLexiconOverrides | undefined) ?? null,
      counts: l.stored ? overridesCounts(l.stored.overrides as CrisisLexiconOverrides) : null,
      updatedBy: l.stored?.createdBy ?? null,
      updatedAt: l.stored?.createdAt.toISOString() ?? null,
    };
  }

  /** The base lexicon with proposed overrides, compiled; a problem answers 422 invalid_lexicon naming /body/overrides/…. */
  private compile(orgId: string, overrides: CrisisLexiconOverrides): { compiled: CompiledLexicon; base: ReturnType<typeof baseLexicon> } {
    const base = baseLexicon(OVERRIDES_LANGUAGE);
    try {
      return { compiled: compileOverrides(base, overrides), base };
    } catch (err) {
      if (!(err instanceof AppError) || !err.errors) throw err;
      const errors: ProblemItem[] = err.errors.map((p) => ({ path: `/body/overrides${p.path === '/' ? '' : p.path}`, message: p.message }));
      const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
      throw new AppError('invalid_lexicon', `${errors[0]!.path}: ${errors[0]!.message}${more}`, { errors });
    }
  }

  async get(ctx: RequestContext): Promise<CrisisLexiconSettings> {
    this.require(ctx, 'safety.lexicon.read');
    return this.present(await this.lexicons.get(ctx.actor.orgId));
  }

  async update(ctx: RequestContext, input: CrisisLexiconUpdate): Promise<CrisisLexiconSettings> {
    this.require(ctx, 'safety.lexicon.configure');
    const orgId = ctx.actor.orgId;
    const revision = input.expectedRevision + 1;
    const overrides = labelled(input.overrides, String(revision));
    const { compiled, base } = this.compile(orgId, overrides);
    const counts = overridesCounts(overrides);
    const at = new Date();
    const saved = await this.db.transaction().execute(async (tx) => {
      if (!(await this.store.insertNext(tx, { orgId, expected: input.expectedRevision, baseVersion: base.version, overrides, by: ctx.actor.userId, at }))) return false;
      await this.audit.recordFor(tx, ctx, { action: 'safety.lexicon.update', resourceType: 'crisis_lexicon', resourceId: orgId, details: { revision, baseVersion: base.version, ...counts } });
      return true;
    });
    if (!saved) {
      const latest = await this.store.latestRevision(orgId);
      throw new AppError('conflict', `The lexicon is at revision ${latest}, not ${input.expectedRevision}: read it again and redo your change on revision ${latest}`);
    }
    const value: OrgLexicon = { base, revision, stored: { revision, baseVersion: base.version, overrides, createdBy: ctx.actor.userId, createdAt: at }, compiled, status: 'merged', problems: [] };
    this.lexicons.put(orgId, value);
    return this.present(value);
  }

  async history(ctx: RequestContext, q: { limit?: number; cursor?: string }): Promise<{ items: CrisisLexiconRevision[]; nextCursor: string | null }> {
    this.require(ctx, 'safety.lexicon.history');
    const limit = q.limit ?? 50;
    const before = q.cursor ? Number(decodeCursor(q.cursor)) : undefined;
    const rows = await this.store.history(ctx.actor.orgId, { before, limit: limit + 1 });
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => ({
        revision: r.revision,
        baseVersion: r.base_version,
        version: `${r.base_version}+${r.revision}`,
        createdBy: r.created_by,
        createdAt: r.created_at.toISOString(),
        counts: overridesCounts(r.overrides as CrisisLexiconOverrides),
      })),
      nextCursor: rows.length > limit ? encodeCursor(String(page[page.length - 1]!.revision)) : null,
    };
  }

  /**
   * Checks a text against the lexicon in force (what the organization's patient messages get, a stale revision's base
   * fallback included) or against proposed overrides, saving nothing. The text is not stored, logged or audited: the
   * audit event says only that a check ran, against what, and whether it matched.
   */
  async check(ctx: RequestContext, input: CrisisLexiconCheck): Promise<CrisisLexiconCheckResult> {
    this.require(ctx, 'safety.lexicon.configure');
    const orgId = ctx.actor.orgId;
    const compiled = input.overrides ? this.compile(orgId, labelled(input.overrides, 'proposed')).compiled : (await this.lexicons.get(orgId)).compiled;
    const match = detectCrisis(input.text, compiled);
    await this.audit.recordFor(this.db, ctx, {
      action: 'safety.lexicon.check',
      resourceType: 'crisis_lexicon',
      resourceId: orgId,
      details: { proposed: input.overrides !== undefined, lexiconVersion: compiled.version, matched: match !== null },
    });
    return { lexiconVersion: compiled.version, match };
  }
}


/** Two lexicons' verdicts on one message as one: the categories and rules of both, both versions named. */
export function combineMatches(a: CrisisMatch | null, b: CrisisMatch | null): CrisisMatch | null {
  if (!a || !b) return a ?? b;
  const categories = new Set([...a.categories, ...b.categories]);
  return {
    categories: CRISIS_CATEGORIES.filter((c) => categories.has(c)),
    ruleIds: [...new Set([...a.ruleIds, ...b.ruleIds])].sort(),
    lexiconVersion: `${a.lexiconVersion},${b.lexiconVersion}`,
  };
}
