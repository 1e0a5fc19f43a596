// Seeds the demo dealer for the run command: simulator accounts and stock, the dealer's four
// distributor connections (with their feeds) and four marketplaces, a catalog imported from the
// distributors' feeds, and a demo order that splits
// across two distributors, from eBay and again from Amazon, Walmart and Shopify. Everything goes through the public REST API and the simulators' control routes.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { purchaseOrderNumber } from '../../workflows/decisions';

export const SIM = {
  wps: 'http://127.0.0.1:4101',
  'parts-unlimited': 'http://127.0.0.1:4102',
  'tucker-rocky': 'http://127.0.0.1:4103',
  automatic: 'http://127.0.0.1:4104',
  ebay: 'http://127.0.0.1:4201',
  amazon: 'http://127.0.0.1:4202',
  walmart: 'http://127.0.0.1:4203',
  shopify: 'http://127.0.0.1:4204',
} as const;

/** Sandbox-only credentials: they exist in the simulators and nowhere else. */
export const DEMO_CREDENTIALS = {
  wps: { apiToken: 'demoWpsToken0000000000000000000000000001' },
  'parts-unlimited': { dealerNumber: 'DEMO100', apiKey: 'demo-pu-api-key-0001' },
  'tucker-rocky': { customerNumber: '900100', apiKey: 'DEMOTUCKERKEY0001' },
  automatic: { apiToken: 'demo-automatic-token-0001' },
  // What eBay really issues: the app's keys and the seller's refresh token; the engine mints the
  // two-hour user tokens from them.
  ebay: { clientId: 'DemoDeal-Dropship-SBX-0001', clientSecret: 'SBX-demo-ebay-client-secret-0001', refreshToken: 'v^1.1#i^1#demo-ebay-refresh-token-0001' },
} as const;

export const DEMO_MARKETPLACE_CREDENTIALS = {
  ebay: DEMO_CREDENTIALS.ebay,
  amazon: {
    clientId: 'amzn1.application-oa2-client.demo0001',
    clientSecret: 'amzn1.oa2-cs.v1.demo-amazon-client-secret-0001',
    refreshToken: 'Atzr|demo-amazon-refresh-token-0001',
    marketplaceId: 'ATVPDKIKX0DER',
  },
  walmart: { clientId: 'demo-walmart-client-0001', clientSecret: 'demo-walmart-secret-0001' },
  shopify: { shopDomain: 'demo-powersports.myshopify.com', accessToken: 'shpat_demo0000000000000000000000001' },
} as const;

export type DemoMarketplace = keyof typeof DEMO_MARKETPLACE_CREDENTIALS;

/**
 * An order on a marketplace simulator with one line per given SKU and quantity: its id, the
 * marketplace's line ids (in each marketplace's own form), and the control body that seeds it.
 */
export function marketplaceOrder(code: DemoMarketplace, n: number, lines: { sku: string; quantity: number }[]) {
  const pad = (x: number, w: number) => String(x).padStart(w, '0');
  switch (code) {
    case 'ebay': {
      const orderId = `14-${pad(10000 + Math.floor(n / 100000), 5)}-${pad(n % 100000, 5)}`;
      const ids = lines.map((_, i) => `${pad(n % 1e9, 9)}${i + 1}`);
      return { orderId, lineIds: ids, seed: { orderId, lineItems: lines.map((l, i) => ({ lineItemId: ids[i], quantity: l.quantity, sku: l.sku })) } };
    }
    case 'amazon': {
      const orderId = `114-${pad(1000000 + (n % 9000000), 7)}-${pad(n % 10000000, 7)}`;
      const ids = lines.map((_, i) => `${pad(n % 1e12, 12)}${pad(i + 1, 2)}`);
      return { orderId, lineIds: ids, seed: { orderId, items: lines.map((l, i) => ({ orderItemId: ids[i], quantity: l.quantity, sku: l.sku })) } };
    }
    case 'walmart': {
      const orderId = `17962770${pad(n % 100000, 5)}`;
      const ids = lines.map((_, i) => String(i + 1));
      return { orderId, lineIds: ids, seed: { purchaseOrderId: orderId, acknowledged: true, lines: lines.map((l, i) => ({ lineNumber: ids[i], quantity: l.quantity, sku: l.sku })) } };
    }
    case 'shopify': {
      const orderId = `50${pad(n % 1e8, 8)}`;
      const ids = lines.map((_, i) => `130${pad(n % 1e7, 7)}${i + 1}`);
      return { orderId, lineIds: ids, seed: { orderId, lineItems: lines.map((l, i) => ({ lineItemId: ids[i], quantity: l.quantity, sku: l.sku })) } };
    }
  }
}

