import { sql, type Selectable } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { ChartNotesTable } from '../../platform/db/schema.js';

export type ChartNoteRow = Selectable<ChartNotesTable>;

const CREATED_MICROS = sql<string>`(extract(epoch from created_at) * 1000000)::bigint`;

/** SQL of chart notes: the patient's timeline of messages marked clinically relevant. */
export class ChartNoteStore {
  constructor(private readonly db: Db) {}

  /** Inserts a chart note; false when the id exists already (a retry, or a clash). */
  async insert(
    tx: Queryable,
    n: { id: string; orgId: string; patientId: string; threadId: string; messageId: string; messageVersion: number; keyId: string; excerptCt: Buffer; wholeMessage: boolean; commentCt: Buffer | null; requestHash: Buffer; createdBy: string; at: Date },
  ): Promise<boolean> {
    const res = await tx
      .insertInto('chart_notes')
      .values({
        id: n.id,
        org_id: n.orgId,
        patient_id: n.patientId,
        thread_id: n.threadId,
        message_id: n.messageId,
        message_version: n.messageVersion,
        key_id: n.keyId,
        excerpt_ct: n.excerptCt,
        whole_message: n.wholeMessage,
        comment_ct: n.commentCt,
        request_hash: n.requestHash,
        created_by: n.createdBy,
        created_at: n.at,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /** Any chart note with this id (ids are client-generated and global). */
  byId(id: string, tx: Queryable = this.db, lock = false): Promise<ChartNoteRow | undefined> {
    let q = tx.selectFrom('chart_notes').selectAll().where('id', '=', id);
    if (lock) q = q.forUpdate();
    return q.executeTakeFirst();
  }

  /** A patient's timeline, newest first, before a position (creation time in microseconds, id). */
  timeline(orgId: string, patientId: string, q: { includeRemoved: boolean; before?: { micros: string; id: string }; limit: number }) {
    let query = this.db.selectFrom('chart_notes').selectAll().select(CREATED_MICROS.as('created_us')).where('org_id', '=', orgId).where('patient_id', '=', patientId);
    if (!q.includeRemoved) query = query.where('removed_at', 'is', null);
    if (q.before) query = query.where(sql<boolean>`(${CREATED_MICROS}, id) < (${q.before.micros}::bigint, ${q.before.id}::uuid)`);
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
  }

  async remove(tx: Queryable, id: string, by: string, at: Date): Promise<void> {
    await tx.updateTable('chart_notes').set({ removed_at: at, removed_by: by }).where('id', '=', id).where('removed_at', 'is', null).execute();
  }
}
