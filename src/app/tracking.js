// Shipments as the dealer reads them: each tracking number links to its carrier's tracking page.
import { trackingUrl } from './carriers.js';
import { h, row, section, table, when } from './dom.js';

export function trackingLink(carrier, trackingNumber) {
  const href = trackingUrl(carrier, trackingNumber);
  return href ? h('a', { href, target: '_blank', rel: 'noopener noreferrer', class: 'tracking' }, trackingNumber) : trackingNumber;
}

/** The shipments of these purchase orders (GET /v1/purchase-orders/:po answers), or nothing before the first. */
export function shipmentsSection(pos) {
  const rows = pos.flatMap((po) =>
    po.shipments.map((s) =>
      row(
        po.poNumber,
        trackingLink(s.carrier, s.trackingNumber),
        [s.carrier, s.service ? ` (${s.service})` : ''],
        when(s.shippedAt),
        s.warehouse ?? '',
        s.lines.map((l) => `${l.lineId} × ${l.quantity}`).join(', '),
      ),
    ),
  );
  if (!rows.length) return null;
  return section('Shipments', table('Shipments and their tracking', ['Purchase order', 'Tracking number', 'Carrier', 'Shipped', 'Warehouse', 'Lines'], rows));
}
