import { randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import type { Queue, QueueCreate, QueueUpdate, RoutingRules, SlaTargets } from '@haven/api';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError, notFound } from '../../platform/http/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { OrganizationService } from '../organization/organization.service.js';
import { can } from '../policy/policy.js';
import type { UserService } from '../users/user.service.js';
import type { AvailabilityPort } from './availability.port.js';
import type { QueueRow, RoutingStore } from './routing.store.js';
import type { SlaPolicy } from './sla.policy.js';
import type { WorkflowStore } from './workflow.store.js';

/** Where a new patient thread goes: its department and queue, who owns it, whom they cover for. */
export interface Route {
  departmentId: string | null;
  queueId: string | null;
  assigneeId: string | null;
  requestedProviderId: string | null;
  coveringForId: string | null;
}

export interface RouteRequest {
  orgId: string;
  patientId: string;
  topic: string | null;
  /** The provider the patient addressed. */
  providerId?: string;
  /** "Message the on-call": whoever is on call for the patient's department. */
  toOnCall?: boolean;
  /** Staff who start a thread with a patient own it. */
  createdByStaff?: string;
  at: Date;
}

const presentQueue = (q: QueueRow): Static<typeof Queue> => ({
  id: q.id,
  name: q.name,
  departmentId: q.department_id,
  assignment: q.assignment,
  memberIds: q.member_ids,
  escalateToId: q.escalate_to,
  createdAt: q.created_at.toISOString(),
});

/**
 * Routing: rules map a thread's topic, department and the patient's care team to a queue; a queue assigns on
 * arrival (off, round robin, least loaded among members available now); a patient may address a provider who
 * accepts direct messages, or the on-call; someone away is replaced by the colleague covering for them.
 */
export class RoutingService {
  constructor(
    private readonly db: Db,
    private readonly store: RoutingStore,
    private readonly workflowStore: WorkflowStore,
    private readonly users: UserService,
    private readonly orgs: OrganizationService,
    private readonly sla: SlaPolicy,
    private readonly audit: AuditService,
    private readonly availability: () => AvailabilityPort,
  ) {}

  // ---- routing a new thread -------------------------------------------------------------------------------------

  async route(tx: Queryable, r: RouteRequest): Promise<Route> {
    const teams = await this.store.patientCareTeams(r.orgId, r.patientId);
    const departmentId = teams.find((t) => t.department_id)?.department_id ?? null;
    const out: Route = { departmentId, queueId: null, assigneeId: null, requestedProviderId: null, coveringForId: null };
    const avail = this.availability();

    if (r.createdByStaff) return this.withCoverage(r, { ...out, assigneeId: r.createdByStaff });
    if (r.providerId) {
      const p = await this.store.directProvider(r.orgId, r.patientId, r.providerId);
      if (!p?.on_care_team) throw notFound('provider');
      out.requestedProviderId = r.providerId;
      // A provider who takes direct messages owns the thread (or whoever covers for them); otherwise staff go first.
      if (p.accepts) {
        const routed = await this.withCoverage(r, { ...out, assigneeId: r.providerId });
        if (routed.assigneeId) return routed;
      }
    }
    if (r.toOnCall) {
      const onCall = await avail.onCallNow(r.orgId, departmentId, r.at);
      if (onCall.length > 0) {
        const load = await this.workflowStore.openLoad(r.orgId, onCall, tx);
        return { ...out, assigneeId: leastLoaded(onCall, load) };
      }
    }
    const queue = await this.queueFor(r.orgId, r.topic, departmentId, teams.map((t) => t.care_team_id));
    if (!queue) return out;
    out.queueId = queue.id;
    return { ...out, assigneeId: await this.autoAssign(tx, queue, r.at) };
  }

  /** The assignee, or the colleague covering for them while they are away (unassigned when nobody covers). */
  private async withCoverage(r: RouteRequest, route: Route): Promise<Route> {
    if (!route.assigneeId) return route;
    const cover = await this.availability().coverFor(r.orgId, route.assigneeId, r.at);
    if (!cover) {
      const [here] = await this.availability().availableStaff(r.orgId, [route.assigneeId], r.at);
      // Away without cover: the thread waits for staff (in the care team's views), not for someone who is not there.
      return here || r.createdByStaff ? route : { ...route, assigneeId: null };
    }
    return { ...route, assigneeId: cover.userId, coveringForId: route.assigneeId };
  }

  private async queueFor(orgId: string, topic: string | null, departmentId: string | null, careTeamIds: string[]): Promise<QueueRow | undefined> {
    for (const rule of await this.store.rules(orgId)) {
      if (rule.topic && rule.topic !== topic) continue;
      if (rule.department_id && rule.department_id !== departmentId) continue;
      if (rule.care_team_id && !careTeamIds.includes(rule.care_team_id)) continue;
      const q = await this.store.queue(orgId, rule.queue_id);
      if (q && !q.archived_at) return q;
    }
    return undefined;
  }

