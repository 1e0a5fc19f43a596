// The Fastify app: zod schemas for validation, types and OpenAPI; plugins for errors and auth;
// one route module per area of the contract. The Temporal client is created lazily so the API
// answers /healthz (and reports Temporal down) even when Temporal is not reachable yet.
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawReplyDefaultExpression, type RawRequestDefaultExpression, type RawServerDefault } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config';
import type { Sql } from '../db';
import { authPlugin } from './auth';
import { errorsPlugin } from './errors';
import { answerFrameworkError, strictInputPlugin } from './strict-input';
import { adminRoutes } from './routes/admin';
import { appRoutes } from './routes/app';
import { catalogRoutes } from './routes/catalog';
import { connectionRoutes } from './routes/connections';
import { dropshipRoutes } from './routes/dropships';
import { feedRoutes } from './routes/feeds';
import { metricsRoutes } from './routes/metrics';
import { purchaseOrderRoutes } from './routes/purchase-orders';

export interface AppDeps {
  sql: Sql;
  config: Config;
  /** Returns the connected Temporal client (throws when Temporal is unreachable). */
  temporal: () => Client;
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppDeps;
  }
}

export type ZodApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

export async function buildApp(deps: AppDeps, opts: { logger?: boolean | object } = {}): Promise<ZodApp> {
  const app = Fastify({
    logger: opts.logger ?? false,
    // never log bodies or the Authorization header
    bodyLimit: 1_000_000,
    frameworkErrors: answerFrameworkError,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('deps', deps);
  // before any route, so every route (the /docs ones too) answers in our error shape and refuses
  // text Postgres cannot store
  await app.register(errorsPlugin);
  await app.register(strictInputPlugin);

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Dropship order automation API',
        description: 'Start, confirm and follow drop-ship orders with powersports distributors; search purchase orders. Auth: `Authorization: Bearer <key>`.',
        version: '1.0.0',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  await app.register(authPlugin, { sql: deps.sql, adminApiKey: deps.config.adminApiKey });

  app.get(
    '/healthz',
    {
      schema: {
        tags: ['ops'],
        summary: 'Postgres and Temporal reachability',
        response: {
          200: z.object({ status: z.literal('ok'), postgres: z.string(), temporal: z.string() }),
          503: z.object({ status: z.literal('degraded'), postgres: z.string(), temporal: z.string() }),
        },
      },
    },
    async (_req, reply) => {
      const postgres = await deps.sql`SELECT 1`.then(() => 'ok', (e: Error) => `down: ${e.message}`);
      const temporal = await (async () => {
        try {
          await deps.temporal().workflowService.getSystemInfo({});
          return 'ok';
        } catch (e) {
          return `down: ${(e as Error).message}`;
        }
      })();
      const ok = postgres === 'ok' && temporal === 'ok';
      return reply.code(ok ? 200 : 503).send({ status: ok ? ('ok' as const) : ('degraded' as const), postgres, temporal } as never);
    },
  );

  await app.register(adminRoutes);
  await app.register(connectionRoutes);
  await app.register(catalogRoutes);
  await app.register(feedRoutes);
  await app.register(dropshipRoutes);
  await app.register(purchaseOrderRoutes);
  await app.register(metricsRoutes);
  await app.register(appRoutes);
  return app;
}
