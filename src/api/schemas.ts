// The REST contract (DESIGN.md, v1) as zod schemas: the single source of validation, the
// handlers' types and the OpenAPI document at /docs/json.
import { z } from 'zod';
import { DISTRIBUTOR_CODES } from '../distributors/types';
import { MARKETPLACE_CODES } from '../marketplaces/types';
import { PageCursor, pageLimit } from './paging';

export const ErrorBody = z.object({
  error: z.string().describe('machine code, e.g. validation_failed, not_found'),
  message: z.string(),
  details: z.unknown().optional(),
});

const id = (what: string, max = 64) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, `${what} may contain letters, digits, '.', '_', ':' and '-'`);

// Numbers are bounded by the columns that hold them (src/db/migrations): a value Postgres would
// refuse is a 400 here, not a 500 there. zod's numbers are finite, and its ints are safe integers.
/** An `integer` column. */
const PG_INT_MAX = 2_147_483_647;
/** `numeric(12, 2)`: up to 9 999 999 999.99; a price above a million is a typo. */
const Money = z.number().min(0).max(1_000_000);
const Url = z.string().url().max(2000);

export const PssOrderId = id('pssOrderId');
export const DistributorCodeParam = z.string().min(1).max(40);

// ---- admin
export const CreateTenantBody = z.object({ name: z.string().trim().min(1).max(200) });
export const TenantResponse = z.object({
  id: z.string().uuid(),
  name: z.string(),
  apiKey: z.string().optional(),
  orderAutomation: z.object({ enabled: z.boolean() }),
});
export const OrderAutomationBody = z.object({ enabled: z.boolean() });

// ---- connections
/**
 * A dealer's request budget for one distributor account. The floor keeps a dropship's steps (a few
 * calls each, waiting their turn) inside their activity timeouts; above the ceiling no distributor
 * would plausibly let one account through, so it is a typo.
 */
export const MIN_REQUESTS_PER_SECOND = 0.5;
export const MAX_REQUESTS_PER_SECOND = 100;
const RequestsPerSecond = z.number().min(MIN_REQUESTS_PER_SECOND).max(MAX_REQUESTS_PER_SECOND);
export const RequestBudget = z
  .object({
    requestsPerSecond: z.number(),
    source: z.enum(['connection', 'default']).describe("connection: the dealer's setting; default: the distributor's default"),
  })
  .describe('The request budget the account works under');
export const DistributorConnectionBody = z
  .object({
    apiToken: z.string().min(1).max(500).optional(),
    dealerNumber: z.string().min(1).max(50).optional(),
    customerNumber: z.string().min(1).max(50).optional(),
    apiKey: z.string().min(1).max(500).optional(),
    feed: z
      .object({
        host: z.string().min(1).max(255).optional(),
        port: z.number().int().min(1).max(65535).optional(),
        username: z.string().min(1).max(200).optional(),
        password: z.string().min(1).max(500).optional(),
        path: z.string().min(1).max(500).optional(),
        secure: z.boolean().optional(),
        baseUrl: Url.optional(),
      })
      .optional()
      .describe('Feed settings where the feed needs other credentials: parts-unlimited {username, password, baseUrl?}; tucker-rocky and automatic {host, port?, username, password, path?, secure?}'),
    baseUrl: Url.optional(),
    enabled: z.boolean().optional(),
    requestsPerSecond: RequestsPerSecond.nullable()
      .optional()
      .describe(
        `Requests per second this account may send, across every worker (${MIN_REQUESTS_PER_SECOND}–${MAX_REQUESTS_PER_SECOND}); orders go before tracking reads within it. Omitted: unchanged (the distributor's default for a new connection); null: back to the default`,
      ),
  })
  .describe('wps {apiToken}; parts-unlimited {dealerNumber, apiKey, feed?}; tucker-rocky {customerNumber, apiKey, feed?}; automatic {apiToken, feed?}');
