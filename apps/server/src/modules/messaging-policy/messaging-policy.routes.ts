import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { MessagingPolicyService } from './messaging-policy.service.js';

export function messagingPolicyHandlers(policy: MessagingPolicyService): Pick<HandlerMap, 'me.messagingPolicy.get' | 'me.messagingPolicy.accept'> {
  return {
    'me.messagingPolicy.get': async (_in, ctx) => policy.get(ctx),
    'me.messagingPolicy.accept': async ({ body }, ctx) => policy.accept(ctx, body.version),
  };
}
