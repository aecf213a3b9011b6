import { sql, type Selectable } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { MessageTemplatesTable } from '../../platform/db/schema.js';

export type TemplateRow = Selectable<MessageTemplatesTable>;

export interface TemplateInsert {
  id: string;
  orgId: string;
  ownerId: string | null;
  kind: 'template' | 'quick_reply';
  name: string;
  body: string;
  topic: string | null;
  createdBy: string;
  at: Date;
}

export interface TemplateListFilter {
  orgId: string;
  /** Whose personal templates to include besides the organization's (null: none). */
  personalOf: string | null;
  scope?: 'organization' | 'personal';
  kind?: 'template' | 'quick_reply';
  /** Templates for this topic or for any topic. */
  topic?: string;
  archived: boolean;
}

/** The columns a template change sets. */
export interface TemplatePatch {
  name: string;
  body: string;
  kind: 'template' | 'quick_reply';
  topic: string | null;
  archived: boolean;
}

export class TemplateStore {
  constructor(private readonly db: Db) {}

  async insert(tx: Queryable, t: TemplateInsert): Promise<void> {
    await tx
      .insertInto('message_templates')
      .values({
        id: t.id,
        org_id: t.orgId,
        owner_id: t.ownerId,
        kind: t.kind,
        name: t.name,
        body: t.body,
        topic: t.topic,
        created_by: t.createdBy,
        created_at: t.at,
        updated_by: t.createdBy,
        updated_at: t.at,
      })
      .execute();
  }

  /**
   * Adds the default rows an organization does not have yet (by seed key: a default archived since is not added
   * again, nor one whose name an organization template already uses). Returns the ids added.
   */
  async seed(tx: Queryable, orgId: string, rows: { id: string; key: string; kind: 'template' | 'quick_reply'; name: string; body: string }[], at: Date): Promise<string[]> {
    if (rows.length === 0) return [];
    const res = await tx
      .insertInto('message_templates')
      .values(rows.map((r) => ({ id: r.id, org_id: orgId, owner_id: null, kind: r.kind, name: r.name, body: r.body, topic: null, seed_key: r.key, created_by: null, created_at: at, updated_by: null, updated_at: at })))
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .execute();
    return res.map((r) => r.id);
  }

  /** Whether the organization has any of Haven's defaults (added once, on its first list). */
  async seeded(orgId: string): Promise<boolean> {
    const row = await this.db.selectFrom('message_templates').select('id').where('org_id', '=', orgId).where('seed_key', 'is not', null).limit(1).executeTakeFirst();
    return row !== undefined;
  }

  byId(orgId: string, id: string, tx: Queryable = this.db, lock = false): Promise<TemplateRow | undefined> {
    let q = tx.selectFrom('message_templates').selectAll().where('org_id', '=', orgId).where('id', '=', id);
    if (lock) q = q.forUpdate();
    return q.executeTakeFirst();
  }

  /** The organization's templates and one person's personal ones: quick replies first, then by name. */
  list(f: TemplateListFilter): Promise<TemplateRow[]> {
    const { personalOf, scope, topic } = f;
    let q = this.db
      .selectFrom('message_templates')
      .selectAll()
      .where('org_id', '=', f.orgId)
      .where((eb) => {
        const org = eb('owner_id', 'is', null);
        const mine = personalOf === null ? sql<boolean>`false` : eb('owner_id', '=', personalOf);
        return scope === 'organization' ? org : scope === 'personal' ? mine : eb.or([org, mine]);
      });
    if (f.kind) q = q.where('kind', '=', f.kind);
    if (topic) q = q.where((eb) => eb.or([eb('topic', 'is', null), eb('topic', '=', topic)]));
    q = f.archived ? q.where('archived_at', 'is not', null) : q.where('archived_at', 'is', null);
    return q.orderBy('kind').orderBy(sql`lower(name)`).orderBy('id').limit(1000).execute();
  }

  /** How many templates in use a scope holds (organization: ownerId null). */
  async countInUse(tx: Queryable, orgId: string, ownerId: string | null): Promise<number> {
    let q = tx.selectFrom('message_templates').select((eb) => eb.fn.countAll<string>().as('n')).where('org_id', '=', orgId).where('archived_at', 'is', null);
    q = ownerId === null ? q.where('owner_id', 'is', null) : q.where('owner_id', '=', ownerId);
    const row = await q.executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async update(tx: Queryable, orgId: string, id: string, p: TemplatePatch, by: string, at: Date, wasArchived: boolean): Promise<void> {
    await tx
      .updateTable('message_templates')
      .set({
        name: p.name,
        body: p.body,
        kind: p.kind,
        topic: p.topic,
        updated_by: by,
        updated_at: at,
        ...(p.archived && !wasArchived ? { archived_by: by, archived_at: at } : {}),
        ...(!p.archived && wasArchived ? { archived_by: null, archived_at: null } : {}),
      })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .execute();
  }

  /** Active providers on the patient's care teams, with their encrypted names (the default responsible provider). */
  careTeamProviders(orgId: string, patientId: string) {
    return this.db
      .selectFrom('patient_care_teams as pc')
      .innerJoin('care_team_members as cm', 'cm.care_team_id', 'pc.care_team_id')
      .innerJoin('users as u', (j) => j.onRef('u.id', '=', 'cm.user_id').onRef('u.org_id', '=', 'pc.org_id'))
      .select(['u.id', 'u.org_id', 'u.key_id', 'u.name_ct'])
      .distinct()
      .where('pc.org_id', '=', orgId)
      .where('pc.patient_id', '=', patientId)
      .where('u.role', '=', 'provider')
      .where('u.status', '=', 'active')
      .execute();
  }
}
