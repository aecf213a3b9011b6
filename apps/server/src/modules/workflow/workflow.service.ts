import type { Static } from 'typebox';
import type { Thread, ThreadWorkflow } from '@haven/api';
import type { Db } from '../../platform/db/database.js';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError, notFound } from '../../platform/http/errors.js';
import type { Logger } from 'pino';
import type { Clock } from '../../platform/time/clock.js';
import type { ThreadStateValue } from '../../platform/db/schema.js';
import type { AuditService } from '../audit/audit.service.js';
import type { EventOutbox } from '../events/event.outbox.js';
import type { ThreadService } from '../threads/thread.service.js';
import type { AvailabilityPort } from './availability.port.js';
import type { RoutingStore } from './routing.store.js';
import type { SlaPolicy } from './sla.policy.js';
import type { WorkflowChange, WorkflowRow, WorkflowStore } from './workflow.store.js';

type ThreadOut = Static<typeof Thread>;
export type WorkflowAction = 'assigned' | 'claimed' | 'reassigned' | 'unassigned' | 'closed' | 'reopened' | 'priority' | 'escalated' | 'overdue' | 'urgent';

/** States in which a patient waits for staff. */
export const WAITING_STATES = new Set(['unassigned', 'assigned', 'awaiting_staff']);

/** The workflow as staff see it; `overdue` is read against the workflow clock. */
export function presentWorkflow(t: Pick<WorkflowRow, 'state' | 'priority' | 'assignee_id' | 'queue_id' | 'department_id' | 'due_at' | 'waiting_since'>, now: Date): Static<typeof ThreadWorkflow> {
  return {
    state: t.state ?? 'unassigned',
    priority: t.priority,
    assigneeId: t.assignee_id,
    queueId: t.queue_id,
    departmentId: t.department_id,
    dueAt: t.due_at ? t.due_at.toISOString() : null,
    overdue: t.due_at !== null && t.due_at.getTime() <= now.getTime() && WAITING_STATES.has(t.state ?? ''),
    waitingSince: t.waiting_since ? t.waiting_since.toISOString() : null,
  };
}

/** Writes internal notes (the messages module): the context of an escalation. */
export interface NoteWriter {
  sendNote(ctx: RequestContext, threadId: string, note: { id: string; body: string; mentions: string[] }): Promise<unknown>;
}

/** How the workflow pages staff (the notifications module): content-free, urgent pages ignore quiet hours. */
export interface StaffPager {
  page(p: { orgId: string; threadId: string; userIds: string[]; urgent: boolean }): Promise<void>;
}

/**
 * The care workflow of patient threads: assign, claim, reassign (with a reason), close, reopen, priority; and the
 * SLA sweep that reminds assignees before the due time and escalates overdue threads. Every change is audited and
 * is a live event (`thread.updated`) for the staff who see the thread.
 */
export class WorkflowService {
  private pager: StaffPager = { page: async () => undefined };
  log: Logger | undefined;

  constructor(
    private readonly db: Db,
    private readonly store: WorkflowStore,
    private readonly routingStore: RoutingStore,
    private readonly threads: ThreadService,
    private readonly sla: SlaPolicy,
    private readonly audit: AuditService,
    private readonly outbox: EventOutbox,
    private readonly clock: Clock,
    private readonly availability: () => AvailabilityPort,
  ) {}

  usePager(pager: StaffPager): void {
    this.pager = pager;
  }

  private notes: NoteWriter | undefined;

  useNotes(notes: NoteWriter): void {
    this.notes = notes;
  }

  /**
   * Hands a patient thread to a provider with the context: an internal note (never shown to the patient) that
   * mentions the provider, then the thread is theirs (urgent if asked). Idempotent by the note's id.
   */
  async escalate(ctx: RequestContext, threadId: string, input: { providerId: string; note: string; noteId: string; urgent?: boolean }): Promise<ThreadOut> {
    const { thread } = await this.requireManage(ctx, threadId);
    const audience = (await this.threads.audience([thread.id], [thread.org_id])).get(thread.id) ?? [];
    if (!audience.some((v) => v.userId === input.providerId && v.role === 'provider')) {
      throw new AppError('validation_failed', 'Escalate to a provider who may see this thread', { errors: [{ path: '/body/providerId', message: 'not an eligible provider' }] });
    }
    if (!this.notes) throw new AppError('internal_error');
    await this.notes.sendNote(ctx, thread.id, { id: input.noteId, body: input.note, mentions: input.providerId === ctx.actor.userId ? [] : [input.providerId] });
    return this.change(ctx, thread.id, (t) => {
      if (t.assignee_id === input.providerId && (!input.urgent || t.priority === 'urgent')) return null;
      return {
        action: 'escalated',
        change: { assigneeId: input.providerId, coveringForId: null, state: stateOnAssign(t, input.providerId), remindedAt: null, ...(input.urgent ? { priority: 'urgent' as const } : {}) },
      };
    }, input.note);
  }

