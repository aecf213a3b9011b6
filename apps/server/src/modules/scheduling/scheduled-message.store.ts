import { sql, type Selectable } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { ScheduledFailureReason, ScheduledMessagesTable, ScheduledMessageState } from '../../platform/db/schema.js';

export type ScheduledMessageRow = Selectable<ScheduledMessagesTable> & { patient_id: string | null; thread_kind: 'patient' | 'internal' };

export interface ScheduledMessageInsert {
  id: string;
  orgId: string;
  threadId: string;
  authorId: string;
  keyId: string;
  bodyCt: Buffer;
  requestHash: Buffer;
  sendAt: Date;
  at: Date;
}

/** A position in a list ordered by send time: the time in microseconds and the id. */
export interface SendAtPosition {
  micros: string;
  id: string;
}

const SEND_AT_MICROS = sql<string>`(extract(epoch from s.send_at) * 1000000)::bigint`;

/** SQL of scheduled messages. Rows carry their thread's patient and kind (what policy and presenters need). */
export class ScheduledMessageStore {
  constructor(private readonly db: Db) {}

  private base(tx: Queryable) {
    return tx
      .selectFrom('scheduled_messages as s')
      .innerJoin('threads as t', 't.id', 's.thread_id')
      .selectAll('s')
      .select(['t.patient_id', 't.kind as thread_kind']);
  }

  /** Inserts a scheduled message; false when the id exists already (a retry, or a clash). */
  async insert(tx: Queryable, m: ScheduledMessageInsert): Promise<boolean> {
    const res = await tx
      .insertInto('scheduled_messages')
      .values({
        id: m.id,
        org_id: m.orgId,
        thread_id: m.threadId,
        author_id: m.authorId,
        key_id: m.keyId,
        body_ct: m.bodyCt,
        request_hash: m.requestHash,
        send_at: m.sendAt,
        created_at: m.at,
        updated_at: m.at,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /** Any scheduled message with this id (ids are global, like message ids). */
  byId(id: string, tx: Queryable = this.db, lock = false): Promise<ScheduledMessageRow | undefined> {
    let q = this.base(tx).where('s.id', '=', id);
    if (lock) q = q.forUpdate('s');
    return q.executeTakeFirst();
  }

  /** A thread's scheduled messages by send time (then id), after a position. */
  listThread(threadId: string, q: { state?: ScheduledMessageState; after?: SendAtPosition; limit: number }) {
    let query = this.base(this.db).select(SEND_AT_MICROS.as('send_us')).where('s.thread_id', '=', threadId);
    if (q.state) query = query.where('s.state', '=', q.state);
    if (q.after) query = query.where(sql<boolean>`(${SEND_AT_MICROS}, s.id) > (${q.after.micros}::bigint, ${q.after.id}::uuid)`);
    return query.orderBy('s.send_at').orderBy('s.id').limit(q.limit).execute();
  }

  /** An organization's scheduled messages (optionally one author's) by send time, after a position. */
  listOrg(orgId: string, q: { authorId?: string; state?: ScheduledMessageState; after?: SendAtPosition; limit: number }) {
    let query = this.base(this.db).select(SEND_AT_MICROS.as('send_us')).where('s.org_id', '=', orgId);
    if (q.authorId) query = query.where('s.author_id', '=', q.authorId);
    if (q.state) query = query.where('s.state', '=', q.state);
    if (q.after) query = query.where(sql<boolean>`(${SEND_AT_MICROS}, s.id) > (${q.after.micros}::bigint, ${q.after.id}::uuid)`);
    return query.orderBy('s.send_at').orderBy('s.id').limit(q.limit).execute();
  }

  async update(tx: Queryable, id: string, set: { bodyCt?: Buffer; version?: number; sendAt?: Date }, at: Date): Promise<void> {
    await tx
      .updateTable('scheduled_messages')
      .set({
        ...(set.bodyCt ? { body_ct: set.bodyCt } : {}),
        ...(set.version ? { version: set.version } : {}),
        ...(set.sendAt ? { send_at: set.sendAt } : {}),
        updated_at: at,
      })
      .where('id', '=', id)
      .execute();
  }

  async setState(
    tx: Queryable,
    id: string,
    state: ScheduledMessageState,
    at: Date,
    extra: { failureReason?: ScheduledFailureReason; cancelledBy?: string } = {},
  ): Promise<void> {
    await tx
      .updateTable('scheduled_messages')
      .set({
        state,
        updated_at: at,
        failure_reason: state === 'failed' ? (extra.failureReason ?? 'send_error') : null,
        ...(state === 'sent' ? { sent_at: at } : {}),
        ...(state === 'cancelled' ? { cancelled_at: at, cancelled_by: extra.cancelledBy ?? null } : {}),
      })
      .where('id', '=', id)
      .execute();
  }
}
