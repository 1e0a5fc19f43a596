// Every marketplace the engine uploads tracking to. Adding one: its module, one line here,
// its simulator and its tests.
import { amazonModule } from './amazon';
import { ebayModule } from './ebay';
import { shopifyModule } from './shopify';
import type { MarketplaceCode, MarketplaceModule } from './types';
import { walmartModule } from './walmart';

export const marketplaceModules: Partial<Record<MarketplaceCode, MarketplaceModule<any>>> = {
  ebay: ebayModule,
  amazon: amazonModule,
  walmart: walmartModule,
  shopify: shopifyModule,
};

export function marketplaceModule(code: string): MarketplaceModule<any> | undefined {
  return Object.prototype.hasOwnProperty.call(marketplaceModules, code) ? (marketplaceModules as Record<string, MarketplaceModule<any>>)[code] : undefined;
}
