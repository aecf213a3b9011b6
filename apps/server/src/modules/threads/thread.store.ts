import { sql, type ExpressionBuilder, type Selectable } from 'kysely';
import { Batcher } from '../../platform/db/batcher.js';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { Database } from '../../platform/db/schema.js';
import type { Role } from '@haven/api';
import type { PatientScope } from '../policy/policy.js';
import { patientInScope } from '../policy/patient-scope.sql.js';

export interface ThreadInsert {
  id: string;
  orgId: string;
  kind: 'patient' | 'internal';
  patientId: string | null;
  keyId: string;
  subjectCt: Buffer;
  topic: string | null;
  createdBy: string;
  /** Patient threads: where routing placed it. */
  workflow?: {
    state: 'unassigned' | 'assigned';
    departmentId: string | null;
    queueId: string | null;
    assigneeId: string | null;
    requestedProviderId: string | null;
    coveringForId: string | null;
    at: Date;
  } | null;
  /** A consult: the patient thread it is about. */
  linkedThreadId?: string | null;
}

/**
 * The patients on a staff member's care teams, as an uncorrelated subquery: PostgreSQL hashes it once per query
 * instead of probing the memberships once per thread (a page instead of a scan at 100k threads, bench/INBOX-RESULTS.md).
 */
export function careTeamPatients(eb: ExpressionBuilder<Database & { t: Database['threads'] }, 't'>, userId: string) {
  return eb
    .selectFrom('patient_care_teams as pc')
    .innerJoin('care_team_members as cm', 'cm.care_team_id', 'pc.care_team_id')
    .select('pc.patient_id')
    .where('cm.user_id', '=', userId);
}

/**
 * The threads an actor may see, as a SQL condition on alias `t`: patient threads within the patient scope,
 * and internal threads they take part in.
 */
