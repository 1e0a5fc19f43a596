// Canonical carriers: distributors name carriers their own way (WPS ship_via codes, Tucker
// carrier strings, …); marketplaces want their own enum. Everything goes through this list.

export const CANONICAL_CARRIERS = [
  'UPS',
  'USPS',
  'FedEx',
  'FedExSmartPost',
  'UPSMailInnovations',
  'DHLeCommerce',
  'DHLExpress',
  'OnTrac',
  'LaserShip',
  'Other',
] as const;
export type CanonicalCarrier = (typeof CANONICAL_CARRIERS)[number];

const ALIASES: Record<string, CanonicalCarrier> = {
  UPS: 'UPS',
  UPSGROUND: 'UPS',
  UNITEDPARCELSERVICE: 'UPS',
  USPS: 'USPS',
  USPOSTALSERVICE: 'USPS',
  UNITEDSTATESPOSTALSERVICE: 'USPS',
  POSTALSERVICE: 'USPS',
  FEDEX: 'FedEx',
  FDX: 'FedEx',
  FDXG: 'FedEx',
  FEDEXGROUND: 'FedEx',
  FEDEXEXPRESS: 'FedEx',
  FEDERALEXPRESS: 'FedEx',
  FEDEXHOMEDELIVERY: 'FedEx',
  FEDEXSMARTPOST: 'FedExSmartPost',
  FEDEXSP: 'FedExSmartPost',
  FEDEXGROUNDECONOMY: 'FedExSmartPost',
  SMARTPOST: 'FedExSmartPost',
  UPSMI: 'UPSMailInnovations',
  UPSMAILINNOVATIONS: 'UPSMailInnovations',
  DHLECOMMERCE: 'DHLeCommerce',
  DHLGLOBALMAIL: 'DHLeCommerce',
  DHLECOMMERCEUS: 'DHLeCommerce',
  DHL: 'DHLExpress',
  DHLEXPRESS: 'DHLExpress',
  ONTRAC: 'OnTrac',
  ONTRACK: 'OnTrac',
  LASERSHIP: 'LaserShip',
  LS: 'LaserShip',
};

/** Upper-case, strip punctuation and spaces, then map aliases; unknown → `Other`. */
export function normalizeCarrier(raw: string | undefined | null): CanonicalCarrier {
  if (!raw) return 'Other';
  const key = raw.toUpperCase().replace(/[^A-Z0-9]/g, '');
  return ALIASES[key] ?? 'Other';
}

/** Marketplaces such as eBay accept only letters and digits in a tracking number. */
export function alphanumericTracking(raw: string): string {
  return raw.replace(/[^A-Za-z0-9]/g, '');
}