/** Seeds a marketplace simulator so it accepts the demo credentials of that marketplace. */
export async function seedMarketplaceAccount(code: DemoMarketplace, simUrl: string) {
  const c = DEMO_MARKETPLACE_CREDENTIALS;
  if (code === 'ebay') {
    await must('POST', `${simUrl}/__control/apps`, { clientId: c.ebay.clientId, clientSecret: c.ebay.clientSecret });
    await must('POST', `${simUrl}/__control/refresh-tokens`, { refreshToken: c.ebay.refreshToken, clientId: c.ebay.clientId });
    await must('POST', `${simUrl}/__control/tokens`, { token: DEMO_EBAY_USER_TOKEN });
  } else if (code === 'amazon') await must('POST', `${simUrl}/__control/grants`, c.amazon);
  else if (code === 'walmart') await must('POST', `${simUrl}/__control/clients`, c.walmart);
  else await must('POST', `${simUrl}/__control/tokens`, { token: c.shopify.accessToken });
}

/** Feed logins the simulators accept (Parts Unlimited's website user; Tucker's and Automatic's FTP). */
export const DEMO_FEED_LOGINS = {
  'parts-unlimited': { dealerNumber: DEMO_CREDENTIALS['parts-unlimited'].dealerNumber, username: 'demo-pu-web', password: 'demo-pu-web-pass-0001' },
  'tucker-rocky': { username: 'demo-tucker-ftp', password: 'demo-tucker-ftp-pass-0001' },
  automatic: { username: 'demo-automatic-ftp', password: 'demo-automatic-ftp-pass-0001' },
} as const;

/** The feed settings of each demo connection; FTP ports are the simulators' (src/simulators/registry.ts). */
export function demoFeedSettings(code: string, ftpPorts: { 'tucker-rocky': number; automatic: number } = { 'tucker-rocky': 2103, automatic: 2104 }) {
  if (code === 'parts-unlimited') return { username: DEMO_FEED_LOGINS[code].username, password: DEMO_FEED_LOGINS[code].password };
  if (code === 'tucker-rocky' || code === 'automatic') return { host: '127.0.0.1', port: ftpPorts[code], ...DEMO_FEED_LOGINS[code] };
  return undefined;
}

/** How each simulator's item control names UPC, brand and manufacturer part number (Tucker's file has none). */
const FEED_IDENTITY: Record<keyof typeof DEMO_CREDENTIALS, (i: DemoItem) => Record<string, string>> = {
  wps: (i) => ({ upc: i.upc, brand: i.brand, supplierProductId: i.mfgPartNumber }),
  'parts-unlimited': (i) => ({ upc: i.upc, brand: i.brand, vendorPartNumber: i.mfgPartNumber }),
  automatic: (i) => ({ upc: i.upc, brand: i.brand, mfgPartNumber: i.mfgPartNumber }),
  'tucker-rocky': () => ({}),
  ebay: () => ({}),
};

/** A static eBay user token the simulator also accepts (tools and tests that call eBay directly). */
export const DEMO_EBAY_USER_TOKEN = 'demo-ebay-user-token-0001';

