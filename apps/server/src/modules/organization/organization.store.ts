import { sql } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { OrgSettings } from '../../platform/db/schema.js';

export class OrganizationStore {
  constructor(private readonly db: Db) {}

  async insert(tx: Queryable, org: { id: string; slug: string; name: string; settings: OrgSettings }): Promise<void> {
    await tx.insertInto('organizations').values({ id: org.id, slug: org.slug, name: org.name, settings: JSON.stringify(org.settings) }).execute();
  }

  byId(id: string, tx: Queryable = this.db) {
    return tx.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  bySlug(slug: string) {
    return this.db.selectFrom('organizations').selectAll().where('slug', '=', slug).executeTakeFirst();
  }

  all() {
    return this.db.selectFrom('organizations').selectAll().orderBy('created_at').execute();
  }

  async update(tx: Queryable, id: string, set: { name?: string; settings?: OrgSettings }): Promise<void> {
    await tx
      .updateTable('organizations')
      .set({ ...(set.name ? { name: set.name } : {}), ...(set.settings ? { settings: JSON.stringify(set.settings) } : {}) })
      .where('id', '=', id)
      .execute();
  }

  async insertDepartment(tx: Queryable, d: { id: string; orgId: string; name: string }) {
    return tx.insertInto('departments').values({ id: d.id, org_id: d.orgId, name: d.name }).returningAll().executeTakeFirstOrThrow();
  }

  departments(orgId: string) {
    return this.db.selectFrom('departments').selectAll().where('org_id', '=', orgId).orderBy('name').execute();
  }

  department(orgId: string, id: string) {
    return this.db.selectFrom('departments').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  }

  async insertCareTeam(tx: Queryable, t: { id: string; orgId: string; name: string; departmentId: string | null }) {
    await tx.insertInto('care_teams').values({ id: t.id, org_id: t.orgId, name: t.name, department_id: t.departmentId }).execute();
  }

  careTeams(orgId: string, tx: Queryable = this.db) {
    return tx
      .selectFrom('care_teams as t')
      .leftJoin('care_team_members as m', 'm.care_team_id', 't.id')
      .select(['t.id', 't.name', 't.department_id', 't.created_at', sql<string[]>`coalesce(array_agg(m.user_id) filter (where m.user_id is not null), '{}')`.as('member_ids')])
      .where('t.org_id', '=', orgId)
      .groupBy('t.id')
      .orderBy('t.name')
      .execute();
  }

  async careTeam(orgId: string, id: string, tx: Queryable = this.db) {
    const rows = await this.careTeamsById(orgId, [id], tx);
    return rows[0];
  }

  careTeamsById(orgId: string, ids: string[], tx: Queryable = this.db) {
    if (ids.length === 0) return Promise.resolve([]);
    return tx
      .selectFrom('care_teams as t')
      .leftJoin('care_team_members as m', 'm.care_team_id', 't.id')
      .select(['t.id', 't.name', 't.department_id', 't.created_at', sql<string[]>`coalesce(array_agg(m.user_id) filter (where m.user_id is not null), '{}')`.as('member_ids')])
      .where('t.org_id', '=', orgId)
      .where('t.id', 'in', ids)
      .groupBy('t.id')
      .execute();
  }

  async addMember(tx: Queryable, orgId: string, careTeamId: string, userId: string): Promise<void> {
    await tx.insertInto('care_team_members').values({ org_id: orgId, care_team_id: careTeamId, user_id: userId }).onConflict((oc) => oc.doNothing()).execute();
  }

  /** Returns whether the user was a member. */
  async removeMember(tx: Queryable, careTeamId: string, userId: string): Promise<boolean> {
    const res = await tx.deleteFrom('care_team_members').where('care_team_id', '=', careTeamId).where('user_id', '=', userId).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  patientCareTeamIds(patientId: string, tx: Queryable = this.db) {
    return tx.selectFrom('patient_care_teams').select('care_team_id').where('patient_id', '=', patientId).execute();
  }

  async setPatientCareTeams(tx: Queryable, orgId: string, patientId: string, careTeamIds: string[]): Promise<void> {
    await tx.deleteFrom('patient_care_teams').where('patient_id', '=', patientId).execute();
    if (careTeamIds.length > 0) {
      await tx.insertInto('patient_care_teams').values(careTeamIds.map((id) => ({ org_id: orgId, patient_id: patientId, care_team_id: id }))).execute();
    }
  }

  /** Is this staff member on any of the patient's care teams? */
  async onPatientCareTeam(userId: string, patientId: string, tx: Queryable = this.db): Promise<boolean> {
    const row = await tx
      .selectFrom('patient_care_teams as p')
      .innerJoin('care_team_members as m', 'm.care_team_id', 'p.care_team_id')
      .select('p.patient_id')
      .where('p.patient_id', '=', patientId)
      .where('m.user_id', '=', userId)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}
