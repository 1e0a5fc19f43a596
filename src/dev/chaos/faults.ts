// The chaos itself: faults injected into the simulators (5xx, throttling, slow answers, and writes
// that commit but never answer) and crashes of the engine's own processes on a timeline.
import type { Fault, FaultType } from '../../simulators/harness';
import { sleep } from './http';
import type { Random } from './random';
import type { Sandbox } from './sandbox';
import type { ChaosProcess, ProcessName } from './supervisor';

/** The request at each API that places an order or uploads tracking: where a lost answer hurts. */
export const WRITE_REQUESTS: Record<string, Pick<Fault, 'method' | 'pathPrefix' | 'pathPattern' | 'query'>> = {
  wps: { method: 'POST', pathPattern: '^/orders$' },
  'parts-unlimited': { method: 'POST', pathPattern: '^/api(/v2)?/orders/dropship$' },
  'tucker-rocky': { method: 'GET', pathPrefix: '/bin/trws', query: { type: 'ORD', submit: 'YES' } },
  automatic: { method: 'POST', pathPrefix: '/order/create' },
  ebay: { method: 'POST', pathPattern: '/shipping_fulfillment$' },
};

/**
 * Tucker cannot look an order up by PO, so after a lost answer to an order the engine cannot tell
 * whether it was placed; by design it then waits for a person instead of risking a second order.
 */
export const LOST_ANSWER_NEEDS_A_PERSON = ['tucker-rocky'];

/** Faults waiting at one simulator before the plan adds another there (pending ones apply to the next match). */
const MAX_PENDING = 2;

export interface FaultStats {
  injected: number;
  byType: Partial<Record<FaultType, number>>;
  bySimulator: Record<string, number>;
}

/** One fault for one simulator, drawn from the mix the run wants. */
export function drawFault(random: Random, code: string, lostAnswersAtTucker: boolean): Fault {
  const drawn = random.weighted<FaultType>({ status: 35, throttle: 25, lost_ack: 15, reset_after_commit: 10, slow: 15 });
  const lostAnswer = drawn === 'lost_ack' || drawn === 'reset_after_commit';
  const type = lostAnswer && !lostAnswersAtTucker && LOST_ANSWER_NEEDS_A_PERSON.includes(code) ? 'status' : drawn;
  switch (type) {
    case 'status':
      return { type, status: random.pick([500, 502, 503]), times: random.int(1, 2), ...(random.next() < 0.5 ? WRITE_REQUESTS[code] : {}) };
    case 'throttle':
      return { type, retryAfterSeconds: random.int(1, 2), times: random.int(1, 2) };
    case 'slow':
      // below every client timeout: a late answer, not a late commit after the client gave up
      return { type, delayMs: random.int(500, 3000), times: random.int(1, 2) };
    case 'lost_ack':
    case 'reset_after_commit':
      return { type, times: 1, ...WRITE_REQUESTS[code] };
  }
}

/** Adds a fault to a random simulator every `everyMs` until `stopAt` (or an abort), then clears them all. */
export async function runFaultPlan(
  sandbox: Sandbox,
  random: Random,
  plan: { everyMs: number; stopAt: number; lostAnswersAtTucker: boolean },
  signal: AbortSignal,
): Promise<FaultStats> {
  const { everyMs, stopAt } = plan;
  const stats: FaultStats = { injected: 0, byType: {}, bySimulator: {} };
  const codes = Object.keys(sandbox.urls);
  while (Date.now() + everyMs < stopAt) {
    await sleep(everyMs);
    if (signal.aborted) return stats;
    const code = random.pick(codes);
    const fault = drawFault(random, code, plan.lostAnswersAtTucker);
    const pending = await sandbox.control<{ faults: unknown[] }>('GET', code, '/__control/faults');
    if ((pending.body?.faults?.length ?? MAX_PENDING) >= MAX_PENDING) continue;
    await sandbox.must('POST', code, '/__control/faults', fault);
    stats.injected += 1;
    stats.byType[fault.type] = (stats.byType[fault.type] ?? 0) + 1;
    stats.bySimulator[code] = (stats.bySimulator[code] ?? 0) + 1;
  }
  for (const code of codes) await sandbox.must('DELETE', code, '/__control/faults');
  return stats;
}

export interface KillRecord {
  process: ProcessName;
  /** When it was killed (ISO). */
  at: string;
  /** Dropships started and not yet completed at that moment. */
  dropshipsInFlight: number;
  /** How long it stayed down before it was started again. */
  downMs: number;
  /** From the kill until it served again. */
  backAfterMs: number;
}

/**
 * Kills each process `rounds` times (in a seeded random order per round), spread evenly between
 * `startAt` and `stopAt`, each when a dropship is in flight (unless the load is over); each stays down 1–4 s, is started
 * again and serves before the next kill. Stops early once `signal` aborts.
 */
export async function runKillPlan(
  processes: ChaosProcess[],
  random: Random,
  rounds: number,
  startAt: number,
  stopAt: number,
  signal: AbortSignal,
  load: { inFlight(): number; finished(): boolean },
): Promise<KillRecord[]> {
  const order = Array.from({ length: rounds }, () => random.shuffle(processes)).flat();
  const spacing = (stopAt - startAt) / Math.max(1, order.length);
  const kills: KillRecord[] = [];
  for (const [i, p] of order.entries()) {
    await sleep(startAt + (i + 0.5) * spacing - Date.now());
    while (load.inFlight() === 0 && !load.finished() && !signal.aborted) await sleep(100);
    if (signal.aborted) break;
    const at = Date.now();
    const dropshipsInFlight = load.inFlight();
    await p.crash();
    const downMs = random.int(1000, 4000);
    await sleep(downMs);
    // the run is being torn down: starting it again would leave it running
    if (signal.aborted) break;
    await p.start();
    kills.push({ process: p.name, at: new Date(at).toISOString(), dropshipsInFlight, downMs, backAfterMs: Date.now() - at });
  }
  return kills;
}
