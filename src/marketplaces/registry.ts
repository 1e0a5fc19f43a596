// Every marketplace the engine uploads tracking to. Adding one: its module, one line here,
// its simulator and its tests.
import type { MarketplaceCode, MarketplaceModule } from './types';

export const marketplaceModules: Partial<Record<MarketplaceCode, MarketplaceModule<any>>> = {};

export function marketplaceModule(code: string): MarketplaceModule<any> | undefined {
  return (marketplaceModules as Record<string, MarketplaceModule<any>>)[code];
}
