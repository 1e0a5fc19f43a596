// The dealer's screens in a real headless Chromium (Debian's package, driven by puppeteer-core)
// against the whole engine: sign in with the dealer's key, swap a line of the demo order with the
// keyboard, confirm, watch the POs appear, ship at the simulators and see the tracking links; the
// API's own messages for a wrong key, a refused confirm and an invalid search; a phone-size page.
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { demoDropshipBody } from '../../src/dev/demo';
import { ebayOrder, Stack } from '../support/stack';

jest.setTimeout(180_000);

// The page.evaluate callbacks run in the browser; the project compiles without the DOM library.
declare const document: any, location: any, sessionStorage: any, window: any;

const stack = new Stack({ trackingPollIntervalMs: 1000, upstreamTimeoutCapMs: 2500 });
let browser: Browser;
let key: string;
/** What the pages' CSP refused: must stay empty (no inline script or style anywhere). */
const refused: string[] = [];

beforeAll(async () => {
  await stack.start();
  ({ key } = await stack.dealer());
  browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run'],
  });
});
afterAll(async () => {
  await browser?.close();
  await stack.stop();
});
afterEach(() => expect(refused).toEqual([]));

async function openApp(viewport = { width: 1200, height: 900 }): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) refused.push(m.text());
  });
  await page.goto(`${stack.apiUrl}/app`);
  await page.waitForSelector('#api-key');
  return page;
}

async function signIn(page: Page, apiKey = key) {
  await page.type('#api-key', apiKey);
  await page.keyboard.press('Enter');
}

const signedIn = async (viewport?: { width: number; height: number }) => {
  const page = await openApp(viewport);
  await signIn(page);
  await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Dropships');
  return page;
};

const textOf = (page: Page, selector: string) => page.$eval(selector, (el: any) => el.innerText);

/** Waits until the element's text contains `text` (the screens refresh by themselves). */
const waitForText = (page: Page, selector: string, text: string) =>
  page.waitForFunction((s, t) => document.querySelector(s)?.innerText.includes(t), { timeout: 90_000 }, selector, text);

let seq = 0;
/** The demo order (helmet and brake pads, two or more candidates a line) with its own eBay order. */
async function demoDropship(): Promise<string> {
  const body = demoDropshipBody(`UI-${Date.now()}-${++seq}`);
  body.marketplace.orderId = await ebayOrder(stack, body.lines.map((l) => ({ lineItemId: l.marketplaceLineId, quantity: l.quantity })));
  const r = await stack.api('POST', '/v1/dropships', body, key);
  expect(r.status).toBe(201);
  return body.pssOrderId;
}

/** A new demo dropship, open in a signed-in page. */
async function openDropship(viewport?: { width: number; height: number }): Promise<{ id: string; page: Page }> {
  const id = await demoDropship();
  const page = await signedIn(viewport);
  await page.evaluate((x) => (location.hash = `#/dropships/${x}`), id);
  await page.waitForSelector('#confirm');
  return { id, page };
}

