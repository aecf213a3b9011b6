/**
 * `@haven/api/client`: the SDK client without the contract's schemas (for browsers: the web app's first download).
 * Types still come from `@haven/api` (type-only imports cost nothing at run time).
 */
export { HavenApiError, HavenClient, type AttachmentUpload, type DownloadedFile, type HavenClientOptions, type OperationInput, type OperationOutput } from './client.js';
export { EventStream, type EventStreamOptions } from './event-stream.js';
/** Each operation's method and path; the operation ids are also the audit trail's actions. */
export { routes } from './routes.js';
