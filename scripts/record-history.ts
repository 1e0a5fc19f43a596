// Saves a DropshipWorkflow's event history as a replay fixture:
//   npx tsx scripts/record-history.ts <workflowId> test/fixtures/histories/<name>.json
import { writeFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

async function main() {
  const [workflowId, out] = process.argv.slice(2);
  if (!workflowId || !out) throw new Error('usage: record-history.ts <workflowId> <out.json>');
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  writeFileSync(out, historyToJSON(history));
  console.log(`wrote ${history.events?.length} events to ${out}`);
  await connection.close();
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
