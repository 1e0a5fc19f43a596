// A one-line WPS purchase order for the tests that run the place activity directly.
import { randomUUID } from 'node:crypto';
import type { PlacePurchaseOrderInput } from '../../activities';
import { purchaseOrderNumber } from '../../workflows/decisions';

export function wpsOrderInput(tenantId: string, prefix: string): PlacePurchaseOrderInput {
  const pssOrderId = `${prefix}-${randomUUID().slice(0, 8)}`;
  return {
    tenantId,
    pssOrderId,
    poNumber: purchaseOrderNumber(tenantId, pssOrderId, 'wps', 1),
    distributor: 'wps',
    attempt: 1,
    shipTo: { name: 'A Buyer', address1: '1 Main St', city: 'Austin', state: 'TX', postalCode: '78701', country: 'US' },
    lines: [{ lineId: 'L1', sku: 'HELMET-BELL-QUALIFIER-M', distributorSku: '72-0500M', quantity: 1 }],
  };
}
