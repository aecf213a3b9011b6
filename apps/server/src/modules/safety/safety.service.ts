import type { Static } from 'typebox';
import type { Expectations, Language, WorkflowSettings, WorkflowSettingsUpdate } from '@haven/api';
import type { Logger } from 'pino';
import type { Db } from '../../platform/db/database.js';
import { aad } from '../../platform/crypto/aead.js';
import { derivedUuid } from '../../platform/crypto/hash.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError } from '../../platform/http/errors.js';
import { localeOf, supportedLanguage } from '../../platform/i18n/languages.js';
import type { Clock } from '../../platform/time/clock.js';
import type { AuditService } from '../audit/audit.service.js';
import type { EventOutbox } from '../events/event.outbox.js';
import type { MessageWorkflow, MessageService } from '../messages/message.service.js';
import type { MessageWorkflowFacts } from '../messages/message.store.js';
import type { OrganizationService } from '../organization/organization.service.js';
import { can } from '../policy/policy.js';
import type { ThreadRecord, ThreadService } from '../threads/thread.service.js';
import type { UserService } from '../users/user.service.js';
import type { AvailabilityPort } from '../workflow/availability.port.js';
import type { RoutingStore } from '../workflow/routing.store.js';
import type { SlaPolicy } from '../workflow/sla.policy.js';
import { presentWorkflow, type StaffPager } from '../workflow/workflow.service.js';
import type { SafetyStore } from './safety.store.js';
import { DEFAULT_WORKFLOW_SETTINGS, fill, noOpeningText, settingsIn } from './safety.texts.js';
import type { CrisisMatch as DetectedCrisis } from '@haven/api';

/** A crisis match: which categories, under which lexicon version (never the matched words). */
export type CrisisMatch = Pick<DetectedCrisis, 'categories' | 'lexiconVersion'>;

/**
 * The crisis-language detector (rule-based lexicon, see docs/safety.md): the organization's lexicon (its overrides
 * merged onto the base) may have to be read, hence asynchronous. It should never throw; if it does, the message is
 * stored anyway.
 */
export interface CrisisDetector {
  /** `language`: the patient's; a language other than English adds its lexicon to the organization's English one. */
  detect(orgId: string, text: string, language: Language): Promise<CrisisMatch | null>;
}

type Facts = MessageWorkflowFacts & { match?: CrisisMatch | null; language?: Language };

const detailAad = (orgId: string, messageId: string) => aad('safety_alert', orgId, messageId);

/**
 * Safety and expectations around patient messages:
 * - before a patient message is stored: its due time (SLA), whether it matches the crisis lexicon (the thread becomes
 *   urgent in the same statement), whether the practice is closed;
 * - after commit: the crisis guidance reply at once, on-call paged on every channel they allow, day or night; or
 *   the off-hours automatic reply (once per closed period). Detection never blocks or fails a patient's message.
 */
export class SafetyService implements MessageWorkflow {
  log: Logger | undefined;
  private pager: StaffPager = { page: async () => undefined };
  private readonly running = new Set<Promise<void>>();
  private readonly timeFormats = new Map<string, Intl.DateTimeFormat>();

  constructor(
    private readonly db: Db,
    private readonly store: SafetyStore,
    private readonly routingStore: RoutingStore,
    private readonly messages: MessageService,
    private readonly threads: ThreadService,
    private readonly users: UserService,
    private readonly orgs: OrganizationService,
    private readonly keyring: Keyring,
    private readonly audit: AuditService,
    private readonly outbox: EventOutbox,
    private readonly sla: SlaPolicy,
    private readonly clock: Clock,
    private readonly availability: () => AvailabilityPort,
    private readonly detector: () => CrisisDetector | null,
  ) {}

  usePager(pager: StaffPager): void {
    this.pager = pager;
  }

  // ---- around a message -----------------------------------------------------------------------------------------