export const MarketplaceConnectionBody = z
  .object({
    accessToken: z.string().min(1).max(4000).optional(),
    refreshToken: z.string().min(1).max(4000).optional(),
    marketplaceId: z.string().min(1).max(50).optional(),
    clientId: z.string().min(1).max(500).optional(),
    clientSecret: z.string().min(1).max(500).optional(),
    shopDomain: z.string().min(1).max(255).optional(),
    authBaseUrl: Url.optional().describe("amazon: replaces Login with Amazon's origin (https://api.amazon.com)"),
    notifyCustomer: z.boolean().optional().describe('shopify: whether Shopify emails the buyer the tracking (default true)'),
    baseUrl: Url.optional(),
    enabled: z.boolean().optional(),
  })
  .describe('ebay {clientId, clientSecret, refreshToken} or {accessToken}; amazon {clientId, clientSecret, refreshToken, marketplaceId, authBaseUrl?}; walmart {clientId, clientSecret}; shopify {shopDomain, accessToken}');
export const ConnectionResponse = z
  .object({
    code: z.string(),
    enabled: z.boolean(),
    verifiedAt: z.string().nullable(),
    baseUrl: z.string().nullable(),
    requestBudget: RequestBudget.optional().describe('distributors only'),
  })
  .catchall(z.unknown());
export const ConnectionsResponse = z.object({
  distributors: z.array(ConnectionResponse),
  marketplaces: z.array(ConnectionResponse),
});

// ---- warehouse rules and catalog
export const WarehouseRuleBody = z.object({
  leadTimeDays: z.number().int().min(0).max(365),
  excluded: z.boolean().optional(),
  minimumBuffer: z.number().int().min(0).max(PG_INT_MAX).optional().describe('stock at or under this counts as none'),
  dropshipCutoffPrice: Money.nullable().optional().describe('a line whose unit cost is under this is not drop-shipped from this warehouse'),
});
export const WarehouseRuleResponse = z.object({
  distributor: z.string(),
  warehouse: z.string(),
  leadTimeDays: z.number(),
  excluded: z.boolean(),
  minimumBuffer: z.number(),
  dropshipCutoffPrice: z.number().nullable(),
});

export const ProductBody = z.object({
  title: z.string().max(500).optional(),
  upc: z.string().trim().min(1).max(20).regex(/^[0-9 -]+$/, 'upc: digits only').optional(),
  brand: z.string().trim().min(1).max(100).optional(),
  mfgPartNumber: z.string().trim().min(1).max(60).optional(),
  offers: z
    .array(
      z
        .object({
          distributor: z.string().min(1).max(40),
          distributorSku: z.string().min(1).max(60),
          unitCost: Money.optional(),
          dropshipFee: Money.optional(),
          warehouses: z
            .array(z.object({ code: z.string().min(1).max(20), quantity: z.number().int().min(0).max(PG_INT_MAX) }))
            .max(50)
            .refine((ws) => new Set(ws.map((w) => w.code)).size === ws.length, 'each warehouse code once')
            .optional(),
        })
        .refine((o) => (o.unitCost === undefined) === (o.warehouses === undefined), {
          message: 'give unitCost and warehouses together, or neither (then both come from the feed)',
          path: ['unitCost'],
        }),
    )
    .max(20)
    .default([]),
});
export const ProductResponse = z.object({
  sku: z.string(),
  title: z.string().nullable(),
  offers: z.array(
    z.object({
      distributor: z.string(),
      distributorSku: z.string(),
      unitCost: z.number(),
      dropshipFee: z.number(),
      landedCost: z.number(),
      dropshippable: z.boolean(),
      source: z.enum(['product', 'feed']).describe('product: cost and stock as PUT; feed: from the distributor feed'),
      matchedBy: z.enum(['named', 'upc', 'brandMfgPartNumber']).describe('named: the product names this part; else how a feed item matched'),
      warehouses: z.array(
        z.object({ code: z.string(), quantity: z.number(), leadTimeDays: z.number(), excluded: z.boolean(), minimumBuffer: z.number(), dropshipCutoffPrice: z.number().nullable() }),
      ),
    }),
  ),
  upc: z.string().nullable(),
  brand: z.string().nullable(),
  mfgPartNumber: z.string().nullable(),
});

