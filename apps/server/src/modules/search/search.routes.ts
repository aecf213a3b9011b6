import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { SearchService } from './search.service.js';

export function searchHandlers(search: SearchService): Pick<HandlerMap, 'messages.search'> {
  return { 'messages.search': async ({ body }, ctx) => search.search(ctx, body) };
}
