// The FTP feed readers (Tucker custlistsi.txt, Automatic inventory.csv) against the simulators'
// real FTP servers on 127.0.0.1 (reference §3.5, §8.5).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import got from 'got';
import { automaticModule, makeAutomaticFeed, parseAutomaticFeedRow, automaticFeedColumns } from '../../src/distributors/automatic';
import {
  makeTuckerFeed,
  parseTuckerFeedLine,
  TUCKER_DROPSHIP_WAREHOUSE,
  TUCKER_WAREHOUSES,
  tuckerRockyModule,
  type TuckerRockyCredentials,
} from '../../src/distributors/tucker-rocky';
import type { FeedContext, FeedRecord } from '../../src/distributors/types';
import { isExternalCallError, type ExternalCallError } from '../../src/external-errors';
import { ftpFeedSettingsSchema, ftpHostProblem, type FtpFeedSettings } from '../../src/feeds/ftp';
import { createHttpClientFactory } from '../../src/http';
import type { UrlPolicy } from '../../src/outbound';
import { createAutomaticSimulator, type AutomaticSimulator } from '../../src/simulators/automatic';
import { createTuckerRockySimulator, type TuckerRockySimulator } from '../../src/simulators/tucker-rocky';

const USER = 'dealer104455';
const PASSWORD = 'S3cret-Feed-Pa55';
const DEV: UrlPolicy = { appEnv: 'development', productionOrigins: [] };
const PROD: UrlPolicy = { appEnv: 'production', productionOrigins: ['https://api.tucker.com'] };

let tucker: TuckerRockySimulator;
let automatic: AutomaticSimulator;
let tuckerHttp: string;
let automaticHttp: string;
let tmpDir: string;

function ctx(extra: Partial<FeedContext> = {}): FeedContext {
  return { http: createHttpClientFactory(), urlPolicy: DEV, tmpDir, ...extra };
}

function feedOf(sim: { ftpUrl?: string }, over: Partial<FtpFeedSettings> = {}): FtpFeedSettings {
  return { host: '127.0.0.1', port: Number(new URL(sim.ftpUrl!).port), username: USER, password: PASSWORD, ...over };
}

const tuckerCreds = (over: Partial<FtpFeedSettings> = {}): TuckerRockyCredentials => ({
  customerNumber: '104455',
  apiKey: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ12',
  feed: feedOf(tucker, over),
});
const automaticCreds = (over: Partial<FtpFeedSettings> = {}) => ({ apiToken: 'tok-123456', feed: feedOf(automatic, over) });

