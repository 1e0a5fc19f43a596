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

/** One problem with the request, e.g. `{ path: 'body.shipTo.city', message: 'Required' }`. */
export interface FieldProblem {
  path: string;
  message: string;
}

// A body with thousands of bad fields gets a readable answer, not thousands of lines.
const MAX_PROBLEMS = 50;

/** 400 `validation_failed` listing each field path and its problem. */
export function validationFailed(problems: FieldProblem[]): ApiError {
  const shown = problems.slice(0, MAX_PROBLEMS);
  const more = problems.length > shown.length ? ` (and ${problems.length - shown.length} more)` : '';
  return new ApiError(400, 'validation_failed', `Invalid request: ${shown.map((d) => `${d.path}: ${d.message}`).join('; ')}${more}`, shown);
}

/** The JSON an ApiError is answered with. */
export function errorBody(e: ApiError) {
  return { error: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) };
}

export const internalError = () => new ApiError(500, 'internal_error', 'Something went wrong on our side; the request may be retried');

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} was not found`);
export const conflict = (message: string, details?: unknown) => new ApiError(409, 'conflict', message, details);

function fieldPath(context: string | undefined, instancePath: string): string {
  const p = instancePath.replace(/^\//, '').split('/').filter(Boolean).join('.');
  return [context, p].filter(Boolean).join('.');
}

/** What Fastify itself refuses before our schemas run: the body could not be read as JSON. */
function fastifyClientError(err: FastifyError): ApiError {
  const status = err.statusCode!;
  if (status === 400) return validationFailed([{ path: 'body', message: err.message }]);
  return new ApiError(status, status === 404 ? 'not_found' : 'bad_request', err.message);
}

export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    let e: ApiError;
    if (hasZodFastifySchemaValidationErrors(err)) {
      e = validationFailed(err.validation.map((v) => ({ path: fieldPath(err.validationContext, v.instancePath), message: v.message ?? 'invalid' })));
    } else if (err instanceof ApiError) {
      e = err;
    } else if (isResponseSerializationError(err)) {
      req.log.error({ issues: err.cause.issues }, 'response did not match its schema');
      e = new ApiError(500, 'internal_error', 'The server produced an invalid response');
    } else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      // Fastify's own 4xx: malformed JSON, a forbidden __proto__ key, body too large, unsupported media type, …
      e = fastifyClientError(err);
    } else {
      req.log.error({ err }, 'unhandled error');
      e = internalError();
    }
    return reply.code(e.statusCode).send(errorBody(e));
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: 'not_found', message: `No route for ${req.method} ${req.url.split('?')[0]}` });
  });
});
