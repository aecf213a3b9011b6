import { randomUUID } from 'node:crypto';
import type { FollowUp, FollowUpCreate, FollowUpState } from '@haven/api';
import type { Db } from '../../platform/db/database.js';
import type { RequestContext } from '../../platform/http/context.js';
import { decodeTimeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { AppError, notFound } from '../../platform/http/errors.js';
import type { JobQueue } from '../../platform/jobs/job-queue.js';
import type { AuditService } from '../audit/audit.service.js';
import type { EventOutbox } from '../events/event.outbox.js';
import type { MessageService } from '../messages/message.service.js';
import type { NotificationService } from '../notifications/notification.service.js';
import type { OrganizationService } from '../organization/organization.service.js';
import { can, isClinical } from '../policy/policy.js';
import type { ThreadRecord, ThreadService } from '../threads/thread.service.js';
import type { UserService } from '../users/user.service.js';
import type { FollowUpRow, FollowUpStore } from './follow-up.store.js';

export const FOLLOW_UP_JOB = 'scheduling.followUp';
export const followUpJobKey = (id: string): string => `scheduling:follow-up:${id}`;
const EARLY_TOLERANCE_MS = 250;

export interface FollowUpSettings {
  /** Length of one follow-up day in milliseconds (a day; shorter only in tests, see config followUpDaySeconds). */
  dayMs: number;
}

function present(r: FollowUpRow): FollowUp {
  return {
    id: r.id,
    threadId: r.thread_id,
    patientId: r.patient_id,
    createdBy: r.created_by,
    action: r.action,
    afterDays: r.after_days,
    dueAt: r.due_at.toISOString(),
    state: r.state,
    reason: r.reason,
    createdAt: r.created_at.toISOString(),
    settledAt: r.settled_at ? r.settled_at.toISOString() : null,
  };
}

/**
 * Follow-up reminders on patient threads: "if the patient has not answered in N days, then remind me | nudge the
 * patient". A job runs at the due time: if the patient wrote in the thread after the follow-up was set it is
 * satisfied; otherwise, if the one who set it is still active and may still see the thread, it fires: a
 * `followup.due` live event and a content-free notification to them, or a content-free notification to the patient.
 * The job settles the follow-up in the same transaction that schedules what it sends, so running it again does nothing.
 */
export class FollowUpService {
  constructor(
    private readonly db: Db,
    private readonly store: FollowUpStore,
    private readonly threads: ThreadService,
    private readonly messages: MessageService,
    private readonly users: UserService,
    private readonly orgs: OrganizationService,
    private readonly notifications: NotificationService,
    private readonly audit: AuditService,
    private readonly outbox: EventOutbox,
    private readonly jobs: JobQueue,
    private readonly settings: FollowUpSettings,
  ) {
    jobs.define<{ orgId: string; id: string }>({
      name: FOLLOW_UP_JOB,
      maxAttempts: 5,
      backoff: { baseMs: 5_000, maxMs: 300_000 },
      run: (p) => this.run(p.orgId, p.id),
    });
  }

  private requireClinical(ctx: RequestContext): void {
    if (!isClinical(ctx.actor.role)) throw new AppError('forbidden', 'Only providers and staff set follow-ups');
  }

  /** A patient thread the actor may manage follow-ups in; an internal thread is 422, a thread they cannot see 404. */
  private async thread(ctx: RequestContext, threadId: string): Promise<ThreadRecord> {
    const { thread, resource } = await this.threads.require(ctx, threadId, 'threads.read');
    if (thread.kind !== 'patient' || !thread.patient_id) throw new AppError('not_a_patient_thread', 'Follow-ups wait for a patient: they apply to patient threads only');
    if (!can(ctx.actor, 'followUps.manage', resource, await this.orgs.settings(ctx.actor.orgId))) throw notFound('thread');
    return thread;
  }

  async create(ctx: RequestContext, threadId: string, input: FollowUpCreate): Promise<FollowUp> {
    this.requireClinical(ctx);
    const thread = await this.thread(ctx, threadId);
    const id = randomUUID();
    const at = new Date();
    const dueAt = new Date(at.getTime() + input.afterDays * this.settings.dayMs);
    await this.db.transaction().execute(async (tx) => {
      await this.store.insert(tx, { id, orgId: thread.org_id, threadId: thread.id, patientId: thread.patient_id!, createdBy: ctx.actor.userId, action: input.action, afterDays: input.afterDays, dueAt, at });
      await this.jobs.enqueue(tx, FOLLOW_UP_JOB, { orgId: thread.org_id, id }, { runAt: dueAt, key: followUpJobKey(id) });
      await this.audit.recordFor(tx, ctx, {
        action: 'followUps.create',
        resourceType: 'follow_up',
        resourceId: id,
        patientId: thread.patient_id,
        details: { threadId: thread.id, action: input.action, afterDays: input.afterDays },
      });
    });
    return present((await this.store.byId(thread.org_id, id))!);
  }

  async list(ctx: RequestContext, threadId: string, q: { state?: FollowUpState; limit?: number; cursor?: string }) {
    this.requireClinical(ctx);
    const thread = await this.thread(ctx, threadId);
    const limit = q.limit ?? 50;
    let before: { micros: string; id: string } | undefined;
    if (q.cursor) {
      const { micros, id } = decodeTimeCursor(q.cursor);
      before = { micros: micros!, id: id! };
    }
    const rows = await this.store.list(thread.id, { state: q.state, before, limit });
    await this.audit.recordFor(this.db, ctx, { action: 'followUps.list', resourceType: 'thread', resourceId: thread.id, patientId: thread.patient_id, details: { returned: rows.length } });
    const last = rows[rows.length - 1];
    return { items: rows.map(present), nextCursor: rows.length === limit && last ? encodeCursor(`${last.created_us}_${last.id}`) : null };
  }

  /** Cancels one's own pending follow-up (cancelling it again changes nothing; a settled one is 409). */
  async cancel(ctx: RequestContext, id: string): Promise<FollowUp> {
    this.requireClinical(ctx);
    const seen = await this.store.byId(ctx.actor.orgId, id.toLowerCase());
    if (!seen) throw notFound('follow-up');
    // Visible to providers and staff who may see its thread; only the one who set it may cancel it.
    await this.thread(ctx, seen.thread_id).catch(() => {
      throw notFound('follow-up');
    });
    if (seen.created_by !== ctx.actor.userId) throw new AppError('forbidden', 'Only the one who set a follow-up can cancel it');
    const row = await this.db.transaction().execute(async (tx) => {
      const row = (await this.store.byId(seen.org_id, seen.id, tx, true))!;
      if (row.state === 'cancelled') return row;
      if (row.state !== 'pending') throw new AppError('conflict', `The follow-up is ${row.state} already`);
      await this.store.settle(tx, row.id, 'cancelled', new Date(), { by: ctx.actor.userId });
      await this.audit.recordFor(tx, ctx, { action: 'followUps.cancel', resourceType: 'follow_up', resourceId: row.id, patientId: row.patient_id, details: { threadId: row.thread_id } });
      return (await this.store.byId(row.org_id, row.id, tx))!;
    });
    return present(row);
  }

  // ---- the due job -------------------------------------------------------------------------------------------------

  /** Settles a follow-up at its due time: satisfied, fired or failed (see the class comment). Safe to run again. */
  async run(orgId: string, id: string): Promise<void> {
    const seen = await this.store.byId(orgId, id);
    if (!seen || seen.state !== 'pending') return;
    if (seen.due_at.getTime() > Date.now() + EARLY_TOLERANCE_MS) {
      await this.jobs.enqueue(this.db, FOLLOW_UP_JOB, { orgId, id }, { runAt: seen.due_at, key: followUpJobKey(id) });
      return;
    }
    // Whether the creator may still act here, decided before the transaction (the policy reads through its own queries).
    const failure = await this.cannotFire(seen);
    const fired = await this.db.transaction().execute(async (tx) => {
      const row = await this.store.byId(orgId, id, tx, true);
      if (!row || row.state !== 'pending') return false;
      const at = new Date();
      const settle = async (state: 'satisfied' | 'fired' | 'failed', reason?: string) => {
        await this.store.settle(tx, row.id, state, at, reason ? { reason } : {});
        await this.audit.record(tx, {
          orgId,
          action: 'followUps.run',
          resourceType: 'follow_up',
          resourceId: row.id,
          patientId: row.patient_id,
          outcome: state === 'failed' ? 'failure' : 'success',
          details: { threadId: row.thread_id, action: row.action, state, ...(reason ? { reason } : {}) },
        });
      };
      if (await this.messages.patientAnsweredSince(row.thread_id, row.created_at, tx)) {
        await settle('satisfied');
        return false;
      }
      if (failure) {
        await settle('failed', failure);
        return false;
      }
      const ref = `follow-up:${row.id}`;
      if (row.action === 'remind_me') {
        await this.outbox.record(tx, [
          { orgId, kind: 'followup.due', userId: row.created_by, threadId: row.thread_id, data: { followUpId: row.id, patientId: row.patient_id, action: row.action } },
        ]);
        await this.notifications.notifyUser(tx, { orgId, userId: row.created_by, template: 'reminder', ref });
      } else {
        await this.notifications.notifyUser(tx, { orgId, userId: row.patient_id, template: 'waiting', ref });
      }
      await settle('fired');
      return true;
    });
    if (fired) this.outbox.committed();
  }

  /** Why a follow-up cannot fire now: its creator left or lost the thread, or (nudges) the patient is inactive. */
  private async cannotFire(row: FollowUpRow): Promise<string | undefined> {
    const creator = await this.users.byId(row.org_id, row.created_by);
    if (!creator || creator.status !== 'active') return 'creator_inactive';
    const ctx: RequestContext = { actor: { userId: creator.id, orgId: row.org_id, role: creator.role, sessionId: '' }, address: null, requestId: `follow-up:${row.id}` };
    let thread: ThreadRecord;
    try {
      if (!isClinical(creator.role)) return 'access_revoked';
      thread = await this.thread(ctx, row.thread_id);
    } catch (err) {
      if (err instanceof AppError) return 'access_revoked';
      throw err;
    }
    if (row.action === 'nudge_patient') {
      const patient = await this.users.byId(row.org_id, row.patient_id);
      if (!patient || patient.status !== 'active') return 'patient_inactive';
      // A nudge asks the patient to answer: not when they could not (archived, or messaging not enabled for them).
      const asPatient: RequestContext = { actor: { userId: patient.id, orgId: row.org_id, role: 'patient', sessionId: '' }, address: null, requestId: ctx.requestId };
      try {
        await this.threads.assertMayWrite(asPatient, thread);
      } catch (err) {
        if (err instanceof AppError) return 'messaging_closed';
        throw err;
      }
    }
    return undefined;
  }
}
