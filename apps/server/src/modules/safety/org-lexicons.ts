/**
 * The compiled crisis lexicon of each organization: its base lexicon merged with the latest revision of its
 * overrides, cached per node.
 *
 * - An entry is trusted for `ttlMs` (5 s): then one indexed query asks for the latest revision number; only a new
 *   revision (or a new base version) is loaded and compiled again. So a change saved on another node applies here
 *   within seconds, and the node that saved it replaces its entry at once (`put`).
 * - Stored overrides that no longer fit the base lexicon (written for an older base version, or no longer compiling)
 *   never stop detection: the organization gets the base lexicon, its status is `stale` with the problems, and an
 *   error is logged once per organization and revision, without content (paths only, never phrases).
 * - `forDetection` never throws: when the database cannot be read it answers the last known lexicon of the
 *   organization, else the base lexicon.
 */
import type { CrisisLexicon } from '@haven/api';
import type { Logger } from 'pino';
import { AppError, type ProblemItem } from '../../platform/http/errors.js';
import { compileLexicon, mergeLexicon, type CompiledLexicon } from './crisis-lexicon.js';

export const LEXICON_TTL_MS = 5_000;
/** Organizations whose compiled lexicon a node keeps (least recently checked ones go first). */
export const LEXICON_CACHE_ENTRIES = 500;

/** A saved revision as the store returns it. */
export interface StoredOverrides {
  revision: number;
  baseVersion: string;
  overrides: unknown;
  createdBy: string;
  createdAt: Date;
}

export interface OrgLexicon {
  /** The base lexicon it was resolved against. */
  base: CrisisLexicon;
  /** The latest saved revision (0: none), whether or not it is in force. */
  revision: number;
  stored: StoredOverrides | null;
  /** What detection uses: the merged lexicon, or the base one (no overrides, or stale overrides). */
  compiled: CompiledLexicon;
  status: 'base' | 'merged' | 'stale';
  /** Why the stored overrides are stale: JSON pointers into the overrides. */
  problems: ProblemItem[];
}

export interface OrgLexiconSource {
  /** The base lexicon (configuration and compiled) the organization's messages are checked against. */
  base(orgId: string): { lexicon: CrisisLexicon; compiled: CompiledLexicon };
  latestRevision(orgId: string): Promise<number>;
  revision(orgId: string, revision: number): Promise<StoredOverrides | undefined>;
}

/**
 * Problems of a merged lexicon (paths into it) as paths into the overrides where they come from: added rules and
 * exceptions follow the base's kept ones, added cues and protected words the base's. Other paths are the same in both.
 */
export function overridesPath(path: string, base: CrisisLexicon, overrides: { disable?: readonly string[] }): string {
  const disabled = new Set(overrides.disable ?? []);
  const kept = (rules: readonly { id: string }[] | undefined) => (rules ?? []).filter((r) => !disabled.has(r.id)).length;
  const at = (prefix: string, baseCount: number, to: string): string | undefined => {
    const m = new RegExp(`^${prefix}/(\\d+)(.*)$`).exec(path);
    if (!m) return undefined;
    const i = Number(m[1]) - baseCount;
    return i >= 0 ? `${to}/${i}${m[2]}` : path;
  };
  const category = /^\/categories\/([a-z_]+)\//.exec(path)?.[1];
  return (
    (category ? at(`/categories/${category}`, kept(base.categories[category as keyof CrisisLexicon['categories']]), `/add/${category}`) : undefined) ??
    at('/exceptions', kept(base.exceptions), '/exceptions') ??
    at('/negation/before', base.negation.before.length, '/negation/before') ??
    at('/negation/after', base.negation.after.length, '/negation/after') ??
    at('/negation/pseudo', base.negation.pseudo.length, '/negation/pseudo') ??
    at('/fuzzy/keepWords', base.fuzzy.keepWords.length, '/keepWords') ??
    path
  );
}

/**
 * The base lexicon with these overrides, compiled; throws AppError `validation_failed` whose `errors` are paths into
 * the overrides (mergeLexicon's, and the compiler's mapped back to the overrides).
 */
export function compileOverrides(base: CrisisLexicon, overrides: unknown): CompiledLexicon {
  const merged = mergeLexicon(base, overrides);
  try {
    return compileLexicon(merged);
  } catch (err) {
    if (!(err instanceof AppError) || !err.errors) throw err;
    const errors = err.errors.map((p) => ({ ...p, path: overridesPath(p.path, base, overrides as { disable?: string[] }) }));
    throw new AppError('validation_failed', `The lexicon overrides are not valid: ${errors[0]!.path}: ${errors[0]!.message}`, { errors });
  }
}

