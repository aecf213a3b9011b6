import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static, TSchema } from 'typebox';
import { endpoints, type Endpoints, type OperationId, type OperationOutput } from '@haven/api';
import type { AuthenticatedSession } from '../../modules/auth/auth.service.js';
import type { AnonymousContext, RequestContext } from './context.js';
import { AppError } from './errors.js';
import { Problem } from '@haven/api';

type S<T> = T extends TSchema ? Static<T> : undefined;
type Field<K extends OperationId, F extends 'params' | 'query' | 'headers' | 'body'> = Endpoints[K] extends { [P in F]: infer T } ? S<T> : undefined;
type BinaryRequest<K extends OperationId> = Endpoints[K] extends { binary: 'request' } ? true : false;
type BinaryResponse<K extends OperationId> = Endpoints[K] extends { binary: 'response' } ? true : false;

export interface HandlerInput<K extends OperationId> {
  params: Field<K, 'params'>;
  query: Field<K, 'query'>;
  headers: Field<K, 'headers'>;
  /** For `binary: 'request'` operations: the request body as a stream, not yet read. */
  body: BinaryRequest<K> extends true ? Readable : Field<K, 'body'>;
  request: FastifyRequest;
  reply: FastifyReply;
  /** For `form` operations: the request body as received, for signature checks. */
  rawBody: Buffer | undefined;
}

/** Handlers of signed-in endpoints get a RequestContext; public ones an AnonymousContext. */
export type Handler<K extends OperationId> = (
  input: HandlerInput<K>,
  ctx: Endpoints[K]['auth'] extends 'public' ? AnonymousContext : RequestContext & { session: AuthenticatedSession; token: string },
) => Promise<BinaryResponse<K> extends true ? Readable | Buffer : OperationOutput<K>>;

export type HandlerMap = { [K in OperationId]: Handler<K> };

