// Deterministic synthetic catalogs for the distributor simulators' feeds: the same seed gives
// the same items, so tests and benchmarks are reproducible.

/** Small seeded PRNG (mulberry32) for generators that draw items in order. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `r(k)` in [0, 1): a pure function of (seed, item index, k), so a generated catalog is reproducible. */
export function catalogRandom(seed: number, i: number): (k: number) => number {
  return (k: number) => {
    let h = (Math.imul(seed | 0, 0x27d4eb2d) ^ Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(k + 1, 0x85ebca6b)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
    h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
    h ^= h >>> 16;
    return (h >>> 0) / 4294967296;
  };
}

/** A price between min and max, log-uniform (many cheap parts, a few expensive ones), in cents. */
export function priceBetween(r: number, min: number, max: number): number {
  return Math.round(Math.exp(Math.log(min) + r * (Math.log(max) - Math.log(min))) * 100) / 100;
}

/** A 12-digit UPC-A with a valid check digit, from an 11-digit body. */
export function upcA(body: number): string {
  const digits = String(Math.floor(Math.abs(body)) % 1e11).padStart(11, '0');
  let sum = 0;
  for (let k = 0; k < 11; k++) sum += Number(digits[k]) * (k % 2 === 0 ? 3 : 1);
  return digits + String((10 - (sum % 10)) % 10);
}
