import type { HandlerMap } from '../../platform/http/endpoint.js';
import { sendFile } from '../../platform/http/send-file.js';
import type { AttachmentService } from './attachment.service.js';

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
