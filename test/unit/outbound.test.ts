// The outbound URL policy on many hostile spellings. Pure string checks: nothing here connects.
import { loadConfig } from '../../src/config';
import { upstreamUrlPolicy } from '../../src/connections';
import { distributorModules } from '../../src/distributors/registry';
import { marketplaceModules } from '../../src/marketplaces/registry';
import { outboundUrlProblem, type UrlPolicy } from '../../src/outbound';

const development: UrlPolicy = { appEnv: 'development', productionOrigins: [] };
const production: UrlPolicy = { appEnv: 'production', productionOrigins: ['https://api.wps-inc.com', 'https://api.tucker.com/bin/trws'] };
const KEY = { CREDENTIALS_KEY: `k1:${'ab'.repeat(32)}` };

describe('outbound URLs in development', () => {
  it.each([
    'http://127.0.0.1:4101',
    'http://127.0.0.1:4103/bin/trws?apikey=x',
    'http://localhost:3000',
    'http://api.localhost:3000',
    'http://[::1]:4101',
    'http://0x7f.1:4101', // 127.0.0.1 in hex/short form: still loopback
    'http://2130706433:4101',
    'https://apitest.tucker.com',
    'https://stage-api.lemansplatform.com/api',
    'http://172.32.0.1', // just outside 172.16/12
    'http://100.128.0.1', // just outside 100.64/10
    'http://8.8.8.8',
  ])('allows %s', (url) => {
    expect(outboundUrlProblem(url, development)).toBeUndefined();
  });

  it.each([
    ['http://10.0.0.1', /private/],
    ['http://10.255.255.255:8080/x', /private/],
    ['http://172.16.5.4', /private/],
    ['http://172.31.255.255', /private/],
    ['http://192.168.1.1', /private/],
    ['http://100.64.0.1', /private/],
    ['http://100.100.100.200', /private/], // Alibaba metadata
    ['http://3232235777', /private/], // 192.168.1.1 as one decimal number
    ['http://0300.0250.1.1', /private/], // octal
    ['http://0xc0.0xa8.0x01.0x01', /private/], // hex
    ['http://0xc0a80101', /private/],
    ['http://１０.０.０.１', /private/], // full-width digits, mapped by IDNA
    ['http://10.0.0.1.', /private/], // trailing dot
    ['http://169.254.169.254/latest/meta-data/', /link-local/],
    ['http://169.254.169.254.:80', /link-local/],
    ['http://0xa9fea9fe', /link-local/],
    ['http://0251.0376.0251.0376', /link-local/],
    ['http://[fe80::1]', /link-local/],
    ['http://[febf::1]', /link-local/],
    ['http://[fc00::1]', /private/],
    ['http://[fd00:ec2::254]', /private/], // AWS metadata over IPv6
    ['http://[::ffff:169.254.169.254]', /link-local/], // IPv4-mapped
    ['http://[::ffff:a9fe:a9fe]', /link-local/],
    ['http://[::ffff:10.0.0.1]', /private/],
    ['http://[0:0:0:0:0:ffff:c0a8:101]', /private/],
    ['http://[::10.0.0.1]', /embeds an IPv4/], // IPv4-compatible
    ['http://[::127.0.0.1]', /embeds an IPv4/],
    ['http://[64:ff9b::a9fe:a9fe]', /embeds an IPv4/], // NAT64
    ['http://[2002:a9fe:a9fe::1]', /embeds an IPv4/], // 6to4
    ['http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]', /embeds an IPv4/], // Teredo
    ['http://0.0.0.0:4101', /unspecified/],
    ['http://0:4101', /unspecified/],
    ['http://[::]:4101', /unspecified/],
    ['http://224.0.0.1', /multicast or reserved/],
    ['http://255.255.255.255', /multicast or reserved/],
    ['http://[ff02::1]', /multicast or reserved/],
    ['http://metadata.google.internal/computeMetadata/v1/', /metadata/],
    ['http://METADATA.GOOGLE.INTERNAL./', /metadata/],
    ['http://metadata/', /metadata/],
    ['http://instance-data/latest/', /metadata/],
    ['http://user:pw@127.0.0.1:4101', /user name or password/],
    ['http://token@127.0.0.1:4101', /user name or password/],
    ['https://api.wps-inc.com@10.0.0.1/', /user name or password/],
    ['ftp://127.0.0.1/', /http\(s\)/],
    ['file:///etc/passwd', /http\(s\)/],
    ['gopher://127.0.0.1:6379/_INFO', /http\(s\)/],
    ['javascript:alert(1)', /http\(s\)/],
    ['data:text/plain,hi', /http\(s\)/],
    ['not a url', /not a valid URL/],
    ['//127.0.0.1:4101', /not a valid URL/],
  ])('refuses %s', (url, why) => {
    expect(outboundUrlProblem(url, development)).toMatch(why);
  });
});

