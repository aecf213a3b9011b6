import { sql, type RawBuilder } from 'kysely';
import { Batcher } from '../../platform/db/batcher.js';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { MessageVisibility } from '../../platform/db/schema.js';
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
  /** 'internal': an internal note or internal-thread message, never shown to patients (default 'patient'). */
  visibility?: MessageVisibility;
  /** Users mentioned (already checked by the service); each gets a mention row and a mention.created event. */
  mentions?: string[];
  /** The message's audit event, written in the same statement, only if the message is. */
  audit: AuditRowInput;
  /** Patient threads: what the message does to the thread's workflow (see MessageWorkflow). */
  workflow?: MessageWorkflowFacts | null;
}

/** A patient-thread message's effect on the workflow, decided before it is stored. */
export interface MessageWorkflowFacts {
  /** The workflow clock's time of the message. */
  at: Date;
  /** Patient messages: when an answer is due if this message starts a wait (and when to remind the owner). */
  dueAt: Date | null;
  remindAt: Date | null;
  /** The message matched the crisis lexicon: the thread becomes urgent. */
  crisis: boolean;
  /** Written while the practice is closed. */
  offHours: boolean;
}

/** Writes the audit events of a statement's changes (the audit module's SQL). */
export interface AuditSql {
  eventsSql(events: AuditRowInput[], onlyIfResourceIn?: RawBuilder<unknown>): RawBuilder<unknown>;
}

/** Writes live events (the outbox) selected by a query, inside the same statement (the events module's SQL). */
export interface OutboxSql {
  /** `full`: the query also yields staff_only and data. */
  insertSelectSql(select: RawBuilder<unknown>, columns?: 'basic' | 'full'): RawBuilder<unknown>;
}

const MESSAGE_COLUMNS = [
  'm.id', 'm.seq', 'm.org_id', 'm.thread_id', 'm.sender_id', 'm.sender_role', 'm.created_at', 'm.current_version',
  'm.edited_at', 'm.retracted_at', 'm.link_ct', 'm.visibility', 'v.body_ct', 'v.content_hash',
] as const;

/** Each message's mentioned users, fetched with the message (no second round trip). */
const MENTIONS = sql<string[]>`(
  SELECT coalesce(array_agg(mm.user_id::text ORDER BY mm.user_id), '{}') FROM message_mentions mm WHERE mm.message_id = m.id)`.as('mentions');

/** Each message's receipts as a JSON array, fetched with the message (no second round trip). */
const RECEIPTS = sql<{ user_id: string; delivered_at: string; read_at: string | null }[]>`(
  SELECT coalesce(json_agg(json_build_object('user_id', r.user_id, 'delivered_at', r.delivered_at, 'read_at', r.read_at) ORDER BY r.user_id), '[]')
    FROM message_receipts r WHERE r.message_id = m.id)`.as('receipts');

