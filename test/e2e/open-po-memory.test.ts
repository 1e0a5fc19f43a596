// The account tracking read remembers the account's open POs: a read that finds nothing new asks
// Postgres nothing about them; a PO placed since, or an old list, reads them again.
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Client } from '@temporalio/client';
import { createActivities } from '../../activities';
import { createTrackingActivities, OPEN_PO_REFRESH_INTERVALS } from '../../activities/tracking';
import type { Sql } from '../../src/db';
import { wpsOrderInput } from '../support/purchase-orders';
import { Stack, TEST_KEYS } from '../support/stack';

jest.setTimeout(120_000);

const stack = new Stack({ noWorker: true });
let tenantId: string;
beforeAll(async () => {
  await stack.start();
  ({ tenantId } = await stack.dealer({ connect: ['wps'] }));
});
afterAll(() => stack.stop());

/** The stack's pool, counting the statements that list an account's open POs. */
function countingSql(): { sql: Sql; openPoReads: () => number } {
  let n = 0;
  const sql = new Proxy(stack.sql, {
    apply(target, thisArg, args: unknown[]) {
      if (Array.isArray(args[0]) && (args[0] as string[]).join('').includes('FROM purchase_orders po')) n++;
      return Reflect.apply(target as never, thisArg, args);
    },
  });
  return { sql, openPoReads: () => n };
}

const env = (runId = 'run-1') => new MockActivityEnvironment({ attempt: 1, activityId: '1', workflowExecution: { workflowId: 'tracking:test', runId } } as never);

const order = () => wpsOrderInput(tenantId, 'MEM');

it('reads the open POs from Postgres only when a PO was placed since or the list is old', async () => {
  const place = createActivities({ sql: stack.sql, credentialKeys: TEST_KEYS }).placePurchaseOrder;
  const first = order();
  await env().run(place, first);
  // placed a moment ago: its mirror may still say submitting, its order id says placed
  expect((await stack.sql`SELECT status, distributor_order_id FROM purchase_orders WHERE po_number = ${first.poNumber}`)[0]).toMatchObject({ status: 'submitting' });

  const signals: unknown[] = [];
  const client = { workflow: { getHandle: () => ({ signal: async (_s: unknown, arg: unknown) => void signals.push(arg) }) } } as unknown as Client;
  const { sql, openPoReads } = countingSql();
  let now = 1_000_000;
  const reader = createTrackingActivities({ sql, credentialKeys: TEST_KEYS, client }, () => now);
  const read = (placedSignals: number) => env().run(reader.readAccountTracking, { tenantId, distributor: 'wps', intervalMs: 1000, placedSignals });

  expect(await read(1)).toMatchObject({ open: 1, changed: 0 });
  expect(await read(1)).toMatchObject({ open: 1, changed: 0 });
  expect(openPoReads()).toBe(1);

  const second = order();
  await env().run(place, second);
  expect(await read(2)).toMatchObject({ open: 2 });
  expect(openPoReads()).toBe(2);

  // Shipped: the dropship is told once, and the PO leaves the remembered list.
  await stack.sim('wps', 'POST', `/__control/orders/${first.poNumber}/ship`, { carrier: 'UP2D', trackingNumber: '1Z999AA10123459991' });
  expect(await read(2)).toMatchObject({ open: 2, changed: 1 });
  expect(signals).toEqual([expect.objectContaining({ poNumber: first.poNumber })]);
  expect(await read(2)).toMatchObject({ open: 1, changed: 0 });
  expect(openPoReads()).toBe(2);

  now += 1000 * OPEN_PO_REFRESH_INTERVALS;
  await read(2);
  expect(openPoReads()).toBe(3);

  // A reader started again counts its signals from 0: the same count in a new run is not the same list.
  await env('run-2').run(reader.readAccountTracking, { tenantId, distributor: 'wps', intervalMs: 1000, placedSignals: 2 });
  expect(openPoReads()).toBe(4);
});
