import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { PatientScope } from '../policy/policy.js';
import { patientInScope } from '../policy/patient-scope.sql.js';

export class PatientStore {
  constructor(private readonly db: Db) {}

  /** Patients within a scope, optionally narrowed to an exact blind-index match. */
  list(orgId: string, scope: PatientScope, filter: { emailBidx?: Buffer; mrnBidx?: Buffer; tagBidx?: Buffer[]; archived?: boolean }, limit: number) {
    let q = this.db.selectFrom('users as u').selectAll('u').where('u.org_id', '=', orgId).where('u.role', '=', 'patient');
    if (scope.kind === 'none') return Promise.resolve([]);
    q = q.where(patientInScope(scope, sql.ref('u.id')));
    if (filter.emailBidx) q = q.where('u.email_bidx', '=', filter.emailBidx);
    if (filter.mrnBidx) q = q.where('u.mrn_bidx', '=', filter.mrnBidx);
    // migrations/0010 (cohorts): every given tag, and archived or not.
    for (const bidx of filter.tagBidx ?? []) {
      q = q.where((eb) => eb.exists(eb.selectFrom('patient_tags as pt').select('pt.patient_id').whereRef('pt.patient_id', '=', 'u.id').where('pt.tag_bidx', '=', bidx)));
    }
    if (filter.archived !== undefined) q = q.where('u.archived_at', filter.archived ? 'is not' : 'is', null);
    return q.orderBy('u.created_at', 'desc').limit(limit).$narrowType<{ role: 'patient' }>().execute();
  }
}
