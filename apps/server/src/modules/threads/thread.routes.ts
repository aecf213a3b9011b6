import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { ThreadService } from './thread.service.js';

export function threadHandlers(threads: ThreadService): Pick<HandlerMap, 'threads.create' | 'threads.list' | 'threads.get' | 'threads.consults'> {
  return {
    'threads.create': async ({ body }, ctx) => threads.create(ctx, body),
    'threads.list': async ({ query }, ctx) => threads.list(ctx, query ?? {}),
    'threads.get': async ({ params }, ctx) => threads.get(ctx, params.threadId),
    'threads.consults': async ({ params }, ctx) => threads.consults(ctx, params.threadId),
  };
}
