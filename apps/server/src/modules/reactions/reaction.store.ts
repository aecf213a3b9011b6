import { sql } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';

export interface ReactionRow {
  message_id: string;
  emoji: string;
  count: number;
  user_ids: string[];
}

export class ReactionStore {
  constructor(private readonly db: Db) {}

  /** Adds a reaction; false when the user already had it. */
  async add(tx: Queryable, r: { messageId: string; userId: string; emoji: string; orgId: string; threadId: string; at: Date }): Promise<boolean> {
    const row = await tx
      .insertInto('message_reactions')
      .values({ message_id: r.messageId, user_id: r.userId, emoji: r.emoji, org_id: r.orgId, thread_id: r.threadId, created_at: r.at })
      .onConflict((oc) => oc.columns(['message_id', 'user_id', 'emoji']).doNothing())
      .returning('message_id')
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Removes a reaction; false when the user did not have it. */
  async remove(tx: Queryable, r: { messageId: string; userId: string; emoji: string; orgId: string }): Promise<boolean> {
    const row = await tx
      .deleteFrom('message_reactions')
      .where('org_id', '=', r.orgId)
      .where('message_id', '=', r.messageId)
      .where('user_id', '=', r.userId)
      .where('emoji', '=', r.emoji)
      .returning('message_id')
      .executeTakeFirst();
    return row !== undefined;
  }

  async countByUser(tx: Queryable, messageId: string, userId: string): Promise<number> {
    const row = await tx
      .selectFrom('message_reactions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('message_id', '=', messageId)
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * The reactions of these messages in one query: per message and emoji, how many and who (earliest first), emoji
   * in the order they were first used.
   */
  async summaries(orgId: string, messageIds: string[]): Promise<ReactionRow[]> {
    if (messageIds.length === 0) return [];
    const res = await sql<ReactionRow>`
      SELECT message_id, emoji, count(*)::int AS count, array_agg(user_id::text ORDER BY created_at, user_id) AS user_ids
        FROM message_reactions
       WHERE org_id = ${orgId} AND message_id = ANY(${messageIds}::uuid[])
       GROUP BY message_id, emoji
       ORDER BY message_id, min(created_at), emoji`.execute(this.db);
    return res.rows;
  }
}
