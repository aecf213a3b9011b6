import { randomBytes, randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import type { Language, Role, StaffCreate, User, UserUpdate } from '@haven/api';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError, notFound } from '../../platform/http/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { SessionService } from '../auth/session.service.js';
import { checkPassword, hashPassword } from '../auth/password.policy.js';
import { uniqueConflict, type OrganizationService } from '../organization/organization.service.js';
import { can } from '../policy/policy.js';
import { emailIndex, mrnIndex, UserFieldCipher } from './user.crypto.js';
import type { UserStore } from './user.store.js';

export type UserRecord = Awaited<ReturnType<UserStore['byId']>> & object;

export interface IdentityInput {
  orgId: string;
  role: Role;
  email: string;
  name: string;
  password?: string;
  departmentId?: string | null;
  phone?: string | null;
  dateOfBirth?: string | null;
  mrn?: string | null;
  /** Skip the password rules (only for generated passwords). */
  generatedPassword?: boolean;
}

/** Four random words are not available offline in a list we trust, so: 20 base64url characters (120 bits). */
export const generatePassword = (): string => randomBytes(15).toString('base64url');

export class UserService {
  readonly cipher: UserFieldCipher;

  constructor(
    private readonly db: Db,
    private readonly store: UserStore,
    private readonly keyring: Keyring,
    private readonly orgs: OrganizationService,
    private readonly sessions: SessionService,
    private readonly audit: AuditService,
    private readonly requireMfaForStaff: boolean,
  ) {
    this.cipher = new UserFieldCipher(keyring);
  }

  /** Staff must (by default) enroll a second factor, so their minimum password length is 8, else 15. */
  secondFactorExpected(role: Role, totpEnabled: boolean): boolean {
    return totpEnabled || (role !== 'patient' && this.requireMfaForStaff);
  }

  async validatePassword(password: string, role: Role, totpEnabled: boolean, email: string, orgId: string): Promise<void> {
    const slug = await this.orgs.slugOf(orgId);
    const problem = checkPassword(password, { secondFactor: this.secondFactorExpected(role, totpEnabled), email, organizationSlug: slug });
    if (problem) throw new AppError('password_rejected', problem, { errors: [{ path: '/password', message: problem }] });
  }

  /** Creates the user row with encrypted identifying fields. Returns the id and the password to show once. */
  async createIdentity(tx: Queryable, input: IdentityInput): Promise<{ id: string; password: string; generated: boolean }> {
    const id = randomUUID();
    const generated = input.password === undefined;
    const password = input.password ?? generatePassword();
    if (!generated) await this.validatePassword(password, input.role, false, input.email, input.orgId);
    const keyId =
      input.role === 'patient'
        ? await this.keyring.createDataKey(tx, input.orgId, 'patient', id)
        : await this.keyring.orgDataKeyId(input.orgId, 'organization', tx);
    const seal = (field: Parameters<UserFieldCipher['seal']>[3], value: string) => this.cipher.seal(keyId, input.orgId, id, field, value, tx);
    await this.store
      .insert(tx, {
        id,
        org_id: input.orgId,
        role: input.role,
        key_id: keyId,
        email_bidx: await emailIndex(this.keyring, input.orgId, input.email, tx),
        email_ct: await seal('email', input.email.trim()),
        name_ct: await seal('name', input.name),
        phone_ct: input.phone ? await seal('phone', input.phone) : null,
        dob_ct: input.dateOfBirth ? await seal('dob', input.dateOfBirth) : null,
        mrn_ct: input.mrn ? await seal('mrn', input.mrn) : null,
        mrn_bidx: input.mrn ? await mrnIndex(this.keyring, input.orgId, input.mrn, tx) : null,
        department_id: input.departmentId ?? null,
        password_hash: await hashPassword(password),
        password_changed_at: new Date(),
      })
      .catch(uniqueConflict('A user with this e-mail or MRN already exists in this organization'));
    return { id, password, generated };
  }

  /**
   * The organization's automatic sender (off-hours and crisis replies), created on first use: role 'system', no
   * password (it cannot sign in), never listed or looked up as staff.
   */
  async systemSender(orgId: string): Promise<string> {
    const found = await this.store.systemSender(this.db, orgId);
    if (found) return found;
    const id = randomUUID();
    try {
      await this.db.transaction().execute(async (tx) => {
        const keyId = await this.keyring.orgDataKeyId(orgId, 'organization', tx);
        const seal = (field: Parameters<UserFieldCipher['seal']>[3], value: string) => this.cipher.seal(keyId, orgId, id, field, value, tx);
        const email = `automatic-replies@${orgId}.haven.invalid`;
        await this.store.insert(tx, {
          id,
          org_id: orgId,
          role: 'system',
          key_id: keyId,
          email_bidx: await emailIndex(this.keyring, orgId, email, tx),
          email_ct: await seal('email', email),
          name_ct: await seal('name', 'Automatic reply'),
          password_hash: null,
        });
      });
    } catch (err) {
      // Another request created it first.
      const again = await this.store.systemSender(this.db, orgId);
      if (again) return again;
      throw err;
    }
    return id;
  }

