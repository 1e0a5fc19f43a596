// The HTTP feed readers (WPS items API + dealer pricing file, Parts Unlimited price-file ZIP)
// against their simulators over real HTTP on 127.0.0.1.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExternalCallError } from '../../src/external-errors';
import { createHttpClientFactory } from '../../src/http';
import type { UrlPolicy } from '../../src/outbound';
import type { FeedContext, FeedItem, FeedRecord } from '../../src/distributors/types';
import { createWpsFeed, mapWpsFeedItem, wpsModule, wpsPricingFilePolicy } from '../../src/distributors/wps';
import { createPartsUnlimitedFeed, mapPuPriceRow, partsUnlimitedModule, puAvailability, type PartsUnlimitedCredentials } from '../../src/distributors/parts-unlimited';
import { downloadToFile } from '../../src/feeds/download';
import { createWpsSimulator, type WpsSimulator } from '../../src/simulators/wps';
import { createPartsUnlimitedSimulator, type PartsUnlimitedSimulator } from '../../src/simulators/parts-unlimited';

const POLICY: UrlPolicy = { appEnv: 'development', productionOrigins: [] };
const WPS_TOKEN = 'wpsFeedTok3nAbCdEfGhIjKlMnOpQrStUvWxYz0123';
const PU_PASSWORD = 'Pu-w3bsite-Passw0rd!';

async function collect(it: AsyncIterable<FeedRecord>): Promise<FeedRecord[]> {
  const out: FeedRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

async function failure(p: Promise<unknown>): Promise<ExternalCallError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ExternalCallError);
    return e as ExternalCallError;
  }
  throw new Error('expected the call to fail');
}

const items = (recs: FeedRecord[]) => recs.filter((r): r is { line: number; item: FeedItem } => 'item' in r);
const errors = (recs: FeedRecord[]) => recs.filter((r): r is { line: number; error: string } => 'error' in r);

let tmpDir: string;
beforeAll(() => {
  tmpDir = mkdtempSync(join(tmpdir(), 'feeds-http-'));
});
afterAll(() => rmSync(tmpDir, { recursive: true, force: true }));

function ctxFor(baseUrl: string, extra: Partial<FeedContext> = {}): FeedContext {
  return { baseUrl, http: createHttpClientFactory(undefined, { urlPolicy: POLICY }), urlPolicy: POLICY, tmpDir, ...extra };
}

