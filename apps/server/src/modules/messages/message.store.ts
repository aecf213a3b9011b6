import { sql, type RawBuilder } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';

export interface MessageInsert {
  id: string;
  orgId: string;
  threadId: string;
  senderId: string;
  senderRole: string;
  createdAt: Date;
  bodyCt: Buffer;
  contentHash: Buffer;
  tokens: Buffer[];
}

const MESSAGE_COLUMNS = [
  'm.id', 'm.seq', 'm.org_id', 'm.thread_id', 'm.sender_id', 'm.sender_role', 'm.created_at', 'm.current_version',
  'm.edited_at', 'm.retracted_at', 'v.body_ct', 'v.content_hash',
] as const;

export class MessageStore {
  constructor(private readonly db: Db) {}

  /**
   * Stores a new message in one statement, which PostgreSQL commits atomically: the message, its first version,
   * its search tokens, the thread's activity time and the audit event (built by the audit module, written only if
   * the message was). Returns the message's position, or null when the id already exists (a retry or a clash).
   */
  async insert(db: Queryable, m: MessageInsert, audit: (inserted: RawBuilder<boolean>) => RawBuilder<unknown>): Promise<string | null> {
    const inserted = sql<boolean>`EXISTS (SELECT 1 FROM m)`;
    const res = await sql<{ seq: string }>`
      WITH m AS (
        INSERT INTO messages (id, org_id, thread_id, sender_id, sender_role, created_at)
        VALUES (${m.id}, ${m.orgId}, ${m.threadId}, ${m.senderId}, ${m.senderRole}, ${m.createdAt})
        ON CONFLICT (id) DO NOTHING
        RETURNING id, seq
      ), v AS (
        INSERT INTO message_versions (message_id, version, org_id, body_ct, content_hash, created_by, created_at)
        SELECT id, 1, ${m.orgId}, ${m.bodyCt}, ${m.contentHash}, ${m.senderId}, ${m.createdAt} FROM m
      ), tok AS (
        INSERT INTO message_search (message_id, org_id, thread_id, tokens)
        SELECT id, ${m.orgId}, ${m.threadId}, ${m.tokens}::bytea[] FROM m
      ), th AS (
        UPDATE threads SET last_message_at = greatest(coalesce(last_message_at, ${m.createdAt}), ${m.createdAt})
         WHERE id = ${m.threadId} AND ${inserted}
      ), a AS (${audit(inserted)})
      SELECT seq::text AS seq FROM m`.execute(db);
    return res.rows[0]?.seq ?? null;
  }

  /** Replaces a message's search tokens with those of its new current version. */
  async replaceTokens(tx: Queryable, orgId: string, threadId: string, messageId: string, tokens: Buffer[]): Promise<void> {
    await sql`
      INSERT INTO message_search (message_id, org_id, thread_id, tokens)
      VALUES (${messageId}, ${orgId}, ${threadId}, ${tokens}::bytea[])
      ON CONFLICT (message_id) DO UPDATE SET tokens = excluded.tokens`.execute(tx);
  }

  /** Any message with this id, in any thread or organization (for idempotency checks). */
  head(id: string, tx: Queryable = this.db) {
    return tx
      .selectFrom('messages as m')
      .innerJoin('message_versions as v', (j) => j.onRef('v.message_id', '=', 'm.id').on('v.version', '=', 1))
      .select(['m.id', 'm.org_id', 'm.thread_id', 'm.sender_id', 'v.content_hash'])
      .where('m.id', '=', id)
      .executeTakeFirst();
  }

  one(threadId: string, id: string, tx: Queryable = this.db, lock = false) {
    let q = tx
      .selectFrom('messages as m')
      .innerJoin('message_versions as v', (j) => j.onRef('v.message_id', '=', 'm.id').onRef('v.version', '=', 'm.current_version'))
      .select(MESSAGE_COLUMNS)
      .where('m.thread_id', '=', threadId)
      .where('m.id', '=', id);
    if (lock) q = q.forUpdate();
    return q.executeTakeFirst();
  }

  /** A page of a thread: newest first (optionally before a position) or oldest first after a position. */
  page(threadId: string, opts: { includeRetracted: boolean; beforeSeq?: string; afterSeq?: string; limit: number }) {
    let q = this.db
      .selectFrom('messages as m')
      .innerJoin('message_versions as v', (j) => j.onRef('v.message_id', '=', 'm.id').onRef('v.version', '=', 'm.current_version'))
      .select(MESSAGE_COLUMNS)
      .where('m.thread_id', '=', threadId);
    if (!opts.includeRetracted) q = q.where('m.retracted_at', 'is', null);
    if (opts.afterSeq) return q.where('m.seq', '>', opts.afterSeq).orderBy('m.seq', 'asc').limit(opts.limit).execute();
    if (opts.beforeSeq) q = q.where('m.seq', '<', opts.beforeSeq);
    return q.orderBy('m.seq', 'desc').limit(opts.limit).execute();
  }

  receipts(messageIds: string[]) {
    if (messageIds.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('message_receipts').selectAll().where('message_id', 'in', messageIds).execute();
  }

  versions(messageId: string) {
    return this.db.selectFrom('message_versions').selectAll().where('message_id', '=', messageId).orderBy('version').execute();
  }

  async addVersion(tx: Queryable, v: { messageId: string; orgId: string; version: number; bodyCt: Buffer; contentHash: Buffer; by: string; at: Date }): Promise<void> {
    await tx
      .insertInto('message_versions')
      .values({ message_id: v.messageId, version: v.version, org_id: v.orgId, body_ct: v.bodyCt, content_hash: v.contentHash, created_by: v.by, created_at: v.at })
      .execute();
    await tx.updateTable('messages').set({ current_version: v.version, edited_at: v.at }).where('id', '=', v.messageId).execute();
  }

  async retract(tx: Queryable, messageId: string, by: string, at: Date, reasonCt: Buffer | null): Promise<void> {
    await tx.updateTable('messages').set({ retracted_at: at, retracted_by: by, retract_reason_ct: reasonCt }).where('id', '=', messageId).execute();
  }

  /**
   * Marks every message of the thread up to `uptoSeq`, not sent by the user, as delivered (and read).
   * Returns how many receipts changed.
   */
  async markUpTo(tx: Queryable, q: { orgId: string; threadId: string; userId: string; uptoSeq: string; read: boolean; includeRetracted: boolean; at: Date }): Promise<number> {
    const readAt = q.read ? q.at : null;
    const res = await sql<{ n: string }>`
      WITH upserted AS (
        INSERT INTO message_receipts (message_id, user_id, org_id, delivered_at, read_at)
        SELECT m.id, ${q.userId}, ${q.orgId}, ${q.at}, ${readAt}::timestamptz
          FROM messages m
         WHERE m.thread_id = ${q.threadId} AND m.seq <= ${q.uptoSeq} AND m.sender_id <> ${q.userId}
           AND (${q.includeRetracted} OR m.retracted_at IS NULL)
        ON CONFLICT (message_id, user_id) DO UPDATE
           SET read_at = coalesce(message_receipts.read_at, excluded.read_at)
         WHERE message_receipts.read_at IS NULL AND excluded.read_at IS NOT NULL
        RETURNING 1
      ) SELECT count(*)::text AS n FROM upserted`.execute(tx);
    return Number(res.rows[0]?.n ?? 0);
  }
}
