// The walking skeleton end to end: REST → DropshipWorkflow → WPS simulator → purchase order →
// tracking → eBay simulator, over a real Temporal dev server, Postgres and HTTP.
import { demoDropshipBody } from '../../src/dev/demo';
import { purchaseOrderNumber } from '../../workflows/decisions';
import { checkTrackingSignal, dropshipWorkflowId } from '../../workflows/messages';
import { ebayOrder, Stack } from '../support/stack';

jest.setTimeout(180_000);

const stack = new Stack({ trackingPollIntervalMs: 1000, upstreamTimeoutCapMs: 2500 });
beforeAll(() => stack.start());
afterAll(() => stack.stop());

let seq = 0;
/** A one-line helmet order (defaults to WPS) with its own eBay order at the simulator. */
async function helmetOrder(quantity = 1) {
  const pssOrderId = `T-${Date.now()}-${++seq}`;
  const orderId = await ebayOrder(stack, [{ lineItemId: `${pssOrderId}-1`, quantity }]);
  const body = demoDropshipBody(pssOrderId);
  body.marketplace.orderId = orderId;
  body.lines = [{ lineId: 'L1', marketplaceLineId: `${pssOrderId}-1`, sku: 'HELMET-BELL-QUALIFIER-M', quantity }];
  return { pssOrderId, orderId, body };
}

const ebayFulfillments = async (orderId: string) => (await stack.sim('ebay', 'GET', `/__control/orders/${orderId}`)).body.fulfillments as any[];

async function confirmAndGetPo(key: string, pssOrderId: string, swap?: { lineId: string; distributor: string }[]) {
  const c = await stack.api('POST', `/v1/dropships/${pssOrderId}/confirm`, { confirmedBy: 'tester', ...(swap ? { lines: swap } : {}) }, key);
  expect(c.status).toBe(202);
  const d = await stack.waitForDropship(key, pssOrderId, (x) => x.purchaseOrders.length > 0 && x.purchaseOrders.every((p: any) => p.status !== 'submitting' && p.status !== 'pending'), 'a placed PO');
  return d.purchaseOrders;
}