// ------------------------------------------------------------------------------------------
describe('WPS feed', () => {
  let sim: WpsSimulator;
  let url: string;
  const feed = createWpsFeed({ pricingPollIntervalMs: 1, pageSize: 2 });

  beforeAll(async () => {
    sim = createWpsSimulator();
    url = await sim.listen(0);
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    await sim.reset();
    sim.addAccount({ apiToken: WPS_TOKEN });
  });

  it('is the module feed and needs no feed settings', () => {
    expect(wpsModule.feed.needsFeedSettings).toBe(false);
  });

  it('polls the pricing file through its 202s, downloads it without the token, and pages the items', async () => {
    sim.setConfig({ dealerPricingPolls: 2 });
    sim.putItem('87-9930', {
      price: 20,
      dealerPrice: 17.5,
      listPrice: 30,
      dropShipFee: 2.5,
      upc: '012345678905',
      brand: 'Fly Racing',
      supplierProductId: 'FLY-123',
      name: 'Lever kit',
      warehouses: { CA: 3, TX: 14 },
    });
    sim.putItem('12-3456', { price: 11, dealerPrice: null, status: 'DSC' });
    sim.putItem('15-0001', { price: 5, status: 'NEW', dropShipEligible: false });
    sim.putItem('15-0002', { price: 6, status: 'WHAT' });
    sim.putItem('15-0003', { price: 7, status: 'CLO' });

    const recs = await collect(feed.read({ apiToken: WPS_TOKEN }, ctxFor(url)));
    expect(errors(recs)).toEqual([]);
    expect(recs.map((r) => r.line)).toEqual([1, 2, 3, 4, 5]);
    const [a, b, c, d, e] = items(recs).map((r) => r.item);
    expect(a).toEqual({
      partNumber: '87-9930',
      status: 'STK',
      orderable: true,
      dealerCost: 17.5,
      retailPrice: 30,
      mapPrice: 30,
      dropshipFee: 2.5,
      upc: '012345678905',
      brand: 'Fly Racing',
      mfgPartNumber: 'FLY-123',
      description: 'Lever kit',
      warehouses: { CA: 3, GA: 0, ID: 0, IN: 0, PA: 0, PA2: 0, TX: 9 },
    });
    // not in the pricing file → the standard dealer price
    expect(b).toMatchObject({ partNumber: '12-3456', status: 'DSC', orderable: false, dealerCost: 11 });
    expect(c).toMatchObject({ status: 'NEW', orderable: false }); // not drop-ship eligible
    expect(d).toMatchObject({ status: 'WHAT', orderable: false }); // unknown status is not trusted
    expect(e).toMatchObject({ status: 'CLO', orderable: true });

    const reqs = sim.harness.requests;
    expect(reqs.filter((r) => r.path === '/dealer-pricing')).toHaveLength(3); // 202, 202, 200
    const file = reqs.filter((r) => r.path.startsWith('/files/dealer-pricing/'));
    expect(file).toHaveLength(1);
    expect(file[0].headers.authorization).toBeUndefined();
    const pages = reqs.filter((r) => r.path === '/items');
    expect(pages).toHaveLength(3); // 2 + 2 + 1
    expect(pages[0].query).toMatchObject({ include: 'inventory,brand', 'page[size]': '2' });
    expect(pages[0].query['page[cursor]']).toBeUndefined();
    expect(pages[1].query['page[cursor]']).toEqual(expect.any(String));
  });

  it('gives up on a pricing file that is never built, as a transient failure', async () => {
    sim.setConfig({ dealerPricingPolls: 1000 });
    const slow = createWpsFeed({ pricingPollIntervalMs: 1, pricingMaxWaitMs: 30 });
    const err = await failure(collect(slow.read({ apiToken: WPS_TOKEN }, ctxFor(url))));
    expect(err.kind).toBe('transient');
    expect(err.code).toBe('upstream_unavailable');
  });

  it('stops polling when the run is cancelled', async () => {
    sim.setConfig({ dealerPricingPolls: 1000 });
    const ac = new AbortController();
    const slow = createWpsFeed({ pricingPollIntervalMs: 60_000 });
    const run = collect(slow.read({ apiToken: WPS_TOKEN }, ctxFor(url, { signal: ac.signal })));
    // abort once the first poll has been answered
    while (!sim.harness.requests.some((r) => r.path === '/dealer-pricing')) await new Promise((r) => setImmediate(r));
    ac.abort();
    const err = await failure(run);
    expect(err.kind).toBe('transient');
  });

  it('retries a throttled item page and carries on from the same cursor', async () => {
    for (let i = 0; i < 5; i++) sim.putItem(`20-000${i}`, { price: 10 + i });
    sim.harness.addFault({ type: 'throttle', pathPrefix: '/items', retryAfterSeconds: 0, times: 1 });
    const recs = await collect(feed.read({ apiToken: WPS_TOKEN }, ctxFor(url)));
    expect(items(recs).map((r) => r.item.partNumber)).toEqual(['20-0000', '20-0001', '20-0002', '20-0003', '20-0004']);
  });

  it('verify: a good token passes with one cheap call, a bad one is credentials_rejected without the token', async () => {
    await feed.verify({ apiToken: WPS_TOKEN }, ctxFor(url));
    expect(sim.harness.requests.map((r) => [r.path, r.query['page[size]']])).toEqual([['/items', '1']]);
    const bad = 'wpsWRONGtokenAbCdEfGhIjKlMnOpQrStUvWxYz01';
    const err = await failure(feed.verify({ apiToken: bad }, ctxFor(url)));
    expect(err.kind).toBe('permanent');
    expect(err.code).toBe('credentials_rejected');
    expect(err.message).not.toContain(bad);
    const readErr = await failure(collect(feed.read({ apiToken: bad }, ctxFor(url))));
    expect(readErr.code).toBe('credentials_rejected');
    const before = sim.harness.requests.length;
    const meta = await failure(feed.verify({ apiToken: WPS_TOKEN }, ctxFor('http://169.254.169.254')));
    expect(meta.code).toBe('destination_refused');
    expect(sim.harness.requests.length).toBe(before);
  });

  it('streams a generated 20,000-item catalog', async () => {
    const gen = await fetch(`${url}/__control/catalog/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: 20_000, seed: 7 }),
    });
    expect(gen.status).toBe(200);
    expect(await gen.json()).toMatchObject({ count: 20_000 });
    const big = createWpsFeed({ pricingPollIntervalMs: 1 });
    let rows = 0;
    let bad = 0;
    let notOrderable = 0;
    const skus = new Set<string>();
    for await (const r of big.read({ apiToken: WPS_TOKEN }, ctxFor(url))) {
      rows += 1;
      expect(r.line).toBe(rows);
      if ('error' in r) bad += 1;
      else {
        skus.add(r.item.partNumber);
        if (!r.item.orderable) notOrderable += 1;
        expect(r.item.dealerCost).toEqual(expect.any(Number));
        expect(r.item.partNumber).toMatch(/^\d{2}-\d{4}$/);
      }
    }
    expect(rows).toBe(20_000);
    expect(bad).toBe(0);
    expect(skus.size).toBe(20_000);
    expect(notOrderable).toBeGreaterThan(0);
    expect(sim.harness.requests.filter((r) => r.path === '/items')).toHaveLength(40);
  });

  it('maps an item with an unreadable price to an error, not an item', () => {
    expect(mapWpsFeedItem({ sku: '1-2', standard_dealer_price: 'abc', status: 'STK' }, new Map())).toMatch(/standard_dealer_price/);
    expect(mapWpsFeedItem({ name: 'no sku' }, new Map())).toMatch(/sku/);
  });

  it('lets the pricing file live on another public https host in production, never on a private one', () => {
    const prod: UrlPolicy = { appEnv: 'production', productionOrigins: ['https://api.wps-inc.com'] };
    expect(wpsPricingFilePolicy('https://files.example.com/p.csv?sig=1', prod).productionOrigins).toContain('https://files.example.com');
    expect(wpsPricingFilePolicy('https://10.0.0.5/p.csv', prod).productionOrigins).toEqual(['https://api.wps-inc.com']);
    expect(wpsPricingFilePolicy('http://files.example.com/p.csv', prod).productionOrigins).toEqual(['https://api.wps-inc.com']);
  });
});

// ------------------------------------------------------------------------------------------
describe('Parts Unlimited feed', () => {
  let sim: PartsUnlimitedSimulator;
  let url: string;
  const feed = createPartsUnlimitedFeed();
  const creds = (password = PU_PASSWORD): PartsUnlimitedCredentials => ({ dealerNumber: 'D12345', apiKey: 'PUKEY01-AAAAAAA-BBBBBBB-CCCCCCC', feed: { username: 'shop@dealer', password } });

  beforeAll(async () => {
    sim = createPartsUnlimitedSimulator();
    url = await sim.listen(0);
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    sim.reset();
    sim.upsertFeedAccount({ dealerNumber: 'D12345', username: 'shop@dealer', password: PU_PASSWORD });
  });

  it('is the module feed: feed settings needed, two pulls a day, and the website is a production URL', () => {
    expect(partsUnlimitedModule.feed.needsFeedSettings).toBe(true);
    expect(partsUnlimitedModule.feed.maxPullsPerDay).toBe(2);
    expect(partsUnlimitedModule.otherProductionUrls).toEqual(['https://dealer.parts-unlimited.com']);
  });

  it('feed settings are optional, strict and masked', () => {
    const schema = partsUnlimitedModule.credentialsSchema;
    expect(schema.safeParse({ dealerNumber: 'D1', apiKey: 'k' }).success).toBe(true);
    expect(schema.safeParse({ dealerNumber: 'D1', apiKey: 'k', feed: { username: 'u', password: 'p', baseUrl: 'http://127.0.0.1:1' } }).success).toBe(true);
    expect(schema.safeParse({ dealerNumber: 'D1', apiKey: 'k', feed: { username: 'u', password: 'p', extra: 1 } }).success).toBe(false);
    expect(schema.safeParse({ dealerNumber: 'D1', apiKey: 'k', feed: { username: 'u' } }).success).toBe(false);
    expect(schema.safeParse({ dealerNumber: 'D1', apiKey: 'k', feed: { username: 'u', password: 'x'.repeat(201) } }).success).toBe(false);
    expect(schema.safeParse({ dealerNumber: 'D1', apiKey: 'k', feed: { username: 'u', password: 'p', baseUrl: 'ftp://x' } }).success).toBe(false);
    const masked = partsUnlimitedModule.mask(creds());
    expect(masked.feedPassword).not.toContain(PU_PASSWORD);
    expect(masked.feedPassword).toMatch(/^••••/);
    expect(masked.feedUsername).toEqual(expect.any(String));
  });

  it('reads the ZIP: dealer price over base, latin-1 text, + and N/A cells, a bad row with its physical line', async () => {
    sim.setConfig({ priceFileCaColumn: true, priceFileInjectedLines: [{ afterRow: 1, text: 'BROKEN,ROW' }] });
    sim.upsertItem('1401-1193', {
      basePrice: 20,
      price: 18.25,
      retailPrice: 29.95,
      dropShipFee: 3,
      description: 'Bremsbeläge vorne',
      upc: '879009123456',
      brand: 'Moose Racing',
      vendorPartNumber: 'M-55',
      warehouses: { WI: 12, NY: 3, CA: 0 },
    });
    sim.upsertItem('0101-0002', { basePrice: 7.5, price: null, status: 'D' });
    sim.upsertItem('0101-0003', { basePrice: 9, status: 'Q' });

    const recs = await collect(feed.read(creds(), ctxFor(url)));
    expect(errors(recs)).toEqual([{ line: 3, error: expect.stringMatching(/columns/) }]);
    expect(items(recs).map((r) => r.line)).toEqual([2, 4, 5]);
    const [a, b, c] = items(recs).map((r) => r.item);
    expect(a).toEqual({
      partNumber: '1401-1193',
      status: 'S',
      orderable: true,
      dealerCost: 18.25,
      retailPrice: 29.95,
      dropshipFee: 3,
      upc: '879009123456',
      brand: 'Moose Racing',
      mfgPartNumber: 'M-55',
      description: 'Bremsbeläge vorne',
      warehouses: { WI: 10, NY: 3, TX: 0, NV: 0, NC: 0, CA: 0 },
    });
    expect(b).toMatchObject({ partNumber: '0101-0002', status: 'D', orderable: false, dealerCost: 7.5 });
    expect(c).toMatchObject({ status: 'Q', orderable: false });

    const pull = sim.requests.find((r) => r.path === '/api/quotes/v2/pricefile')!;
    expect(pull.method).toBe('POST');
    expect(pull.body).toMatchObject({ dealerCodes: ['D12345'], headersPrepended: true, auxillaryColumns: expect.any(Array), attachingCatalogs: expect.any(Array) });
    expect(readdirSync(tmpDir)).toEqual([]); // the ZIP is removed after the read
  });

  it('the third pull of the day is a transient throttle with the wait PU names', async () => {
    sim.upsertItem('1401-1193', { price: 5 });
    await collect(feed.read(creds(), ctxFor(url)));
    await collect(feed.read(creds(), ctxFor(url)));
    const err = await failure(collect(feed.read(creds(), ctxFor(url))));
    expect(err.kind).toBe('transient');
    expect(err.code).toBe('throttled');
    expect(err.details.retryAfterMs).toBeGreaterThan(0);
    // reset clears the count; pullsPerDay is configurable
    sim.reset();
    sim.upsertFeedAccount({ dealerNumber: 'D12345', username: 'shop@dealer', password: PU_PASSWORD });
    sim.setConfig({ pullsPerDay: 1 });
    await collect(feed.read(creds(), ctxFor(url)));
    expect((await failure(collect(feed.read(creds(), ctxFor(url))))).code).toBe('throttled');
  });

  it('a wrong password is credentials_rejected, in verify and in read, and the password is never in the message', async () => {
    const wrong = 'Not-The-Passw0rd-42';
    for (const p of [feed.verify(creds(wrong), ctxFor(url)), collect(feed.read(creds(wrong), ctxFor(url)))]) {
      const err = await failure(p);
      expect(err.kind).toBe('permanent');
      expect(err.code).toBe('credentials_rejected');
      expect(err.message).not.toContain(wrong);
      expect(err.message).not.toContain(PU_PASSWORD);
    }
  });

  it('verify passes with the right password and consumes no pull', async () => {
    await feed.verify(creds(), ctxFor(url));
    expect(sim.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/quotes/v2/pricefile/status']);
    const status = await fetch(`${url}/api/quotes/v2/pricefile/status`, {
      headers: { authorization: `Basic ${Buffer.from(`shop@dealer:${PU_PASSWORD}`).toString('base64')}` },
    });
    expect(await status.json()).toMatchObject({ pullsToday: 0, pullsPerDay: 2 });
  });

  it('without feed settings: account_setup_required; a private feed address: refused before sending', async () => {
    const noFeed = { dealerNumber: 'D12345', apiKey: 'k' };
    expect((await failure(feed.verify(noFeed, ctxFor(url)))).code).toBe('account_setup_required');
    expect((await failure(collect(feed.read(noFeed, ctxFor(url))))).code).toBe('account_setup_required');
    const priv = { ...creds(), feed: { ...creds().feed!, baseUrl: 'http://10.1.2.3:8080' } };
    for (const p of [feed.verify(priv, ctxFor(url)), collect(feed.read(priv, ctxFor(url)))]) {
      const err = await failure(p);
      expect(err.code).toBe('destination_refused');
      expect(err.message).not.toContain(PU_PASSWORD);
    }
    expect(sim.requests).toEqual([]);
  });

  it('streams a generated 20,000-part catalog', async () => {
    const gen = await fetch(`${url}/__control/catalog/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: 20_000, seed: 3 }),
    });
    expect(gen.status).toBe(200);
    let rows = 0;
    let bad = 0;
    let latin = 0;
    let plus = 0;
    let fallback = 0;
    let line = 1;
    for await (const r of feed.read(creds(), ctxFor(url))) {
      rows += 1;
      expect(r.line).toBe(++line);
      if ('error' in r) {
        bad += 1;
        continue;
      }
      if (r.item.description?.startsWith('Bremsbeläge')) latin += 1;
      if (Object.values(r.item.warehouses).includes(10)) plus += 1;
      if (r.item.dealerCost !== null && r.item.retailPrice !== null && r.item.dealerCost > Math.round((r.item.retailPrice! / 1.4) * 0.9 * 100 + 1) / 100) fallback += 1;
    }
    expect(rows).toBe(20_000);
    expect(bad).toBe(0);
    expect(latin).toBe(2_000);
    expect(plus).toBeGreaterThan(0);
    expect(fallback).toBeGreaterThan(0);
  });

  it('maps cells: + is ten, N/A and empty are none, unreadable money or stock is a row error', () => {
    expect(puAvailability('+')).toBe(10);
    expect(puAvailability('N/A')).toBe(0);
    expect(puAvailability('')).toBe(0);
    expect(puAvailability('7')).toBe(7);
    expect(puAvailability('lots')).toBeUndefined();
    const col = new Map(['Part Number', 'Punctuated Part Number', 'Base Dealer Price', 'WI Availability'].map((h, i) => [h.toLowerCase(), i]));
    expect(mapPuPriceRow(['11', '1-1', 'x1', '1'], col, new Map())).toMatch(/base dealer price/);
    expect(mapPuPriceRow(['11', '1-1', '1', 'many'], col, new Map())).toMatch(/wi availability/);
    expect(mapPuPriceRow(['', '', '1', '1'], col, new Map())).toMatch(/part number/);
    expect(mapPuPriceRow(['11', '1-1', '$1,200.50', '+'], col, new Map([['11', 999]]))).toMatchObject({ partNumber: '1-1', dealerCost: 999, warehouses: { WI: 10 } });
  });
});

