import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { MessagingAccess } from './messaging-access.js';
import type { RolloutService } from './rollout.service.js';

export function rolloutHandlers(rollout: RolloutService, access: MessagingAccess): Pick<HandlerMap, 'messagingRollout.get' | 'messagingRollout.update' | 'me.messaging'> {
  return {
    'messagingRollout.get': async (_in, ctx) => rollout.get(ctx),
    'messagingRollout.update': async ({ body }, ctx) => rollout.update(ctx, body),
    'me.messaging': async (_in, ctx) => access.status(ctx),
  };
}
