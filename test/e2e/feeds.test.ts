// The catalog from the distributors' feeds, end to end: feed settings verified and sealed, runs
// through FeedImportWorkflow (one at a time, Parts Unlimited's two pulls a day), bad rows by line,
// products matched to feed items, the dealer's schedule on a Temporal Schedule; and live stock on
// the confirm screen moving the default off a distributor that sold out.
import { demoDropshipBody } from '../../src/dev/demo';
import { feedScheduleId } from '../../workflows/messages';
import { ADMIN_KEY, ebayOrder, Stack } from '../support/stack';

jest.setTimeout(180_000);

const stack = new Stack({ confirmationTimeoutMs: 600_000 });
beforeAll(() => stack.start());
afterAll(() => stack.stop());

const FTP_LOGIN = { username: 'feeduser', password: 'feed-pass-Secret9' };
const PU_WEB = { dealerNumber: 'PU-DEALER-1', username: 'pu-web-user', password: 'pu-web-Secret7' };

function ftpPort(code: string): number {
  return Number(new URL(stack.sims[code].sim.ftpUrl!).port);
}

let tenantId = '';
async function newDealer(): Promise<string> {
  const t = await stack.api('POST', '/v1/tenants', { name: `Feeds ${Date.now()}` }, ADMIN_KEY);
  tenantId = t.body.id as string;
  return t.body.apiKey as string;
}

let puDealers = 0;
async function connectFeeds(key: string) {
  await stack.reseedSimulators();
  // Parts Unlimited counts pulls per dealer account: each test dealer has its own.
  PU_WEB.dealerNumber = `PU-DEALER-${++puDealers}`;
  for (const code of ['tucker-rocky', 'automatic']) expect((await stack.sim(code, 'POST', '/__control/feed-accounts', FTP_LOGIN)).status).toBeLessThan(300);
  expect((await stack.sim('parts-unlimited', 'POST', '/__control/feed-accounts', PU_WEB)).status).toBeLessThan(300);
  const { DEMO_CREDENTIALS } = await import('../../src/dev/demo');
  const feeds: Record<string, unknown> = {
    'tucker-rocky': { host: '127.0.0.1', port: ftpPort('tucker-rocky'), ...FTP_LOGIN },
    automatic: { host: '127.0.0.1', port: ftpPort('automatic'), ...FTP_LOGIN },
    'parts-unlimited': { username: PU_WEB.username, password: PU_WEB.password },
  };
  for (const code of ['wps', 'parts-unlimited', 'tucker-rocky', 'automatic']) {
    const creds = { ...DEMO_CREDENTIALS[code as 'wps'] } as Record<string, unknown>;
    if (code === 'parts-unlimited') creds.dealerNumber = PU_WEB.dealerNumber;
    const r = await stack.api('PUT', `/v1/connections/distributors/${code}`, { ...creds, ...(feeds[code] ? { feed: feeds[code] } : {}), baseUrl: stack.sims[code].url }, key);
    expect([code, r.status, r.body]).toEqual([code, 200, expect.anything()]);
    expect(JSON.stringify(r.body)).not.toContain(FTP_LOGIN.password);
    expect(JSON.stringify(r.body)).not.toContain(PU_WEB.password);
  }
}

