// What the simulators saw, read off their request recordings as they arrive: when each PO was
// ordered at WPS, when each tracking number reached eBay, and how many calls each got. The
// recordings are drained as they are read, so a long run does not keep them all.
import type { RecordedRequest } from '../src/simulators/harness';

interface Recorder {
  harness: { requests: RecordedRequest[] };
}

/** Epoch ms at which each key was seen, and who waits for which key. */
class Arrivals {
  private readonly seen = new Map<string, number>();
  private readonly waiting = new Map<string, ((at: number) => void)[]>();

  add(key: string, at: number): void {
    if (this.seen.has(key)) return;
    this.seen.set(key, at);
    for (const resolve of this.waiting.get(key) ?? []) resolve(at);
    this.waiting.delete(key);
  }

  /** Resolves with the arrival time; rejects after `timeoutMs`. */
  wait(key: string, timeoutMs: number, what: string): Promise<number> {
    const at = this.seen.get(key);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what} ${key} not seen within ${timeoutMs} ms`)), timeoutMs);
      const done = (t: number) => {
        clearTimeout(timer);
        resolve(t);
      };
      this.waiting.set(key, [...(this.waiting.get(key) ?? []), done]);
    });
  }

  count(): number {
    return this.seen.size;
  }
}

export class SimulatorTap {
  /** PO number → when WPS received the order (POST /orders). */
  readonly ordered = new Arrivals();
  /** eBay order id → when its first shipping fulfillment arrived. */
  readonly uploaded = new Arrivals();
  /** Calls to the WPS API so far (control routes are not recorded). */
  wpsCalls = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly wps: Recorder,
    private readonly ebay: Recorder,
    everyMs = 10,
  ) {
    this.timer = setInterval(() => this.drain(), everyMs);
  }

  drain(): void {
    const requests = this.wps.harness.requests;
    // a request is recorded on arrival and its body attached once parsed: an order whose body is
    // not there yet is read at the next drain
    const unparsed: RecordedRequest[] = [];
    for (const r of requests.splice(0)) {
      if (r.method === 'POST' && r.body === undefined && Date.now() - Date.parse(r.at) < 1000) {
        unparsed.push(r);
        continue;
      }
      this.wpsCalls++;
      const po = (r.body as { po_number?: unknown } | undefined)?.po_number;
      if (r.method === 'POST' && r.path === '/orders' && typeof po === 'string') this.ordered.add(po, Date.parse(r.at));
    }
    requests.unshift(...unparsed);
    for (const r of this.ebay.harness.requests.splice(0)) {
      const m = r.method === 'POST' && r.path.match(/\/order\/([^/]+)\/shipping_fulfillment$/);
      if (m) this.uploaded.add(decodeURIComponent(m[1]), Date.parse(r.at));
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