interface DemoItem {
  sku: string;
  title: string;
  /** What the product and the distributors' feed items share, so the feeds match them. */
  upc: string;
  brand: string;
  mfgPartNumber: string;
  offers: { distributor: keyof typeof DEMO_CREDENTIALS; distributorSku: string; unitCost: number; dropshipFee: number; warehouses: Record<string, number> }[];
}

export const DEMO_CATALOG: DemoItem[] = [
  {
    sku: 'HELMET-BELL-QUALIFIER-M',
    title: 'Bell Qualifier helmet, medium',
    upc: '768686000123',
    brand: 'Bell',
    mfgPartNumber: '7092345',
    offers: [
      { distributor: 'wps', distributorSku: '72-0500M', unitCost: 84.95, dropshipFee: 5, warehouses: { CA: 5, TX: 3 } },
      { distributor: 'parts-unlimited', distributorSku: '0101-11412', unitCost: 92.5, dropshipFee: 0, warehouses: { WI: 4 } },
    ],
  },
  {
    sku: 'BRAKE-PAD-EBC-FA196HH',
    title: 'EBC FA196HH sintered brake pads',
    upc: '820064019613',
    brand: 'EBC',
    mfgPartNumber: 'FA196HH',
    offers: [
      { distributor: 'tucker-rocky', distributorSku: '113-044', unitCost: 31.2, dropshipFee: 2, warehouses: { TX: 10 } },
      { distributor: 'automatic', distributorSku: 'EBC-FA196HH', unitCost: 34, dropshipFee: 0, warehouses: { MAIN: 6 } },
      { distributor: 'wps', distributorSku: '15-0196', unitCost: 33.5, dropshipFee: 5, warehouses: { GA: 2 } },
    ],
  },
  {
    sku: 'OIL-FILTER-HF204',
    title: 'HiFlo HF204 oil filter',
    upc: '5050217020407',
    brand: 'HiFlo',
    mfgPartNumber: 'HF204',
    offers: [
      { distributor: 'parts-unlimited', distributorSku: '0712-0004', unitCost: 6.1, dropshipFee: 1, warehouses: { NY: 20 } },
      { distributor: 'wps', distributorSku: '87-9204', unitCost: 6.3, dropshipFee: 5, warehouses: { ID: 12 } },
    ],
  },
];

export const DEMO_EBAY_ORDER = {
  orderId: '14-10000-00001',
  lineItems: [
    { lineItemId: '10000000001', quantity: 1, sku: 'HELMET-BELL-QUALIFIER-M' },
    { lineItemId: '10000000002', quantity: 2, sku: 'BRAKE-PAD-EBC-FA196HH' },
  ],
};

export interface DemoDropshipBody {
  pssOrderId: string;
  marketplace: { code: string; orderId: string };
  shipTo: { name: string; address1: string; city: string; state: string; postalCode: string; country: string; phone?: string; email?: string };
  lines: { lineId: string; marketplaceLineId: string; sku: string; quantity: number }[];
}

export const DEMO_MARKETPLACES: DemoMarketplace[] = ['ebay', 'amazon', 'walmart', 'shopify'];

/** The demo order (a helmet and two brake pads) as it came in on each other marketplace. */
const DEMO_ORDER_NUMBER: Record<Exclude<DemoMarketplace, 'ebay'>, number> = { amazon: 1002, walmart: 1003, shopify: 1004 };
export function demoMarketplaceOrder(code: Exclude<DemoMarketplace, 'ebay'>) {
  return marketplaceOrder(code, DEMO_ORDER_NUMBER[code], DEMO_EBAY_ORDER.lineItems.map((l) => ({ sku: l.sku, quantity: l.quantity })));
}

