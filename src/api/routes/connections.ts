// Connections: credentials are verified with a cheap read-only call, sealed, and only ever
// shown masked. Neither the body nor the error messages echo a secret. A baseUrl must pass the
// outbound policy (src/outbound.ts) before anything is sent to it.
import { tmpdir } from 'node:os';
import { z } from 'zod';
import type { ZodApp } from '../app';
import { tenantOf } from '../auth';
import { ApiError } from '../errors';
import {
  ConnectionResponse,
  ConnectionsResponse,
  DistributorConnectionBody,
  ErrorBody,
  KNOWN_DISTRIBUTORS,
  KNOWN_MARKETPLACES,
  MarketplaceConnectionBody,
} from '../schemas';
import { createCallLog } from '../../call-log';
import { minterFor, oneShotTokenSource } from '../../marketplace-tokens';
import type { MarketplaceModule } from '../../marketplaces/types';
import {
  createAdapter,
  credentialStrings,
  listConnections,
  requestBudgetInForce,
  savedRequestsPerSecond,
  withRedactedErrors,
  saveConnection,
  upstreamUrlPolicy,
  type ConnectionKind,
  type ConnectionRow,
  type RequestBudgetChange,
} from '../../connections';
import { distributorModule } from '../../distributors/registry';
import { ftpHostProblem } from '../../feeds/ftp';
import { ensureDefaultFeedSchedule } from '../../feeds/schedules';
import { isExternalCallError } from '../../external-errors';
import { marketplaceModule } from '../../marketplaces/registry';
import { outboundUrlProblem } from '../../outbound';

function connectionView(kind: ConnectionKind, row: ConnectionRow) {
  const dmod = kind === 'distributor' ? distributorModule(row.code) : undefined;
  return {
    code: row.code,
    enabled: row.enabled,
    verifiedAt: row.verifiedAt,
    baseUrl: row.baseUrl,
    ...row.masked,
    ...(dmod ? { requestBudget: requestBudgetInForce(row.requestsPerSecond, dmod) } : {}),
  };
}

function unsupported(kind: ConnectionKind, code: string, known: readonly string[]): ApiError {
  const planned = known.includes(code) ? ' is not supported yet' : ' is not a known code';
  return new ApiError(400, 'validation_failed', `${kind} code "${code}"${planned}`, [{ path: 'params.code', message: `unsupported ${kind} "${code}"` }]);
}

/** The connection is saved either way; a schedule Temporal could not take is made at the next save. */
function logScheduleProblem(app: ZodApp, err: unknown) {
  app.log.warn({ err: (err as Error).message }, 'default feed schedule not created');
}

