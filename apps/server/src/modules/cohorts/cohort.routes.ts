import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { TagService } from './tag.service.js';

export function cohortHandlers(tags: TagService): Pick<HandlerMap, 'tags.list' | 'patients.tags.get' | 'patients.tags.set'> {
  return {
    'tags.list': async (_in, ctx) => tags.list(ctx),
    'patients.tags.get': async ({ params }, ctx) => tags.get(ctx, params.id),
    'patients.tags.set': async ({ params, body }, ctx) => tags.set(ctx, params.id, body.tags),
  };
}
