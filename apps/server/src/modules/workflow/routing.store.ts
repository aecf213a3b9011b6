import { sql, type Selectable } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { Database } from '../../platform/db/schema.js';

export type QueueRow = Selectable<Database['queues']> & { member_ids: string[] };
export type RuleRow = Selectable<Database['routing_rules']>;
export type SlaTargetRow = Selectable<Database['sla_targets']>;

/** Queues, routing rules and response-time targets. */
export class RoutingStore {
  constructor(private readonly db: Db) {}

  private queueQuery(q: Queryable) {
    return q
      .selectFrom('queues as q')
      .selectAll('q')
      .select(sql<string[]>`coalesce((SELECT array_agg(m.user_id::text ORDER BY m.user_id) FROM queue_members m WHERE m.queue_id = q.id), '{}')`.as('member_ids'));
  }

  queues(orgId: string): Promise<QueueRow[]> {
    return this.queueQuery(this.db).where('q.org_id', '=', orgId).where('q.archived_at', 'is', null).orderBy('q.name').execute();
  }

  queue(orgId: string, id: string, tx: Queryable = this.db): Promise<QueueRow | undefined> {
    return this.queueQuery(tx).where('q.org_id', '=', orgId).where('q.id', '=', id).executeTakeFirst();
  }

  /** The queue row locked (round robin advances one assignment at a time). */
  async lockQueue(tx: Queryable, id: string): Promise<void> {
    await tx.selectFrom('queues').select('id').where('id', '=', id).forNoKeyUpdate().execute();
  }

  async insertQueue(tx: Queryable, q: { id: string; orgId: string; name: string; departmentId: string | null; assignment: 'off' | 'round_robin' | 'least_loaded'; escalateTo: string | null }): Promise<void> {
    await tx
      .insertInto('queues')
      .values({ id: q.id, org_id: q.orgId, name: q.name, department_id: q.departmentId, assignment: q.assignment, escalate_to: q.escalateTo, last_assignee: null, created_at: new Date() })
      .execute();
  }

  async updateQueue(tx: Queryable, id: string, set: Partial<{ name: string; department_id: string | null; assignment: 'off' | 'round_robin' | 'least_loaded'; escalate_to: string | null; last_assignee: string | null }>): Promise<void> {
    if (Object.keys(set).length === 0) return;
    await tx.updateTable('queues').set(set).where('id', '=', id).execute();
  }

  async setMembers(tx: Queryable, orgId: string, queueId: string, userIds: string[]): Promise<void> {
    await tx.deleteFrom('queue_members').where('queue_id', '=', queueId).execute();
    if (userIds.length > 0) await tx.insertInto('queue_members').values(userIds.map((u) => ({ queue_id: queueId, user_id: u, org_id: orgId }))).execute();
  }

  rules(orgId: string): Promise<RuleRow[]> {
    return this.db.selectFrom('routing_rules').selectAll().where('org_id', '=', orgId).orderBy('position').execute();
  }

  async replaceRules(tx: Queryable, orgId: string, rules: { topic: string | null; departmentId: string | null; careTeamId: string | null; queueId: string }[]): Promise<void> {
    await tx.deleteFrom('routing_rules').where('org_id', '=', orgId).execute();
    if (rules.length === 0) return;
    await tx
      .insertInto('routing_rules')
      .values(rules.map((r, i) => ({ id: crypto.randomUUID(), org_id: orgId, position: i, topic: r.topic, department_id: r.departmentId, care_team_id: r.careTeamId, queue_id: r.queueId, created_at: new Date() })))
      .execute();
  }

  slaTargets(orgId: string): Promise<SlaTargetRow[]> {
    return this.db.selectFrom('sla_targets').selectAll().where('org_id', '=', orgId).orderBy('topic').orderBy('priority').execute();
  }

  async replaceSlaTargets(tx: Queryable, orgId: string, targets: { topic: string; priority: 'routine' | 'urgent'; responseMinutes: number; remindBeforeMinutes: number }[]): Promise<void> {
    await tx.deleteFrom('sla_targets').where('org_id', '=', orgId).execute();
    if (targets.length === 0) return;
    await tx
      .insertInto('sla_targets')
      .values(targets.map((t) => ({ org_id: orgId, topic: t.topic, priority: t.priority, response_minutes: t.responseMinutes, remind_before_minutes: t.remindBeforeMinutes })))
      .execute();
  }

  /** The departments of the care teams of a patient (the first one routes the patient's threads). */
  async patientCareTeams(orgId: string, patientId: string): Promise<{ care_team_id: string; department_id: string | null }[]> {
    return this.db
      .selectFrom('patient_care_teams as pc')
      .innerJoin('care_teams as c', 'c.id', 'pc.care_team_id')
      .select(['pc.care_team_id', 'c.department_id'])
      .where('c.org_id', '=', orgId)
      .where('pc.patient_id', '=', patientId)
      .orderBy('c.created_at')
      .execute();
  }

  /** Whether this user is an active provider on one of the patient's care teams, and accepts direct messages. */
  async directProvider(orgId: string, patientId: string, providerId: string): Promise<{ on_care_team: boolean; accepts: boolean } | undefined> {
    const row = await sql<{ on_care_team: boolean; accepts: boolean }>`
      SELECT EXISTS (SELECT 1 FROM patient_care_teams pc JOIN care_team_members cm ON cm.care_team_id = pc.care_team_id
                      WHERE pc.patient_id = ${patientId} AND cm.user_id = u.id) AS on_care_team,
             u.accepts_direct_messages AS accepts
        FROM users u WHERE u.org_id = ${orgId} AND u.id = ${providerId} AND u.role = 'provider' AND u.status = 'active'`.execute(this.db);
    return row.rows[0];
  }

  async acceptsDirect(orgId: string, userId: string): Promise<boolean> {
    const row = await this.db.selectFrom('users').select('accepts_direct_messages').where('org_id', '=', orgId).where('id', '=', userId).executeTakeFirst();
    return row?.accepts_direct_messages ?? false;
  }

  async setAcceptsDirect(tx: Queryable, orgId: string, userId: string, accepts: boolean): Promise<void> {
    await tx.updateTable('users').set({ accepts_direct_messages: accepts }).where('org_id', '=', orgId).where('id', '=', userId).execute();
  }
}
