// Placeholder until the Temporal/Postgres global setup lands.
export default async function globalSetup(): Promise<void> {}
