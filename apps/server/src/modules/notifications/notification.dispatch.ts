import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { NotificationChannel } from '../../platform/db/schema.js';
import type { Db, Queryable } from '../../platform/db/database.js';
import { aad } from '../../platform/crypto/aead.js';
import type { KeyProvider } from '../../platform/crypto/key-provider.js';
import { backoffDelay, type JobQueue } from '../../platform/jobs/job-queue.js';
import { DeliveryError } from '../../platform/notify/delivery-error.js';
import type { EmailSender } from '../../platform/notify/email-sender.js';
import type { SmsSender } from '../../platform/notify/sms-sender.js';
import { generateVapidKeys, type PushSender, type VapidKeys } from '../../platform/notify/web-push-sender.js';
import type { AuditService } from '../audit/audit.service.js';
import type { MessageService } from '../messages/message.service.js';
import type { OrganizationService } from '../organization/organization.service.js';
import type { UserService } from '../users/user.service.js';
import { renderNotification, type NotificationTemplate } from './notification.content.js';
import { sha256 } from '../../platform/crypto/hash.js';
import type { NotificationContacts } from './notification.contacts.js';
import type { PresenceLookup } from './notification.ports.js';
import type { NotificationStore, PreferencesRow } from './notification.store.js';
import { quietUntil } from './quiet-hours.js';

export const FLUSH_JOB = 'notifications.flush';
export const DELIVER_JOB = 'notifications.deliver';
/** 0011: one content-free notification to one user that is not about one message (follow-up reminders, nudges). */
export const DIRECT_JOB = 'notifications.direct';
/** One waiting flush job per recipient: new messages join it (batching), deferrals move it. */
export const flushKey = (userId: string): string => `notifications:flush:${userId}`;

export interface Channels {
  email: EmailSender | null;
  sms: SmsSender | null;
  push: PushSender;
}

export interface DispatchSettings {
  /** Default batching window of users without preferences, in seconds. */
  defaultBatchWindowS: number;
  appUrl: string;
  maxAttempts: number;
  retry: { baseMs: number; maxMs: number };
}

interface DeliverPayload extends Record<string, unknown> {
  orgId: string;
  notificationId: string;
  userId: string;
  channel: NotificationChannel;
  targetId: string | null;
  attempt: number;
  /** Which fixed text (absent: a new message). */
  template?: NotificationTemplate;
}

/** A notification that is not about one message: who, which fixed text, and a reference that makes it happen once. */
export interface DirectNotification extends Record<string, unknown> {
  orgId: string;
  userId: string;
  template: Exclude<NotificationTemplate, 'message'>;
  /** Unique per notification (e.g. the follow-up's id): scheduling the same ref again sends nothing more. */
  ref: string;
}

interface Target {
  channel: NotificationChannel;
  targetId: string | null;
}

/**
 * The two jobs that turn scheduled items into notifications:
 * - flush (one per recipient, keyed): decides whether and when to notify, and creates one notification for every
 *   message that is due, unread and not retracted, outside quiet hours and the batching window;
 * - deliver (one per channel and target): sends the fixed template, records the attempt, retries with backoff.
 */
export class NotificationDispatcher {
  private vapid: Promise<VapidKeys> | undefined;
  log: Logger | undefined;

  constructor(
    private readonly db: Db,
    private readonly store: NotificationStore,
    private readonly queue: JobQueue,
    private readonly users: UserService,
    private readonly messages: MessageService,
    private readonly orgs: OrganizationService,
    private readonly audit: AuditService,
    private readonly contacts: NotificationContacts,
    private readonly keyProvider: KeyProvider,
    private readonly channels: Channels,
    private readonly settings: DispatchSettings,
    private readonly presence: () => PresenceLookup,
  ) {
    queue.define<{ orgId: string; userId: string }>({
      name: FLUSH_JOB,
      maxAttempts: 5,
      backoff: { baseMs: 5_000, maxMs: 300_000 },
      run: (p) => this.flush(p.orgId, p.userId),
    });
    queue.define<DirectNotification>({
      name: DIRECT_JOB,
      maxAttempts: 5,
      backoff: { baseMs: 5_000, maxMs: 300_000 },
      run: (p) => this.direct(p),
    });
    queue.define<DeliverPayload>({
      name: DELIVER_JOB,
      // Delivery failures are retried by deliver itself (recorded attempts); these are for failures around it.
      maxAttempts: 3,
      backoff: { baseMs: 5_000, maxMs: 60_000 },
      run: (p) => this.deliver(p),
    });
  }

