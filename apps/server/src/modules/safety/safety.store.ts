import { sql } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';

/** Crisis alerts and the automatic-reply marker of threads. */
export class SafetyStore {
  constructor(private readonly db: Db) {}

  /** The alert of a message, created on first sight (a retry finds the existing one). */
  async upsertAlert(a: { messageId: string; orgId: string; threadId: string; patientId: string; keyId: string; detailCt: Buffer; lexiconVersion: string; at: Date }) {
    await this.db
      .insertInto('safety_alerts')
      .values({ message_id: a.messageId, org_id: a.orgId, thread_id: a.threadId, patient_id: a.patientId, key_id: a.keyId, detail_ct: a.detailCt, lexicon_version: a.lexiconVersion, detected_at: a.at })
      .onConflict((oc) => oc.column('message_id').doNothing())
      .execute();
    return this.db.selectFrom('safety_alerts').select(['message_id', 'handled_at']).where('message_id', '=', a.messageId).executeTakeFirstOrThrow();
  }

  /** Marks an alert handled, once (false when another run finished it first). */
  async markHandled(tx: Queryable, messageId: string, replyId: string, paged: string[], at: Date): Promise<boolean> {
    const r = await tx
      .updateTable('safety_alerts')
      .set({ reply_message_id: replyId, paged_user_ids: paged, handled_at: at })
      .where('message_id', '=', messageId)
      .where('handled_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Crisis messages of the last day whose alert is missing or unfinished. */
  async unhandled(limit: number) {
    const res = await sql<{ message_id: string; org_id: string; thread_id: string; created_at: Date }>`
      SELECT m.id AS message_id, m.org_id, m.thread_id, m.created_at FROM messages m
        LEFT JOIN safety_alerts a ON a.message_id = m.id
       WHERE m.crisis AND m.created_at > now() - interval '1 day' AND a.handled_at IS NULL
       ORDER BY m.created_at LIMIT ${limit}`.execute(this.db);
    return res.rows;
  }

  async lockAutoReply(tx: Queryable, threadId: string): Promise<Date | null> {
    const row = await tx.selectFrom('threads').select('auto_replied_at').where('id', '=', threadId).forNoKeyUpdate().executeTakeFirst();
    return row?.auto_replied_at ?? null;
  }

  /** Gives these staff members the patient thread (as participants), e.g. the on-call from another care team. */
  async grantThread(tx: Queryable, orgId: string, threadId: string, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    await tx
      .insertInto('thread_participants')
      .values(userIds.map((userId) => ({ thread_id: threadId, user_id: userId, org_id: orgId })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async setAutoReplied(tx: Queryable, threadId: string, at: Date): Promise<void> {
    await tx.updateTable('threads').set({ auto_replied_at: at }).where('id', '=', threadId).execute();
  }
}
