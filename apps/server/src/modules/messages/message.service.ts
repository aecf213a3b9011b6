import type { Static } from 'typebox';
import type { AttachmentSummary, Message, MessageCreate, MessageLink, MessageListQuery, MessageVersion, ReactionSummary, ReceiptUpdate } from '@haven/api';
import type { Db, Queryable } from '../../platform/db/database.js';
import { aad } from '../../platform/crypto/aead.js';
import { blindToken, tokenize } from '../../platform/crypto/blind-index.js';
import { hmac, safeEqual } from '../../platform/crypto/hash.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { RequestContext } from '../../platform/http/context.js';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { AppError, notFound } from '../../platform/http/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { OrganizationService } from '../organization/organization.service.js';
import { can, isStaffRole, seesInternalMessages } from '../policy/policy.js';
import type { ThreadRecord, ThreadService } from '../threads/thread.service.js';
import type { EventOutbox } from '../events/event.outbox.js';
import type { MentionService } from './mention.service.js';
import type { MessageStore, MessageWorkflowFacts } from './message.store.js';

type MessageRow = NonNullable<Awaited<ReturnType<MessageStore['one']>>>;

/** A message that was stored (committed), as side effects (notifications, from the event relay) need it. */
export interface MessageCreatedEvent {
  orgId: string;
  threadId: string;
  messageId: string;
  senderId: string;
  createdAt: Date;
  /** An internal note or internal-thread message: never notifies a patient. */
  internal?: boolean;
}
type Out = Static<typeof Message>;

export const bodyAad = (orgId: string, threadId: string, messageId: string, version: number): string =>
  aad('message', orgId, threadId, messageId, version);
const linkAad = (orgId: string, threadId: string, messageId: string): string => aad('message', orgId, threadId, messageId, 'link');

/** A message as other modules may know it: where it is, who sent it, whether it was retracted or is internal. No content. */
export interface MessageHead {
  id: string;
  threadId: string;
  senderId: string;
  retracted: boolean;
  /** An internal note (or internal-thread message): patients never see it, nor anything attached to it. */
  internal: boolean;
}

/**
 * What the message service needs from the attachments module: the attachments of a page of messages. An interface
 * (implemented by AttachmentService, composed in app.ts) so that neither module imports the other's class.
 */
export interface MessageAttachments {
  /**
   * The attachments each of these messages carries, as the caller may see them, in one query for the whole page.
   * The thread was authorized (threads.read) by the caller; the messages are the ones it is about to return.
   */
  forMessages(ctx: RequestContext, thread: ThreadRecord, messages: MessageHead[]): Promise<Map<string, AttachmentSummary[]>>;
  /** The same for live events: messages of any threads, as staff see them (patients never receive retracted ones). */
  forDelivery(messages: (MessageHead & { orgId: string })[]): Promise<Map<string, AttachmentSummary[]>>;
}

/**
 * What the care workflow does around a message in a patient thread (the workflow module, composed in app.ts):
 * before it is stored, the facts its statement writes (due time, crisis match, off-hours); after commit, the
 * automatic replies and pages. Neither step can stop a patient's message: detection never blocks.
 */
export interface MessageWorkflow {
  /** `thread.patient_language`: the patient's language when the caller read it with the thread (else it is looked up). */
  prepare(thread: ThreadRecord & { patient_language?: string | null }, sender: { userId: string; role: string }, body: string): Promise<MessageWorkflowFacts | null>;
  committed(m: { thread: ThreadRecord; messageId: string; senderRole: string; facts: MessageWorkflowFacts }): void;
}

/**
 * What the message service needs from the reactions module: the reactions of a page of messages, in one query.
 * An interface (implemented by ReactionService, composed in app.ts), like MessageAttachments. The caller has
 * authorized the messages; whoever may see a message sees its reactions.
 */
export interface MessageReactions {
  forMessages(orgId: string, messageIds: string[]): Promise<Map<string, ReactionSummary[]>>;
}

/** Extras of a message that only other services set (not the public send body). */
export interface SendExtras {
  /** A link shared from the resource library. */
  link?: MessageLink;
}

