import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { ReactionService } from './reaction.service.js';

export function reactionHandlers(reactions: ReactionService): Pick<HandlerMap, 'reactions.add' | 'reactions.remove'> {
  return {
    'reactions.add': async ({ params }, ctx) => reactions.change(ctx, params.threadId, params.messageId, params.emoji, 'add'),
    'reactions.remove': async ({ params }, ctx) => reactions.change(ctx, params.threadId, params.messageId, params.emoji, 'remove'),
  };
}
