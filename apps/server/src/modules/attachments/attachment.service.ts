import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Attachment, AttachmentSummary } from '@haven/api';
import type { Db, Queryable } from '../../platform/db/database.js';
import { aad } from '../../platform/crypto/aead.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { FileSource, FileVariant, IncomingFile, SealedFile, SealingTarget, SecureFiles } from '../../platform/files/secure-files.js';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError, notFound } from '../../platform/http/errors.js';
import type { OpenedFile } from '../../platform/http/send-file.js';
import type { MalwareScanner } from '../../platform/scan/malware-scanner.js';
import type { AuditService } from '../audit/audit.service.js';
import type { MessageAttachments, MessageHead, MessageService } from '../messages/message.service.js';
import { isStaffRole } from '../policy/policy.js';
import type { ThreadRecord, ThreadService } from '../threads/thread.service.js';
import type { AttachmentRow, AttachmentStore, UnconfirmedRow } from './attachment.store.js';

export const MAX_ATTACHMENTS_PER_MESSAGE = 10;
const SCAN_SWEEP_MS = 30_000;
const ORPHAN_BATCH = 200;

export interface AttachmentOptions {
  /** Uploads whose message has not arrived after this long are purged; 0 turns the purge off. */
  orphanAfterMs: number;
}

export type UploadInput = IncomingFile;
type Visible = AttachmentRow & { linked: boolean };

const contentBinding = (orgId: string, id: string, variant: FileVariant): string => aad('attachment', orgId, id, variant);
const fileNameAad = (orgId: string, id: string): string => aad('attachment', orgId, id, 'file_name');

/**
 * Attachments: rules, authorization and audit. An attachment belongs to the uploader, the thread and its patient; it
 * is linked to a message by the message's client-generated id and becomes part of it when that message (same thread,
 * same sender) exists. Bytes are checked, cleaned, encrypted and stored by SecureFiles while they stream in. Whether
 * a message exists is asked of the messages module (MessageService.heads); this module reads only its own table.
 */
/** Who looks at attachments: their own unsent uploads are theirs; staff also see a retracted message's files. */
interface Viewer {
  userId: string | null;
  staff: boolean;
}
const viewerOf = (ctx: RequestContext): Viewer => ({ userId: ctx.actor.userId, staff: isStaffRole(ctx.actor.role) });
/** Live events: linked attachments as staff see them (no one's unsent uploads). */
const STAFF_VIEW: Viewer = { userId: null, staff: true };

export class AttachmentService implements MessageAttachments {
  private scanTimer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescan = false;
  private purgeTimer: NodeJS.Timeout | undefined;
  private purging: Promise<unknown> | undefined;
  private stopped = false;
  private log: Logger | undefined;

  constructor(
    private readonly db: Db,
    private readonly store: AttachmentStore,
    private readonly threads: ThreadService,
    private readonly messages: MessageService,
    private readonly keyring: Keyring,
    private readonly audit: AuditService,
    private readonly files: SecureFiles,
    private readonly scanner: MalwareScanner | null,
    private readonly options: AttachmentOptions,
  ) {}

  private target(orgId: string, id: string, key: Buffer): SealingTarget {
    return { key, prefix: orgId, binding: (variant) => contentBinding(orgId, id, variant), hashLabel: 'haven-attachment' };
  }

  /**
   * Refuses an upload for a message id that is someone else's, in another thread, or retracted. Answers whether the
   * message exists already (then the upload is linked at once).
   */
  private async checkMessage(ctx: RequestContext, thread: ThreadRecord, messageId: string, tx?: Queryable): Promise<boolean> {
    const [head] = await this.messages.heads(thread.org_id, [messageId], tx);
    if (!head) return false;
    if (head.threadId !== thread.id || head.senderId !== ctx.actor.userId) throw new AppError('conflict', 'This message id belongs to another message');
    if (head.retracted) throw new AppError('conflict', 'The message was retracted');
    return true;
  }

  private async checkRoom(tx: Queryable, thread: ThreadRecord, messageId: string, uploaderId: string): Promise<void> {
    if ((await this.store.countFor(tx, thread.id, messageId, uploaderId)) >= MAX_ATTACHMENTS_PER_MESSAGE) {
      throw new AppError('attachment_limit_reached', `A message has at most ${MAX_ATTACHMENTS_PER_MESSAGE} attachments`);
    }
  }

