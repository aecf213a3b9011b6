import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { PatientArchiveService } from './patient-archive.service.js';

export function patientArchiveHandlers(archive: PatientArchiveService): Pick<HandlerMap, 'patients.archive' | 'patients.unarchive'> {
  return {
    'patients.archive': async ({ params }, ctx) => archive.setArchived(ctx, params.id, true),
    'patients.unarchive': async ({ params }, ctx) => archive.setArchived(ctx, params.id, false),
  };
}
