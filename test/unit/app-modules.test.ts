// The front end's pure modules (tracking links, hash routes), loaded as the browser loads them, and
// a guard that no module renders data as markup.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CANONICAL_CARRIERS } from '../../src/carriers';

const APP = join(__dirname, '../../src/app');

/**
 * An import-free ES module of src/app evaluated here: jest runs CommonJS, so the `export` keywords
 * are dropped and the exported names handed back (no build step in between, as in the browser).
 */
function browserModule<T>(file: string): T {
  const names: string[] = [];
  const body = readFileSync(join(APP, file), 'utf8').replace(/^export (function|const) (\w+)/gm, (_m, kind: string, name: string) => {
    names.push(name);
    return `${kind} ${name}`;
  });
  if (/^\s*(import|export)\b/m.test(body)) throw new Error(`${file} is not a self-contained module`);
  return new Function(`${body}\nreturn { ${names.join(', ')} };`)() as T;
}

describe('trackingUrl', () => {
  const { trackingUrl } = browserModule<{ trackingUrl: (carrier: string, n: unknown) => string | undefined }>('carriers.js');

  it('links every canonical carrier but Other to an https tracking page carrying the number', () => {
    for (const carrier of CANONICAL_CARRIERS.filter((c) => c !== 'Other')) {
      const url = trackingUrl(carrier, '1Z999AA10123456784');
      expect(url).toMatch(/^https:\/\/[a-z.]+\//);
      expect(url).toContain('1Z999AA10123456784');
    }
  });

  it('gives the usual pages for UPS, FedEx and USPS', () => {
    expect(trackingUrl('UPS', '1Z999AA10123456784')).toBe('https://www.ups.com/track?tracknum=1Z999AA10123456784');
    expect(trackingUrl('FedEx', '612999000000001')).toBe('https://www.fedex.com/fedextrack/?trknbr=612999000000001');
    expect(trackingUrl('USPS', '9400100000000000000000')).toBe('https://tools.usps.com/go/TrackConfirmAction?tLabels=9400100000000000000000');
  });

  it('has no link for Other, an unknown carrier, an inherited key or a missing number', () => {
    expect(trackingUrl('Other', '123')).toBeUndefined();
    expect(trackingUrl('Pony Express', '123')).toBeUndefined();
    expect(trackingUrl('constructor', '123')).toBeUndefined();
    expect(trackingUrl('UPS', '')).toBeUndefined();
    expect(trackingUrl('UPS', undefined)).toBeUndefined();
  });

  it('encodes the number, so it cannot add query parameters or leave the page', () => {
    expect(trackingUrl('UPS', '1Z 99&x=<b>')).toBe('https://www.ups.com/track?tracknum=1Z%2099%26x%3D%3Cb%3E');
    expect(trackingUrl('LaserShip', '../../evil')).toBe('https://www.lasership.com/track/..%2F..%2Fevil');
  });
});

describe('hash routes', () => {
  const { parseRoute, routeHref } = browserModule<{
    parseRoute: (hash: string) => { segments: string[]; query: Record<string, string> };
    routeHref: (segments: string[], query?: Record<string, unknown>) => string;
  }>('routes.js');

  it('reads the screen, its id and its filters', () => {
    expect(parseRoute('#/dropships/DEMO-1001')).toEqual({ segments: ['dropships', 'DEMO-1001'], query: {} });
    expect(parseRoute('#/purchase-orders?distributor=wps&shipped=false')).toEqual({ segments: ['purchase-orders'], query: { distributor: 'wps', shipped: 'false' } });
    expect(parseRoute('')).toEqual({ segments: [], query: {} });
    expect(parseRoute('#/a%ZZ')).toEqual({ segments: ['a%ZZ'], query: {} });
  });

  it('round-trips ids and values that need encoding, leaving out empty filters', () => {
    const href = routeHref(['dropships', 'ORD/1 ?#&'], { status: 'needs_attention', cursor: '', distributor: undefined });
    expect(href).toBe('#/dropships/ORD%2F1%20%3F%23%26?status=needs_attention');
    expect(parseRoute(href)).toEqual({ segments: ['dropships', 'ORD/1 ?#&'], query: { status: 'needs_attention' } });
    expect(parseRoute(routeHref(['purchase-orders'], { poNumber: 'a&b=c' })).query).toEqual({ poNumber: 'a&b=c' });
  });
});

it('renders data only as text: no module writes markup', () => {
  const markup = /\.(inner|outer)HTML\b|insertAdjacentHTML\(|document\.write|\beval\(|new Function\(/;
  const offenders = readdirSync(APP).filter((f) => f.endsWith('.js') && markup.test(readFileSync(join(APP, f), 'utf8')));
  expect(offenders).toEqual([]);
});