/** The demo dropship; from eBay by default, or the same order from another marketplace. */
export function demoDropshipBody(pssOrderId = 'DEMO-1001', marketplace: DemoMarketplace = 'ebay'): DemoDropshipBody {
  if (marketplace !== 'ebay') {
    const o = demoMarketplaceOrder(marketplace);
    const body = demoDropshipBody(pssOrderId);
    return {
      ...body,
      marketplace: { code: marketplace, orderId: o.orderId },
      lines: body.lines.map((l, i) => ({ ...l, marketplaceLineId: o.lineIds[i] })),
    };
  }
  return {
    pssOrderId,
    marketplace: { code: 'ebay', orderId: DEMO_EBAY_ORDER.orderId },
    shipTo: {
      name: 'Jamie Rider',
      address1: '1200 Trail Rd',
      city: 'Boise',
      state: 'ID',
      postalCode: '83702',
      country: 'US',
      phone: '2085550142',
      email: 'jamie@example.com',
    },
    lines: [
      { lineId: 'L1', marketplaceLineId: '10000000001', sku: 'HELMET-BELL-QUALIFIER-M', quantity: 1 },
      { lineId: 'L2', marketplaceLineId: '10000000002', sku: 'BRAKE-PAD-EBC-FA196HH', quantity: 2 },
    ],
  };
}

async function call(method: string, url: string, body?: unknown, key?: string): Promise<{ status: number; json: any }> {
  const r = await fetch(url, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: r.status, json };
}