// ---- feeds
export const FeedScheduleBody = z.object({
  enabled: z.boolean(),
  cron: z.string().trim().min(1).max(100).optional().describe('five fields: minute hour day-of-month month day-of-week'),
  timeZone: z.string().min(1).max(64).optional(),
});
export const FeedScheduleResponse = z.object({
  distributor: z.string(),
  enabled: z.boolean(),
  cron: z.string(),
  timeZone: z.string(),
  nextRunAt: z.string().nullable(),
});
export const FeedRunResponse = z.object({
  runId: z.string(),
  distributor: z.string(),
  trigger: z.string(),
  status: z.enum(['running', 'succeeded', 'failed']),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  rowsRead: z.number(),
  itemsChanged: z.number(),
  badRows: z.number(),
  errors: z.array(z.object({ line: z.number(), message: z.string() })),
});
export const DistributorItemResponse = z.object({
  distributor: z.string(),
  partNumber: z.string(),
  status: z.string(),
  orderable: z.boolean(),
  dealerCost: z.number().nullable(),
  retailPrice: z.number().optional(),
  mapPrice: z.number().optional(),
  dropshipFee: z.number(),
  upc: z.string().optional(),
  brand: z.string().optional(),
  mfgPartNumber: z.string().optional(),
  description: z.string().optional(),
  warehouses: z.array(z.object({ code: z.string(), quantity: z.number() })),
  updatedAt: z.string(),
});

// ---- dropships
export const ShipToSchema = z.object({
  name: z.string().trim().min(1).max(100),
  company: z.string().trim().max(100).optional(),
  address1: z.string().trim().min(1).max(100),
  address2: z.string().trim().max(100).optional(),
  city: z.string().trim().min(1).max(60),
  state: z.string().trim().min(1).max(30),
  postalCode: z.string().trim().min(1).max(20),
  country: z.string().trim().length(2, 'country is an ISO 3166 two-letter code'),
  phone: z.string().trim().max(30).optional(),
  email: z.string().trim().email().max(100).optional(),
});

export const CreateDropshipBody = z.object({
  pssOrderId: PssOrderId,
  marketplace: z.object({ code: z.string().min(1).max(40), orderId: z.string().min(1).max(100) }),
  shipTo: ShipToSchema,
  lines: z
    .array(
      z.object({
        lineId: id('lineId'),
        marketplaceLineId: z.string().min(1).max(100),
        sku: z.string().min(1).max(60),
        quantity: z.number().int().min(1).max(9999),
      }),
    )
    .min(1)
    .max(100)
    .refine((ls) => new Set(ls.map((l) => l.lineId)).size === ls.length, 'lineId must be unique within the dropship'),
});
export type CreateDropshipBody = z.infer<typeof CreateDropshipBody>;

const CandidateSchema = z.object({
  distributor: z.string(),
  distributorSku: z.string(),
  unitCost: z.number(),
  dropshipFee: z.number(),
  landedCost: z.number(),
  warehouses: z.array(z.object({ code: z.string(), quantity: z.number(), leadTimeDays: z.number() })),
  liveStock: z.object({ quantity: z.number(), checkedAt: z.string() }).optional().describe('what the distributor said while the dropship awaited confirmation'),
  outOfStockLive: z.boolean().optional(),
});
const PurchaseOrderSummary = z.object({
  poNumber: z.string(),
  distributor: z.string(),
  attempt: z.number(),
  status: z.string(),
  shipped: z.boolean(),
  distributorOrderId: z.string().optional(),
  supersededBy: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  lines: z.array(z.object({ lineId: z.string(), sku: z.string(), distributorSku: z.string(), quantity: z.number(), shippedQuantity: z.number() })),
});
export const DropshipResponse = z.object({
  pssOrderId: z.string(),
  status: z.enum([
    'awaiting_confirmation',
    'submitting',
    'submitted',
    'partially_shipped',
    'shipped',
    'completed',
    'needs_attention',
    'cancel_requested',
    'cancelled',
    'expired',
  ]),
  marketplace: z.object({ code: z.string(), orderId: z.string() }),
  shipTo: ShipToSchema,
  confirmedBy: z.string().optional(),
  lines: z.array(
    z.object({
      lineId: z.string(),
      marketplaceLineId: z.string(),
      sku: z.string(),
      quantity: z.number(),
      candidates: z.array(CandidateSchema),
      selected: z.object({ distributor: z.string(), distributorSku: z.string() }),
    }),
  ),
  purchaseOrders: z.array(PurchaseOrderSummary),
  uploads: z.array(
    z.object({
      poNumber: z.string(),
      trackingNumber: z.string(),
      carrier: z.string(),
      status: z.string(),
      outcome: z.string().optional(),
      error: z.object({ code: z.string(), message: z.string() }).optional(),
      attempts: z.number().describe('how many times the upload was tried (a retry after a refusal counts)'),
    }),
  ),
  events: z.array(z.object({ at: z.string(), type: z.string(), message: z.string() })),
});

