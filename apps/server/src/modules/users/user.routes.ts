import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { UserService } from './user.service.js';

export function userHandlers(users: UserService): Pick<HandlerMap, 'users.create' | 'users.list' | 'users.get' | 'users.update' | 'users.deactivate' | 'users.reactivate' | 'me.language.update'> {
  return {
    'users.create': async ({ body }, ctx) => users.createStaff(ctx, body),
    'users.list': async (_in, ctx) => users.listStaff(ctx),
    'users.get': async ({ params }, ctx) => users.getStaff(ctx, params.id),
    'users.update': async ({ params, body }, ctx) => users.updateStaff(ctx, params.id, body),
    'users.deactivate': async ({ params }, ctx) => users.deactivate(ctx, params.id),
    'users.reactivate': async ({ params }, ctx) => users.reactivate(ctx, params.id),
    'me.language.update': async ({ body }, ctx) => users.setLanguage(ctx, body.language),
  };
}
