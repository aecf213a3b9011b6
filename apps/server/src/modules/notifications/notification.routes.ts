import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { NotificationService } from './notification.service.js';

type NotificationOps =
  | 'notifications.preferences.get'
  | 'notifications.preferences.update'
  | 'notifications.consent.update'
  | 'notifications.push.publicKey'
  | 'notifications.push.subscribe'
  | 'notifications.push.list'
  | 'notifications.push.unsubscribe'
  | 'notifications.sms.inbound'
  | 'notifications.attempts.list';

export function notificationHandlers(notifications: NotificationService): Pick<HandlerMap, NotificationOps> {
  return {
    'notifications.preferences.get': async (_input, ctx) => notifications.preferences(ctx),
    'notifications.preferences.update': async ({ body }, ctx) => notifications.updatePreferences(ctx, body),
    'notifications.consent.update': async ({ params, body }, ctx) => notifications.updateConsent(ctx, params.channel, body.given),
    'notifications.push.publicKey': async () => notifications.pushPublicKey(),
    'notifications.push.subscribe': async ({ body }, ctx) => notifications.subscribePush(ctx, body),
    'notifications.push.list': async (_input, ctx) => notifications.listPush(ctx),
    'notifications.push.unsubscribe': async ({ params }, ctx) => notifications.unsubscribePush(ctx, params.id),
    'notifications.sms.inbound': async ({ body, rawBody, request }) => notifications.smsInbound(body as Record<string, string>, rawBody, request.headers),
    'notifications.attempts.list': async ({ query }, ctx) => notifications.attempts(ctx, query ?? {}),
  };
}
