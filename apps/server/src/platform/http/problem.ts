import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { IntegrityError } from '../crypto/aead.js';
import { KeyShreddedError } from '../crypto/keyring.js';
import { AppError, ERRORS, type ErrorCode, type ProblemItem } from './errors.js';

function send(reply: FastifyReply, request: FastifyRequest, code: ErrorCode, detail?: string, errors?: ProblemItem[]) {
  const { status, title } = ERRORS[code];
  return reply
    .status(status)
    .type('application/problem+json')
    .send({ type: `https://haven.dev/errors/${code}`, title, status, code, ...(detail ? { detail } : {}), requestId: request.id, ...(errors ? { errors } : {}) });
}

/** One error handler: every failure leaves as application/problem+json with a stable code; no stacks, no SQL. */
export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof AppError) {
    if (error.headers) reply.headers(error.headers);
    return send(reply, request, error.code, error.detail, error.errors);
  }
  if (error instanceof IntegrityError || error instanceof KeyShreddedError) {
    request.log.error({ err: { name: error.name, message: error.message }, route: request.routeOptions.url }, 'stored data failed its integrity check');
    return send(reply, request, 'integrity_error', 'A stored record failed its integrity check and was not returned');
  }
  const fe = error as FastifyError & { validation?: { instancePath: string; message?: string; params?: Record<string, unknown> }[]; validationContext?: string };
  if (fe.validation) {
    const errors = fe.validation.map((v) => {
      const extra = v.params && 'additionalProperty' in v.params ? ` '${String(v.params.additionalProperty)}'` : '';
      // Paths name the parts of a request as the contract does (params, query, body, headers).
      const part = fe.validationContext === 'querystring' ? 'query' : (fe.validationContext ?? 'body');
      return { path: `/${part}${v.instancePath}`, message: `${v.message ?? 'invalid'}${extra}` };
    });
    return send(reply, request, 'validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return send(reply, request, 'unsupported_media_type');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return send(reply, request, 'payload_too_large');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return send(reply, request, 'invalid_json');
  }
  if (fe.statusCode === 400) return send(reply, request, 'invalid_json', 'The request body could not be parsed');
  if (fe.statusCode === 429) return send(reply, request, 'too_many_requests');
  if (fe.statusCode === 413) return send(reply, request, 'payload_too_large');
  request.log.error({ err: { name: error.name, message: error.message, code: fe.code, stack: error.stack } }, 'unhandled error');
  return send(reply, request, 'internal_error');
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  return send(reply, request, 'not_found', 'No such endpoint');
}