// ------------------------------------------------------------------------------------------
describe('downloadToFile', () => {
  let sim: PartsUnlimitedSimulator;
  let url: string;
  beforeAll(async () => {
    sim = createPartsUnlimitedSimulator();
    url = await sim.listen(0);
    sim.upsertFeedAccount({ dealerNumber: 'D1', username: 'u', password: PU_PASSWORD });
    sim.generateCatalog(2_000);
  });
  afterAll(() => sim.close());

  const req = (extra: object = {}) => ({
    target: 'parts-unlimited',
    url: `${url}/api/quotes/v2/pricefile`,
    method: 'POST' as const,
    headers: { authorization: `Basic ${Buffer.from(`u:${PU_PASSWORD}`).toString('base64')}` },
    json: { dealerCodes: ['D1'] },
    secrets: [PU_PASSWORD],
    urlPolicy: POLICY,
    destPath: join(tmpDir, 'dl.zip'),
    ...extra,
  });

  it('refuses an answer larger than maxBytes', async () => {
    const err = await failure(downloadToFile(req({ maxBytes: 1000 })));
    expect(err.code).toBe('response_too_large');
  });

  it('classifies 5xx and a refused connection as transient, a loopback-refusing policy before sending', async () => {
    sim.addFault({ type: 'status', status: 503, pathPrefix: '/api/quotes' });
    const e5 = await failure(downloadToFile(req()));
    expect([e5.kind, e5.code]).toEqual(['transient', 'upstream_unavailable']);
    const closed = await failure(downloadToFile(req({ url: 'http://127.0.0.1:1/x' })));
    expect([closed.kind, closed.code]).toEqual(['transient', 'network_error']);
    const before = sim.requests.length;
    const refused = await failure(downloadToFile(req({ urlPolicy: { appEnv: 'production', productionOrigins: ['https://dealer.parts-unlimited.com'] } })));
    expect(refused.code).toBe('destination_refused');
    expect(sim.requests.length).toBe(before);
  });
});
