// Tracking read once per dealer account and distributor (workflows/account-tracking.ts), and the
// signal-with-start that keeps that reader going when a PO is placed.
//
// Idempotency: the read is read-only at the distributor; what it finds is sent to each dropship
// whose shipments changed, and a dropship ignores a tracking number it already has, so a read
// repeated (a retry, or before the dropship's mirror caught up) changes nothing twice.
import { Context, log } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { CredentialKey } from '../src/config';
import { distributorAdapterFor, type OpenedConnectionCache } from '../src/connections';
import type { Sql } from '../src/db';
import type { OrderToRead } from '../src/distributors/types';
import type { UrlPolicy } from '../src/outbound';
import { accountTrackingWorkflowId, DISTRIBUTOR_REFUSAL, dropshipWorkflowId, followAccountSignal, shipmentsFoundSignal, type AccountTrackingInput } from '../workflows/messages';
import { allocateShipments, asActivityFailure, withCallLog } from './index';

export interface TrackingActivityDeps {
  sql: Sql;
  credentialKeys: CredentialKey[];
  client: Client;
  urlPolicy?: UrlPolicy;
  connectionCache?: OpenedConnectionCache;
  upstreamTimeoutCapMs?: number;
}

interface OpenPo {
  po_number: string;
  pss_order_id: string;
  distributor_order_id: string | null;
  placed_at: string;
  lines: { lineId: string; sku: string; distributorSku: string; quantity: number; shipped: number }[];
  known: string[];
}

/**
 * Starts the account's tracking reader, or tells the running one a PO was placed. Signal-with-start
 * is idempotent: twice is one reader that was told twice.
 */
export async function followAccount(client: Client, taskQueue: string, input: AccountTrackingInput): Promise<void> {
  await client.workflow.signalWithStart('AccountTrackingWorkflow', {
    workflowId: accountTrackingWorkflowId(input.tenantId, input.distributor),
    taskQueue,
    args: [input],
    signal: followAccountSignal,
    signalArgs: [{ intervalMs: input.intervalMs }],
    staticSummary: `Tracking reader · ${input.distributor} · dealer ${input.tenantId}`,
  });
}

/** How many intervals a worker reads an account's open POs from memory before it asks Postgres again. */
export const OPEN_PO_REFRESH_INTERVALS = 10;

/**
 * The open POs of each account as this worker last read them, so a read that finds nothing new
 * costs no SELECT. The list belongs to one run of the reader, since a new run (started again, or
 * continued as new) counts its signals from its own start. A PO placed since (the count moved), a
 * new run, or a list older than OPEN_PO_REFRESH_INTERVALS reads Postgres again; POs a person cancelled meanwhile stay listed
 * until then, which only costs their share of the batched read (their dropship ignores them).
 */
class OpenPoMemory {
  private lists = new Map<string, { runId: string; placedSignals: number; at: number; open: OpenPo[] }>();
  get(key: string, runId: string, placedSignals: number, maxAgeMs: number, now: number): OpenPo[] | undefined {
    const e = this.lists.get(key);
    return e && e.runId === runId && e.placedSignals === placedSignals && now - e.at < maxAgeMs ? e.open : undefined;
  }
  set(key: string, runId: string, placedSignals: number, open: OpenPo[], now: number): void {
    this.lists.set(key, { runId, placedSignals, at: now, open });
  }
  /** The same list less the POs that shipped in full; it is as old as before. */
  keepOpen(key: string): void {
    const e = this.lists.get(key);
    if (e) e.open = e.open.filter((po) => po.lines.some((l) => l.shipped < l.quantity));
  }
}