function presentRow(r: MessageRow, body: string | null, attachments: AttachmentSummary[], link: MessageLink | null, reactions: ReactionSummary[]): Out {
  return {
    id: r.id,
    threadId: r.thread_id,
    senderId: r.sender_id,
    senderRole: r.sender_role,
    body,
    createdAt: r.created_at.toISOString(),
    edited: r.current_version > 1,
    editedAt: r.edited_at ? r.edited_at.toISOString() : null,
    version: r.current_version,
    retracted: r.retracted_at !== null,
    retractedAt: r.retracted_at ? r.retracted_at.toISOString() : null,
    contentHash: r.content_hash.toString('hex'),
    receipts: r.receipts.map((x) => ({ userId: x.user_id, deliveredAt: new Date(x.delivered_at).toISOString(), readAt: x.read_at ? new Date(x.read_at).toISOString() : null })),
    attachments,
    link,
    reactions,
    internal: r.visibility === 'internal',
    mentions: r.mentions,
  };
}

const headOf = (r: Pick<MessageRow, 'id' | 'thread_id' | 'sender_id' | 'retracted_at' | 'visibility'>): MessageHead => ({
  id: r.id,
  threadId: r.thread_id,
  senderId: r.sender_id,
  retracted: r.retracted_at !== null,
  internal: r.visibility === 'internal',
});

export class MessageService {

  constructor(
    private readonly db: Db,
    private readonly store: MessageStore,
    private readonly threads: ThreadService,
    private readonly orgs: OrganizationService,
    private readonly keyring: Keyring,
    private readonly audit: AuditService,
    private readonly outbox: EventOutbox,
    private readonly attachments: MessageAttachments,
    private readonly reactions: MessageReactions,
    private readonly mentions: MentionService,
  ) {}

  private workflow: MessageWorkflow | undefined;

  useWorkflow(workflow: MessageWorkflow): void {
    this.workflow = workflow;
  }


  /** Of these messages, those not retracted and not yet read by the user (for notifications; system use only). */
  unreadBy(orgId: string, userId: string, messageIds: string[]): Promise<string[]> {
    return this.store.unreadBy(orgId, userId, messageIds);
  }

  /** Whether the patient wrote in this thread after `since` (for follow-up reminders; system use only, no content). */
  patientAnsweredSince(threadId: string, since: Date, tx: Queryable = this.db): Promise<boolean> {
    return this.store.anyFromRoleSince(tx, threadId, 'patient', since);
  }

  /** Keyed hash of a message text: proves integrity without letting anyone confirm a guessed text. */
  private async contentHash(keyId: string, body: string): Promise<Buffer> {
    return hmac(await this.keyring.dataKey(keyId), `haven-content|${body}`);
  }

  /** Whether a message with this id exists anywhere (ids are client-generated and global): lets a caller refuse a reused id before any side effect. */
  async idTaken(messageId: string): Promise<boolean> {
    return (await this.store.head(messageId.toLowerCase())) !== undefined;
  }

  async searchTokens(orgId: string, body: string): Promise<Buffer[]> {
    const key = await this.keyring.blindIndexKey(orgId);
    return tokenize(body).map((w) => blindToken(key, w));
  }

