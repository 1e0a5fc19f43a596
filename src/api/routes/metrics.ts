// GET /metrics for Prometheus: dropships by status (counts only, all dealers together), the
// external calls this process made, and its Node process metrics. Prometheus has no dealer key,
// so the route is open unless METRICS_TOKEN is set, then it wants that token as a bearer.
// Hidden from the OpenAPI document: it is for operators, not dealer platforms.
import type { ZodApp } from '../app';
import { ApiError } from '../errors';
import { DropshipResponse } from '../schemas';
import { callMetrics, dropshipStatusMetrics, exposition, processMetrics, PROMETHEUS_CONTENT_TYPE } from '../../metrics';
import { bearerMatches } from '../../metrics-server';

export async function metricsRoutes(app: ZodApp) {
  const { sql, config } = app.deps;
  const registries = [dropshipStatusMetrics(sql, DropshipResponse.shape.status.options), callMetrics, processMetrics('api')];
  const token = config.metrics.token;

  app.get(
    '/metrics',
    // a scrape every few seconds would drown the request log
    { config: { auth: 'public' }, schema: { hide: true }, logLevel: 'warn' },
    async (req, reply) => {
      if (token && !bearerMatches(req.headers.authorization, token)) {
        throw new ApiError(401, 'unauthorized', 'Send the metrics token (METRICS_TOKEN) as "Authorization: Bearer <token>"');
      }
      return reply.type(PROMETHEUS_CONTENT_TYPE).send(await exposition(registries));
    },
  );
}