  async decryptIdentity(row: UserRecord) {
    const open = (field: Parameters<UserFieldCipher['open']>[3], v: Buffer | null) => this.cipher.open(row.key_id, row.org_id, row.id, field, v);
    return {
      email: (await open('email', row.email_ct)) ?? '',
      name: (await open('name', row.name_ct)) ?? '',
      phone: await open('phone', row.phone_ct),
      dateOfBirth: await open('dob', row.dob_ct),
      mrn: await open('mrn', row.mrn_ct),
    };
  }

  async present(row: UserRecord, initialPassword?: string): Promise<Static<typeof User>> {
    const id = await this.decryptIdentity(row);
    return {
      id: row.id,
      role: row.role,
      email: id.email,
      name: id.name,
      status: row.status,
      mfaEnabled: row.totp_enabled,
      departmentId: row.department_id,
      createdAt: row.created_at.toISOString(),
      ...(initialPassword ? { initialPassword } : {}),
    };
  }

  private async requireAdmin(ctx: RequestContext): Promise<void> {
    if (!can(ctx.actor, 'users.manage', { orgId: ctx.actor.orgId }, await this.orgs.settings(ctx.actor.orgId))) {
      throw new AppError('forbidden', 'Only practice admins manage users');
    }
  }

  async createStaff(ctx: RequestContext, input: Static<typeof StaffCreate>) {
    await this.requireAdmin(ctx);
    if (input.departmentId && !(await this.orgs.departmentExists(ctx.actor.orgId, input.departmentId))) throw notFound('department');
    const created = await this.db.transaction().execute(async (tx) => {
      const r = await this.createIdentity(tx, { orgId: ctx.actor.orgId, role: input.role, email: input.email, name: input.name, password: input.password, departmentId: input.departmentId });
      await this.audit.recordFor(tx, ctx, { action: 'users.create', resourceType: 'user', resourceId: r.id, details: { role: input.role } });
      return r;
    });
    const row = await this.store.byId(ctx.actor.orgId, created.id);
    return this.present(row!, created.generated ? created.password : undefined);
  }

  async listStaff(ctx: RequestContext) {
    await this.requireAdmin(ctx);
    const rows = await this.store.staff(ctx.actor.orgId);
    return { items: await Promise.all(rows.map((r) => this.present(r))) };
  }

  async getStaff(ctx: RequestContext, id: string) {
    await this.requireAdmin(ctx);
    const row = await this.store.byId(ctx.actor.orgId, id);
    if (!row || row.role === 'patient') throw notFound('user');
    return this.present(row);
  }

  async updateStaff(ctx: RequestContext, id: string, input: Static<typeof UserUpdate>) {
    await this.requireAdmin(ctx);
    const row = await this.store.byId(ctx.actor.orgId, id);
    if (!row || row.role === 'patient') throw notFound('user');
    if (input.departmentId && !(await this.orgs.departmentExists(ctx.actor.orgId, input.departmentId))) throw notFound('department');
    const roleChange = input.role !== undefined && input.role !== row.role ? input.role : undefined;
    // An admin who demoted themselves could leave the practice without one: another admin changes an admin's role.
    if (roleChange && id === ctx.actor.userId) {
      throw new AppError('conflict', 'You cannot change your own role', { errors: [{ path: '/body/role', message: 'You cannot change your own role' }] });
    }
    await this.db.transaction().execute(async (tx) => {
      const set = {
        ...(input.name ? { name_ct: await this.cipher.seal(row.key_id, row.org_id, id, 'name', input.name) } : {}),
        ...(input.departmentId !== undefined ? { department_id: input.departmentId } : {}),
        ...(roleChange ? { role: roleChange } : {}),
      };
      // Nothing to change (e.g. the role it already has): no UPDATE without columns.
      if (Object.keys(set).length > 0) await this.store.update(tx, ctx.actor.orgId, id, set);
      // A new role ends every session: no open page or event socket keeps what the old role was given.
      const sessionsEnded = roleChange ? await this.sessions.revokeAllForUser(tx, id, 'role_changed') : 0;
      await this.audit.recordFor(tx, ctx, {
        action: 'users.update',
        resourceType: 'user',
        resourceId: id,
        details: { fields: Object.keys(input).sort().join(','), ...(roleChange ? { roleFrom: row.role, roleTo: roleChange, sessionsEnded } : {}) },
      });
    });
    return this.getStaff(ctx, id);
  }

