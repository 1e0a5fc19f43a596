// One error shape for every failure: { error, message, details? } (DESIGN.md). Validation
// problems name each field path; unexpected errors never leak internals.
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} was not found`);
export const conflict = (message: string, details?: unknown) => new ApiError(409, 'conflict', message, details);

function fieldPath(context: string | undefined, instancePath: string): string {
  const p = instancePath.replace(/^\//, '').split('/').filter(Boolean).join('.');
  return [context, p].filter(Boolean).join('.');
}

export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const details = err.validation.map((v) => ({
        path: fieldPath(err.validationContext, v.instancePath),
        message: v.message ?? 'invalid',
      }));
      return reply.code(400).send({
        error: 'validation_failed',
        message: `Invalid request: ${details.map((d) => `${d.path || '(root)'}: ${d.message}`).join('; ')}`,
        details,
      });
    }
    if (err instanceof ApiError) {
      return reply.code(err.statusCode).send({ error: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) });
    }
    if (isResponseSerializationError(err)) {
      req.log.error({ issues: err.cause.issues }, 'response did not match its schema');
      return reply.code(500).send({ error: 'internal_error', message: 'The server produced an invalid response' });
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own 4xx (malformed JSON, body too large, unsupported media type, …)
      const code = err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || /JSON/i.test(err.message) ? 'validation_failed' : 'bad_request';
      return reply.code(status).send({
        error: status === 400 ? code : status === 404 ? 'not_found' : 'bad_request',
        message: err.message,
        ...(status === 400 ? { details: [{ path: 'body', message: err.message }] } : {}),
      });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: 'internal_error', message: 'Something went wrong on our side; the request may be retried' });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: 'not_found', message: `No route for ${req.method} ${req.url.split('?')[0]}` });
  });
});
