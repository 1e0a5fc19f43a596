// The REST side of the workflow's decisions: confirm, cancel and retry answer with the workflow's
// own word; a create that died before starting its workflow is started by the repeated request;
// closed dropships answer from Postgres; Temporal out of reach is a 503, never a raw 500; a cancel
// after submission goes to the distributor (Automatic) and ends cancelled, or 409 not_cancellable.
import { buildApp, type ZodApp } from '../../src/api/app';
import { demoDropshipBody } from '../../src/dev/demo';
import { ebayOrder, Stack } from '../support/stack';

jest.setTimeout(180_000);

const stack = new Stack({ confirmationTimeoutMs: 60_000 });
let key: string;
beforeAll(async () => {
  await stack.start();
  ({ key } = await stack.dealer());
});
afterAll(() => stack.stop());

/** A second API process whose Temporal is unreachable (same Postgres). */
async function apiWithoutTemporal(): Promise<{ app: ZodApp; call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }> }> {
  const app = await buildApp({
    sql: stack.sql,
    config: stack.config,
    temporal: () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:1');
    },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    app,
    async call(method, path, body) {
      const r = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: r.status, body: await r.json() };
    },
  };
}

let seq = 0;
async function order(lines = [{ lineId: 'L2', marketplaceLineId: '10000000002', sku: 'BRAKE-PAD-EBC-FA196HH', quantity: 2 }]) {
  const b = demoDropshipBody(`DEC-${Date.now()}-${++seq}`);
  b.marketplace.orderId = await ebayOrder(stack, lines.map((l) => ({ lineItemId: l.marketplaceLineId, quantity: l.quantity })));
  b.lines = lines;
  return b;
}

it('starts the workflow on the repeated request when the first died before starting it (not 503 forever)', async () => {
  const b = await order();
  const down = await apiWithoutTemporal();
  try {
    const first = await down.call('POST', '/v1/dropships', b);
    expect(first.status).toBe(503);
    expect(first.body.error).toBe('temporal_unavailable');
    // the same request while Temporal is still down: still 503, the row is kept for the next try
    expect((await down.call('POST', '/v1/dropships', b)).status).toBe(503);
  } finally {
    await down.app.close();
  }
  const again = await stack.api('POST', '/v1/dropships', b, key);
  expect(again.status).toBe(200);
  expect(again.body.status).toBe('awaiting_confirmation');
  expect((await stack.api('POST', `/v1/dropships/${b.pssOrderId}/confirm`, { confirmedBy: 'ann' }, key)).status).toBe(202);
  await stack.waitForDropship(key, b.pssOrderId, (d) => d.status === 'submitted', 'submitted');
});

it('answers two confirms sent at once with one 202 and one 409, and a confirm while Temporal is down with 503', async () => {
  const b = await order();
  expect((await stack.api('POST', '/v1/dropships', b, key)).status).toBe(201);
  const down = await apiWithoutTemporal();
  try {
    const r = await down.call('POST', `/v1/dropships/${b.pssOrderId}/confirm`, { confirmedBy: 'ann' });
    expect(r.status).toBe(503);
    expect(r.body.error).toBe('temporal_unavailable');
  } finally {
    await down.app.close();
  }
  const [a, c] = await Promise.all([
    stack.api('POST', `/v1/dropships/${b.pssOrderId}/confirm`, { confirmedBy: 'ann' }, key),
    stack.api('POST', `/v1/dropships/${b.pssOrderId}/confirm`, { confirmedBy: 'bob' }, key),
  ]);
  expect([a.status, c.status].sort()).toEqual([202, 409]);
  const accepted = a.status === 202 ? a : c;
  expect(accepted.body).toMatchObject({ accepted: true, pssOrderId: b.pssOrderId, status: 'submitting' });
  expect((a.status === 409 ? a : c).body.error).toBe('conflict');
  const d = await stack.waitForDropship(key, b.pssOrderId, (x) => x.status === 'submitted', 'submitted');
  expect(d.purchaseOrders).toHaveLength(1);
});

it('refuses a swap to a distributor without an offer with 422 from the workflow', async () => {
  const b = await order();
  expect((await stack.api('POST', '/v1/dropships', b, key)).status).toBe(201);
  const r = await stack.api('POST', `/v1/dropships/${b.pssOrderId}/confirm`, { confirmedBy: 'ann', lines: [{ lineId: 'L2', distributor: 'parts-unlimited' }] }, key);
  expect(r.status).toBe(422);
  expect(r.body.error).toBe('not_dropshippable');
  expect((await stack.api('GET', `/v1/dropships/${b.pssOrderId}`, undefined, key)).body.status).toBe('awaiting_confirmation');
});

