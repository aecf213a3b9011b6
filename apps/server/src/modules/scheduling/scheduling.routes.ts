import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { FollowUpService } from './follow-up.service.js';
import type { ScheduledMessageService } from './scheduled-message.service.js';

type SchedulingOps =
  | 'scheduledMessages.create'
  | 'scheduledMessages.list'
  | 'scheduledMessages.overview'
  | 'scheduledMessages.update'
  | 'scheduledMessages.cancel'
  | 'followUps.create'
  | 'followUps.list'
  | 'followUps.cancel';

export function schedulingHandlers(scheduled: ScheduledMessageService, followUps: FollowUpService): Pick<HandlerMap, SchedulingOps> {
  return {
    'scheduledMessages.create': async ({ params, body, reply }, ctx) => {
      const { scheduled: out, replayed } = await scheduled.create(ctx, params.threadId, body);
      // Like messages.create: a retry of a request already stored answers 200 with what was stored.
      if (replayed) reply.status(200);
      return out;
    },
    'scheduledMessages.list': async ({ params, query }, ctx) => scheduled.list(ctx, params.threadId, query ?? {}),
    'scheduledMessages.overview': async ({ query }, ctx) => scheduled.overview(ctx, query ?? {}),
    'scheduledMessages.update': async ({ params, body }, ctx) => scheduled.update(ctx, params.scheduledMessageId, body),
    'scheduledMessages.cancel': async ({ params }, ctx) => scheduled.cancel(ctx, params.scheduledMessageId),
    'followUps.create': async ({ params, body }, ctx) => followUps.create(ctx, params.threadId, body),
    'followUps.list': async ({ params, query }, ctx) => followUps.list(ctx, params.threadId, query ?? {}),
    'followUps.cancel': async ({ params }, ctx) => followUps.cancel(ctx, params.followUpId),
  };
}
