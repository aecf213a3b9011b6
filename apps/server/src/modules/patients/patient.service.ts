import type { Static } from 'typebox';
import type { Patient, PatientCreate, PatientUpdate } from '@haven/api';
import type { Db } from '../../platform/db/database.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError, notFound } from '../../platform/http/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { OrganizationService } from '../organization/organization.service.js';
import { can, patientScope, type Resource } from '../policy/policy.js';
import { emailIndex, mrnIndex } from '../users/user.crypto.js';
import { tagIndexes } from '../cohorts/tag.crypto.js';
import type { UserRecord, UserService } from '../users/user.service.js';
import type { PatientStore } from './patient.store.js';

const LIST_LIMIT = 200;

export class PatientService {
  constructor(
    private readonly db: Db,
    private readonly store: PatientStore,
    private readonly users: UserService,
    private readonly orgs: OrganizationService,
    private readonly keyring: Keyring,
    private readonly audit: AuditService,
  ) {}

  /** The access facts about a patient that the policy needs; undefined when the patient is not in this org. */
  async resource(ctx: RequestContext, patientId: string): Promise<{ row: UserRecord; resource: Resource } | undefined> {
    const row = await this.users.byId(ctx.actor.orgId, patientId);
    if (!row || row.role !== 'patient') return undefined;
    const onCareTeam = ctx.actor.role === 'patient' ? false : await this.orgs.onPatientCareTeam(ctx.actor.userId, patientId);
    return { row, resource: { orgId: row.org_id, patientId, onCareTeam } };
  }

  /** Loads a patient the actor may act on, or 404 (the same as a patient that does not exist). */
  async requirePatient(
    ctx: RequestContext,
    patientId: string,
    action: 'patients.read' | 'patients.update' | 'threads.create' | 'observations.read' | 'observations.write' | 'observations.share' | 'patients.tags' | 'patients.archive',
  ) {
    const found = await this.resource(ctx, patientId);
    const settings = await this.orgs.settings(ctx.actor.orgId);
    const resource = found ? { ...found.resource, threadKind: 'patient' as const } : undefined;
    if (!found || !resource || !can(ctx.actor, action, resource, settings)) {
      // Someone who may see the record but not do this gets 403; anyone else cannot tell it exists.
      if (found && resource && action !== 'patients.read' && can(ctx.actor, 'patients.read', resource, settings)) {
        throw new AppError('forbidden', 'Your role cannot do this with this patient record');
      }
      throw notFound('patient');
    }
    return found.row;
  }

  private async present(row: UserRecord, initialPassword?: string): Promise<Static<typeof Patient>> {
    const id = await this.users.decryptIdentity(row);
    return {
      id: row.id,
      email: id.email,
      name: id.name,
      dateOfBirth: id.dateOfBirth,
      phone: id.phone,
      mrn: id.mrn,
      status: row.status,
      careTeamIds: await this.orgs.patientCareTeamIds(row.id),
      createdAt: row.created_at.toISOString(),
      archivedAt: row.archived_at ? row.archived_at.toISOString() : null,
      ...(initialPassword ? { initialPassword } : {}),
    };
  }

  async create(ctx: RequestContext, input: Static<typeof PatientCreate>) {
    if (!can(ctx.actor, 'patients.create', { orgId: ctx.actor.orgId }, await this.orgs.settings(ctx.actor.orgId))) {
      throw new AppError('forbidden', 'Your role cannot register patients');
    }
    const created = await this.db.transaction().execute(async (tx) => {
      if (input.careTeamIds) await this.orgs.assertCareTeams(ctx.actor.orgId, input.careTeamIds, tx);
      const r = await this.users.createIdentity(tx, {
        orgId: ctx.actor.orgId,
        role: 'patient',
        email: input.email,
        name: input.name,
        password: input.password,
        phone: input.phone,
        dateOfBirth: input.dateOfBirth,
        mrn: input.mrn,
      });
      await this.orgs.setPatientCareTeams(tx, ctx.actor.orgId, r.id, input.careTeamIds ?? []);
      await this.audit.recordFor(tx, ctx, { action: 'patients.create', resourceType: 'patient', resourceId: r.id, patientId: r.id });
      return r;
    });
    const row = await this.users.byId(ctx.actor.orgId, created.id);
    return this.present(row!, created.generated ? created.password : undefined);
  }

