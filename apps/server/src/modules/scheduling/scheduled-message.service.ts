import type { Logger } from 'pino';
import type { ScheduledMessage, ScheduledMessageCreate, ScheduledMessageState, ScheduledMessageUpdate } from '@haven/api';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { ScheduledFailureReason } from '../../platform/db/schema.js';
import { aad } from '../../platform/crypto/aead.js';
import { hmac, safeEqual } from '../../platform/crypto/hash.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { RequestContext } from '../../platform/http/context.js';
import { decodeTimeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { AppError, notFound } from '../../platform/http/errors.js';
import type { JobQueue } from '../../platform/jobs/job-queue.js';
import type { AuditService } from '../audit/audit.service.js';
import type { EventOutbox } from '../events/event.outbox.js';
import type { MessageService } from '../messages/message.service.js';
import { can, isClinical } from '../policy/policy.js';
import type { ThreadService } from '../threads/thread.service.js';
import type { UserService } from '../users/user.service.js';
import type { ScheduledMessageRow, ScheduledMessageStore, SendAtPosition } from './scheduled-message.store.js';

export const SEND_JOB = 'scheduling.send';
/** Runs of the send job before a message that keeps failing for unexpected reasons is marked failed (send_error). */
const SEND_ATTEMPTS = 5;
const MIN_LEAD_MS = 1_000;
const MAX_LEAD_MS = 365 * 86_400_000;
/** A job that starts this much before its time (clocks) still sends; earlier, it waits for the time again. */
const EARLY_TOLERANCE_MS = 250;

/** One waiting send job per scheduled message: editing the time moves it, a retried job keeps it. */
export const sendJobKey = (id: string): string => `scheduling:send:${id}`;
/** The text is bound to its row and edit: scheduled_message|org|thread|id|version. */
const bodyAad = (r: { org_id: string; thread_id: string; id: string }, version: number): string => aad('scheduled_message', r.org_id, r.thread_id, r.id, version);

const nullableIso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function present(r: ScheduledMessageRow, body: string | null): ScheduledMessage {
  return {
    id: r.id,
    threadId: r.thread_id,
    patientId: r.thread_kind === 'patient' ? r.patient_id : null,
    authorId: r.author_id,
    body,
    sendAt: r.send_at.toISOString(),
    state: r.state,
    failureReason: r.failure_reason,
    version: r.version,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    sentAt: nullableIso(r.sent_at),
    cancelledAt: nullableIso(r.cancelled_at),
    cancelledBy: r.cancelled_by,
  };
}

function cursorOf(rows: (ScheduledMessageRow & { send_us: string })[], limit: number): string | null {
  const last = rows[rows.length - 1];
  return rows.length === limit && last ? encodeCursor(`${last.send_us}_${last.id}`) : null;
}

function afterCursor(cursor: string | undefined): SendAtPosition | undefined {
  if (!cursor) return undefined;
  const { micros, id } = decodeTimeCursor(cursor);
  return { micros: micros!, id: id! };
}

/**
 * Scheduled send. A provider or staff member writes a message now for a later time; at that time a job sends it
 * through MessageService.send as its author, after checking again that the author is active and may still write in
 * the thread. The client's id becomes the message's id, so a job that runs twice (a crash, a retry) finds the
 * message already sent and never duplicates it. Until it is sent the text is ciphertext under the thread's key,
 * visible to providers and staff of the thread only: patients see nothing of it (no list, no event, no search).
 */
export class ScheduledMessageService {
  private log: Logger | undefined;

  constructor(
    private readonly db: Db,
    private readonly store: ScheduledMessageStore,
    private readonly threads: ThreadService,
    private readonly messages: MessageService,
    private readonly users: UserService,
    private readonly keyring: Keyring,
    private readonly audit: AuditService,
    private readonly outbox: EventOutbox,
    private readonly jobs: JobQueue,
  ) {
    jobs.define<{ orgId: string; id: string }>({
      name: SEND_JOB,
      maxAttempts: SEND_ATTEMPTS,
      backoff: { baseMs: 2_000, maxMs: 60_000 },
      run: (p, info) => this.deliver(p.orgId, p.id, info.attempt),
    });
  }

  setLogger(log: Logger): void {
    this.log = log;
  }

  /** Providers and staff only, decided before any id is looked at. */
  private requireClinical(ctx: RequestContext): void {
    if (!isClinical(ctx.actor.role)) throw new AppError('forbidden', 'Only providers and staff schedule messages');
  }

  private sendAt(value: string, path: string): Date {
    const at = new Date(value);
    if (Number.isNaN(at.getTime())) throw new AppError('validation_failed', 'sendAt is not a time', { errors: [{ path, message: 'not a date-time' }] });
    return at;
  }

  private checkWindow(at: Date, path: string): void {
    const lead = at.getTime() - Date.now();
    if (lead < MIN_LEAD_MS || lead > MAX_LEAD_MS) {
      throw new AppError('validation_failed', 'sendAt must be at least 1 second and at most 1 year from now', { errors: [{ path, message: 'out of range' }] });
    }
  }

  private async requestHash(keyId: string, threadId: string, body: string, sendAt: Date): Promise<Buffer> {
    return hmac(await this.keyring.dataKey(keyId), JSON.stringify(['haven-scheduled-message', threadId, body, sendAt.toISOString()]));
  }

  private decrypt(r: ScheduledMessageRow): Promise<string> {
    return this.keyring.decrypt(r.key_id, r.body_ct, bodyAad(r, r.version));
  }

  private changed(tx: Queryable, r: { org_id: string; thread_id: string; id: string }, state: ScheduledMessageState, actorId: string | null): Promise<void> {
    return this.outbox.record(tx, [{ orgId: r.org_id, kind: 'scheduled_message.changed', threadId: r.thread_id, actorId, data: { scheduledMessageId: r.id, state }, staffOnly: true }]);
  }

  /**
   * Schedules a message. Idempotent by the client's id: the same request again answers the stored scheduled message
   * (`replayed`); the id of another scheduled message or of a message already sent is `409 idempotency_conflict`.
   */
  async create(ctx: RequestContext, threadId: string, input: ScheduledMessageCreate): Promise<{ scheduled: ScheduledMessage; replayed: boolean }> {
    this.requireClinical(ctx);
    const { thread } = await this.threads.require(ctx, threadId, 'messages.schedule');
    const sendAt = this.sendAt(input.sendAt, '/body/sendAt');
    const id = input.id.toLowerCase();
    const hash = await this.requestHash(thread.key_id, thread.id, input.body, sendAt);
    const replay = async (): Promise<ScheduledMessage> => {
      const existing = await this.store.byId(id);
      if (!existing || existing.org_id !== thread.org_id || existing.thread_id !== thread.id || existing.author_id !== ctx.actor.userId || !safeEqual(existing.request_hash, hash)) {
        throw new AppError('idempotency_conflict', 'This id belongs to another scheduled message');
      }
      return present(existing, await this.decrypt(existing));
    };
    // A retry is recognised first: it may arrive after the time it asked for has passed.
    if (await this.store.byId(id)) return { scheduled: await replay(), replayed: true };
    // An archived patient (or one outside the soft launch) is refused now, not when the message is due.
    await this.threads.assertMayWrite(ctx, thread);
    this.checkWindow(sendAt, '/body/sendAt');
    if (await this.messages.idTaken(id)) throw new AppError('idempotency_conflict', 'A message with this id was already sent');
    const at = new Date();
    const inserted = await this.db.transaction().execute(async (tx) => {
      const row = { org_id: thread.org_id, thread_id: thread.id, id };
      const ok = await this.store.insert(tx, {
        id,
        orgId: thread.org_id,
        threadId: thread.id,
        authorId: ctx.actor.userId,
        keyId: thread.key_id,
        bodyCt: await this.keyring.encrypt(thread.key_id, input.body, bodyAad(row, 1), tx),
        requestHash: hash,
        sendAt,
        at,
      });
      if (!ok) return false;
      await this.jobs.enqueue(tx, SEND_JOB, { orgId: thread.org_id, id }, { runAt: sendAt, key: sendJobKey(id) });
      await this.audit.recordFor(tx, ctx, { action: 'scheduledMessages.create', resourceType: 'scheduled_message', resourceId: id, patientId: thread.patient_id, details: { threadId: thread.id, sendAt: sendAt.toISOString() } });
      await this.changed(tx, row, 'scheduled', ctx.actor.userId);
      return true;
    });
    // Lost a race with a concurrent request under the same id: answered like a retry.
    if (!inserted) return { scheduled: await replay(), replayed: true };
    this.outbox.committed();
    const row = await this.store.byId(id);
    return { scheduled: present(row!, input.body), replayed: false };
  }

  /** A thread's scheduled messages with their text, by send time: providers and staff who may write in the thread. */
  async list(ctx: RequestContext, threadId: string, q: { state?: ScheduledMessageState; limit?: number; cursor?: string }) {
    this.requireClinical(ctx);
    const { thread } = await this.threads.require(ctx, threadId, 'messages.schedule');
    const limit = q.limit ?? 50;
    const rows = await this.store.listThread(thread.id, { state: q.state, after: afterCursor(q.cursor), limit });
    const items = await Promise.all(rows.map(async (r) => present(r, await this.decrypt(r))));
    await this.audit.recordFor(this.db, ctx, { action: 'scheduledMessages.list', resourceType: 'thread', resourceId: thread.id, patientId: thread.patient_id, details: { returned: items.length } });
    return { items, nextCursor: cursorOf(rows, limit) };
  }

  /**
   * Scheduled messages without their text, across threads: providers and staff see their own (what they have
   * pending anywhere), admins the organization's (to cancel what should not go out, e.g. at offboarding).
   */
  async overview(ctx: RequestContext, q: { authorId?: string; state?: ScheduledMessageState; limit?: number; cursor?: string }) {
    if (!can(ctx.actor, 'scheduledMessages.overview', { orgId: ctx.actor.orgId }, { staffSeeAllPatients: false })) {
      throw new AppError('forbidden', 'Your role has no scheduled messages');
    }
    if (ctx.actor.role !== 'admin' && q.authorId && q.authorId.toLowerCase() !== ctx.actor.userId) {
      throw new AppError('forbidden', "Only admins see other people's scheduled messages");
    }
    const authorId = ctx.actor.role === 'admin' ? q.authorId?.toLowerCase() : ctx.actor.userId;
    const limit = q.limit ?? 50;
    const rows = await this.store.listOrg(ctx.actor.orgId, { authorId, state: q.state, after: afterCursor(q.cursor), limit });
    await this.audit.recordFor(this.db, ctx, { action: 'scheduledMessages.overview', resourceType: 'scheduled_message', details: { returned: rows.length, ...(authorId ? { filterAuthor: authorId } : {}) } });
    return { items: rows.map((r) => present(r, null)), nextCursor: cursorOf(rows, limit) };
  }

  /**
   * A scheduled message the caller may see: its author, an admin of its organization, or a provider or staff member
   * who may write in its thread. Anyone else: 404, as for an id that does not exist.
   */
  private async visible(ctx: RequestContext, id: string): Promise<ScheduledMessageRow> {
    const row = await this.store.byId(id.toLowerCase());
    if (!row || row.org_id !== ctx.actor.orgId) throw notFound('scheduled message');
    if (row.author_id === ctx.actor.userId || ctx.actor.role === 'admin') return row;
    if (!isClinical(ctx.actor.role)) throw notFound('scheduled message');
    await this.threads.require(ctx, row.thread_id, 'messages.schedule').catch(() => {
      throw notFound('scheduled message');
    });
    return row;
  }

  /** Changes the text and/or the time of one's own scheduled message while it is still waiting. */
  async update(ctx: RequestContext, id: string, patch: ScheduledMessageUpdate): Promise<ScheduledMessage> {
    this.requireClinical(ctx);
    const seen = await this.visible(ctx, id);
    if (!can(ctx.actor, 'scheduledMessages.edit', { orgId: seen.org_id, senderId: seen.author_id }, { staffSeeAllPatients: false })) {
      throw new AppError('forbidden', 'Only its author can change a scheduled message');
    }
    // The author must still be able to write in the thread (else it would fail at send time anyway).
    await this.threads.require(ctx, seen.thread_id, 'messages.schedule');
    const sendAt = patch.sendAt === undefined ? undefined : this.sendAt(patch.sendAt, '/body/sendAt');
    if (sendAt) this.checkWindow(sendAt, '/body/sendAt');
    const at = new Date();
    const updated = await this.db.transaction().execute(async (tx) => {
      const row = (await this.store.byId(seen.id, tx, true))!;
      if (row.state !== 'scheduled') throw new AppError('conflict', `The scheduled message is ${row.state}; it can no longer be changed`);
      const version = patch.body === undefined ? undefined : row.version + 1;
      await this.store.update(
        tx,
        row.id,
        {
          ...(patch.body !== undefined && version ? { bodyCt: await this.keyring.encrypt(row.key_id, patch.body, bodyAad(row, version), tx), version } : {}),
          ...(sendAt ? { sendAt } : {}),
        },
        at,
      );
      // The waiting job moves with the time (same key: the new time replaces the old one).
      if (sendAt) await this.jobs.enqueue(tx, SEND_JOB, { orgId: row.org_id, id: row.id }, { runAt: sendAt, key: sendJobKey(row.id) });
      await this.audit.recordFor(tx, ctx, {
        action: 'scheduledMessages.update',
        resourceType: 'scheduled_message',
        resourceId: row.id,
        patientId: row.thread_kind === 'patient' ? row.patient_id : null,
        details: { threadId: row.thread_id, fields: Object.keys(patch).sort().join(','), ...(version ? { version } : {}) },
      });
      await this.changed(tx, row, 'scheduled', ctx.actor.userId);
      return (await this.store.byId(row.id, tx))!;
    });
    this.outbox.committed();
    return present(updated, await this.decrypt(updated));
  }

  /** Cancels a waiting scheduled message (its author, or an admin). Cancelling one already cancelled changes nothing. */
  async cancel(ctx: RequestContext, id: string): Promise<ScheduledMessage> {
    if (!isClinical(ctx.actor.role) && ctx.actor.role !== 'admin') throw new AppError('forbidden', 'Your role has no scheduled messages');
    const seen = await this.visible(ctx, id);
    if (!can(ctx.actor, 'scheduledMessages.cancel', { orgId: seen.org_id, senderId: seen.author_id }, { staffSeeAllPatients: false })) {
      throw new AppError('forbidden', 'Only its author or an admin can cancel a scheduled message');
    }
    const at = new Date();
    const { row, changed } = await this.db.transaction().execute(async (tx) => {
      const row = (await this.store.byId(seen.id, tx, true))!;
      if (row.state === 'cancelled') return { row, changed: false };
      if (row.state !== 'scheduled') throw new AppError('conflict', `The scheduled message is ${row.state}; it can no longer be cancelled`);
      await this.store.setState(tx, row.id, 'cancelled', at, { cancelledBy: ctx.actor.userId });
      await this.audit.recordFor(tx, ctx, {
        action: 'scheduledMessages.cancel',
        resourceType: 'scheduled_message',
        resourceId: row.id,
        patientId: row.thread_kind === 'patient' ? row.patient_id : null,
        details: { threadId: row.thread_id, authorId: row.author_id },
      });
      await this.changed(tx, row, 'cancelled', ctx.actor.userId);
      // The waiting job stays; when it runs it finds the message cancelled and does nothing.
      return { row: (await this.store.byId(row.id, tx))!, changed: true };
    });
    if (changed) this.outbox.committed();
    // Admins manage, they do not read: the answer carries the text only for staff who may see the thread.
    return present(row, ctx.actor.role === 'admin' ? null : await this.decrypt(row));
  }

  // ---- the send job ------------------------------------------------------------------------------------------------

  /**
   * Sends a scheduled message whose time has come, as its author. Safe to run again: a message already sent (or
   * cancelled, or failed) is left alone, and a run interrupted after the send finds the message by its id.
   */
  async deliver(orgId: string, id: string, attempt = 1): Promise<void> {
    const claimed = await this.db.transaction().execute(async (tx) => {
      const row = await this.store.byId(id, tx, true);
      if (!row || row.org_id !== orgId) return undefined;
      if (row.state === 'scheduled') {
        if (row.send_at.getTime() > Date.now() + EARLY_TOLERANCE_MS) {
          // Early (a clock, or a job of an earlier time): wait for the time again.
          await this.jobs.enqueue(tx, SEND_JOB, { orgId, id }, { runAt: row.send_at, key: sendJobKey(id) });
          return undefined;
        }
        await this.store.setState(tx, id, 'sending', new Date());
        return row;
      }
      return row.state === 'sending' ? row : undefined;
    });
    if (!claimed) return;

    // A run interrupted after the send: the message is there already (its id is ours), so only the state is left.
    const [sent] = await this.messages.heads(orgId, [id]);
    if (sent && (sent.threadId !== claimed.thread_id || sent.senderId !== claimed.author_id)) return this.fail(claimed, 'id_conflict');
    if (!sent) {
      const failure = await this.sendAsAuthor(claimed, attempt);
      if (failure) return this.fail(claimed, failure);
    }
    await this.db.transaction().execute(async (tx) => {
      const row = await this.store.byId(id, tx, true);
      if (row?.state !== 'sending') return;
      await this.store.setState(tx, id, 'sent', new Date());
      await this.audit.record(tx, {
        orgId,
        actorId: null,
        action: 'scheduledMessages.send',
        resourceType: 'scheduled_message',
        resourceId: id,
        patientId: row.thread_kind === 'patient' ? row.patient_id : null,
        details: { threadId: row.thread_id, authorId: row.author_id, messageId: id },
      });
      await this.changed(tx, row, 'sent', null);
    });
    this.outbox.committed();
  }

  /** Sends through the ordinary send path as the author; answers why not, or undefined once it is stored. */
  private async sendAsAuthor(claimed: ScheduledMessageRow, attempt: number): Promise<ScheduledFailureReason | undefined> {
    const { org_id: orgId, id } = claimed;
    // The author as they are now: deactivated, or no longer a provider or staff member, sends nothing.
    const author = await this.users.byId(orgId, claimed.author_id);
    if (!author || author.status !== 'active') return 'author_inactive';
    const ctx: RequestContext = { actor: { userId: author.id, orgId, role: author.role, sessionId: '' }, address: null, requestId: `scheduled-message:${id}` };
    try {
      if (!isClinical(author.role)) return 'access_revoked';
      await this.threads.require(ctx, claimed.thread_id, 'messages.schedule');
      await this.messages.send(ctx, claimed.thread_id, { id, body: await this.decrypt(claimed) });
      return undefined;
    } catch (err) {
      if (err instanceof AppError && (err.code === 'not_found' || err.code === 'forbidden')) return 'access_revoked';
      if (err instanceof AppError && err.code === 'idempotency_conflict') return 'id_conflict';
      if (err instanceof AppError && (err.code === 'patient_archived' || err.code === 'messaging_not_enabled')) return 'messaging_closed';
      if (attempt >= SEND_ATTEMPTS) return 'send_error';
      throw err;
    }
  }

  private async fail(row: ScheduledMessageRow, reason: ScheduledFailureReason): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const current = await this.store.byId(row.id, tx, true);
      if (current?.state !== 'sending') return;
      await this.store.setState(tx, row.id, 'failed', new Date(), { failureReason: reason });
      await this.audit.record(tx, {
        orgId: row.org_id,
        actorId: null,
        action: 'scheduledMessages.send',
        resourceType: 'scheduled_message',
        resourceId: row.id,
        patientId: row.thread_kind === 'patient' ? row.patient_id : null,
        outcome: 'failure',
        details: { threadId: row.thread_id, authorId: row.author_id, reason },
      });
      await this.changed(tx, row, 'failed', null);
    });
    this.outbox.committed();
    // Ids and a reason code only: never the text.
    this.log?.warn({ scheduledMessageId: row.id, reason }, 'scheduled message not sent');
  }
}
