import { sql, type Selectable } from 'kysely';
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
}

/** An attachment as the service reads it (scan bookkeeping aside), with whether its message exists. */
export type AttachmentRow = Omit<Selectable<AttachmentsTable>, 'scan_attempts' | 'scan_claimed_at' | 'scanned_at'> & {
  /** The message with this id exists in the thread and was sent by the uploader. */
  linked: boolean;
};

/** How long a scan claim holds before another node (or a retry) may take the attachment. */
const SCAN_LEASE = '2 minutes';

export class AttachmentStore {
  constructor(private readonly db: Db) {}

  /**
   * The message an attachment is uploaded for, if it was sent already (in any thread: ids are global). Read here
   * rather than through the messages module because the visibility rule below is one SQL join with it.
   */
  messageHead(tx: Queryable, messageId: string) {
    return tx.selectFrom('messages').select(['org_id', 'thread_id', 'sender_id', 'retracted_at']).where('id', '=', messageId).executeTakeFirst();
  }

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
      })
      .execute();
  }

  /**
   * Attachments of some messages of one thread that a viewer may see: those linked to their message (same thread,
   * sent by the uploader), and the viewer's own not yet linked uploads. Attachments of retracted messages only
   * when `includeRetracted` (staff).
   */
  async visible(q: { orgId: string; threadId: string; messageIds: string[]; viewerId: string; includeRetracted: boolean; attachmentId?: string }): Promise<AttachmentRow[]> {
    if (q.messageIds.length === 0) return [];
    const res = await sql<AttachmentRow>`
      SELECT a.id, a.org_id, a.thread_id, a.message_id, a.patient_id, a.uploader_id, a.key_id, a.file_name_ct,
             a.content_type, a.size::text AS size, a.content_hash, a.storage_key, a.preview_storage_key, a.status,
             a.created_at, (m.id IS NOT NULL) AS linked
        FROM attachments a
        LEFT JOIN messages m ON m.id = a.message_id AND m.thread_id = a.thread_id AND m.sender_id = a.uploader_id
       WHERE a.org_id = ${q.orgId} AND a.thread_id = ${q.threadId} AND a.message_id = ANY(${q.messageIds}::uuid[])
         AND (m.id IS NOT NULL OR a.uploader_id = ${q.viewerId})
         AND (m.retracted_at IS NULL OR ${q.includeRetracted})
         ${q.attachmentId ? sql`AND a.id = ${q.attachmentId}` : sql``}
       ORDER BY a.created_at, a.id`.execute(this.db);
    return res.rows;
  }

  /** Takes the oldest attachment waiting for its scan whose lease is free; null when none. */
  async claimForScan(): Promise<Omit<AttachmentRow, 'linked'> | null> {
    const res = await sql<Omit<AttachmentRow, 'linked'>>`
      UPDATE attachments SET scan_claimed_at = now(), scan_attempts = scan_attempts + 1
       WHERE id = (SELECT id FROM attachments
                    WHERE status = 'pending_scan' AND (scan_claimed_at IS NULL OR scan_claimed_at < now() - ${SCAN_LEASE}::interval)
                    ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING id, org_id, thread_id, message_id, patient_id, uploader_id, key_id, file_name_ct, content_type,
                size::text AS size, content_hash, storage_key, preview_storage_key, status, created_at`.execute(this.db);
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
