import { sql } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { PatientScope } from '../policy/policy.js';
import { patientInScope } from '../policy/patient-scope.sql.js';

export interface TagRow {
  bidx: Buffer;
  key_id: string;
  tag_ct: Buffer;
}

export class TagStore {
  constructor(private readonly db: Db) {}

  /** Adds tags to the organization's vocabulary (existing ones stay as they are). */
  async addVocabulary(tx: Queryable, orgId: string, rows: TagRow[]): Promise<void> {
    if (rows.length === 0) return;
    await tx
      .insertInto('org_tags')
      .values(rows.map((r) => ({ org_id: orgId, bidx: r.bidx, key_id: r.key_id, tag_ct: r.tag_ct })))
      .onConflict((oc) => oc.columns(['org_id', 'bidx']).doNothing())
      .execute();
  }

  /** Which of these tags the organization's vocabulary has. */
  async known(orgId: string, bidxs: Buffer[], tx: Queryable = this.db): Promise<Buffer[]> {
    if (bidxs.length === 0) return [];
    const rows = await tx.selectFrom('org_tags').select('bidx').where('org_id', '=', orgId).where('bidx', 'in', bidxs).execute();
    return rows.map((r) => r.bidx);
  }

  /** Replaces a patient's tags; answers how many were added and removed. */
  async lockPatient(tx: Queryable, orgId: string, patientId: string): Promise<void> {
    await tx.selectFrom('users').select('id').where('org_id', '=', orgId).where('id', '=', patientId).forUpdate().execute();
  }

  async replace(tx: Queryable, orgId: string, patientId: string, bidxs: Buffer[], by: string): Promise<{ added: number; removed: number }> {
    const removed = await sql<{ n: number }>`
      WITH d AS (DELETE FROM patient_tags WHERE patient_id = ${patientId} AND org_id = ${orgId}
                  AND NOT (tag_bidx = ANY(${bidxs}::bytea[])) RETURNING 1)
      SELECT count(*)::int AS n FROM d`.execute(tx);
    let added = 0;
    if (bidxs.length > 0) {
      const res = await tx
        .insertInto('patient_tags')
        .values(bidxs.map((b) => ({ patient_id: patientId, org_id: orgId, tag_bidx: b, created_by: by })))
        .onConflict((oc) => oc.columns(['patient_id', 'tag_bidx']).doNothing())
        .executeTakeFirst();
      added = Number(res.numInsertedOrUpdatedRows ?? 0);
    }
    return { added, removed: removed.rows[0]?.n ?? 0 };
  }

  /** A patient's tags (ciphertexts). */
  ofPatient(orgId: string, patientId: string): Promise<TagRow[]> {
    return this.db
      .selectFrom('patient_tags as pt')
      .innerJoin('org_tags as ot', (j) => j.onRef('ot.org_id', '=', 'pt.org_id').onRef('ot.bidx', '=', 'pt.tag_bidx'))
      .select(['ot.bidx', 'ot.key_id', 'ot.tag_ct'])
      .where('pt.org_id', '=', orgId)
      .where('pt.patient_id', '=', patientId)
      .execute();
  }

  /**
   * The tags of patients within the scope, each with how many of them carry it. A tag only patients outside the scope
   * carry is not listed: its name may reveal a condition.
   */
  async inUse(orgId: string, scope: PatientScope): Promise<(TagRow & { patients: number })[]> {
    const res = await sql<TagRow & { patients: number }>`
      SELECT ot.bidx, ot.key_id, ot.tag_ct, count(*)::int AS patients
        FROM org_tags ot JOIN patient_tags pt ON pt.org_id = ot.org_id AND pt.tag_bidx = ot.bidx
       WHERE ot.org_id = ${orgId} AND ${patientInScope(scope, sql.ref('pt.patient_id'))}
       GROUP BY ot.bidx, ot.key_id, ot.tag_ct`.execute(this.db);
    return res.rows;
  }
}
