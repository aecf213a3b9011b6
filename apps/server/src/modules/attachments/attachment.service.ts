import { createHmac, randomUUID, type Hmac } from 'node:crypto';
import { pipeline, Readable, Transform } from 'node:stream';
import type { Logger } from 'pino';
import type { Attachment } from '@haven/api';
import type { Db, Queryable } from '../../platform/db/database.js';
import { aad, IntegrityError } from '../../platform/crypto/aead.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { decryptStream, encryptStream } from '../../platform/crypto/stream-aead.js';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError, notFound } from '../../platform/http/errors.js';
import type { MalwareScanner } from '../../platform/scan/malware-scanner.js';
import { ObjectNotFoundError, type ObjectStorage } from '../../platform/storage/object-storage.js';
import type { AuditService } from '../audit/audit.service.js';
import { isStaffRole } from '../policy/policy.js';
import type { ThreadRecord, ThreadService } from '../threads/thread.service.js';
import type { AttachmentRow, AttachmentStore } from './attachment.store.js';
import { decodeFileNameHeader, neutralizeFileName } from './file-name.js';
import { processImage } from './image.js';
import { plainTextGuard, sniff, SNIFF_BYTES } from './sniff.js';
import { collect, limitedBody, peek, primed } from './streams.js';

export const MAX_ATTACHMENTS_PER_MESSAGE = 10;
const SCAN_SWEEP_MS = 30_000;

export interface AttachmentSettings {
  maxBytes: number;
  /** Images are decoded in memory to strip their metadata: they have their own, smaller limit. */
  imageMaxBytes: number;
  allowedTypes: readonly string[];
}

export interface UploadInput {
  /** The request body, unread. */
  body: Readable;
  contentType: string | undefined;
  contentLength: number | undefined;
  /** The percent-encoded x-haven-filename header. */
  fileName: string | undefined;
}

export interface OpenedFile {
  stream: Readable;
  contentType: string;
  fileName: string;
  /** Plaintext size when known (the attachment itself; previews are streamed without one). */
  size: number | undefined;
}

type AttachmentMeta = Attachment;

const contentBinding = (orgId: string, id: string, variant: 'content' | 'preview'): string => aad('attachment', orgId, id, variant);
const fileNameAad = (orgId: string, id: string): string => aad('attachment', orgId, id, 'file_name');

/**
 * Attachments: rules, authorization and audit. An attachment belongs to the uploader, the thread and its patient; it
 * is linked to a message by the message's client-generated id and becomes part of it when that message (same thread,
 * same sender) exists. Bytes are type-checked, cleaned (images), encrypted and stored while they stream in.
 */
export class AttachmentService {
  private readonly allowed: ReadonlySet<string>;
  private scanTimer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescan = false;
  private stopped = false;
  private log: Logger | undefined;

  constructor(
    private readonly db: Db,
    private readonly store: AttachmentStore,
    private readonly threads: ThreadService,
    private readonly keyring: Keyring,
    private readonly audit: AuditService,
    private readonly storage: ObjectStorage,
    private readonly scanner: MalwareScanner | null,
    private readonly settings: AttachmentSettings,
  ) {
    this.allowed = new Set(settings.allowedTypes);
  }

  /** Refuses an upload for a message id that is someone else's, in another thread, or retracted. */
  private async checkMessage(tx: Queryable, ctx: RequestContext, thread: ThreadRecord, messageId: string): Promise<void> {
    const head = await this.store.messageHead(tx, messageId);
    if (!head) return;
    if (head.org_id !== thread.org_id || head.thread_id !== thread.id || head.sender_id !== ctx.actor.userId) {
      throw new AppError('conflict', 'This message id belongs to another message');
    }
    if (head.retracted_at) throw new AppError('conflict', 'The message was retracted');
  }