it('cancels a placed Automatic PO at Automatic: cancel_requested, then cancelled; the order is cancelled there', async () => {
  const b = await order();
  expect((await stack.api('POST', '/v1/dropships', b, key)).status).toBe(201);
  expect((await stack.api('POST', `/v1/dropships/${b.pssOrderId}/confirm`, { confirmedBy: 'ann', lines: [{ lineId: 'L2', distributor: 'automatic' }] }, key)).status).toBe(202);
  const placed = await stack.waitForDropship(key, b.pssOrderId, (d) => d.status === 'submitted', 'submitted');
  const po = placed.purchaseOrders[0];
  expect(po.distributor).toBe('automatic');
  const r = await stack.api('POST', `/v1/dropships/${b.pssOrderId}/cancel`, { reason: 'buyer cancelled' }, key);
  expect(r.status).toBe(202);
  expect(r.body).toMatchObject({ accepted: true, status: 'cancelled' });
  const [atAutomatic] = await stack.simOrders('automatic', po.poNumber);
  expect(atAutomatic.status).toBe('CANCELLED');
  const d = await stack.waitForDropship(key, b.pssOrderId, (x) => x.status === 'cancelled', 'cancelled');
  expect(d.events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['cancel_requested', 'po_cancelled', 'cancelled']));
  // closed: answered from Postgres even with Temporal unreachable, and later requests get 409
  const down = await apiWithoutTemporal();
  try {
    const g = await down.call('GET', `/v1/dropships/${b.pssOrderId}`);
    expect(g.status).toBe(200);
    expect(g.body).toMatchObject({ status: 'cancelled', purchaseOrders: [{ poNumber: po.poNumber, status: 'cancelled' }] });
  } finally {
    await down.app.close();
  }
  const late = await stack.api('POST', `/v1/dropships/${b.pssOrderId}/cancel`, { reason: 'again' }, key);
  expect(late.status).toBe(409);
  const [row] = await stack.sql`SELECT status FROM purchase_orders WHERE po_number = ${po.poNumber}`;
  expect(row.status).toBe('cancelled');
});

it("answers 409 not_cancellable with Automatic's reason once the order has shipped, and the dropship goes on", async () => {
  const b = await order();
  expect((await stack.api('POST', '/v1/dropships', b, key)).status).toBe(201);
  await stack.api('POST', `/v1/dropships/${b.pssOrderId}/confirm`, { confirmedBy: 'ann', lines: [{ lineId: 'L2', distributor: 'automatic' }] }, key);
  const placed = await stack.waitForDropship(key, b.pssOrderId, (d) => d.status === 'submitted', 'submitted');
  const po = placed.purchaseOrders[0];
  expect((await stack.sim('automatic', 'POST', `/__control/orders/${po.poNumber}/ship`, { lines: [{ sku: 'EBC-FA196HH', quantity: 1 }], trackingNumber: '1Z999AA10000000001' })).status).toBeLessThan(300);
  const r = await stack.api('POST', `/v1/dropships/${b.pssOrderId}/cancel`, { reason: 'too late' }, key);
  expect(r.status).toBe(409);
  expect(['not_cancellable']).toContain(r.body.error);
  const d = await stack.api('GET', `/v1/dropships/${b.pssOrderId}`, undefined, key);
  expect(['submitted', 'partially_shipped']).toContain(d.body.status);
});

it("lists the dealer's dropships newest first, filtered and paged; needs_attention is the inbox", async () => {
  const { key: own } = await stack.dealer();
  const made: string[] = [];
  for (let i = 0; i < 3; i++) {
    const b = await order();
    expect((await stack.api('POST', '/v1/dropships', b, own)).status).toBe(201);
    made.push(b.pssOrderId);
  }
  await stack.api('POST', `/v1/dropships/${made[0]}/confirm`, { confirmedBy: 'ann' }, own);
  await stack.waitForDropship(own, made[0], (d) => d.status === 'submitted', 'submitted');
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const r: { status: number; body: any } = await stack.api('GET', `/v1/dropships?limit=2${cursor ? `&cursor=${cursor}` : ''}`, undefined, own);
    expect(r.status).toBe(200);
    seen.push(...r.body.items.map((i: { pssOrderId: string }) => i.pssOrderId));
    cursor = r.body.nextCursor;
  } while (cursor);
  expect(seen).toEqual([...made].reverse());
  const submitted = await stack.api('GET', '/v1/dropships?status=submitted', undefined, own);
  expect(submitted.body.items).toEqual([
    expect.objectContaining({ pssOrderId: made[0], status: 'submitted', marketplace: expect.objectContaining({ code: 'ebay' }), distributors: ['tucker-rocky'], poNumbers: [expect.stringMatching(/^DS-/)] }),
  ]);
  const waiting = await stack.api('GET', '/v1/dropships?status=awaiting_confirmation&distributor=wps', undefined, own);
  expect(waiting.body.items).toEqual([]);
  expect((await stack.api('GET', '/v1/dropships?status=needs_attention', undefined, own)).body.items).toEqual([]);
  expect((await stack.api('GET', '/v1/dropships?status=lost', undefined, own)).status).toBe(400);
  expect((await stack.api('GET', '/v1/dropships?createdFrom=yesterday', undefined, own)).status).toBe(400);
  const later = await stack.api('GET', `/v1/dropships?createdFrom=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, undefined, own);
  expect(later.body.items).toEqual([]);
});
