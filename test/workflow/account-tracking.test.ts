// The account tracking reader's life with a mocked read on the real dev server: with nothing open
// it waits for the next PO placed instead of reading an empty account, and ends when none comes.
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { followAccountSignal, type AccountTrackingInput } from '../../workflows/messages';

jest.setTimeout(60_000);

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `reader-${randomUUID()}`;
/** What each read finds open; the reads asked. */
let openNow = 0;
const reads: { placedSignals?: number }[] = [];

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // installed by another file
  }
  env = await TestWorkflowEnvironment.createFromExistingServer({ address: process.env.TEST_TEMPORAL_ADDRESS });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! },
    activities: {
      readAccountTracking: async (i: { placedSignals?: number }) => {
        reads.push(i);
        return { open: openNow, calls: openNow ? 1 : 0, changed: 0 };
      },
    },
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

async function until(what: string, pred: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

it('with nothing open, waits for the next PO instead of reading, and ends when none comes', async () => {
  const input: AccountTrackingInput = { tenantId: randomUUID(), distributor: 'wps', intervalMs: 200 };
  openNow = 1;
  const h = await env.client.workflow.start('AccountTrackingWorkflow', { taskQueue, workflowId: `tracking:test:${randomUUID()}`, args: [input] });
  await until('a read that finds the PO', () => reads.length >= 1);
  openNow = 0;
  const before = reads.length;
  await until('the read that finds nothing open', () => reads.length === before + 1);
  // A PO placed: the reader reads again, and counts the signal so the read lists the open POs anew.
  await h.signal(followAccountSignal, { intervalMs: 200 });
  await until('a read after the PO was placed', () => reads.length === before + 2);
  expect(reads.at(-1)!.placedSignals).toBe(1);
  await h.result();
  // Two empty reads in all, each followed by a wait for a PO instead of another read.
  expect(reads.length).toBe(before + 2);
});
