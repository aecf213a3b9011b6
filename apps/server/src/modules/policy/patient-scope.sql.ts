import { sql, type RawBuilder } from 'kysely';
import type { PatientScope } from './policy.js';

/**
 * A patient scope (policy.patientScope: whose records or messages an actor may see) as a SQL condition on a patient
 * id. The one translation every store uses for lists and searches, so a list can never show a patient the policy
 * would refuse one by one: all of the organization's patients (the caller also filters by organization), only
 * oneself, the patients of the care teams one belongs to, or none.
 */
export function patientInScope(scope: PatientScope, patientId: RawBuilder<unknown>): RawBuilder<boolean> {
  switch (scope.kind) {
    case 'all':
      return sql<boolean>`true`;
    case 'self':
      return sql<boolean>`${patientId} = ${scope.patientId}::uuid`;
    case 'care_team':
      return sql<boolean>`${patientId} IN (SELECT pc.patient_id FROM patient_care_teams pc
                                            JOIN care_team_members m ON m.care_team_id = pc.care_team_id
                                           WHERE m.user_id = ${scope.userId}::uuid)`;
    case 'none':
      return sql<boolean>`false`;
  }
}
