import type { MessagingRollout, MessagingRolloutUpdate } from '@haven/api';
import { aad } from '../../platform/crypto/aead.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError } from '../../platform/http/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import { normalizeTags, tagIndexes } from '../cohorts/tag.crypto.js';
import type { OrganizationService } from '../organization/organization.service.js';
import { can } from '../policy/policy.js';
import type { UserService } from '../users/user.service.js';
import type { MessagingAccess } from './messaging-access.js';
import type { RolloutStore } from './rollout.store.js';

const tagsAad = (orgId: string): string => aad('messaging_rollout', orgId, 'tags');

/**
 * The soft launch setting (admins): everyone messages, or a pilot of cohort tags and providers. Kept apart from
 * organization.get (which every signed-in user, patients included, may read) because cohort tags can name
 * conditions: the tags are stored encrypted and shown to admins only.
 */
export class RolloutService {
  constructor(
    private readonly db: Db,
    private readonly store: RolloutStore,
    private readonly access: MessagingAccess,
    private readonly users: UserService,
    private readonly orgs: OrganizationService,
    private readonly keyring: Keyring,
    private readonly audit: AuditService,
  ) {}

  private async requireAdmin(ctx: RequestContext): Promise<void> {
    if (!can(ctx.actor, 'organization.manage', { orgId: ctx.actor.orgId }, await this.orgs.settings(ctx.actor.orgId))) {
      throw new AppError('forbidden', 'Only practice admins manage the soft launch of messaging');
    }
  }

  private async present(orgId: string, tx: Queryable = this.db): Promise<MessagingRollout> {
    const row = await this.store.byOrg(orgId, tx);
    if (!row) return { mode: 'everyone', cohortTags: [], providerIds: [], alternativeContact: '', updatedAt: null, updatedBy: null };
    return {
      mode: row.mode,
      cohortTags: JSON.parse(await this.keyring.decrypt(row.key_id, row.tags_ct, tagsAad(orgId))) as string[],
      providerIds: row.provider_ids,
      alternativeContact: row.alternative_contact,
      updatedAt: row.updated_at.toISOString(),
      updatedBy: row.updated_by,
    };
  }

  async get(ctx: RequestContext): Promise<MessagingRollout> {
    await this.requireAdmin(ctx);
    return this.present(ctx.actor.orgId);
  }

  /**
   * Changes the given fields; the others keep their value. Providers must be active providers of the organization.
   * Two admins changing different fields at once both win: the current setting is read under a lock on the
   * organization, in the transaction that writes the next one.
   */
  async update(ctx: RequestContext, input: MessagingRolloutUpdate): Promise<MessagingRollout> {
    await this.requireAdmin(ctx);
    const orgId = ctx.actor.orgId;
    const providerIds = input.providerIds ? [...new Set(input.providerIds.map((id) => id.toLowerCase()))] : undefined;
    if (providerIds) await this.users.assertActiveStaff(orgId, providerIds, ['provider']);
    const keyId = await this.keyring.orgDataKeyId(orgId, 'organization');
    await this.db.transaction().execute(async (tx) => {
      await this.store.lockOrganization(tx, orgId);
      const current = await this.present(orgId, tx);
      const next = {
        mode: input.mode ?? current.mode,
        cohortTags: input.cohortTags ? normalizeTags(input.cohortTags) : current.cohortTags,
        providerIds: providerIds ?? current.providerIds,
        alternativeContact: input.alternativeContact !== undefined ? input.alternativeContact.trim() : current.alternativeContact,
      };
      await this.store.upsert(tx, {
        org_id: orgId,
        mode: next.mode,
        key_id: keyId,
        tags_ct: await this.keyring.encrypt(keyId, JSON.stringify(next.cohortTags), tagsAad(orgId), tx),
        tag_bidx: await tagIndexes(this.keyring, orgId, next.cohortTags, tx),
        provider_ids: next.providerIds,
        alternative_contact: next.alternativeContact,
        updated_by: ctx.actor.userId,
      });
      await this.audit.recordFor(tx, ctx, {
        action: 'messagingRollout.update',
        resourceType: 'organization',
        resourceId: orgId,
        details: { mode: next.mode, cohortTags: next.cohortTags.length, providers: next.providerIds.length, fields: Object.keys(input).sort().join(',') },
      });
    });
    this.access.orgChanged(orgId);
    return this.present(orgId);
  }
}
