// Runs every simulator on its fixed local port (the sandbox of the run command).
// Each one's control interface is under /__control on its own port.
import { distributorSimulators, marketplaceSimulators, type RunnableSimulator } from './registry';

async function main() {
  const running: RunnableSimulator[] = [];
  const all = { ...distributorSimulators, ...marketplaceSimulators };
  for (const [code, s] of Object.entries(all)) {
    const envPort = process.env[`SIM_PORT_${code.toUpperCase().replace(/-/g, '_')}`];
    const sim = s.create();
    const url = await sim.listen(envPort ? Number(envPort) : s.port);
    running.push(sim);
    console.log(`[simulators] ${code} at ${url}${sim.ftpUrl ? ` (feed on ${sim.ftpUrl})` : ''}`);
  }
  const stop = async () => {
    await Promise.all(running.map((s) => s.close()));
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err) => {
  console.error('[simulators] fatal:', err);
  process.exit(1);
});