export async function connectionRoutes(app: ZodApp) {
  const { sql, config } = app.deps;

  async function verifyAndSave(
    kind: ConnectionKind,
    tenantId: string,
    code: string,
    body: Record<string, unknown>,
  ) {
    const mod = kind === 'distributor' ? distributorModule(code) : marketplaceModule(code);
    if (!mod) throw unsupported(kind, code, kind === 'distributor' ? KNOWN_DISTRIBUTORS : KNOWN_MARKETPLACES);
    const { baseUrl, enabled, requestsPerSecond, ...rest } = body as { baseUrl?: string; enabled?: boolean; requestsPerSecond?: number | null };
    // Omitted keeps the saved budget, so re-entering credentials never resets it; null clears it.
    const requestBudget: RequestBudgetChange = requestsPerSecond === undefined ? { keep: true } : { keep: false, requestsPerSecond };
    const parsed = mod.credentialsSchema.safeParse(rest);
    if (!parsed.success) {
      const details = parsed.error.issues.map((i) => ({ path: ['body', ...i.path].join('.'), message: i.message }));
      throw new ApiError(400, 'validation_failed', `Invalid ${mod.displayName} credentials: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
    }
    const urlPolicy = upstreamUrlPolicy(config, mod);
    const problem = baseUrl === undefined ? undefined : outboundUrlProblem(baseUrl, urlPolicy);
    if (problem) {
      throw new ApiError(400, 'validation_failed', `body.baseUrl ${problem}`, [{ path: 'body.baseUrl', message: problem }]);
    }
    // Feed hosts are checked like baseUrl, before anything is sent there.
    const feed = (parsed.data as { feed?: { host?: string; baseUrl?: string } }).feed;
    const feedProblem = feed?.host !== undefined ? ['body.feed.host', ftpHostProblem(feed.host, urlPolicy)] : feed?.baseUrl !== undefined ? ['body.feed.baseUrl', outboundUrlProblem(feed.baseUrl, urlPolicy)] : [];
    if (feedProblem[1]) throw new ApiError(400, 'validation_failed', `${feedProblem[0]} ${feedProblem[1]}`, [{ path: feedProblem[0], message: feedProblem[1] }]);
    // The verifying call takes its turn in the account's budget as it will be once saved.
    const budget = requestBudget.keep ? await savedRequestsPerSecond(sql, kind, tenantId, code) : requestBudget.requestsPerSecond;
    const calls = createCallLog(sql, { tenantId, operation: `verify_${kind}` }, { urlPolicy });
    try {
      // Credentials that mint tokens are verified by minting one and using it once.
      const ctx = { baseUrl, http: calls.http, requestsPerSecond: budget ?? undefined };
      const mint = kind === 'marketplace' ? minterFor(mod as MarketplaceModule<unknown>, parsed.data, ctx) : undefined;
      await createAdapter(mod, parsed.data, { ...ctx, ...(mint ? { tokens: oneShotTokenSource(mint) } : {}) }).verifyCredentials();
      // Feed settings of their own (an FTP login, a website user) are verified the same way.
      if (kind === 'distributor' && (parsed.data as { feed?: unknown }).feed) {
        const feed = distributorModule(code)!.feed;
        await withRedactedErrors(feed, credentialStrings(parsed.data)).verify(parsed.data, { ...ctx, urlPolicy, tmpDir: tmpdir() });
      }
    } catch (err) {
      if (isExternalCallError(err) && err.kind === 'permanent') {
        throw new ApiError(422, 'credentials_rejected', `${mod.displayName} refused these credentials: ${err.message}`);
      }
      if (isExternalCallError(err)) {
        throw new ApiError(502, 'upstream_unavailable', `${mod.displayName} could not be reached to verify the credentials (${err.message}); try again`);
      }
      throw err;
    } finally {
      await calls.flush();
    }
    const row = await saveConnection(sql, config.credentialKeys, kind, tenantId, code, parsed.data, mod.mask(parsed.data), {
      baseUrl,
      enabled,
      requestBudget,
    });
    // A feed that can run gets the default morning schedule (a dealer's own setting stays).
    const dmod = kind === 'distributor' ? distributorModule(code) : undefined;
    if (dmod && (!dmod.feed.needsFeedSettings || (parsed.data as { feed?: unknown }).feed)) {
      try {
        await ensureDefaultFeedSchedule(sql, app.deps.temporal(), config.temporal.taskQueue, tenantId, code);
      } catch (err) {
        logScheduleProblem(app, err);
      }
    }
    return connectionView(kind, row);
  }

  const responses = { 200: ConnectionResponse, 400: ErrorBody, 401: ErrorBody, 422: ErrorBody, 502: ErrorBody };
  app.put(
    '/v1/connections/distributors/:code',
    {
      config: { auth: 'tenant' },
      schema: {
        tags: ['connections'],
        summary: 'Connect a distributor account (credentials verified, then stored encrypted)',
        params: z.object({ code: z.string().min(1).max(40) }),
        body: DistributorConnectionBody,
        response: responses,
      },
    },
    async (req) => verifyAndSave('distributor', tenantOf(req).id, req.params.code, req.body),
  );
  app.put(
    '/v1/connections/marketplaces/:code',
    {
      config: { auth: 'tenant' },
      schema: {
        tags: ['connections'],
        summary: 'Connect a marketplace account (credentials verified, then stored encrypted)',
        params: z.object({ code: z.string().min(1).max(40) }),
        body: MarketplaceConnectionBody,
        response: responses,
      },
    },
    async (req) => verifyAndSave('marketplace', tenantOf(req).id, req.params.code, req.body),
  );
  app.get(
    '/v1/connections',
    {
      config: { auth: 'tenant' },
      schema: { tags: ['connections'], summary: 'Both lists of connections, masked', response: { 200: ConnectionsResponse, 401: ErrorBody } },
    },
    async (req) => {
      const t = tenantOf(req);
      return {
        distributors: (await listConnections(sql, 'distributor', t.id)).map((row) => connectionView('distributor', row)),
        marketplaces: (await listConnections(sql, 'marketplace', t.id)).map((row) => connectionView('marketplace', row)),
      };
    },
  );
}
