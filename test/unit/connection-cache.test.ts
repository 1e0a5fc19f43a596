import { OpenedConnectionCache } from '../../src/connections';

describe('the worker cache of opened credentials', () => {
  it('opens a connection once per TTL, never caches a missing one, and forgets refused credentials', async () => {
    let t = 0;
    const cache = new OpenedConnectionCache(30_000, () => t);
    let opened = 0;
    const load = async () => {
      opened++;
      return { creds: { apiKey: `k${opened}` }, updatedAt: 'x' };
    };
    expect(await cache.get('distributor', 'tn', 'wps', load)).toEqual({ creds: { apiKey: 'k1' }, updatedAt: 'x' });
    t = 29_999;
    expect((await cache.get('distributor', 'tn', 'wps', load))?.creds).toEqual({ apiKey: 'k1' });
    expect((await cache.get('distributor', 'tn2', 'wps', load))?.creds).toEqual({ apiKey: 'k2' });
    t = 30_000;
    expect((await cache.get('distributor', 'tn', 'wps', load))?.creds).toEqual({ apiKey: 'k3' });
    cache.forget('distributor', 'tn', 'wps');
    expect((await cache.get('distributor', 'tn', 'wps', load))?.creds).toEqual({ apiKey: 'k4' });

    let missing = 0;
    const none = async () => {
      missing++;
      return undefined;
    };
    expect(await cache.get('marketplace', 'tn', 'ebay', none)).toBeUndefined();
    expect(await cache.get('marketplace', 'tn', 'ebay', none)).toBeUndefined();
    expect(missing).toBe(2);
  });
});
