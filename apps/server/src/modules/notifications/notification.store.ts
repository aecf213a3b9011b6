import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { AttemptStatus, NotificationChannel, NotificationConsentsTable, NotificationPreferencesTable } from '../../platform/db/schema.js';

export type PreferencesRow = Selectable<NotificationPreferencesTable>;

export interface ItemInsert {
  messageId: string;
  userId: string;
  orgId: string;
  threadId: string;
  messageAt: Date;
  dueAt: Date;
}

export interface AttemptInsert {
  id: string;
  orgId: string;
  notificationId: string;
  userId: string;
  channel: NotificationChannel;
  targetId: string | null;
  attempt: number;
  status: AttemptStatus;
  nextRetryAt: Date | null;
  responseCode: number | null;
  errorClass: string | null;
}

export interface AttemptFilter {
  orgId: string;
  userId?: string;
  channel?: NotificationChannel;
  status?: AttemptStatus;
  from?: Date;
  to?: Date;
  /** Position of the last row of the previous page: creation time in microseconds and id. */
  before?: { micros: string; id: string };
  limit: number;
}

/** SQL of the notifications module: preferences, consent history, push subscriptions, items, attempts. */
export class NotificationStore {
  constructor(private readonly db: Db) {}

  // ---- preferences and consent ---------------------------------------------------------------------------------

  preferences(orgId: string, userId: string, tx: Queryable = this.db): Promise<PreferencesRow | undefined> {
    return tx.selectFrom('notification_preferences').selectAll().where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
  }

  async preferencesOf(orgId: string, userIds: string[]): Promise<PreferencesRow[]> {
    if (userIds.length === 0) return [];
    return this.db.selectFrom('notification_preferences').selectAll().where('org_id', '=', orgId).where('user_id', 'in', userIds).execute();
  }

  /** Creates the row with defaults if missing, then applies `set`. */
  async upsertPreferences(tx: Queryable, orgId: string, userId: string, batchWindowS: number, set: Updateable<NotificationPreferencesTable>): Promise<void> {
    await tx
      .insertInto('notification_preferences')
      .values({ user_id: userId, org_id: orgId, batch_window_s: batchWindowS })
      .onConflict((oc) => oc.column('user_id').doNothing())
      .execute();
    if (Object.keys(set).length === 0) return;
    await tx
      .updateTable('notification_preferences')
      .set({ ...set, updated_at: new Date() })
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .execute();
  }

  async insertConsent(tx: Queryable, row: Insertable<NotificationConsentsTable>): Promise<void> {
    await tx.insertInto('notification_consents').values(row).execute();
  }

  /** The latest consent record per channel of a user. */
  async latestConsents(orgId: string, userId: string): Promise<{ channel: 'email' | 'sms'; given: boolean; source: 'user' | 'sms_reply'; at: Date }[]> {
    const res = await sql<{ channel: 'email' | 'sms'; given: boolean; source: 'user' | 'sms_reply'; at: Date }>`
      SELECT DISTINCT ON (channel) channel, given, source, at FROM notification_consents
       WHERE org_id = ${orgId} AND user_id = ${userId} ORDER BY channel, at DESC, id`.execute(this.db);
    return res.rows;
  }

  /** Users of an organization whose SMS number has this blind index. */
  usersBySmsPhone(orgId: string, bidx: Buffer) {
    return this.db.selectFrom('notification_preferences').select(['user_id', 'sms_consent']).where('org_id', '=', orgId).where('sms_phone_bidx', '=', bidx).execute();
  }

