import { sql, type Selectable } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { MessagingRolloutsTable } from '../../platform/db/schema.js';

export type RolloutRow = Selectable<MessagingRolloutsTable>;

/** What decides a patient's access, read in one query for many patients. */
export interface AccessFacts {
  id: string;
  archived: boolean;
  in_cohort: boolean;
  with_provider: boolean;
}

export class RolloutStore {
  constructor(private readonly db: Db) {}

  byOrg(orgId: string, tx: Queryable = this.db): Promise<RolloutRow | undefined> {
    return tx.selectFrom('messaging_rollouts').selectAll().where('org_id', '=', orgId).executeTakeFirst();
  }

  /**
   * Serializes changes to an organization's setting (the row may not exist yet, so the organization row is locked;
   * NO KEY UPDATE does not hold back inserts that reference the organization).
   */
  async lockOrganization(tx: Queryable, orgId: string): Promise<void> {
    await tx.selectFrom('organizations').select('id').where('id', '=', orgId).forNoKeyUpdate().execute();
  }

  async upsert(tx: Queryable, row: Omit<RolloutRow, 'updated_at'>): Promise<void> {
    const { org_id: _org, ...set } = row;
    await tx
      .insertInto('messaging_rollouts')
      .values({ ...row, updated_at: new Date() })
      .onConflict((oc) => oc.column('org_id').doUpdateSet({ ...set, updated_at: new Date() }))
      .execute();
  }

  /**
   * For each patient of the organization among `patientIds`: archived, has one of the cohort tags, has an active
   * one of the providers on one of their care teams. Unknown ids (and users who are not patients) are absent.
   */
  async facts(orgId: string, patientIds: string[], tagBidx: Buffer[], providerIds: string[]): Promise<AccessFacts[]> {
    if (patientIds.length === 0) return [];
    const res = await sql<AccessFacts>`
      SELECT u.id, u.archived_at IS NOT NULL AS archived,
             EXISTS (SELECT 1 FROM patient_tags pt WHERE pt.patient_id = u.id AND pt.tag_bidx = ANY(${tagBidx}::bytea[])) AS in_cohort,
             EXISTS (SELECT 1 FROM patient_care_teams pc
                       JOIN care_team_members m ON m.care_team_id = pc.care_team_id
                       JOIN users p ON p.id = m.user_id AND p.status = 'active'
                      WHERE pc.patient_id = u.id AND m.user_id = ANY(${providerIds}::uuid[])) AS with_provider
        FROM users u
       WHERE u.org_id = ${orgId} AND u.id = ANY(${patientIds}::uuid[]) AND u.role = 'patient'`.execute(this.db);
    return res.rows;
  }
}