  /** Authorization and the checks that need no byte of the file, before anything is read. */
  private async prepare(ctx: RequestContext, threadId: string, messageIdRaw: string) {
    const { thread } = await this.threads.require(ctx, threadId, 'messages.send');
    const messageId = messageIdRaw.toLowerCase();
    await this.checkMessage(ctx, thread, messageId);
    await this.checkRoom(this.db, thread, messageId, ctx.actor.userId);
    const id = randomUUID();
    return { thread, messageId, id, target: this.target(thread.org_id, id, await this.keyring.dataKey(thread.key_id)) };
  }

  async upload(ctx: RequestContext, threadId: string, messageIdRaw: string, input: UploadInput): Promise<Attachment> {
    const { thread, messageId, id, target } = await this.prepare(ctx, threadId, messageIdRaw);
    const sealed = await this.files.ingest(input, target);
    return this.record(ctx, thread, messageId, id, sealed, {});
  }

  /**
   * Attaches a copy of a file Haven already holds (a library resource) to a message id, exactly as if its sender had
   * uploaded it: same checks, the thread's key, the patient's record, malware scanning. A copy of the same bytes
   * for the same message by the same person is made once: a retry answers the attachment made before.
   */
  async attachCopy(ctx: RequestContext, threadId: string, messageIdRaw: string, source: FileSource, via: string): Promise<Attachment> {
    const { thread, messageId, id, target } = await this.prepare(ctx, threadId, messageIdRaw);
    const sealed = await this.files.copy(source, target);
    return this.record(ctx, thread, messageId, id, sealed, { via, reuseSameContent: true });
  }

  /** Stores the row of a sealed file (its objects are deleted if that fails), audited, in one transaction. */
  private async record(ctx: RequestContext, thread: ThreadRecord, messageId: string, id: string, sealed: SealedFile, opts: { via?: string; reuseSameContent?: boolean }): Promise<Attachment> {
    const status = this.scanner ? 'pending_scan' : 'ready';
    const createdAt = new Date();
    let existing: AttachmentRow | undefined;
    try {
      existing = await this.db.transaction().execute(async (tx) => {
        await this.store.lockMessage(tx, messageId);
        const sent = await this.checkMessage(ctx, thread, messageId, tx);
        if (opts.reuseSameContent) {
          const same = await this.store.sameContent(tx, { orgId: thread.org_id, threadId: thread.id, messageId, uploaderId: ctx.actor.userId, contentHash: sealed.contentHash });
          if (same) return same;
        }
        await this.checkRoom(tx, thread, messageId, ctx.actor.userId);
        await this.store.insert(tx, {
          id,
          orgId: thread.org_id,
          threadId: thread.id,
          messageId,
          patientId: thread.patient_id,
          uploaderId: ctx.actor.userId,
          keyId: thread.key_id,
          fileNameCt: await this.keyring.encrypt(thread.key_id, sealed.fileName, fileNameAad(thread.org_id, id), tx),
          contentType: sealed.contentType,
          size: sealed.size,
          contentHash: sealed.contentHash,
          storageKey: sealed.storageKey,
          previewStorageKey: sealed.previewStorageKey,
          status,
          createdAt,
          linkConfirmedAt: sent ? createdAt : null,
        });
        await this.audit.recordFor(tx, ctx, {
          action: 'attachments.upload',
          resourceType: 'attachment',
          resourceId: id,
          patientId: thread.patient_id,
          details: { threadId: thread.id, messageId, status, ...(opts.via ? { via: opts.via } : {}) },
        });
        return undefined;
      });
    } catch (err) {
      await this.files.discard(sealed).catch(() => undefined);
      throw err;
    }
    const linked = await this.isLinked(thread, messageId, ctx.actor.userId);
    if (existing) {
      await this.files.discard(sealed);
      const [again] = await this.present([{ ...existing, linked }]);
      return again!;
    }
    if (this.scanner) this.kickScans();
    return {
      id,
      threadId: thread.id,
      messageId,
      uploaderId: ctx.actor.userId,
      fileName: sealed.fileName,
      contentType: sealed.contentType,
      size: sealed.size,
      contentHash: sealed.contentHash.toString('hex'),
      status,
      hasPreview: sealed.previewStorageKey !== null,
      linked,
      createdAt: createdAt.toISOString(),
    };
  }

  private async isLinked(thread: ThreadRecord, messageId: string, uploaderId: string): Promise<boolean> {
    const [head] = await this.messages.heads(thread.org_id, [messageId]);
    return head !== undefined && head.threadId === thread.id && head.senderId === uploaderId;
  }

