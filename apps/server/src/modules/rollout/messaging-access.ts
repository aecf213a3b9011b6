import type { MessagingStatus } from '@haven/api';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError } from '../../platform/http/errors.js';
import type { OrganizationService } from '../organization/organization.service.js';
import { can } from '../policy/policy.js';
import type { RolloutStore } from './rollout.store.js';

export type AccessReason = MessagingStatus['reason'];

/** Whether a patient may message now, and why. */
export interface MessagingDecision {
  enabled: boolean;
  archived: boolean;
  reason: AccessReason;
}

/** An organization's soft launch as decisions need it (blind indexes, never tag text). */
export interface Rollout {
  mode: 'everyone' | 'pilot';
  tagBidx: Buffer[];
  providerIds: string[];
  alternativeContact: string;
}

/** What a patient without messaging is told when the organization has not written its own text. */
export const DEFAULT_ALTERNATIVE_CONTACT = 'Secure messaging is not available to you yet. Please contact the practice by phone or in person.';

const EVERYONE: Rollout = { mode: 'everyone', tagBidx: [], providerIds: [], alternativeContact: '' };
const ROLLOUT_TTL_MS = 2000;
const DECISION_TTL_MS = 1000;
const MAX_CACHED = 10_000;

/**
 * The one place that decides whether messaging is open for a patient: not archived, and (soft launch) either the
 * organization lets everyone message or the patient is in the pilot (one of the cohort tags, or one of the pilot
 * providers on one of their care teams).
 *
 * Decisions are cached per patient for a second and the rollout per organization for two: a send costs no query
 * when the same patient writes again. Changes made on this node (tags, archive, rollout) drop the entries they
 * affect at once; other nodes follow within the TTL.
 */
export class MessagingAccess {
  private readonly rollouts = new Map<string, { at: number; value: Rollout }>();
  private readonly decisions = new Map<string, { at: number; value: MessagingDecision }>();
  private readonly lookups = new Map<string, Promise<MessagingDecision>>();
  /** Bumped by every change on this node. */
  private generation = 0;

  constructor(
    private readonly store: RolloutStore,
    private readonly orgs: OrganizationService,
  ) {}

  async rollout(orgId: string): Promise<Rollout> {
    const hit = this.rollouts.get(orgId);
    if (hit && Date.now() - hit.at < ROLLOUT_TTL_MS) return hit.value;
    const generation = this.generation;
    const row = await this.store.byOrg(orgId);
    const value: Rollout = row ? { mode: row.mode, tagBidx: row.tag_bidx, providerIds: row.provider_ids, alternativeContact: row.alternative_contact } : EVERYONE;
    if (generation === this.generation) this.rollouts.set(orgId, { at: Date.now(), value });
    return value;
  }

  /** Whether this patient may message now. `fresh` skips the cache (broadcasts decide each send anew). */
  async canMessage(orgId: string, patientId: string, opts: { fresh?: boolean } = {}): Promise<MessagingDecision> {
    const key = `${orgId}|${patientId}`;
    if (!opts.fresh) {
      const hit = this.decisions.get(key);
      if (hit && Date.now() - hit.at < DECISION_TTL_MS) return hit.value;
      // A burst of sends for one patient shares one lookup.
      const pending = this.lookups.get(key);
      if (pending) return pending;
    }
    const generation = this.generation;
    const lookup = this.decide(orgId, [patientId]).then((d) => d.get(patientId) ?? { enabled: false, archived: false, reason: 'not_in_pilot' as const });
    if (!opts.fresh) this.lookups.set(key, lookup);
    try {
      const value = await lookup;
      // A change made on this node while the lookup ran may not be in its answer: use it, but do not keep it.
      if (generation === this.generation) {
        if (this.decisions.size >= MAX_CACHED) this.decisions.clear();
        this.decisions.set(key, { at: Date.now(), value });
      }
      return value;
    } finally {
      if (this.lookups.get(key) === lookup) this.lookups.delete(key);
    }
  }