async function must(method: string, url: string, body?: unknown, key?: string) {
  const r = await call(method, url, body, key);
  if (r.status >= 300) throw new Error(`${method} ${url} → ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

/** Accounts, stock and the eBay order in the simulators (their state lives in memory). */
export async function seedSimulators(sim: Record<keyof typeof SIM, string> = SIM): Promise<void> {
  for (const code of ['wps', 'parts-unlimited', 'tucker-rocky', 'automatic'] as const) {
    await must('POST', `${sim[code]}/__control/accounts`, { credentials: DEMO_CREDENTIALS[code] });
  }
  for (const item of DEMO_CATALOG) {
    for (const o of item.offers) {
      await must('PUT', `${sim[o.distributor]}/__control/items/${encodeURIComponent(o.distributorSku)}`, {
        price: o.unitCost,
        dropShipFee: o.dropshipFee,
        warehouses: o.warehouses,
        ...FEED_IDENTITY[o.distributor](item),
      });
    }
  }
  for (const [code, login] of Object.entries(DEMO_FEED_LOGINS)) await must('POST', `${sim[code as keyof typeof SIM]}/__control/feed-accounts`, login);
  for (const code of DEMO_MARKETPLACES) {
    if (!sim[code]) continue;
    await seedMarketplaceAccount(code, sim[code]);
    if (code !== 'ebay') await must('POST', `${sim[code]}/__control/orders`, demoMarketplaceOrder(code).seed);
  }
  await must('POST', `${sim.ebay}/__control/orders`, DEMO_EBAY_ORDER);
}

/** Runs every distributor's feed and waits for the runs; a feed whose pulls are spent today keeps yesterday's items. */
async function runDemoFeeds(api: string, key: string): Promise<void> {
  const runs: string[] = [];
  for (const code of ['wps', 'parts-unlimited', 'tucker-rocky', 'automatic']) {
    const r = await call('POST', `${api}/v1/feeds/${code}/runs`, undefined, key);
    if (r.status === 202) runs.push(r.json.runId);
    else if (r.status === 409 && r.json.details?.runId) runs.push(r.json.details.runId);
    else if (r.status !== 429) throw new Error(`feed ${code}: ${r.status} ${JSON.stringify(r.json)}`);
  }
  for (const runId of runs) {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const run = await must('GET', `${api}/v1/feeds/runs/${encodeURIComponent(runId)}`, undefined, key);
      if (run.status === 'failed') throw new Error(`feed run ${runId} failed: ${JSON.stringify(run.errors)}`);
      if (run.status === 'succeeded') break;
      if (Date.now() > deadline) throw new Error(`feed run ${runId} did not finish in 2 minutes`);
      await new Promise((res) => setTimeout(res, 250));
    }
  }
}

export async function seedDemo(opts: { api: string; adminKey: string; dataDir: string }) {
  await seedSimulators();
  const stateFile = join(opts.dataDir, 'demo.json');
  let tenant: { tenantId: string; apiKey: string; tenantName: string } | undefined;
  if (existsSync(stateFile)) {
    tenant = JSON.parse(readFileSync(stateFile, 'utf8'));
    if ((await call('GET', `${opts.api}/v1/connections`, undefined, tenant!.apiKey)).status !== 200) tenant = undefined;
  }
  if (!tenant) {
    const t = await must('POST', `${opts.api}/v1/tenants`, { name: 'Demo Powersports' }, opts.adminKey);
    tenant = { tenantId: t.id, apiKey: t.apiKey, tenantName: t.name };
    writeFileSync(stateFile, JSON.stringify(tenant, null, 2), { mode: 0o600 });
  }
  const key = tenant.apiKey;
  await must('PUT', `${opts.api}/v1/tenants/${tenant.tenantId}/order-automation`, { enabled: true }, opts.adminKey);
  for (const code of ['wps', 'parts-unlimited', 'tucker-rocky', 'automatic'] as const) {
    const feed = demoFeedSettings(code);
    await must('PUT', `${opts.api}/v1/connections/distributors/${code}`, { ...DEMO_CREDENTIALS[code], ...(feed ? { feed } : {}), baseUrl: SIM[code] }, key);
  }
  for (const code of DEMO_MARKETPLACES) {
    await must('PUT', `${opts.api}/v1/connections/marketplaces/${code}`, { ...DEMO_MARKETPLACE_CREDENTIALS[code], baseUrl: SIM[code] }, key);
  }
  // PA is a slow warehouse for this dealer: stock there does not count as drop-shippable.
  await must('PUT', `${opts.api}/v1/warehouse-rules/wps/PA`, { leadTimeDays: 3 }, key);
  // The catalog comes from the distributors' feeds: run each once now (the schedule takes over
  // tomorrow morning), then name the products by UPC / brand + part number. Tucker's file carries
  // neither, so the brake pads name Tucker's part number.
  await runDemoFeeds(opts.api, key);
  for (const item of DEMO_CATALOG) {
    const tucker = item.offers.find((o) => o.distributor === 'tucker-rocky');
    await must(
      'PUT',
      `${opts.api}/v1/catalog/products/${encodeURIComponent(item.sku)}`,
      {
        title: item.title,
        upc: item.upc,
        brand: item.brand,
        mfgPartNumber: item.mfgPartNumber,
        offers: tucker ? [{ distributor: 'tucker-rocky', distributorSku: tucker.distributorSku }] : [],
      },
      key,
    );
  }

  const body = demoDropshipBody();
  const bodyFile = join(opts.dataDir, 'demo-dropship.json');
  writeFileSync(bodyFile, JSON.stringify(body, null, 2));
  // Started now, so it waits in the dealer screens (/app) for someone to confirm it. Starting it
  // again is answered with the same dropship, so a second `npm start` keeps the one it has.
  const started = await call('POST', `${opts.api}/v1/dropships`, body, key);
  const demoStatus: string = started.status < 300 ? started.json.status : `not started (${started.status}: ${started.json?.message ?? 'error'})`;
  const wpsPo = purchaseOrderNumber(tenant.tenantId, body.pssOrderId, 'wps', 1);
  const tuckerPo = purchaseOrderNumber(tenant.tenantId, body.pssOrderId, 'tucker-rocky', 1);
  const otherMarketplaces = (['amazon', 'walmart', 'shopify'] as const).map((code) => {
    const other = demoDropshipBody(`DEMO-${1002 + ['amazon', 'walmart', 'shopify'].indexOf(code)}`, code);
    const file = join(opts.dataDir, `demo-dropship-${code}.json`);
    writeFileSync(file, JSON.stringify(other, null, 2));
    return {
      code,
      body: other,
      file,
      wpsPo: purchaseOrderNumber(tenant!.tenantId, other.pssOrderId, 'wps', 1),
      tuckerPo: purchaseOrderNumber(tenant!.tenantId, other.pssOrderId, 'tucker-rocky', 1),
    };
  });
  const auth = `-H "Authorization: Bearer ${key}"`;
  const json = `-H 'content-type: application/json'`;
  const walkthrough = `# Demo walkthrough (generated by npm start)

# 1. Start the dropship (npm start already did; doing it again answers with the same one):
#    L1 (helmet) defaults to WPS, L2 (brake pads) to Tucker Rocky
curl -s -X POST ${opts.api}/v1/dropships ${auth} ${json} -d @${bodyFile}

# 2. See its drop-shippable candidates and the default selection
curl -s ${opts.api}/v1/dropships/${body.pssOrderId} ${auth}

# 3. Confirm it (to swap a line to another distributor, add e.g. "lines":[{"lineId":"L2","distributor":"automatic"}])
curl -s -X POST ${opts.api}/v1/dropships/${body.pssOrderId}/confirm ${auth} ${json} -d '{"confirmedBy":"demo@dealer"}'

# 4. Watch the purchase orders appear
curl -s "${opts.api}/v1/purchase-orders?pssOrderId=${body.pssOrderId}" ${auth}

# 5. Tell the simulators to ship (WPS ships with UPS Blue, Tucker with FedEx)
curl -s -X POST ${SIM.wps}/__control/orders/${wpsPo}/ship ${json} -d '{"carrier":"UP2D","trackingNumber":"1Z999AA10123456784"}'
curl -s -X POST ${SIM['tucker-rocky']}/__control/orders/${tuckerPo}/ship ${json} -d '{"carrier":"FEDEX","trackingNumber":"612999000000001"}'

# 6. Within one tracking poll the numbers are on the eBay simulator, and the dropship is completed
curl -s ${SIM.ebay}/__control/orders/${DEMO_EBAY_ORDER.orderId}
curl -s ${opts.api}/v1/dropships/${body.pssOrderId} ${auth}
curl -s ${opts.api}/v1/purchase-orders/${wpsPo} ${auth}

# 7. Find it in the Temporal Web UI: search   DropshipOrderId="${body.pssOrderId}"
#    or:  temporal workflow list --query 'DropshipOrderId="${body.pssOrderId}"'
${otherMarketplaces
  .map(
    (m, i) => `
# ${8 + i}. The same order from ${m.code[0].toUpperCase()}${m.code.slice(1)} (${m.body.pssOrderId}, order ${m.body.marketplace.orderId}): start, confirm,
#    ship once its POs are listed (GET /v1/purchase-orders?pssOrderId=${m.body.pssOrderId}), then look at the marketplace
curl -s -X POST ${opts.api}/v1/dropships ${auth} ${json} -d @${m.file}
curl -s -X POST ${opts.api}/v1/dropships/${m.body.pssOrderId}/confirm ${auth} ${json} -d '{"confirmedBy":"demo@dealer"}'
curl -s -X POST ${SIM.wps}/__control/orders/${m.wpsPo}/ship ${json} -d '{"carrier":"UP2D","trackingNumber":"1Z999AA1012345${6790 + i}"}'
curl -s -X POST ${SIM['tucker-rocky']}/__control/orders/${m.tuckerPo}/ship ${json} -d '{"carrier":"FEDEX","trackingNumber":"61299900000000${2 + i}"}'
curl -s ${SIM[m.code]}/__control/orders/${m.body.marketplace.orderId}
curl -s ${opts.api}/v1/dropships/${m.body.pssOrderId} ${auth}
`,
  )
  .join('')}`;
  const walkthroughFile = join(opts.dataDir, 'demo-walkthrough.sh');
  writeFileSync(walkthroughFile, walkthrough);
  return { ...tenant, pssOrderId: body.pssOrderId, demoStatus, bodyFile, walkthroughFile, wpsPo, tuckerPo };
}