  /** Schedules (or moves) the recipient's flush job. */
  schedule(tx: Queryable, orgId: string, userId: string, at: Date, keyMode: 'replace' | 'preserve_run_at' = 'replace'): Promise<void> {
    return this.scheduleMany(tx, [{ orgId, userId, at }], keyMode);
  }

  scheduleMany(tx: Queryable, jobs: { orgId: string; userId: string; at: Date }[], keyMode: 'replace' | 'preserve_run_at' = 'replace'): Promise<void> {
    return this.queue.enqueueMany(tx, FLUSH_JOB, jobs.map((j) => ({ payload: { orgId: j.orgId, userId: j.userId }, runAt: j.at, key: flushKey(j.userId) })), keyMode);
  }

  /** Schedules a direct notification inside the caller's transaction (it commits with the change that causes it). */
  scheduleDirect(tx: Queryable, n: DirectNotification, at?: Date): Promise<void> {
    return this.queue.enqueue(tx, DIRECT_JOB, n, { key: `notifications:direct:${n.ref}`, ...(at ? { runAt: at } : {}) });
  }

  /**
   * Sends a direct notification: to an active user who is not connected (a connected one got the live event), outside
   * their quiet hours (else at their end), on the channels they allow. Batching windows do not apply (these are rare
   * and each is its own reason to sign in). Idempotent per `ref`: its notification id is derived from it.
   */
  async direct(p: DirectNotification): Promise<void> {
    const now = new Date();
    const notificationId = directNotificationId(p.ref);
    await this.db.transaction().execute(async (tx) => {
      await this.store.lockUser(tx, p.userId);
      if (await this.store.notification(notificationId, tx)) return;
      const user = await this.users.byId(p.orgId, p.userId, tx);
      if (!user || user.status !== 'active') return;
      if ((await this.presence().connectedUsers([p.userId])).has(p.userId)) return;
      const prefs = await this.store.preferences(p.orgId, p.userId, tx);
      const quietEnd = quietUntil(now, prefs && prefs.quiet_start !== null && prefs.quiet_end !== null ? { start: prefs.quiet_start, end: prefs.quiet_end, timeZone: prefs.time_zone } : null);
      if (quietEnd) return this.scheduleDirect(tx, p, quietEnd);
      const targets = await this.targets(tx, p.orgId, p.userId, prefs);
      if (targets.length === 0) return;
      const channels = [...new Set(targets.map((t) => t.channel))];
      await this.store.insertNotification(tx, { id: notificationId, orgId: p.orgId, userId: p.userId, messages: 0, channels, at: now });
      await this.queue.enqueueMany(
        tx,
        DELIVER_JOB,
        targets.map((t) => ({
          payload: { orgId: p.orgId, notificationId, userId: p.userId, channel: t.channel, targetId: t.targetId, attempt: 1, template: p.template } satisfies DeliverPayload,
          key: deliverKey(notificationId, t, 1),
        })),
      );
      await this.audit.record(tx, {
        orgId: p.orgId,
        action: 'notifications.send',
        resourceType: 'notification',
        resourceId: notificationId,
        patientId: user.role === 'patient' ? p.userId : null,
        details: { userId: p.userId, messages: 0, template: p.template, channels: channels.join(',') },
      });
    });
  }

  /** The installation's VAPID key pair, created on first use; the private key is wrapped by the master key. */
  vapidKeys(): Promise<VapidKeys> {
    this.vapid ??= (async () => {
      let row = await this.store.vapidKeys();
      if (!row) {
        const keys = await generateVapidKeys();
        const wrapped = await this.keyProvider.wrap(Buffer.from(keys.privateKey, 'utf8'), aad('vapid', 'default'));
        await this.store.insertVapidKeys({ publicKey: keys.publicKey, privateKeyCt: wrapped, masterKeyId: this.keyProvider.keyId });
        row = await this.store.vapidKeys();
        if (!row) throw new Error('VAPID keys could not be stored');
      }
      const privateKey = (await this.keyProvider.unwrap(row.private_key_ct, aad('vapid', 'default'))).toString('utf8');
      return { publicKey: row.public_key, privateKey };
    })().catch((err: unknown) => {
      this.vapid = undefined;
      throw err;
    });
    return this.vapid;
  }

  // ---- flush: decide --------------------------------------------------------------------------------------------