  /** Picks the assignee of a new thread in a queue (or nobody when assignment is off or nobody is available). */
  private async autoAssign(tx: Queryable, queue: QueueRow, at: Date): Promise<string | null> {
    if (queue.assignment === 'off' || queue.member_ids.length === 0) return null;
    // Available now: active providers and staff in their hours and not out of office.
    const available = new Set(await this.availability().availableStaff(queue.org_id, queue.member_ids, at));
    const candidates = queue.member_ids.filter((m) => available.has(m));
    if (candidates.length === 0) return null;
    await this.store.lockQueue(tx, queue.id);
    const fresh = await this.store.queue(queue.org_id, queue.id, tx);
    const last = fresh?.last_assignee ?? null;
    // Round robin: the next member after the last one assigned, in a fixed order, skipping whoever is not available.
    const order = [...candidates].sort();
    const start = last ? order.findIndex((m) => m > last) : 0;
    const rotated = start < 0 ? order : [...order.slice(start), ...order.slice(0, start)];
    let pick = rotated[0]!;
    if (queue.assignment === 'least_loaded') pick = leastLoaded(rotated, await this.workflowStore.openLoad(queue.org_id, rotated, tx));
    await this.store.updateQueue(tx, queue.id, { last_assignee: pick });
    return pick;
  }

  // ---- configuration (admins) -----------------------------------------------------------------------------------

  private async requireAdmin(ctx: RequestContext): Promise<void> {
    if (!can(ctx.actor, 'workflow.configure', { orgId: ctx.actor.orgId }, await this.orgs.settings(ctx.actor.orgId))) {
      throw new AppError('forbidden', 'Only practice admins configure queues, routing and response times');
    }
  }

  private requireStaffReader(ctx: RequestContext): void {
    if (ctx.actor.role === 'patient') throw new AppError('forbidden', 'Queues and routing are for the practice');
  }

  async listQueues(ctx: RequestContext) {
    this.requireStaffReader(ctx);
    return { items: (await this.store.queues(ctx.actor.orgId)).map(presentQueue) };
  }

  private async checkQueueInput(ctx: RequestContext, input: Static<typeof QueueUpdate>): Promise<void> {
    const orgId = ctx.actor.orgId;
    if (input.departmentId && !(await this.orgs.departmentExists(orgId, input.departmentId))) throw notFound('department');
    if (input.memberIds?.length) await this.users.assertActiveStaff(orgId, input.memberIds, ['provider', 'staff']);
    if (input.escalateToId) await this.users.assertActiveStaff(orgId, [input.escalateToId], ['provider', 'staff']);
  }

  async createQueue(ctx: RequestContext, input: Static<typeof QueueCreate>) {
    await this.requireAdmin(ctx);
    await this.checkQueueInput(ctx, input);
    const id = randomUUID();
    await this.db.transaction().execute(async (tx) => {
      await this.store
        .insertQueue(tx, { id, orgId: ctx.actor.orgId, name: input.name.trim(), departmentId: input.departmentId ?? null, assignment: input.assignment ?? 'off', escalateTo: input.escalateToId ?? null })
        .catch(conflictOnDuplicate);
      await this.store.setMembers(tx, ctx.actor.orgId, id, [...new Set(input.memberIds ?? [])]);
      await this.audit.recordFor(tx, ctx, { action: 'queues.create', resourceType: 'queue', resourceId: id, details: { assignment: input.assignment ?? 'off' } });
    });
    return presentQueue((await this.store.queue(ctx.actor.orgId, id))!);
  }

  async updateQueue(ctx: RequestContext, id: string, input: Static<typeof QueueUpdate>) {
    await this.requireAdmin(ctx);
    if (!(await this.store.queue(ctx.actor.orgId, id))) throw notFound('queue');
    await this.checkQueueInput(ctx, input);
    await this.db.transaction().execute(async (tx) => {
      await this.store
        .updateQueue(tx, id, {
          ...(input.name !== undefined ? { name: input.name.trim() } : {}),
          ...(input.departmentId !== undefined ? { department_id: input.departmentId } : {}),
          ...(input.assignment !== undefined ? { assignment: input.assignment } : {}),
          ...(input.escalateToId !== undefined ? { escalate_to: input.escalateToId } : {}),
        })
        .catch(conflictOnDuplicate);
      if (input.memberIds) await this.store.setMembers(tx, ctx.actor.orgId, id, [...new Set(input.memberIds)]);
      await this.audit.recordFor(tx, ctx, { action: 'queues.update', resourceType: 'queue', resourceId: id, details: { fields: Object.keys(input).sort().join(',') } });
    });
    return presentQueue((await this.store.queue(ctx.actor.orgId, id))!);
  }

  async rules(ctx: RequestContext): Promise<Static<typeof RoutingRules>> {
    this.requireStaffReader(ctx);
    const rows = await this.store.rules(ctx.actor.orgId);
    return { rules: rows.map((r) => ({ topic: r.topic, departmentId: r.department_id, careTeamId: r.care_team_id, queueId: r.queue_id })) };
  }

