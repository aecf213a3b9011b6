import { sql, type RawBuilder } from 'kysely';
import { Batcher } from '../../platform/db/batcher.js';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { AuditRowInput } from '../audit/audit.store.js';

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
  /** A link shared from the resource library (encrypted), if any. */
  linkCt?: Buffer | null;
  /** The message's audit event, written in the same statement, only if the message is. */
  audit: AuditRowInput;
}

/** Writes the audit events of a statement's changes (the audit module's SQL). */
export interface AuditSql {
  eventsSql(events: AuditRowInput[], onlyIfResourceIn?: RawBuilder<unknown>): RawBuilder<unknown>;
}

/** Writes live events (the outbox) selected by a query, inside the same statement (the events module's SQL). */
export interface OutboxSql {
  insertSelectSql(select: RawBuilder<unknown>): RawBuilder<unknown>;
}

const MESSAGE_COLUMNS = [
  'm.id', 'm.seq', 'm.org_id', 'm.thread_id', 'm.sender_id', 'm.sender_role', 'm.created_at', 'm.current_version',
  'm.edited_at', 'm.retracted_at', 'm.link_ct', 'v.body_ct', 'v.content_hash',
] as const;

/** Each message's receipts as a JSON array, fetched with the message (no second round trip). */
const RECEIPTS = sql<{ user_id: string; delivered_at: string; read_at: string | null }[]>`(
  SELECT coalesce(json_agg(json_build_object('user_id', r.user_id, 'delivered_at', r.delivered_at, 'read_at', r.read_at) ORDER BY r.user_id), '[]')
    FROM message_receipts r WHERE r.message_id = m.id)`.as('receipts');

/** pg sends a bytea[][] badly; each message's tokens travel as one bytea[] literal instead. */
const byteaArrayLiteral = (values: Buffer[]): string => `{${values.map((b) => `"\\\\x${b.toString('hex')}"`).join(',')}}`;

export class MessageStore {
  /**
   * Concurrent sends share one statement (group commit): under load, one round trip, one plan and one WAL flush
   * carry many messages; a lone send still goes at once. A message id appears at most once per statement, and
   * statements running at once never share a thread, so they never wait for each other's thread row lock.
   */
  private readonly writer = new Batcher<MessageInsert, string | null>((items) => this.insertMany(items), {
    maxBatch: 128,
    maxInFlight: 2,
    key: (m) => m.id,
    exclusive: (m) => m.threadId,
    isolateFailures: true,
  });

  constructor(
    private readonly db: Db,
    private readonly audit: AuditSql,
    private readonly outbox: OutboxSql,
  ) {}

  /**
   * Stores a new message atomically with its first version, its search tokens, the thread's activity time, its
   * audit event and its live event (outbox). Resolves after the commit with the message's position, or null when the id already exists (a
   * retry or a clash).
   */
  insert(m: MessageInsert): Promise<string | null> {
    return this.writer.submit(m);
  }

  /**
   * One statement: every table the messages touch, committed together. Threads are locked in id order, so two
   * batches touching the same threads never deadlock.
   */
  private async insertMany(items: MessageInsert[]): Promise<(string | null)[]> {
    const col = <T>(f: (m: MessageInsert) => T): T[] => items.map(f);
    const res = await sql<{ id: string; seq: string }>`
      WITH input AS (
        SELECT * FROM unnest(${col((m) => m.id)}::uuid[], ${col((m) => m.orgId)}::uuid[], ${col((m) => m.threadId)}::uuid[],
                             ${col((m) => m.senderId)}::uuid[], ${col((m) => m.senderRole)}::text[], ${col((m) => m.createdAt)}::timestamptz[],
                             ${col((m) => m.bodyCt)}::bytea[], ${col((m) => m.contentHash)}::bytea[], ${col((m) => byteaArrayLiteral(m.tokens))}::text[],
                             ${col((m) => m.linkCt ?? null)}::bytea[])
               AS i(id, org_id, thread_id, sender_id, sender_role, created_at, body_ct, content_hash, tokens, link_ct)
      ), m AS (
        INSERT INTO messages (id, org_id, thread_id, sender_id, sender_role, created_at, link_ct)
        SELECT id, org_id, thread_id, sender_id, sender_role, created_at, link_ct FROM input ORDER BY created_at
        ON CONFLICT (id) DO NOTHING
        RETURNING id, seq
      ), v AS (
        INSERT INTO message_versions (message_id, version, org_id, body_ct, content_hash, created_by, created_at)
        SELECT i.id, 1, i.org_id, i.body_ct, i.content_hash, i.sender_id, i.created_at FROM input i JOIN m USING (id)
      ), tok AS (
        INSERT INTO message_search (message_id, org_id, thread_id, tokens)
        SELECT i.id, i.org_id, i.thread_id, i.tokens::bytea[] FROM input i JOIN m USING (id)
      ), activity AS (
        SELECT i.thread_id, max(i.created_at) AS at FROM input i JOIN m USING (id) GROUP BY i.thread_id
      ), th AS (
        UPDATE threads t SET last_message_at = greatest(coalesce(t.last_message_at, a.at), a.at)
          FROM (SELECT id FROM threads WHERE id IN (SELECT thread_id FROM activity) ORDER BY id FOR NO KEY UPDATE) l, activity a
         WHERE t.id = l.id AND a.thread_id = t.id
      ), a AS (${this.audit.eventsSql(col((m) => m.audit), sql`SELECT id::text FROM m`)}
      ), ev AS (${this.outbox.insertSelectSql(
        sql`SELECT i.org_id, 'message.created', i.thread_id, NULL::uuid, i.id, i.sender_id FROM input i JOIN m USING (id) ORDER BY i.created_at`,
      )})
      SELECT id, seq::text AS seq FROM m`.execute(this.db);
    const seqById = new Map(res.rows.map((r) => [r.id, r.seq]));
    return items.map((m) => seqById.get(m.id) ?? null);
  }

