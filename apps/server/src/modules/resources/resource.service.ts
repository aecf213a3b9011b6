import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Message, Resource, ResourceCreate, ResourceShare, ResourceUpdate } from '@haven/api';
import type { Static } from 'typebox';
import type { Db, Tx } from '../../platform/db/database.js';
import { aad } from '../../platform/crypto/aead.js';
import { hmac, safeEqual } from '../../platform/crypto/hash.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { FileSource, FileVariant, IncomingFile, SecureFiles } from '../../platform/files/secure-files.js';
import type { RequestContext } from '../../platform/http/context.js';
import { decodeTimeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { AppError, notFound } from '../../platform/http/errors.js';
import type { OpenedFile } from '../../platform/http/send-file.js';
import type { AttachmentService } from '../attachments/attachment.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { MessageService } from '../messages/message.service.js';
import { can, type Action, type OrgPolicySettings } from '../policy/policy.js';
import type { ThreadService } from '../threads/thread.service.js';
import { cleanLine, cleanText, normalizeTags, normalizeUrl, searchText, searchWords } from './resource.fields.js';
import type { ResourceRow, ResourceStore } from './resource.store.js';

/** Library rules do not depend on the organization's patient-visibility setting. */
const NO_SETTINGS: OrgPolicySettings = { staffSeeAllPatients: false };

/** A file resource's stored objects are bound to the resource and to the upload (a replaced file cannot come back). */
const fileBinding = (r: { org_id: string; id: string }, fileId: string, variant: FileVariant): string => aad('resource', r.org_id, r.id, fileId, variant);

/**
 * The resource library: an organization's shareable practice materials. Rules, authorization (policy actions
 * resources.*) and audit live here; files go through SecureFiles like attachments; sharing composes the thread,
 * attachment and message services, so a share is exactly a message its sender could have written by hand.
 */
export class ResourceService {
  constructor(
    private readonly db: Db,
    private readonly store: ResourceStore,
    private readonly threads: ThreadService,
    private readonly messages: MessageService,
    private readonly attachments: AttachmentService,
    private readonly keyring: Keyring,
    private readonly audit: AuditService,
    private readonly files: SecureFiles,
  ) {}

  /** Role-level capability, decided before any id is looked at: patients and compliance get 403 for the library. */
  private requireRole(ctx: RequestContext, action: Action): void {
    if (!can(ctx.actor, action, { orgId: ctx.actor.orgId }, NO_SETTINGS)) throw new AppError('forbidden', 'Your role does not use the resource library');
  }

  /** A resource of the caller's organization that is in the library, or 404 (other organizations', archived, made up). */
  private async load(ctx: RequestContext, id: string, lockIn?: Tx): Promise<ResourceRow> {
    const row = await this.store.byId(ctx.actor.orgId, id.toLowerCase(), lockIn, lockIn !== undefined);
    if (!row || !can(ctx.actor, 'resources.read', { orgId: row.org_id }, NO_SETTINGS)) throw notFound('resource');
    return row;
  }

  private requireManage(ctx: RequestContext, row: ResourceRow): void {
    if (!can(ctx.actor, 'resources.manage', { orgId: row.org_id, createdBy: row.created_by }, NO_SETTINGS)) {
      throw new AppError('forbidden', 'Only the person who added a resource, or an admin, can change it');
    }
  }

  async create(ctx: RequestContext, input: Static<typeof ResourceCreate>): Promise<Resource> {
    this.requireRole(ctx, 'resources.create');
    const title = cleanLine(input.title);
    if (!title) throw new AppError('validation_failed', 'The title is empty', { errors: [{ path: '/title', message: 'empty' }] });
    let url: string | null = null;
    if (input.kind === 'link') {
      if (input.url === undefined) throw new AppError('validation_failed', 'A link resource needs a url', { errors: [{ path: '/url', message: 'required' }] });
      url = normalizeUrl(input.url);
    } else if (input.url !== undefined) {
      throw new AppError('validation_failed', 'A file resource has no url; upload its bytes with resources.upload', { errors: [{ path: '/url', message: 'not allowed for kind file' }] });
    }
    const description = cleanText(input.description ?? '');
    const tags = normalizeTags(input.tags ?? []);
    const id = randomUUID();
    const at = new Date();
    await this.db.transaction().execute(async (tx) => {
      await this.store.insert(tx, { id, orgId: ctx.actor.orgId, kind: input.kind, title, description, tags, searchText: searchText({ title, description, tags }), url, createdBy: ctx.actor.userId, at });
      await this.audit.recordFor(tx, ctx, { action: 'resources.create', resourceType: 'resource', resourceId: id, details: { kind: input.kind } });
    });
    return this.present((await this.store.byId(ctx.actor.orgId, id))!);
  }

  async list(ctx: RequestContext, q: { q?: string; tag?: string[]; kind?: 'file' | 'link'; limit?: number; cursor?: string }): Promise<{ items: Resource[]; nextCursor: string | null }> {
    this.requireRole(ctx, 'resources.read');
    const limit = q.limit ?? 50;
    let after: { micros: string; id: string } | undefined;
    if (q.cursor) {
      const { micros, id } = decodeTimeCursor(q.cursor);
      after = { micros: micros!, id: id! };
    }
    const rows = await this.store.list({ orgId: ctx.actor.orgId, words: searchWords(q.q), tags: normalizeTags(q.tag ?? []), ...(q.kind ? { kind: q.kind } : {}), ...(after ? { after } : {}), limit });
    // The search words are not written to the audit trail (only that a search ran and how much it returned).
    await this.audit.recordFor(this.db, ctx, { action: 'resources.list', resourceType: 'resource', details: { returned: rows.length, searched: Boolean(q.q), tags: q.tag?.length ?? 0 } });
    const last = rows[rows.length - 1];
    return { items: rows.map((r) => this.present(r)), nextCursor: rows.length === limit && last ? encodeCursor(`${last.created_us}_${last.id}`) : null };
  }

  async get(ctx: RequestContext, id: string): Promise<Resource> {
    this.requireRole(ctx, 'resources.read');
    const row = await this.load(ctx, id);
    await this.audit.recordFor(this.db, ctx, { action: 'resources.get', resourceType: 'resource', resourceId: row.id });
    return this.present(row);
  }

  async update(ctx: RequestContext, id: string, patch: Static<typeof ResourceUpdate>): Promise<Resource> {
    this.requireRole(ctx, 'resources.read');
    const updated = await this.db.transaction().execute(async (tx) => {
      const row = await this.load(ctx, id, tx);
      this.requireManage(ctx, row);
      const title = patch.title === undefined ? row.title : cleanLine(patch.title);
      if (!title) throw new AppError('validation_failed', 'The title is empty', { errors: [{ path: '/title', message: 'empty' }] });
      if (patch.url !== undefined && row.kind !== 'link') throw new AppError('validation_failed', 'A file resource has no url', { errors: [{ path: '/url', message: 'not allowed for kind file' }] });
      const url = patch.url === undefined ? row.url : normalizeUrl(patch.url);
      const description = patch.description === undefined ? row.description : cleanText(patch.description);
      const tags = patch.tags === undefined ? row.tags : normalizeTags(patch.tags);
      await this.store.update(tx, row.org_id, row.id, { title, description, tags, url, searchText: searchText({ title, description, tags }) }, ctx.actor.userId, new Date());
      await this.audit.recordFor(tx, ctx, { action: 'resources.update', resourceType: 'resource', resourceId: row.id, details: { fields: Object.keys(patch).sort().join(',') } });
      return (await this.store.byId(row.org_id, row.id, tx))!;
    });
    return this.present(updated);
  }

  /** Takes a resource out of the library. Shares made before are copies inside messages and do not change. */
  async archive(ctx: RequestContext, id: string): Promise<{ ok: true }> {
    this.requireRole(ctx, 'resources.read');
    await this.db.transaction().execute(async (tx) => {
      const row = await this.load(ctx, id, tx);
      this.requireManage(ctx, row);
      await this.store.archive(tx, row.org_id, row.id, ctx.actor.userId, new Date());
      await this.audit.recordFor(tx, ctx, { action: 'resources.archive', resourceType: 'resource', resourceId: row.id, details: { kind: row.kind } });
    });
    return { ok: true };
  }

  /**
   * Stores (or replaces) a file resource's bytes: checked, cleaned and encrypted exactly like an attachment, under the
   * organization's data key. The old file's objects are deleted once the new one is in place.
   */
  async uploadFile(ctx: RequestContext, id: string, input: IncomingFile): Promise<Resource> {
    this.requireRole(ctx, 'resources.read');
    const row = await this.load(ctx, id);
    this.requireManage(ctx, row);
    if (row.kind !== 'file') throw new AppError('conflict', 'A link resource has no file');
    const keyId = await this.keyring.orgDataKeyId(row.org_id, 'organization');
    const fileId = randomUUID();
    const sealed = await this.files.ingest(input, { key: await this.keyring.dataKey(keyId), prefix: row.org_id, binding: (v) => fileBinding(row, fileId, v), hashLabel: 'haven-resource' });
    let previous: ResourceRow;
    let updated: ResourceRow;
    try {
      [previous, updated] = await this.db.transaction().execute(async (tx) => {
        const current = await this.load(ctx, id, tx);
        await this.store.setFile(tx, row.org_id, row.id, { keyId, fileId, ...sealed }, ctx.actor.userId, new Date());
        await this.audit.recordFor(tx, ctx, { action: 'resources.upload', resourceType: 'resource', resourceId: row.id, details: { replaced: current.storage_key !== null } });
        return [current, (await this.store.byId(row.org_id, row.id, tx))!] as const;
      });
    } catch (err) {
      await this.files.discard(sealed).catch(() => undefined);
      throw err;
    }
    await this.files.discard({ storageKey: previous.storage_key, previewStorageKey: previous.preview_storage_key }).catch(() => undefined);
    return this.present(updated);
  }

  async download(ctx: RequestContext, id: string): Promise<OpenedFile> {
    this.requireRole(ctx, 'resources.read');
    const row = await this.load(ctx, id);
    if (!row.storage_key) throw notFound('file');
    await this.audit.recordFor(this.db, ctx, { action: 'resources.download', resourceType: 'resource', resourceId: row.id });
    return { stream: await this.open(row, 'content'), contentType: row.content_type!, fileName: row.file_name!, size: Number(row.size) };
  }

  private async open(row: ResourceRow, variant: FileVariant): Promise<Readable> {
    const objectKey = variant === 'content' ? row.storage_key : row.preview_storage_key;
    if (!objectKey || !row.key_id || !row.file_id) throw notFound('file');
    return this.files.open(objectKey, await this.keyring.dataKey(row.key_id), fileBinding(row, row.file_id, variant));
  }

  /**
   * Shares a resource into a thread in one call: a message from the caller whose text is `text` (or the resource's
   * title), carrying a copy of the file as an ordinary attachment, or the link. The client's message id makes it
   * idempotent: the same request again answers the message made the first time (replayed), never a second one; the
   * same id with another resource, text or thread is 409. An attempt cut off midway is completed by its retry.
   */
  async share(ctx: RequestContext, threadId: string, resourceId: string, input: Static<typeof ResourceShare>): Promise<{ message: Message; replayed: boolean }> {
    this.requireRole(ctx, 'resources.share');
    const { thread } = await this.threads.require(ctx, threadId, 'messages.send');
    const messageId = input.id.toLowerCase();
    // What this request is, under the thread's key: a retry matches, another resource, text or thread does not.
    // (An internal note's share says so: the same id shared once as a note and once to the patient does not match.)
    const requestHash = hmac(await this.keyring.dataKey(thread.key_id), `haven-share|${thread.id}|${resourceId.toLowerCase()}|${input.text ?? ''}${input.internal ? '|internal' : ''}`);
    const matches = (s: { thread_id: string; shared_by: string; request_hash: Buffer }): boolean =>
      s.thread_id === thread.id && s.shared_by === ctx.actor.userId && safeEqual(s.request_hash, requestHash);

    const earlier = await this.store.shareOf(thread.org_id, messageId);
    if (earlier && !matches(earlier)) throw new AppError('idempotency_conflict', 'A different share or message was already sent with this id');
    const [sent] = await this.messages.heads(thread.org_id, [messageId]);
    if (sent && earlier) {
      // A retry of a completed share: the message made the first time (even if the resource changed or left since).
      const message = await this.messages.get(ctx, thread.id, messageId);
      await this.recordShare(ctx, thread.patient_id, resourceId, thread.id, messageId, true);
      return { message, replayed: true };
    }
    if (sent) throw new AppError('idempotency_conflict', 'A message was already sent with this id');

    const resource = await this.load(ctx, resourceId);
    if (resource.kind === 'file' && !resource.storage_key) throw new AppError('conflict', 'This resource has no file yet');
    if (!earlier && !(await this.store.claimShare({ messageId, orgId: thread.org_id, threadId: thread.id, sharedBy: ctx.actor.userId, requestHash }))) {
      // Claimed meanwhile: by this very request sent twice at once (go on, the steps below are idempotent), or not.
      const other = await this.store.shareOf(thread.org_id, messageId);
      if (!other || !matches(other)) throw new AppError('idempotency_conflict', 'A different share or message was already sent with this id');
    }
    // An attempt cut off before its message is completed here by its retry.
    if (resource.kind === 'file') await this.attachments.attachCopy(ctx, thread.id, messageId, this.source(resource), 'resources.share');
    const link = resource.kind === 'link' ? { url: resource.url!, title: resource.title } : undefined;
    const result = await this.messages.send(ctx, thread.id, { id: messageId, body: input.text ?? resource.title, ...(input.internal ? { internal: true } : {}) }, link ? { link } : {});
    await this.recordShare(ctx, thread.patient_id, resource.id, thread.id, messageId, result.replayed);
    return result;
  }

  private recordShare(ctx: RequestContext, patientId: string | null, resourceId: string, threadId: string, messageId: string, replayed: boolean): Promise<void> {
    return this.audit.recordFor(this.db, ctx, { action: 'resources.share', resourceType: 'resource', resourceId: resourceId.toLowerCase(), patientId, details: { threadId, messageId, replayed } });
  }

  /** A file resource as the source of an attachment copy. */
  private source(row: ResourceRow): FileSource {
    return {
      fileName: row.file_name!,
      contentType: row.content_type!,
      size: Number(row.size),
      hasPreview: row.preview_storage_key !== null,
      open: (variant) => this.open(row, variant),
    };
  }

  private present(r: ResourceRow): Resource {
    return {
      id: r.id,
      kind: r.kind,
      title: r.title,
      description: r.description,
      tags: r.tags,
      url: r.url,
      file: r.storage_key ? { fileName: r.file_name!, contentType: r.content_type!, size: Number(r.size), hasPreview: r.preview_storage_key !== null } : null,
      createdBy: r.created_by,
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
    };
  }
}
