import { randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import type { CareTeam, CareTeamCreate, Department, Organization, OrganizationUpdate, WorkflowSettings } from '@haven/api';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError, notFound } from '../../platform/http/errors.js';
import type { OrgSettings } from '../../platform/db/schema.js';
import type { EventOutbox } from '../events/event.outbox.js';
import type { AuditService } from '../audit/audit.service.js';
import { can, type OrgPolicySettings } from '../policy/policy.js';
import type { OrganizationStore } from './organization.store.js';

export const DEFAULT_TOPICS = ['clinical_question', 'prescription_refill', 'scheduling', 'billing', 'test_results', 'telehealth', 'other'];

const SETTINGS_TTL_MS = 2000;

export class OrganizationService {
  private readonly settingsCache = new Map<string, { at: number; value: OrgPolicySettings & { topics: string[] } }>();

  constructor(
    private readonly db: Db,
    private readonly store: OrganizationStore,
    private readonly keyring: Keyring,
    private readonly audit: AuditService,
    private readonly outbox: EventOutbox,
  ) {}

  /** Creates an organization with its keys and audit chain (CLI init and demo seed). */
  async create(tx: Queryable, input: { slug: string; name: string; settings?: OrgSettings }): Promise<string> {
    const id = randomUUID();
    await this.store.insert(tx, { id, slug: input.slug, name: input.name, settings: { topics: DEFAULT_TOPICS, staffSeeAllPatients: false, ...input.settings } });
    await this.keyring.initOrganization(tx, id);
    await this.audit.initOrganization(tx, id);
    await this.audit.record(tx, { orgId: id, action: 'organization.create', resourceType: 'organization', resourceId: id, details: { slug: input.slug } });
    return id;
  }

  bySlug(slug: string) {
    return this.store.bySlug(slug);
  }

  all() {
    return this.store.all();
  }

  async slugOf(orgId: string): Promise<string | undefined> {
    return (await this.store.byId(orgId))?.slug;
  }

  /** Policy-relevant settings, cached for two seconds. */
  async settings(orgId: string): Promise<OrgPolicySettings & { topics: string[] }> {
    const hit = this.settingsCache.get(orgId);
    if (hit && Date.now() - hit.at < SETTINGS_TTL_MS) return hit.value;
    const org = await this.store.byId(orgId);
    if (!org) throw notFound('organization');
    const value = { staffSeeAllPatients: org.settings.staffSeeAllPatients === true, topics: org.settings.topics ?? DEFAULT_TOPICS };
    this.settingsCache.set(orgId, { at: Date.now(), value });
    return value;
  }

  private async present(orgId: string): Promise<Static<typeof Organization>> {
    const org = await this.store.byId(orgId);
    if (!org) throw notFound('organization');
    return {
      id: org.id,
      slug: org.slug,
      name: org.name,
      staffSeeAllPatients: org.settings.staffSeeAllPatients === true,
      topics: org.settings.topics ?? DEFAULT_TOPICS,
      notificationSenderName: org.settings.notificationSenderName ?? null,
      practicePhone: org.settings.practicePhone ?? null,
    };
  }

  /** The organization's own automatic replies and guidance (unset fields take the defaults). */
  async workflowSettings(orgId: string): Promise<Partial<WorkflowSettings>> {
    const org = await this.store.byId(orgId);
    if (!org) throw notFound('organization');
    return org.settings.workflow ?? {};
  }

  async updateWorkflowSettings(tx: Queryable, orgId: string, input: Partial<WorkflowSettings>): Promise<void> {
    const org = await this.store.byId(orgId, tx);
    if (!org) throw notFound('organization');
    await this.store.update(tx, orgId, { settings: { ...org.settings, workflow: { ...org.settings.workflow, ...input } } });
  }

  /** The practice as templates name it: the organization's name and phone number (null when not set). */
  async practice(orgId: string): Promise<{ name: string; phone: string | null }> {
    const org = await this.store.byId(orgId);
    if (!org) throw notFound('organization');
    return { name: org.name, phone: org.settings.practicePhone ?? null };
  }

