import type { Static, TSchema } from 'typebox';
import type { Problem } from './common.js';
import { endpoints, type Endpoints, type OperationId } from './endpoints.js';

type S<T> = T extends TSchema ? Static<T> : never;
type Part<E, K extends 'params' | 'query' | 'body'> = E extends { [P in K]: infer T } ? { [P in K]: S<T> } : { [P in K]?: never };
export type OperationInput<K extends OperationId> = Part<Endpoints[K], 'params'> &
  Partial<Part<Endpoints[K], 'query'>> &
  Part<Endpoints[K], 'body'>;
export type OperationOutput<K extends OperationId> = S<Endpoints[K]['response']>;

type RequiresInput<K extends OperationId> = Endpoints[K] extends { params: TSchema } | { body: TSchema } ? true : false;

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
  /** Server origin, e.g. http://localhost:8080 */
  baseUrl: string;
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
    this.baseUrl = options.baseUrl.replace(/\/$/, '');
    this.token = options.token;
    this.csrfToken = options.csrfToken;
    this.deviceToken = options.deviceToken;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.headers = options.headers ?? {};
  }

  async call<K extends OperationId>(
    op: K,
    ...args: RequiresInput<K> extends true ? [input: OperationInput<K>] : [input?: OperationInput<K>]
  ): Promise<OperationOutput<K>> {
    const endpoint = endpoints[op];
    const input = (args[0] ?? {}) as { params?: Record<string, string>; query?: Record<string, unknown>; body?: unknown };
    const path = endpoint.path.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
      const value = input.params?.[name];
      if (value === undefined) throw new TypeError(`${op}: missing path parameter ${name}`);
      return encodeURIComponent(value);
    });
    const url = new URL(`${this.baseUrl}/api/v1${path}`);
    for (const [k, v] of Object.entries(input.query ?? {})) {
      if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...this.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (this.csrfToken && endpoint.method !== 'GET') headers['x-csrf-token'] = this.csrfToken;
    if (op === 'auth.login' && this.deviceToken) headers['x-haven-device'] = this.deviceToken;
    let body: string | undefined;
    if ('body' in endpoint || input.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(input.body ?? {});
    }
    const res = await this.fetchImpl(url, { method: endpoint.method, headers, body });
    const text = await res.text();
    const data: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      const problem = (data ?? {}) as Partial<Problem>;
      throw new HavenApiError({
        type: problem.type ?? 'about:blank',
        title: problem.title ?? res.statusText,
        status: problem.status ?? res.status,
        code: problem.code ?? 'http_error',
        detail: problem.detail,
        requestId: problem.requestId,
        errors: problem.errors,
      });
    }
    if (op === 'auth.logout') this.token = undefined;
    if (op === 'auth.login') {
      this.deviceToken = res.headers.get('x-haven-device') ?? this.deviceToken;
      const session = data as { token?: string; csrfToken?: string };
      if (session.token) this.token = session.token;
      if (session.csrfToken) this.csrfToken = session.csrfToken;
    }
    return data as OperationOutput<K>;
  }

  /** Sign in as an SDK client (bearer token kept by this client). */
  login(organization: string, email: string, password: string): Promise<OperationOutput<'auth.login'>> {
    return this.call('auth.login', { body: { organization, email, password, transport: 'bearer' } });
  }
}
