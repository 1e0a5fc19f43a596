// Every recorded DropshipWorkflow history must replay against today's workflow code: a change
// that would break runs in flight fails here (use patched() for such changes).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';

const DIR = join(__dirname, 'fixtures/histories');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

it('has recorded histories to replay', () => {
  expect(files.length).toBeGreaterThan(0);
});

it.each(files)('replays %s without nondeterminism', async (file) => {
  const history = JSON.parse(readFileSync(join(DIR, file), 'utf8'));
  await Worker.runReplayHistory(
    { workflowBundle: process.env.TEST_WORKFLOW_BUNDLE ? { codePath: process.env.TEST_WORKFLOW_BUNDLE } : undefined, workflowsPath: process.env.TEST_WORKFLOW_BUNDLE ? undefined : require.resolve('../workflows') },
    history,
    file,
  );
});