  /** The practice name notifications use: the configured sender name, or the organization's name. */
  async notificationSenderName(orgId: string): Promise<string> {
    const org = await this.store.byId(orgId);
    if (!org) throw notFound('organization');
    return org.settings.notificationSenderName ?? org.name;
  }

  private async require(ctx: RequestContext, action: 'organization.read' | 'organization.manage'): Promise<void> {
    if (!can(ctx.actor, action, { orgId: ctx.actor.orgId }, await this.settings(ctx.actor.orgId))) {
      throw new AppError('forbidden', 'Only practice admins manage the organization');
    }
  }

  async get(ctx: RequestContext) {
    await this.require(ctx, 'organization.read');
    return this.present(ctx.actor.orgId);
  }

  async update(ctx: RequestContext, input: Static<typeof OrganizationUpdate>) {
    await this.require(ctx, 'organization.manage');
    await this.db.transaction().execute(async (tx) => {
      const org = await this.store.byId(ctx.actor.orgId, tx);
      if (!org) throw notFound('organization');
      const settings: OrgSettings = { ...org.settings };
      if (input.staffSeeAllPatients !== undefined) settings.staffSeeAllPatients = input.staffSeeAllPatients;
      if (input.topics) settings.topics = [...new Set(input.topics)];
      if (input.notificationSenderName !== undefined) settings.notificationSenderName = input.notificationSenderName?.trim() || null;
      if (input.practicePhone !== undefined) settings.practicePhone = input.practicePhone?.trim() || null;
      await this.store.update(tx, org.id, { name: input.name, settings });
      await this.audit.recordFor(tx, ctx, {
        action: 'organization.update',
        resourceType: 'organization',
        resourceId: org.id,
        details: { fields: Object.keys(input).sort().join(',') },
      });
    });
    this.settingsCache.delete(ctx.actor.orgId);
    return this.present(ctx.actor.orgId);
  }

  async createDepartment(ctx: RequestContext, name: string): Promise<Static<typeof Department>> {
    await this.require(ctx, 'organization.manage');
    const row = await this.db.transaction().execute(async (tx) => {
      const d = await this.addDepartment(tx, ctx.actor.orgId, name);
      await this.audit.recordFor(tx, ctx, { action: 'departments.create', resourceType: 'department', resourceId: d.id });
      return d;
    });
    return { id: row.id, name: row.name, createdAt: row.created_at.toISOString() };
  }

  /** Inserts a department inside the caller's transaction (API and demo seed); 409 for a duplicate name. */
  addDepartment(tx: Queryable, orgId: string, name: string) {
    return this.store.insertDepartment(tx, { id: randomUUID(), orgId, name }).catch(uniqueConflict('A department with this name exists'));
  }

  /** Inserts a care team and its (already validated) members inside the caller's transaction. */
  async addCareTeam(tx: Queryable, orgId: string, team: { name: string; departmentId: string | null; memberIds: string[] }): Promise<string> {
    const id = randomUUID();
    await this.store.insertCareTeam(tx, { id, orgId, name: team.name, departmentId: team.departmentId });
    for (const userId of new Set(team.memberIds)) await this.store.addMember(tx, orgId, id, userId);
    return id;
  }

  async listDepartments(ctx: RequestContext) {
    await this.require(ctx, 'organization.read');
    const rows = await this.store.departments(ctx.actor.orgId);
    return { items: rows.map((d) => ({ id: d.id, name: d.name, createdAt: d.created_at.toISOString() })) };
  }

  async careTeamExists(orgId: string, id: string): Promise<boolean> {
    return (await this.store.careTeam(orgId, id)) !== undefined;
  }

  async departmentExists(orgId: string, id: string): Promise<boolean> {
    return (await this.store.department(orgId, id)) !== undefined;
  }