  async flush(orgId: string, userId: string): Promise<void> {
    const now = new Date();
    await this.db.transaction().execute(async (tx) => {
      await this.store.lockUser(tx, userId);
      const pending = await this.store.pendingItems(tx, orgId, userId);
      if (pending.length === 0) return;
      const due = pending.filter((i) => i.due_at.getTime() <= now.getTime());
      const later = pending.filter((i) => i.due_at.getTime() > now.getTime());
      const nextLater = later[0]?.due_at;
      const settle = (ids: string[], state: 'notified' | 'skipped', reason: string | null, notificationId: string | null = null) =>
        this.store.settleItems(tx, userId, ids, state, reason, notificationId);
      const done = async () => {
        if (nextLater) await this.schedule(tx, orgId, userId, nextLater);
      };
      if (due.length === 0) return done();

      const user = await this.users.byId(orgId, userId, tx);
      if (!user || user.status !== 'active') {
        await settle(pending.map((i) => i.message_id), 'skipped', 'inactive');
        return;
      }
      const unread = new Set(await this.messages.unreadBy(orgId, userId, due.map((i) => i.message_id)));
      await settle(due.filter((i) => !unread.has(i.message_id)).map((i) => i.message_id), 'skipped', 'read');
      const toSend = due.filter((i) => unread.has(i.message_id)).map((i) => i.message_id);
      if (toSend.length === 0) return done();
      // An urgent page (a crisis alert) goes out now on every channel the person allows: open sockets, quiet hours
      // and the batching window do not hold it back.
      const urgent = due.some((i) => i.urgent && unread.has(i.message_id));
      if (!urgent && (await this.presence().connectedUsers([userId])).has(userId)) {
        await settle(toSend, 'skipped', 'connected');
        return done();
      }

      const prefs = await this.store.preferences(orgId, userId, tx);
      const quietEnd = urgent ? null : quietUntil(now, prefs && prefs.quiet_start !== null && prefs.quiet_end !== null ? { start: prefs.quiet_start, end: prefs.quiet_end, timeZone: prefs.time_zone } : null);
      if (quietEnd) return this.schedule(tx, orgId, userId, quietEnd);
      const windowMs = (prefs?.batch_window_s ?? this.settings.defaultBatchWindowS) * 1000;
      if (!urgent && prefs?.last_notified_at && windowMs > 0) {
        const windowEnd = new Date(prefs.last_notified_at.getTime() + windowMs);
        if (windowEnd > now) return this.schedule(tx, orgId, userId, windowEnd);
      }

      const targets = await this.targets(tx, orgId, userId, prefs);
      if (targets.length === 0) {
        await settle(toSend, 'skipped', 'no_channel');
        return done();
      }
      const notificationId = randomUUID();
      const channels = [...new Set(targets.map((t) => t.channel))];
      await this.store.insertNotification(tx, { id: notificationId, orgId, userId, messages: toSend.length, channels, at: now });
      await settle(toSend, 'notified', null, notificationId);
      await this.store.upsertPreferences(tx, orgId, userId, this.settings.defaultBatchWindowS, { last_notified_at: now });
      await this.queue.enqueueMany(
        tx,
        DELIVER_JOB,
        targets.map((t) => ({
          payload: { orgId, notificationId, userId, channel: t.channel, targetId: t.targetId, attempt: 1 } satisfies DeliverPayload,
          key: deliverKey(notificationId, t, 1),
        })),
      );
      await this.audit.record(tx, {
        orgId,
        action: 'notifications.send',
        resourceType: 'notification',
        resourceId: notificationId,
        patientId: user.role === 'patient' ? userId : null,
        details: { userId, messages: toSend.length, channels: channels.join(',') },
      });
      return done();
    });
  }

  /** The channels this user gets now: enabled, configured, with an address, and (e-mail, SMS) consented to. */
  private async targets(tx: Queryable, orgId: string, userId: string, prefs: PreferencesRow | undefined): Promise<Target[]> {
    const out: Target[] = [];
    if (prefs?.push_enabled ?? true) {
      for (const s of await this.store.pushSubscriptions(orgId, userId, tx)) out.push({ channel: 'push', targetId: s.id });
    }
    if (this.channels.email && prefs?.email_enabled && prefs.email_consent) out.push({ channel: 'email', targetId: null });
    if (this.channels.sms && prefs?.sms_enabled && prefs.sms_consent && prefs.sms_phone_ct) out.push({ channel: 'sms', targetId: null });
    return out;
  }

  // ---- deliver: send --------------------------------------------------------------------------------------------

