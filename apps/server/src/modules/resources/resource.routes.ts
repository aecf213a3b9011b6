import type { HandlerMap } from '../../platform/http/endpoint.js';
import { sendFile } from '../../platform/http/send-file.js';
import type { ResourceService } from './resource.service.js';

type ResourceOps = 'resources.create' | 'resources.list' | 'resources.get' | 'resources.update' | 'resources.archive' | 'resources.upload' | 'resources.download' | 'resources.share';

export function resourceHandlers(resources: ResourceService): Pick<HandlerMap, ResourceOps> {
  return {
    'resources.create': async ({ body }, ctx) => resources.create(ctx, body),
    'resources.list': async ({ query }, ctx) => resources.list(ctx, query ?? {}),
    'resources.get': async ({ params }, ctx) => resources.get(ctx, params.resourceId),
    'resources.update': async ({ params, body }, ctx) => resources.update(ctx, params.resourceId, body),
    'resources.archive': async ({ params }, ctx) => resources.archive(ctx, params.resourceId),
    'resources.upload': async ({ params, headers, body }, ctx) =>
      resources.uploadFile(ctx, params.resourceId, {
        body,
        contentType: headers['content-type'],
        contentLength: headers['content-length'] === undefined ? undefined : Number(headers['content-length']),
        fileName: headers['x-haven-filename'],
      }),
    'resources.download': async ({ params, reply }, ctx) => sendFile(reply, await resources.download(ctx, params.resourceId), 'attachment'),
    'resources.share': async ({ params, body, reply }, ctx) => {
      const { message, replayed } = await resources.share(ctx, params.threadId, params.resourceId, body);
      // Like messages.create: a retry of a share already made answers 200 with the message made the first time.
      if (replayed) reply.status(200);
      return message;
    },
  };
}
