// Where a dealer's credentials may be sent. A connection's baseUrl is tenant input: unchecked, a
// tenant could point the worker, carrying the dealer's credentials, at an internal address and
// read part of the answer back in an error. Only the parsed URL is checked, never DNS: production
// allows nothing but the documented https origins, so no name can smuggle in an internal address;
// development allows any name and loopback (the simulators) but still no private, link-local or
// metadata address.
import { BlockList, isIP } from 'node:net';

export type AppEnv = 'development' | 'production';

export interface UrlPolicy {
  appEnv: AppEnv;
  /** Origins (`https://host`) allowed in production: the adapters' documented hosts and configured extras. */
  productionOrigins: readonly string[];
  /**
   * Host suffixes allowed in production over https on the default port, for APIs with a host per
   * account (Shopify: `<shop>.myshopify.com`). Each starts with a dot.
   */
  productionHostSuffixes?: readonly string[];
}

function blockList(ranges: [string, number][]): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of ranges) list.addSubnet(net, prefix, isIP(net) === 6 ? 'ipv6' : 'ipv4');
  return list;
}

// Checked in order: ::1 sits inside ::/96 below, and loopback is the one range development allows.
// A BlockList also matches IPv4-mapped IPv6 (::ffff:127.0.0.1) against its IPv4 ranges.
const LOOPBACK = blockList([['127.0.0.0', 8], ['::1', 128]]);
const REFUSED_RANGES: [string, BlockList][] = [
  ['an unspecified address', blockList([['0.0.0.0', 8], ['::', 128]])],
  ['a private address', blockList([['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['100.64.0.0', 10], ['fc00::', 7]])],
  ['a link-local address (where cloud metadata services answer)', blockList([['169.254.0.0', 16], ['fe80::', 10]])],
  ['a multicast or reserved address', blockList([['224.0.0.0', 3], ['ff00::', 8]])],
  // IPv6 forms with an IPv4 address inside (IPv4-compatible, NAT64, 6to4, Teredo): no upstream
  // uses them, and refusing them all is simpler than checking the address each one carries.
  ['an IPv6 address that embeds an IPv4 one', blockList([['::', 96], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['2002::', 16], ['2001::', 32]])],
];

// Names that always mean this machine (RFC 6761) or a cloud metadata service.
const LOOPBACK_NAME = /^(localhost|localhost\.localdomain|ip6-localhost|ip6-loopback)$|\.localhost$/;
const METADATA_NAME = /^(metadata|metadata\.goog|instance-data)$|\.internal$/;

/**
 * What a URL's host is, as far as the literal says: `loopback`, a sentence naming a refused
 * kind of address, or undefined for an ordinary name or public address.
 */
export function hostKind(hostname: string): string | undefined {
  const host = hostname.replace(/^\[|\]$/g, '').replace(/\.+$/, '').toLowerCase();
  const family = isIP(host);
  if (!family) {
    if (LOOPBACK_NAME.test(host)) return 'loopback';
    if (METADATA_NAME.test(host)) return 'a cloud metadata or internal name';
    return undefined;
  }
  const type = family === 6 ? 'ipv6' : 'ipv4';
  if (LOOPBACK.check(host, type)) return 'loopback';
  return REFUSED_RANGES.find(([, list]) => list.check(host, type))?.[0];
}

/** `https://host[:port]` of a URL string, as WHATWG URL spells it (lower case, default port dropped). */
export function originOf(url: string): string {
  return new URL(url).origin;
}

/** Why `raw` may not receive a dealer's credentials under `policy`, or undefined when it may. */
export function outboundUrlProblem(raw: string, policy: UrlPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http(s) URL, not ${url.protocol}`;
  if (url.username || url.password) return 'must not contain a user name or password';
  const kind = hostKind(url.hostname);
  if (kind && kind !== 'loopback') return `points at ${kind} (${url.hostname})`;
  if (policy.appEnv !== 'production') return undefined;
  const allowed = policy.productionOrigins.map(originOf);
  if (allowed.includes(url.origin)) return undefined;
  if (url.protocol === 'https:' && !url.port && policy.productionHostSuffixes?.some((s) => s.startsWith('.') && url.hostname.endsWith(s))) return undefined;
  return allowed.length
    ? `must be ${allowed.length === 1 ? allowed[0] : `one of ${allowed.join(', ')}`} in production (got ${url.origin})`
    : `is not allowed: this process has no documented host to send credentials to (got ${url.origin})`;
}