  async deliver(p: DeliverPayload): Promise<void> {
    if (await this.store.attemptExists(p.notificationId, p.channel, p.targetId, p.attempt)) return;
    const notification = await this.store.notification(p.notificationId);
    if (!notification || notification.org_id !== p.orgId || notification.user_id !== p.userId) return;
    let responseCode: number | null = null;
    let failure: DeliveryError | undefined;
    try {
      responseCode = (await this.send(p)).responseCode;
    } catch (err) {
      if (err instanceof DeliveryError) failure = err;
      else {
        // Not the provider's answer (a decryption or database problem): recorded as such, retried like a transient error.
        this.log?.error({ notificationId: p.notificationId, channel: p.channel, err: { name: (err as Error).name } }, 'notification delivery failed unexpectedly');
        failure = new DeliveryError('internal_error', false);
      }
    }
    if (!failure) {
      await this.store.insertAttempt(this.db, { ...this.attemptBase(p), status: 'sent', nextRetryAt: null, responseCode, errorClass: null });
      if (p.channel === 'push' && p.targetId) await this.store.pushSucceeded(p.targetId);
      return;
    }
    if (p.channel === 'push' && p.targetId && failure.errorClass === 'subscription_gone') {
      await this.store.deletePushSubscription(p.orgId, p.targetId);
    }
    const retry = !failure.permanent && p.attempt < this.settings.maxAttempts;
    const nextRetryAt = retry ? new Date(Date.now() + backoffDelay(this.settings.retry, p.attempt)) : null;
    await this.db.transaction().execute(async (tx) => {
      const recorded = await this.store.insertAttempt(tx, { ...this.attemptBase(p), status: retry ? 'retrying' : 'failed', nextRetryAt, responseCode: failure.responseCode, errorClass: failure.errorClass });
      if (recorded && retry && nextRetryAt) {
        const next = { ...p, attempt: p.attempt + 1 };
        await this.queue.enqueueMany(tx, DELIVER_JOB, [{ payload: next, runAt: nextRetryAt, key: deliverKey(p.notificationId, p, next.attempt) }]);
      }
    });
    this.log?.warn({ notificationId: p.notificationId, channel: p.channel, attempt: p.attempt, errorClass: failure.errorClass, retry }, 'notification delivery failed');
  }

  private attemptBase(p: DeliverPayload) {
    return { id: randomUUID(), orgId: p.orgId, notificationId: p.notificationId, userId: p.userId, channel: p.channel, targetId: p.targetId, attempt: p.attempt };
  }

  /** Sends one channel's template; consent and settings are checked again now (a STOP stops SMS at once). */
  private async send(p: DeliverPayload): Promise<{ responseCode: number | null }> {
    const user = await this.users.byId(p.orgId, p.userId);
    if (!user || user.status !== 'active') throw new DeliveryError('user_inactive', true);
    const prefs = await this.store.preferences(p.orgId, p.userId);
    const content = renderNotification(await this.orgs.notificationSenderName(p.orgId), this.settings.appUrl, p.template ?? 'message');
    switch (p.channel) {
      case 'push': {
        if (prefs && !prefs.push_enabled) throw new DeliveryError('channel_disabled', true);
        const sub = p.targetId ? await this.store.pushSubscription(p.orgId, p.targetId) : undefined;
        if (!sub || sub.user_id !== p.userId) throw new DeliveryError('subscription_gone', true);
        const data = await this.contacts.openSubscription(sub.key_id, sub.org_id, sub.id, sub.subscription_ct);
        return this.channels.push.send(data, content.push, await this.vapidKeys());
      }
      case 'email': {
        if (!this.channels.email) throw new DeliveryError('not_configured', true);
        if (!prefs?.email_consent) throw new DeliveryError('consent_withdrawn', true);
        if (!prefs.email_enabled) throw new DeliveryError('channel_disabled', true);
        const to = (await this.contacts.openField(user.key_id, p.orgId, p.userId, 'email', prefs.email_ct)) ?? (await this.users.decryptIdentity(user)).email;
        if (!to) throw new DeliveryError('no_address', true);
        return this.channels.email.send({ to, subject: content.email.subject, text: content.email.text });
      }
      case 'sms': {
        if (!this.channels.sms) throw new DeliveryError('not_configured', true);
        if (!prefs?.sms_consent) throw new DeliveryError('consent_withdrawn', true);
        if (!prefs.sms_enabled) throw new DeliveryError('channel_disabled', true);
        const to = await this.contacts.openField(user.key_id, p.orgId, p.userId, 'sms_phone', prefs.sms_phone_ct);
        if (!to) throw new DeliveryError('no_address', true);
        return this.channels.sms.send(to, content.sms);
      }
    }
  }
}

const deliverKey = (notificationId: string, t: Target, attempt: number): string => `notifications:deliver:${notificationId}:${t.channel}:${t.targetId ?? '-'}:${attempt}`;

/** A direct notification's id, derived from its reference (a UUID-shaped SHA-256 prefix): the same ref, the same row. */
function directNotificationId(ref: string): string {
  const h = sha256(`haven-direct-notification|${ref}`).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
