import { randomBytes, randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import type { LoginRequest, SessionInfo } from '@haven/api';
import type { Config } from '../../config.js';
import type { Db } from '../../platform/db/database.js';
import { hmac, randomToken, safeEqual, sha256 } from '../../platform/crypto/hash.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { Actor, AnonymousContext, RequestContext } from '../../platform/http/context.js';
import { supportedLanguage } from '../../platform/i18n/languages.js';
import { AppError } from '../../platform/http/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { OrganizationService } from '../organization/organization.service.js';
import { isStaffRole } from '../policy/policy.js';
import { emailIndex } from '../users/user.crypto.js';
import type { UserRecord, UserService } from '../users/user.service.js';
import type { AuthStore, SessionRow } from './auth.store.js';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './password.policy.js';
import { newTotpSecret, totpStep, totpUri } from './totp.js';

type Session = Static<typeof SessionInfo>;
type Stage = SessionRow['stage'];

const ACCOUNT_WINDOW_S = 3600;
const MFA_WINDOW_S = 900;
const MFA_MAX_FAILURES = 10;
const TOUCH_EVERY_MS = 15_000;

export interface AuthenticatedSession {
  actor: Actor;
  stage: Stage;
  transport: 'cookie' | 'bearer';
}

export interface LoginOutcome {
  session: Session;
  /** The session token: set as a cookie (cookie transport) or returned in the body (bearer). */
  token: string;
  /** Trusted-device token: clients that present it keep signing in even while the account is throttled. */
  deviceToken: string;
}

/** CSRF token for cookie sessions: derived from the session token, so it needs no storage and cannot be forged. */
export const csrfTokenFor = (sessionToken: string): string => sha256(`haven-csrf|${sessionToken}`).toString('base64url');
export const tokenHash = (token: string): Buffer => sha256(`haven-session|${token}`);

const sessionValid = (row: SessionRow, now: number): boolean =>
  !row.revoked_at && row.status === 'active' && row.expires_at.getTime() > now && row.last_seen_at.getTime() + row.idle_timeout_s * 1000 > now;

export class AuthService {
  constructor(
    private readonly db: Db,
    private readonly store: AuthStore,
    private readonly users: UserService,
    private readonly orgs: OrganizationService,
    private readonly keyring: Keyring,
    private readonly audit: AuditService,
    private readonly config: Config,
  ) {}

  /** Resolves a session token to an actor; revoked, idle, expired and deactivated sessions fail alike. */
  async authenticate(token: string): Promise<AuthenticatedSession> {
    if (token.length < 20 || token.length > 128) throw new AppError('unauthenticated');
    return this.accept(await this.store.sessionByTokenHash(tokenHash(token)), true);
  }

  /**
   * The same checks for a session known by id (an event socket's): `activity` records it as user activity
   * (sending, typing, reading); a socket that only listens or pings does not keep its session alive.
   */
  async authenticateSession(sessionId: string, activity: boolean): Promise<AuthenticatedSession> {
    return this.accept(await this.store.sessionById(sessionId), activity);
  }

  /** Of these sessions, those still valid now (not revoked, idle, expired, or of a deactivated user). */
  async liveSessions(sessionIds: string[]): Promise<Set<string>> {
    const now = Date.now();
    const rows = await this.store.sessionsById(sessionIds);
    return new Set(rows.filter((r) => r !== undefined && sessionValid(r, now) && r.stage === 'active').map((r) => r!.id));
  }

  private async accept(row: SessionRow | undefined, activity: boolean): Promise<AuthenticatedSession> {
    const now = Date.now();
    if (!row) throw new AppError('unauthenticated');
    if (!sessionValid(row, now)) throw new AppError('session_expired');
    // Record activity at most every 15 s (or a quarter of the idle timeout, if shorter) to spare the database.
    if (activity && now - row.last_seen_at.getTime() > Math.min(TOUCH_EVERY_MS, row.idle_timeout_s * 250)) await this.store.touch(row.id, new Date(now));
    return { actor: { userId: row.user_id, orgId: row.org_id, role: row.role, sessionId: row.id }, stage: row.stage, transport: row.transport };
  }

  private addressKey(address: string | null): string {
    return `addr:${address ?? 'unknown'}`;
  }

  private async deviceKey(orgId: string): Promise<Buffer> {
    return hmac(await this.keyring.dataKey(await this.keyring.orgDataKeyId(orgId, 'organization')), 'haven-device-token');
  }

  private async issueDeviceToken(orgId: string, userId: string): Promise<string> {
    const nonce = randomBytes(16).toString('base64url');
    const mac = hmac(await this.deviceKey(orgId), `${userId}.${nonce}`).toString('base64url');
    return `d1.${userId}.${nonce}.${mac}`;
  }

  private async trustedDevice(orgId: string, userId: string, token: string | undefined): Promise<boolean> {
    const m = token ? /^d1\.([0-9a-f-]{36})\.([A-Za-z0-9_-]{10,40})\.([A-Za-z0-9_-]{40,50})$/.exec(token) : null;
    if (!m || m[1] !== userId) return false;
    const expected = hmac(await this.deviceKey(orgId), `${m[1]}.${m[2]}`);
    return safeEqual(expected, Buffer.from(m[3]!, 'base64url'));
  }

  /**
   * Password sign-in. Unknown organizations, unknown e-mails, wrong passwords and deactivated accounts all
   * answer `invalid_credentials` after the same argon2 work. Failures are limited per address and per account;
   * once an account reaches its limit only clients holding a trusted-device token for it may keep trying.
   */
  async login(input: Static<typeof LoginRequest>, ctx: AnonymousContext & { deviceToken?: string }): Promise<LoginOutcome> {
    const addrKey = this.addressKey(ctx.address);
    const addrWindow = this.config.loginAddressWindowMinutes * 60;
    if ((await this.store.failures(addrKey, addrWindow)) >= this.config.loginMaxAddressFailures) {
      throw new AppError('too_many_requests', 'Too many failed sign-ins from this address; try again later', { headers: { 'retry-after': String(addrWindow) } });
    }
    const org = await this.orgs.bySlug(input.organization.trim().toLowerCase());
    const user = org ? await this.users.byEmail(org.id, input.email) : undefined;
    const emailKey = org ? (await emailIndex(this.keyring, org.id, input.email)).subarray(0, 16).toString('hex') : `none:${sha256(input.email.toLowerCase()).subarray(0, 8).toString('hex')}`;
    const trusted = org && user ? await this.trustedDevice(org.id, user.id, ctx.deviceToken) : false;
    const limitKey = trusted && ctx.deviceToken ? `dev:${sha256(ctx.deviceToken).subarray(0, 16).toString('hex')}` : `acct:${org?.id ?? 'none'}:${emailKey}`;
    if ((await this.store.failures(limitKey, ACCOUNT_WINDOW_S)) >= this.config.loginMaxAccountFailures) {
      if (org) await this.recordAuth(org.id, user, 'auth.login', 'denied', ctx, { reason: 'account_throttled' });
      throw new AppError('too_many_requests', 'Too many failed sign-ins for this account; try again later or from a device you used before', { headers: { 'retry-after': String(ACCOUNT_WINDOW_S) } });
    }
    const passwordOk = user?.password_hash ? await verifyPassword(user.password_hash, input.password) : await verifyAgainstDummy(input.password);
    if (!org || !user || !passwordOk || user.status !== 'active') {
      await this.store.addFailure(addrKey, addrWindow);
      await this.store.addFailure(limitKey, ACCOUNT_WINDOW_S);
      if (org) await this.recordAuth(org.id, user, 'auth.login', 'failure', ctx, { reason: !user ? 'unknown_account' : !passwordOk ? 'bad_password' : 'deactivated' });
      throw new AppError('invalid_credentials');
    }
    await this.store.clearFailures(limitKey);
    const stage: Stage = user.totp_enabled ? 'mfa_required' : isStaffRole(user.role) && this.config.requireMfaForStaff ? 'mfa_enrollment_required' : 'active';
    const token = randomToken(32);
    const sessionId = randomUUID();
    const transport = input.transport ?? 'cookie';
    const idleMinutes = isStaffRole(user.role) ? this.config.sessionIdleMinutesStaff : this.config.sessionIdleMinutesPatient;
    const expiresAt = new Date(Date.now() + this.config.sessionAbsoluteHours * 3600_000);
    await this.db.transaction().execute(async (tx) => {
      await this.store.createSession(tx, { id: sessionId, orgId: org.id, userId: user.id, tokenHash: tokenHash(token), transport, stage, idleTimeoutS: Math.round(idleMinutes * 60), expiresAt });
      await this.audit.record(tx, { orgId: org.id, actorId: user.id, actorRole: user.role, action: 'auth.login', resourceType: 'session', resourceId: sessionId, address: ctx.address, details: { stage, transport, trustedDevice: trusted } });
    });
    const session = await this.describe(user, { stage, expiresAt, idleTimeoutS: Math.round(idleMinutes * 60) });
    if (transport === 'bearer') session.token = token;
    else session.csrfToken = csrfTokenFor(token);
    return { session, token, deviceToken: trusted && ctx.deviceToken ? ctx.deviceToken : await this.issueDeviceToken(org.id, user.id) };
  }

  private async recordAuth(orgId: string, user: UserRecord | undefined, action: string, outcome: 'success' | 'denied' | 'failure', ctx: AnonymousContext, details: Record<string, string>) {
    await this.audit.record(this.db, { orgId, actorId: user?.id ?? null, actorRole: user?.role ?? null, action, resourceType: 'session', address: ctx.address, outcome, details });
  }

  private async describe(user: UserRecord, s: { stage: Stage; expiresAt: Date; idleTimeoutS: number }): Promise<Session> {
    const identity = await this.users.decryptIdentity(user);
    return {
      stage: s.stage,
      user: { id: user.id, organizationId: user.org_id, role: user.role, name: identity.name, mfaEnabled: user.totp_enabled, language: supportedLanguage(user.language) },
      expiresAt: s.expiresAt.toISOString(),
      idleTimeoutSeconds: s.idleTimeoutS,
    };
  }

  async sessionInfo(ctx: RequestContext, token?: string): Promise<Session> {
    const row = await this.store.sessionByTokenHash(tokenHash(token ?? ''));
    const user = await this.users.byId(ctx.actor.orgId, ctx.actor.userId);
    if (!row || !user) throw new AppError('unauthenticated');
    const info = await this.describe(user, { stage: row.stage, expiresAt: row.expires_at, idleTimeoutS: row.idle_timeout_s });
    if (row.transport === 'cookie' && token) info.csrfToken = csrfTokenFor(token);
    return info;
  }

  async logout(ctx: RequestContext): Promise<{ ok: true }> {
    await this.db.transaction().execute(async (tx) => {
      await this.store.revoke(tx, ctx.actor.sessionId, 'logout');
      await this.audit.recordFor(tx, ctx, { action: 'auth.logout', resourceType: 'session', resourceId: ctx.actor.sessionId });
    });
    return { ok: true };
  }

  private async checkCode(ctx: RequestContext, user: UserRecord, secret: string, code: string): Promise<void> {
    const key = `mfa:${user.id}`;
    if ((await this.store.failures(key, MFA_WINDOW_S)) >= MFA_MAX_FAILURES) {
      throw new AppError('too_many_requests', 'Too many wrong codes; try again later', { headers: { 'retry-after': String(MFA_WINDOW_S) } });
    }
    const step = totpStep(secret, code);
    const lastStep = user.totp_last_step === null ? -1 : Number(user.totp_last_step);
    if (step === null || step <= lastStep) {
      await this.store.addFailure(key, MFA_WINDOW_S);
      await this.audit.recordFor(this.db, ctx, { action: 'auth.mfa.verify', resourceType: 'session', resourceId: ctx.actor.sessionId, outcome: 'failure', details: { reason: step === null ? 'bad_code' : 'replayed_code' } });
      throw new AppError('invalid_mfa_code');
    }
    await this.store.clearFailures(key);
    user.totp_last_step = String(step);
  }

  private async loadUser(ctx: RequestContext): Promise<UserRecord> {
    const user = await this.users.byId(ctx.actor.orgId, ctx.actor.userId);
    if (!user) throw new AppError('unauthenticated');
    return user;
  }

  private async openTotp(user: UserRecord, sealed: Buffer | null): Promise<string> {
    const secret = await this.users.cipher.open(user.key_id, user.org_id, user.id, 'totp', sealed);
    if (!secret) throw new AppError('conflict', 'No authenticator is being set up; start again');
    return secret;
  }

  async verifyMfa(ctx: RequestContext, code: string, stage: Stage, token: string | undefined): Promise<Session> {
    if (stage !== 'mfa_required') throw new AppError('conflict', 'This session does not wait for a code');
    const user = await this.loadUser(ctx);
    await this.checkCode(ctx, user, await this.openTotp(user, user.totp_secret_ct), code);
    await this.db.transaction().execute(async (tx) => {
      await this.users.updateCredentials(tx, user.org_id, user.id, { totp_last_step: user.totp_last_step });
      await this.store.setStage(tx, ctx.actor.sessionId, 'active');
      await this.audit.recordFor(tx, ctx, { action: 'auth.mfa.verify', resourceType: 'session', resourceId: ctx.actor.sessionId });
    });
    return this.sessionInfo(ctx, token);
  }

  /** Starts TOTP enrollment. A session still waiting for its second factor cannot replace the factor. */
  async setupTotp(ctx: RequestContext, stage: Stage): Promise<{ secret: string; otpauthUri: string }> {
    if (stage === 'mfa_required') throw new AppError('mfa_required');
    const user = await this.loadUser(ctx);
    const secret = newTotpSecret();
    const org = await this.orgs.slugOf(user.org_id);
    await this.db.transaction().execute(async (tx) => {
      await this.users.updateCredentials(tx, user.org_id, user.id, { totp_pending_ct: await this.users.cipher.seal(user.key_id, user.org_id, user.id, 'totp', secret) });
      await this.audit.recordFor(tx, ctx, { action: 'auth.totp.setup', resourceType: 'user', resourceId: user.id });
    });
    return { secret, otpauthUri: totpUri(secret, `${org ?? 'haven'}:${user.id.slice(0, 8)}`, 'Haven') };
  }

  async enableTotp(ctx: RequestContext, code: string, stage: Stage, token: string | undefined): Promise<Session> {
    if (stage === 'mfa_required') throw new AppError('mfa_required');
    const user = await this.loadUser(ctx);
    const secret = await this.openTotp(user, user.totp_pending_ct);
    await this.checkCode(ctx, user, secret, code);
    await this.db.transaction().execute(async (tx) => {
      await this.users.updateCredentials(tx, user.org_id, user.id, {
        totp_secret_ct: await this.users.cipher.seal(user.key_id, user.org_id, user.id, 'totp', secret),
        totp_pending_ct: null,
        totp_enabled: true,
        totp_last_step: user.totp_last_step,
      });
      await this.store.setStage(tx, ctx.actor.sessionId, 'active');
      await this.audit.recordFor(tx, ctx, { action: 'auth.totp.enable', resourceType: 'user', resourceId: user.id });
    });
    return this.sessionInfo(ctx, token);
  }

  /** Changes the password and ends every other session of the user. */
  async changePassword(ctx: RequestContext, current: string, next: string): Promise<{ ok: true }> {
    const user = await this.loadUser(ctx);
    if (!user.password_hash || !(await verifyPassword(user.password_hash, current))) {
      await this.recordAuth(user.org_id, user, 'auth.password.change', 'failure', ctx, { reason: 'bad_password' });
      throw new AppError('invalid_credentials', 'The current password is incorrect');
    }
    const identity = await this.users.decryptIdentity(user);
    await this.users.validatePassword(next, user.role, user.totp_enabled, identity.email, user.org_id);
    await this.db.transaction().execute(async (tx) => {
      await this.users.updateCredentials(tx, user.org_id, user.id, { password_hash: await hashPassword(next), password_changed_at: new Date() });
      const ended = await this.store.revokeAllForUser(tx, user.id, 'password_changed', ctx.actor.sessionId);
      await this.audit.recordFor(tx, ctx, { action: 'auth.password.change', resourceType: 'user', resourceId: user.id, details: { sessionsEnded: ended } });
    });
    return { ok: true };
  }
}