  // ---- staff actions -------------------------------------------------------------------------------------------

  async assign(ctx: RequestContext, threadId: string, input: { assigneeId: string | null; reason?: string }): Promise<ThreadOut> {
    if (input.assigneeId) {
      const { thread } = await this.requireManage(ctx, threadId);
      await this.requireEligible(thread.org_id, thread.id, input.assigneeId);
    }
    return this.change(ctx, threadId, (t) => {
      if (t.assignee_id === input.assigneeId) return null;
      if (t.assignee_id && t.assignee_id !== ctx.actor.userId && !input.reason?.trim()) throw reasonRequired();
      const action: WorkflowAction = input.assigneeId === null ? 'unassigned' : t.assignee_id ? 'reassigned' : 'assigned';
      return { action, change: { assigneeId: input.assigneeId, coveringForId: null, state: stateOnAssign(t, input.assigneeId), remindedAt: null } };
    }, input.reason);
  }

  async claim(ctx: RequestContext, threadId: string, input: { reason?: string }): Promise<ThreadOut> {
    if (ctx.actor.role !== 'provider' && ctx.actor.role !== 'staff') throw new AppError('forbidden', 'Only providers and staff take threads');
    return this.change(ctx, threadId, (t) => {
      if (t.assignee_id === ctx.actor.userId) return null;
      if (t.assignee_id && !input.reason?.trim()) throw reasonRequired();
      return { action: t.assignee_id ? 'reassigned' : 'claimed', change: { assigneeId: ctx.actor.userId, coveringForId: null, state: stateOnAssign(t, ctx.actor.userId), remindedAt: null } };
    }, input.reason);
  }

  async close(ctx: RequestContext, threadId: string, input: { reason?: string }): Promise<ThreadOut> {
    return this.change(ctx, threadId, (t) => {
      if (t.state === 'closed') return null;
      return { action: 'closed', change: { state: 'closed', closedAt: this.clock.now(), dueAt: null, remindAt: null } };
    }, input.reason);
  }

  async reopen(ctx: RequestContext, threadId: string): Promise<ThreadOut> {
    return this.change(ctx, threadId, (t) => {
      if (t.state !== 'closed') return null;
      return { action: 'reopened', change: { state: t.assignee_id ? 'assigned' : 'unassigned', closedAt: null } };
    });
  }

  async setPriority(ctx: RequestContext, threadId: string, input: { priority: 'routine' | 'urgent'; reason?: string }): Promise<ThreadOut> {
    return this.change(ctx, threadId, async (t) => {
      if (t.priority === input.priority) return null;
      // A waiting patient's due time follows the new priority's target, counted from when they started waiting.
      const due = t.waiting_since && WAITING_STATES.has(t.state ?? '') ? await this.sla.dueFor(t.org_id, t.department_id, t.topic, input.priority, t.waiting_since) : null;
      return { action: 'priority', change: { priority: input.priority, ...(due ? { dueAt: due.dueAt, remindAt: due.remindAt, remindedAt: null, escalatedAt: null } : {}) } };
    }, input.reason);
  }

  /** The thread, if the caller runs its workflow; 403 for someone who may read it but not run it (a patient), else 404. */
  private requireManage(ctx: RequestContext, threadId: string) {
    return this.threads.require(ctx, threadId, 'threads.manage').catch(async (err: unknown) => {
      const readable = await this.threads.require(ctx, threadId, 'threads.read').then(() => true, () => false);
      if (readable) throw new AppError('forbidden', 'Only the providers and staff who see a patient thread run its workflow');
      throw err;
    });
  }

  /** Staff who may take a thread: active providers and staff who may see it. */
  private async requireEligible(orgId: string, threadId: string, userId: string): Promise<void> {
    const audience = (await this.threads.audience([threadId], [orgId])).get(threadId) ?? [];
    const ok = audience.some((v) => v.userId === userId && (v.role === 'provider' || v.role === 'staff'));
    if (!ok) throw new AppError('validation_failed', 'The assignee must be an active provider or staff member who may see this thread', { errors: [{ path: '/body/assigneeId', message: 'not eligible' }] });
  }

