import { allocateShipments, samePart } from '../../activities';
import { alphanumericTracking, normalizeCarrier } from '../../src/carriers';
import { loadConfig, parseCredentialKeys } from '../../src/config';
import { seal, unseal } from '../../src/crypto';
import { canonicalJson, addressProblems } from '../../src/dropships';
import { parseDuration } from '../../src/duration';
import { redact, resolveBaseUrl } from '../../src/http';
import { wpsModule } from '../../src/distributors/wps';

describe('carrier mapping', () => {
  it('normalises distributor spellings to canonical carriers', () => {
    expect(normalizeCarrier('Federal Express')).toBe('FedEx');
    expect(normalizeCarrier('FDX')).toBe('FedEx');
    expect(normalizeCarrier('fedex ground')).toBe('FedEx');
    expect(normalizeCarrier('U.P.S.')).toBe('UPS');
    expect(normalizeCarrier('FedEx SmartPost')).toBe('FedExSmartPost');
    expect(normalizeCarrier('R+L Carriers')).toBe('Other');
    expect(normalizeCarrier(undefined)).toBe('Other');
    expect(alphanumericTracking('1Z 999-AA1 0123')).toBe('1Z999AA10123');
  });
});

describe('shipment allocation to PO lines', () => {
  const lines = [
    { lineId: 'L1', sku: 'A', distributorSku: '37-3843', quantity: 3 },
    { lineId: 'L2', sku: 'B', distributorSku: '15-0196', quantity: 1 },
  ];
  const ship = (tracking: string, at: string, items: { distributorSku: string; quantity: number }[]) => ({
    trackingNumber: tracking,
    carrier: 'UPS' as const,
    shippedAt: at,
    lines: items,
  });
  it('splits quantities across partial shipments and matches part numbers without punctuation', () => {
    const r = allocateShipments(lines, [ship('T2', '2026-01-02T00:00:00Z', [{ distributorSku: '373843', quantity: 1 }, { distributorSku: '15-0196', quantity: 1 }]), ship('T1', '2026-01-01T00:00:00Z', [{ distributorSku: '37-3843', quantity: 2 }])]);
    expect(r.shippedQuantities).toEqual({ L1: 3, L2: 1 });
    expect(r.shipments.map((s) => [s.trackingNumber, s.lines])).toEqual([
      ['T1', [{ lineId: 'L1', quantity: 2 }]],
      ['T2', [{ lineId: 'L1', quantity: 1 }, { lineId: 'L2', quantity: 1 }]],
    ]);
  });
  it('a shipment that does not list lines carries everything not yet shipped', () => {
    const r = allocateShipments(lines, [ship('T1', '2026-01-01T00:00:00Z', [{ distributorSku: '37-3843', quantity: 1 }]), ship('T2', '2026-01-02T00:00:00Z', [])]);
    expect(r.shippedQuantities).toEqual({ L1: 3, L2: 1 });
    expect(r.shipments[1].lines).toEqual([{ lineId: 'L1', quantity: 2 }, { lineId: 'L2', quantity: 1 }]);
  });
  it('counts freight with only a PRO number as shipped but has nothing to upload', () => {
    const r = allocateShipments(lines, [{ ...ship('', '2026-01-01T00:00:00Z', []), freightNumber: 'PRO123' }]);
    expect(r.shippedQuantities).toEqual({ L1: 3, L2: 1 });
    expect(r.shipments).toEqual([]);
  });
  it('samePart ignores case and punctuation', () => {
    expect(samePart('ab-12.3', 'AB123')).toBe(true);
    expect(samePart('AB124', 'AB123')).toBe(false);
  });
});

describe('configuration', () => {
  it('uses documented defaults and names a bad variable', () => {
    const c = loadConfig({ CREDENTIALS_KEY: 'k1:' + 'ab'.repeat(32) });
    expect(c.port).toBe(3000);
    expect(c.trackingPollIntervalMs).toBe(30 * 60_000);
    expect(() => loadConfig({ PORT: 'eighty', CREDENTIALS_KEY: 'ab'.repeat(32) })).toThrow(/PORT/);
    expect(() => loadConfig({ TRACKING_POLL_INTERVAL: 'soon', CREDENTIALS_KEY: 'ab'.repeat(32) })).toThrow(/TRACKING_POLL_INTERVAL/);
    expect(() => parseCredentialKeys('short')).toThrow(/32 bytes/);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('2h')).toBe(7_200_000);
  });
});

describe('requests and limits', () => {
  it('the same body by meaning is the same canonical JSON', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 2], c: undefined } })).toBe(canonicalJson({ a: { d: [1, 2] }, b: 1 }));
  });
  it('names the ship-to fields a distributor cannot take', () => {
    const shipTo = { name: 'N'.repeat(31), address1: 'A', city: 'C'.repeat(18), state: 'Idaho', postalCode: '83702', country: 'US' };
    expect(addressProblems(wpsModule.limits, shipTo).map((p) => p.field)).toEqual(['shipTo.name', 'shipTo.city', 'shipTo.state']);
  });
  it('redacts secrets and keeps documented paths when the base URL is replaced', () => {
    expect(redact('GET /bin/trws?apikey=abc12345&cust=1', ['abc12345'])).toBe('GET /bin/trws?apikey=***&cust=1');
    expect(resolveBaseUrl('https://api.wps-inc.com', 'http://127.0.0.1:4101')).toBe('http://127.0.0.1:4101');
  });
});
