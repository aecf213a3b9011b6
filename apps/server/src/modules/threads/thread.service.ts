import { randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import type { Role, Thread, ThreadCreate, ThreadListQuery } from '@haven/api';
import type { Db } from '../../platform/db/database.js';
import { aad } from '../../platform/crypto/aead.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { RequestContext } from '../../platform/http/context.js';
import { decodeTimeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { AppError, notFound } from '../../platform/http/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { OrganizationService } from '../organization/organization.service.js';
import type { PatientService } from '../patients/patient.service.js';
import { can, isStaffRole, patientScope, seesInternalMessages, seesInternalThreads, type Action, type Resource } from '../policy/policy.js';
import type { UserService } from '../users/user.service.js';
import type { EventOutbox } from '../events/event.outbox.js';
import type { ThreadStore } from './thread.store.js';
import type { Clock } from '../../platform/time/clock.js';
import type { Queryable } from '../../platform/db/database.js';
import { presentWorkflow } from '../workflow/workflow.service.js';
import type { Route, RouteRequest } from '../workflow/routing.service.js';

/** Routes a new patient thread (the workflow module's routing, plugged in when the app is built). */
export interface ThreadRouter {
  route(tx: Queryable, r: RouteRequest): Promise<Route>;
}

/** Someone who may see a thread. */
export interface Viewer {
  userId: string;
  role: Role;
}
export interface ThreadAudience {
  kind: 'patient' | 'internal';
  patientId: string | null;
  /** Active providers and staff on the patient's care teams (patient threads). */
  careTeamIds: string[];
  /** Active participants (internal threads). */
  participantIds: string[];
}

export type ThreadRecord = NonNullable<Awaited<ReturnType<ThreadStore['byId']>>>;

/**
 * Whether messaging is open for a patient's record (archived patients, the soft launch): modules/rollout's
 * MessagingAccess, set by app.ts. Throws 409 patient_archived or 403 messaging_not_enabled.
 * `threadCreatedBy` is null for a thread being created.
 */
export interface MessagingGate {
  /** `archived`: the patient's archive state when the caller just read it (the access check does); else looked up. */
  assertMayWrite(ctx: RequestContext, target: { patientId: string; threadCreatedBy: string | null; archived?: boolean }): Promise<void>;
}
const subjectAad = (t: { org_id: string; id: string }) => aad('thread', t.org_id, t.id, 'subject');

export class ThreadService {
  private gate: MessagingGate | undefined;

  constructor(
    private readonly db: Db,
    private readonly store: ThreadStore,
    private readonly patients: PatientService,
    private readonly users: UserService,
    private readonly orgs: OrganizationService,
    private readonly keyring: Keyring,
    private readonly audit: AuditService,
    private readonly outbox: EventOutbox,
    private readonly clock: Clock,
  ) {}

  private router: ThreadRouter | undefined;

  useRouter(router: ThreadRouter): void {
    this.router = router;
  }

  /** The messaging gate (cohorts: archive and soft launch) for threads.create and messages.send. */
  useMessagingGate(gate: MessagingGate): void {
    this.gate = gate;
  }

  /**
   * Refuses a new message in a patient thread while the patient's messaging is closed (see MessagingGate). A thread
   * from `require` carries the patient's archive state read with the access check, so staff sends cost no lookup.
   */
  async assertMayWrite(ctx: RequestContext, thread: ThreadRecord & { patient_archived_at?: Date | null }): Promise<void> {
    if (thread.kind !== 'patient' || !thread.patient_id) return;
    const archived = thread.patient_archived_at === undefined ? undefined : thread.patient_archived_at !== null;
    await this.gate?.assertMayWrite(ctx, { patientId: thread.patient_id, threadCreatedBy: thread.created_by, archived });
  }

  /** Loads a thread the actor may use for `action`, or 404, the same answer as for a thread that does not exist. */
  async require(ctx: RequestContext, threadId: string, action: Action = 'threads.read'): Promise<{ thread: ThreadRecord & { patient_archived_at: Date | null; patient_language: string | null }; resource: Resource }> {
    const found = await this.store.withAccess(ctx.actor.orgId, threadId, ctx.actor.userId);
    if (!found) throw notFound('thread');
    const { on_care_team: onCareTeam, participant, ...thread } = found;
    const resource: Resource =
      thread.kind === 'internal'
        ? { orgId: thread.org_id, threadKind: 'internal', participant: participant === true }
        : { orgId: thread.org_id, threadKind: 'patient', patientId: thread.patient_id, onCareTeam: isStaffRole(ctx.actor.role) && onCareTeam === true, participant: isStaffRole(ctx.actor.role) && participant === true };
    if (!can(ctx.actor, action, resource, await this.orgs.settings(ctx.actor.orgId))) throw notFound('thread');
    return { thread, resource };
  }

  /**
   * Who may see each of these threads right now (the audience of its live events), decided by the policy module
   * from current memberships: checked when an event is delivered, not when a socket opened. (Everyone who may see,
   * e.g. all clinical staff when the organization lets staff see every patient; `audiences` below is who takes
   * part, for notifications.) `knownOrgIds` (the
   * organizations of these threads, when the caller knows them) saves a query; it only selects settings.
   */
  async audience(threadIds: string[], knownOrgIds?: string[]): Promise<Map<string, Viewer[]>> {
    const out = new Map<string, Viewer[]>(threadIds.map((id) => [id, []]));
    if (threadIds.length === 0) return out;
    const orgIds = knownOrgIds ?? (await this.store.orgsOfThreads(threadIds));
    const settings = new Map(await Promise.all(orgIds.map(async (o) => [o, await this.orgs.settings(o)] as const)));
    const allStaff = orgIds.filter((o) => settings.get(o)?.staffSeeAllPatients === true);
    for (const c of await this.store.audienceCandidates(threadIds, allStaff)) {
      const actor = { userId: c.user_id, orgId: c.org_id, role: c.role, sessionId: '' };
      const resource: Resource =
        c.kind === 'internal'
          ? { orgId: c.org_id, threadKind: 'internal', participant: c.participant }
          : { orgId: c.org_id, threadKind: 'patient', patientId: c.patient_id, onCareTeam: isStaffRole(c.role) && c.on_care_team, participant: isStaffRole(c.role) && c.participant };
      if (can(actor, 'threads.read', resource, settings.get(c.org_id)!)) out.get(c.thread_id)?.push({ userId: c.user_id, role: c.role });
    }
    return out;
  }

  /**
   * Who takes part in these threads (for notifications, run by the system after messages were stored, not on behalf
   * of a caller): the patient and the active providers and staff of the patient's care teams, or the participants of
   * an internal thread. Keyed `orgId|threadId`; threads not in their organization are absent. Never sent to a client.
   */
  async audiences(keys: { orgId: string; threadId: string }[]): Promise<Map<string, ThreadAudience>> {
    const rows = await this.store.audiences(keys);
    return new Map(rows.map((r) => [`${r.org_id}|${r.id}`, { kind: r.kind, patientId: r.patient_id, careTeamIds: r.care_team, participantIds: r.participants }]));
  }

  /**
   * Starts a thread. `opts.id` (system callers such as broadcasts, which derive ids so a retry finds its thread)
   * sets the thread's id; an id that exists makes the insert fail with a unique violation (23505).
   */
  async create(ctx: RequestContext, input: Static<typeof ThreadCreate>, opts: { id?: string } = {}): Promise<Static<typeof Thread>> {
    const orgId = ctx.actor.orgId;
    const settings = await this.orgs.settings(orgId);
    const kind = input.kind ?? (ctx.actor.role === 'patient' || input.patientId ? 'patient' : 'internal');
    const id = opts.id ?? randomUUID();
    let patientId: string | null = null;
    let keyId: string;
    let participants: string[] = [];
    let linked: ThreadRecord | undefined;
    if (input.linkedThreadId && kind !== 'internal') {
      throw new AppError('validation_failed', 'Only internal threads (consults) link to a patient thread', { errors: [{ path: '/body/linkedThreadId', message: 'internal threads only' }] });
    }
    if (kind === 'patient') {
      patientId = ctx.actor.role === 'patient' ? ctx.actor.userId : (input.patientId ?? null);
      if (!patientId) throw new AppError('validation_failed', 'patientId is required for a patient thread', { errors: [{ path: '/patientId', message: 'required' }] });
      if (ctx.actor.role === 'patient' && input.patientId && input.patientId !== ctx.actor.userId) throw notFound('patient');
      const patient = await this.patients.requirePatient(ctx, patientId, 'threads.create');
      await this.gate?.assertMayWrite(ctx, { patientId, threadCreatedBy: null });
      keyId = patient.key_id;
      if (input.participantIds?.length) throw new AppError('validation_failed', 'Patient threads are shared with the care team; participants apply to internal threads');
    } else {
      if (input.providerId || input.toOnCall) throw new AppError('validation_failed', 'providerId and toOnCall address patient threads', { errors: [{ path: input.providerId ? '/providerId' : '/toOnCall', message: 'patient threads only' }] });
      if (!can(ctx.actor, 'threads.create', { orgId, threadKind: 'internal' }, settings)) throw new AppError('forbidden', 'Your role cannot start internal staff threads');
      if (input.patientId) throw new AppError('validation_failed', 'Internal threads do not belong to a patient');
      participants = [...new Set([ctx.actor.userId, ...(input.participantIds ?? [])])];
      await this.users.assertActiveStaff(orgId, participants, ['provider', 'staff']);
      if (input.linkedThreadId) {
        // A consult: about a patient thread the creator may see. Its participants get the consult, not the patient thread.
        linked = (await this.require(ctx, input.linkedThreadId, 'threads.read')).thread;
        if (linked.kind !== 'patient') {
          throw new AppError('validation_failed', 'A consult links to a patient thread', { errors: [{ path: '/body/linkedThreadId', message: 'not a patient thread' }] });
        }
      }
      // A consult is part of the patient's record: under the patient's key (shredding the record takes it along).
      keyId = linked ? linked.key_id : await this.keyring.orgDataKeyId(orgId, 'organization');
    }
    const topic = input.topic ?? (kind === 'patient' ? 'other' : null);
    if (topic && !settings.topics.includes(topic)) {
      throw new AppError('validation_failed', `Unknown topic; choose one of: ${settings.topics.join(', ')}`, { errors: [{ path: '/topic', message: 'unknown topic' }] });
    }
    const at = this.clock.now();
    await this.db.transaction().execute(async (tx) => {
      const subjectCt = await this.keyring.encrypt(keyId, input.subject, subjectAad({ org_id: orgId, id }), tx);
      // Patient threads enter the workflow: routed to a department and queue, perhaps straight to someone.
      const route =
        kind === 'patient' && patientId && this.router
          ? await this.router.route(tx, { orgId, patientId, topic, providerId: input.providerId, toOnCall: input.toOnCall, createdByStaff: ctx.actor.role === 'patient' ? undefined : ctx.actor.userId, at })
          : null;
      const workflow = route ? { ...route, state: route.assigneeId ? ('assigned' as const) : ('unassigned' as const), at } : null;
      await this.store.insert(tx, { id, orgId, kind, patientId, keyId, subjectCt, topic, createdBy: ctx.actor.userId, workflow, linkedThreadId: linked?.id ?? null }, participants);
      await this.audit.recordFor(tx, ctx, {
        action: 'threads.create',
        resourceType: 'thread',
        resourceId: id,
        patientId: patientId ?? linked?.patient_id ?? null,
        details: { kind, topic, ...(linked ? { linkedThreadId: linked.id } : {}), ...(route ? { queueId: route.queueId ?? '', assigneeId: route.assigneeId ?? '' } : {}) },
      });
      // Announced to the thread's audience: for a consult its participants only (the patient never learns of it).
      await this.outbox.record(tx, [{ orgId, kind: 'thread.created', threadId: id, actorId: ctx.actor.userId, data: { kind, patientId, topic }, staffOnly: kind === 'internal' }]);
    });
    this.outbox.committed();
    const thread = await this.store.byId(orgId, id);
    return (await this.present(ctx, [thread!]))[0]!;
  }

  /** The consults of a patient thread that the caller takes part in (providers and staff who see the thread). */
  async consults(ctx: RequestContext, threadId: string): Promise<{ items: Static<typeof Thread>[] }> {
    if (!seesInternalThreads(ctx.actor.role)) throw new AppError('forbidden', 'Consults are for providers and staff');
    const { thread } = await this.require(ctx, threadId, 'threads.consults');
    const rows = await this.store.consultsOf(thread.org_id, thread.id, ctx.actor.userId);
    const items = await this.present(ctx, rows);
    await this.audit.recordFor(this.db, ctx, { action: 'threads.consults', resourceType: 'thread', resourceId: thread.id, patientId: thread.patient_id, details: { returned: items.length } });
    return { items };
  }

  /** A thread found by the system itself (automatic replies, sweeps): never for a caller's request. */
  byIdForSystem(orgId: string, threadId: string): Promise<ThreadRecord | undefined> {
    return this.store.byId(orgId, threadId);
  }

  async get(ctx: RequestContext, threadId: string) {
    const { thread } = await this.require(ctx, threadId);
    const [out] = await this.present(ctx, [thread]);
    await this.audit.recordFor(this.db, ctx, { action: 'threads.get', resourceType: 'thread', resourceId: threadId, patientId: thread.patient_id });
    return out!;
  }

  async list(ctx: RequestContext, q: Static<typeof ThreadListQuery>) {
    const settings = await this.orgs.settings(ctx.actor.orgId);
    const limit = q.limit ?? 50;
    let after: { micros: string; id: string } | undefined;
    if (q.cursor) {
      const { micros, id } = decodeTimeCursor(q.cursor);
      after = { micros: micros!, id: id! };
    }
    const rows = await this.store.list({
      orgId: ctx.actor.orgId,
      scope: patientScope(ctx.actor, settings, 'messages'),
      userId: ctx.actor.userId,
      isStaff: isStaffRole(ctx.actor.role),
      seesInternal: seesInternalMessages(ctx.actor.role),
      internalThreads: seesInternalThreads(ctx.actor.role),
      patientId: q.patientId,
      kind: q.kind,
      after,
      limit,
    });
    const items = await this.present(ctx, rows, rows.map((r) => Number(r.unread)));
    await this.audit.recordFor(this.db, ctx, { action: 'threads.list', resourceType: 'thread', patientId: q.patientId ?? null, details: { returned: items.length } });
    const last = rows[rows.length - 1];
    return { items, nextCursor: rows.length === limit && last ? encodeCursor(`${last.activity_us}_${last.id}`) : null };
  }

  /**
   * Threads as the caller sees them: a patient's activity time leaves internal notes out; staff get the workflow;
   * everyone gets who answers and whom they cover for.
   */
  async present(ctx: { actor: { role: Role } }, rows: ThreadRecord[], unread?: number[]): Promise<Static<typeof Thread>[]> {
    const staffView = seesInternalMessages(ctx.actor.role);
    const participants = await this.store.participantIds(rows.filter((r) => r.kind === 'internal').map((r) => r.id));
    const people = rows.flatMap((r) => (r.kind === 'patient' ? [r.assignee_id, r.covering_for_id] : [])).filter((x): x is string => Boolean(x));
    const names = people.length > 0 && rows[0] ? await this.users.names(rows[0].org_id, people) : new Map<string, string>();
    const person = (id: string | null) => (id && names.has(id) ? { id, name: names.get(id)! } : null);
    const now = this.clock.now();
    return Promise.all(
      rows.map(async (t, i) => ({
        ...(t.kind === 'patient'
          ? {
              ...(staffView ? { workflow: presentWorkflow(t, now) } : {}),
              careContact: { assignee: person(t.assignee_id), coveringFor: t.assignee_id ? person(t.covering_for_id) : null },
            }
          : {}),
        id: t.id,
        kind: t.kind,
        subject: await this.keyring.decrypt(t.key_id, t.subject_ct, subjectAad(t)),
        topic: t.topic,
        patientId: t.patient_id,
        participantIds: participants.get(t.id) ?? [],
        createdBy: t.created_by,
        createdAt: t.created_at.toISOString(),
        lastMessageAt: (staffView ? t.last_message_at : t.patient_last_message_at)?.toISOString() ?? null,
        unreadCount: unread?.[i] ?? 0,
        linkedThreadId: t.linked_thread_id,
      })),
    );
  }
}
