import { EventStream, type EventStreamOptions } from './event-stream.js';
import type { Static, TSchema } from 'typebox';
import type { Problem } from './common.js';
import type { Attachment } from './attachments.js';
import type { Resource } from './resources.js';
import type { Endpoints, JsonOperationId, OperationId } from './endpoints.js';
import { routes } from './routes.js';

type S<T> = T extends TSchema ? Static<T> : never;
type Part<E, K extends 'params' | 'query' | 'body'> = E extends { [P in K]: infer T } ? { [P in K]: S<T> } : { [P in K]?: never };
export type OperationInput<K extends OperationId> = Part<Endpoints[K], 'params'> &
  Partial<Part<Endpoints[K], 'query'>> &
  Part<Endpoints[K], 'body'>;
export type OperationOutput<K extends OperationId> = S<Endpoints[K]['response']>;

type RequiresInput<K extends OperationId> = Endpoints[K] extends { params: TSchema } | { body: TSchema } ? true : false;

/** A file to upload: bytes in memory (Buffer is a Uint8Array), a Blob, or a stream (sent chunked, no Content-Length). */
export interface AttachmentUpload {
  data: Uint8Array | Blob | ReadableStream<Uint8Array>;
  fileName: string;
  /** Declared type; the server checks it against the bytes. */
  contentType: string;
}

/** A downloaded attachment or preview. */
export interface DownloadedFile {
  bytes: Uint8Array;
  contentType: string;
  /** File name from Content-Disposition (filename*). */
  fileName: string | null;
  headers: Headers;
}

/** An error answered by the server as application/problem+json. */
export class HavenApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(`${problem.status} ${problem.code}: ${problem.detail ?? problem.title}`);
    this.name = 'HavenApiError';
    this.status = problem.status;
    this.code = problem.code;
    this.problem = problem;
  }
}

export interface HavenClientOptions {
  /**
   * Server origin, e.g. http://localhost:8080. In a browser, `''` (or omitted) means the page's own origin: the web
   * app served by Haven itself uses the session cookie (sent same-origin) and the CSRF token from sign-in.
   */
  baseUrl?: string;
  /** Bearer session token (SDK clients). Browsers use the session cookie instead. */
  token?: string;
  /** CSRF token for cookie sessions. */
  csrfToken?: string;
  /** Trusted-device token from an earlier sign-in: keeps this client able to sign in while the account is throttled. */
  deviceToken?: string;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
}

/** Typed client for the Haven REST API. Every operation is `call(operationId, input)`. */
export class HavenClient {
  token: string | undefined;
  csrfToken: string | undefined;
  deviceToken: string | undefined;
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly headers: Record<string, string>;

  constructor(options: HavenClientOptions) {
    this.baseUrl = resolveBaseUrl(options.baseUrl);
    this.token = options.token;
    this.csrfToken = options.csrfToken;
    this.deviceToken = options.deviceToken;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.headers = options.headers ?? {};
  }

  /** The WebSocket URL of the live event stream (see `events()`). */
  eventsUrl(): string {
    return `${this.baseUrl.replace(/^http/, 'ws')}/api/v1/events`;
  }

  /** The signed-in user's live event stream (open it with `await stream.open()`). */
  events(options: EventStreamOptions = {}): EventStream {
    return new EventStream(this, options);
  }

