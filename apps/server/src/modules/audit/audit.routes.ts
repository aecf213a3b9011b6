import type { Db } from '../../platform/db/database.js';
import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { AuditService } from './audit.service.js';

export function auditHandlers(audit: AuditService, db: Db): Pick<HandlerMap, 'audit.list' | 'audit.verify' | 'audit.checkpoints' | 'audit.publicKey'> {
  return {
    'audit.list': async ({ query }, ctx) => db.transaction().execute((tx) => audit.list(ctx, query ?? {}, tx)),
    'audit.verify': async (_in, ctx) => db.transaction().execute((tx) => audit.verifyFor(ctx, tx)),
    'audit.checkpoints': async (_in, ctx) => audit.checkpoints(ctx),
    'audit.publicKey': async () => audit.publicKey(),
  };
}
