import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { contentDisposition } from '../files/file-name.js';

/** A stored file opened for an answer: verified plaintext bytes and what to call them. */
export interface OpenedFile {
  stream: Readable;
  contentType: string;
  fileName: string;
  /** Plaintext size when known (previews are streamed without one). */
  size: number | undefined;
}

/** Files leave as downloads that no browser renders or sniffs, in a sandbox should one try, and are never cached. */
export function sendFile(reply: FastifyReply, file: OpenedFile, disposition: 'attachment' | 'inline'): Readable {
  reply.header('content-type', file.contentType === 'text/plain' ? 'text/plain; charset=utf-8' : file.contentType);
  reply.header('content-disposition', contentDisposition(disposition, file.fileName));
  reply.header('x-content-type-options', 'nosniff');
  reply.header('content-security-policy', "default-src 'none'; sandbox");
  reply.header('cache-control', 'no-store');
  if (file.size !== undefined) reply.header('content-length', String(file.size));
  return file.stream;
}
