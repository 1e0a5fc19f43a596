// Every marketplace the engine uploads tracking to. Adding one: its module, one line here,
// its simulator and its tests.
import { ebayModule } from './ebay';
import type { MarketplaceCode, MarketplaceModule } from './types';

export const marketplaceModules: Partial<Record<MarketplaceCode, MarketplaceModule<any>>> = {
  ebay: ebayModule,
};

export function marketplaceModule(code: string): MarketplaceModule<any> | undefined {
  return Object.prototype.hasOwnProperty.call(marketplaceModules, code) ? (marketplaceModules as Record<string, MarketplaceModule<any>>)[code] : undefined;
}
