// Catalog feeds: each connected distributor's price/inventory feed runs on the dealer's schedule,
// or now on request; its runs are listed with what they read, changed and could not read.
import { z } from 'zod';
import type { ZodApp } from '../app';
import { tenantOf } from '../auth';
import { ApiError, conflict, notFound } from '../errors';
import { ErrorBody, FeedRunResponse, FeedScheduleBody, FeedScheduleResponse } from '../schemas';
import { requireDistributor } from './catalog';
import { beginFeedRun, failFeedRun, getFeedRun, listFeedRuns, pullsToday } from '../../feeds/runs';
import { cronProblem, DEFAULT_FEED_CRON, DEFAULT_FEED_TIME_ZONE, feedScheduleView, isTimeZone, listFeedSchedules, saveFeedSchedule } from '../../feeds/schedules';
import { feedRunQuery, feedScheduleId, type FeedImportInput } from '../../../workflows/messages';
import { feedRunSummary } from '../../../workflows/summaries';

function temporalDown(what: string, err: unknown): ApiError {
  return new ApiError(503, 'temporal_unavailable', `${what} (${(err as Error).message}); retry shortly`);
}

export async function feedRoutes(app: ZodApp) {
  const { sql, config } = app.deps;
  const taskQueue = config.temporal.taskQueue;

  app.put(
    '/v1/feeds/:distributor/schedule',
    {
      config: { auth: 'tenant' },
      schema: {
        tags: ['feeds'],
        summary: `When the distributor's feed runs by itself (default: \`${DEFAULT_FEED_CRON}\` in ${DEFAULT_FEED_TIME_ZONE})`,
        params: z.object({ distributor: z.string().min(1).max(40) }),
        body: FeedScheduleBody,
        response: { 200: FeedScheduleResponse, 400: ErrorBody, 401: ErrorBody, 503: ErrorBody },
      },
    },
    async (req) => {
      const mod = requireDistributor(req.params.distributor, 'params.distributor');
      const timeZone = req.body.timeZone ?? DEFAULT_FEED_TIME_ZONE;
      if (!isTimeZone(timeZone)) {
        throw new ApiError(400, 'validation_failed', `body.timeZone "${timeZone}" is not an IANA time zone`, [{ path: 'body.timeZone', message: 'unknown time zone' }]);
      }
      const cron = req.body.cron ?? DEFAULT_FEED_CRON;
      const problem = cronProblem(cron);
      if (problem) throw new ApiError(400, 'validation_failed', `body.cron ${problem}`, [{ path: 'body.cron', message: problem }]);
      const setting = { distributor: mod.code, enabled: req.body.enabled, cron, timeZone };
      const t = tenantOf(req);
      try {
        await saveFeedSchedule(sql, app.deps.temporal(), taskQueue, t.id, setting);
        return await feedScheduleView(app.deps.temporal(), t.id, setting);
      } catch (err) {
        throw temporalDown('The schedule could not be saved', err);
      }
    },
  );

  app.get(
    '/v1/feeds/schedules',
    {
      config: { auth: 'tenant' },
      schema: { tags: ['feeds'], summary: "The dealer's feed schedules", response: { 200: z.object({ schedules: z.array(FeedScheduleResponse) }), 401: ErrorBody, 503: ErrorBody } },
    },
    async (req) => {
      try {
        return { schedules: await listFeedSchedules(sql, app.deps.temporal(), tenantOf(req).id) };
      } catch (err) {
        throw temporalDown('The schedules cannot be read right now', err);
      }
    },
  );

  app.post(
    '/v1/feeds/:distributor/runs',
    {
      config: { auth: 'tenant' },
      schema: {
        tags: ['feeds'],
        summary: "Run the distributor's feed now (409 while a run of it is going)",
        params: z.object({ distributor: z.string().min(1).max(40) }),
        response: { 202: z.object({ runId: z.string() }), 400: ErrorBody, 401: ErrorBody, 409: ErrorBody, 422: ErrorBody, 429: ErrorBody, 503: ErrorBody },
      },
    },
    async (req, reply) => {
      const mod = requireDistributor(req.params.distributor, 'params.distributor');
      const t = tenantOf(req);
      const [conn] = await sql`SELECT masked FROM connections WHERE tenant_id = ${t.id} AND kind = 'distributor' AND code = ${mod.code} AND enabled`;
      if (!conn) throw new ApiError(422, 'account_setup_required', `Connect ${mod.displayName} first (PUT /v1/connections/distributors/${mod.code})`);
      if (mod.feed.needsFeedSettings && !Object.keys(conn.masked as object).some((k) => k.startsWith('feed'))) {
        throw new ApiError(422, 'account_setup_required', `The ${mod.displayName} connection has no feed settings; add them (feed in PUT /v1/connections/distributors/${mod.code})`);
      }
      const limit = mod.feed.maxPullsPerDay;
      if (limit !== undefined && (await pullsToday(sql, t.id, mod.code)) >= limit) {
        throw new ApiError(429, 'rate_limited', `${mod.displayName} allows ${limit} feed downloads a day and they are spent; try again tomorrow`);
      }
      const runId = `${feedScheduleId(t.id, mod.code)}-manual-${new Date().toISOString()}`;
      const begun = await beginFeedRun(sql, { runId, tenantId: t.id, distributor: mod.code, trigger: 'manual' });
      if (!begun.begun) throw conflict(`A run of the ${mod.displayName} feed is going (${begun.runningRunId})`, { runId: begun.runningRunId });
      try {
        const args: [FeedImportInput] = [{ tenantId: t.id, distributor: mod.code, trigger: 'manual' }];
        await app.deps.temporal().workflow.start('FeedImportWorkflow', { workflowId: runId, taskQueue, args, staticSummary: feedRunSummary(args[0]) });
      } catch (err) {
        await failFeedRun(sql, runId, { errors: [{ line: 0, message: 'The run could not be started (Temporal was unreachable)' }] });
        throw temporalDown('The run could not be started', err);
      }
      return reply.code(202).send({ runId });
    },
  );

  app.get(
    '/v1/feeds/runs',
    {
      config: { auth: 'tenant' },
      schema: {
        tags: ['feeds'],
        summary: 'Feed runs, newest first',
        querystring: z.object({ distributor: z.string().min(1).max(40).optional(), limit: z.coerce.number().int().min(1).max(200).default(20) }),
        response: { 200: z.object({ runs: z.array(FeedRunResponse) }), 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (req) => {
      const distributor = req.query.distributor ? requireDistributor(req.query.distributor, 'query.distributor').code : undefined;
      const runs = await listFeedRuns(sql, tenantOf(req).id, { distributor, limit: req.query.limit });
      return { runs: await Promise.all(runs.map(withProgress)) };
    },
  );

  app.get(
    '/v1/feeds/runs/:runId',
    {
      config: { auth: 'tenant' },
      schema: {
        tags: ['feeds'],
        summary: 'One feed run; while it runs, rowsRead counts the rows read so far',
        params: z.object({ runId: z.string().min(1).max(200) }),
        response: { 200: FeedRunResponse, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => {
      const run = await getFeedRun(sql, tenantOf(req).id, req.params.runId);
      if (!run) throw notFound(`Feed run ${req.params.runId}`);
      return withProgress(run);
    },
  );

  /** A running run's rows so far, from its workflow; the stored figures when it cannot answer. */
  async function withProgress<T extends { runId: string; status: string; rowsRead: number }>(run: T): Promise<T> {
    if (run.status !== 'running') return run;
    try {
      const p = await app.deps.temporal().workflow.getHandle(run.runId).query(feedRunQuery);
      return { ...run, rowsRead: Math.max(run.rowsRead, p.rowsRead) };
    } catch {
      return run;
    }
  }
}