  /**
   * Sends a message. The client's id makes it idempotent: the same id with the same text in the same thread
   * returns the stored message (`replayed`), a different text or thread under that id is a conflict.
   * The answer comes only after the transaction (message, version, index, audit) has committed.
   */
  async send(ctx: RequestContext, threadId: string, input: Static<typeof MessageCreate>, extras: SendExtras = {}): Promise<{ message: Out; replayed: boolean }> {
    const { thread, resource } = await this.threads.require(ctx, threadId, 'messages.send');
    // Every message of an internal thread is internal; in a patient thread, a note is one the patient never sees.
    const internal = thread.kind === 'internal' || input.internal === true;
    if (input.internal && !can(ctx.actor, 'messages.note', resource, await this.orgs.settings(ctx.actor.orgId))) {
      throw new AppError('forbidden', 'Only providers and staff write internal notes');
    }
    const id = input.id.toLowerCase();
    const hash = await this.contentHash(thread.key_id, input.body);
    let mentions: string[];
    try {
      mentions = await this.mentions.check(ctx, thread, input.mentions ?? [], internal);
    } catch (err) {
      // A retry of a stored message gets it back, even if someone it mentioned has since left the thread.
      const again = await this.replayed(ctx, thread, id, hash, internal, [...new Set((input.mentions ?? []).map((m) => m.toLowerCase()))].sort());
      if (again) return { message: again, replayed: true };
      throw err;
    }
    // Archived patient or messaging not enabled (cohorts): refused, unless this is a retry of a message already stored.
    try {
      await this.threads.assertMayWrite(ctx, thread);
    } catch (err) {
      const again = await this.replayed(ctx, thread, id, hash, internal, mentions);
      if (again) return { message: again, replayed: true };
      throw err;
    }
    const tokens = await this.searchTokens(thread.org_id, input.body);
    const at = new Date();
    const bodyCt = await this.keyring.encrypt(thread.key_id, input.body, bodyAad(thread.org_id, thread.id, id, 1));
    const link = extras.link ? { url: extras.link.url, title: extras.link.title } : null;
    const linkCt = link ? await this.keyring.encrypt(thread.key_id, JSON.stringify(link), linkAad(thread.org_id, thread.id, id)) : null;
    const facts = thread.kind === 'patient' && this.workflow ? await this.workflow.prepare(thread, ctx.actor, input.body) : null;
    // The sender's uploads for this id become the message's attachments: read them while the message is written.
    const [seq, attachments] = await Promise.all([
      this.store.insert({
        id,
        orgId: thread.org_id,
        threadId: thread.id,
        senderId: ctx.actor.userId,
        senderRole: ctx.actor.role,
        createdAt: at,
        bodyCt,
        contentHash: hash,
        tokens,
        linkCt,
        workflow: facts,
        visibility: internal ? 'internal' : 'patient',
        mentions,
        audit: this.audit.eventFor(ctx, {
          action: 'messages.create',
          resourceType: 'message',
          resourceId: id,
          patientId: thread.patient_id,
          details: { threadId: thread.id, ...(internal ? { internal: true } : {}), ...(mentions.length > 0 ? { mentions: mentions.length } : {}) },
        }),
      }),
      this.attachments.forMessages(ctx, thread, [{ id, threadId: thread.id, senderId: ctx.actor.userId, retracted: false, internal }]),
    ]);
    if (seq === null) {
      // The id exists: an idempotent retry (same sender, thread, text, visibility and mentions) gets the stored message.
      const again = await this.replayed(ctx, thread, id, hash, internal, mentions);
      if (again) return { message: again, replayed: true };
      throw new AppError('idempotency_conflict');
    }
    this.outbox.committed();
    if (facts) this.workflow?.committed({ thread, messageId: id, senderRole: ctx.actor.role, facts });
    return {
      replayed: false,
      message: {
        id,
        threadId: thread.id,
        senderId: ctx.actor.userId,
        senderRole: ctx.actor.role,
        body: input.body,
        createdAt: at.toISOString(),
        edited: false,
        editedAt: null,
        version: 1,
        retracted: false,
        retractedAt: null,
        contentHash: hash.toString('hex'),
        receipts: [],
        attachments: attachments.get(id) ?? [],
        link,
        reactions: [],
        internal,
        mentions,
      },
    };
  }

  /**
   * An automatic message into a patient thread (off-hours reply, crisis guidance) from the organization's system
   * sender. Idempotent by id (derive it from what it answers); it does not move the thread's workflow.
   * Resolves true when stored now, false when a message with this id already existed.
   */
  async sendAsSystem(thread: ThreadRecord, id: string, body: string, systemUserId: string): Promise<boolean> {
    const at = new Date();
    const seq = await this.store.insert({
      id,
      orgId: thread.org_id,
      threadId: thread.id,
      senderId: systemUserId,
      senderRole: 'system',
      createdAt: at,
      bodyCt: await this.keyring.encrypt(thread.key_id, body, bodyAad(thread.org_id, thread.id, id, 1)),
      contentHash: await this.contentHash(thread.key_id, body),
      tokens: await this.searchTokens(thread.org_id, body),
      audit: this.audit.systemEventFor({ orgId: thread.org_id, actorId: systemUserId, actorRole: 'system', action: 'messages.create', resourceType: 'message', resourceId: id, patientId: thread.patient_id, details: { threadId: thread.id, automatic: true } }),
    });
    if (seq !== null) this.outbox.committed();
    return seq !== null;
  }

  /**
   * The heads of messages with these ids in an organization (for modules that attach things to message ids). Pass
   * the caller's transaction when it holds one: waiting for a second pooled connection while holding the first can
   * exhaust the pool under concurrency. `lockShared` (inside that transaction) keeps the messages from being retracted
   * until it commits.
   */
  async heads(orgId: string, ids: string[], tx?: Queryable, lockShared = false): Promise<MessageHead[]> {
    const rows = await this.store.heads(orgId, [...new Set(ids.map((i) => i.toLowerCase()))], tx, lockShared);
    return rows.map(headOf);
  }