  async get(ctx: RequestContext, patientId: string) {
    const row = await this.requirePatient(ctx, patientId, 'patients.read');
    const out = await this.present(row);
    await this.audit.recordFor(this.db, ctx, { action: 'patients.get', resourceType: 'patient', resourceId: patientId, patientId });
    return out;
  }

  async list(ctx: RequestContext, q: { email?: string; mrn?: string; tag?: string[]; archived?: boolean }) {
    const settings = await this.orgs.settings(ctx.actor.orgId);
    const scope = patientScope(ctx.actor, settings, 'records');
    if (scope.kind === 'none') throw new AppError('forbidden', 'Your role does not read patient records');
    // Tags are staff-only (they can name conditions): a patient may not even ask whether they have one.
    if (q.tag?.length && !can(ctx.actor, 'tags.read', { orgId: ctx.actor.orgId }, settings)) throw new AppError('forbidden', 'Patient tags are for staff');
    const rows = await this.store.list(
      ctx.actor.orgId,
      scope,
      {
        emailBidx: q.email ? await emailIndex(this.keyring, ctx.actor.orgId, q.email) : undefined,
        mrnBidx: q.mrn ? await mrnIndex(this.keyring, ctx.actor.orgId, q.mrn) : undefined,
        tagBidx: q.tag?.length ? await tagIndexes(this.keyring, ctx.actor.orgId, q.tag) : undefined,
        // Archived patients are hidden unless asked for (a patient always sees their own record).
        archived: scope.kind === 'self' ? undefined : q.archived === true,
      },
      LIST_LIMIT,
    );
    const items = await Promise.all(rows.map((r) => this.present(r)));
    await this.audit.recordFor(this.db, ctx, {
      action: 'patients.list',
      resourceType: 'patient',
      details: { returned: items.length, byEmail: !!q.email, byMrn: !!q.mrn, byTag: q.tag?.length ?? 0, archived: q.archived === true },
    });
    return { items };
  }

  async update(ctx: RequestContext, patientId: string, input: Static<typeof PatientUpdate>) {
    const row = await this.requirePatient(ctx, patientId, 'patients.update');
    const seal = (field: 'name' | 'phone' | 'dob' | 'mrn', v: string) => this.users.cipher.seal(row.key_id, row.org_id, row.id, field, v);
    await this.db.transaction().execute(async (tx) => {
      const set: Parameters<UserService['updateProfile']>[3] = {};
      if (input.name !== undefined) set.name_ct = await seal('name', input.name);
      if (input.phone !== undefined) set.phone_ct = input.phone === null ? null : await seal('phone', input.phone);
      if (input.dateOfBirth !== undefined) set.dob_ct = input.dateOfBirth === null ? null : await seal('dob', input.dateOfBirth);
      if (input.mrn !== undefined) {
        set.mrn_ct = input.mrn === null ? null : await seal('mrn', input.mrn);
        set.mrn_bidx = input.mrn === null ? null : await mrnIndex(this.keyring, row.org_id, input.mrn);
      }
      if (Object.keys(set).length > 0) await this.users.updateProfile(tx, row.org_id, row.id, set);
      if (input.careTeamIds) {
        if (ctx.actor.role !== 'admin') throw new AppError('forbidden', 'Only practice admins change care teams');
        await this.orgs.assertCareTeams(row.org_id, input.careTeamIds, tx);
        await this.orgs.setPatientCareTeams(tx, row.org_id, row.id, input.careTeamIds);
      }
      await this.audit.recordFor(tx, ctx, { action: 'patients.update', resourceType: 'patient', resourceId: row.id, patientId: row.id, details: { fields: Object.keys(input).sort().join(',') } });
    });
    return this.present((await this.users.byId(row.org_id, row.id))!);
  }
}