  /** Attachments of one message the caller may see (their own unlinked uploads included). */
  async list(ctx: RequestContext, threadId: string, messageId: string): Promise<{ items: Attachment[] }> {
    const { thread } = await this.threads.require(ctx, threadId, 'threads.read');
    const rows = await this.visibleRows(ctx, thread, messageId.toLowerCase());
    await this.audit.recordFor(this.db, ctx, { action: 'attachments.list', resourceType: 'message', resourceId: messageId, patientId: thread.patient_id, details: { threadId: thread.id, returned: rows.length } });
    return { items: await this.present(rows) };
  }

  /**
   * For message responses (MessageAttachments): each message's attachments, i.e. those its sender uploaded for its id
   * in its thread, in one query for the whole page. The thread was authorized by the caller. A retracted message's
   * attachments are left out for patients (who are not shown the message either). Not audited on its own: the
   * message read that calls it records the read.
   */
  async forMessages(ctx: RequestContext, thread: ThreadRecord, messages: MessageHead[]): Promise<Map<string, AttachmentSummary[]>> {
    if (messages.length === 0) return new Map();
    const rows = await this.store.ofMessages({ orgId: thread.org_id, threadId: thread.id, messageIds: messages.map((m) => m.id.toLowerCase()) });
    return this.summaries(this.applyVisibility(viewerOf(ctx), rows, messages).filter((r) => r.linked));
  }

  /**
   * For live events: the attachments of messages of any threads, as staff see them (a patient is never sent a
   * retracted message, so the staff view serves both). The relay has decided who may see each thread.
   */
  async forDelivery(messages: (MessageHead & { orgId: string })[]): Promise<Map<string, AttachmentSummary[]>> {
    const groups = new Map<string, (MessageHead & { orgId: string })[]>();
    for (const m of messages) groups.set(`${m.orgId}/${m.threadId}`, [...(groups.get(`${m.orgId}/${m.threadId}`) ?? []), m]);
    const out = new Map<string, AttachmentSummary[]>();
    await Promise.all(
      [...groups.values()].map(async (heads) => {
        const { orgId, threadId } = heads[0]!;
        const rows = await this.store.ofMessages({ orgId, threadId, messageIds: heads.map((h) => h.id) });
        for (const [id, list] of await this.summaries(this.applyVisibility(STAFF_VIEW, rows, heads).filter((r) => r.linked))) out.set(id, list);
      }),
    );
    return out;
  }

  private async summaries(linked: Visible[]): Promise<Map<string, AttachmentSummary[]>> {
    const out = new Map<string, AttachmentSummary[]>();
    for (const r of linked) {
      const summary: AttachmentSummary = {
        id: r.id,
        fileName: await this.keyring.decrypt(r.key_id, r.file_name_ct, fileNameAad(r.org_id, r.id)),
        contentType: r.content_type,
        size: Number(r.size),
        status: r.status,
        hasPreview: r.preview_storage_key !== null,
      };
      out.set(r.message_id, [...(out.get(r.message_id) ?? []), summary]);
    }
    return out;
  }

  /** Opens an attachment (or its preview) for download: authorization, quarantine, audit, then verified bytes. */
  async open(ctx: RequestContext, threadId: string, messageId: string, attachmentId: string, variant: FileVariant): Promise<OpenedFile> {
    const { thread } = await this.threads.require(ctx, threadId, 'threads.read');
    const [row] = await this.visibleRows(ctx, thread, messageId.toLowerCase(), attachmentId.toLowerCase());
    if (!row) throw notFound('attachment');
    if (row.status === 'pending_scan') throw new AppError('attachment_not_ready');
    if (row.status === 'rejected') throw new AppError('attachment_rejected');
    const objectKey = variant === 'content' ? row.storage_key : row.preview_storage_key;
    if (!objectKey) throw notFound('preview');
    await this.audit.recordFor(this.db, ctx, {
      action: variant === 'content' ? 'attachments.download' : 'attachments.preview',
      resourceType: 'attachment',
      resourceId: row.id,
      patientId: row.patient_id,
      details: { threadId: row.thread_id, messageId: row.message_id },
    });
    const stream = await this.decrypted(row, objectKey, variant);
    const fileName = await this.keyring.decrypt(row.key_id, row.file_name_ct, fileNameAad(row.org_id, row.id));
    return {
      stream,
      contentType: variant === 'content' ? row.content_type : 'image/webp',
      fileName: variant === 'content' ? fileName : `${fileName.replace(/\.[^.]*$/, '')}-preview.webp`,
      size: variant === 'content' ? Number(row.size) : undefined,
    };
  }