  async prepare(thread: ThreadRecord & { patient_language?: string | null }, sender: { userId: string; role: string }, body: string): Promise<Facts | null> {
    const at = this.clock.now();
    if (sender.role === 'provider' || sender.role === 'staff') return { at, dueAt: null, remindAt: null, crisis: false, offHours: false };
    if (sender.role !== 'patient') return null;
    const language = thread.patient_language !== undefined ? supportedLanguage(thread.patient_language) : await this.languageOf(thread.org_id, sender.userId);
    let match: CrisisMatch | null = null;
    try {
      match = (await this.detector()?.detect(thread.org_id, body, language)) ?? null;
    } catch (err) {
      // Detection must never stop a patient's message; the failure is logged without content.
      this.log?.error({ err: { name: (err as Error).name }, threadId: thread.id }, 'crisis detection failed');
    }
    const priority = match ? 'urgent' : thread.priority;
    const avail = this.availability();
    const [due, open] = await Promise.all([this.sla.dueFor(thread.org_id, thread.department_id, thread.topic, priority, at), avail.isOpen(thread.org_id, thread.department_id, at)]);
    return { at, dueAt: due.dueAt, remindAt: due.remindAt, crisis: match !== null, offHours: !open, match, language };
  }

  /** The language a person reads Haven in (their automatic replies follow it). */
  private async languageOf(orgId: string, userId: string | null): Promise<Language> {
    return supportedLanguage(userId ? (await this.users.byId(orgId, userId))?.language : null);
  }

