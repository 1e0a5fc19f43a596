// The outside world of a chaos run: every distributor and marketplace simulator, in this process
// (they are not crashed), on 127.0.0.1. The run watches them through their control routes, the
// way a person would look at the distributor's and eBay's own records.
import { DEMO_CATALOG } from '../demo';
import { distributorSimulators, marketplaceSimulators, type RunnableSimulator } from '../../simulators/registry';
import { send, sleep, type Answer } from './http';

export const DISTRIBUTORS = Object.keys(distributorSimulators);

/** Enough stock that hundreds of dropships never run a warehouse dry. */
export const CHAOS_STOCK = 100_000;

/**
 * Sandbox-only credentials of the run's n-th dealer. Every dealer has accounts of its own, as real
 * dealers do, so each has its own request cap at each distributor.
 */
export function dealerCredentials(n: number) {
  return {
    wps: { apiToken: `chaosWpsToken${String(n).padStart(27, '0')}` },
    'parts-unlimited': { dealerNumber: `CHAOS${n}`, apiKey: `chaos-pu-api-key-${n}` },
    'tucker-rocky': { customerNumber: String(910_000 + n), apiKey: `CHAOSTUCKERKEY${n}` },
    automatic: { apiToken: `chaos-automatic-token-${n}` },
    ebay: { accessToken: `chaos-ebay-user-token-${n}` },
  };
}

export type DealerCredentials = ReturnType<typeof dealerCredentials>;

export interface SimShipment {
  trackingNumber: string;
  carrier: string;
  lines: { sku: string; quantity: number }[];
}

/** One order as a distributor simulator lists it (the fields every one of them has). */
export interface SimOrder {
  poNumber: string;
  orderId: string;
  lines: { sku: string; quantity: number }[];
  shipments: SimShipment[];
}

export interface EbayFulfillment {
  fulfillmentId: string;
  shipmentTrackingNumber?: string;
  lineItems: { lineItemId: string; quantity: number }[];
}

export interface EbayOrder {
  orderId: string;
  fulfillments: EbayFulfillment[];
}

export interface Snapshot {
  /** Distributor code → every order it holds. */
  orders: Record<string, SimOrder[]>;
  ebay: EbayOrder[];
  takenAt: number;
}

export function ordersFor(s: Snapshot, distributor: string, poNumber: string): SimOrder[] {
  return s.orders[distributor].filter((o) => o.poNumber === poNumber);
}

export function uploadedTracking(s: Snapshot, ebayOrderId: string): Set<string> {
  const order = s.ebay.find((o) => o.orderId === ebayOrderId);
  return new Set((order?.fulfillments ?? []).map((f) => f.shipmentTrackingNumber ?? f.fulfillmentId));
}

export class Sandbox {
  readonly urls: Record<string, string> = {};
  private readonly sims: RunnableSimulator[] = [];
  private pending?: Promise<Snapshot>;

  /** How often watchers may re-read the simulators (they share one read per interval). */
  constructor(private readonly refreshMs = 500) {}

  async start(): Promise<this> {
    for (const [code, s] of Object.entries({ ...distributorSimulators, ...marketplaceSimulators })) {
      const sim = s.create(0);
      this.sims.push(sim);
      this.urls[code] = await sim.listen(0);
    }
    for (const item of DEMO_CATALOG) {
      for (const o of item.offers) {
        const warehouses = Object.fromEntries(Object.keys(o.warehouses).map((w) => [w, CHAOS_STOCK]));
        await this.must('PUT', o.distributor, `/__control/items/${encodeURIComponent(o.distributorSku)}`, { price: o.unitCost, dropShipFee: o.dropshipFee, warehouses });
      }
    }
    return this;
  }

  /** Opens the n-th dealer's accounts at every distributor and at eBay. */
  async openAccounts(n: number): Promise<DealerCredentials> {
    const credentials = dealerCredentials(n);
    for (const code of DISTRIBUTORS) await this.must('POST', code, '/__control/accounts', { credentials: credentials[code as keyof DealerCredentials] });
    await this.must('POST', 'ebay', '/__control/tokens', { token: credentials.ebay.accessToken });
    return credentials;
  }

  async close(): Promise<void> {
    await Promise.all(this.sims.map((s) => s.close()));
  }

  /** A control call (never faulted: faults apply to the API routes only). */
  control<T = any>(method: string, code: string, path: string, body?: unknown): Promise<Answer<T>> {
    return send<T>(method, `${this.urls[code]}${path}`, { body });
  }

  async must<T = any>(method: string, code: string, path: string, body?: unknown): Promise<T> {
    const a = await this.control<T>(method, code, path, body);
    if (a.status < 200 || a.status >= 300) throw new Error(`${code} ${method} ${path} → ${a.status} ${JSON.stringify(a.body)}`);
    return a.body;
  }

  async snapshot(): Promise<Snapshot> {
    const orders: Record<string, SimOrder[]> = {};
    for (const code of DISTRIBUTORS) orders[code] = (await this.must<{ orders: SimOrder[] }>('GET', code, '/__control/orders')).orders;
    const ebay = (await this.must<{ orders: EbayOrder[] }>('GET', 'ebay', '/__control/orders')).orders;
    return { orders, ebay, takenAt: Date.now() };
  }

  /** A snapshot taken after this call; every caller in the same interval shares it. */
  fresh(): Promise<Snapshot> {
    this.pending ??= sleep(this.refreshMs)
      .then(() => this.snapshot())
      .finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** Re-reads the simulators until `fn` finds something, or the deadline passes or `stop` says so (undefined). */
  async until<T>(deadline: number, fn: (s: Snapshot) => T | undefined | false, stop: () => boolean = () => false): Promise<T | undefined> {
    while (Date.now() < deadline && !stop()) {
      const v = fn(await this.fresh());
      if (v !== undefined && v !== false) return v;
    }
    return undefined;
  }
}
