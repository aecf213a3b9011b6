import { sql, type Selectable } from 'kysely';
import { Batcher } from '../../platform/db/batcher.js';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { AttachmentStatus, AttachmentsTable } from '../../platform/db/schema.js';

export interface AttachmentInsert {
  id: string;
  orgId: string;
  threadId: string;
  messageId: string;
  patientId: string | null;
  uploaderId: string;
  keyId: string;
  fileNameCt: Buffer;
  contentType: string;
  size: number;
  contentHash: Buffer;
  storageKey: string;
  previewStorageKey: string | null;
  status: AttachmentStatus;
  createdAt: Date;
  /** Set when the message already exists at upload time (the orphan sweep then never looks at it). */
  linkConfirmedAt: Date | null;
}

/** An attachment as the service reads it (scan and sweep bookkeeping aside). */
export type AttachmentRow = Omit<Selectable<AttachmentsTable>, 'scan_attempts' | 'scan_claimed_at' | 'scanned_at' | 'link_confirmed_at'>;

/** An upload the orphan sweep looks at. */
export type UnconfirmedRow = Pick<AttachmentRow, 'id' | 'org_id' | 'thread_id' | 'message_id' | 'patient_id' | 'uploader_id' | 'storage_key' | 'preview_storage_key' | 'created_at'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface MessagesLookup {
  orgId: string;
  threadId: string;
  messageIds: string[];
}

/** How long a scan claim holds before another node (or a retry) may take the attachment. */
const SCAN_LEASE = '2 minutes';

const COLUMNS = sql.raw(`id, org_id, thread_id, message_id, patient_id, uploader_id, key_id, file_name_ct, content_type, size::text AS size,
                         content_hash, storage_key, preview_storage_key, status, created_at`);

/**
 * SQL of the attachments table only. Whether an attachment's message exists (and so whether it is linked) is the
 * messages module's knowledge: the service asks MessageService for message heads and applies the rule itself.
 */
export class AttachmentStore {
  constructor(private readonly db: Db) {}