export function createTrackingActivities(deps: TrackingActivityDeps, now = () => Date.now()) {
  const { sql } = deps;
  const memory = new OpenPoMemory();
  const readOpenPos = (tenantId: string, distributor: string) => sql<OpenPo[]>`
        SELECT po.po_number, po.pss_order_id, po.distributor_order_id,
               to_char(COALESCE(po.submit_started_at, po.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS placed_at,
               (SELECT json_agg(json_build_object('lineId', l.line_id, 'sku', l.sku, 'distributorSku', l.distributor_sku,
                                                  'quantity', l.quantity, 'shipped', l.shipped_quantity) ORDER BY l.line_id)
                  FROM purchase_order_lines l WHERE l.po_number = po.po_number) AS lines,
               (SELECT COALESCE(json_agg(s.tracking_number), '[]'::json) FROM shipments s WHERE s.po_number = po.po_number) AS known
        FROM purchase_orders po
        WHERE po.tenant_id = ${tenantId} AND po.distributor = ${distributor}
          -- a PO placed a moment ago may still be mirrored as submitting; its order id says it is placed
          AND (po.status IN ('submitted', 'partially_shipped') OR (po.status = 'submitting' AND po.distributor_order_id IS NOT NULL))
          AND NOT po.shipped`;
  return {
    /**
     * Reads every open PO of the account with the adapter's batched read and signals the dropships
     * whose POs have a new tracking number or shipped quantity. A few distributor calls per account,
     * whatever the number of POs, and a SELECT only when a PO was placed since the last one (or the
     * remembered list is old, see OpenPoMemory); nothing per PO that did not change.
     */
    async readAccountTracking(input: { tenantId: string; distributor: string; intervalMs?: number; placedSignals?: number }): Promise<{ open: number; calls: number; changed: number }> {
      const key = `${input.tenantId}\u0000${input.distributor}`;
      const signals = input.placedSignals ?? 0;
      const runId = Context.current().info.workflowExecution?.runId ?? '';
      const remembered = input.intervalMs === undefined ? undefined : memory.get(key, runId, signals, input.intervalMs * OPEN_PO_REFRESH_INTERVALS, now());
      const open = remembered ?? [...(await readOpenPos(input.tenantId, input.distributor))];
      if (!remembered) memory.set(key, runId, signals, open, now());
      if (open.length === 0) return { open: 0, calls: 0, changed: 0 };

      const found = await withCallLog({ sql, urlPolicy: deps.urlPolicy, timeoutCapMs: deps.upstreamTimeoutCapMs }, { tenantId: input.tenantId, operation: 'tracking_account' }, async (calls) => {
        try {
          const adapter = await distributorAdapterFor({ sql, keys: deps.credentialKeys, http: calls.http, cache: deps.connectionCache }, input.tenantId, input.distributor);
          // A distributor without a batched read is left to each dropship's own read.
          if (!adapter.findOrders) return undefined;
          const orders: OrderToRead[] = open.map((p) => ({ poNumber: p.po_number, placedAt: p.placed_at, ...(p.distributor_order_id ? { distributorOrderId: p.distributor_order_id } : {}) }));
          return { orders: await adapter.findOrders(orders), calls: calls.count() };
        } catch (err) {
          throw asActivityFailure(err, DISTRIBUTOR_REFUSAL);
        }
      });
      if (!found) return { open: open.length, calls: 0, changed: 0 };

      let changed = 0;
      for (const po of open) {
        const order = found.orders.get(po.po_number);
        if (!order) continue;
        const allocated = allocateShipments(po.lines, order.shipments);
        const newTracking = allocated.shipments.some((s) => !po.known.includes(s.trackingNumber));
        const moreShipped = po.lines.some((l) => (allocated.shippedQuantities[l.lineId] ?? 0) > l.shipped);
        if (!newTracking && !moreShipped) continue;
        changed++;
        // What this worker remembers moves on with what it sent; a PO shipped in full is no longer open.
        po.known = [...new Set([...po.known, ...allocated.shipments.map((s) => s.trackingNumber)])];
        for (const l of po.lines) l.shipped = allocated.shippedQuantities[l.lineId] ?? l.shipped;
        try {
          await deps.client.workflow.getHandle(dropshipWorkflowId(input.tenantId, po.pss_order_id)).signal(shipmentsFoundSignal, { poNumber: po.po_number, ...allocated });
        } catch (err) {
          // A dropship that has closed meanwhile (cancelled, or finished by its own read) needs nothing.
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          log.info('dropship closed before its shipments arrived', { poNumber: po.po_number, pssOrderId: po.pss_order_id });
        }
      }
      if (changed) memory.keepOpen(key);
      return { open: open.length, calls: found.calls, changed };
    },
  };
}

export type TrackingActivities = ReturnType<typeof createTrackingActivities>;