async function waitForRun(key: string, runId: string): Promise<any> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const r = await stack.api('GET', `/v1/feeds/runs/${encodeURIComponent(runId)}`, undefined, key);
    expect(r.status).toBe(200);
    if (r.body.status !== 'running') return r.body;
    if (Date.now() > deadline) throw new Error(`run ${runId} still running: ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function runFeed(key: string, distributor: string): Promise<any> {
  const r = await stack.api('POST', `/v1/feeds/${distributor}/runs`, undefined, key);
  expect([r.status, r.body]).toEqual([202, { runId: expect.stringContaining(`:${distributor}-manual-`) }]);
  return waitForRun(key, r.body.runId);
}

it('refuses feed settings that are wrong before saving them, naming the field', async () => {
  const key = await newDealer();
  await stack.reseedSimulators();
  await stack.sim('tucker-rocky', 'POST', '/__control/feed-accounts', FTP_LOGIN);
  const { DEMO_CREDENTIALS } = await import('../../src/dev/demo');
  const base = { ...DEMO_CREDENTIALS['tucker-rocky'], baseUrl: stack.sims['tucker-rocky'].url };
  const wrong = await stack.api('PUT', '/v1/connections/distributors/tucker-rocky', { ...base, feed: { host: '127.0.0.1', port: ftpPort('tucker-rocky'), username: 'feeduser', password: 'not-it-Secret1' } }, key);
  expect(wrong.status).toBe(422);
  expect(wrong.body.error).toBe('credentials_rejected');
  expect(wrong.body.message).not.toContain('not-it-Secret1');
  const privateHost = await stack.api('PUT', '/v1/connections/distributors/tucker-rocky', { ...base, feed: { host: '10.1.2.3', ...FTP_LOGIN } }, key);
  expect(privateHost.status).toBe(400);
  expect(privateHost.body.details[0].path).toBe('body.feed.host');
  // Nothing saved, so no feed to run.
  expect((await stack.api('POST', '/v1/feeds/tucker-rocky/runs', undefined, key)).status).toBe(422);
});

it('imports each distributor feed through a workflow, one run at a time, with bad rows by line', async () => {
  const key = await newDealer();
  await connectFeeds(key);
  await stack.sim('tucker-rocky', 'POST', '/__control/catalog/generate', { count: 3000, seed: 7 });
  await stack.sim('tucker-rocky', 'POST', '/__control/feed-file', { appendLines: ['XX'] });

  const first = await stack.api('POST', '/v1/feeds/tucker-rocky/runs', undefined, key);
  expect(first.status).toBe(202);
  const second = await stack.api('POST', '/v1/feeds/tucker-rocky/runs', undefined, key);
  expect(second.status).toBe(409);
  expect(second.body.details.runId).toBe(first.body.runId);
  const run = await waitForRun(key, first.body.runId);
  expect(run).toMatchObject({ status: 'succeeded', distributor: 'tucker-rocky', trigger: 'manual', badRows: 1 });
  expect(run.rowsRead).toBeGreaterThan(3000);
  expect(run.itemsChanged).toBe(run.rowsRead - 1);
  expect(run.errors).toEqual([{ line: run.rowsRead, message: expect.any(String) }]);
  // Progress reached the workflow's query while it ran (a signal per report).
  const history = await stack.client.workflow.getHandle(first.body.runId).fetchHistory();
  expect(history.events!.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'feedProgress')).toBe(true);
  const runHandle = stack.client.workflow.getHandle(first.body.runId);
  expect(await (await runHandle.describe()).staticSummary()).toBe(`Feed import · tucker-rocky · dealer ${tenantId} · manual`);
  expect((await runHandle.query<{ currentDetails: string }>('__temporal_workflow_metadata')).currentDetails).toContain(`**Progress** ${run.rowsRead} rows read, ${run.itemsChanged} items changed, 1 bad row`);

  const again = await runFeed(key, 'tucker-rocky');
  expect(again).toMatchObject({ status: 'succeeded', itemsChanged: 0 });

  for (const code of ['wps', 'automatic', 'parts-unlimited']) {
    await stack.sim(code, 'POST', '/__control/catalog/generate', { count: 1500, seed: 3 });
    const r = await runFeed(key, code);
    expect([code, r.status, r.rowsRead >= 1500, r.itemsChanged >= 1500]).toEqual([code, 'succeeded', true, true]);
  }
  const list = await stack.api('GET', '/v1/feeds/runs?distributor=tucker-rocky&limit=5', undefined, key);
  expect(list.body.runs.map((r: any) => r.runId)).toEqual([again.runId, first.body.runId]);
});

it("respects Parts Unlimited's two pulls a day", async () => {
  const key = await newDealer();
  await connectFeeds(key);
  await stack.sim('parts-unlimited', 'POST', '/__control/catalog/generate', { count: 50, seed: 1 });
  expect((await runFeed(key, 'parts-unlimited')).status).toBe('succeeded');
  expect((await runFeed(key, 'parts-unlimited')).status).toBe('succeeded');
  const third = await stack.api('POST', '/v1/feeds/parts-unlimited/runs', undefined, key);
  expect(third.status).toBe(429);
  expect(third.body.message).toMatch(/2 feed downloads a day/);
});

it('a product takes its offers from the feeds: the part it names, then by UPC, then brand + mfg part number', async () => {
  const key = await newDealer();
  await connectFeeds(key);
  await stack.sim('automatic', 'PUT', '/__control/items/EBC-FA196HH', {
    price: 34, warehouses: { MAIN: 6 }, brand: 'EBC', mfgPartNumber: 'FA196HH', upc: '0799123456789', description: 'EBC FA196HH pads',
  });
  await stack.sim('tucker-rocky', 'PUT', '/__control/items/113044', { price: 31.2, warehouses: { TX: 5 }, dropShipEligible: true });
  for (const code of ['automatic', 'tucker-rocky']) expect((await runFeed(key, code)).status).toBe('succeeded');

  const item = await stack.api('GET', '/v1/distributor-items/automatic/ebc fa196hh', undefined, key);
  expect(item.status).toBe(200);
  expect(item.body).toMatchObject({ partNumber: 'EBC-FA196HH', dealerCost: 34, brand: 'EBC', warehouses: [{ code: 'MAIN', quantity: 6 }] });
  expect((await stack.api('GET', '/v1/distributor-items/automatic/NOPE-1', undefined, key)).status).toBe(404);

  const p = await stack.api('PUT', '/v1/catalog/products/PADS', { title: 'EBC pads', brand: 'ebc', mfgPartNumber: 'fa-196hh', offers: [{ distributor: 'tucker-rocky', distributorSku: '113044' }] }, key);
  expect(p.status).toBe(200);
  expect(p.body.offers.map((o: any) => [o.distributor, o.distributorSku, o.unitCost, o.matchedBy, o.source, o.dropshippable])).toEqual([
    ['automatic', 'EBC-FA196HH', 34, 'brandMfgPartNumber', 'feed', true],
    ['tucker-rocky', '113044', expect.any(Number), 'named', 'feed', true],
  ]);
  // The dealer's rule: a minimum buffer of 6 at Automatic's MAIN leaves it with none to drop-ship.
  const rule = await stack.api('PUT', '/v1/warehouse-rules/automatic/MAIN', { leadTimeDays: 1, minimumBuffer: 6, dropshipCutoffPrice: 10 }, key);
  expect(rule.body).toEqual({ distributor: 'automatic', warehouse: 'MAIN', leadTimeDays: 1, excluded: false, minimumBuffer: 6, dropshipCutoffPrice: 10 });
  const after = await stack.api('GET', '/v1/catalog/products/PADS', undefined, key);
  expect(after.body.offers.find((o: any) => o.distributor === 'automatic').dropshippable).toBe(false);
});

it("keeps the dealer's feed schedule on a Temporal Schedule", async () => {
  const key = await newDealer();
  await connectFeeds(key);
  const listed = await stack.api('GET', '/v1/feeds/schedules', undefined, key);
  expect(listed.body.schedules.map((s: any) => [s.distributor, s.enabled, s.cron, s.timeZone, !!s.nextRunAt])).toEqual([
    ['automatic', true, '0 5 * * *', 'America/Chicago', true],
    ['parts-unlimited', true, '0 5 * * *', 'America/Chicago', true],
    ['tucker-rocky', true, '0 5 * * *', 'America/Chicago', true],
    ['wps', true, '0 5 * * *', 'America/Chicago', true],
  ]);
  const put = await stack.api('PUT', '/v1/feeds/wps/schedule', { enabled: true, cron: '30 6 * * 1-5', timeZone: 'America/Denver' }, key);
  expect(put.status).toBe(200);
  const d = await stack.client.schedule.getHandle(feedScheduleId(tenantId, 'wps')).describe();
  expect(d.spec.timezone).toBe('America/Denver');
  expect(d.action.type === 'startWorkflow' && d.action.staticSummary).toBe(`Feed import · wps · dealer ${tenantId} · schedule`);
  expect(d.state.paused).toBe(false);
  const off = await stack.api('PUT', '/v1/feeds/wps/schedule', { enabled: false }, key);
  expect(off.body).toMatchObject({ enabled: false, nextRunAt: null, cron: '0 5 * * *' });
  expect((await stack.api('PUT', '/v1/feeds/wps/schedule', { enabled: true, timeZone: 'Mars/Olympus' }, key)).status).toBe(400);
  expect((await stack.api('PUT', '/v1/feeds/wps/schedule', { enabled: true, cron: 'every day' }, key)).status).toBe(400);
});

it('shows live stock before confirm and moves the default off a distributor that sold out', async () => {
  const { key } = await stack.dealer();
  // The catalog still says WPS has the helmet; WPS has sold out since.
  await stack.sim('wps', 'PUT', '/__control/items/72-0500M', { warehouses: { CA: 0, TX: 0 } });
  const b = demoDropshipBody(`LIVE-${Date.now()}`);
  b.lines = [b.lines[0]];
  b.marketplace.orderId = await ebayOrder(stack, [{ lineItemId: b.lines[0].marketplaceLineId, quantity: 1 }]);
  const created = await stack.api('POST', '/v1/dropships', b, key);
  expect(created.status).toBe(201);
  expect(created.body.lines[0].selected.distributor).toBe('wps');
  const d = await stack.waitForDropship(key, b.pssOrderId, (x) => x.events.some((e: any) => e.type === 'live_stock_checked'), 'live stock checked');
  const line = d.lines[0];
  expect(line.selected.distributor).toBe('parts-unlimited');
  const wps = line.candidates.find((c: any) => c.distributor === 'wps');
  expect(wps).toMatchObject({ liveStock: { quantity: 0, checkedAt: expect.any(String) }, outOfStockLive: true });
  expect(line.candidates.find((c: any) => c.distributor === 'parts-unlimited').liveStock.quantity).toBeGreaterThan(0);
  expect(d.events.some((e: any) => e.type === 'selection_moved')).toBe(true);
});