  private async replayed(ctx: RequestContext, thread: ThreadRecord, id: string, hash: Buffer, internal: boolean, mentions: string[]): Promise<Out | undefined> {
    const existing = await this.store.head(id);
    if (!existing) return undefined;
    const same =
      existing.org_id === thread.org_id &&
      existing.thread_id === thread.id &&
      existing.sender_id === ctx.actor.userId &&
      safeEqual(existing.content_hash, hash) &&
      (existing.visibility === 'internal') === internal;
    if (!same) throw new AppError('idempotency_conflict');
    const stored = await this.loadOne(ctx, thread, id);
    if (stored.mentions.join(',') !== [...mentions].sort().join(',')) throw new AppError('idempotency_conflict', 'This message id was sent with other mentions');
    return stored;
  }

  private async loadOne(ctx: RequestContext, thread: ThreadRecord, id: string): Promise<Out> {
    const row = await this.store.one(thread.id, id);
    if (!row || (row.visibility === 'internal' && !seesInternalMessages(ctx.actor.role))) throw notFound('message');
    const [out] = await this.present(ctx, thread, [row]);
    return out!;
  }

  private async present(ctx: RequestContext, thread: ThreadRecord, rows: MessageRow[]): Promise<Out[]> {
    const staff = isStaffRole(ctx.actor.role);
    // Every read path filters internal messages for patients in SQL already; this is the presenter's own lock.
    if (!seesInternalMessages(ctx.actor.role)) rows = rows.filter((r) => r.visibility !== 'internal');
    // One query each for the whole page, side by side.
    const [attachments, reactions] = await Promise.all([
      this.attachments.forMessages(ctx, thread, rows.map(headOf)),
      this.reactions.forMessages(thread.org_id, rows.map((r) => r.id)),
    ]);
    return Promise.all(
      rows.map(async (r) =>
        presentRow(r, r.retracted_at && !staff ? null : await this.decryptBody(thread.key_id, r), attachments.get(r.id) ?? [], await this.decryptLink(thread.key_id, r), reactions.get(r.id) ?? []),
      ),
    );
  }

  private decryptBody(keyId: string, r: MessageRow): Promise<string> {
    return this.keyring.decrypt(keyId, r.body_ct, bodyAad(r.org_id, r.thread_id, r.id, r.current_version));
  }

  private async decryptLink(keyId: string, r: MessageRow): Promise<MessageLink | null> {
    return r.link_ct ? (JSON.parse(await this.keyring.decrypt(keyId, r.link_ct, linkAad(r.org_id, r.thread_id, r.id))) as MessageLink) : null;
  }

  /**
   * Messages for live events, decrypted once and presented for both kinds of viewer: staff see everything,
   * a patient never a retracted or internal message (null; `internal` says which). The caller has already decided
   * who may see the thread.
   */
  async forDelivery(messageIds: string[]): Promise<Map<string, { staff: Out; patient: Out | null; internal: boolean }>> {
    const out = new Map<string, { staff: Out; patient: Out | null; internal: boolean }>();
    if (messageIds.length === 0) return out;
    const rows = await this.store.byIds(messageIds);
    const byOrg = new Map<string, string[]>();
    for (const r of rows) byOrg.set(r.org_id, [...(byOrg.get(r.org_id) ?? []), r.id]);
    const [attachments, reactionMaps] = await Promise.all([
      this.attachments.forDelivery(rows.map((r) => ({ ...headOf(r), orgId: r.org_id }))),
      Promise.all([...byOrg].map(([orgId, ids]) => this.reactions.forMessages(orgId, ids))),
    ]);
    const reactions = new Map(reactionMaps.flatMap((m) => [...m]));
    await Promise.all(
      rows.map(async (r) => {
        const staff = presentRow(r, await this.decryptBody(r.key_id, r), attachments.get(r.id) ?? [], await this.decryptLink(r.key_id, r), reactions.get(r.id) ?? []);
        const internal = r.visibility === 'internal';
        out.set(r.id, { staff, patient: r.retracted_at || internal ? null : staff, internal });
      }),
    );
    return out;
  }