  /** Decisions for many patients in one query (broadcast previews); never cached. Unknown ids are absent. */
  async decide(orgId: string, patientIds: string[]): Promise<Map<string, MessagingDecision>> {
    const rollout = await this.rollout(orgId);
    const out = new Map<string, MessagingDecision>();
    for (const f of await this.store.facts(orgId, patientIds, rollout.tagBidx, rollout.providerIds)) {
      const reason: AccessReason = f.archived
        ? 'archived'
        : rollout.mode === 'everyone'
          ? 'everyone'
          : f.in_cohort
            ? 'pilot_cohort'
            : f.with_provider
              ? 'pilot_provider'
              : 'not_in_pilot';
      out.set(f.id, { enabled: reason !== 'archived' && reason !== 'not_in_pilot', archived: f.archived, reason });
    }
    return out;
  }

  /** The text a patient without messaging is shown. */
  async alternativeContact(orgId: string): Promise<string> {
    return (await this.rollout(orgId)).alternativeContact || DEFAULT_ALTERNATIVE_CONTACT;
  }

  /**
   * The gate of threads.create and messages.send for a patient's record (see docs/decisions/0017):
   * - archived patient: nobody starts a thread or sends a message (409 patient_archived);
   * - soft launch: a patient without messaging cannot start a thread nor write in a thread they started
   *   (403 messaging_not_enabled, detail = how else to reach the practice), but may answer a thread the care team
   *   started. Providers and staff are not gated: they may still reach out to any patient they see.
   * `threadCreatedBy` is null for a thread being created.
   */
  async assertMayWrite(ctx: RequestContext, target: { patientId: string; threadCreatedBy: string | null; archived?: boolean }): Promise<void> {
    // Staff are only held back by the archive: known fresh from the caller's access check, no lookup on the send path.
    if (target.archived === false && ctx.actor.role !== 'patient') return;
    const decision = target.archived === true ? { archived: true, enabled: false } : await this.canMessage(ctx.actor.orgId, target.patientId);
    if (decision.archived) {
      throw new AppError(
        'patient_archived',
        ctx.actor.role === 'patient' ? 'Your record is archived: you can read your messages but not send new ones' : 'This patient is archived: unarchive the patient to message them again',
      );
    }
    if (ctx.actor.role !== 'patient' || decision.enabled) return;
    if (target.threadCreatedBy === null || target.threadCreatedBy === ctx.actor.userId) {
      throw new AppError('messaging_not_enabled', await this.alternativeContact(ctx.actor.orgId));
    }
  }

  /** GET /me/messaging: the signed-in patient's access, before the app shows a composer. */
  async status(ctx: RequestContext): Promise<MessagingStatus> {
    if (!can(ctx.actor, 'messaging.status', { orgId: ctx.actor.orgId }, await this.orgs.settings(ctx.actor.orgId))) {
      throw new AppError('forbidden', 'Only patients have a messaging status; staff may message any patient they see');
    }
    const d = await this.canMessage(ctx.actor.orgId, ctx.actor.userId);
    const rollout = await this.rollout(ctx.actor.orgId);
    return {
      enabled: d.enabled,
      reason: d.reason,
      alternativeContact: d.enabled ? rollout.alternativeContact || null : rollout.alternativeContact || DEFAULT_ALTERNATIVE_CONTACT,
      archived: d.archived,
    };
  }

  /** A patient's tags, care teams or archive state changed on this node. */
  patientChanged(orgId: string, patientId: string): void {
    this.generation++;
    this.decisions.delete(`${orgId}|${patientId}`);
    this.lookups.delete(`${orgId}|${patientId}`);
  }

  /** The organization's rollout (or its care teams) changed on this node. */
  orgChanged(orgId: string): void {
    this.generation++;
    this.rollouts.delete(orgId);
    for (const key of this.decisions.keys()) if (key.startsWith(`${orgId}|`)) this.decisions.delete(key);
    for (const key of this.lookups.keys()) if (key.startsWith(`${orgId}|`)) this.lookups.delete(key);
  }
}