  private async decrypted(row: AttachmentRow, objectKey: string, variant: FileVariant) {
    return this.files.open(objectKey, await this.keyring.dataKey(row.key_id), contentBinding(row.org_id, row.id, variant));
  }

  /** The attachments uploaded for one message id of a thread that the viewer may see, with whether each is linked. */
  private async visibleRows(ctx: RequestContext, thread: ThreadRecord, messageId: string, attachmentId?: string): Promise<Visible[]> {
    const [heads, rows] = await Promise.all([
      this.messages.heads(thread.org_id, [messageId]),
      this.store.ofMessages({ orgId: thread.org_id, threadId: thread.id, messageIds: [messageId], ...(attachmentId ? { attachmentId } : {}) }),
    ]);
    return this.applyVisibility(viewerOf(ctx), rows, heads);
  }

  /**
   * The visibility rule, in one place: an attachment is linked when the message with its id exists in its thread and
   * was sent by its uploader; a linked attachment is seen by whoever sees the thread, an unlinked one only by its
   * uploader; attachments of a retracted message or an internal note are hidden from patients (kept for staff, like
   * the message).
   */
  private applyVisibility(viewer: Viewer, rows: AttachmentRow[], heads: MessageHead[]): Visible[] {
    const byId = new Map(heads.map((h) => [h.id, h]));
    const staff = viewer.staff;
    const out: Visible[] = [];
    for (const r of rows) {
      const head = byId.get(r.message_id);
      const linked = head !== undefined && head.threadId === r.thread_id && head.senderId === r.uploader_id;
      if (!linked && r.uploader_id !== viewer.userId) continue;
      if (linked && head.retracted && !staff) continue;
      // An internal note's files are the note's: a patient never lists, previews or downloads them.
      if (linked && head.internal && !staff) continue;
      out.push({ ...r, linked });
    }
    return out;
  }

  private present(rows: Visible[]): Promise<Attachment[]> {
    return Promise.all(
      rows.map(async (r) => ({
        id: r.id,
        threadId: r.thread_id,
        messageId: r.message_id,
        uploaderId: r.uploader_id,
        fileName: await this.keyring.decrypt(r.key_id, r.file_name_ct, fileNameAad(r.org_id, r.id)),
        contentType: r.content_type,
        size: Number(r.size),
        contentHash: r.content_hash.toString('hex'),
        status: r.status,
        hasPreview: r.preview_storage_key !== null,
        linked: r.linked,
        createdAt: r.created_at.toISOString(),
      })),
    );
  }

  // ---- orphaned uploads ---------------------------------------------------------------------------------------

  /**
   * Purges uploads whose message never arrived: older than `olderThanMs` and still without a message with their id
   * (same thread, same sender). Their stored objects are deleted first, then the row, with an audit event. Uploads
   * whose message exists are marked, so the sweep never looks at them again: a linked attachment is never purged.
   */
  async purgeOrphans(olderThanMs: number = this.options.orphanAfterMs, now: Date = new Date()): Promise<{ purged: number; confirmed: number; failed: number }> {
    const before = new Date(now.getTime() - olderThanMs);
    const result = { purged: 0, confirmed: 0, failed: 0 };
    let after: { createdAt: Date; id: string } | null = null;
    for (;;) {
      const rows = await this.store.unconfirmed(before, after, ORPHAN_BATCH);
      const byOrg = new Map<string, UnconfirmedRow[]>();
      for (const r of rows) byOrg.set(r.org_id, [...(byOrg.get(r.org_id) ?? []), r]);
      for (const [orgId, list] of byOrg) {
        const heads = new Map((await this.messages.heads(orgId, list.map((r) => r.message_id))).map((h) => [h.id, h]));
        const isLinked = (r: UnconfirmedRow): boolean => {
          const head = heads.get(r.message_id);
          return head !== undefined && head.threadId === r.thread_id && head.senderId === r.uploader_id;
        };
        const linked = list.filter(isLinked);
        await this.store.confirmLinks(orgId, linked.map((r) => r.id), now);
        result.confirmed += linked.length;
        for (const r of list.filter((x) => !isLinked(x))) {
          try {
            if (await this.purgeOne(r, now)) result.purged++;
          } catch (err) {
            result.failed++;
            this.log?.warn({ attachmentId: r.id, err: { name: (err as Error).name, message: (err as Error).message } }, 'purging an orphaned upload failed; will retry');
          }
        }
      }
      const last = rows[rows.length - 1];
      if (!last || rows.length < ORPHAN_BATCH) return result;
      after = { createdAt: last.created_at, id: last.id };
    }
  }

