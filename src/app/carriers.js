// Where a buyer or a dealer follows a parcel: each canonical carrier (src/carriers.ts) has a public
// tracking page that takes the number in its URL. `Other` has none, so its number stays plain text.
// Kept free of imports so the unit tests can load it outside a browser.

const TRACKING_PAGES = {
  UPS: (n) => `https://www.ups.com/track?tracknum=${n}`,
  UPSMailInnovations: (n) => `https://www.ups.com/track?tracknum=${n}`,
  USPS: (n) => `https://tools.usps.com/go/TrackConfirmAction?tLabels=${n}`,
  FedEx: (n) => `https://www.fedex.com/fedextrack/?trknbr=${n}`,
  FedExSmartPost: (n) => `https://www.fedex.com/fedextrack/?trknbr=${n}`,
  DHLExpress: (n) => `https://www.dhl.com/us-en/home/tracking/tracking-express.html?tracking-id=${n}`,
  DHLeCommerce: (n) => `https://www.dhl.com/us-en/home/tracking/tracking-ecommerce.html?tracking-id=${n}`,
  OnTrac: (n) => `https://www.ontrac.com/tracking/?number=${n}`,
  LaserShip: (n) => `https://www.lasership.com/track/${n}`,
};

/** The carrier's tracking page for a number, or undefined when the carrier has none we know. */
export function trackingUrl(carrier, trackingNumber) {
  const page = Object.hasOwn(TRACKING_PAGES, carrier) ? TRACKING_PAGES[carrier] : undefined;
  const number = String(trackingNumber ?? '').trim();
  return page && number ? page(encodeURIComponent(number)) : undefined;
}
