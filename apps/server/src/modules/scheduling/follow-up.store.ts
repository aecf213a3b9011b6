import { sql, type Selectable } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { FollowUpAction, FollowUpState, FollowUpsTable } from '../../platform/db/schema.js';

export type FollowUpRow = Selectable<FollowUpsTable>;

const CREATED_MICROS = sql<string>`(extract(epoch from created_at) * 1000000)::bigint`;

/** SQL of follow-up reminders. */
export class FollowUpStore {
  constructor(private readonly db: Db) {}

  async insert(
    tx: Queryable,
    f: { id: string; orgId: string; threadId: string; patientId: string; createdBy: string; action: FollowUpAction; afterDays: number; dueAt: Date; at: Date },
  ): Promise<void> {
    await tx
      .insertInto('follow_ups')
      .values({
        id: f.id,
        org_id: f.orgId,
        thread_id: f.threadId,
        patient_id: f.patientId,
        created_by: f.createdBy,
        action: f.action,
        after_days: f.afterDays,
        due_at: f.dueAt,
        created_at: f.at,
      })
      .execute();
  }

  byId(orgId: string, id: string, tx: Queryable = this.db, lock = false): Promise<FollowUpRow | undefined> {
    let q = tx.selectFrom('follow_ups').selectAll().where('org_id', '=', orgId).where('id', '=', id);
    if (lock) q = q.forUpdate();
    return q.executeTakeFirst();
  }

  /** A thread's follow-ups, newest first, before a position (creation time in microseconds, id). */
  list(threadId: string, q: { state?: FollowUpState; before?: { micros: string; id: string }; limit: number }) {
    let query = this.db.selectFrom('follow_ups').selectAll().select(CREATED_MICROS.as('created_us')).where('thread_id', '=', threadId);
    if (q.state) query = query.where('state', '=', q.state);
    if (q.before) query = query.where(sql<boolean>`(${CREATED_MICROS}, id) < (${q.before.micros}::bigint, ${q.before.id}::uuid)`);
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
  }

  async settle(tx: Queryable, id: string, state: Exclude<FollowUpState, 'pending'>, at: Date, extra: { reason?: string; by?: string } = {}): Promise<void> {
    await tx
      .updateTable('follow_ups')
      .set({ state, settled_at: at, reason: extra.reason ?? null, settled_by: extra.by ?? null })
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .execute();
  }
}
