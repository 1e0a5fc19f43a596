// The floors' worker, a child process of the benchmark (so its CPU is measured like the engine's
// worker): the floor workflows on a task queue of their own, with the engine worker's slot limit.
import { NativeConnection, Worker } from '@temporalio/worker';
import * as activities from './floor-activities';

export const FLOOR_TASK_QUEUE = 'bench-floor';

async function main() {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  const worker = await Worker.create({
    connection,
    taskQueue: FLOOR_TASK_QUEUE,
    workflowsPath: require.resolve('./floor-workflows'),
    activities,
    maxConcurrentActivityTaskExecutions: 50,
  });
  console.log(`[floor-worker] polling task queue "${FLOOR_TASK_QUEUE}"`);
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error('[floor-worker] fatal:', err);
    process.exit(1);
  });
}