export interface AuthHook {
  /** Resolves the caller's session or throws 401; checks CSRF for cookie sessions. */
  authenticate(request: FastifyRequest): Promise<{ session: AuthenticatedSession; token: string }>;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * How the OpenAPI document shows the body of a `binary: 'request'` operation. The route itself has no body schema
 * (the body is a stream its handler reads; nothing validates or parses it), so the document gets one of its own.
 */
export const BINARY_REQUEST_BODY = {
  type: 'string',
  format: 'binary',
  contentMediaType: 'application/octet-stream',
  description:
    "The file's raw bytes (no multipart, no JSON). Send the file's own media type as Content-Type, e.g. application/pdf or image/jpeg: it must be an accepted type and match the bytes. Its name goes in x-haven-filename.",
} as const;

/**
 * Registers every operation of the API contract under /api/v1: routes validate (schemas from packages/api),
 * handlers call services. A missing handler is a startup error, so the contract and the server cannot drift.
 */
export function registerEndpoints(app: FastifyInstance, handlers: HandlerMap, auth: AuthHook): void {
  for (const [op, e] of Object.entries(endpoints) as [OperationId, Endpoints[OperationId]][]) {
    const handler = handlers[op] as unknown as Handler<OperationId>;
    if (!handler) throw new Error(`no handler for ${op}`);
    const binary = 'binary' in e ? e.binary : undefined;
    const form = 'form' in e && e.form === true;
    // A binary answer is documented by media type and never serialized as JSON (a stream or Buffer bypasses the serializer).
    const success = binary === 'response' ? { description: e.summary, content: { [('produces' in e && e.produces) || 'application/octet-stream']: { schema: e.response } } } : e.response;
    const schema: Record<string, unknown> = {
      operationId: op,
      summary: e.summary,
      tags: [e.tag],
      response: { [e.status]: success, '4XX': Problem, '5XX': Problem },
    };
    if ('params' in e) schema.params = e.params;
    if ('query' in e) schema.querystring = e.query;
    if ('headers' in e) schema.headers = e.headers;
    if ('body' in e) schema.body = e.body;
    const consumes = 'consumes' in e ? e.consumes : undefined;
    if (consumes) schema.consumes = [...consumes];
    if (form) schema.consumes = ['application/x-www-form-urlencoded'];
    if (e.auth !== 'public') schema.security = [{ bearer: [] }, { cookie: [] }];
    // For the document only: a raw request body, as bytes (application/octet-stream, format binary).
    const swaggerTransform =
      binary === 'request' ? ({ schema: routeSchema, url }: { schema: unknown; url: string }) => ({ schema: { ...(routeSchema as object), body: BINARY_REQUEST_BODY, consumes: ['application/octet-stream'] }, url }) : undefined;
    // Authentication runs first (onRequest, before the body is parsed and validated): an anonymous or expired
    // caller learns nothing about the request shape, only that they must sign in.
    const authenticated = new WeakMap<FastifyRequest, { session: AuthenticatedSession; token: string }>();
    const addRoute = (target: FastifyInstance): void => {
      target.route({
        method: e.method,
        url: `/api/v1${e.path}`,
        schema,
        config: { operationId: op, ...(swaggerTransform ? { swaggerTransform } : {}) },
        ...('bodyLimit' in e ? { bodyLimit: e.bodyLimit } : {}),
        onRequest:
          e.auth === 'public'
            ? undefined
            : async (request) => {
                const result = await auth.authenticate(request);
                if (e.auth === 'session' && result.session.stage !== 'active') throw new AppError('mfa_required');
                authenticated.set(request, result);
              },
        handler: async (request, reply) => {
          const base = { address: request.ip ?? null, requestId: request.id };
          const signedIn = authenticated.get(request);
          const ctx = signedIn ? { ...base, actor: signedIn.session.actor, session: signedIn.session, token: signedIn.token } : base;
          reply.status(e.status);
          return handler(
            { params: request.params, query: request.query, headers: request.headers, body: request.body, request, reply, rawBody: rawBodies.get(request) } as unknown as HandlerInput<OperationId>,
            ctx as never,
          );
        },
      });
    };
    if (binary === 'request') app.register(async (scope) => registerStreamingRoute(scope, addRoute));
    else if (form) app.register(async (scope) => registerFormRoute(scope, addRoute));
    else if (consumes) app.register(async (scope) => registerJsonVariantsRoute(scope, consumes, addRoute));
    else addRoute(app);
  }
}

/**
 * A route whose body is a file: in its own scope, every content type is accepted and handed to the handler as the
 * unread request stream (no buffering, no JSON parsing, no body limit: the handler enforces its own). When the
 * answer goes out before the body was read to its end (an error, a limit), the connection is closed so Node does
 * not read and discard the rest of an upload that can be large.
 */
function registerStreamingRoute(scope: FastifyInstance, addRoute: (target: FastifyInstance) => void): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  scope.addHook('onSend', async (request, reply) => {
    if (!request.raw.readableEnded) reply.header('connection', 'close');
  });
  addRoute(scope);
}

/**
 * A JSON route that also accepts other JSON media types (application/fhir+json): in its own scope, those types are
 * parsed by Fastify's JSON parser with the same prototype-poisoning refusal as application/json.
 */
function registerJsonVariantsRoute(scope: FastifyInstance, types: readonly string[], addRoute: (target: FastifyInstance) => void): void {
  const parse = scope.getDefaultJsonParser('error', 'error');
  for (const type of types) if (type !== 'application/json') scope.addContentTypeParser(type, { parseAs: 'string' }, parse);
  addRoute(scope);
}

/** Raw bodies of form requests, kept beside the parsed fields for signature checks. */
const rawBodies = new WeakMap<FastifyRequest, Buffer>();
const FORM_BODY_LIMIT = 64 * 1024;

/**
 * A route whose body is `application/x-www-form-urlencoded` (provider webhooks): in its own scope, the form is parsed
 * into a plain object of strings (the last value of a repeated name wins) and validated like JSON bodies; its raw
 * bytes stay available to the handler.
 */
function registerFormRoute(scope: FastifyInstance, addRoute: (target: FastifyInstance) => void): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer', bodyLimit: FORM_BODY_LIMIT }, (request, body, done) => {
    const raw = body as Buffer;
    rawBodies.set(request, raw);
    const fields: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) fields[k] = v;
    done(null, { ...fields });
  });
  addRoute(scope);
}

export const isUnsafeMethod = (method: string): boolean => UNSAFE.has(method);