  private async purgeOne(r: UnconfirmedRow, now: Date): Promise<boolean> {
    // Bytes first: if removing the row fails, the next sweep finds it again (deleting a missing object is no error).
    await this.files.discard({ storageKey: r.storage_key, previewStorageKey: r.preview_storage_key });
    return this.db.transaction().execute(async (tx) => {
      const removed = await this.store.deleteOrphan(tx, r.org_id, r.id);
      if (removed) {
        await this.audit.record(tx, {
          orgId: r.org_id,
          action: 'attachments.purge',
          resourceType: 'attachment',
          resourceId: r.id,
          patientId: r.patient_id,
          details: { threadId: r.thread_id, messageId: r.message_id, uploaderId: r.uploader_id, reason: 'orphaned', ageHours: Math.floor((now.getTime() - r.created_at.getTime()) / 3_600_000) },
        });
      }
      return removed;
    });
  }

  // ---- background work ----------------------------------------------------------------------------------------

  /**
   * Starts the background work of this node: malware scans of waiting attachments (now and every 30 s) and the
   * orphan sweep (now and every quarter of the orphan age, at most hourly). Several nodes may run both: scans are
   * claimed with a lease, and a purge removes a row only once.
   */
  startBackgroundJobs(log: Logger): void {
    this.log = log;
    this.stopped = false;
    if (this.scanner) {
      this.scanTimer = setInterval(() => this.kickScans(), SCAN_SWEEP_MS);
      this.scanTimer.unref();
      this.kickScans();
    }
    if (this.options.orphanAfterMs > 0) {
      const every = Math.min(3_600_000, Math.max(250, Math.floor(this.options.orphanAfterMs / 4)));
      this.purgeTimer = setInterval(() => this.kickPurge(), every);
      this.purgeTimer.unref();
      this.kickPurge();
    }
  }

  async stopBackgroundJobs(): Promise<void> {
    this.stopped = true;
    clearInterval(this.scanTimer);
    clearInterval(this.purgeTimer);
    await Promise.all([this.scanning, this.purging]);
  }

  private kickPurge(): void {
    if (this.stopped || this.purging) return;
    this.purging = this.purgeOrphans()
      .then((r) => {
        if (r.purged > 0 || r.failed > 0) this.log?.info({ purged: r.purged, failed: r.failed }, 'orphaned uploads purged');
      })
      .catch((err: Error) => this.log?.error({ err: { name: err.name, message: err.message } }, 'orphan sweep failed'))
      .finally(() => (this.purging = undefined));
  }

  // ---- malware scanning -------------------------------------------------------------------------------------

  private kickScans(): void {
    if (this.stopped || !this.scanner) return;
    if (this.scanning) {
      this.rescan = true;
      return;
    }
    this.scanning = this.scanAll()
      .catch((err: Error) => this.log?.error({ err: { name: err.name, message: err.message } }, 'attachment scan sweep failed'))
      .finally(() => {
        this.scanning = undefined;
        if (this.rescan) {
          this.rescan = false;
          this.kickScans();
        }
      });
  }

  private async scanAll(): Promise<void> {
    while (!this.stopped) {
      const row = await this.store.claimForScan();
      if (!row) return;
      await this.scanOne(row).catch((err: Error) => {
        // Stays pending_scan; retried when its claim expires.
        this.log?.warn({ attachmentId: row.id, err: { name: err.name, message: err.message } }, 'attachment scan failed; will retry');
      });
    }
  }

  private async scanOne(row: AttachmentRow): Promise<void> {
    if (!this.scanner || !row.storage_key) return;
    const result = await this.scanner.scan(await this.decrypted(row, row.storage_key, 'content'));
    const status = result.clean ? 'ready' : 'rejected';
    const changed = await this.db.transaction().execute(async (tx) => {
      const ok = await this.store.finishScan(tx, row.id, status);
      if (ok) {
        await this.audit.record(tx, {
          orgId: row.org_id,
          action: 'attachments.scan',
          resourceType: 'attachment',
          resourceId: row.id,
          patientId: row.patient_id,
          outcome: result.clean ? 'success' : 'failure',
          details: { threadId: row.thread_id, messageId: row.message_id, result: result.clean ? 'clean' : 'infected' },
        });
      }
      return ok;
    });
    if (changed && !result.clean) {
      this.log?.warn({ attachmentId: row.id, signature: result.signature }, 'malware found in an attachment; its bytes were deleted');
      await this.files.discard({ storageKey: row.storage_key, previewStorageKey: row.preview_storage_key });
    }
  }
}
