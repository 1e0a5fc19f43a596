// The sandbox: one simulator per distributor and marketplace API, on fixed local ports for
// the run command (tests listen on port 0). Adding an API: one line here.
import { createAmazonSimulator } from './amazon';
import { AUTOMATIC_SIM_FTP_PORT, createAutomaticSimulator } from './automatic';
import { createEbaySimulator } from './ebay';
import { createPartsUnlimitedSimulator } from './parts-unlimited';
import { createShopifySimulator } from './shopify';
import { createTuckerRockySimulator, TUCKER_SIM_FTP_PORT } from './tucker-rocky';
import { createWalmartSimulator } from './walmart';
import { createWpsSimulator } from './wps';

export interface RunnableSimulator {
  listen(port?: number): Promise<string>;
  close(): Promise<void>;
  /** `ftp://127.0.0.1:<port>` where the simulator also serves its feed over FTP. */
  readonly ftpUrl?: string;
}

export const distributorSimulators: Record<string, { port: number; create: (ftpPort?: number) => RunnableSimulator }> = {
  wps: { port: 4101, create: () => createWpsSimulator() },
  'parts-unlimited': { port: 4102, create: () => createPartsUnlimitedSimulator() },
  // `create(0)` (the tests) puts the FTP feed server on any free port too.
  'tucker-rocky': { port: 4103, create: (ftpPort = TUCKER_SIM_FTP_PORT) => createTuckerRockySimulator({ ftpPort }) },
  automatic: { port: 4104, create: (ftpPort = AUTOMATIC_SIM_FTP_PORT) => createAutomaticSimulator({ ftpPort }) },
};

export const marketplaceSimulators: Record<string, { port: number; create: () => RunnableSimulator }> = {
  ebay: { port: 4201, create: () => createEbaySimulator() },
  amazon: { port: 4202, create: () => createAmazonSimulator() },
  walmart: { port: 4203, create: () => createWalmartSimulator() },
  shopify: { port: 4204, create: () => createShopifySimulator() },
};
