// Credentials at rest: AES-256-GCM bound to its row, explicit key ids for rotation, the legacy
// binding still opening (once) for old rows, and the key configuration's refusals.
import { loadConfig, parseCredentialKeys } from '../../src/config';
import { seal, unseal } from '../../src/crypto';
import { legacySeal } from '../support/legacy-seal';

const A = 'a:' + '11'.repeat(32);
const B = 'b:' + Buffer.alloc(32, 0x22).toString('base64');
const row = { tenantId: '5b0c7f5e-1111-4a4a-9999-000000000001', kind: 'distributor', code: 'wps' };
const creds = { apiToken: 'secret-token-123' };

describe('sealed credentials', () => {
  it('round-trip, and the plaintext is not in the stored bytes', () => {
    const keys = parseCredentialKeys(A);
    const sealed = seal(keys, creds, row);
    expect(sealed.keyId).toBe('a');
    expect(sealed.secret.toString('latin1')).not.toContain('secret-token');
    expect(unseal(keys, sealed, row)).toEqual({ value: creds, stale: false });
  });

  it('survive a rotation that puts the new key first (B,A after A), and are then stale', () => {
    const sealed = seal(parseCredentialKeys(A), creds, row);
    const rotated = parseCredentialKeys(`${B},${A}`);
    expect(unseal(rotated, sealed, row)).toEqual({ value: creds, stale: true });
    const resealed = seal(rotated, creds, row);
    expect(resealed.keyId).toBe('b');
    expect(unseal(rotated, resealed, row).stale).toBe(false);
    expect(() => unseal(parseCredentialKeys(B), sealed, row)).toThrow('encrypted with key "a", which is not configured');
  });

  it.each([
    ['another tenant', { ...row, tenantId: '5b0c7f5e-1111-4a4a-9999-000000000002' }],
    ['another kind', { ...row, kind: 'marketplace' }],
    ['another code', { ...row, code: 'automatic' }],
  ])('do not open when copied to %s', (_what, other) => {
    const keys = parseCredentialKeys(A);
    expect(() => unseal(keys, seal(keys, creds, row), other)).toThrow(/do not decrypt with key "a": they were altered or copied from another row/);
  });

  it('refuse tampering, and name a stored value too short for an IV and a tag', () => {
    const keys = parseCredentialKeys(A);
    const sealed = seal(keys, creds, row);
    for (const at of [0, 12, 27, sealed.secret.length - 1]) {
      const tampered = Buffer.from(sealed.secret);
      tampered[at] ^= 1;
      expect(() => unseal(keys, { ...sealed, secret: tampered }, row)).toThrow(/do not decrypt/);
    }
    expect(() => unseal(keys, { ...sealed, secret: sealed.secret.subarray(0, 27) }, row)).toThrow(
      'The stored distributor credentials for wps are damaged: 27 bytes cannot hold a 12-byte IV and a 16-byte tag',
    );
    // four tag bytes cut out: the tag is then read from the ciphertext, and does not match
    const short = Buffer.concat([sealed.secret.subarray(0, 24), sealed.secret.subarray(28)]);
    expect(() => unseal(keys, { ...sealed, secret: short }, row)).toThrow(/do not decrypt/);
  });

  it('sealed before rows were bound still open, marked stale so they are sealed again', () => {
    const keys = parseCredentialKeys(A);
    const old = legacySeal(keys[0], creds);
    expect(unseal(keys, old, row)).toEqual({ value: creds, stale: true });
    // what they are sealed again into is bound to the row
    const again = seal(keys, creds, row);
    expect(() => unseal(keys, again, { ...row, code: 'automatic' })).toThrow(/do not decrypt/);
  });
});

describe('credentials key configuration', () => {
  it('takes id:key pairs, hex or base64, the first one encrypting', () => {
    expect(parseCredentialKeys(` ${B} , ${A} `).map((k) => [k.id, k.key.length])).toEqual([
      ['b', 32],
      ['a', 32],
    ]);
    expect(loadConfig({ CREDENTIALS_KEY: `${B},${A}` }).credentialKeys[0].id).toBe('b');
  });

  it('refuses a bare key with a sentence that shows the form', () => {
    expect(() => parseCredentialKeys('11'.repeat(32))).toThrow(/CREDENTIALS_KEY is a comma-separated list of id:key pairs.*e\.g\. CREDENTIALS_KEY=k2:<new key>,k1:<old key>/);
    expect(() => parseCredentialKeys(`${A},${'22'.repeat(32)}`)).toThrow(/id:key pairs/);
    expect(() => parseCredentialKeys(`:${'11'.repeat(32)}`)).toThrow(/id:key pairs/);
  });

  it('refuses a key id given twice, a key of the wrong size, and an empty list', () => {
    expect(() => parseCredentialKeys(`${A},a:${'33'.repeat(32)}`)).toThrow('CREDENTIALS_KEY names key id "a" twice');
    expect(() => parseCredentialKeys('a:abcd')).toThrow('CREDENTIALS_KEY key "a" must be 32 bytes');
    expect(() => parseCredentialKeys(' , ')).toThrow('CREDENTIALS_KEY is empty');
  });

  it('is required in production (no per-machine generated key)', () => {
    expect(() => loadConfig({ APP_ENV: 'production' })).toThrow(/^CREDENTIALS_KEY is required when APP_ENV is production/);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/CREDENTIALS_KEY is required/);
    expect(loadConfig({ APP_ENV: 'production', CREDENTIALS_KEY: A }).credentialKeys.map((k) => k.id)).toEqual(['a']);
  });
});
