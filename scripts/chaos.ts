// `npm run chaos [-- --dropships N --minutes M --seed S --topology]`: a few hundred dropships
// through the simulators with faults injected, while the worker, the API server, Temporal and
// Postgres are killed and started again (--topology: Temporal's own server on Postgres, two
// workers and two API servers, of which one worker or one API server at a time is killed). Prints what was lost or duplicated, writes .data/chaos/last.json and
// exits non-zero when anything was. See docs/chaos.md.
import { parseArgs } from 'node:util';
import { formatReport } from '../src/dev/chaos/report';
import { ChaosRun, DEFAULT_CHAOS_OPTIONS } from '../src/dev/chaos/run';

const MAX_MINUTES = 15;

function positiveInt(name: string, value: string | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    console.error(`--${name} must be a whole number from 1 to ${max} (got "${value}")`);
    process.exit(2);
  }
  return n;
}

async function main() {
  const { values } = parseArgs({ options: { dropships: { type: 'string' }, minutes: { type: 'string' }, seed: { type: 'string' }, topology: { type: 'boolean' } } });
  const chaos = new ChaosRun({
    ...DEFAULT_CHAOS_OPTIONS,
    dropships: positiveInt('dropships', values.dropships, DEFAULT_CHAOS_OPTIONS.dropships, 2000),
    minutes: positiveInt('minutes', values.minutes, DEFAULT_CHAOS_OPTIONS.minutes, MAX_MINUTES),
    seed: positiveInt('seed', values.seed, Date.now() % 100_000),
    topology: values.topology ?? false,
    log: (line) => console.log(line),
  });
  const interrupted = async (signal: string) => {
    console.log(`\n${signal}: stopping every process and removing the Postgres cluster`);
    await chaos.teardown();
    process.exit(130);
  };
  process.once('SIGINT', () => void interrupted('SIGINT'));
  process.once('SIGTERM', () => void interrupted('SIGTERM'));
  try {
    const report = await chaos.run();
    console.log(formatReport(report));
    console.log(`Figures: ${DEFAULT_CHAOS_OPTIONS.runDir}/last.json`);
    process.exitCode = report.failures.length ? 1 : 0;
  } catch (err) {
    console.error(`The chaos run could not finish: ${(err as Error).message}`);
    process.exitCode = 1;
  } finally {
    await chaos.teardown();
  }
  // a loop the deadline cut short may still hold a timer; the run is over
  process.exit();
}

void main();
