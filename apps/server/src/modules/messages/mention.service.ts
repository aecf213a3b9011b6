import type { Static } from 'typebox';
import type { Mention, MentionListQuery } from '@haven/api';
import type { Db } from '../../platform/db/database.js';
import type { RequestContext } from '../../platform/http/context.js';
import { decodeTimeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { AppError, notFound } from '../../platform/http/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { EventOutbox } from '../events/event.outbox.js';
import type { OrganizationService } from '../organization/organization.service.js';
import { isClinical, patientScope, seesInternalThreads } from '../policy/policy.js';
import type { ThreadRecord, ThreadService } from '../threads/thread.service.js';
import type { MentionStore } from './mention.store.js';

type Out = Static<typeof Mention>;

const present = (r: { id: string; thread_id: string; message_id: string; mentioned_by: string; created_at: Date; done_at: Date | null }): Out => ({
  id: r.id,
  threadId: r.thread_id,
  messageId: r.message_id,
  mentionedBy: r.mentioned_by,
  createdAt: r.created_at.toISOString(),
  doneAt: r.done_at ? r.done_at.toISOString() : null,
});

/**
 * @mentions in internal notes and internal-thread messages: who may be mentioned (checked before the message is
 * stored; the rows themselves are written by the message's own statement), each user's list of mentions, and
 * marking one done. A mention carries ids only; its text is the message's.
 */
export class MentionService {
  constructor(
    private readonly db: Db,
    private readonly store: MentionStore,
    private readonly threads: ThreadService,
    private readonly orgs: OrganizationService,
    private readonly audit: AuditService,
    private readonly outbox: EventOutbox,
  ) {}

  /**
   * The users a message about to be sent in `thread` may mention, normalized (lower case, unique, sorted). Mentions
   * belong in internal messages only; each must be an active provider or staff member who may see the thread now.
   * Anything else is 422 `invalid_mention` naming the first offending id.
   */
  async check(ctx: RequestContext, thread: ThreadRecord, ids: string[], internal: boolean): Promise<string[]> {
    const wanted = [...new Set(ids.map((i) => i.toLowerCase()))].sort();
    if (wanted.length === 0) return [];
    if (!internal) {
      throw new AppError('invalid_mention', 'Mentions belong in internal notes: send the message with internal: true', {
        errors: [{ path: '/body/mentions', message: 'only in internal messages' }],
      });
    }
    const audience = (await this.threads.audience([thread.id], [thread.org_id])).get(thread.id) ?? [];
    const staff = new Set(audience.filter((v) => isClinical(v.role)).map((v) => v.userId));
    const index = wanted.findIndex((id) => !staff.has(id));
    if (index >= 0) {
      const id = wanted[index]!;
      const at = ids.findIndex((i) => i.toLowerCase() === id);
      throw new AppError('invalid_mention', `User ${id} cannot be mentioned here: not an active provider or staff member who may see this thread`, {
        errors: [{ path: `/body/mentions/${at}`, message: `${id} cannot see this thread` }],
      });
    }
    return wanted;
  }

  /** The caller's mentions, newest first: open ones unless `status` says otherwise. */
  async list(ctx: RequestContext, q: Static<typeof MentionListQuery>): Promise<{ items: Out[]; nextCursor: string | null }> {
    if (!isClinical(ctx.actor.role)) throw new AppError('forbidden', 'Mentions are for providers and staff');
    const settings = await this.orgs.settings(ctx.actor.orgId);
    const limit = q.limit ?? 50;
    let before: { micros: string; id: string } | undefined;
    if (q.cursor) {
      const { micros, id } = decodeTimeCursor(q.cursor);
      before = { micros: micros!, id: id! };
    }
    const rows = await this.store.list({
      orgId: ctx.actor.orgId,
      userId: ctx.actor.userId,
      scope: patientScope(ctx.actor, settings, 'messages'),
      internalThreads: seesInternalThreads(ctx.actor.role),
      status: q.status ?? 'open',
      before,
      limit,
    });
    await this.audit.recordFor(this.db, ctx, { action: 'mentions.list', resourceType: 'mention', details: { status: q.status ?? 'open', returned: rows.length } });
    const last = rows[rows.length - 1];
    return { items: rows.map(present), nextCursor: rows.length === limit && last ? encodeCursor(`${last.at_us}_${last.id}`) : null };
  }

  /** Marks one of the caller's mentions done (again: no change). Someone else's, or one in a thread they no longer see: 404. */
  async done(ctx: RequestContext, mentionId: string): Promise<Out> {
    if (!isClinical(ctx.actor.role)) throw new AppError('forbidden', 'Mentions are for providers and staff');
    const { row, changed } = await this.db.transaction().execute(async (tx) => {
      const found = await this.store.mine(tx, ctx.actor.orgId, ctx.actor.userId, mentionId.toLowerCase());
      if (!found) throw notFound('mention');
      await this.threads.require(ctx, found.thread_id, 'threads.read');
      if (found.done_at) return { row: found, changed: false };
      const at = new Date();
      await this.store.markDone(tx, found.id, at);
      await this.audit.recordFor(tx, ctx, { action: 'mentions.done', resourceType: 'mention', resourceId: found.id, details: { threadId: found.thread_id, messageId: found.message_id } });
      // The user's other devices drop it from their list.
      await this.outbox.record(tx, [
        { orgId: found.org_id, kind: 'mention.done', threadId: found.thread_id, userId: ctx.actor.userId, messageId: found.message_id, actorId: ctx.actor.userId, staffOnly: true, data: { mentionId: found.id } },
      ]);
      return { row: { ...found, done_at: at }, changed: true };
    });
    if (changed) this.outbox.committed();
    return present(row);
  }
}
