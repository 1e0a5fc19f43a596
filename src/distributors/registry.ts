// Every distributor the engine can order from. Adding one: its module, one line here,
// its simulator and its tests.
import { automaticModule } from './automatic';
import { partsUnlimitedModule } from './parts-unlimited';
import { tuckerRockyModule } from './tucker-rocky';
import type { DistributorCode, DistributorModule } from './types';
import { wpsModule } from './wps';

export const distributorModules: Record<DistributorCode, DistributorModule<any>> = {
  wps: wpsModule,
  'parts-unlimited': partsUnlimitedModule,
  'tucker-rocky': tuckerRockyModule,
  automatic: automaticModule,
};

export function distributorModule(code: string): DistributorModule<any> | undefined {
  return Object.prototype.hasOwnProperty.call(distributorModules, code) ? (distributorModules as Record<string, DistributorModule<any>>)[code] : undefined;
}