  /**
   * One workflow change: checks the caller (clinical staff who see the thread), locks the thread, decides, writes the
   * change, its audit event and its live event in one transaction. `decide` returns null when nothing changes.
   */
  private async change(
    ctx: RequestContext,
    threadId: string,
    decide: (t: WorkflowRow) => { action: WorkflowAction; change: Omit<WorkflowChange, 'at'> } | null | Promise<{ action: WorkflowAction; change: Omit<WorkflowChange, 'at'> } | null>,
    reason?: string,
  ): Promise<ThreadOut> {
    const { thread } = await this.requireManage(ctx, threadId);
    const at = this.clock.now();
    await this.db.transaction().execute(async (tx) => {
      const t = await this.store.lockThread(tx, thread.org_id, thread.id);
      if (!t) throw notFound('thread');
      const decided = await decide(t);
      if (!decided) return;
      await this.store.update(tx, t.id, { ...decided.change, at }, t.state);
      const after = { ...t, ...pickRow(decided.change) };
      await this.audit.recordFor(tx, ctx, {
        action: `threads.${decided.action}`,
        resourceType: 'thread',
        resourceId: t.id,
        patientId: t.patient_id,
        details: { from: t.assignee_id ?? '', to: after.assignee_id ?? '', state: after.state ?? '', priority: after.priority, reasonGiven: Boolean(reason?.trim()) },
      });
      await this.outbox.record(tx, [{ orgId: t.org_id, kind: 'thread.updated', staffOnly: true, threadId: t.id, actorId: ctx.actor.userId, data: { change: decided.action, workflow: presentWorkflow(after, at) } }]);
    });
    this.outbox.committed();
    // The thread after the change, as the caller sees it (access was checked above; no second read audit).
    const after = await this.threads.byIdForSystem(thread.org_id, thread.id);
    return (await this.threads.present(ctx, [after!]))[0]!;
  }

  /** For notifications: who owns these threads and whether they are urgent. */
  async flags(orgId: string, threadIds: string[]): Promise<Map<string, { assigneeIds: string[]; urgent: boolean }>> {
    const rows = await this.store.flags(orgId, threadIds);
    return new Map(rows.map((r) => [r.id, { assigneeIds: r.assignee_id ? [r.assignee_id] : [], urgent: r.priority === 'urgent' }]));
  }

  // ---- SLA sweep -----------------------------------------------------------------------------------------------

  /**
   * Reminds owners whose threads are due soon and escalates threads past their due time: to the queue's escalation
   * colleague, else the department's on-call, else (nobody) the thread stays with its owner, flagged overdue.
   * Safe to run on several nodes at once: each thread is locked and re-checked.
   */
  async sweep(): Promise<{ reminded: number; escalated: number }> {
    const now = this.clock.now();
    let reminded = 0;
    let escalated = 0;
    for (const t of await this.store.dueForReminder(now, 500)) {
      if (await this.remind(t.id, now)) reminded++;
    }
    for (const t of await this.store.overdue(now, 500)) {
      if (await this.escalateOverdue(t.id, now)) escalated++;
    }
    return { reminded, escalated };
  }

  private async remind(threadId: string, now: Date): Promise<boolean> {
    const t = await this.db.transaction().execute(async (tx) => {
      const row = await this.store.lockThread(tx, '', threadId, true);
      if (!row || row.reminded_at || !row.remind_at || row.remind_at > now || !row.assignee_id || !row.due_at || row.due_at <= now) return undefined;
      await this.store.update(tx, row.id, { remindedAt: now, at: now }, row.state);
      await this.audit.record(tx, { orgId: row.org_id, action: 'threads.sla_reminder', resourceType: 'thread', resourceId: row.id, patientId: row.patient_id, details: { assigneeId: row.assignee_id } });
      await this.outbox.record(tx, [{ orgId: row.org_id, kind: 'sla.reminder', staffOnly: true, threadId: row.id, userId: row.assignee_id, data: { dueAt: row.due_at.toISOString() } }]);
      return row;
    });
    if (!t) return false;
    this.outbox.committed();
    await this.pager.page({ orgId: t.org_id, threadId: t.id, userIds: [t.assignee_id!], urgent: false }).catch((err: Error) => this.log?.error({ err: { message: err.message } }, 'sla reminder page failed'));
    return true;
  }

