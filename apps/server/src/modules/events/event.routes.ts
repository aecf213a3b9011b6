import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CookiePolicy } from '../../platform/http/cookies.js';
import type { HandlerMap } from '../../platform/http/endpoint.js';
import { AppError } from '../../platform/http/errors.js';
import type { EventHub } from './event.hub.js';
import type { EventService, Subscriber } from './event.service.js';

export function eventHandlers(events: EventService): Pick<HandlerMap, 'events.ticket'> {
  return {
    'events.ticket': async (_in, ctx) => events.createTicket(ctx),
  };
}

const CURSOR = /^[0-9]{1,19}$/;

/**
 * `GET /api/v1/events` (WebSocket). SDK clients authenticate with `?ticket=` (single use, 30 s, from
 * events.ticket); browsers with their session cookie, from an allowed Origin. `?cursor=` resumes a stream.
 * Refusals happen before the upgrade, as problem+json (401, 403, 400).
 */
export function registerEventSocket(app: FastifyInstance, opts: { hub: EventHub; events: EventService; cookies: CookiePolicy; allowedOrigins: ReadonlySet<string> }): void {
  const subscribers = new WeakMap<FastifyRequest, { sub: Subscriber; cursor: string | undefined }>();
  app.get(
    '/api/v1/events',
    {
      websocket: true,
      preValidation: async (request) => {
        const q = request.query as Record<string, unknown>;
        const cursor = typeof q.cursor === 'string' ? q.cursor : undefined;
        if (cursor !== undefined && !CURSOR.test(cursor)) throw new AppError('validation_failed', 'cursor must be a stream position');
        let sub: Subscriber;
        if (typeof q.ticket === 'string') {
          sub = await opts.events.redeemTicket(q.ticket);
        } else {
          const token = request.cookies[opts.cookies.session];
          if (!token) throw new AppError('unauthenticated', 'Open the socket with a ticket (events.ticket) or a browser session');
          // A cookie rides along on any page's request: only Haven's own origins may use it here.
          const origin = request.headers.origin;
          if (!origin || !opts.allowedOrigins.has(origin)) throw new AppError('origin_not_allowed');
          sub = await opts.events.subscriberForCookie(token);
        }
        subscribers.set(request, { sub, cursor });
      },
    },
    async (socket, request) => {
      const found = subscribers.get(request);
      if (!found) return socket.close(1011, 'internal error');
      await opts.hub.attach(socket, found.sub, request.ip ?? null, found.cursor);
    },
  );
}
