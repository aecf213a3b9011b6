import { sql } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { PatientScope } from '../policy/policy.js';
import { visibleThreads } from '../threads/thread.store.js';

/**
 * SQL of mentions. Rows are written by the statement that stores their message (MessageStore.insertMany); this
 * store reads them and marks them done.
 */
export class MentionStore {
  constructor(private readonly db: Db) {}

  /**
   * A user's mentions, newest first, in threads they may still see (a mention in a thread whose care team they left
   * drops out of the list), optionally open or done only.
   */
  list(q: {
    orgId: string;
    userId: string;
    scope: PatientScope;
    internalThreads: boolean;
    status: 'open' | 'done' | 'all';
    before?: { micros: string; id: string };
    limit: number;
  }) {
    const at = sql<string>`(extract(epoch from mm.created_at) * 1000000)::bigint`;
    let query = this.db
      .selectFrom('message_mentions as mm')
      .innerJoin('threads as t', 't.id', 'mm.thread_id')
      .select(['mm.id', 'mm.thread_id', 'mm.message_id', 'mm.mentioned_by', 'mm.created_at', 'mm.done_at'])
      .select(at.as('at_us'))
      .where('mm.org_id', '=', q.orgId)
      .where('mm.user_id', '=', q.userId)
      .where((eb) => visibleThreads(eb, q.scope, q.userId, q.internalThreads));
    if (q.status === 'open') query = query.where('mm.done_at', 'is', null);
    if (q.status === 'done') query = query.where('mm.done_at', 'is not', null);
    if (q.before) query = query.where(sql<boolean>`(${at}, mm.id) < (${q.before.micros}::bigint, ${q.before.id}::uuid)`);
    return query.orderBy('mm.created_at', 'desc').orderBy('mm.id', 'desc').limit(q.limit).execute();
  }

  /** One of the user's mentions, locked for update. */
  mine(tx: Queryable, orgId: string, userId: string, id: string) {
    return tx
      .selectFrom('message_mentions')
      .select(['id', 'org_id', 'thread_id', 'message_id', 'mentioned_by', 'created_at', 'done_at'])
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
  }

  async markDone(tx: Queryable, id: string, at: Date): Promise<void> {
    await tx.updateTable('message_mentions').set({ done_at: at }).where('id', '=', id).where('done_at', 'is', null).execute();
  }
}