  committed(m: { thread: ThreadRecord; messageId: string; senderRole: string; facts: Facts }): void {
    if (m.senderRole !== 'patient') return;
    if (!m.facts.crisis && !m.facts.offHours) return;
    const language = m.facts.language ?? 'en';
    const run = (m.facts.crisis ? this.handleCrisis(m.thread, m.messageId, m.facts.match ?? null, m.facts.at, language) : this.offHoursReply(m.thread, m.messageId, m.facts.at, language))
      .catch((err: Error) => this.log?.error({ err: { name: err.name, message: err.message }, threadId: m.thread.id }, 'automatic reply failed; the sweep retries crisis alerts'))
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  /** Waits for automatic replies in progress (graceful shutdown, tests). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /**
   * A patient message matched the crisis lexicon: record the alert (once per message), reply with crisis guidance,
   * page the on-call (else the thread's owner and care team) urgently, tell them live. Idempotent: a retry (the
   * sweep after a crash) finishes what is missing.
   */
  async handleCrisis(thread: ThreadRecord, messageId: string, match: CrisisMatch | null, at: Date, language?: Language): Promise<void> {
    const detail = match ?? { categories: ['unknown'], lexiconVersion: 'unknown' };
    const detailCt = await this.keyring.encrypt(thread.key_id, JSON.stringify(detail.categories), detailAad(thread.org_id, messageId));
    const alert = await this.store.upsertAlert({ messageId, orgId: thread.org_id, threadId: thread.id, patientId: thread.patient_id!, keyId: thread.key_id, detailCt, lexiconVersion: detail.lexiconVersion, at });
    if (alert.handled_at) return;
    const settings = settingsIn(language ?? (await this.languageOf(thread.org_id, thread.patient_id)), await this.settingsOf(thread.org_id));
    const replyId = derivedUuid('haven-crisis-reply', messageId);
    await this.messages.sendAsSystem(thread, replyId, fill(settings.crisisReply, settings), await this.users.systemSender(thread.org_id));
    const fresh = await this.threads.byIdForSystem(thread.org_id, thread.id);
    // On call now: active providers and staff only (the schedule answers no one else).
    const onCall = await this.availability().onCallNow(thread.org_id, fresh?.department_id ?? null, this.clock.now());
    const audience = (await this.threads.audiences([{ orgId: thread.org_id, threadId: thread.id }])).get(`${thread.org_id}|${thread.id}`);
    // Nobody on call: the owner and the patient's care team are paged instead; someone must hear it.
    const paged = onCall.length > 0 ? [...new Set([...onCall, ...(fresh?.assignee_id ? [fresh.assignee_id] : [])])] : [...new Set([...(fresh?.assignee_id ? [fresh.assignee_id] : []), ...(audience?.careTeamIds ?? [])])];
    // The on-call may be from another care team: paged for this patient, they are given this thread (not the record).
    const careTeam = new Set(audience?.careTeamIds ?? []);
    const given = onCall.filter((u) => !careTeam.has(u));
    await this.db.transaction().execute(async (tx) => {
      const done = await this.store.markHandled(tx, messageId, replyId, paged, this.clock.now());
      if (!done) return;
      if (given.length > 0) {
        await this.store.grantThread(tx, thread.org_id, thread.id, given);
        await this.audit.record(tx, { orgId: thread.org_id, action: 'threads.access_granted', resourceType: 'thread', resourceId: thread.id, patientId: thread.patient_id, details: { reason: 'on_call_crisis', users: given.length } });
      }
      await this.audit.record(tx, { orgId: thread.org_id, action: 'safety.crisis_detected', resourceType: 'thread', resourceId: thread.id, patientId: thread.patient_id, details: { messageId, lexiconVersion: detail.lexiconVersion, paged: paged.length } });
      await this.outbox.record(tx, [
        ...(fresh ? [{ orgId: thread.org_id, kind: 'thread.updated', staffOnly: true, threadId: thread.id, data: { change: 'urgent', workflow: presentWorkflow(fresh, this.clock.now()) } }] : []),
        ...paged.map((userId) => ({ orgId: thread.org_id, kind: 'safety.alert', staffOnly: true, threadId: thread.id, userId, messageId })),
      ]);
    });
    this.outbox.committed();
    if (paged.length > 0) await this.pager.page({ orgId: thread.org_id, threadId: thread.id, userIds: paged, urgent: true });
  }

  /** The off-hours reply: when to expect an answer and what to do in an emergency, once per closed period. */
  private async offHoursReply(thread: ThreadRecord, messageId: string, at: Date, language: Language): Promise<void> {
    const avail = this.availability();
    // Already answered during this closed period, as the thread read for this send says: nothing to do, no lock on
    // the thread (every patient message of a closed period comes here; only the first replies). A reply made since
    // that read is found again under the lock below.
    const sameClosedPeriod = async (last: Date | null): Promise<boolean> => {
      if (!last) return false;
      const reopened = await avail.nextOpening(thread.org_id, thread.department_id, last);
      return reopened === null || reopened.getTime() > at.getTime();
    };
    if (await sameClosedPeriod(thread.auto_replied_at)) return;
    const settings = settingsIn(language, await this.settingsOf(thread.org_id));
    if (!settings.offHoursReplyEnabled) return;
    const nextOpening = await avail.nextOpening(thread.org_id, thread.department_id, at);
    const claimed = await this.db.transaction().execute(async (tx) => {
      // Already answered during this closed period: the practice has not opened since the last reply.
      if (await sameClosedPeriod(await this.store.lockAutoReply(tx, thread.id))) return false;
      await this.store.setAutoReplied(tx, thread.id, at);
      return true;
    });
    if (!claimed) return;
    const when = nextOpening ? await this.formatTime(thread.org_id, nextOpening, language) : noOpeningText(language);
    const body = fill(settings.offHoursReply, settings, { nextOpening: when });
    await this.messages.sendAsSystem(thread, derivedUuid('haven-off-hours-reply', messageId), body, await this.users.systemSender(thread.org_id));
  }

  private async formatTime(orgId: string, at: Date, language: Language): Promise<string> {
    const timeZone = await this.availability().timeZone(orgId);
    const key = `${language}|${timeZone}`;
    let format = this.timeFormats.get(key);
    if (!format) {
      // Building an Intl.DateTimeFormat costs far more than using one: one per language and zone.
      if (this.timeFormats.size >= 200) this.timeFormats.clear();
      this.timeFormats.set(key, (format = new Intl.DateTimeFormat(localeOf(language), { timeZone, weekday: 'long', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' })));
    }
    return format.format(at);
  }

  /** Crisis alerts whose handling did not finish (a crash after the message was stored): finished now. */
  async catchUp(): Promise<number> {
    const pending = await this.store.unhandled(500);
    for (const p of pending) {
      const thread = await this.threads.byIdForSystem(p.org_id, p.thread_id);
      if (thread) await this.handleCrisis(thread, p.message_id, null, p.created_at);
    }
    return pending.length;
  }

  // ---- settings and expectations --------------------------------------------------------------------------------

  async settingsOf(orgId: string): Promise<Static<typeof WorkflowSettings>> {
    return { ...DEFAULT_WORKFLOW_SETTINGS, ...(await this.orgs.workflowSettings(orgId)) };
  }

  async getSettings(ctx: RequestContext) {
    if (ctx.actor.role === 'patient') throw new AppError('forbidden', 'Practice settings are for the practice');
    return this.settingsOf(ctx.actor.orgId);
  }

  async updateSettings(ctx: RequestContext, input: Static<typeof WorkflowSettingsUpdate>) {
    if (!can(ctx.actor, 'workflow.configure', { orgId: ctx.actor.orgId }, await this.orgs.settings(ctx.actor.orgId))) {
      throw new AppError('forbidden', 'Only practice admins change automatic replies and crisis resources');
    }
    const unknown = [...Object.entries(input)].flatMap(([k, v]) => (typeof v === 'string' ? [...v.matchAll(/\{([^}]*)\}/g)].filter((x) => !['nextOpening', 'emergency', 'resources'].includes(x[1]!)).map(() => k) : []));
    if (unknown.length > 0) throw new AppError('validation_failed', 'Unknown variable; use {nextOpening}, {emergency} or {resources}', { errors: unknown.map((k) => ({ path: `/body/${k}`, message: 'unknown variable' })) });
    await this.db.transaction().execute(async (tx) => {
      await this.orgs.updateWorkflowSettings(tx, ctx.actor.orgId, input);
      await this.audit.recordFor(tx, ctx, { action: 'workflow.settings.update', resourceType: 'organization', resourceId: ctx.actor.orgId, details: { fields: Object.keys(input).sort().join(',') } });
    });
    return this.settingsOf(ctx.actor.orgId);
  }

  /** For the composer: when to expect an answer for this topic, whether the practice is open, what to do if it can't wait. */
  async expectations(ctx: RequestContext, q: { topic?: string; threadId?: string }): Promise<Static<typeof Expectations>> {
    const orgId = ctx.actor.orgId;
    let topic = q.topic ?? null;
    let departmentId: string | null = null;
    let priority: 'routine' | 'urgent' = 'routine';
    if (q.threadId) {
      const { thread } = await this.threads.require(ctx, q.threadId);
      topic = thread.topic;
      departmentId = thread.department_id;
      priority = thread.priority;
    } else if (ctx.actor.role === 'patient') {
      departmentId = (await this.routingStore.patientCareTeams(orgId, ctx.actor.userId)).find((t) => t.department_id)?.department_id ?? null;
    }
    if (topic && !(await this.orgs.settings(orgId)).topics.includes(topic)) {
      throw new AppError('validation_failed', 'Unknown topic', { errors: [{ path: '/query/topic', message: 'unknown topic' }] });
    }
    const now = this.clock.now();
    const avail = this.availability();
    const [open, nextOpening, target, orgSettings, language] = await Promise.all([
      avail.isOpen(orgId, departmentId, now),
      avail.nextOpening(orgId, departmentId, now),
      this.sla.target(orgId, topic, priority),
      this.settingsOf(orgId),
      this.languageOf(orgId, ctx.actor.userId),
    ]);
    const settings = settingsIn(language, orgSettings);
    const due = await this.sla.dueFor(orgId, departmentId, topic, priority, now);
    return {
      open,
      nextOpening: open ? null : (nextOpening?.toISOString() ?? null),
      responseMinutes: target.response_minutes,
      expectedBy: due.dueAt.toISOString(),
      urgentGuidance: fill(settings.urgentGuidance, settings),
      emergencyNumber: settings.emergencyNumber,
      crisisResources: settings.crisisResources,
    };
  }
}