  /** Serializes the notification work of one user (scheduling and sending never race for the same person). */
  async lockUser(tx: Queryable, userId: string): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`notifications:${userId}`}, 0))`.execute(tx);
  }

  // ---- push subscriptions --------------------------------------------------------------------------------------

  /** Adds a subscription; the same endpoint subscribed again (by anyone of the organization) replaces the old row. */
  async upsertPushSubscription(tx: Queryable, row: { id: string; orgId: string; userId: string; keyId: string; subscriptionCt: Buffer; endpointBidx: Buffer; endpointOrigin: string }): Promise<string> {
    await tx.deleteFrom('push_subscriptions').where('org_id', '=', row.orgId).where('endpoint_bidx', '=', row.endpointBidx).execute();
    await tx
      .insertInto('push_subscriptions')
      .values({ id: row.id, org_id: row.orgId, user_id: row.userId, key_id: row.keyId, subscription_ct: row.subscriptionCt, endpoint_bidx: row.endpointBidx, endpoint_origin: row.endpointOrigin })
      .execute();
    return row.id;
  }

  pushSubscriptions(orgId: string, userId: string, tx: Queryable = this.db) {
    return tx.selectFrom('push_subscriptions').selectAll().where('org_id', '=', orgId).where('user_id', '=', userId).orderBy('created_at').execute();
  }

  pushSubscription(orgId: string, id: string) {
    return this.db.selectFrom('push_subscriptions').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  }

  async deletePushSubscription(orgId: string, id: string, userId?: string): Promise<boolean> {
    let q = this.db.deleteFrom('push_subscriptions').where('org_id', '=', orgId).where('id', '=', id);
    if (userId) q = q.where('user_id', '=', userId);
    const res = await q.executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async pushSucceeded(id: string): Promise<void> {
    await this.db.updateTable('push_subscriptions').set({ last_success_at: new Date() }).where('id', '=', id).execute();
  }

  vapidKeys() {
    return this.db.selectFrom('vapid_keys').selectAll().where('id', '=', 'default').executeTakeFirst();
  }

  async insertVapidKeys(row: { publicKey: string; privateKeyCt: Buffer; masterKeyId: string }): Promise<void> {
    await this.db
      .insertInto('vapid_keys')
      .values({ id: 'default', public_key: row.publicKey, private_key_ct: row.privateKeyCt, master_key_id: row.masterKeyId })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  // ---- items and notifications ---------------------------------------------------------------------------------

  /** Records messages to notify about; rows that exist already (a replay) are left alone. Returns the new ones. */
  async insertItems(tx: Queryable, items: ItemInsert[]): Promise<{ user_id: string; due_at: Date }[]> {
    if (items.length === 0) return [];
    return tx
      .insertInto('notification_items')
      .values(items.map((i) => ({ message_id: i.messageId, user_id: i.userId, org_id: i.orgId, thread_id: i.threadId, message_at: i.messageAt, due_at: i.dueAt })))
      .onConflict((oc) => oc.columns(['message_id', 'user_id']).doNothing())
      .returning(['user_id', 'due_at'])
      .execute();
  }

  /**
   * Page items: a pending item per user about this message, due now (an earlier item about the same message is
   * made pending again; an urgent page stays urgent).
   */
  async upsertPageItems(tx: Queryable, items: ItemInsert[], urgent: boolean): Promise<void> {
    if (items.length === 0) return;
    await tx
      .insertInto('notification_items')
      .values(items.map((i) => ({ message_id: i.messageId, user_id: i.userId, org_id: i.orgId, thread_id: i.threadId, message_at: i.messageAt, due_at: i.dueAt, urgent })))
      .onConflict((oc) =>
        oc.columns(['message_id', 'user_id']).doUpdateSet((eb) => ({
          state: 'pending',
          reason: null,
          due_at: eb.ref('excluded.due_at'),
          urgent: sql<boolean>`notification_items.urgent OR excluded.urgent`,
        })),
      )
      .execute();
  }

  /** The latest message of a patient thread written by the patient (what a page is about). */
  latestPatientMessage(orgId: string, threadId: string) {
    return this.db
      .selectFrom('messages')
      .select(['id', 'created_at'])
      .where('org_id', '=', orgId)
      .where('thread_id', '=', threadId)
      .where('sender_role', '=', 'patient')
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  pendingItems(tx: Queryable, orgId: string, userId: string) {
    return tx
      .selectFrom('notification_items')
      .select(['message_id', 'thread_id', 'due_at', 'urgent'])
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .where('state', '=', 'pending')
      .orderBy('due_at')
      .execute();
  }

  async settleItems(tx: Queryable, userId: string, messageIds: string[], state: 'notified' | 'skipped', reason: string | null, notificationId: string | null): Promise<void> {
    if (messageIds.length === 0) return;
    await tx
      .updateTable('notification_items')
      .set({ state, reason, notification_id: notificationId })
      .where('user_id', '=', userId)
      .where('message_id', 'in', messageIds)
      .where('state', '=', 'pending')
      .execute();
  }

  async insertNotification(tx: Queryable, n: { id: string; orgId: string; userId: string; messages: number; channels: NotificationChannel[]; at: Date }): Promise<void> {
    await tx.insertInto('notifications').values({ id: n.id, org_id: n.orgId, user_id: n.userId, messages: n.messages, channels: sql`${n.channels}::text[]` as never, created_at: n.at }).execute();
  }

  notification(id: string, tx: Queryable = this.db) {
    return tx.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirst();
  }

  // ---- delivery attempts ---------------------------------------------------------------------------------------

  async attemptExists(notificationId: string, channel: NotificationChannel, targetId: string | null, attempt: number): Promise<boolean> {
    let q = this.db.selectFrom('notification_attempts').select('id').where('notification_id', '=', notificationId).where('channel', '=', channel).where('attempt', '=', attempt);
    q = targetId ? q.where('target_id', '=', targetId) : q.where('target_id', 'is', null);
    return (await q.executeTakeFirst()) !== undefined;
  }

  async insertAttempt(tx: Queryable, a: AttemptInsert): Promise<boolean> {
    const res = await sql<{ id: string }>`
      INSERT INTO notification_attempts (id, org_id, notification_id, user_id, channel, target_id, attempt, status, next_retry_at, response_code, error_class)
      VALUES (${a.id}, ${a.orgId}, ${a.notificationId}, ${a.userId}, ${a.channel}, ${a.targetId}, ${a.attempt}, ${a.status}, ${a.nextRetryAt}, ${a.responseCode}, ${a.errorClass})
      ON CONFLICT DO NOTHING RETURNING id`.execute(tx);
    return res.rows.length === 1;
  }

  attempts(f: AttemptFilter) {
    // Positions in whole microseconds, PostgreSQL's own precision, so rows in the same millisecond are never skipped.
    const micros = sql<string>`(extract(epoch from created_at) * 1000000)::bigint`;
    let q = this.db.selectFrom('notification_attempts').selectAll().select(micros.as('at_us')).where('org_id', '=', f.orgId);
    if (f.userId) q = q.where('user_id', '=', f.userId);
    if (f.channel) q = q.where('channel', '=', f.channel);
    if (f.status) q = q.where('status', '=', f.status);
    if (f.from) q = q.where('created_at', '>=', f.from);
    if (f.to) q = q.where('created_at', '<', f.to);
    if (f.before) q = q.where(sql<boolean>`(${micros}, id) < (${f.before.micros}::bigint, ${f.before.id}::uuid)`);
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
  }
}
