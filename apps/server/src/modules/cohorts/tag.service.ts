import type { PatientTags, TagSummary } from '@haven/api';
import type { Db } from '../../platform/db/database.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError } from '../../platform/http/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { OrganizationService } from '../organization/organization.service.js';
import type { PatientService } from '../patients/patient.service.js';
import { can, patientScope } from '../policy/policy.js';
import { normalizeTags, tagAad, tagIndexes } from './tag.crypto.js';
import type { TagRow, TagStore } from './tag.store.js';

/** Told when a patient's tags change (the soft launch's decisions depend on them). */
export interface TagListener {
  patientChanged(orgId: string, patientId: string): void;
}

/**
 * Patient tags (cohorts): staff-only labels that may name a condition. The text is encrypted under the
 * organization's data key; rows are matched by a keyed blind index (platform/crypto/blind-index.ts).
 */
export class TagService {
  constructor(
    private readonly db: Db,
    private readonly store: TagStore,
    private readonly patients: PatientService,
    private readonly orgs: OrganizationService,
    private readonly keyring: Keyring,
    private readonly audit: AuditService,
    private readonly listener: TagListener,
  ) {}

  private async decrypt(orgId: string, rows: TagRow[]): Promise<string[]> {
    return Promise.all(rows.map((r) => this.keyring.decrypt(r.key_id, r.tag_ct, tagAad(orgId, r.bidx))));
  }

  async get(ctx: RequestContext, patientId: string): Promise<PatientTags> {
    const patient = await this.patients.requirePatient(ctx, patientId, 'patients.tags');
    const tags = (await this.decrypt(patient.org_id, await this.store.ofPatient(patient.org_id, patient.id))).sort();
    await this.audit.recordFor(this.db, ctx, { action: 'patients.tags.get', resourceType: 'patient', resourceId: patient.id, patientId: patient.id, details: { returned: tags.length } });
    return { patientId: patient.id, tags };
  }

  /** Replaces a patient's tags. The audit event counts changes; it never names a tag (tags can name conditions). */
  async set(ctx: RequestContext, patientId: string, input: string[]): Promise<PatientTags> {
    const patient = await this.patients.requirePatient(ctx, patientId, 'patients.tags');
    const orgId = patient.org_id;
    const tags = normalizeTags(input);
    // `tags` is normalized already: its blind indexes come in the same order (one key lookup for all).
    const indexes = await tagIndexes(this.keyring, orgId, tags);
    const entries = tags.map((tag, i) => ({ tag, bidx: indexes[i]! }));
    const keyId = await this.keyring.orgDataKeyId(orgId, 'organization');
    await this.db.transaction().execute(async (tx) => {
      // Two replacements of one patient's tags at once must not merge: the second waits for the first.
      await this.store.lockPatient(tx, orgId, patient.id);
      const known = new Set((await this.store.known(orgId, entries.map((e) => e.bidx), tx)).map((b) => b.toString('hex')));
      const fresh = entries.filter((e) => !known.has(e.bidx.toString('hex')));
      await this.store.addVocabulary(
        tx,
        orgId,
        await Promise.all(fresh.map(async (e) => ({ bidx: e.bidx, key_id: keyId, tag_ct: await this.keyring.encrypt(keyId, e.tag, tagAad(orgId, e.bidx), tx) }))),
      );
      const changed = await this.store.replace(tx, orgId, patient.id, entries.map((e) => e.bidx), ctx.actor.userId);
      await this.audit.recordFor(tx, ctx, { action: 'patients.tags.set', resourceType: 'patient', resourceId: patient.id, patientId: patient.id, details: { tags: tags.length, ...changed } });
    });
    this.listener.patientChanged(orgId, patient.id);
    return { patientId: patient.id, tags };
  }

  /** The organization's tags in use; each counts the tagged patients the caller may see. */
  async list(ctx: RequestContext): Promise<{ items: TagSummary[] }> {
    const settings = await this.orgs.settings(ctx.actor.orgId);
    if (!can(ctx.actor, 'tags.read', { orgId: ctx.actor.orgId }, settings)) throw new AppError('forbidden', 'Patient tags are for staff');
    const rows = await this.store.inUse(ctx.actor.orgId, patientScope(ctx.actor, settings, 'records'));
    const names = await this.decrypt(ctx.actor.orgId, rows);
    const items = rows.map((r, i) => ({ tag: names[i]!, patients: r.patients })).sort((a, b) => a.tag.localeCompare(b.tag));
    await this.audit.recordFor(this.db, ctx, { action: 'tags.list', resourceType: 'tag', details: { returned: items.length } });
    return { items };
  }
}
