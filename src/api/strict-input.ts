// Text that Postgres cannot store (NUL) or that is not Unicode at all (an unpaired UTF-16
// surrogate, which JSON's \ud800 escapes can carry) is refused at the door, on every route:
// path and query parameters, body strings and body keys at any depth. One hook for the whole
// app, so routes added later are covered without doing anything.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { errorBody, internalError, validationFailed, type FieldProblem } from './errors';

// Under the `u` flag a well-formed surrogate pair is one code point, so \p{Cs} finds only lone halves.
const UNSTORABLE = /\0|\p{Cs}/u;
const UNSTORABLE_ALL = /\0|\p{Cs}/gu;

/** Why a piece of text cannot be accepted, or undefined when it can. */
export function textProblem(s: string): string | undefined {
  if (!UNSTORABLE.test(s)) return undefined;
  return s.includes('\0') ? 'must not contain a NUL character' : 'must be valid Unicode (it contains an unpaired surrogate)';
}

/** The text with the characters we refuse written as \uXXXX, so a field path can name a bad key. */
function visible(s: string): string {
  return s.replace(UNSTORABLE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Every string and object key in a parsed JSON value (or a params / querystring object) that cannot be stored. */
export function unstorableText(value: unknown, root: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  // A work list, not recursion: a body nested thousands of levels deep must not exhaust the stack.
  const todo: [unknown, string][] = [[value, root]];
  for (let i = 0; i < todo.length; i++) {
    const [v, path] = todo[i];
    if (typeof v === 'string') {
      const why = textProblem(v);
      if (why) problems.push({ path, message: why });
    } else if (Array.isArray(v)) {
      v.forEach((item, n) => todo.push([item, `${path}.${n}`]));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        const keyPath = `${path}.${visible(k)}`;
        const why = textProblem(k);
        if (why) problems.push({ path: keyPath, message: `key ${why}` });
        todo.push([item, keyPath]);
      }
    }
  }
  return problems;
}

/** The path segments Fastify could not decode (bad percent-encoding) or found too long, as field paths. */
function badUrlProblems(req: FastifyRequest, why: 'encoding' | 'length'): FieldProblem[] {
  const max = req.server.initialConfig.maxParamLength ?? 100;
  const segments = req.url.split('?')[0].split('/');
  const bad = segments.map((s) => {
    if (why === 'length') return s.length > max;
    try {
      decodeURIComponent(s);
      return false;
    } catch {
      return true;
    }
  });
  // Route the path with each bad segment replaced by a marker, then see which parameter got it.
  const marked = segments.map((s, i) => (bad[i] ? `bad-segment-${i}` : s)).join('/');
  const route = req.server.findRoute({ method: req.method, url: marked });
  const message = why === 'length' ? `must be at most ${max} characters` : 'is not valid percent-encoded UTF-8';
  const named = Object.entries(route?.params ?? {})
    .filter(([, v]) => typeof v === 'string' && v.includes('bad-segment-'))
    .map(([name]) => ({ path: `params.${name}`, message }));
  return named.length ? named : [{ path: 'params', message }];
}

/**
 * Fastify's `frameworkErrors`: a path it cannot decode, or whose parameter is too long, gets our
 * 400 naming the parameter instead of Fastify's own body.
 */
export function answerFrameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const why = err.code === 'FST_ERR_BAD_URL' ? 'encoding' : err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'length' : undefined;
  if (!why) {
    req.log.error({ err }, 'router error');
    return reply.code(500).send(errorBody(internalError()));
  }
  return reply.code(400).send(errorBody(validationFailed(badUrlProblems(req, why))));
}

export const strictInputPlugin = fp(async (app: FastifyInstance) => {
  app.addHook('preValidation', async (req) => {
    const problems = [
      ...unstorableText(req.params, 'params'),
      ...unstorableText(req.query, 'querystring'),
      ...unstorableText(req.body, 'body'),
    ];
    if (problems.length) throw validationFailed(problems);
  });
});
