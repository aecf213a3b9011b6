import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { MessageService } from './message.service.js';

export function messageHandlers(messages: MessageService): Pick<HandlerMap, 'messages.create' | 'messages.get' | 'messages.list' | 'messages.edit' | 'messages.retract' | 'messages.versions' | 'messages.receipts'> {
  return {
    'messages.create': async ({ params, body, reply }, ctx) => {
      const { message, replayed } = await messages.send(ctx, params.threadId, body);
      // A retry of an already stored message answers 200 with the stored message instead of 201.
      if (replayed) reply.status(200);
      return message;
    },
    'messages.get': async ({ params }, ctx) => messages.get(ctx, params.threadId, params.messageId),
    'messages.list': async ({ params, query }, ctx) => messages.list(ctx, params.threadId, query ?? {}),
    'messages.edit': async ({ params, body }, ctx) => messages.edit(ctx, params.threadId, params.messageId, body.body),
    'messages.retract': async ({ params, body }, ctx) => messages.retract(ctx, params.threadId, params.messageId, body.reason),
    'messages.versions': async ({ params }, ctx) => messages.versions(ctx, params.threadId, params.messageId),
    'messages.receipts': async ({ params, body }, ctx) => messages.markReceipts(ctx, params.threadId, body),
  };
}