  /** Deactivates a staff member or patient and ends every session they have, in one transaction. */
  /** The language the signed-in person reads Haven in (anyone, for themselves); audited. */
  async setLanguage(ctx: RequestContext, language: Language): Promise<{ language: Language }> {
    if (!can(ctx.actor, 'profile.language', { orgId: ctx.actor.orgId }, await this.orgs.settings(ctx.actor.orgId))) throw new AppError('forbidden');
    await this.db.transaction().execute(async (tx) => {
      await this.store.update(tx, ctx.actor.orgId, ctx.actor.userId, { language });
      await this.audit.recordFor(tx, ctx, {
        action: 'me.language.update',
        resourceType: 'user',
        resourceId: ctx.actor.userId,
        patientId: ctx.actor.role === 'patient' ? ctx.actor.userId : null,
        details: { language },
      });
    });
    return { language };
  }

  async deactivate(ctx: RequestContext, id: string): Promise<{ ok: true }> {
    await this.requireAdmin(ctx);
    const row = await this.store.byId(ctx.actor.orgId, id);
    if (!row) throw notFound('user');
    if (id === ctx.actor.userId) throw new AppError('conflict', 'You cannot deactivate yourself');
    await this.deactivateRecord(row, { actorId: ctx.actor.userId, actorRole: ctx.actor.role, address: ctx.address });
    return { ok: true };
  }

  /**
   * Undoes a deactivation (e.g. one made by mistake, or someone coming back): they may sign in again with their
   * password; no session is restored. Reactivating an active account changes nothing and writes no audit event.
   */
  async reactivate(ctx: RequestContext, id: string): Promise<{ ok: true }> {
    await this.requireAdmin(ctx);
    const row = await this.store.byId(ctx.actor.orgId, id);
    if (!row) throw notFound('user');
    if (row.status === 'active') return { ok: true };
    await this.db.transaction().execute(async (tx) => {
      await this.store.update(tx, row.org_id, row.id, { status: 'active', deactivated_at: null });
      await this.audit.recordFor(tx, ctx, { action: 'users.reactivate', resourceType: 'user', resourceId: row.id, patientId: row.role === 'patient' ? row.id : null });
    });
    return { ok: true };
  }

  /**
   * Deactivates a user and ends every session they have, with its audit event, in one transaction.
   * Returns how many sessions ended. The caller has decided that `by` may do this (API: admins; CLI: the operator).
   */
  async deactivateRecord(row: UserRecord, by: { actorId: string | null; actorRole: string | null; address: string | null; via?: string }): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      await this.store.update(tx, row.org_id, row.id, { status: 'deactivated', deactivated_at: new Date() });
      const ended = await this.sessions.revokeAllForUser(tx, row.id, 'deactivated');
      await this.audit.record(tx, {
        orgId: row.org_id,
        actorId: by.actorId,
        actorRole: by.actorRole,
        address: by.address,
        action: 'users.deactivate',
        resourceType: 'user',
        resourceId: row.id,
        patientId: row.role === 'patient' ? row.id : null,
        details: { sessionsEnded: ended, ...(by.via ? { via: by.via } : {}) },
      });
      return ended;
    });
  }

  /** Active staff of this organization (optionally only some roles); 404 for anyone else. */
  async assertActiveStaff(orgId: string, ids: string[], roles?: Role[]): Promise<void> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return;
    const rows = await this.store.byIds(orgId, unique);
    const ok = (r: (typeof rows)[number]) => r.role !== 'patient' && r.status === 'active' && (!roles || roles.includes(r.role));
    if (rows.length !== unique.length || !rows.every(ok)) throw notFound('user');
  }

  // Access for the auth module (credentials live on the users row).
  byId(orgId: string, id: string, tx?: Queryable) {
    return this.store.byId(orgId, id, tx);
  }

  async byEmail(orgId: string, email: string) {
    return this.store.byEmail(orgId, await emailIndex(this.keyring, orgId, email));
  }

  /** Display names of these users (people of the organization only), decrypted. */
  async names(orgId: string, ids: string[]): Promise<Map<string, string>> {
    const rows = await this.store.byIds(orgId, [...new Set(ids)]);
    return new Map(await Promise.all(rows.map(async (r) => [r.id, (await this.cipher.open(r.key_id, r.org_id, r.id, 'name', r.name_ct)) ?? ''] as const)));
  }

  byIds(orgId: string, ids: string[]) {
    return this.store.byIds(orgId, ids);
  }

  updateCredentials(tx: Queryable, orgId: string, id: string, set: Partial<Pick<UserRecord, 'password_hash' | 'password_changed_at' | 'totp_secret_ct' | 'totp_pending_ct' | 'totp_enabled'>> & { totp_last_step?: string | number | null }) {
    return this.store.update(tx, orgId, id, set);
  }

  updateProfile(tx: Queryable, orgId: string, id: string, set: Partial<Pick<UserRecord, 'name_ct' | 'phone_ct' | 'dob_ct' | 'mrn_ct' | 'mrn_bidx'>>) {
    return this.store.update(tx, orgId, id, set).catch(uniqueConflict('A patient with this MRN already exists'));
  }
}