/** What an organization's messages are checked against, given its latest saved revision (pure; compiles). */
export function resolveOrgLexicon(base: { lexicon: CrisisLexicon; compiled: CompiledLexicon }, stored: StoredOverrides | undefined): OrgLexicon {
  if (!stored) return { base: base.lexicon, revision: 0, stored: null, compiled: base.compiled, status: 'base', problems: [] };
  try {
    return { base: base.lexicon, revision: stored.revision, stored, compiled: compileOverrides(base.lexicon, stored.overrides), status: 'merged', problems: [] };
  } catch (err) {
    const problems = err instanceof AppError && err.errors ? err.errors : [{ path: '/', message: 'the overrides could not be compiled' }];
    return { base: base.lexicon, revision: stored.revision, stored, compiled: base.compiled, status: 'stale', problems };
  }
}

interface Entry {
  checkedAt: number;
  value: OrgLexicon | undefined;
  pending: Promise<OrgLexicon> | undefined;
}

export class OrgLexicons {
  private readonly entries = new Map<string, Entry>();
  /** `<org>|<revision>|<base version>` of stale overrides already logged. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly source: OrgLexiconSource,
    private readonly log: () => Logger | undefined,
    private readonly options: { ttlMs?: number; maxEntries?: number; now?: () => number } = {},
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** The organization's lexicon, at most `ttlMs` old; throws when the database cannot be read. */
  async get(orgId: string): Promise<OrgLexicon> {
    const hit = this.entries.get(orgId);
    if (hit?.value && this.now() - hit.checkedAt < (this.options.ttlMs ?? LEXICON_TTL_MS)) return hit.value;
    if (hit?.pending) return hit.pending;
    const entry: Entry = hit ?? { checkedAt: 0, value: undefined, pending: undefined };
    const pending = this.revalidate(orgId, entry).finally(() => {
      if (entry.pending === pending) entry.pending = undefined;
    });
    entry.pending = pending;
    this.remember(orgId, entry);
    return pending;
  }

  /** For the send path: never throws (the last known lexicon of the organization, else the base one). */
  async forDetection(orgId: string): Promise<OrgLexicon> {
    try {
      return await this.get(orgId);
    } catch (err) {
      this.log()?.error({ err: { name: (err as Error).name, message: (err as Error).message }, orgId }, 'crisis lexicon of the organization could not be read; using the last known or the base lexicon');
      return this.entries.get(orgId)?.value ?? resolveOrgLexicon(this.source.base(orgId), undefined);
    }
  }

  /** After this node saved a revision: its lexicon is in force here at once. */
  put(orgId: string, value: OrgLexicon): void {
    this.remember(orgId, { checkedAt: this.now(), value, pending: undefined });
  }

  forget(orgId: string): void {
    this.entries.delete(orgId);
  }

  private async revalidate(orgId: string, entry: Entry): Promise<OrgLexicon> {
    const base = this.source.base(orgId);
    const revision = await this.source.latestRevision(orgId);
    const known = entry.value;
    let value: OrgLexicon;
    if (known && known.revision === revision && known.base.version === base.lexicon.version) value = known;
    else {
      const stored = revision === 0 ? undefined : await this.source.revision(orgId, revision);
      value = resolveOrgLexicon(base, stored);
      if (value.status === 'stale') this.reportStale(orgId, value);
    }
    // A put() while this ran replaced the entry: the newer value stays.
    if (this.entries.get(orgId) === entry) {
      entry.value = value;
      entry.checkedAt = this.now();
    }
    return value;
  }

  private remember(orgId: string, entry: Entry): void {
    this.entries.delete(orgId);
    this.entries.set(orgId, entry);
    const max = this.options.maxEntries ?? LEXICON_CACHE_ENTRIES;
    while (this.entries.size > max) this.entries.delete(this.entries.keys().next().value!);
  }

  private reportStale(orgId: string, value: OrgLexicon): void {
    const key = `${orgId}|${value.revision}|${value.base.version}`;
    if (this.reported.has(key)) return;
    if (this.reported.size >= 10_000) this.reported.clear();
    this.reported.add(key);
    // Paths only: the messages of the problems quote the organization's phrases.
    this.log()?.error(
      { orgId, revision: value.revision, storedBaseVersion: value.stored?.baseVersion, baseVersion: value.base.version, problems: value.problems.length, paths: value.problems.slice(0, 20).map((p) => p.path) },
      "the organization's crisis lexicon overrides do not fit the base lexicon; detection uses the base lexicon until an admin saves a revision that fits",
    );
  }
}
