// How part numbers, UPCs and brand + manufacturer part numbers are compared: the same part is
// spelled `1401-1193` in one file and `14011193` in another, a UPC-A loses or gains a leading
// zero as an EAN-13, and brands differ in case and punctuation. Matching compares these keys.

const NOT_ALNUM = /[^A-Za-z0-9]+/g;

/** A part number without punctuation or case: `1401-1193` and `14011193` are one part. */
export function partKey(partNumber: string): string {
  return partNumber.replace(NOT_ALNUM, '').toUpperCase();
}

/** A UPC/EAN's digits without leading zeros; null when too short to identify anything. */
export function upcKey(upc: string | null | undefined): string | null {
  if (!upc) return null;
  const digits = upc.replace(/\D+/g, '').replace(/^0+/, '');
  return digits.length >= 6 ? digits : null;
}

/** Brand and manufacturer part number together; null unless both are given. */
export function mfgKey(brand: string | null | undefined, mfgPartNumber: string | null | undefined): string | null {
  const b = brand ? partKey(brand) : '';
  const m = mfgPartNumber ? partKey(mfgPartNumber) : '';
  return b && m ? `${b}|${m}` : null;
}
