export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __temporal?: { stop(): Promise<void> } }).__temporal;
  if (server) await server.stop();
}