  private async escalateOverdue(threadId: string, now: Date): Promise<boolean> {
    const result = await this.db.transaction().execute(async (tx) => {
      const row = await this.store.lockThread(tx, '', threadId, true);
      if (!row || row.escalated_at || !row.due_at || row.due_at > now || !WAITING_STATES.has(row.state ?? '')) return undefined;
      const target = await this.escalationTarget(row, now);
      const change: WorkflowChange = { escalatedAt: now, at: now };
      if (target && target !== row.assignee_id) {
        change.assigneeId = target;
        change.coveringForId = null;
        change.state = stateOnAssign(row, target);
      }
      await this.store.update(tx, row.id, change, row.state);
      const after = { ...row, ...pickRow(change) };
      await this.audit.record(tx, { orgId: row.org_id, action: 'threads.overdue', resourceType: 'thread', resourceId: row.id, patientId: row.patient_id, details: { from: row.assignee_id ?? '', to: after.assignee_id ?? '' } });
      await this.outbox.record(tx, [{ orgId: row.org_id, kind: 'thread.updated', staffOnly: true, threadId: row.id, data: { change: 'overdue', workflow: presentWorkflow(after, now) } }]);
      return { row, to: after.assignee_id };
    });
    if (!result) return false;
    this.outbox.committed();
    if (result.to) {
      await this.pager.page({ orgId: result.row.org_id, threadId: result.row.id, userIds: [result.to], urgent: result.row.priority === 'urgent' }).catch((err: Error) => this.log?.error({ err: { message: err.message } }, 'escalation page failed'));
    }
    return true;
  }

  /** Who takes an overdue thread: the queue's escalation colleague if available, else whoever is on call. */
  private async escalationTarget(t: WorkflowRow, now: Date): Promise<string | null> {
    const avail = this.availability();
    if (t.queue_id) {
      const q = await this.routingStore.queue(t.org_id, t.queue_id);
      if (q?.escalate_to) {
        // Available: active, in their hours, not out of office.
        const [ok] = await avail.availableStaff(t.org_id, [q.escalate_to], now);
        if (ok) return ok;
      }
    }
    const onCall = await avail.onCallNow(t.org_id, t.department_id, now);
    return onCall.find((u) => u !== t.assignee_id) ?? onCall[0] ?? null;
  }

  /** Marks a thread urgent without a caller (the safety module on a crisis match). */
  async markUrgentBySystem(orgId: string, threadId: string, change: 'urgent'): Promise<void> {
    const now = this.clock.now();
    const changed = await this.db.transaction().execute(async (tx) => {
      const t = await this.store.lockThread(tx, orgId, threadId);
      if (!t || t.priority === 'urgent') return false;
      const due = t.waiting_since && WAITING_STATES.has(t.state ?? '') ? await this.sla.dueFor(t.org_id, t.department_id, t.topic, 'urgent', t.waiting_since) : null;
      const c: WorkflowChange = { priority: 'urgent', at: now, ...(due && (!t.due_at || due.dueAt < t.due_at) ? { dueAt: due.dueAt, remindAt: due.remindAt } : {}) };
      await this.store.update(tx, t.id, c, t.state);
      await this.audit.record(tx, { orgId, action: 'threads.urgent', resourceType: 'thread', resourceId: t.id, patientId: t.patient_id, details: { by: 'system' } });
      await this.outbox.record(tx, [{ orgId, kind: 'thread.updated', staffOnly: true, threadId: t.id, data: { change, workflow: presentWorkflow({ ...t, ...pickRow(c) }, now) } }]);
      return true;
    });
    if (changed) this.outbox.committed();
  }
}

const reasonRequired = () =>
  new AppError('validation_failed', 'This thread is assigned to someone else: give a reason to take it over', { errors: [{ path: '/body/reason', message: 'required to reassign' }] });

/** The state after a thread gets (or loses) its owner. */
function stateOnAssign(t: WorkflowRow, assigneeId: string | null): ThreadStateValue {
  if (t.state === 'closed' || t.state === 'awaiting_patient') return t.state;
  if (assigneeId === null) return 'unassigned';
  return t.state === 'unassigned' || t.state === null ? 'assigned' : t.state;
}

/** A change's fields as row columns (to present the workflow after it). */
function pickRow(c: Omit<WorkflowChange, 'at'>): Partial<WorkflowRow> {
  const out: Partial<WorkflowRow> = {};
  if (c.state !== undefined) out.state = c.state;
  if (c.priority !== undefined) out.priority = c.priority;
  if (c.assigneeId !== undefined) out.assignee_id = c.assigneeId;
  if (c.queueId !== undefined) out.queue_id = c.queueId;
  if (c.dueAt !== undefined) out.due_at = c.dueAt;
  if (c.coveringForId !== undefined) out.covering_for_id = c.coveringForId;
  return out;
}