  async list(ctx: RequestContext, threadId: string, q: Static<typeof MessageListQuery>) {
    const limit = q.limit ?? 50;
    const both = q.before !== undefined && q.after !== undefined;
    let pageOpts: Parameters<MessageStore['page']>[1] | undefined;
    let cursorError: unknown;
    try {
      if (!both) {
        pageOpts = {
          includeRetracted: isStaffRole(ctx.actor.role),
          includeInternal: seesInternalMessages(ctx.actor.role),
          beforeSeq: q.before ? decodeCursor(q.before) : undefined,
          afterSeq: q.after ? decodeCursor(q.after) : undefined,
          limit,
        };
      }
    } catch (err) {
      cursorError = err; // refused below, after the access check: a thread you may not see answers 404 first
    }
    // The page is read while the policy decides (one round trip less on every history read). Its rows are
    // ciphertext and stay here: they are decrypted and answered only if the policy allows the thread, and dropped
    // unread otherwise, so a refused caller gets the same 404 and learns nothing.
    const id = threadId.toLowerCase();
    const early = pageOpts ? this.store.page(id, pageOpts) : undefined;
    early?.catch(() => undefined);
    const { thread } = await this.threads.require(ctx, threadId, 'threads.read');
    if (both) throw new AppError('validation_failed', 'Use either before or after, not both');
    if (!pageOpts) throw cursorError;
    const rows = thread.id === id && early ? await early : await this.store.page(thread.id, pageOpts);
    // The read is audited while the page is decrypted and presented (not after): the answer still leaves only once
    // its audit event is committed, one round trip and one commit sooner. Every read path filtered internal notes
    // for patients in SQL already, so the rows are the items.
    const [items] = await Promise.all([
      this.present(ctx, thread, rows),
      this.audit.recordFor(this.db, ctx, { action: 'messages.list', resourceType: 'thread', resourceId: thread.id, patientId: thread.patient_id, details: { returned: rows.length } }),
    ]);
    const last = rows[rows.length - 1];
    return { items, nextCursor: rows.length === limit && last ? encodeCursor(last.seq) : null };
  }

  async get(ctx: RequestContext, threadId: string, messageId: string): Promise<Out> {
    const { thread, row } = await this.requireMessage(ctx, threadId, messageId);
    const [out] = await this.present(ctx, thread, [row]);
    await this.audit.recordFor(this.db, ctx, { action: 'messages.get', resourceType: 'message', resourceId: row.id, patientId: thread.patient_id, details: { threadId: thread.id } });
    return out!;
  }

  /** A message the actor may see in a thread they may see; a retracted one and an internal note are invisible to patients. */
  private async requireMessage(ctx: RequestContext, threadId: string, messageId: string, tx?: Queryable, lock = false) {
    const { thread, resource } = await this.threads.require(ctx, threadId, 'threads.read');
    const row = await this.store.one(thread.id, messageId, tx, lock);
    if (!row || (row.retracted_at && !isStaffRole(ctx.actor.role)) || (row.visibility === 'internal' && !seesInternalMessages(ctx.actor.role))) throw notFound('message');
    return { thread, resource, row };
  }

  async edit(ctx: RequestContext, threadId: string, messageId: string, body: string): Promise<Out> {
    const settings = await this.orgs.settings(ctx.actor.orgId);
    const thread = await this.db.transaction().execute(async (tx) => {
      const { thread, resource, row } = await this.requireMessage(ctx, threadId, messageId, tx, true);
      if (!can(ctx.actor, 'messages.edit', { ...resource, senderId: row.sender_id, retracted: row.retracted_at !== null }, settings)) {
        throw new AppError('forbidden', row.retracted_at ? 'A retracted message cannot be edited' : 'Only the sender can edit a message');
      }
      const version = row.current_version + 1;
      const at = new Date();
      await this.store.addVersion(tx, {
        messageId: row.id,
        orgId: row.org_id,
        version,
        bodyCt: await this.keyring.encrypt(thread.key_id, body, bodyAad(row.org_id, row.thread_id, row.id, version), tx),
        contentHash: await this.contentHash(thread.key_id, body),
        by: ctx.actor.userId,
        at,
      });
      await this.store.replaceTokens(tx, row.org_id, row.thread_id, row.id, await this.searchTokens(row.org_id, body));
      await this.audit.recordFor(tx, ctx, { action: 'messages.edit', resourceType: 'message', resourceId: row.id, patientId: thread.patient_id, details: { threadId: row.thread_id, version } });
      await this.outbox.record(tx, [
        { orgId: row.org_id, kind: 'message.edited', threadId: row.thread_id, messageId: row.id, actorId: ctx.actor.userId, staffOnly: row.visibility === 'internal' },
      ]);
      return thread;
    });
    this.outbox.committed();
    return this.loadOne(ctx, thread, messageId);
  }