describe('outbound URLs in production', () => {
  it.each(['https://api.wps-inc.com', 'https://api.wps-inc.com/v4/orders?x=1', 'HTTPS://API.WPS-INC.COM:443/', 'https://api.tucker.com/bin/trws?type=INV'])(
    'allows the documented host %s',
    (url) => {
      expect(outboundUrlProblem(url, production)).toBeUndefined();
    },
  );

  it.each([
    'http://api.wps-inc.com', // not https
    'https://api.wps-inc.com:8443',
    'https://api.wps-inc.com.attacker.example',
    'https://attacker.example',
    'https://apitest.tucker.com', // documented test host, but not listed
    'http://127.0.0.1:4101', // loopback: development only
    'http://localhost:4101',
    'http://[::1]:4101',
    'https://2130706433',
    'https://api.wps-inc.com@attacker.example',
  ])('refuses %s', (url) => {
    expect(outboundUrlProblem(url, production)).toBeDefined();
  });

  it('names what is allowed, and refuses everything when nothing is', () => {
    expect(outboundUrlProblem('http://127.0.0.1:4101', production)).toBe(
      'must be one of https://api.wps-inc.com, https://api.tucker.com in production (got http://127.0.0.1:4101)',
    );
    expect(outboundUrlProblem('https://api.wps-inc.com', { appEnv: 'production', productionOrigins: [] })).toMatch(/no documented host/);
  });
});

describe('the policy built from the configuration', () => {
  it('allows every adapter module its documented host, plus configured extras, in production', () => {
    const config = loadConfig({ ...KEY, APP_ENV: 'production', ALLOWED_UPSTREAM_ORIGINS: 'https://apitest.tucker.com, https://api.autodist.example:8443' });
    const policy = upstreamUrlPolicy(config);
    for (const m of [...Object.values(distributorModules), ...Object.values(marketplaceModules)]) {
      expect(outboundUrlProblem(m!.productionBaseUrl, policy)).toBeUndefined();
    }
    expect(outboundUrlProblem('https://apitest.tucker.com/bin/trws', policy)).toBeUndefined();
    expect(outboundUrlProblem('https://api.autodist.example:8443/order', policy)).toBeUndefined();
    expect(outboundUrlProblem('http://127.0.0.1:4101', policy)).toBeDefined();
    // one module's connection may name only that module's host (or an extra)
    const wpsOnly = upstreamUrlPolicy(config, distributorModules.wps);
    expect(outboundUrlProblem('https://api.wps-inc.com', wpsOnly)).toBeUndefined();
    expect(outboundUrlProblem('https://api.tucker.com', wpsOnly)).toBeDefined();
  });

  it('is development unless APP_ENV or NODE_ENV says production', () => {
    expect(loadConfig(KEY).appEnv).toBe('development');
    expect(loadConfig({ ...KEY, NODE_ENV: 'test' }).appEnv).toBe('development');
    expect(loadConfig({ ...KEY, NODE_ENV: 'production' }).appEnv).toBe('production');
    expect(loadConfig({ ...KEY, NODE_ENV: 'production', APP_ENV: 'development' }).appEnv).toBe('development');
    expect(() => loadConfig({ ...KEY, APP_ENV: 'prod' })).toThrow(/APP_ENV must be development or production/);
  });

  it.each([
    ['http://apitest.tucker.com', /must be https/],
    ['https://apitest.tucker.com/bin/trws', /origin only/],
    ['https://user@apitest.tucker.com', /origin only/],
    ['https://10.1.2.3', /not an address/],
    ['https://[2001:db8::1]', /not an address/],
    ['https://localhost', /local name/],
    ['https://metadata.google.internal', /local name/],
    ['apitest.tucker.com', /not a URL/],
  ])('refuses ALLOWED_UPSTREAM_ORIGINS entry %s', (origin, why) => {
    const load = () => loadConfig({ ...KEY, ALLOWED_UPSTREAM_ORIGINS: origin });
    expect(load).toThrow(`ALLOWED_UPSTREAM_ORIGINS entry "${origin}"`);
    expect(load).toThrow(why);
  });
});

describe('hosts per account (Shopify)', () => {
  const policy = { appEnv: 'production' as const, productionOrigins: ['https://api.ebay.com'], productionHostSuffixes: ['.myshopify.com'] };
  it('allows a shop host under the suffix over https on the default port only', () => {
    expect(outboundUrlProblem('https://dealer-name.myshopify.com/admin/api/2026-10/graphql.json', policy)).toBeUndefined();
    expect(outboundUrlProblem('http://dealer-name.myshopify.com', policy)).toBeDefined();
    expect(outboundUrlProblem('https://dealer-name.myshopify.com:8443', policy)).toBeDefined();
    expect(outboundUrlProblem('https://evilmyshopify.com', policy)).toBeDefined();
    expect(outboundUrlProblem('https://myshopify.com.evil.example', policy)).toBeDefined();
  });
});
