// AccountTrackingWorkflow: reads the tracking of every open PO of one dealer account at one
// distributor in one go per interval, and wakes only the dropships whose shipments changed. The
// place activity starts it (signal-with-start) when it places a PO; once a read finds nothing open
// it waits for the next PO and ends when none comes for a while (runs from before that read three
// times first); the next PO placed starts it again. The dropships keep their own per-PO read as a
// fallback at a long interval, so a missed read delays tracking, never loses it.
import { condition, continueAsNew, patched, proxyActivities, setCurrentDetails, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { TrackingActivities } from '../activities/tracking';
import { DISTRIBUTOR_REFUSAL, followAccountSignal, type AccountTrackingInput } from './messages';

// A failed read is tried again briefly; after that the next interval reads again anyway.
const { readAccountTracking } = proxyActivities<TrackingActivities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: '30s',
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: [DISTRIBUTOR_REFUSAL] },
});

/** Reads in a row with nothing open before the workflow ends (or intervals it waits for a PO, see below). */
const IDLE_READS_BEFORE_END = 3;
/** Marks readers that, with nothing open, wait for the next PO placed instead of reading an empty account. */
export const IDLE_WAIT_PATCH = 'reader-waits-when-idle';

export async function AccountTrackingWorkflow(input: AccountTrackingInput): Promise<void> {
  let intervalMs = input.intervalMs;
  let idle = input.idleReads ?? 0;
  let placedSignals = input.placedSignals ?? 0;
  // A newly placed PO keeps the reader going, even when it arrives as the reader decides to end.
  setHandler(followAccountSignal, (s) => {
    intervalMs = s.intervalMs;
    idle = 0;
    placedSignals++;
  });
  setCurrentDetails(`**Reading** tracking for dealer ${input.tenantId} at ${input.distributor} every ${intervalMs} ms`);
  while (idle < IDLE_READS_BEFORE_END) {
    // Nothing was open at the last read: only a PO placed since (its signal resets `idle`) gives the
    // next read something to find, so wait for one, and end when none comes for a few intervals.
    if (idle > 0 && patched(IDLE_WAIT_PATCH) && !(await condition(() => idle === 0, intervalMs * (IDLE_READS_BEFORE_END - 1)))) break;
    await sleep(intervalMs);
    try {
      const signalsBefore = placedSignals;
      const r = await readAccountTracking({ tenantId: input.tenantId, distributor: input.distributor, intervalMs, placedSignals });
      // a PO placed during the read may not have been in it: not idle then
      idle = r.open === 0 && (placedSignals === signalsBefore || !patched(IDLE_WAIT_PATCH)) ? idle + 1 : 0;
      setCurrentDetails(
        `**Reading** tracking for dealer ${input.tenantId} at ${input.distributor} every ${intervalMs} ms\n` +
          `**Last read** ${new Date().toISOString()}: ${r.open} open POs, ${r.calls} calls, ${r.changed} dropships woken`,
      );
    } catch (err) {
      setCurrentDetails(`**Reading** tracking for dealer ${input.tenantId} at ${input.distributor}\n**Last read failed** ${(err as Error).message}`);
    }
    if (workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof AccountTrackingWorkflow>({ ...input, intervalMs, idleReads: idle, placedSignals });
    }
  }
}
