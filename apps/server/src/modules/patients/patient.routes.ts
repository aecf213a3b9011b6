import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { PatientService } from './patient.service.js';

export function patientHandlers(patients: PatientService): Pick<HandlerMap, 'patients.create' | 'patients.list' | 'patients.get' | 'patients.update'> {
  return {
    'patients.create': async ({ body }, ctx) => patients.create(ctx, body),
    'patients.list': async ({ query }, ctx) => patients.list(ctx, query ?? {}),
    'patients.get': async ({ params }, ctx) => patients.get(ctx, params.id),
    'patients.update': async ({ params, body }, ctx) => patients.update(ctx, params.id, body),
  };
}