async function collect(it: AsyncIterable<FeedRecord>): Promise<FeedRecord[]> {
  const out: FeedRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

async function caught(p: Promise<unknown>): Promise<ExternalCallError> {
  try {
    await p;
  } catch (e) {
    if (isExternalCallError(e)) return e;
    throw e;
  }
  throw new Error('expected an ExternalCallError');
}

async function control(base: string, method: 'POST' | 'PUT', path: string, json: unknown) {
  const res = await got(`${base}${path}`, { method, json: json as Record<string, unknown>, throwHttpErrors: false, responseType: 'json' });
  expect(res.statusCode).toBe(200);
  return res.body as any;
}

const items = (records: FeedRecord[]) => records.flatMap((r) => ('item' in r ? [r.item] : []));
const errors = (records: FeedRecord[]) => records.flatMap((r) => ('error' in r ? [r] : []));

beforeAll(async () => {
  tmpDir = mkdtempSync(join(tmpdir(), 'feeds-ftp-'));
  tucker = createTuckerRockySimulator();
  automatic = createAutomaticSimulator();
  tuckerHttp = await tucker.listen(0);
  automaticHttp = await automatic.listen(0);
});

afterAll(async () => {
  await Promise.all([tucker?.close(), automatic?.close()]);
  rmSync(tmpDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await control(tuckerHttp, 'POST', '/__control/reset', {});
  await control(automaticHttp, 'POST', '/__control/reset', {});
  await control(tuckerHttp, 'POST', '/__control/feed-accounts', { username: USER, password: PASSWORD });
  await control(automaticHttp, 'POST', '/__control/feed-accounts', { username: USER, password: PASSWORD });
});

describe('feed settings', () => {
  it('parses, defaults and masks the shared FTP settings', () => {
    const parsed = tuckerRockyModule.credentialsSchema.parse({
      customerNumber: '104455',
      apiKey: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ12',
      feed: { host: ' ftp.tucker.com ', username: USER, password: PASSWORD },
    });
    expect(parsed.feed).toEqual({ host: 'ftp.tucker.com', port: 21, username: USER, password: PASSWORD, secure: false });
    const masked = tuckerRockyModule.mask(parsed);
    expect(masked).toEqual({
      customerNumber: '••••4455',
      apiKey: '••••YZ12',
      feedHost: 'ftp.tucker.com',
      feedPort: '21',
      feedUsername: '••••4455',
      feedPassword: '••••Pa55',
    });
    expect(JSON.stringify(masked)).not.toContain(PASSWORD);
    expect(automaticModule.mask(automaticModule.credentialsSchema.parse({ apiToken: 'tok-123456', feed: { host: 'ftp.autodist.com', port: 2121, username: USER, password: PASSWORD, secure: true } }))).toEqual({
      apiToken: '••••3456',
      feedHost: 'ftp.autodist.com',
      feedPort: '2121',
      feedUsername: '••••4455',
      feedPassword: '••••Pa55',
    });
    // Without feed settings the mask is what it was.
    expect(automaticModule.mask({ apiToken: 'tok-123456' })).toEqual({ apiToken: '••••3456' });
    const ok = { host: 'ftp.example.com', username: 'u', password: 'p' };
    expect(ftpFeedSettingsSchema.safeParse(ok).success).toBe(true);
    expect(ftpFeedSettingsSchema.safeParse({ ...ok, extra: 1 }).success).toBe(false); // strict
    expect(ftpFeedSettingsSchema.safeParse({ ...ok, port: 0 }).success).toBe(false);
    expect(ftpFeedSettingsSchema.safeParse({ ...ok, port: 65536 }).success).toBe(false);
    expect(ftpFeedSettingsSchema.safeParse({ ...ok, password: 'x\r\nDELE custlistsi.txt' }).success).toBe(false);
    expect(ftpFeedSettingsSchema.safeParse({ ...ok, host: 'ftp://ftp.example.com' }).success).toBe(false);
    expect(ftpFeedSettingsSchema.safeParse({ ...ok, host: 'ftp.example.com:21' }).success).toBe(false);
    expect(ftpFeedSettingsSchema.safeParse({ ...ok, host: 'a'.repeat(254) }).success).toBe(false);
    expect(tuckerRockyModule.feed.needsFeedSettings).toBe(true);
    expect(automaticModule.feed.needsFeedSettings).toBe(true);
    expect(TUCKER_WAREHOUSES).toContain(TUCKER_DROPSHIP_WAREHOUSE);
  });

  it('checks the parsed host against the outbound policy', () => {
    expect(ftpHostProblem('ftp.tucker.com', PROD)).toBeUndefined();
    expect(ftpHostProblem('203.0.113.7', PROD)).toBeUndefined();
    expect(ftpHostProblem('127.0.0.1', DEV)).toBeUndefined();
    expect(ftpHostProblem('localhost', DEV)).toBeUndefined();
    expect(ftpHostProblem('127.0.0.1', PROD)).toMatch(/this machine/);
    expect(ftpHostProblem('localhost', PROD)).toMatch(/this machine/);
    // Other spellings of loopback are parsed as the URL parser reads them.
    expect(ftpHostProblem('2130706433', PROD)).toMatch(/127\.0\.0\.1/);
    expect(ftpHostProblem('0x7f.1', PROD)).toMatch(/127\.0\.0\.1/);
    expect(ftpHostProblem('::1', PROD)).toMatch(/this machine/);
    expect(ftpHostProblem('10.1.2.3', DEV)).toMatch(/private/);
    expect(ftpHostProblem('0xa.1.2.3', DEV)).toMatch(/private/);
    expect(ftpHostProblem('169.254.169.254', DEV)).toMatch(/link-local/);
    expect(ftpHostProblem('metadata.google.internal', DEV)).toMatch(/metadata/);
    expect(ftpHostProblem('[fd00::1]', DEV)).toMatch(/private/);
    expect(ftpHostProblem('user@host', DEV)).toMatch(/not a host/);
  });

  it('refuses a forbidden host before connecting', async () => {
    for (const [host, policy] of [['10.1.2.3', DEV], ['169.254.169.254', DEV], ['127.0.0.1', PROD]] as const) {
      const e1 = await caught(collect(tuckerRockyModule.feed.read(tuckerCreds({ host }), ctx({ urlPolicy: policy }))));
      expect(e1).toMatchObject({ kind: 'permanent', code: 'destination_refused' });
      const e2 = await caught(automaticModule.feed.verify(automaticCreds({ host }), ctx({ urlPolicy: policy })));
      expect(e2).toMatchObject({ kind: 'permanent', code: 'destination_refused' });
    }
  });

  it('asks for feed settings when the connection has none', async () => {
    const e = await caught(tuckerRockyModule.feed.verify({ customerNumber: '104455', apiKey: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ12' }, ctx()));
    expect(e).toMatchObject({ kind: 'permanent', code: 'account_setup_required' });
    expect(e.message).toMatch(/feed/);
    const e2 = await caught(collect(automaticModule.feed.read({ apiToken: 'tok-123456' }, ctx())));
    expect(e2.code).toBe('account_setup_required');
  });
});

describe('Tucker price file', () => {
  beforeEach(async () => {
    await control(tuckerHttp, 'PUT', '/__control/items/373843', { price: 80.19, bestPrice: 76.5, retailPrice: 112.27, warehouses: { TX: 30, PA: 4 } });
    await control(tuckerHttp, 'PUT', '/__control/items/BA0027', { price: 12.5, retailPrice: 19.99, nextPoDueDate: '061524', warehouses: { TX: 1, PA: 2 } });
    await control(tuckerHttp, 'PUT', '/__control/items/OLD001', { status: 'D', price: 3, warehouses: { TX: 5 } });
    await control(tuckerHttp, 'PUT', '/__control/items/CLO001', { status: 'C', price: 4, warehouses: { NV: 2 } });
    await control(tuckerHttp, 'PUT', '/__control/items/NODS01', { dropShipEligible: false, warehouses: { NV: 5 } });
  });

  it('verifies with a login and a listing', async () => {
    await expect(tuckerRockyModule.feed.verify(tuckerCreds(), ctx())).resolves.toBeUndefined();
    const e = await caught(tuckerRockyModule.feed.verify(tuckerCreds({ path: '/outgoing/custlistsi.txt' }), ctx()));
    expect(e).toMatchObject({ kind: 'permanent', code: 'account_setup_required' });
    const e2 = await caught(tuckerRockyModule.feed.verify(tuckerCreds({ path: 'other.txt' }), ctx()));
    expect(e2.message).toMatch(/no other\.txt/);
  });

  it('reads items from the fixed-width file', async () => {
    const records = await collect(tuckerRockyModule.feed.read(tuckerCreds(), ctx()));
    expect(errors(records)).toEqual([]);
    expect(records.map((r) => r.line)).toEqual([1, 2, 3, 4, 5]); // no header line
    const byPart = Object.fromEntries(items(records).map((i) => [i.partNumber, i]));
    expect(byPart['373843']).toEqual({
      partNumber: '373843',
      status: '',
      orderable: true,
      dealerCost: 76.5,
      retailPrice: 112.27,
      warehouses: { DS: 9 }, // 34 in stock, the file caps at 9
    });
    expect(byPart.BA0027).toMatchObject({ dealerCost: 12.5, retailPrice: 19.99, warehouses: { DS: 3 } });
    expect(byPart.OLD001).toMatchObject({ status: 'D', orderable: false });
    expect(byPart.CLO001).toMatchObject({ status: 'C', orderable: true, warehouses: { DS: 2 } });
    expect(byPart.NODS01).toMatchObject({ orderable: true, warehouses: { DS: 0 } });
  });

  it('reports bad rows with their physical line and goes on', async () => {
    await control(tuckerHttp, 'POST', '/__control/feed-file', {
      appendLines: [
        'SHORT',
        '999999 SN90008O.1900080.1900112.27S9', // letter O in the standard price
        '       SN900080.1900080.1900112.27S9', // no item number
        '888888 SN900080.1900080.1900112.27SX', // drop ship qty not a digit
        '777777 SN900080.1900080.1900112.27S9XX', // bad date
        '',
        '666666DZN000001.0000001.0000002.00Z0123124',
      ],
    });
    const records = await collect(tuckerRockyModule.feed.read(tuckerCreds(), ctx()));
    expect(errors(records).map((e) => e.line)).toEqual([6, 7, 8, 9, 10]);
    expect(errors(records)[0].error).toMatch(/5 characters wide/);
    expect(errors(records)[1].error).toMatch(/standard price "00080O.19"|standard price "0008O.19"|standard price/);
    expect(errors(records)[2].error).toMatch(/missing item number/);
    expect(errors(records)[3].error).toMatch(/drop ship quantity/);
    expect(errors(records)[4].error).toMatch(/due date/);
    const last = records[records.length - 1];
    expect(last).toEqual({ line: 12, item: expect.objectContaining({ partNumber: '666666', status: 'D', orderable: false, dealerCost: 1, warehouses: { DS: 0 } }) });
  });

  it('parses one line in isolation', () => {
    expect(parseTuckerFeedLine('BA0027 LN300012.5000011.7500019.99L3061524', 4)).toEqual({
      line: 4,
      item: { partNumber: 'BA0027', status: '', orderable: true, dealerCost: 11.75, retailPrice: 19.99, warehouses: { DS: 3 } },
    });
    expect(parseTuckerFeedLine('BA0027 LN300012.5000011.7500019.99L3      ', 4)).toMatchObject({ item: { partNumber: 'BA0027' } });
  });

  it('refuses a wrong password as credentials_rejected, without the password', async () => {
    const wrong = 'Wr0ng-Pa55word';
    const e = await caught(collect(tuckerRockyModule.feed.read(tuckerCreds({ password: wrong }), ctx())));
    expect(e).toMatchObject({ kind: 'permanent', code: 'credentials_rejected' });
    expect(e.message).not.toContain(wrong);
    expect(e.message).not.toContain(PASSWORD);
    expect(JSON.stringify(e.details)).not.toContain(wrong);
    const e2 = await caught(tuckerRockyModule.feed.verify(tuckerCreds({ username: 'nobody-here' }), ctx()));
    expect(e2.code).toBe('credentials_rejected');
    expect(e2.message).not.toContain('nobody-here');
  });

  it('classifies a closed port as a transient network error', async () => {
    const stopped = createTuckerRockySimulator();
    await stopped.listen(0);
    const port = Number(new URL(stopped.ftpUrl!).port);
    await stopped.close();
    const e = await caught(tuckerRockyModule.feed.verify(tuckerCreds({ port }), ctx()));
    expect(e).toMatchObject({ kind: 'transient', code: 'network_error' });
  });

  it('streams a 20,000-row generated catalog', async () => {
    await control(tuckerHttp, 'POST', '/__control/catalog/generate', { count: 20000, seed: 7 });
    let n = 0;
    let bad = 0;
    let discontinued = 0;
    let last = 0;
    for await (const r of tuckerRockyModule.feed.read(tuckerCreds(), ctx())) {
      expect(r.line).toBe(last + 1);
      last = r.line;
      if ('error' in r) bad++;
      else {
        n++;
        if (!r.item.orderable) discontinued++;
      }
    }
    expect(bad).toBe(0);
    expect(n).toBe(20005);
    expect(discontinued).toBeGreaterThan(200); // ~3% D
    expect(discontinued).toBeLessThan(1200);
    // Deterministic: the same seed gives the same rows; generated items are live in the API too.
    const again = tucker.priceFile().split('\n');
    expect(again).toContain(tucker.priceRow([...tucker.catalogItems()].find((i) => i.sku === '100042')!));
  });

  it('stops the transfer when the reader stops early', async () => {
    await control(tuckerHttp, 'POST', '/__control/catalog/generate', { count: 20000 });
    let n = 0;
    for await (const r of tuckerRockyModule.feed.read(tuckerCreds(), ctx())) {
      expect('item' in r).toBe(true);
      if (++n === 10) break;
    }
    expect(n).toBe(10);
    // The server still serves the next run.
    await expect(tuckerRockyModule.feed.verify(tuckerCreds(), ctx())).resolves.toBeUndefined();
  });

  it('aborts with the run signal', async () => {
    await control(tuckerHttp, 'POST', '/__control/catalog/generate', { count: 20000 });
    const ac = new AbortController();
    let n = 0;
    const run = (async () => {
      for await (const _ of tuckerRockyModule.feed.read(tuckerCreds(), ctx({ signal: ac.signal }))) {
        if (++n === 5) ac.abort(new Error('run cancelled'));
      }
    })();
    await expect(run).rejects.toThrow('run cancelled');
    const pre = new AbortController();
    pre.abort(new Error('already cancelled'));
    await expect(collect(tuckerRockyModule.feed.read(tuckerCreds(), ctx({ signal: pre.signal })))).rejects.toThrow('already cancelled');
  });
});

describe('Automatic inventory file', () => {
  beforeEach(async () => {
    await control(automaticHttp, 'PUT', '/__control/items/AU-100', {
      price: 42.5,
      retailPrice: 59.99,
      mapPrice: 54.95,
      dropShipFee: 3.5,
      description: 'Brake Pads, "HH" Sintered',
      brand: 'EBC',
      mfgPartNumber: 'FA196HH',
      upc: '012345678905',
      warehouses: { MAIN: 7, EAST: 2 },
    });
    await control(automaticHttp, 'PUT', '/__control/items/AU-DISC', { status: 'DISCONTINUED', price: 5, warehouses: { MAIN: 0 } });
    await control(automaticHttp, 'PUT', '/__control/items/AU-CLOSE', { status: 'CLOSEOUT', price: 6, warehouses: { MAIN: 3 } });
  });

  it('verifies with a login and a listing', async () => {
    await expect(automaticModule.feed.verify(automaticCreds(), ctx())).resolves.toBeUndefined();
    await expect(automaticModule.feed.verify(automaticCreds({ path: 'inventory.csv' }), ctx())).resolves.toBeUndefined();
    const e = await caught(automaticModule.feed.verify(automaticCreds({ password: 'nope-nope' }), ctx()));
    expect(e).toMatchObject({ kind: 'permanent', code: 'credentials_rejected' });
    expect(e.message).not.toContain('nope-nope');
  });

  it('reads items with brand, UPC and per-warehouse quantities', async () => {
    const records = await collect(automaticModule.feed.read(automaticCreds(), ctx()));
    expect(errors(records)).toEqual([]);
    expect(records.map((r) => r.line)).toEqual([2, 3, 4]); // header is line 1
    const byPart = Object.fromEntries(items(records).map((i) => [i.partNumber, i]));
    expect(byPart['AU-100']).toEqual({
      partNumber: 'AU-100',
      status: 'A',
      orderable: true,
      dealerCost: 42.5,
      retailPrice: 59.99,
      mapPrice: 54.95,
      dropshipFee: 3.5,
      upc: '012345678905',
      brand: 'EBC',
      mfgPartNumber: 'FA196HH',
      description: 'Brake Pads, "HH" Sintered',
      warehouses: { MAIN: 7, EAST: 2 },
    });
    expect(byPart['AU-DISC']).toMatchObject({ status: 'D', orderable: false, upc: null, brand: null, mapPrice: null, warehouses: { MAIN: 0, EAST: 0 } });
    expect(byPart['AU-CLOSE']).toMatchObject({ status: 'C', orderable: true, warehouses: { MAIN: 3, EAST: 0 } });
  });

  it('reports bad rows with their physical line and goes on', async () => {
    await control(automaticHttp, 'POST', '/__control/feed-file', {
      appendLines: [
        'BAD-1,Desc,EBC,X1,,A,12.x5,20,,0,1,0', // line 5: bad cost
        ',Desc,EBC,X2,,A,12,20,,0,1,0', // line 6: no item number
        'BAD-3,Desc,EBC,X3,,A,12,20', // line 7: too few fields
        'BAD-4,Desc,EBC,X4,,A,12,20,,0,-1,0', // line 8: negative quantity
        'BAD-5,"broken "quote,EBC,X5,,A,12,20,,0,1,0', // line 9: unreadable CSV
        'GOOD-6,"Two, with comma",EBC,X6,,A,1.50,2,,,4,5', // line 10
        'ML-7,"Line one', // lines 11-12: one record, a line break inside quotes
        'line two",EBC,X7,,A,1,2,,,1,1',
        'BAD-9,unclosed "x,EBC,X9,,A,1,2,,,1,1', // line 13: a stray quote
        'G-10,ok,EBC,X10,,A,1,2,,,1,1', // line 14
      ],
    });
    const records = await collect(automaticModule.feed.read(automaticCreds(), ctx()));
    const errs = errors(records);
    expect(errs.map((e) => e.line)).toEqual([5, 6, 7, 8, 9, 13]);
    expect(errs[0].error).toMatch(/DealerCost "12\.x5" is not a number/);
    expect(errs[1].error).toMatch(/missing ItemNumber/);
    expect(errs[2].error).toMatch(/8 fields; the header has 12/);
    expect(errs[3].error).toMatch(/Qty_EAST|Qty_MAIN/);
    expect(errs[4].error).toMatch(/unreadable CSV/);
    const good = records.filter((r) => 'item' in r && r.line > 4);
    expect(good).toEqual([
      { line: 10, item: expect.objectContaining({ partNumber: 'GOOD-6', description: 'Two, with comma', dealerCost: 1.5, dropshipFee: null, warehouses: { MAIN: 4, EAST: 5 } }) },
      { line: 11, item: expect.objectContaining({ partNumber: 'ML-7', description: 'Line one\nline two' }) },
      { line: 14, item: expect.objectContaining({ partNumber: 'G-10' }) },
    ]);
    // Records come in file order.
    const lines = records.map((r) => r.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  it('refuses a file whose header lacks the required columns', async () => {
    await control(automaticHttp, 'POST', '/__control/feed-file', { raw: 'Sku,Qty\r\nA,1\r\n' });
    const e = await caught(collect(automaticModule.feed.read(automaticCreds(), ctx())));
    expect(e).toMatchObject({ kind: 'permanent', code: 'invalid_request' });
    expect(e.message).toMatch(/ItemNumber, Status, DealerCost/);
  });

  it('reads a UTF-8 file with a BOM and LF line ends', async () => {
    await control(automaticHttp, 'POST', '/__control/feed-file', {
      raw: '\ufeffItemNumber,Description,Brand,MfgPartNumber,UPC,Status,DealerCost,Retail,MAP,DropShipFee,Qty_MAIN\nX-1,Bremsbeläge,Kimpex,K1,,A,3.10,5,,,2\n',
    });
    const records = await collect(automaticModule.feed.read(automaticCreds(), ctx()));
    expect(records).toEqual([{ line: 2, item: expect.objectContaining({ partNumber: 'X-1', description: 'Bremsbeläge', warehouses: { MAIN: 2 } }) }]);
  });

  it('parses one row in isolation', () => {
    const cols = automaticFeedColumns(['ItemNumber', 'Status', 'DealerCost', 'Qty_main']);
    expect(parseAutomaticFeedRow(['A1', 'a', '1', '3'], cols, 2)).toEqual({
      line: 2,
      item: expect.objectContaining({ partNumber: 'A1', status: 'A', orderable: true, dealerCost: 1, warehouses: { MAIN: 3 } }),
    });
    expect(parseAutomaticFeedRow(['A1', 'X', '1', '3'], cols, 3)).toMatchObject({ item: { orderable: false } });
    expect(parseAutomaticFeedRow(['A1', 'A', '1e3', '3'], cols, 4)).toEqual({ line: 4, error: expect.stringMatching(/DealerCost/) });
  });

  it('streams a 20,000-row generated catalog', async () => {
    await control(automaticHttp, 'POST', '/__control/catalog/generate', { count: 20000, seed: 3 });
    let n = 0;
    let bad = 0;
    let withMap = 0;
    const upcs = new Set<string>();
    for await (const r of makeAutomaticFeed().read(automaticCreds(), ctx())) {
      if ('error' in r) bad++;
      else {
        n++;
        if (r.item.mapPrice !== null) withMap++;
        if (r.item.upc) upcs.add(r.item.upc);
        if (n === 4) expect(r.item).toMatchObject({ brand: expect.any(String), mfgPartNumber: expect.any(String), upc: expect.stringMatching(/^\d{12}$/) });
      }
    }
    expect(bad).toBe(0);
    expect(n).toBe(20003);
    expect(upcs.size).toBe(20001); // generated UPCs are unique, plus AU-100's
    expect(withMap).toBeGreaterThan(5000);
    // Generated items answer the API too.
    await control(automaticHttp, 'POST', '/__control/accounts', { credentials: { apiToken: 'tok-123456' } });
    const avail = await got(`${automaticHttp}/item/avail/10-00000`, { headers: { authorization: 'tok-123456' }, throwHttpErrors: false, responseType: 'json' });
    expect(avail.statusCode).toBe(200);
  });
});

describe('FTPS', () => {
  let certDir: string | undefined;
  let tls: { key: string; cert: string } | undefined;
  let secureSim: TuckerRockySimulator | undefined;

  beforeAll(async () => {
    certDir = mkdtempSync(join(tmpdir(), 'feeds-ftps-'));
    try {
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')],
        { stdio: 'ignore' },
      );
      tls = { key: readFileSync(join(certDir, 'key.pem'), 'utf8'), cert: readFileSync(join(certDir, 'cert.pem'), 'utf8') };
    } catch {
      tls = undefined; // no openssl: the FTPS cases are skipped below
    }
    if (tls) {
      secureSim = createTuckerRockySimulator({ ftpTls: tls });
      await secureSim.listen(0);
      secureSim.upsertFeedAccount(USER, PASSWORD);
      secureSim.upsertItem('373843', { price: 80.19, warehouses: { TX: 3 } });
    }
  });

  afterAll(async () => {
    await secureSim?.close();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  const secureCreds = (over: Partial<FtpFeedSettings> = {}): TuckerRockyCredentials => ({
    customerNumber: '104455',
    apiKey: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ12',
    feed: feedOf(secureSim!, over),
  });

  it('reads over explicit FTPS with a trusted certificate', async () => {
    if (!tls) return;
    const feed = makeTuckerFeed({ tls: { ca: tls.cert } });
    await expect(feed.verify(secureCreds({ secure: true }), ctx())).resolves.toBeUndefined();
    const records = await collect(feed.read(secureCreds({ secure: true }), ctx()));
    expect(items(records).map((i) => i.partNumber)).toEqual(['373843']);
  });

  it('refuses an untrusted certificate as a permanent failure', async () => {
    if (!tls) return;
    const e = await caught(tuckerRockyModule.feed.verify(secureCreds({ secure: true }), ctx()));
    expect(e).toMatchObject({ kind: 'permanent', code: 'invalid_request' });
    expect(e.message).toMatch(/certificate/);
  });

  it('secure:false reads in plain FTP; secure:true against a plain server says FTPS is not offered', async () => {
    const records = await collect(tuckerRockyModule.feed.read(tuckerCreds({ secure: false }), ctx()));
    expect(errors(records)).toEqual([]);
    const e = await caught(tuckerRockyModule.feed.verify(tuckerCreds({ secure: true }), ctx()));
    expect(e).toMatchObject({ kind: 'permanent', code: 'account_setup_required' });
    expect(e.message).toMatch(/FTPS/);
  });
});