  async createCareTeam(ctx: RequestContext, input: Static<typeof CareTeamCreate>, assertStaff: (ids: string[]) => Promise<void>) {
    await this.require(ctx, 'organization.manage');
    if (input.departmentId && !(await this.departmentExists(ctx.actor.orgId, input.departmentId))) throw notFound('department');
    const members = [...new Set(input.memberIds ?? [])];
    await assertStaff(members);
    const id = await this.db.transaction().execute(async (tx) => {
      const teamId = await this.addCareTeam(tx, ctx.actor.orgId, { name: input.name, departmentId: input.departmentId ?? null, memberIds: members });
      await this.audit.recordFor(tx, ctx, { action: 'careTeams.create', resourceType: 'care_team', resourceId: teamId, details: { members: members.length } });
      return teamId;
    });
    return this.careTeam(ctx.actor.orgId, id);
  }

  async listCareTeams(ctx: RequestContext) {
    await this.require(ctx, 'organization.read');
    const rows = await this.store.careTeams(ctx.actor.orgId);
    return { items: rows.map(presentCareTeam) };
  }

  async careTeam(orgId: string, id: string): Promise<Static<typeof CareTeam>> {
    const row = await this.store.careTeam(orgId, id);
    if (!row) throw notFound('care team');
    return presentCareTeam(row);
  }

  async changeMember(ctx: RequestContext, careTeamId: string, userId: string, op: 'add' | 'remove', assertStaff: (ids: string[]) => Promise<void>) {
    await this.require(ctx, 'organization.manage');
    await this.careTeam(ctx.actor.orgId, careTeamId);
    if (op === 'add') await assertStaff([userId]);
    await this.db.transaction().execute(async (tx) => {
      if (op === 'add') {
        await this.store.addMember(tx, ctx.actor.orgId, careTeamId, userId);
      } else if (!(await this.store.removeMember(tx, careTeamId, userId))) {
        throw notFound('care team member');
      }
      await this.audit.recordFor(tx, ctx, { action: op === 'add' ? 'careTeams.members.add' : 'careTeams.members.remove', resourceType: 'care_team', resourceId: careTeamId, details: { userId } });
      // Whoever lost access must stop receiving at once: their open sockets close and reconnect with fresh access.
      if (op === 'remove') await this.outbox.record(tx, [{ orgId: ctx.actor.orgId, kind: 'access.changed', userId, actorId: ctx.actor.userId }]);
    });
    if (op === 'remove') this.outbox.committed();
    return this.careTeam(ctx.actor.orgId, careTeamId);
  }

  /** Validates care team ids of this organization (404 for any unknown one). */
  async assertCareTeams(orgId: string, ids: string[], tx?: Queryable): Promise<void> {
    const unique = [...new Set(ids)];
    const rows = await this.store.careTeamsById(orgId, unique, tx);
    if (rows.length !== unique.length) throw notFound('care team');
  }

  patientCareTeamIds(patientId: string, tx?: Queryable): Promise<string[]> {
    return this.store.patientCareTeamIds(patientId, tx).then((rows) => rows.map((r) => r.care_team_id));
  }

  setPatientCareTeams(tx: Queryable, orgId: string, patientId: string, ids: string[]): Promise<void> {
    return this.store.setPatientCareTeams(tx, orgId, patientId, [...new Set(ids)]);
  }

  onPatientCareTeam(userId: string, patientId: string, tx?: Queryable): Promise<boolean> {
    return this.store.onPatientCareTeam(userId, patientId, tx);
  }
}

function presentCareTeam(row: { id: string; name: string; department_id: string | null; created_at: Date; member_ids: string[] }): Static<typeof CareTeam> {
  return { id: row.id, name: row.name, departmentId: row.department_id, memberIds: row.member_ids, createdAt: row.created_at.toISOString() };
}

/** Maps a unique-constraint violation to a 409 with a clear message. */
export function uniqueConflict(detail: string) {
  return (err: unknown): never => {
    if ((err as { code?: string }).code === '23505') throw new AppError('conflict', detail);
    throw err;
  };
}
