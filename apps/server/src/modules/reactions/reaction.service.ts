import type { ReactionResult, ReactionSummary } from '@haven/api';
import type { Db } from '../../platform/db/database.js';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError, notFound } from '../../platform/http/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { EventOutbox } from '../events/event.outbox.js';
import type { MessageService } from '../messages/message.service.js';
import { isStaffRole } from '../policy/policy.js';
import type { ThreadService } from '../threads/thread.service.js';
import { normalizeEmoji } from './emoji.js';
import type { ReactionStore } from './reaction.store.js';

/** Different emoji one person may put on one message. */
export const MAX_REACTIONS_PER_USER = 20;

/**
 * Emoji reactions on messages. Whoever may see a thread may react to its messages (one row per user, message and
 * emoji; adding or removing twice changes nothing); a retracted message takes none. Each change is audited and
 * sent to the thread's audience as a `message.reaction` live event. Messages show their reactions through
 * `forMessages` (the messages module's MessageReactions lookup), one query per page.
 */
export class ReactionService {
  constructor(
    private readonly db: Db,
    private readonly store: ReactionStore,
    private readonly threads: ThreadService,
    private readonly messages: MessageService,
    private readonly audit: AuditService,
    private readonly outbox: EventOutbox,
  ) {}

  /** The reactions of messages the caller was allowed to read (the messages module decided), in one query. */
  async forMessages(orgId: string, messageIds: string[]): Promise<Map<string, ReactionSummary[]>> {
    const out = new Map<string, ReactionSummary[]>();
    for (const r of await this.store.summaries(orgId, messageIds)) {
      out.set(r.message_id, [...(out.get(r.message_id) ?? []), { emoji: r.emoji, count: r.count, userIds: r.user_ids }]);
    }
    return out;
  }

  async change(ctx: RequestContext, threadId: string, messageId: string, rawEmoji: string, op: 'add' | 'remove'): Promise<ReactionResult> {
    const { thread } = await this.threads.require(ctx, threadId, 'messages.react');
    const emoji = normalizeEmoji(rawEmoji);
    const id = messageId.toLowerCase();
    const changed = await this.db.transaction().execute(async (tx) => {
      // Held until commit: a retraction (which locks the message for update) waits for this reaction, or this for it.
      const [head] = await this.messages.heads(thread.org_id, [id], tx, true);
      // A patient cannot tell a retracted message or an internal note from none at all.
      if (!head || head.threadId !== thread.id || ((head.retracted || head.internal) && !isStaffRole(ctx.actor.role))) throw notFound('message');
      if (head.retracted) throw new AppError('message_retracted', 'A retracted message takes no reactions');
      let changed: boolean;
      if (op === 'add') {
        changed = await this.store.add(tx, { messageId: id, userId: ctx.actor.userId, emoji, orgId: thread.org_id, threadId: thread.id, at: new Date() });
        if (changed && (await this.store.countByUser(tx, id, ctx.actor.userId)) > MAX_REACTIONS_PER_USER) {
          throw new AppError('conflict', `At most ${MAX_REACTIONS_PER_USER} different reactions per person on one message`);
        }
      } else {
        changed = await this.store.remove(tx, { messageId: id, userId: ctx.actor.userId, emoji, orgId: thread.org_id });
      }
      await this.audit.recordFor(tx, ctx, {
        action: op === 'add' ? 'reactions.add' : 'reactions.remove',
        resourceType: 'message',
        resourceId: id,
        patientId: thread.patient_id,
        details: { threadId: thread.id, emoji, changed },
      });
      // Only a change is news (like receipts).
      if (changed) {
        await this.outbox.record(tx, [
          { orgId: thread.org_id, kind: 'message.reaction', threadId: thread.id, messageId: id, actorId: ctx.actor.userId, data: { emoji, action: op === 'add' ? 'added' : 'removed' }, staffOnly: head.internal },
        ]);
      }
      return changed;
    });
    if (changed) this.outbox.committed();
    return { messageId: id, changed, reactions: (await this.forMessages(thread.org_id, [id])).get(id) ?? [] };
  }
}
