import type { Patient } from '@haven/api';
import type { Db } from '../../platform/db/database.js';
import type { RequestContext } from '../../platform/http/context.js';
import type { AuditService } from '../audit/audit.service.js';
import type { EventOutbox } from '../events/event.outbox.js';
import type { OrganizationService } from '../organization/organization.service.js';
import { can } from '../policy/policy.js';
import type { PatientArchiveStore } from './patient-archive.store.js';
import type { PatientService } from './patient.service.js';

/** Told when a patient is archived or unarchived (the messaging gate caches decisions). */
export interface ArchiveListener {
  patientChanged(orgId: string, patientId: string): void;
}

/**
 * Archiving a patient (admins, and providers and staff who see the patient): the record and its history stay and
 * remain readable (by staff, and by the patient, who can still sign in); while archived nobody starts a thread or
 * sends a message for the patient (the messaging gate answers 409 patient_archived), and patient lists hide them
 * unless asked for archived patients.
 */
export class PatientArchiveService {
  constructor(
    private readonly db: Db,
    private readonly store: PatientArchiveStore,
    private readonly patients: PatientService,
    private readonly orgs: OrganizationService,
    private readonly audit: AuditService,
    private readonly outbox: EventOutbox,
    private readonly listener: ArchiveListener,
  ) {}

  /** Archives or unarchives; doing it again changes nothing (no audit event, no live event) and answers the patient. */
  async setArchived(ctx: RequestContext, patientId: string, archived: boolean): Promise<Patient> {
    const patient = await this.patients.requirePatient(ctx, patientId, 'patients.archive');
    const orgId = patient.org_id;
    const settings = await this.orgs.settings(orgId);
    const kind = archived ? 'patient.archived' : 'patient.unarchived';
    const changed = await this.db.transaction().execute(async (tx) => {
      if (!(await this.store.set(tx, orgId, patient.id, archived ? { at: new Date(), by: ctx.actor.userId } : null))) return false;
      await this.audit.recordFor(tx, ctx, { action: archived ? 'patients.archive' : 'patients.unarchive', resourceType: 'patient', resourceId: patient.id, patientId: patient.id });
      // Staff who see the patient are told at once (their patient lists change); the patient is not.
      const audience = (await this.store.staffCandidates(tx, orgId, patient.id, settings.staffSeeAllPatients)).filter((u) =>
        can({ userId: u.id, orgId, role: u.role, sessionId: '' }, 'patients.read', { orgId, patientId: patient.id, onCareTeam: u.on_care_team }, settings),
      );
      await this.outbox.record(tx, audience.map((u) => ({ orgId, kind, userId: u.id, actorId: ctx.actor.userId, data: { patientId: patient.id } })));
      return true;
    });
    if (changed) {
      this.outbox.committed();
      this.listener.patientChanged(orgId, patient.id);
    }
    return this.patients.get(ctx, patient.id);
  }
}
