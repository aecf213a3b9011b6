import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { MentionService } from './mention.service.js';

export function mentionHandlers(mentions: MentionService): Pick<HandlerMap, 'mentions.list' | 'mentions.done'> {
  return {
    'mentions.list': async ({ query }, ctx) => mentions.list(ctx, query ?? {}),
    'mentions.done': async ({ params }, ctx) => mentions.done(ctx, params.mentionId),
  };
}