  async call<K extends JsonOperationId>(
    op: K,
    ...args: RequiresInput<K> extends true ? [input: OperationInput<K>] : [input?: OperationInput<K>]
  ): Promise<OperationOutput<K>> {
    const endpoint = routes[op];
    const input = (args[0] ?? {}) as { params?: Record<string, string>; query?: Record<string, unknown>; body?: unknown };
    const url = this.url(op, input.params);
    for (const [k, v] of Object.entries(input.query ?? {})) {
      // Arrays repeat the parameter (?tag=a&tag=b).
      if (Array.isArray(v)) for (const item of v as unknown[]) url.searchParams.append(k, String(item));
      else if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
    }
    const headers = this.requestHeaders(endpoint.method, 'application/json');
    if (op === 'auth.login' && this.deviceToken) headers['x-haven-device'] = this.deviceToken;
    let body: string | undefined;
    if (endpoint.body || input.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(input.body ?? {});
    }
    const res = await this.fetchImpl(url, { method: endpoint.method, headers, body });
    const text = await res.text();
    const data: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) throw problemError(res, data);
    if (op === 'auth.logout') {
      this.token = undefined;
      this.csrfToken = undefined;
    }
    if (op === 'auth.login') {
      this.deviceToken = res.headers.get('x-haven-device') ?? this.deviceToken;
      const session = data as { token?: string; csrfToken?: string };
      if (session.token) this.token = session.token;
      if (session.csrfToken) this.csrfToken = session.csrfToken;
    }
    // A cookie session's CSRF token also comes back from auth.session (after a reload) and the MFA steps.
    if ((op === 'auth.session' || op === 'auth.mfa.verify' || op === 'auth.totp.enable') && !this.token) {
      const session = data as { csrfToken?: string };
      if (session.csrfToken) this.csrfToken = session.csrfToken;
    }
    return data as OperationOutput<K>;
  }

  /**
   * Uploads a file for a message (before or after sending it, with the message's client-generated id).
   * A stream body is sent chunked; the server stops reading it at the size limit (413).
   */
  uploadAttachment(threadId: string, messageId: string, file: AttachmentUpload): Promise<Attachment> {
    return this.sendFile('attachments.upload', { threadId, messageId }, file) as Promise<Attachment>;
  }

  /** Downloads an attachment (`content`) or its image preview (`preview`). */
  downloadAttachment(threadId: string, messageId: string, attachmentId: string, variant: 'content' | 'preview' = 'content'): Promise<DownloadedFile> {
    return this.fetchFile(variant === 'content' ? 'attachments.download' : 'attachments.preview', { threadId, messageId, attachmentId });
  }

  /** Uploads (or replaces) the bytes of a file resource of the library. */
  uploadResourceFile(resourceId: string, file: AttachmentUpload): Promise<Resource> {
    return this.sendFile('resources.upload', { resourceId }, file) as Promise<Resource>;
  }

  /** Downloads the bytes of a file resource of the library. */
  downloadResourceFile(resourceId: string): Promise<DownloadedFile> {
    return this.fetchFile('resources.download', { resourceId });
  }

  /** The care analytics report as CSV (admins). */
  downloadAnalyticsCsv(query: { from: string; to: string; groupBy?: string; period?: string }): Promise<DownloadedFile> {
    return this.fetchFile('analytics.export', {}, query);
  }

  /** Sends a file as the raw request body of a `binary: 'request'` operation. */
  private async sendFile(op: 'attachments.upload' | 'resources.upload', params: Record<string, string>, file: AttachmentUpload): Promise<unknown> {
    const endpoint = routes[op];
    const headers = this.requestHeaders(endpoint.method, 'application/json');
    headers['content-type'] = file.contentType;
    headers['x-haven-filename'] = encodeURIComponent(file.fileName);
    const streamed = typeof ReadableStream !== 'undefined' && file.data instanceof ReadableStream;
    const init: RequestInit & { duplex?: 'half' } = { method: endpoint.method, headers, body: file.data as BodyInit };
    if (streamed) init.duplex = 'half';
    const res = await this.fetchImpl(this.url(op, params), init);
    const text = await res.text();
    const data: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) throw problemError(res, data);
    return data;
  }

  /** Fetches the answer of a `binary: 'response'` operation. */
  private async fetchFile(op: 'attachments.download' | 'attachments.preview' | 'resources.download' | 'analytics.export', params: Record<string, string>, query: Record<string, string | undefined> = {}): Promise<DownloadedFile> {
    const url = this.url(op, params);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    const res = await this.fetchImpl(url, { method: 'GET', headers: this.requestHeaders('GET', '*/*') });
    if (!res.ok) {
      const text = await res.text();
      throw problemError(res, text ? (JSON.parse(text) as unknown) : undefined);
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    const disposition = res.headers.get('content-disposition') ?? '';
    const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1];
    return { bytes, contentType: res.headers.get('content-type') ?? 'application/octet-stream', fileName: encoded ? decodeURIComponent(encoded) : null, headers: res.headers };
  }

  private url(op: OperationId, params: Record<string, string> | undefined): URL {
    const path = routes[op].path.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
      const value = params?.[name];
      if (value === undefined) throw new TypeError(`${op}: missing path parameter ${name}`);
      return encodeURIComponent(value);
    });
    return new URL(`${this.baseUrl}/api/v1${path}`);
  }

  private requestHeaders(method: string, accept: string): Record<string, string> {
    const headers: Record<string, string> = { accept, ...this.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (this.csrfToken && method !== 'GET') headers['x-csrf-token'] = this.csrfToken;
    return headers;
  }

  /** Sign in as an SDK client (bearer token kept by this client). */
  login(organization: string, email: string, password: string): Promise<OperationOutput<'auth.login'>> {
    return this.call('auth.login', { body: { organization, email, password, transport: 'bearer' } });
  }
}

/** An absolute origin as given, or the page's origin in a browser when none is given. */
function resolveBaseUrl(baseUrl: string | undefined): string {
  if (baseUrl) return baseUrl.replace(/\/$/, '');
  const origin = (globalThis as { location?: { origin?: string } }).location?.origin;
  if (!origin) throw new TypeError('HavenClient: baseUrl is required outside a browser');
  return origin;
}

function problemError(res: Response, data: unknown): HavenApiError {
  const problem = (data ?? {}) as Partial<Problem>;
  return new HavenApiError({
    type: problem.type ?? 'about:blank',
    title: problem.title ?? res.statusText,
    status: problem.status ?? res.status,
    code: problem.code ?? 'http_error',
    detail: problem.detail,
    requestId: problem.requestId,
    errors: problem.errors,
  });
}