  /** Serializes uploads for one message id (the per-message limit is checked under it). */
  async lockMessage(tx: Queryable, messageId: string): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`attachments:${messageId}`}, 0))`.execute(tx);
  }

  async countFor(tx: Queryable, threadId: string, messageId: string, uploaderId: string): Promise<number> {
    const row = await tx
      .selectFrom('attachments')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('thread_id', '=', threadId)
      .where('message_id', '=', messageId)
      .where('uploader_id', '=', uploaderId)
      .where('status', '<>', 'rejected')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insert(tx: Queryable, a: AttachmentInsert): Promise<void> {
    await tx
      .insertInto('attachments')
      .values({
        id: a.id,
        org_id: a.orgId,
        thread_id: a.threadId,
        message_id: a.messageId,
        patient_id: a.patientId,
        uploader_id: a.uploaderId,
        key_id: a.keyId,
        file_name_ct: a.fileNameCt,
        content_type: a.contentType,
        size: a.size,
        content_hash: a.contentHash,
        storage_key: a.storageKey,
        preview_storage_key: a.previewStorageKey,
        status: a.status,
        created_at: a.createdAt,
        link_confirmed_at: a.linkConfirmedAt,
      })
      .execute();
  }

  /**
   * Every attachment uploaded for some message ids of one thread (by anyone), oldest first. One query per call, and
   * concurrent calls (every send asks for its message's attachments) share one query.
   */
  async ofMessages(q: { orgId: string; threadId: string; messageIds: string[]; attachmentId?: string }): Promise<AttachmentRow[]> {
    // Not UUIDs: no such messages (and one malformed id must not fail the statement it would share with others).
    const messageIds = [...new Set(q.messageIds)].filter((m) => UUID.test(m));
    if (messageIds.length === 0) return [];
    const rows = await this.lookups.submit({ orgId: q.orgId, threadId: q.threadId, messageIds });
    return q.attachmentId ? rows.filter((r) => r.id === q.attachmentId) : rows;
  }

  private readonly lookups = new Batcher<MessagesLookup, AttachmentRow[]>((items) => this.ofMessagesMany(items), { maxBatch: 128, maxInFlight: 2 });

  private async ofMessagesMany(items: MessagesLookup[]): Promise<AttachmentRow[][]> {
    const ord: number[] = [];
    const orgs: string[] = [];
    const threads: string[] = [];
    const messages: string[] = [];
    items.forEach((item, n) => {
      for (const m of item.messageIds) {
        ord.push(n);
        orgs.push(item.orgId);
        threads.push(item.threadId);
        messages.push(m);
      }
    });
    const res = await sql<AttachmentRow & { ord: number }>`
      SELECT i.ord, a.id, a.org_id, a.thread_id, a.message_id, a.patient_id, a.uploader_id, a.key_id, a.file_name_ct,
             a.content_type, a.size::text AS size, a.content_hash, a.storage_key, a.preview_storage_key, a.status, a.created_at
        FROM unnest(${ord}::int[], ${orgs}::uuid[], ${threads}::uuid[], ${messages}::uuid[]) AS i(ord, org_id, thread_id, message_id)
        JOIN attachments a ON a.org_id = i.org_id AND a.thread_id = i.thread_id AND a.message_id = i.message_id
       ORDER BY a.created_at, a.id`.execute(this.db);
    const out: AttachmentRow[][] = items.map(() => []);
    for (const { ord: n, ...row } of res.rows) out[n]!.push(row);
    return out;
  }

  /** An upload by this person for this message with exactly these bytes (a retried copy), if there is one. */
  async sameContent(tx: Queryable, q: { orgId: string; threadId: string; messageId: string; uploaderId: string; contentHash: Buffer }): Promise<AttachmentRow | undefined> {
    const res = await sql<AttachmentRow>`
      SELECT ${COLUMNS}
        FROM attachments
       WHERE org_id = ${q.orgId} AND thread_id = ${q.threadId} AND message_id = ${q.messageId} AND uploader_id = ${q.uploaderId}
         AND content_hash = ${q.contentHash} AND status <> 'rejected'
       ORDER BY created_at, id LIMIT 1`.execute(tx);
    return res.rows[0];
  }

  // ---- orphan sweep -----------------------------------------------------------------------------------------

  /** Uploads older than `before` whose message has not been seen yet, oldest first, after a position. */
  async unconfirmed(before: Date, after: { createdAt: Date; id: string } | null, limit: number): Promise<UnconfirmedRow[]> {
    let q = this.db
      .selectFrom('attachments')
      .select(['id', 'org_id', 'thread_id', 'message_id', 'patient_id', 'uploader_id', 'storage_key', 'preview_storage_key', 'created_at'])
      .where('link_confirmed_at', 'is', null)
      .where('created_at', '<', before);
    if (after) q = q.where(sql<boolean>`(created_at, id) > (${after.createdAt}, ${after.id}::uuid)`);
    return q.orderBy('created_at').orderBy('id').limit(limit).execute();
  }

  /** Marks uploads whose message exists: the sweep never looks at them again. */
  async confirmLinks(orgId: string, ids: string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable('attachments').set({ link_confirmed_at: at }).where('org_id', '=', orgId).where('id', 'in', ids).where('link_confirmed_at', 'is', null).execute();
  }

  /** Removes an orphaned upload's row; false when it is gone already or was confirmed meanwhile. */
  async deleteOrphan(tx: Queryable, orgId: string, id: string): Promise<boolean> {
    const res = await tx.deleteFrom('attachments').where('org_id', '=', orgId).where('id', '=', id).where('link_confirmed_at', 'is', null).executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  }

  /** Takes the oldest attachment waiting for its scan whose lease is free; null when none. */
  async claimForScan(): Promise<AttachmentRow | null> {
    const res = await sql<AttachmentRow>`
      UPDATE attachments SET scan_claimed_at = now(), scan_attempts = scan_attempts + 1
       WHERE id = (SELECT id FROM attachments
                    WHERE status = 'pending_scan' AND (scan_claimed_at IS NULL OR scan_claimed_at < now() - ${SCAN_LEASE}::interval)
                    ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING ${COLUMNS}`.execute(this.db);
    return res.rows[0] ?? null;
  }

  /** Records a scan's verdict; a rejected attachment loses its stored objects (the caller deletes them). */
  async finishScan(tx: Queryable, id: string, status: 'ready' | 'rejected'): Promise<boolean> {
    const res = await tx
      .updateTable('attachments')
      .set(status === 'rejected' ? { status, scanned_at: new Date(), storage_key: null, preview_storage_key: null } : { status, scanned_at: new Date() })
      .where('id', '=', id)
      .where('status', '=', 'pending_scan')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }
}