  async retract(ctx: RequestContext, threadId: string, messageId: string, reason: string | undefined): Promise<Out> {
    const settings = await this.orgs.settings(ctx.actor.orgId);
    const thread = await this.db.transaction().execute(async (tx) => {
      const { thread, resource, row } = await this.requireMessage(ctx, threadId, messageId, tx, true);
      if (!can(ctx.actor, 'messages.retract', { ...resource, senderId: row.sender_id, retracted: row.retracted_at !== null }, settings)) {
        throw new AppError('forbidden', row.retracted_at ? 'The message is already retracted' : 'Only the staff member who sent a message can retract it');
      }
      const reasonCt = reason ? await this.keyring.encrypt(thread.key_id, reason, aad('message', row.org_id, row.thread_id, row.id, 'retract_reason'), tx) : null;
      await this.store.retract(tx, row.id, ctx.actor.userId, new Date(), reasonCt);
      await this.audit.recordFor(tx, ctx, { action: 'messages.retract', resourceType: 'message', resourceId: row.id, patientId: thread.patient_id, details: { threadId: row.thread_id } });
      await this.outbox.record(tx, [
        { orgId: row.org_id, kind: 'message.retracted', threadId: row.thread_id, messageId: row.id, actorId: ctx.actor.userId, staffOnly: row.visibility === 'internal' },
      ]);
      return thread;
    });
    this.outbox.committed();
    return this.loadOne(ctx, thread, messageId);
  }

  async versions(ctx: RequestContext, threadId: string, messageId: string): Promise<{ items: Static<typeof MessageVersion>[] }> {
    const { thread, resource, row } = await this.requireMessage(ctx, threadId, messageId);
    if (!can(ctx.actor, 'messages.versions', resource, await this.orgs.settings(ctx.actor.orgId))) throw notFound('message');
    const versions = await this.store.versions(row.id);
    const items = await Promise.all(
      versions.map(async (v) => ({
        version: v.version,
        body: await this.keyring.decrypt(thread.key_id, v.body_ct, bodyAad(v.org_id, row.thread_id, v.message_id, v.version)),
        editedBy: v.created_by,
        createdAt: v.created_at.toISOString(),
        contentHash: v.content_hash.toString('hex'),
      })),
    );
    await this.audit.recordFor(this.db, ctx, { action: 'messages.versions', resourceType: 'message', resourceId: row.id, patientId: thread.patient_id, details: { versions: items.length } });
    return { items };
  }

  async markReceipts(ctx: RequestContext, threadId: string, input: Static<typeof ReceiptUpdate>): Promise<{ updated: number }> {
    const out = await this.db.transaction().execute(async (tx) => {
      const { thread, row } = await this.requireMessage(ctx, threadId, input.messageId, tx);
      const updated = await this.store.markUpTo(tx, {
        orgId: thread.org_id,
        threadId: thread.id,
        userId: ctx.actor.userId,
        uptoSeq: row.seq,
        read: input.status === 'read',
        includeRetracted: isStaffRole(ctx.actor.role),
        includeInternal: seesInternalMessages(ctx.actor.role),
        at: new Date(),
      });
      await this.audit.recordFor(tx, ctx, { action: 'messages.receipts', resourceType: 'thread', resourceId: thread.id, patientId: thread.patient_id, details: { status: input.status, updated } });
      // Only a change is news: marking again what is already marked sends no event.
      if (updated > 0) {
        // Read up to an internal note: the patient's stream names the newest message they may see instead (or none).
        const visibleUpto = row.visibility === 'internal' && thread.kind === 'patient' ? { visibleUptoMessageId: await this.store.lastPatientVisible(tx, thread.id, row.seq) } : {};
        await this.outbox.record(tx, [
          { orgId: thread.org_id, kind: 'receipts.updated', threadId: thread.id, messageId: row.id, actorId: ctx.actor.userId, data: { status: input.status, ...visibleUpto } },
        ]);
      }
      return { updated };
    });
    if (out.updated > 0) this.outbox.committed();
    return out;
  }
}
