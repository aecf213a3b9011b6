import { createHash } from 'node:crypto';
import type { Language, MessagingPolicy } from '@haven/api';
import type { Db } from '../../platform/db/database.js';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError } from '../../platform/http/errors.js';
import { supportedLanguage } from '../../platform/i18n/languages.js';
import type { Clock } from '../../platform/time/clock.js';
import type { AuditService } from '../audit/audit.service.js';
import type { OrganizationService } from '../organization/organization.service.js';
import { can } from '../policy/policy.js';
import type { SafetyService } from '../safety/safety.service.js';
import type { UserService } from '../users/user.service.js';
import type { MessagingPolicyStore } from './messaging-policy.store.js';
import { POLICY_TEXTS, TEXT_VERSION } from './messaging-policy.texts.js';

/**
 * The messaging policy (decision 0027): Haven's text in the reader's language, filled with the practice's routine
 * response time, emergency number, urgent guidance and crisis resources. Its version is Haven's text version and a
 * digest of the practice's part (not of the language: a translation is the same policy), so a practice that changes
 * its response time or emergency number asks every patient again. Patients accept it (idempotent, audited once per
 * version); the app shows the composer only after. The server records, it does not refuse sends (see 0027).
 */
export class MessagingPolicyService {
  constructor(
    private readonly db: Db,
    private readonly store: MessagingPolicyStore,
    private readonly safety: SafetyService,
    private readonly users: UserService,
    private readonly orgs: OrganizationService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async get(ctx: RequestContext): Promise<MessagingPolicy> {
    const { orgId, userId } = ctx.actor;
    if (!can(ctx.actor, 'messagingPolicy.read', { orgId }, await this.orgs.settings(orgId))) throw new AppError('forbidden');
    const current = await this.current(ctx);
    if (ctx.actor.role !== 'patient') return { ...current, accepted: false, lastAcceptance: null };
    const { latest, ofVersion } = await this.store.acceptances(orgId, userId, current.version);
    return {
      ...current,
      accepted: ofVersion !== undefined,
      lastAcceptance: latest ? { version: latest.version, acceptedAt: latest.accepted_at.toISOString() } : null,
    };
  }

  async accept(ctx: RequestContext, version: string): Promise<MessagingPolicy> {
    const { orgId, userId } = ctx.actor;
    if (!can(ctx.actor, 'messagingPolicy.accept', { orgId, subjectUserId: userId }, await this.orgs.settings(orgId))) {
      throw new AppError('forbidden', 'Only patients accept the messaging policy');
    }
    const current = await this.current(ctx);
    if (version !== current.version) {
      throw new AppError('policy_changed', 'The messaging policy changed since you read it', { errors: [{ path: '/body/version', message: 'not the current version' }] });
    }
    await this.db.transaction().execute(async (tx) => {
      const recorded = await this.store.insert(tx, { org_id: orgId, user_id: userId, version, language: current.language, accepted_at: this.clock.now() });
      if (recorded) {
        await this.audit.recordFor(tx, ctx, {
          action: 'me.messagingPolicy.accept',
          resourceType: 'messaging_policy',
          resourceId: null,
          patientId: userId,
          details: { version, language: current.language },
        });
      }
    });
    return this.get(ctx);
  }

  /** The current policy for this reader (without their acceptance). */
  private async current(ctx: RequestContext): Promise<Omit<MessagingPolicy, 'accepted' | 'lastAcceptance'>> {
    const { orgId, userId } = ctx.actor;
    const [expectations, practice, user] = await Promise.all([this.safety.expectations(ctx, {}), this.safety.settingsOf(orgId), this.users.byId(orgId, userId)]);
    const language: Language = supportedLanguage(user?.language);
    const texts = POLICY_TEXTS[language];
    const digest = createHash('sha256')
      .update(JSON.stringify([expectations.responseMinutes, practice.emergencyNumber, practice.urgentGuidance, practice.crisisResources]))
      .digest('base64url')
      .slice(0, 12);
    const fillIn = (s: string) => s.replace('{time}', texts.duration(expectations.responseMinutes)).replace('{emergency}', expectations.emergencyNumber);
    return {
      version: `${TEXT_VERSION}.${digest}`,
      language,
      sections: [
        { id: 'purpose', text: texts.purpose },
        { id: 'response', text: fillIn(texts.response) },
        { id: 'emergency', text: fillIn(texts.emergency) },
        { id: 'guidance', text: expectations.urgentGuidance },
        { id: 'record', text: texts.record },
      ],
      responseMinutes: expectations.responseMinutes,
      emergencyNumber: expectations.emergencyNumber,
      crisisResources: expectations.crisisResources,
    };
  }
}