export function visibleThreads(eb: ExpressionBuilder<Database & { t: Database['threads'] }, 't'>, scope: PatientScope, userId: string, internalThreads: boolean) {
  const participant = eb.exists(
    eb.selectFrom('thread_participants as tp').select('tp.thread_id').whereRef('tp.thread_id', '=', 't.id').where('tp.user_id', '=', userId),
  );
  const internal = eb.and([eb('t.kind', '=', 'internal'), participant]);
  // Patient threads of the patients in scope; with a care-team scope also those given to the actor (on call for a crisis).
  const inScope = scope.kind === 'care_team' ? eb.or([patientInScope(scope, sql.ref('t.patient_id')), participant]) : patientInScope(scope, sql.ref('t.patient_id'));
  const patientThreads = scope.kind === 'none' ? sql<boolean>`false` : eb.and([eb('t.kind', '=', 'patient'), inScope]);
  return internalThreads ? eb.or([patientThreads, internal]) : patientThreads;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface AccessKey {
  orgId: string;
  id: string;
  userId: string;
}
export interface AudienceCandidate {
  thread_id: string;
  org_id: string;
  kind: 'patient' | 'internal';
  patient_id: string | null;
  user_id: string;
  role: Role;
  on_care_team: boolean;
  participant: boolean;
}
export type ThreadAccessRow = Selectable<Database['threads']> & { on_care_team: boolean; participant: boolean; patient_archived_at: Date | null; patient_language: string | null };

export class ThreadStore {
  constructor(private readonly db: Db) {}

  async insert(tx: Queryable, t: ThreadInsert, participantIds: string[]): Promise<void> {
    await tx
      .insertInto('threads')
      .values({
        id: t.id,
        org_id: t.orgId,
        kind: t.kind,
        patient_id: t.patientId,
        key_id: t.keyId,
        subject_ct: t.subjectCt,
        topic: t.topic,
        created_by: t.createdBy,
        created_at: new Date(),
        ...(t.workflow
          ? {
              state: t.workflow.state,
              state_changed_at: t.workflow.at,
              department_id: t.workflow.departmentId,
              queue_id: t.workflow.queueId,
              assignee_id: t.workflow.assigneeId,
              requested_provider_id: t.workflow.requestedProviderId,
              covering_for_id: t.workflow.coveringForId,
            }
          : {}),
        linked_thread_id: t.linkedThreadId ?? null,
      })
      .execute();
    if (participantIds.length > 0) {
      await tx.insertInto('thread_participants').values(participantIds.map((u) => ({ thread_id: t.id, user_id: u, org_id: t.orgId }))).execute();
    }
  }

  /** A thread with the facts the policy needs about one user: on the patient's care team, participant. */
  withAccess(orgId: string, id: string, userId: string): Promise<ThreadAccessRow | undefined> {
    // Not a UUID: no such thread (and one malformed id must not fail the statement it would share with others).
    if (!UUID.test(id)) return Promise.resolve(undefined);
    return this.accessLookups.submit({ orgId, id, userId });
  }

  /** Every request in a thread checks access first: concurrent checks share one query (always fresh, never cached). */
  private readonly accessLookups = new Batcher<AccessKey, ThreadAccessRow | undefined>((keys) => this.withAccessMany(keys), { maxBatch: 256, maxInFlight: 1 });

  private async withAccessMany(keys: AccessKey[]): Promise<(ThreadAccessRow | undefined)[]> {
    const res = await sql<ThreadAccessRow & { ord: number }>`
      SELECT i.ord, t.*,
             EXISTS (SELECT 1 FROM patient_care_teams pc JOIN care_team_members cm ON cm.care_team_id = pc.care_team_id
                      WHERE pc.patient_id = t.patient_id AND cm.user_id = i.user_id) AS on_care_team,
             EXISTS (SELECT 1 FROM thread_participants tp WHERE tp.thread_id = t.id AND tp.user_id = i.user_id) AS participant,
             pu.archived_at AS patient_archived_at, pu.language AS patient_language
        FROM unnest(${keys.map((_, n) => n)}::int[], ${keys.map((k) => k.orgId)}::uuid[], ${keys.map((k) => k.id)}::uuid[],
                    ${keys.map((k) => k.userId)}::uuid[]) AS i(ord, org_id, thread_id, user_id)
        JOIN threads t ON t.id = i.thread_id AND t.org_id = i.org_id
        LEFT JOIN users pu ON pu.id = t.patient_id`.execute(this.db);
    const out: (ThreadAccessRow | undefined)[] = keys.map(() => undefined);
    for (const { ord, ...row } of res.rows) out[ord] = row;
    return out;
  }

  /**
   * Everyone who might see these threads, with the facts the policy needs: the patient, members of the patient's
   * care teams, participants, and (for organizations in `allStaffOrgIds`) every active provider and staff member.
   * Deactivated users never appear. The policy module makes the final decision.
   */
  async audienceCandidates(threadIds: string[], allStaffOrgIds: string[]): Promise<AudienceCandidate[]> {
    if (threadIds.length === 0) return [];
    // Candidates come from the memberships (a few rows per thread), never from a scan of the organization's users;
    // only organizations whose staff see every patient add all their clinical staff.
    const res = await sql<AudienceCandidate>`
      WITH t AS (
        SELECT id, org_id, kind, patient_id FROM threads WHERE id = ANY(${threadIds}::uuid[])
      ), c AS (
        SELECT t.id AS thread_id, t.patient_id AS user_id FROM t WHERE t.kind = 'patient'
        UNION
        SELECT t.id, cm.user_id FROM t
          JOIN patient_care_teams pc ON pc.patient_id = t.patient_id
          JOIN care_team_members cm ON cm.care_team_id = pc.care_team_id
        UNION
        SELECT t.id, tp.user_id FROM t JOIN thread_participants tp ON tp.thread_id = t.id
        UNION
        SELECT t.id, u.id FROM t JOIN users u ON u.org_id = t.org_id AND u.role IN ('provider', 'staff') AND u.status = 'active'
         WHERE t.kind = 'patient' AND t.org_id = ANY(${allStaffOrgIds}::uuid[])
      )
      SELECT t.id AS thread_id, t.org_id, t.kind, t.patient_id, u.id AS user_id, u.role,
             EXISTS (SELECT 1 FROM patient_care_teams pc JOIN care_team_members cm ON cm.care_team_id = pc.care_team_id
                      WHERE pc.patient_id = t.patient_id AND cm.user_id = u.id) AS on_care_team,
             EXISTS (SELECT 1 FROM thread_participants tp WHERE tp.thread_id = t.id AND tp.user_id = u.id) AS participant
        FROM c
        JOIN t ON t.id = c.thread_id
        JOIN users u ON u.id = c.user_id AND u.org_id = t.org_id AND u.status = 'active'`.execute(this.db);
    return res.rows;
  }

  async orgsOfThreads(threadIds: string[]): Promise<string[]> {
    const rows = await this.db.selectFrom('threads').select('org_id').distinct().where('id', '=', sql<string>`ANY(${threadIds}::uuid[])`).execute();
    return rows.map((r) => r.org_id);
  }

  byId(orgId: string, id: string, tx: Queryable = this.db) {
    return tx.selectFrom('threads').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  }

  async participantIds(threadIds: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (threadIds.length === 0) return out;
    const rows = await this.db.selectFrom('thread_participants').select(['thread_id', 'user_id']).where('thread_id', 'in', threadIds).execute();
    for (const r of rows) out.set(r.thread_id, [...(out.get(r.thread_id) ?? []), r.user_id]);
    return out;
  }

  /**
   * Who takes part in some threads, for notifications: the patient and the active providers and staff of the
   * patient's care teams (patient threads), or the active participants (internal threads). One query for all.
   */
  async audiences(keys: { orgId: string; threadId: string }[]): Promise<{ org_id: string; id: string; kind: 'patient' | 'internal'; patient_id: string | null; care_team: string[]; participants: string[] }[]> {
    const valid = keys.filter((k) => UUID.test(k.threadId) && UUID.test(k.orgId));
    if (valid.length === 0) return [];
    const res = await sql<{ org_id: string; id: string; kind: 'patient' | 'internal'; patient_id: string | null; care_team: string[]; participants: string[] }>`
      SELECT t.org_id, t.id, t.kind, t.patient_id,
             coalesce((SELECT array_agg(DISTINCT u.id::text) FROM patient_care_teams pc
                         JOIN care_team_members cm ON cm.care_team_id = pc.care_team_id
                         JOIN users u ON u.id = cm.user_id
                        WHERE pc.patient_id = t.patient_id AND u.org_id = t.org_id AND u.status = 'active' AND u.role IN ('provider', 'staff')), '{}') AS care_team,
             coalesce((SELECT array_agg(u.id::text) FROM thread_participants tp JOIN users u ON u.id = tp.user_id
                        WHERE tp.thread_id = t.id AND u.status = 'active'), '{}') AS participants
        FROM unnest(${valid.map((k) => k.orgId)}::uuid[], ${valid.map((k) => k.threadId)}::uuid[]) AS i(org_id, thread_id)
        JOIN threads t ON t.id = i.thread_id AND t.org_id = i.org_id`.execute(this.db);
    return res.rows;
  }

  async isParticipant(threadId: string, userId: string): Promise<boolean> {
    const row = await this.db.selectFrom('thread_participants').select('user_id').where('thread_id', '=', threadId).where('user_id', '=', userId).executeTakeFirst();
    return row !== undefined;
  }

  /** Consults (internal threads) linked to a patient thread in which the user takes part. */
  consultsOf(orgId: string, threadId: string, userId: string) {
    return this.db
      .selectFrom('threads as t')
      .selectAll('t')
      .where('t.org_id', '=', orgId)
      .where('t.kind', '=', 'internal')
      .where('t.linked_thread_id', '=', threadId)
      .where((eb) => eb.exists(eb.selectFrom('thread_participants as tp').select('tp.thread_id').whereRef('tp.thread_id', '=', 't.id').where('tp.user_id', '=', userId)))
      .orderBy(sql`coalesce(t.last_message_at, t.created_at)`, 'desc')
      .orderBy('t.id', 'desc')
      .execute();
  }

  /**
   * `seesInternal`: the caller sees internal messages (staff). A patient's unread count and activity time leave
   * internal notes out, so a note neither raises the count nor moves the thread up in their list.
   */
  list(q: { orgId: string; scope: PatientScope; userId: string; isStaff: boolean; seesInternal: boolean; internalThreads: boolean; patientId?: string; kind?: 'patient' | 'internal'; after?: { micros: string; id: string }; limit: number }) {
    const lastAt = q.seesInternal ? sql<Date>`t.last_message_at` : sql<Date>`t.patient_last_message_at`;
    // The cursor position in whole microseconds, PostgreSQL's own precision, so equal-millisecond rows are never skipped.
    const activityMicros = sql<string>`(extract(epoch from coalesce(${lastAt}, t.created_at)) * 1000000)::bigint`;
    let query = this.db
      .selectFrom('threads as t')
      .selectAll('t')
      .select(activityMicros.as('activity_us'))
      .select((eb) =>
        eb
          .selectFrom('messages as m')
          .select(sql<string>`count(*)`.as('n'))
          .whereRef('m.thread_id', '=', 't.id')
          .where('m.sender_id', '<>', q.userId)
          .where((w) => (q.isStaff ? sql<boolean>`true` : w('m.retracted_at', 'is', null)))
          .where((w) => (q.seesInternal ? sql<boolean>`true` : w('m.visibility', '=', 'patient')))
          .where((w) =>
            w.not(
              w.exists(w.selectFrom('message_receipts as r').select('r.message_id').whereRef('r.message_id', '=', 'm.id').where('r.user_id', '=', q.userId).where('r.read_at', 'is not', null)),
            ),
          )
          .as('unread'),
      )
      .where('t.org_id', '=', q.orgId)
      .where((eb) => visibleThreads(eb, q.scope, q.userId, q.internalThreads));
    if (q.patientId) query = query.where('t.patient_id', '=', q.patientId);
    if (q.kind) query = query.where('t.kind', '=', q.kind);
    if (q.after) query = query.where(sql<boolean>`(${activityMicros}, t.id) < (${q.after.micros}::bigint, ${q.after.id}::uuid)`);
    return query.orderBy(sql`coalesce(${lastAt}, t.created_at)`, 'desc').orderBy('t.id', 'desc').limit(q.limit).execute();
  }
}
