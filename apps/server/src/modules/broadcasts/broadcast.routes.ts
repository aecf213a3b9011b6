import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { BroadcastService } from './broadcast.service.js';

type BroadcastOps = 'broadcasts.preview' | 'broadcasts.create' | 'broadcasts.list' | 'broadcasts.get' | 'broadcasts.cancel';

export function broadcastHandlers(broadcasts: BroadcastService): Pick<HandlerMap, BroadcastOps> {
  return {
    'broadcasts.preview': async ({ body }, ctx) => broadcasts.preview(ctx, body),
    'broadcasts.create': async ({ body }, ctx) => broadcasts.create(ctx, body),
    'broadcasts.list': async ({ query }, ctx) => broadcasts.list(ctx, query ?? {}),
    'broadcasts.get': async ({ params }, ctx) => broadcasts.get(ctx, params.id),
    'broadcasts.cancel': async ({ params }, ctx) => broadcasts.cancel(ctx, params.id),
  };
}