/** Presses Tab until the element with this id has focus: proves the keyboard reaches it. */
async function tabTo(page: Page, id: string) {
  for (let i = 0; i < 60; i++) {
    if (await page.evaluate((x) => document.activeElement?.id === x, id)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached #${id}`);
}

it('drop-ships the demo order by keyboard: swap, confirm, POs, then tracking with carrier links', async () => {
  const id = await demoDropship();
  const page = await signedIn();
  const link = `a[href="#/dropships/${id}"]`;
  await page.waitForSelector(link);
  await page.click(link);
  await page.waitForSelector('#choice-L2');

  // every candidate with its costs, stock and lead times; the default marked
  const l1 = await textOf(page, '[aria-label="Candidates for L1"]');
  for (const part of ['wps', '72-0500M', '$84.95', '$5.00', '$89.95', 'CA: 5 (1-day lead)', 'parts-unlimited', '$92.50', 'default']) expect(l1).toContain(part);
  const l2Default = await page.$eval('#choice-L2', (s: any) => s.value);
  expect(l2Default).toBe('tucker-rocky');

  // keyboard only: Tab to the swap, open it and pick the next distributor, name yourself, Space on Confirm
  await page.focus('h1');
  await tabTo(page, 'choice-L2');
  await page.keyboard.press('Space'); // opens the list
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  // the next cheapest: Automatic
  expect(await page.$eval('#choice-L2', (s: any) => s.value)).toBe('automatic');
  await tabTo(page, 'confirmed-by');
  await page.keyboard.type('ui tester');
  await tabTo(page, 'confirm');
  await page.keyboard.press('Space');

  await waitForText(page, '#status', 'Confirmed');
  await page.waitForFunction(() => document.querySelectorAll('[aria-label="Purchase orders"] tbody tr').length === 2 && !/submitting|pending/.test((document.querySelector('[aria-label="Purchase orders"]')).innerText), { timeout: 90_000 });
  const d = (await stack.api('GET', `/v1/dropships/${id}`, undefined, key)).body;
  expect(d.confirmedBy).toBe('ui tester');
  expect(d.purchaseOrders.map((p: { distributor: string }) => p.distributor).sort()).toEqual(['automatic', 'wps']);
  const pos = await textOf(page, '[aria-label="Purchase orders"]');
  for (const p of d.purchaseOrders) expect(pos).toContain(p.poNumber);

  // the distributors ship; the page keeps refreshing until the tracking and the final status show
  const po = (dist: string) => d.purchaseOrders.find((p: { distributor: string }) => p.distributor === dist).poNumber as string;
  expect((await stack.sim('wps', 'POST', `/__control/orders/${po('wps')}/ship`, { carrier: 'UP2D', trackingNumber: '1Z999AA10123456784' })).status).toBeLessThan(300);
  const ups = await page.waitForSelector('a.tracking[href="https://www.ups.com/track?tracknum=1Z999AA10123456784"]', { timeout: 90_000 });
  expect(await ups!.evaluate((a) => [a.textContent, a.getAttribute('rel')])).toEqual(['1Z999AA10123456784', 'noopener noreferrer']);
  expect((await stack.sim('automatic', 'POST', `/__control/orders/${po('automatic')}/ship`, { carrier: 'FedEx Home Delivery', trackingNumber: '612999000000099' })).status).toBeLessThan(300);
  await page.waitForSelector('a.tracking[href="https://www.fedex.com/fedextrack/?trknbr=612999000000099"]', { timeout: 90_000 });
  await waitForText(page, 'h1', 'completed');
  expect(await textOf(page, '.timeline')).toContain('confirmed');

  // the PO's own page: tracking with its link, and the attempt that placed it
  await page.click(`a[href="#/purchase-orders/${po('wps')}"]`);
  await waitForText(page, 'h1', `Purchase order ${po('wps')}`);
  await page.waitForSelector('a.tracking[href="https://www.ups.com/track?tracknum=1Z999AA10123456784"]');
  expect(await textOf(page, '[aria-label="Submission attempts"]')).toContain('placed');

  // search by order id and shipped status lists both POs
  await page.click('a[href="#/purchase-orders"]');
  await page.waitForSelector('#order-id');
  await page.type('#order-id', id);
  await page.select('#shipped', 'true');
  await page.click('#search');
  await page.waitForFunction(() => document.querySelectorAll('[aria-label="Purchase orders found"] tbody tr').length === 2);
  await page.close();
});

it('shows the API message for a wrong key, and Sign out forgets the key', async () => {
  const page = await openApp();
  await signIn(page, 'not-a-real-key');
  await waitForText(page, '#error', 'The API key is not valid');
  expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

  await signIn(page); // the sign-in form came back empty
  await page.waitForSelector('#sign-out', { visible: true });
  await page.click('#sign-out');
  await page.waitForSelector('#api-key');
  expect(await page.evaluate(() => sessionStorage.getItem('dropship.apiKey'))).toBeNull();
  await page.close();
});

it('shows the API message when a confirm is refused (cancelled meanwhile), and stops refreshing while hidden', async () => {
  const { id, page } = await openDropship();
  await page.type('#confirmed-by', 'ui tester');
  // the tab goes to the background: the page stops asking, so it still offers Confirm
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await page.waitForNetworkIdle({ idleTime: 200 }); // a GET already on its way has landed
  expect((await stack.api('POST', `/v1/dropships/${id}/cancel`, { reason: 'buyer cancelled' }, key)).status).toBe(202);
  const refusal = await stack.api('POST', `/v1/dropships/${id}/confirm`, { confirmedBy: 'someone' }, key);
  expect(refusal.status).toBe(409);
  await page.click('#confirm');
  await waitForText(page, '#error', refusal.body.message);
  await waitForText(page, 'h1', 'cancelled');
  await page.close();
});

it('cancels from the page, and shows the API message for an unknown order and an invalid search', async () => {
  const { page } = await openDropship();
  await page.type('#cancel-reason', 'buyer changed their mind');
  await page.click('#cancel');
  await waitForText(page, '#status', 'Cancel accepted');
  await waitForText(page, 'h1', 'cancelled');
  expect(await page.$('#confirm')).toBeNull();

  await page.evaluate(() => (location.hash = '#/dropships/NO-SUCH-ORDER'));
  await waitForText(page, '#error', 'Dropship NO-SUCH-ORDER was not found');

  await page.evaluate(() => (location.hash = '#/purchase-orders'));
  await page.waitForSelector('#po-number');
  await page.type('#po-number', 'P'.repeat(41));
  await page.click('#search');
  await waitForText(page, '#error', 'querystring.poNumber');
  expect(await page.$eval('#po-number', (i: any) => i.value)).toBe('P'.repeat(41));
  await page.close();
});

it('fits a phone: no sideways scrolling on the dropship page', async () => {
  const { page } = await openDropship({ width: 390, height: 844 });
  const [scrollWidth, innerWidth] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
  await page.close();
});