/** pg sends a bytea[][] badly; each message's tokens travel as one bytea[] literal instead. */
const byteaArrayLiteral = (values: Buffer[]): string => `{${values.map((b) => `"\\\\x${b.toString('hex')}"`).join(',')}}`;
/** The same for each message's mentioned user ids (a uuid[] literal; the service checked they are UUIDs). */
const uuidArrayLiteral = (values: string[]): string => `{${values.join(',')}}`;

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
                             ${col((m) => m.linkCt ?? null)}::bytea[], ${col((m) => m.visibility ?? 'patient')}::text[],
                             ${col((m) => uuidArrayLiteral(m.mentions ?? []))}::text[], ${col((m) => m.workflow?.at ?? null)}::timestamptz[],
                             ${col((m) => m.workflow?.dueAt ?? null)}::timestamptz[], ${col((m) => m.workflow?.remindAt ?? null)}::timestamptz[],
                             ${col((m) => m.workflow?.crisis ?? false)}::boolean[], ${col((m) => m.workflow?.offHours ?? false)}::boolean[])
               AS i(id, org_id, thread_id, sender_id, sender_role, created_at, body_ct, content_hash, tokens, link_ct, visibility, mentions, wf_at, due_at, remind_at, crisis, off_hours)
      ), m AS (
        INSERT INTO messages (id, org_id, thread_id, sender_id, sender_role, created_at, link_ct, visibility, crisis)
        SELECT id, org_id, thread_id, sender_id, sender_role, created_at, link_ct, visibility, crisis FROM input ORDER BY created_at
        ON CONFLICT (id) DO NOTHING
        RETURNING id, seq
      ), v AS (
        INSERT INTO message_versions (message_id, version, org_id, body_ct, content_hash, created_by, created_at)
        SELECT i.id, 1, i.org_id, i.body_ct, i.content_hash, i.sender_id, i.created_at FROM input i JOIN m USING (id)
      ), tok AS (
        INSERT INTO message_search (message_id, org_id, thread_id, tokens)
        SELECT i.id, i.org_id, i.thread_id, i.tokens::bytea[] FROM input i JOIN m USING (id)
      ), mm AS (
        INSERT INTO message_mentions (id, message_id, org_id, thread_id, user_id, mentioned_by, created_at)
        SELECT gen_random_uuid(), i.id, i.org_id, i.thread_id, u.user_id, i.sender_id, i.created_at
          FROM input i JOIN m USING (id) CROSS JOIN LATERAL unnest(i.mentions::uuid[]) AS u(user_id)
        RETURNING id, message_id, org_id, thread_id, user_id, mentioned_by, created_at
      ), activity AS (
        -- A patient's view of the thread moves only with messages they may see (never with an internal note).
        SELECT i.thread_id, max(i.created_at) AS at, max(i.created_at) FILTER (WHERE i.visibility = 'patient') AS patient_at
          FROM input i JOIN m USING (id) GROUP BY i.thread_id
      ), wf AS (
        -- The workflow follows the latest message of each patient thread in this statement.
        SELECT DISTINCT ON (i.thread_id) i.thread_id, i.sender_role IN ('patient') AS patient, i.sender_role IN ('provider', 'staff') AS staff,
               i.sender_id, i.wf_at, i.due_at, i.remind_at,
               bool_or(i.crisis) OVER w AS crisis, count(*) FILTER (WHERE i.off_hours AND i.sender_role = 'patient') OVER w AS off_n
          -- Internal notes never move the workflow: they are not answers to the patient.
          FROM input i JOIN m USING (id) WHERE i.wf_at IS NOT NULL AND i.visibility = 'patient'
        WINDOW w AS (PARTITION BY i.thread_id)
         ORDER BY i.thread_id, i.created_at DESC
      ), th AS (
        UPDATE threads t SET
          last_message_at = greatest(coalesce(t.last_message_at, a.at), a.at),
          patient_last_message_at = greatest(t.patient_last_message_at, a.patient_at),
          state = CASE WHEN w.thread_id IS NULL THEN t.state
                       WHEN w.patient AND (t.state IS NULL OR t.state IN ('awaiting_patient', 'closed'))
                         THEN CASE WHEN t.assignee_id IS NULL THEN 'unassigned' ELSE 'awaiting_staff' END
                       WHEN w.staff THEN 'awaiting_patient'
                       ELSE t.state END,
          state_changed_at = CASE WHEN w.patient AND (t.state IS NULL OR t.state IN ('awaiting_patient', 'closed')) THEN w.wf_at
                                  WHEN w.staff AND t.state IS DISTINCT FROM 'awaiting_patient' THEN w.wf_at
                                  ELSE t.state_changed_at END,
          waiting_since = CASE WHEN w.patient AND (t.state IS NULL OR t.state IN ('awaiting_patient', 'closed') OR t.waiting_since IS NULL) THEN w.wf_at
                               WHEN w.staff THEN NULL ELSE t.waiting_since END,
          due_at = CASE WHEN w.patient AND (t.state IS NULL OR t.state IN ('awaiting_patient', 'closed') OR t.due_at IS NULL) THEN w.due_at
                        WHEN w.patient AND w.crisis THEN least(t.due_at, w.due_at)
                        WHEN w.staff THEN NULL ELSE t.due_at END,
          remind_at = CASE WHEN w.patient AND (t.state IS NULL OR t.state IN ('awaiting_patient', 'closed') OR t.due_at IS NULL) THEN w.remind_at
                           WHEN w.patient AND w.crisis AND w.due_at < t.due_at THEN w.remind_at
                           WHEN w.staff THEN NULL ELSE t.remind_at END,
          reminded_at = CASE WHEN w.staff OR (w.patient AND (t.state IS NULL OR t.state IN ('awaiting_patient', 'closed') OR t.due_at IS NULL OR (w.crisis AND w.due_at < t.due_at))) THEN NULL ELSE t.reminded_at END,
          escalated_at = CASE WHEN w.staff OR (w.patient AND (t.state IS NULL OR t.state IN ('awaiting_patient', 'closed') OR t.due_at IS NULL OR (w.crisis AND w.due_at < t.due_at))) THEN NULL ELSE t.escalated_at END,
          closed_at = CASE WHEN w.patient OR w.staff THEN NULL ELSE t.closed_at END,
          first_patient_at = coalesce(t.first_patient_at, CASE WHEN w.patient THEN w.wf_at END),
          first_response_at = coalesce(t.first_response_at, CASE WHEN w.staff AND t.waiting_since IS NOT NULL THEN w.wf_at END),
          first_responder_id = CASE WHEN t.first_response_at IS NULL AND w.staff AND t.waiting_since IS NOT NULL THEN w.sender_id ELSE t.first_responder_id END,
          responses = t.responses + CASE WHEN w.staff AND t.waiting_since IS NOT NULL THEN 1 ELSE 0 END,
          late_responses = t.late_responses + CASE WHEN w.staff AND t.waiting_since IS NOT NULL AND t.due_at IS NOT NULL AND w.wf_at > t.due_at THEN 1 ELSE 0 END,
          priority = CASE WHEN w.crisis THEN 'urgent' ELSE t.priority END,
          -- Whoever answers an unowned thread owns it.
          assignee_id = CASE WHEN w.staff AND t.assignee_id IS NULL THEN w.sender_id ELSE t.assignee_id END,
          off_hours_messages = t.off_hours_messages + coalesce(w.off_n, 0)::int
          FROM (SELECT id FROM threads WHERE id IN (SELECT thread_id FROM activity) ORDER BY id FOR NO KEY UPDATE) l, activity a LEFT JOIN wf w ON w.thread_id = a.thread_id
         WHERE t.id = l.id AND a.thread_id = t.id
      ), a AS (${this.audit.eventsSql(col((m) => m.audit), sql`SELECT id::text FROM m`)}
      ), ev AS (${this.outbox.insertSelectSql(
        sql`SELECT org_id, kind, thread_id, user_id, message_id, actor_id, staff_only, data FROM (
              SELECT i.org_id, 'message.created' AS kind, i.thread_id, NULL::uuid AS user_id, i.id AS message_id, i.sender_id AS actor_id,
                     i.visibility = 'internal' AS staff_only, '{}'::jsonb AS data, i.created_at, 0 AS ord
                FROM input i JOIN m USING (id)
              UNION ALL
              SELECT mm.org_id, 'mention.created', mm.thread_id, mm.user_id, mm.message_id, mm.mentioned_by, true,
                     jsonb_build_object('mentionId', mm.id), mm.created_at, 1
                FROM mm
            ) e ORDER BY created_at, ord`,
        'full',
      )})
      SELECT id, seq::text AS seq FROM m`.execute(this.db);
    const seqById = new Map(res.rows.map((r) => [r.id, r.seq]));
    return items.map((m) => seqById.get(m.id) ?? null);
  }

  /** Of these messages, those not retracted and not yet read by the user (and, for a patient, never internal ones). */
  async unreadBy(orgId: string, userId: string, messageIds: string[]): Promise<string[]> {
    if (messageIds.length === 0) return [];
    const res = await sql<{ id: string }>`
      SELECT m.id FROM messages m
       WHERE m.org_id = ${orgId} AND m.id = ANY(${messageIds}::uuid[]) AND m.retracted_at IS NULL
         AND (m.visibility = 'patient' OR EXISTS (SELECT 1 FROM users u WHERE u.id = ${userId} AND u.role <> 'patient'))
         AND NOT EXISTS (SELECT 1 FROM message_receipts r WHERE r.message_id = m.id AND r.user_id = ${userId} AND r.read_at IS NOT NULL)`.execute(this.db);
    return res.rows.map((r) => r.id);
  }

  /** Whether someone of this role wrote in the thread after `since` (follow-ups: did the patient answer?). */
  async anyFromRoleSince(tx: Queryable, threadId: string, senderRole: string, since: Date): Promise<boolean> {
    const row = await tx
      .selectFrom('messages')
      .select('id')
      .where('thread_id', '=', threadId)
      .where('sender_role', '=', senderRole)
      .where('created_at', '>', since)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
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
      .select(['m.id', 'm.org_id', 'm.thread_id', 'm.sender_id', 'm.visibility', 'v.content_hash'])
      .where('m.id', '=', id)
      .executeTakeFirst();
  }

  /** Who sent the messages with these ids in an organization, in which thread, whether they were retracted, whether internal. */
  heads(orgId: string, ids: string[], tx: Queryable = this.db, lockShared = false) {
    if (ids.length === 0) return Promise.resolve([]);
    let q = tx.selectFrom('messages').select(['id', 'thread_id', 'sender_id', 'retracted_at', 'visibility']).where('org_id', '=', orgId).where('id', 'in', ids);
    // FOR SHARE: a retraction (FOR UPDATE) waits for the caller's transaction, and the caller for a retraction.
    if (lockShared) q = q.forShare();
    return q.execute();
  }

  one(threadId: string, id: string, tx: Queryable = this.db, lock = false) {
    let q = tx
      .selectFrom('messages as m')
      .innerJoin('message_versions as v', (j) => j.onRef('v.message_id', '=', 'm.id').onRef('v.version', '=', 'm.current_version'))
      .select(MESSAGE_COLUMNS)
      .select(RECEIPTS)
      .select(MENTIONS)
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
      .select(MENTIONS)
      .select('t.key_id')
      .where('m.id', '=', sql<string>`ANY(${ids}::uuid[])`)
      .execute();
  }

  /**
   * A page of a thread: newest first (optionally before a position) or oldest first after a position. The page is cut
   * from the messages alone (an index range on (thread_id, seq)) before versions, receipts and mentions are joined,
   * so a page costs the same in a thread of 50 messages or 50,000, whatever plan the statistics lead to.
   */
  page(threadId: string, opts: { includeRetracted: boolean; includeInternal: boolean; beforeSeq?: string; afterSeq?: string; limit: number }) {
    const newestFirst = !opts.afterSeq;
    let cut = this.db.selectFrom('messages').selectAll().where('thread_id', '=', threadId);
    if (!opts.includeRetracted) cut = cut.where('retracted_at', 'is', null);
    if (!opts.includeInternal) cut = cut.where('visibility', '=', 'patient');
    if (opts.afterSeq) cut = cut.where('seq', '>', opts.afterSeq);
    if (opts.beforeSeq) cut = cut.where('seq', '<', opts.beforeSeq);
    cut = cut.orderBy('seq', newestFirst ? 'desc' : 'asc').limit(opts.limit);
    return this.db
      .selectFrom(cut.as('m'))
      .innerJoin('message_versions as v', (j) => j.onRef('v.message_id', '=', 'm.id').onRef('v.version', '=', 'm.current_version'))
      .select(MESSAGE_COLUMNS)
      .select(RECEIPTS)
      .select(MENTIONS)
      .orderBy('m.seq', newestFirst ? 'desc' : 'asc')
      .execute();
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
  async markUpTo(
    tx: Queryable,
    q: { orgId: string; threadId: string; userId: string; uptoSeq: string; read: boolean; includeRetracted: boolean; includeInternal: boolean; at: Date },
  ): Promise<number> {
    const readAt = q.read ? q.at : null;
    const res = await sql<{ n: string }>`
      WITH upserted AS (
        INSERT INTO message_receipts (message_id, user_id, org_id, delivered_at, read_at)
        SELECT m.id, ${q.userId}, ${q.orgId}, ${q.at}, ${readAt}::timestamptz
          FROM messages m
         WHERE m.thread_id = ${q.threadId} AND m.seq <= ${q.uptoSeq} AND m.sender_id <> ${q.userId}
           AND (${q.includeRetracted} OR m.retracted_at IS NULL)
           AND (${q.includeInternal} OR m.visibility = 'patient')
        ON CONFLICT (message_id, user_id) DO UPDATE
           SET read_at = coalesce(message_receipts.read_at, excluded.read_at)
         WHERE message_receipts.read_at IS NULL AND excluded.read_at IS NOT NULL
        RETURNING 1
      ) SELECT count(*)::text AS n FROM upserted`.execute(tx);
    return Number(res.rows[0]?.n ?? 0);
  }

  /** The newest message of a thread at or before a position that a patient may see (not internal, not retracted). */
  async lastPatientVisible(tx: Queryable, threadId: string, uptoSeq: string): Promise<string | null> {
    const row = await tx
      .selectFrom('messages')
      .select('id')
      .where('thread_id', '=', threadId)
      .where('seq', '<=', uptoSeq)
      .where('visibility', '=', 'patient')
      .where('retracted_at', 'is', null)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.id ?? null;
  }
}
