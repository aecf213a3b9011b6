import { sql } from 'kysely';
import type { Queryable } from '../../platform/db/database.js';
import type { Role } from '@haven/api';

export class PatientArchiveStore {
  /** Archives (or, with `to: null`, unarchives) a patient; false when it already was in that state. */
  async set(tx: Queryable, orgId: string, patientId: string, to: { at: Date; by: string } | null): Promise<boolean> {
    const res = await tx
      .updateTable('users')
      .set({ archived_at: to?.at ?? null, archived_by: to?.by ?? null })
      .where('org_id', '=', orgId)
      .where('id', '=', patientId)
      .where('role', '=', 'patient')
      .where('archived_at', to ? 'is' : 'is not', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /**
   * Active admins, providers and staff of the organization who might see this patient (for a live event): admins,
   * members of the patient's care teams, and with `allClinical` every provider and staff member. The policy decides.
   */
  async staffCandidates(tx: Queryable, orgId: string, patientId: string, allClinical: boolean): Promise<{ id: string; role: Role; on_care_team: boolean }[]> {
    const res = await sql<{ id: string; role: Role; on_care_team: boolean }>`
      SELECT u.id, u.role,
             EXISTS (SELECT 1 FROM patient_care_teams pc JOIN care_team_members m ON m.care_team_id = pc.care_team_id
                      WHERE pc.patient_id = ${patientId} AND m.user_id = u.id) AS on_care_team
        FROM users u
       WHERE u.org_id = ${orgId} AND u.status = 'active' AND u.role IN ('admin', 'provider', 'staff')
         AND (u.role = 'admin' OR ${allClinical}
              OR EXISTS (SELECT 1 FROM patient_care_teams pc JOIN care_team_members m ON m.care_team_id = pc.care_team_id
                          WHERE pc.patient_id = ${patientId} AND m.user_id = u.id))`.execute(tx);
    return res.rows;
  }
}
