// Every distributor the engine can order from. Adding one: its module, one line here,
// its simulator and its tests.
import type { DistributorCode, DistributorModule } from './types';

export const distributorModules: Partial<Record<DistributorCode, DistributorModule<any>>> = {};

export function distributorModule(code: string): DistributorModule<any> | undefined {
  return (distributorModules as Record<string, DistributorModule<any>>)[code];
}
