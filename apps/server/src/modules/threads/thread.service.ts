import { randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import type { Role, Thread, ThreadCreate, ThreadListQuery } from '@haven/api';
import type { Db } from '../../platform/db/database.js';
import { aad } from '../../platform/crypto/aead.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { RequestContext } from '../../platform/http/context.js';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { AppError, notFound } from '../../platform/http/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { OrganizationService } from '../organization/organization.service.js';
import type { PatientService } from '../patients/patient.service.js';
import { can, isStaffRole, patientScope, seesInternalThreads, type Action, type Resource } from '../policy/policy.js';
import type { UserService } from '../users/user.service.js';
import type { EventOutbox } from '../events/event.outbox.js';
import type { ThreadStore } from './thread.store.js';

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
const subjectAad = (t: { org_id: string; id: string }) => aad('thread', t.org_id, t.id, 'subject');
const THREAD_CURSOR = /^\d{1,19}_[0-9a-f-]{36}$/;

export class ThreadService {
  constructor(
    private readonly db: Db,
    private readonly store: ThreadStore,
    private readonly patients: PatientService,
    private readonly users: UserService,
    private readonly orgs: OrganizationService,
    private readonly keyring: Keyring,
    private readonly audit: AuditService,
    private readonly outbox: EventOutbox,
  ) {}

  /** Loads a thread the actor may use for `action`, or 404, the same answer as for a thread that does not exist. */
  async require(ctx: RequestContext, threadId: string, action: Action = 'threads.read'): Promise<{ thread: ThreadRecord; resource: Resource }> {
    const found = await this.store.withAccess(ctx.actor.orgId, threadId, ctx.actor.userId);
    if (!found) throw notFound('thread');
    const { on_care_team: onCareTeam, participant, ...thread } = found;
    const resource: Resource =
      thread.kind === 'internal'
        ? { orgId: thread.org_id, threadKind: 'internal', participant: participant === true }
        : { orgId: thread.org_id, threadKind: 'patient', patientId: thread.patient_id, onCareTeam: isStaffRole(ctx.actor.role) && onCareTeam === true };
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
          : { orgId: c.org_id, threadKind: 'patient', patientId: c.patient_id, onCareTeam: isStaffRole(c.role) && c.on_care_team };
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

  async create(ctx: RequestContext, input: Static<typeof ThreadCreate>): Promise<Static<typeof Thread>> {
    const orgId = ctx.actor.orgId;
    const settings = await this.orgs.settings(orgId);
    const kind = input.kind ?? (ctx.actor.role === 'patient' || input.patientId ? 'patient' : 'internal');
    const id = randomUUID();
    let patientId: string | null = null;
    let keyId: string;
    let participants: string[] = [];
    if (kind === 'patient') {
      patientId = ctx.actor.role === 'patient' ? ctx.actor.userId : (input.patientId ?? null);
      if (!patientId) throw new AppError('validation_failed', 'patientId is required for a patient thread', { errors: [{ path: '/patientId', message: 'required' }] });
      if (ctx.actor.role === 'patient' && input.patientId && input.patientId !== ctx.actor.userId) throw notFound('patient');
      const patient = await this.patients.requirePatient(ctx, patientId, 'threads.create');
      keyId = patient.key_id;
      if (input.participantIds?.length) throw new AppError('validation_failed', 'Patient threads are shared with the care team; participants apply to internal threads');
    } else {
      if (!can(ctx.actor, 'threads.create', { orgId, threadKind: 'internal' }, settings)) throw new AppError('forbidden', 'Your role cannot start internal staff threads');
      if (input.patientId) throw new AppError('validation_failed', 'Internal threads do not belong to a patient');
      participants = [...new Set([ctx.actor.userId, ...(input.participantIds ?? [])])];
      await this.users.assertActiveStaff(orgId, participants, ['provider', 'staff']);
      keyId = await this.keyring.orgDataKeyId(orgId, 'organization');
    }
    const topic = input.topic ?? (kind === 'patient' ? 'other' : null);
    if (topic && !settings.topics.includes(topic)) {
      throw new AppError('validation_failed', `Unknown topic; choose one of: ${settings.topics.join(', ')}`, { errors: [{ path: '/topic', message: 'unknown topic' }] });
    }
    await this.db.transaction().execute(async (tx) => {
      const subjectCt = await this.keyring.encrypt(keyId, input.subject, subjectAad({ org_id: orgId, id }), tx);
      await this.store.insert(tx, { id, orgId, kind, patientId, keyId, subjectCt, topic, createdBy: ctx.actor.userId }, participants);
      await this.audit.recordFor(tx, ctx, { action: 'threads.create', resourceType: 'thread', resourceId: id, patientId, details: { kind, topic } });
      await this.outbox.record(tx, [{ orgId, kind: 'thread.created', threadId: id, actorId: ctx.actor.userId, data: { kind, patientId, topic } }]);
    });
    this.outbox.committed();
    const thread = await this.store.byId(orgId, id);
    return (await this.present([thread!]))[0]!;
  }

  async get(ctx: RequestContext, threadId: string) {
    const { thread } = await this.require(ctx, threadId);
    const [out] = await this.present([thread]);
    await this.audit.recordFor(this.db, ctx, { action: 'threads.get', resourceType: 'thread', resourceId: threadId, patientId: thread.patient_id });
    return out!;
  }

  async list(ctx: RequestContext, q: Static<typeof ThreadListQuery>) {
    const settings = await this.orgs.settings(ctx.actor.orgId);
    const limit = q.limit ?? 50;
    let after: { micros: string; id: string } | undefined;
    if (q.cursor) {
      const [micros, id] = decodeCursor(q.cursor, THREAD_CURSOR).split('_');
      after = { micros: micros!, id: id! };
    }
    const rows = await this.store.list({
      orgId: ctx.actor.orgId,
      scope: patientScope(ctx.actor, settings, 'messages'),
      userId: ctx.actor.userId,
      isStaff: isStaffRole(ctx.actor.role),
      internalThreads: seesInternalThreads(ctx.actor.role),
      patientId: q.patientId,
      kind: q.kind,
      after,
      limit,
    });
    const items = await this.present(rows, rows.map((r) => Number(r.unread)));
    await this.audit.recordFor(this.db, ctx, { action: 'threads.list', resourceType: 'thread', patientId: q.patientId ?? null, details: { returned: items.length } });
    const last = rows[rows.length - 1];
    return { items, nextCursor: rows.length === limit && last ? encodeCursor(`${last.activity_us}_${last.id}`) : null };
  }

  private async present(rows: ThreadRecord[], unread?: number[]): Promise<Static<typeof Thread>[]> {
    const participants = await this.store.participantIds(rows.filter((r) => r.kind === 'internal').map((r) => r.id));
    return Promise.all(
      rows.map(async (t, i) => ({
        id: t.id,
        kind: t.kind,
        subject: await this.keyring.decrypt(t.key_id, t.subject_ct, subjectAad(t)),
        topic: t.topic,
        patientId: t.patient_id,
        participantIds: participants.get(t.id) ?? [],
        createdBy: t.created_by,
        createdAt: t.created_at.toISOString(),
        lastMessageAt: t.last_message_at ? t.last_message_at.toISOString() : null,
        unreadCount: unread?.[i] ?? 0,
      })),
    );
  }
}
