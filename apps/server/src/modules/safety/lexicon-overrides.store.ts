import { sql } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';

/** One saved revision of an organization's crisis lexicon overrides. */
export interface LexiconRevisionRow {
  org_id: string;
  revision: number;
  base_version: string;
  /** The overrides document as saved (jsonb): CrisisLexiconOverrides with `revision` set to the revision number. */
  overrides: unknown;
  created_by: string;
  created_at: Date;
}

const COLUMNS = ['org_id', 'revision', 'base_version', 'overrides', 'created_by', 'created_at'] as const;

/** SQL of the crisis lexicon overrides: an append-only list of revisions per organization (the latest is in force). */
export class LexiconOverridesStore {
  constructor(private readonly db: Db) {}

  /** The latest revision number, 0 when the organization never saved overrides (one index lookup). */
  async latestRevision(orgId: string, tx: Queryable = this.db): Promise<number> {
    const row = await tx.selectFrom('crisis_lexicon_overrides').select('revision').where('org_id', '=', orgId).orderBy('revision', 'desc').limit(1).executeTakeFirst();
    return row?.revision ?? 0;
  }

  revision(orgId: string, revision: number, tx: Queryable = this.db): Promise<LexiconRevisionRow | undefined> {
    return tx.selectFrom('crisis_lexicon_overrides').select(COLUMNS).where('org_id', '=', orgId).where('revision', '=', revision).executeTakeFirst() as Promise<LexiconRevisionRow | undefined>;
  }

  /**
   * Saves revision `expected + 1` if `expected` is the latest revision now; false otherwise, and nothing is written.
   * One statement: of two changes based on the same revision, the second waits for the first one's commit and then
   * finds the primary key taken (ON CONFLICT DO NOTHING), so neither overwrites the other.
   */
  async insertNext(tx: Queryable, r: { orgId: string; expected: number; baseVersion: string; overrides: unknown; by: string; at: Date }): Promise<boolean> {
    const res = await sql<{ revision: number }>`
      INSERT INTO crisis_lexicon_overrides (org_id, revision, base_version, overrides, created_by, created_at)
      SELECT ${r.orgId}::uuid, ${r.expected + 1}::integer, ${r.baseVersion}, ${JSON.stringify(r.overrides)}::jsonb, ${r.by}::uuid, ${r.at}::timestamptz
       WHERE coalesce((SELECT max(revision) FROM crisis_lexicon_overrides WHERE org_id = ${r.orgId}::uuid), 0) = ${r.expected}::integer
      ON CONFLICT (org_id, revision) DO NOTHING
      RETURNING revision`.execute(tx);
    return res.rows.length === 1;
  }

  /** Revisions newest first, those below `before` when given; with their documents (for their counts). */
  history(orgId: string, q: { before?: number; limit: number }): Promise<LexiconRevisionRow[]> {
    let query = this.db.selectFrom('crisis_lexicon_overrides').select(COLUMNS).where('org_id', '=', orgId);
    if (q.before !== undefined) query = query.where('revision', '<', q.before);
    return query.orderBy('revision', 'desc').limit(q.limit).execute() as Promise<LexiconRevisionRow[]>;
  }
}
