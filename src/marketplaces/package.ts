// What every marketplace needs of one package before it is sent: a tracking number of letters and
// digits, and its lines merged by marketplace line id, each a whole number of units. Refusals are
// permanent (re-sending cannot help) and use the marketplace's own words.
import { alphanumericTracking } from '../carriers';
import { ExternalCallError } from '../external-errors';
import type { TrackingUpload } from './types';

export interface MarketplaceWords {
  /** Call-log target, e.g. `ebay`. */
  target: string;
  /** As dealers know it, e.g. `eBay`. */
  name: string;
  /** What the marketplace calls an order line, e.g. `line item`, `order item`, `order line`. */
  line: string;
  /** What it calls the order, e.g. `order`, `purchase order`. */
  order: string;
}

/** The tracking number stripped to letters and digits; refused when nothing is left. */
export function packageTracking(upload: Pick<TrackingUpload, 'trackingNumber'>, w: MarketplaceWords): string {
  const trackingNumber = alphanumericTracking(upload.trackingNumber ?? '');
  if (!trackingNumber) {
    throw new ExternalCallError(
      'permanent',
      'tracking_rejected',
      `Tracking number "${upload.trackingNumber}" has no letters or digits, so it cannot be sent to ${w.name}.`,
      { target: w.target },
    );
  }
  return trackingNumber;
}

/** Units per marketplace line (repeated lines merged, ids through `key`); refused when empty or a quantity is not a whole number above 0. */
export function packageLines(
  upload: Pick<TrackingUpload, 'lines' | 'orderId'>,
  trackingNumber: string,
  w: MarketplaceWords,
  key: (marketplaceLineId: string) => string = (id) => id,
): Map<string, number> {
  if (!upload.lines || upload.lines.length === 0) {
    throw new ExternalCallError(
      'permanent',
      'invalid_request',
      `The package with tracking ${trackingNumber} names no ${w.name} ${w.line}s for ${w.order} ${upload.orderId}.`,
      { target: w.target },
    );
  }
  const merged = new Map<string, number>();
  for (const l of upload.lines) {
    if (!l.marketplaceLineId || !Number.isInteger(l.quantity) || l.quantity <= 0) {
      throw new ExternalCallError(
        'permanent',
        'invalid_request',
        `${w.name} ${w.line} "${l.marketplaceLineId}" has an invalid quantity ${l.quantity}; it must be a whole number above 0.`,
        { target: w.target },
      );
    }
    const id = key(l.marketplaceLineId);
    merged.set(id, (merged.get(id) ?? 0) + l.quantity);
  }
  return merged;
}
