import type { FastifyReply } from 'fastify';
import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { AttachmentService, OpenedFile } from './attachment.service.js';
import { contentDisposition } from './file-name.js';

/** Files leave as downloads that no browser renders or sniffs, in a sandbox should one try, and are never cached. */
function sendFile(reply: FastifyReply, file: OpenedFile, disposition: 'attachment' | 'inline') {
  reply.header('content-type', file.contentType === 'text/plain' ? 'text/plain; charset=utf-8' : file.contentType);
  reply.header('content-disposition', contentDisposition(disposition, file.fileName));
  reply.header('x-content-type-options', 'nosniff');
  reply.header('content-security-policy', "default-src 'none'; sandbox");
  reply.header('cache-control', 'no-store');
  if (file.size !== undefined) reply.header('content-length', String(file.size));
  return file.stream;
}

export function attachmentHandlers(attachments: AttachmentService): Pick<HandlerMap, 'attachments.upload' | 'attachments.list' | 'attachments.download' | 'attachments.preview'> {
  return {
    'attachments.upload': async ({ params, headers, body }, ctx) =>
      attachments.upload(ctx, params.threadId, params.messageId, {
        body,
        contentType: headers['content-type'],
        contentLength: headers['content-length'] === undefined ? undefined : Number(headers['content-length']),
        fileName: headers['x-haven-filename'],
      }),
    'attachments.list': async ({ params }, ctx) => attachments.list(ctx, params.threadId, params.messageId),
    'attachments.download': async ({ params, reply }, ctx) =>
      sendFile(reply, await attachments.open(ctx, params.threadId, params.messageId, params.attachmentId, 'content'), 'attachment'),
    // The preview is an image Haven rendered itself (WebP from pixels), shown inline by the apps.
    'attachments.preview': async ({ params, reply }, ctx) =>
      sendFile(reply, await attachments.open(ctx, params.threadId, params.messageId, params.attachmentId, 'preview'), 'inline'),
  };
}