  /** Of these messages, those not retracted and not yet read by the user. */
  async unreadBy(orgId: string, userId: string, messageIds: string[]): Promise<string[]> {
    if (messageIds.length === 0) return [];
    const res = await sql<{ id: string }>`
      SELECT m.id FROM messages m
       WHERE m.org_id = ${orgId} AND m.id = ANY(${messageIds}::uuid[]) AND m.retracted_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM message_receipts r WHERE r.message_id = m.id AND r.user_id = ${userId} AND r.read_at IS NOT NULL)`.execute(this.db);
    return res.rows.map((r) => r.id);
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

  /** Who sent the messages with these ids in an organization, in which thread, and whether they were retracted. */
  heads(orgId: string, ids: string[], tx: Queryable = this.db) {
    if (ids.length === 0) return Promise.resolve([]);
    return tx
      .selectFrom('messages')
      .select(['id', 'thread_id', 'sender_id', 'retracted_at'])
      .where('org_id', '=', orgId)
      .where('id', 'in', ids)
      .execute();
  }

  one(threadId: string, id: string, tx: Queryable = this.db, lock = false) {
    let q = tx
      .selectFrom('messages as m')
      .innerJoin('message_versions as v', (j) => j.onRef('v.message_id', '=', 'm.id').onRef('v.version', '=', 'm.current_version'))
      .select(MESSAGE_COLUMNS)
      .select(RECEIPTS)
      .where('m.thread_id', '=', threadId)
      .where('m.id', '=', id);
    if (lock) q = q.forUpdate();
    return q.executeTakeFirst();
  }

  /** Messages by id with their thread's key (for live events: each is decrypted once per node, then fanned out). */
  byIds(ids: string[]) {
    return this.db
      .selectFrom('messages as m')
      .innerJoin('message_versions as v', (j) => j.onRef('v.message_id', '=', 'm.id').onRef('v.version', '=', 'm.current_version'))
      .innerJoin('threads as t', 't.id', 'm.thread_id')
      .select(MESSAGE_COLUMNS)
      .select(RECEIPTS)
      .select('t.key_id')
      .where('m.id', '=', sql<string>`ANY(${ids}::uuid[])`)
      .execute();
  }

  /** A page of a thread: newest first (optionally before a position) or oldest first after a position. */
  page(threadId: string, opts: { includeRetracted: boolean; beforeSeq?: string; afterSeq?: string; limit: number }) {
    let q = this.db
      .selectFrom('messages as m')
      .innerJoin('message_versions as v', (j) => j.onRef('v.message_id', '=', 'm.id').onRef('v.version', '=', 'm.current_version'))
      .select(MESSAGE_COLUMNS)
      .select(RECEIPTS)
      .where('m.thread_id', '=', threadId);
    if (!opts.includeRetracted) q = q.where('m.retracted_at', 'is', null);
    if (opts.afterSeq) return q.where('m.seq', '>', opts.afterSeq).orderBy('m.seq', 'asc').limit(opts.limit).execute();
    if (opts.beforeSeq) q = q.where('m.seq', '<', opts.beforeSeq);
    return q.orderBy('m.seq', 'desc').limit(opts.limit).execute();
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
