// Temporal's floors, on the same server as the engine: workflows that do nothing but the steps.
// - sameStepsFloor: as many activities, local activities, timers, search-attribute upserts,
//   patches, updates and signals as one dropship's history shows, task by task (bench/shape.ts).
//   A timer that fired in the dropship fires here too, after as long (it is the dropship's wait
//   for its next tracking poll); one the dropship cancelled is cancelled here at the next step.
// - minimalFloor: start, one update (the confirm), three no-op activities (order, poll, upload).
import { CancellationScope, condition, defineSignal, defineUpdate, patched, proxyActivities, proxyLocalActivities, setHandler, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import { SA } from '../workflows/messages';
import type * as activities from './floor-activities';
import type { Step } from './shape';

// the same timeouts as the dropship's activities, so the server tracks the same timers for them
const remote = proxyActivities<typeof activities>({ startToCloseTimeout: '1m', heartbeatTimeout: '10s' });
const local = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '30s' });

export const floorConfirm = defineUpdate<void>('confirm');
export const floorSignal = defineSignal('checkTracking');

export async function sameStepsFloor(steps: Step[]): Promise<void> {
  let updates = 0;
  let signals = 0;
  setHandler(floorConfirm, () => void updates++);
  setHandler(floorSignal, () => void signals++);
  let wantUpdates = 0;
  let wantSignals = 0;
  let patchSeq = 0;
  // a dropship cancels a timer in a later task than the one that started it (the confirmation
  // timeout, when the confirm comes); started and cancelled in one task, it would leave no trace
  let timersToCancel: CancellationScope | undefined;
  for (const [i, s] of steps.entries()) {
    wantUpdates += s.updates;
    wantSignals += s.signals;
    if (updates < wantUpdates || signals < wantSignals) await condition(() => updates >= wantUpdates && signals >= wantSignals);
    timersToCancel?.cancel();
    timersToCancel = new CancellationScope();
    for (let n = 0; n < s.cancelledTimers; n++) void timersToCancel.run(() => sleep('1 day')).catch(() => undefined);
    for (let n = 0; n < s.patches; n++) patched(`floor-${patchSeq++}`);
    for (let n = 0; n < s.upserts; n++) upsertSearchAttributes([{ key: SA.status, value: `step-${i}` }]);
    await Promise.all([
      ...Array.from({ length: s.activities }, () => remote.step()),
      ...Array.from({ length: s.localActivities }, () => local.step()),
      ...Array.from({ length: s.timers }, () => sleep(Math.max(1, s.timerMs))),
    ]);
  }
  timersToCancel?.cancel();
}

export async function minimalFloor(): Promise<void> {
  let confirmed = false;
  setHandler(floorConfirm, () => void (confirmed = true));
  await condition(() => confirmed);
  await remote.order();
  await remote.poll();
  await remote.upload();
}
