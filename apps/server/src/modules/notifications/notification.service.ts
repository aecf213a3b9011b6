import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Static } from 'typebox';
import type { ConsentChannel, NotificationAttempt, NotificationAttemptQuery, NotificationPreferences, NotificationPreferencesUpdate, PushSubscription, PushSubscriptionCreate } from '@haven/api';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { NotificationPreferencesTable } from '../../platform/db/schema.js';
import type { RequestContext } from '../../platform/http/context.js';
import { decodeTimeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { AppError, notFound } from '../../platform/http/errors.js';
import { verifyHmacSignature, verifyTwilioSignature } from '../../platform/notify/sms-sender.js';
import type { AuditService } from '../audit/audit.service.js';
import type { MessageCreatedEvent } from '../messages/message.service.js';
import type { OrganizationService } from '../organization/organization.service.js';
import { isClinical } from '../policy/policy.js';
import type { ThreadAudience, ThreadService } from '../threads/thread.service.js';
import type { UserRecord, UserService } from '../users/user.service.js';
import { normalizePhone, type NotificationContacts } from './notification.contacts.js';
import { FLUSH_JOB, flushKey, type DirectNotification, type NotificationDispatcher } from './notification.dispatch.js';
import { NO_WORKFLOW, NOBODY_CONNECTED, type PresenceLookup, type ThreadWorkflowLookup } from './notification.ports.js';
import type { NotificationStore, PreferencesRow } from './notification.store.js';
import { fromHhMm, isValidTimeZone, toHhMm } from './quiet-hours.js';
import type { Updateable } from 'kysely';

type Prefs = Static<typeof NotificationPreferences>;
type Attempt = Static<typeof NotificationAttempt>;

export interface NotificationServiceSettings {
  /** Wait this long after a message before notifying (recipients who read it meanwhile get nothing). */
  delayMs: number;
  defaultBatchWindowS: number;
  /** Push endpoints must be https on one of these hosts (or a subdomain). */
  pushHosts: readonly string[];
  sms: { configured: boolean; webhookAuth: 'hmac' | 'twilio'; webhookSecret?: string; authToken?: string; webhookUrl: string };
}

const STOP_WORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']);
const START_WORDS = new Set(['START', 'UNSTOP']);

/**
 * Notifications: who is told that a message is waiting, on which channels, when, and with whose consent.
 * Scheduling is idempotent per message and recipient (`messagesCreated` may be called again for the same
 * messages, e.g. by an outbox relay after a crash). Sending happens in jobs (NotificationDispatcher).
 */
export class NotificationService {
  private presence: PresenceLookup = NOBODY_CONNECTED;
  private workflow: ThreadWorkflowLookup = NO_WORKFLOW;
  private log: Logger | undefined;
  constructor(
    private readonly db: Db,
    private readonly store: NotificationStore,
    private readonly dispatcher: NotificationDispatcher,
    private readonly threads: ThreadService,
    private readonly users: UserService,
    private readonly orgs: OrganizationService,
    private readonly audit: AuditService,
    private readonly contacts: NotificationContacts,
    private readonly settings: NotificationServiceSettings,
  ) {}

  /** The live-events work plugs its presence in here; until then nobody counts as connected. */
  usePresence(presence: PresenceLookup): void {
    this.presence = presence;
  }

  /** The workflow work (assignment, urgency) plugs in here; until then no thread is assigned or urgent. */
  useWorkflow(workflow: ThreadWorkflowLookup): void {
    this.workflow = workflow;
  }

  connectedUsers(userIds: string[]): Promise<Set<string>> {
    return this.presence.connectedUsers(userIds);
  }

  setLogger(log: Logger): void {
    this.log = log;
    this.dispatcher.log = log;
  }

  // ---- trigger ---------------------------------------------------------------------------------------------------

  /**
   * Schedules notifications for stored messages: for each recipient (patient and care-team staff of a patient
   * thread, participants of an internal thread; never the sender; staff per their settings) one item, due after the
   * configured delay, and the recipient's flush job. Safe to call again with the same events (nothing is scheduled
   * twice) and from a relay after commit.
   */
  async messagesCreated(events: MessageCreatedEvent[]): Promise<void> {
    if (events.length === 0) return;
    const threadKeys = [...new Map(events.map((e) => [`${e.orgId}|${e.threadId}`, e])).values()];
    const audiences = await this.threads.audiences(threadKeys);
    const staffFilter = await this.staffFilter(threadKeys.map((e) => ({ orgId: e.orgId, threadId: e.threadId, audience: audiences.get(`${e.orgId}|${e.threadId}`) })));
    const items = events.flatMap((e) => {
      const a = audiences.get(`${e.orgId}|${e.threadId}`);
      if (!a) return [];
      // An internal note never notifies the patient.
      const recipients =
        a.kind === 'patient'
          ? [...(a.patientId && !e.internal ? [a.patientId] : []), ...a.careTeamIds.filter((s) => staffFilter(e.orgId, e.threadId, s))]
          : a.participantIds;
      const createdAt = new Date(e.createdAt);
      return [...new Set(recipients)]
        .filter((u) => u !== e.senderId)
        .map((userId) => ({ messageId: e.messageId, userId, orgId: e.orgId, threadId: e.threadId, messageAt: createdAt, dueAt: new Date(createdAt.getTime() + this.settings.delayMs) }));
    });
    await this.schedule(items);
  }

  /**
   * Schedules a notification for each user mentioned in an internal message (whatever their thread settings say:
   * a mention is addressed to them), with the same delay, batching and content-free text as any other. Idempotent
   * like `messagesCreated`; a mentioned user who is a recipient of the message anyway gets one item, not two.
   */
  async mentioned(events: { orgId: string; threadId: string; messageId: string; userId: string; senderId: string; createdAt: Date }[]): Promise<void> {
    await this.schedule(
      events
        .filter((e) => e.userId !== e.senderId)
        .map((e) => ({ messageId: e.messageId, userId: e.userId, orgId: e.orgId, threadId: e.threadId, messageAt: e.createdAt, dueAt: new Date(e.createdAt.getTime() + this.settings.delayMs) })),
    );
  }

  /** Stores notification items (once per message and user) and each recipient's flush job. */
  private async schedule(items: { messageId: string; userId: string; orgId: string; threadId: string; messageAt: Date; dueAt: Date }[]): Promise<void> {
    if (items.length === 0) return;
    // Rows and job keys in one order everywhere, so concurrent scheduling transactions (several nodes) never deadlock.
    items.sort((x, y) => (x.userId === y.userId ? x.messageId.localeCompare(y.messageId) : x.userId.localeCompare(y.userId)));
    const orgOf = new Map(items.map((i) => [i.userId, i.orgId]));
    await this.db.transaction().execute(async (tx) => {
      const inserted = await this.store.insertItems(tx, items);
      const firstDue = new Map<string, Date>();
      for (const row of inserted) {
        const prev = firstDue.get(row.user_id);
        if (!prev || row.due_at < prev) firstDue.set(row.user_id, row.due_at);
      }
      // One flush job per recipient; if one is already waiting it keeps its (earlier or deferred) time: batching.
      const jobs = [...firstDue].sort(([a], [b]) => a.localeCompare(b)).map(([userId, at]) => ({ orgId: orgOf.get(userId)!, userId, at }));
      await this.dispatcher.scheduleMany(tx, jobs, 'preserve_run_at');
    });
  }

  /**
   * Pages staff about a thread (SLA reminders, escalations, crisis alerts): one content-free notification about the
   * thread's latest patient message. `urgent` pages (crisis) ignore quiet hours, batching and open sockets: every
   * channel the person allows, day or night.
   */
  async page(p: { orgId: string; threadId: string; userIds: string[]; urgent: boolean }): Promise<void> {
    if (p.userIds.length === 0) return;
    const latest = await this.store.latestPatientMessage(p.orgId, p.threadId);
    if (!latest) return;
    const now = new Date();
    const userIds = [...new Set(p.userIds)].sort();
    await this.db.transaction().execute(async (tx) => {
      await this.store.upsertPageItems(tx, userIds.map((userId) => ({ messageId: latest.id, userId, orgId: p.orgId, threadId: p.threadId, messageAt: latest.created_at, dueAt: now })), p.urgent);
      await this.dispatcher.scheduleMany(tx, userIds.map((userId) => ({ orgId: p.orgId, userId, at: now })), 'replace');
    });
  }

  /**
   * 0011: a content-free notification to one user about something other than one message: a follow-up reminder to
   * the staff member who set it (`reminder`) or a nudge to a patient that a message waits for them (`waiting`).
   * Scheduled inside the caller's transaction; sent once per `ref`, on the user's channels, outside quiet hours,
   * unless the user is connected (the live event reached them).
   */
  notifyUser(tx: Queryable, n: DirectNotification): Promise<void> {
    return this.dispatcher.scheduleDirect(tx, n);
  }

  /** Staff of patient threads are notified per their settings: all care-team threads, assigned ones, urgent ones. */
  private async staffFilter(threads: { orgId: string; threadId: string; audience: ThreadAudience | undefined }[]) {
    const wanted = new Map<string, boolean>();
    const byOrg = new Map<string, typeof threads>();
    for (const t of threads) if (t.audience?.kind === 'patient') byOrg.set(t.orgId, [...(byOrg.get(t.orgId) ?? []), t]);
    for (const [orgId, list] of byOrg) {
      const staffIds = [...new Set(list.flatMap((t) => t.audience!.careTeamIds))];
      const prefs = new Map((await this.store.preferencesOf(orgId, staffIds)).map((p) => [p.user_id, p]));
      // Assignment and urgency matter only to someone who turned off notifications for all their care-team threads.
      const needFlags = staffIds.some((s) => prefs.get(s)?.notify_care_team === false);
      const flags = needFlags ? await this.workflow.flags(orgId, list.map((t) => t.threadId)) : new Map<string, { assigneeIds: string[]; urgent: boolean }>();
      for (const t of list) {
        const f = flags.get(t.threadId);
        for (const s of t.audience!.careTeamIds) {
          const p = prefs.get(s);
          const yes = (p?.notify_care_team ?? true) || ((p?.notify_assigned ?? true) && (f?.assigneeIds.includes(s) ?? false)) || ((p?.notify_urgent ?? true) && (f?.urgent ?? false));
          wanted.set(`${orgId}|${t.threadId}|${s}`, yes);
        }
      }
    }
    return (orgId: string, threadId: string, staffId: string): boolean => wanted.get(`${orgId}|${threadId}|${staffId}`) ?? false;
  }

  // ---- preferences and consent -----------------------------------------------------------------------------------

  private async self(ctx: RequestContext): Promise<UserRecord> {
    const user = await this.users.byId(ctx.actor.orgId, ctx.actor.userId);
    if (!user) throw notFound('user');
    return user;
  }

  async preferences(ctx: RequestContext): Promise<Prefs> {
    const user = await this.self(ctx);
    const out = await this.present(user);
    await this.audit.recordFor(this.db, ctx, { action: 'notifications.preferences.get', resourceType: 'user', resourceId: user.id, patientId: user.role === 'patient' ? user.id : null });
    return out;
  }

  async updatePreferences(ctx: RequestContext, input: Static<typeof NotificationPreferencesUpdate>): Promise<Prefs> {
    const user = await this.self(ctx);
    if (input.staff && !isClinical(user.role)) {
      throw new AppError('validation_failed', 'Thread settings apply to providers and staff', { errors: [{ path: '/body/staff', message: 'not for this role' }] });
    }
    if (input.quietHours && !isValidTimeZone(input.quietHours.timeZone)) {
      throw new AppError('validation_failed', 'Unknown time zone', { errors: [{ path: '/body/quietHours/timeZone', message: 'not an IANA time zone' }] });
    }
    let phone: string | null | undefined;
    if (input.smsPhone !== undefined) {
      phone = input.smsPhone === null ? null : normalizePhone(input.smsPhone);
      if (phone === null && input.smsPhone !== null) {
        throw new AppError('validation_failed', 'Give the number in international format, e.g. +1 555 0100', { errors: [{ path: '/body/smsPhone', message: 'not an E.164 number' }] });
      }
    }
    await this.db.transaction().execute(async (tx) => {
      await this.store.lockUser(tx, user.id);
      const current = await this.store.preferences(user.org_id, user.id, tx);
      const set: Updateable<NotificationPreferencesTable> = {};
      if (input.channels?.push !== undefined) set.push_enabled = input.channels.push;
      if (input.channels?.email !== undefined) set.email_enabled = input.channels.email;
      if (input.channels?.sms !== undefined) set.sms_enabled = input.channels.sms;
      if (input.email !== undefined) set.email_ct = input.email === null ? null : await this.contacts.sealField(user.key_id, user.org_id, user.id, 'email', input.email.trim(), tx);
      let withdrew = false;
      if (phone !== undefined) {
        const before = await this.contacts.openField(user.key_id, user.org_id, user.id, 'sms_phone', current?.sms_phone_ct ?? null);
        set.sms_phone_ct = phone === null ? null : await this.contacts.sealField(user.key_id, user.org_id, user.id, 'sms_phone', phone, tx);
        set.sms_phone_bidx = phone === null ? null : await this.contacts.phoneIndex(user.org_id, phone, tx);
        // Consent to texts is consent for a number: a new number needs it again.
        if (before !== phone && current?.sms_consent) {
          set.sms_consent = false;
          withdrew = true;
        }
      }
      if (input.quietHours !== undefined) {
        set.quiet_start = input.quietHours === null ? null : fromHhMm(input.quietHours.start);
        set.quiet_end = input.quietHours === null ? null : fromHhMm(input.quietHours.end);
        if (input.quietHours) set.time_zone = input.quietHours.timeZone;
      }
      if (input.batchWindowMinutes !== undefined) set.batch_window_s = Math.round(input.batchWindowMinutes * 60);
      if (input.staff?.assignedThreads !== undefined) set.notify_assigned = input.staff.assignedThreads;
      if (input.staff?.urgentThreads !== undefined) set.notify_urgent = input.staff.urgentThreads;
      if (input.staff?.careTeamThreads !== undefined) set.notify_care_team = input.staff.careTeamThreads;
      await this.store.upsertPreferences(tx, user.org_id, user.id, this.settings.defaultBatchWindowS, set);
      await this.audit.recordFor(tx, ctx, {
        action: 'notifications.preferences.update',
        resourceType: 'user',
        resourceId: user.id,
        patientId: user.role === 'patient' ? user.id : null,
        details: { fields: Object.keys(input).sort().join(',') },
      });
      if (withdrew) await this.recordConsent(tx, user, 'sms', false, 'user', ctx);
      // New quiet hours or window: look at waiting messages again now (the flush job re-decides).
      if ((await this.store.pendingItems(tx, user.org_id, user.id)).length > 0) await this.dispatcher.schedule(tx, user.org_id, user.id, new Date());
    });
    return this.present(user);
  }

  async updateConsent(ctx: RequestContext, channel: Static<typeof ConsentChannel>, given: boolean): Promise<Prefs> {
    const user = await this.self(ctx);
    await this.db.transaction().execute(async (tx) => {
      await this.store.lockUser(tx, user.id);
      await this.store.upsertPreferences(tx, user.org_id, user.id, this.settings.defaultBatchWindowS, channel === 'email' ? { email_consent: given } : { sms_consent: given });
      await this.recordConsent(tx, user, channel, given, 'user', ctx);
    });
    return this.present(user);
  }

  /** Every consent change: a history row and an audit event, in the caller's transaction. */
  private async recordConsent(tx: Queryable, user: UserRecord, channel: 'email' | 'sms', given: boolean, source: 'user' | 'sms_reply', ctx?: RequestContext): Promise<void> {
    await this.store.insertConsent(tx, { id: randomUUID(), org_id: user.org_id, user_id: user.id, channel, given, source, actor_id: ctx?.actor.userId ?? null, at: new Date() });
    const event = {
      action: 'notifications.consent.update',
      resourceType: 'user',
      resourceId: user.id,
      patientId: user.role === 'patient' ? user.id : null,
      details: { channel, given, source },
    };
    if (ctx) await this.audit.recordFor(tx, ctx, event);
    else await this.audit.record(tx, { ...event, orgId: user.org_id });
  }

  private async present(user: UserRecord): Promise<Prefs> {
    const [row, consents, subs] = await Promise.all([
      this.store.preferences(user.org_id, user.id),
      this.store.latestConsents(user.org_id, user.id),
      this.store.pushSubscriptions(user.org_id, user.id),
    ]);
    const consent = (channel: 'email' | 'sms', given: boolean) => {
      const last = consents.find((c) => c.channel === channel);
      return { given, at: last ? last.at.toISOString() : null, source: last ? last.source : null };
    };
    const p: Partial<PreferencesRow> = row ?? {};
    return {
      channels: { push: p.push_enabled ?? true, email: p.email_enabled ?? true, sms: p.sms_enabled ?? true },
      consent: { email: consent('email', p.email_consent ?? false), sms: consent('sms', p.sms_consent ?? false) },
      email: await this.contacts.openField(user.key_id, user.org_id, user.id, 'email', p.email_ct ?? null),
      smsPhone: await this.contacts.openField(user.key_id, user.org_id, user.id, 'sms_phone', p.sms_phone_ct ?? null),
      quietHours: p.quiet_start != null && p.quiet_end != null ? { start: toHhMm(p.quiet_start), end: toHhMm(p.quiet_end), timeZone: p.time_zone ?? 'UTC' } : null,
      batchWindowMinutes: (p.batch_window_s ?? this.settings.defaultBatchWindowS) / 60,
      staff: isClinical(user.role) ? { assignedThreads: p.notify_assigned ?? true, urgentThreads: p.notify_urgent ?? true, careTeamThreads: p.notify_care_team ?? true } : null,
      pushSubscriptions: subs.length,
    };
  }

  // ---- Web Push --------------------------------------------------------------------------------------------------

  async pushPublicKey(): Promise<{ publicKey: string }> {
    return { publicKey: (await this.dispatcher.vapidKeys()).publicKey };
  }

  async subscribePush(ctx: RequestContext, input: Static<typeof PushSubscriptionCreate>): Promise<Static<typeof PushSubscription>> {
    const user = await this.self(ctx);
    const origin = this.checkEndpoint(input.endpoint);
    const id = randomUUID();
    await this.db.transaction().execute(async (tx) => {
      await this.store.upsertPushSubscription(tx, {
        id,
        orgId: user.org_id,
        userId: user.id,
        keyId: user.key_id,
        subscriptionCt: await this.contacts.sealSubscription(user.key_id, user.org_id, id, { endpoint: input.endpoint, keys: input.keys }, tx),
        endpointBidx: await this.contacts.endpointIndex(user.org_id, input.endpoint, tx),
        endpointOrigin: origin,
      });
      await this.audit.recordFor(tx, ctx, { action: 'notifications.push.subscribe', resourceType: 'push_subscription', resourceId: id, details: { origin } });
    });
    const row = await this.store.pushSubscription(user.org_id, id);
    return presentSubscription(row!);
  }

  /** Subscriptions must be https and point at a browser push service (the server POSTs to them: no SSRF). */
  private checkEndpoint(endpoint: string): string {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw invalidEndpoint('not a URL');
    }
    if (url.protocol !== 'https:') throw invalidEndpoint('push endpoints must be https');
    if (url.username || url.password) throw invalidEndpoint('credentials are not allowed in the endpoint');
    const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
    if (!this.settings.pushHosts.some((h) => host === h || host.endsWith(`.${h}`))) throw invalidEndpoint('not a known push service');
    return url.origin;
  }

  async listPush(ctx: RequestContext): Promise<{ items: Static<typeof PushSubscription>[] }> {
    const rows = await this.store.pushSubscriptions(ctx.actor.orgId, ctx.actor.userId);
    return { items: rows.map(presentSubscription) };
  }

  async unsubscribePush(ctx: RequestContext, id: string): Promise<{ ok: true }> {
    if (!(await this.store.deletePushSubscription(ctx.actor.orgId, id, ctx.actor.userId))) throw notFound('subscription');
    await this.audit.recordFor(this.db, ctx, { action: 'notifications.push.unsubscribe', resourceType: 'push_subscription', resourceId: id });
    return { ok: true };
  }

  // ---- SMS replies -----------------------------------------------------------------------------------------------

  /**
   * The SMS provider's webhook for replies: STOP (and its synonyms) withdraws SMS consent of every user with that
   * number at once, START gives it again; both recorded and audited. The request must carry a valid signature.
   */
  async smsInbound(body: Record<string, string>, rawBody: Buffer | undefined, headers: Record<string, string | string[] | undefined>): Promise<{ ok: true }> {
    const s = this.settings.sms;
    if (!s.configured) throw notFound('endpoint');
    const header = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const valid =
      s.webhookAuth === 'twilio'
        ? Boolean(s.authToken) && verifyTwilioSignature(s.authToken!, s.webhookUrl, body, header('x-twilio-signature'))
        : Boolean(s.webhookSecret) && rawBody !== undefined && verifyHmacSignature(s.webhookSecret!, rawBody, header('x-haven-signature'));
    if (!valid) {
      this.log?.warn({ op: 'notifications.sms.inbound' }, 'SMS webhook with a missing or wrong signature refused');
      throw new AppError('invalid_signature');
    }
    const word = (body.Body ?? '').trim().split(/\s+/)[0]?.toUpperCase() ?? '';
    const given = STOP_WORDS.has(word) ? false : START_WORDS.has(word) ? true : undefined;
    const phone = normalizePhone(body.From ?? '');
    if (given === undefined || !phone) return { ok: true };
    // The provider's number serves the whole installation: the reply applies in every organization that has it.
    for (const org of await this.orgs.all()) {
      const bidx = await this.contacts.phoneIndex(org.id, phone);
      const rows = await this.store.usersBySmsPhone(org.id, bidx);
      for (const r of rows) {
        const user = await this.users.byId(org.id, r.user_id);
        if (!user) continue;
        await this.db.transaction().execute(async (tx) => {
          await this.store.lockUser(tx, user.id);
          await this.store.upsertPreferences(tx, org.id, user.id, this.settings.defaultBatchWindowS, { sms_consent: given });
          await this.recordConsent(tx, user, 'sms', given, 'sms_reply');
        });
      }
    }
    return { ok: true };
  }

  // ---- delivery attempts (admins) ----------------------------------------------------------------------------------

  async attempts(ctx: RequestContext, q: Static<typeof NotificationAttemptQuery>): Promise<{ items: Attempt[]; nextCursor: string | null }> {
    if (ctx.actor.role !== 'admin') throw new AppError('forbidden', 'Only practice admins see delivery attempts');
    const limit = q.limit ?? 50;
    let before: { micros: string; id: string } | undefined;
    if (q.cursor) {
      const { micros, id } = decodeTimeCursor(q.cursor);
      before = { micros: micros!, id: id! };
    }
    const rows = await this.store.attempts({
      orgId: ctx.actor.orgId,
      userId: q.userId,
      channel: q.channel,
      status: q.status,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      before,
      limit,
    });
    await this.audit.recordFor(this.db, ctx, { action: 'notifications.attempts.list', resourceType: 'notification_attempt', details: { returned: rows.length, ...(q.userId ? { filterUser: q.userId } : {}) } });
    const last = rows[rows.length - 1];
    return {
      items: rows.map((r) => ({
        id: r.id,
        notificationId: r.notification_id,
        userId: r.user_id,
        channel: r.channel,
        attempt: r.attempt,
        status: r.status,
        nextRetryAt: r.next_retry_at ? r.next_retry_at.toISOString() : null,
        responseCode: r.response_code,
        errorClass: r.error_class,
        createdAt: r.created_at.toISOString(),
      })),
      nextCursor: rows.length === limit && last ? encodeCursor(`${last.at_us}_${last.id}`) : null,
    };
  }
}

function presentSubscription(r: { id: string; endpoint_origin: string; created_at: Date; last_success_at: Date | null }): Static<typeof PushSubscription> {
  return { id: r.id, endpointOrigin: r.endpoint_origin, createdAt: r.created_at.toISOString(), lastSuccessAt: r.last_success_at ? r.last_success_at.toISOString() : null };
}

const invalidEndpoint = (message: string) => new AppError('validation_failed', `Invalid push subscription: ${message}`, { errors: [{ path: '/body/endpoint', message }] });

export { FLUSH_JOB, flushKey };