export const DropshipListQuery = z.object({
  status: DropshipResponse.shape.status.optional(),
  marketplace: z.string().min(1).max(40).optional(),
  distributor: z.string().min(1).max(40).optional(),
  createdFrom: z.iso.datetime().optional().describe('ISO-8601 UTC, inclusive'),
  createdTo: z.iso.datetime().optional().describe('ISO-8601 UTC, exclusive'),
  limit: pageLimit(200, 50),
  cursor: PageCursor.optional(),
});
export const DropshipListResponse = z.object({
  items: z.array(
    z.object({
      pssOrderId: z.string(),
      status: z.string(),
      marketplace: z.object({ code: z.string(), orderId: z.string() }),
      distributors: z.array(z.string()),
      poNumbers: z.array(z.string()),
      createdAt: z.string(),
      updatedAt: z.string(),
    }),
  ),
  nextCursor: z.string().nullable(),
});

export const ConfirmBody = z.object({
  confirmedBy: z.string().trim().min(1).max(200),
  lines: z.array(z.object({ lineId: z.string().min(1).max(64), distributor: z.string().min(1).max(40) })).max(100).optional(),
});
export const CancelBody = z.object({ reason: z.string().trim().min(1).max(500) });
export const AcceptedResponse = z.object({ accepted: z.literal(true), pssOrderId: z.string(), status: z.string() });

// ---- purchase orders
export const PurchaseOrderQuery = z.object({
  poNumber: z.string().max(40).optional(),
  pssOrderId: z.string().max(64).optional(),
  distributor: z.string().max(40).optional(),
  shipped: z.enum(['true', 'false']).optional(),
  limit: pageLimit(200, 50),
  cursor: PageCursor.optional(),
});
export const PurchaseOrderListResponse = z.object({
  items: z.array(
    z.object({
      poNumber: z.string(),
      pssOrderId: z.string(),
      distributor: z.string(),
      status: z.string(),
      shipped: z.boolean(),
      createdAt: z.string(),
    }),
  ),
  nextCursor: z.string().nullable(),
});
export const PurchaseOrderResponse = z.object({
  poNumber: z.string(),
  pssOrderId: z.string(),
  distributor: z.string(),
  status: z.string(),
  shipped: z.boolean(),
  distributorOrderId: z.string().nullable(),
  supersededBy: z.string().nullable(),
  createdAt: z.string(),
  lines: z.array(z.object({ lineId: z.string(), sku: z.string(), distributorSku: z.string(), quantity: z.number(), shippedQuantity: z.number() })),
  shipments: z.array(
    z.object({
      carrier: z.string(),
      service: z.string().optional(),
      trackingNumber: z.string(),
      shippedAt: z.string(),
      warehouse: z.string().optional(),
      freightNumber: z.string().optional(),
      lines: z.array(z.object({ lineId: z.string(), quantity: z.number() })),
    }),
  ),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  attempts: z.array(z.object({ at: z.string(), outcome: z.string(), error: z.object({ code: z.string(), message: z.string() }).optional() })),
});
export const RetryBody = z.object({
  distributor: z.string().min(1).max(40).optional(),
  distributorOrderId: z
    .string()
    .min(1)
    .max(40)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, . _ -')
    .optional()
    .describe("the distributor's own order number for this PO, when a person looked it up (e.g. after Tucker's answer was lost); the PO is then followed for tracking"),
});

export const KNOWN_DISTRIBUTORS = DISTRIBUTOR_CODES;
export const KNOWN_MARKETPLACES = MARKETPLACE_CODES;