  async replaceRules(ctx: RequestContext, input: Static<typeof RoutingRules>) {
    await this.requireAdmin(ctx);
    const orgId = ctx.actor.orgId;
    const settings = await this.orgs.settings(orgId);
    const queues = new Set((await this.store.queues(orgId)).map((q) => q.id));
    const errors: { path: string; message: string }[] = [];
    for (const [i, r] of input.rules.entries()) {
      if (!queues.has(r.queueId)) errors.push({ path: `/body/rules/${i}/queueId`, message: 'no such queue' });
      if (r.topic && !settings.topics.includes(r.topic)) errors.push({ path: `/body/rules/${i}/topic`, message: 'unknown topic' });
      if (r.departmentId && !(await this.orgs.departmentExists(orgId, r.departmentId))) errors.push({ path: `/body/rules/${i}/departmentId`, message: 'no such department' });
      if (r.careTeamId && !(await this.orgs.careTeamExists(orgId, r.careTeamId))) errors.push({ path: `/body/rules/${i}/careTeamId`, message: 'no such care team' });
    }
    if (errors.length > 0) throw new AppError('validation_failed', 'Some routing rules are not valid; nothing was changed', { errors });
    await this.db.transaction().execute(async (tx) => {
      await this.store.replaceRules(tx, orgId, input.rules.map((r) => ({ topic: r.topic ?? null, departmentId: r.departmentId ?? null, careTeamId: r.careTeamId ?? null, queueId: r.queueId })));
      await this.audit.recordFor(tx, ctx, { action: 'routing.rules.replace', resourceType: 'organization', resourceId: orgId, details: { rules: input.rules.length } });
    });
    return this.rules(ctx);
  }

  async slaTargets(ctx: RequestContext): Promise<Static<typeof SlaTargets>> {
    this.requireStaffReader(ctx);
    const rows = await this.store.slaTargets(ctx.actor.orgId);
    return { targets: rows.map((t) => ({ topic: t.topic, priority: t.priority, responseMinutes: t.response_minutes, remindBeforeMinutes: t.remind_before_minutes })) };
  }

  async replaceSlaTargets(ctx: RequestContext, input: Static<typeof SlaTargets>) {
    await this.requireAdmin(ctx);
    const orgId = ctx.actor.orgId;
    const settings = await this.orgs.settings(orgId);
    const seen = new Set<string>();
    const errors: { path: string; message: string }[] = [];
    for (const [i, t] of input.targets.entries()) {
      if (t.topic !== '*' && !settings.topics.includes(t.topic)) errors.push({ path: `/body/targets/${i}/topic`, message: 'unknown topic' });
      if (seen.has(`${t.topic}|${t.priority}`)) errors.push({ path: `/body/targets/${i}`, message: 'a second target for this topic and priority' });
      if ((t.remindBeforeMinutes ?? 0) >= t.responseMinutes) errors.push({ path: `/body/targets/${i}/remindBeforeMinutes`, message: 'must be less than responseMinutes' });
      seen.add(`${t.topic}|${t.priority}`);
    }
    if (errors.length > 0) throw new AppError('validation_failed', 'Some targets are not valid; nothing was changed', { errors });
    await this.db.transaction().execute(async (tx) => {
      await this.store.replaceSlaTargets(tx, orgId, input.targets.map((t) => ({ ...t, remindBeforeMinutes: t.remindBeforeMinutes ?? 0 })));
      await this.audit.recordFor(tx, ctx, { action: 'sla.targets.replace', resourceType: 'organization', resourceId: orgId, details: { targets: input.targets.length } });
    });
    this.sla.invalidate(orgId);
    return this.slaTargets(ctx);
  }

  /** A provider's current choice (read by the web app's "My availability"). */
  async directMessages(ctx: RequestContext) {
    if (ctx.actor.role !== 'provider') throw new AppError('forbidden', 'Only providers receive direct messages');
    return { acceptsDirectMessages: await this.store.acceptsDirect(ctx.actor.orgId, ctx.actor.userId) };
  }

  /** A provider's choice: may patients message them directly, or do their messages go through staff first. */
  async setDirectMessages(ctx: RequestContext, accepts: boolean) {
    if (ctx.actor.role !== 'provider') throw new AppError('forbidden', 'Only providers receive direct messages');
    await this.db.transaction().execute(async (tx) => {
      await this.store.setAcceptsDirect(tx, ctx.actor.orgId, ctx.actor.userId, accepts);
      await this.audit.recordFor(tx, ctx, { action: 'workflow.directMessages', resourceType: 'user', resourceId: ctx.actor.userId, details: { accepts } });
    });
    return { acceptsDirectMessages: accepts };
  }

}

function leastLoaded(candidates: string[], load: Map<string, number>): string {
  let best = candidates[0]!;
  for (const c of candidates) if ((load.get(c) ?? 0) < (load.get(best) ?? 0)) best = c;
  return best;
}

function conflictOnDuplicate(err: unknown): never {
  if ((err as { code?: string }).code === '23505') throw new AppError('conflict', 'A queue with this name exists');
  throw err;
}