  async upload(ctx: RequestContext, threadId: string, messageIdRaw: string, input: UploadInput): Promise<AttachmentMeta> {
    const { thread } = await this.threads.require(ctx, threadId, 'messages.send');
    const messageId = messageIdRaw.toLowerCase();
    await this.checkMessage(this.db, ctx, thread, messageId);
    if ((await this.store.countFor(this.db, thread.id, messageId, ctx.actor.userId)) >= MAX_ATTACHMENTS_PER_MESSAGE) {
      throw new AppError('attachment_limit_reached', `A message has at most ${MAX_ATTACHMENTS_PER_MESSAGE} attachments`);
    }
    const rawName = decodeFileNameHeader(input.fileName);
    if (rawName === undefined) {
      throw new AppError('validation_failed', 'x-haven-filename must be percent-encoded UTF-8', { errors: [{ path: '/headers/x-haven-filename', message: 'invalid encoding' }] });
    }
    if (input.contentLength !== undefined && input.contentLength > this.settings.maxBytes) {
      throw new AppError('payload_too_large', `Attachments are limited to ${this.settings.maxBytes} bytes`);
    }

    const source = limitedBody(input.body, this.settings.maxBytes);
    const { head, stream } = await peek(source, SNIFF_BYTES);
    const type = await sniff(head, input.contentType, this.allowed).catch((err: unknown) => {
      stream.destroy();
      throw err;
    });

    const id = randomUUID();
    const orgId = thread.org_id;
    const key = await this.keyring.dataKey(thread.key_id);
    const stored: string[] = [];
    try {
      let contentType = type.contentType;
      let size: number;
      let hash: Buffer;
      let previewKey: string | null = null;
      const contentKey = `${orgId}/${randomUUID()}`;
      if (type.kind === 'image') {
        const tooLarge = () => new AppError('payload_too_large', `Images are limited to ${this.settings.imageMaxBytes} bytes`);
        const image = await processImage(await collect(stream, this.settings.imageMaxBytes, tooLarge), contentType);
        contentType = image.contentType;
        size = image.content.length;
        hash = contentHmac(key).update(image.content).digest();
        stored.push(contentKey);
        await this.storage.put(contentKey, Readable.from([image.content]).pipe(encryptStream(key, contentBinding(orgId, id, 'content'))));
        previewKey = `${orgId}/${randomUUID()}`;
        stored.push(previewKey);
        await this.storage.put(previewKey, Readable.from([image.preview]).pipe(encryptStream(key, contentBinding(orgId, id, 'preview'))));
      } else {
        const hmac = contentHmac(key);
        let bytes = 0;
        const measure = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            bytes += chunk.length;
            hmac.update(chunk);
            cb(null, chunk);
          },
        });
        let failure: Error | undefined;
        const stages = type.kind === 'text' ? [plainTextGuard(), measure] : [measure];
        const encrypt = encryptStream(key, contentBinding(orgId, id, 'content'));
        pipeline([stream, ...stages, encrypt], (err) => {
          if (err) failure ??= err;
        });
        stored.push(contentKey);
        await this.storage.put(contentKey, encrypt).catch((err: unknown) => {
          throw failure ?? err;
        });
        if (failure) throw failure;
        size = bytes;
        hash = hmac.digest();
      }

      const fileName = neutralizeFileName(rawName, contentType);
      const status = this.scanner ? 'pending_scan' : 'ready';
      const createdAt = new Date();
      await this.db.transaction().execute(async (tx) => {
        await this.store.lockMessage(tx, messageId);
        await this.checkMessage(tx, ctx, thread, messageId);
        if ((await this.store.countFor(tx, thread.id, messageId, ctx.actor.userId)) >= MAX_ATTACHMENTS_PER_MESSAGE) {
          throw new AppError('attachment_limit_reached', `A message has at most ${MAX_ATTACHMENTS_PER_MESSAGE} attachments`);
        }
        await this.store.insert(tx, {
          id,
          orgId,
          threadId: thread.id,
          messageId,
          patientId: thread.patient_id,
          uploaderId: ctx.actor.userId,
          keyId: thread.key_id,
          fileNameCt: await this.keyring.encrypt(thread.key_id, fileName, fileNameAad(orgId, id), tx),
          contentType,
          size,
          contentHash: hash,
          storageKey: contentKey,
          previewStorageKey: previewKey,
          status,
          createdAt,
        });
        await this.audit.recordFor(tx, ctx, { action: 'attachments.upload', resourceType: 'attachment', resourceId: id, patientId: thread.patient_id, details: { threadId: thread.id, messageId, status } });
      });
      if (this.scanner) this.kickScans();
      const linked = await this.store.messageHead(this.db, messageId);
      return {
        id,
        threadId: thread.id,
        messageId,
        uploaderId: ctx.actor.userId,
        fileName,
        contentType,
        size,
        contentHash: hash.toString('hex'),
        status,
        hasPreview: previewKey !== null,
        linked: linked !== undefined,
        createdAt: createdAt.toISOString(),
      };
    } catch (err) {
      stream.destroy();
      await Promise.all(stored.map((k) => this.storage.delete(k).catch(() => undefined)));
      throw err;
    }
  }

  /** Attachments of one message the caller may see (their own unlinked uploads included). */
  async list(ctx: RequestContext, threadId: string, messageId: string): Promise<{ items: AttachmentMeta[] }> {
    const { thread } = await this.threads.require(ctx, threadId, 'threads.read');
    const rows = await this.visibleRows(ctx, thread, [messageId.toLowerCase()]);
    await this.audit.recordFor(this.db, ctx, { action: 'attachments.list', resourceType: 'message', resourceId: messageId, patientId: thread.patient_id, details: { threadId: thread.id, returned: rows.length } });
    return { items: await this.present(rows) };
  }

  /**
   * For message listings: the attachments of these messages that the caller may see, by message id. Applies the
   * same rules as list (linked only, or the caller's own; none of a retracted message for patients). Not audited
   * on its own: the message listing that calls it records the read.
   */
  async forMessages(ctx: RequestContext, threadId: string, messageIds: string[]): Promise<Map<string, AttachmentMeta[]>> {
    const out = new Map<string, AttachmentMeta[]>();
    if (messageIds.length === 0) return out;
    const { thread } = await this.threads.require(ctx, threadId, 'threads.read');
    const rows = await this.visibleRows(ctx, thread, messageIds.map((m) => m.toLowerCase()));
    for (const a of await this.present(rows)) out.set(a.messageId, [...(out.get(a.messageId) ?? []), a]);
    return out;
  }

  /** Opens an attachment (or its preview) for download: authorization, quarantine, audit, then verified bytes. */
  async open(ctx: RequestContext, threadId: string, messageId: string, attachmentId: string, variant: 'content' | 'preview'): Promise<OpenedFile> {
    const { thread } = await this.threads.require(ctx, threadId, 'threads.read');
    const [row] = await this.visibleRows(ctx, thread, [messageId.toLowerCase()], attachmentId.toLowerCase());
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

  private async decrypted(row: Omit<AttachmentRow, 'linked'>, objectKey: string, variant: 'content' | 'preview'): Promise<Readable> {
    const key = await this.keyring.dataKey(row.key_id);
    let stored: Readable;
    try {
      stored = await this.storage.get(objectKey);
    } catch (err) {
      if (err instanceof ObjectNotFoundError) throw new IntegrityError('stored attachment is missing');
      throw err;
    }
    const plain = pipeline(stored, decryptStream(key, contentBinding(row.org_id, row.id, variant)), () => undefined);
    return primed(plain);
  }

  private visibleRows(ctx: RequestContext, thread: ThreadRecord, messageIds: string[], attachmentId?: string): Promise<AttachmentRow[]> {
    return this.store.visible({
      orgId: thread.org_id,
      threadId: thread.id,
      messageIds,
      viewerId: ctx.actor.userId,
      includeRetracted: isStaffRole(ctx.actor.role),
      ...(attachmentId ? { attachmentId } : {}),
    });
  }

  private present(rows: AttachmentRow[]): Promise<AttachmentMeta[]> {
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

  // ---- malware scanning -------------------------------------------------------------------------------------

  /** Scans waiting attachments now and every 30 s (uploads left waiting by a crash or a clamd outage included). */
  startBackgroundScans(log: Logger): void {
    this.log = log;
    if (!this.scanner) return;
    this.stopped = false;
    this.scanTimer = setInterval(() => this.kickScans(), SCAN_SWEEP_MS);
    this.scanTimer.unref();
    this.kickScans();
  }

  async stopBackgroundScans(): Promise<void> {
    this.stopped = true;
    clearInterval(this.scanTimer);
    await this.scanning;
  }

  private kickScans(): void {
    if (this.stopped) return;
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

  private async scanOne(row: Omit<AttachmentRow, 'linked'>): Promise<void> {
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
      await Promise.all([row.storage_key, row.preview_storage_key].filter((k): k is string => k !== null).map((k) => this.storage.delete(k)));
    }
  }
}

/** Keyed hash of an attachment's bytes under the record's data key (proves integrity, confirms no guessed file). */
function contentHmac(key: Buffer): Hmac {
  return createHmac('sha256', key).update('haven-attachment|');
}