describe('a dropship from WPS to eBay', () => {
  it('goes from start to completed, with one order at WPS and the tracking on eBay', async () => {
    const { key, tenantId } = await stack.dealer();
    const { pssOrderId, orderId, body } = await helmetOrder();

    const created = await stack.api('POST', '/v1/dropships', body, key);
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('awaiting_confirmation');
    const [l1] = created.body.lines;
    expect(l1.candidates.map((c: any) => [c.distributor, c.landedCost])).toEqual([
      ['wps', 89.95],
      ['parts-unlimited', 92.5],
    ]);
    expect(l1.selected).toEqual({ distributor: 'wps', distributorSku: '72-0500M' });

    const [po] = await confirmAndGetPo(key, pssOrderId);
    expect(po.status).toBe('submitted');
    expect(po.poNumber).toMatch(/^DS-[A-Z0-9]{11}-W1$/);

    // The Web UI tells the story: what the order is, fixed at start, and what it waits for now.
    const handle = stack.client.workflow.getHandle(dropshipWorkflowId(tenantId, pssOrderId));
    const described = await handle.describe();
    expect(await described.staticSummary()).toBe(`Order ${pssOrderId} · ebay · 1 line · to ${body.shipTo.city}, ${body.shipTo.state} ${body.shipTo.country}`);
    expect(await described.staticDetails()).toContain('HELMET-BELL-QUALIFIER-M × 1: default wps 72-0500M');
    expect(await described.staticDetails()).not.toContain(body.shipTo.address1);
    const currentDetails = async () => ((await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata')).currentDetails);
    // (the next check's time is left out while a read is going)
    expect(await currentDetails()).toContain(`**Waiting for** wps to ship ${po.poNumber}`);
    expect(await currentDetails()).toContain(`- ${po.poNumber} · wps · submitted`);

    const list = await stack.api('GET', `/v1/purchase-orders?pssOrderId=${pssOrderId}`, undefined, key);
    expect(list.body.items).toEqual([expect.objectContaining({ poNumber: po.poNumber, distributor: 'wps', shipped: false, status: 'submitted' })]);

    const ship = await stack.sim('wps', 'POST', `/__control/orders/${po.poNumber}/ship`, { carrier: 'UP2D', trackingNumber: '1Z999AA10123456784' });
    expect(ship.status).toBeLessThan(300);

    const done = await stack.waitForDropship(key, pssOrderId, (x) => x.status === 'completed', 'completed');
    expect(done.uploads).toEqual([expect.objectContaining({ trackingNumber: '1Z999AA10123456784', carrier: 'UPS', status: 'confirmed', outcome: 'uploaded' })]);
    expect(await stack.simOrders('wps', po.poNumber)).toHaveLength(1);
    expect(await currentDetails()).toContain('**Status** completed');
    expect(await ebayFulfillments(orderId)).toEqual([
      expect.objectContaining({ shipmentTrackingNumber: '1Z999AA10123456784', shippingCarrierCode: 'UPS' }),
    ]);

    const detail = await stack.api('GET', `/v1/purchase-orders/${po.poNumber}`, undefined, key);
    expect(detail.body).toMatchObject({
      poNumber: po.poNumber,
      pssOrderId,
      distributor: 'wps',
      shipped: true,
      shipments: [{ carrier: 'UPS', service: 'UP2D', trackingNumber: '1Z999AA10123456784', lines: [{ lineId: 'L1', quantity: 1 }] }],
    });
    expect(detail.body.attempts.map((a: any) => a.outcome)).toEqual(['placed']);
    const shippedList = await stack.api('GET', `/v1/purchase-orders?pssOrderId=${pssOrderId}&shipped=true`, undefined, key);
    expect(shippedList.body.items).toHaveLength(1);

    // ops find it by order id through the search attributes
    let found: string[] = [];
    for (let i = 0; i < 50 && found.length === 0; i++) {
      found = [];
      for await (const wf of stack.client.workflow.list({ query: `DropshipOrderId = "${pssOrderId}" AND DropshipStatus = "completed"` })) found.push(wf.workflowId);
      if (!found.length) await new Promise((r) => setTimeout(r, 200));
    }
    expect(found).toEqual([dropshipWorkflowId(tenantId, pssOrderId)]);

    // every external call is on record, without the token
    const calls = await stack.sql`SELECT target, url, request_body FROM external_calls WHERE pss_order_id = ${pssOrderId}`;
    expect(calls.length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(calls)).not.toContain('demoWpsToken');

    // and no credential travels through Temporal
    const history = await stack.client.workflow.getHandle(dropshipWorkflowId(tenantId, pssOrderId)).fetchHistory();
    const texts: string[] = [];
    const walk = (v: unknown, depth = 0): void => {
      if (v instanceof Uint8Array) texts.push(Buffer.from(v).toString('utf8'));
      else if (typeof v === 'string') texts.push(v);
      else if (v && typeof v === 'object' && depth < 30) for (const x of Object.values(v)) walk(x, depth + 1);
    };
    walk(history);
    const text = texts.join('\n');
    expect(text).toContain('72-0500M');
    for (const secret of ['demoWpsToken', 'demo-ebay-client-secret', 'demo-ebay-refresh-token', 'DEMOTUCKERKEY', 'demo-pu-api-key', 'demo-automatic-token']) expect(text).not.toContain(secret);
  });

  it('answers the same request twice with the same dropship and refuses a different body', async () => {
    const { key } = await stack.dealer();
    const { pssOrderId, body } = await helmetOrder();
    expect((await stack.api('POST', '/v1/dropships', body, key)).status).toBe(201);
    const reordered = { lines: body.lines, shipTo: { ...body.shipTo }, marketplace: body.marketplace, pssOrderId };
    const again = await stack.api('POST', '/v1/dropships', reordered, key);
    expect(again.status).toBe(200);
    expect(again.body.pssOrderId).toBe(pssOrderId);
    const different = await stack.api('POST', '/v1/dropships', { ...body, lines: [{ ...body.lines[0], quantity: 2 }] }, key);
    expect(different.status).toBe(409);
    expect(different.body.error).toBe('conflict');
  });

  it('is cancelled before confirmation and then refuses to confirm', async () => {
    const { key, tenantId } = await stack.dealer();
    const { pssOrderId, body } = await helmetOrder();
    await stack.api('POST', '/v1/dropships', body, key);
    expect((await stack.api('POST', `/v1/dropships/${pssOrderId}/cancel`, { reason: 'buyer cancelled' }, key)).status).toBe(202);
    await stack.waitForDropship(key, pssOrderId, (x) => x.status === 'cancelled', 'cancelled');
    const confirm = await stack.api('POST', `/v1/dropships/${pssOrderId}/confirm`, { confirmedBy: 'x' }, key);
    expect(confirm.status).toBe(409);
    expect(await stack.simOrders('wps', purchaseOrderNumber(tenantId, pssOrderId, 'wps', 1))).toHaveLength(0);
    const pos = await stack.api('GET', `/v1/purchase-orders?pssOrderId=${pssOrderId}`, undefined, key);
    expect(pos.body.items).toEqual([]);
  });

  it('places a swapped line with the distributor the dealer chose', async () => {
    const { key } = await stack.dealer();
    const { pssOrderId, body } = await helmetOrder();
    await stack.api('POST', '/v1/dropships', body, key);
    const bad = await stack.api('POST', `/v1/dropships/${pssOrderId}/confirm`, { confirmedBy: 'x', lines: [{ lineId: 'L1', distributor: 'automatic' }] }, key);
    expect(bad.status).toBe(422);
    const [po] = await confirmAndGetPo(key, pssOrderId, [{ lineId: 'L1', distributor: 'parts-unlimited' }]);
    expect(po).toMatchObject({ distributor: 'parts-unlimited', status: 'submitted' });
    expect(po.poNumber).toMatch(/-P1$/);
    expect(await stack.simOrders('parts-unlimited', po.poNumber)).toHaveLength(1);
    expect(await stack.simOrders('wps', po.poNumber.replace(/-P1$/, '-W1'))).toHaveLength(0);
  });

  it('parks a Tax ID refusal for a person, and a retry completes it with one order', async () => {
    const { key } = await stack.dealer();
    await stack.sim('wps', 'POST', '/__control/accounts', { credentials: { apiToken: 'demoWpsToken0000000000000000000000000001' }, flags: { taxIdOnFile: false } });
    try {
      const { pssOrderId, body } = await helmetOrder();
      await stack.api('POST', '/v1/dropships', body, key);
      const [po] = await confirmAndGetPo(key, pssOrderId);
      expect(po.status).toBe('needs_attention');
      expect(po.error.code).toBe('account_setup_required');
      expect(po.error.message).toMatch(/Tax ID/);
      const d = await stack.api('GET', `/v1/dropships/${pssOrderId}`, undefined, key);
      expect(d.body.status).toBe('needs_attention');
      const detail = await stack.api('GET', `/v1/purchase-orders/${po.poNumber}`, undefined, key);
      expect(detail.body.error.code).toBe('account_setup_required');

      await stack.sim('wps', 'POST', '/__control/accounts', { credentials: { apiToken: 'demoWpsToken0000000000000000000000000001' }, flags: { taxIdOnFile: true } });
      expect((await stack.api('POST', `/v1/purchase-orders/${po.poNumber}/retry`, {}, key)).status).toBe(202);
      const submitted = await stack.waitForDropship(key, pssOrderId, (x) => x.status === 'submitted', 'submitted after retry');
      expect(submitted.purchaseOrders[0].poNumber).toBe(po.poNumber);
      await stack.sim('wps', 'POST', `/__control/orders/${po.poNumber}/ship`, { carrier: 'UP2D', trackingNumber: '1Z999AA10000000001' });
      await stack.waitForDropship(key, pssOrderId, (x) => x.status === 'completed', 'completed');
      expect(await stack.simOrders('wps', po.poNumber)).toHaveLength(1);
      expect((await stack.api('POST', `/v1/purchase-orders/${po.poNumber}/retry`, {}, key)).status).toBe(409);
    } finally {
      await stack.sim('wps', 'POST', '/__control/accounts', { credentials: { apiToken: 'demoWpsToken0000000000000000000000000001' }, flags: { taxIdOnFile: true } });
    }
  });

  it('can be cancelled once every PO waits for a person, but not while a PO is placed', async () => {
    const { key } = await stack.dealer();
    const placed = await helmetOrder();
    await stack.api('POST', '/v1/dropships', placed.body, key);
    await confirmAndGetPo(key, placed.pssOrderId);
    expect((await stack.api('POST', `/v1/dropships/${placed.pssOrderId}/cancel`, { reason: 'too late' }, key)).status).toBe(409);

    await stack.sim('wps', 'POST', '/__control/accounts', { credentials: { apiToken: 'demoWpsToken0000000000000000000000000001' }, flags: { taxIdOnFile: false } });
    try {
      const { pssOrderId, body } = await helmetOrder();
      await stack.api('POST', '/v1/dropships', body, key);
      const [po] = await confirmAndGetPo(key, pssOrderId);
      expect(po.status).toBe('needs_attention');
      expect((await stack.api('POST', `/v1/dropships/${pssOrderId}/cancel`, { reason: 'dealer gave up' }, key)).status).toBe(202);
      const d = await stack.waitForDropship(key, pssOrderId, (x) => x.status === 'cancelled', 'cancelled');
      expect(d.purchaseOrders[0].status).toBe('cancelled');
      const row = await stack.api('GET', `/v1/purchase-orders/${po.poNumber}`, undefined, key);
      expect(row.body.status).toBe('cancelled');
      expect(await stack.simOrders('wps', po.poNumber)).toHaveLength(0);
    } finally {
      await stack.sim('wps', 'POST', '/__control/accounts', { credentials: { apiToken: 'demoWpsToken0000000000000000000000000001' }, flags: { taxIdOnFile: true } });
    }
  });

  it('rides out three 5xx answers and places the order once', async () => {
    const { key } = await stack.dealer();
    const { pssOrderId, body } = await helmetOrder();
    await stack.api('POST', '/v1/dropships', body, key);
    await stack.sim('wps', 'DELETE', '/__control/requests');
    await stack.sim('wps', 'POST', '/__control/faults', { type: 'status', status: 503, method: 'POST', pathPrefix: '/orders', times: 3 });
    const [po] = await confirmAndGetPo(key, pssOrderId);
    expect(po.status).toBe('submitted');
    expect(await stack.simOrders('wps', po.poNumber)).toHaveLength(1);
    // the refused calls were answered before their bodies were read; only this test sends here
    const orderPosts = (await stack.sim('wps', 'GET', '/__control/requests')).body.requests.filter((r: any) => r.method === 'POST' && r.path === '/orders');
    expect(orderPosts).toHaveLength(4);
  });

  it('resolves a lost acknowledgement by looking the PO up: exactly one order', async () => {
    const { key } = await stack.dealer();
    const { pssOrderId, body } = await helmetOrder();
    await stack.api('POST', '/v1/dropships', body, key);
    await stack.sim('wps', 'POST', '/__control/faults', { type: 'lost_ack', method: 'POST', pathPrefix: '/orders', times: 1 });
    const [po] = await confirmAndGetPo(key, pssOrderId);
    expect(po.status).toBe('submitted');
    expect(await stack.simOrders('wps', po.poNumber)).toHaveLength(1);
    const detail = await stack.api('GET', `/v1/purchase-orders/${po.poNumber}`, undefined, key);
    expect(detail.body.attempts.map((a: any) => a.outcome)).toEqual(['failed', 'found_existing']);
  });

  it('counts a duplicate eBay upload as done', async () => {
    const { key } = await stack.dealer();
    const { pssOrderId, orderId, body } = await helmetOrder();
    await stack.api('POST', '/v1/dropships', body, key);
    const [po] = await confirmAndGetPo(key, pssOrderId);
    // someone already uploaded this tracking number on eBay by hand
    const manual = await fetch(`${stack.sims.ebay.url}/sell/fulfillment/v1/order/${orderId}/shipping_fulfillment`, {
      method: 'POST',
      headers: { authorization: 'Bearer demo-ebay-user-token-0001', 'content-type': 'application/json' },
      body: JSON.stringify({ lineItems: [{ lineItemId: `${pssOrderId}-1`, quantity: 1 }], shippingCarrierCode: 'UPS', trackingNumber: '1Z999AA10000000002' }),
    });
    expect(manual.status).toBe(201);
    await stack.sim('wps', 'POST', `/__control/orders/${po.poNumber}/ship`, { carrier: 'UP2D', trackingNumber: '1Z999AA10000000002' });
    const done = await stack.waitForDropship(key, pssOrderId, (x) => x.status === 'completed', 'completed');
    expect(done.uploads).toEqual([expect.objectContaining({ status: 'confirmed', outcome: 'already_uploaded' })]);
    expect(await ebayFulfillments(orderId)).toHaveLength(1);
  });

  it('uploads each tracking number of a partial shipment as it appears', async () => {
    const { key } = await stack.dealer();
    const { pssOrderId, orderId, body } = await helmetOrder(2);
    await stack.api('POST', '/v1/dropships', body, key);
    const [po] = await confirmAndGetPo(key, pssOrderId);
    await stack.sim('wps', 'POST', `/__control/orders/${po.poNumber}/ship`, { lines: [{ sku: '72-0500M', quantity: 1 }], carrier: 'UP2D', trackingNumber: '1Z999AA1PART00001' });
    const partial = await stack.waitForDropship(key, pssOrderId, (x) => x.status === 'partially_shipped' && x.uploads.some((u: any) => u.status === 'confirmed'), 'partially shipped');
    expect(partial.purchaseOrders[0].lines[0].shippedQuantity).toBe(1);
    expect(await ebayFulfillments(orderId)).toHaveLength(1);
    await stack.sim('wps', 'POST', `/__control/orders/${po.poNumber}/ship`, { carrier: 'FE2D', trackingNumber: '770000000002' });
    const done = await stack.waitForDropship(key, pssOrderId, (x) => x.status === 'completed', 'completed');
    expect(done.uploads.map((u: any) => [u.trackingNumber, u.carrier])).toEqual([
      ['1Z999AA1PART00001', 'UPS'],
      ['770000000002', 'FedEx'],
    ]);
    const fs = await ebayFulfillments(orderId);
    expect(fs.map((f: any) => [f.shipmentTrackingNumber, f.shippingCarrierCode, f.lineItems[0].quantity])).toEqual([
      ['1Z999AA1PART00001', 'UPS', 1],
      ['770000000002', 'FedEx', 1],
    ]);
  });
});

describe('a long wait for tracking', () => {
  it('continues as new when Temporal suggests it and still completes', async () => {
    const { key, tenantId } = await stack.dealer();
    const { pssOrderId, body } = await helmetOrder();
    await stack.api('POST', '/v1/dropships', body, key);
    const [po] = await confirmAndGetPo(key, pssOrderId);
    const handle = stack.client.workflow.getHandle(dropshipWorkflowId(tenantId, pssOrderId));
    const firstRun = (await handle.describe()).runId;
    // The test server suggests continue-as-new after 150 events. Its account's reader follows the
    // PO, so the dropship only reads it when told to: each checkTracking adds a handful of events.
    const deadline = Date.now() + 150_000;
    while ((await handle.describe()).runId === firstRun) {
      if (Date.now() > deadline) throw new Error('never continued as new');
      await handle.signal(checkTrackingSignal);
      await new Promise((r) => setTimeout(r, 300));
    }
    const carried = await stack.api('GET', `/v1/dropships/${pssOrderId}`, undefined, key);
    expect(carried.body).toMatchObject({ status: 'submitted', confirmedBy: 'tester', purchaseOrders: [{ poNumber: po.poNumber, status: 'submitted' }] });
    await stack.sim('wps', 'POST', `/__control/orders/${po.poNumber}/ship`, { carrier: 'UP2D', trackingNumber: '1Z999AACAN000001' });
    await stack.waitForDropship(key, pssOrderId, (x) => x.status === 'completed', 'completed after continue-as-new');
    expect(await stack.simOrders('wps', po.poNumber)).toHaveLength(1);
  });
});
