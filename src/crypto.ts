// Credentials at rest: AES-256-GCM with a random 12-byte IV per secret. Stored as
// iv | tag | ciphertext, with the id of the key that encrypted it so keys can rotate:
// the first configured key encrypts, any configured key decrypts. The authenticated data binds
// each ciphertext to its key id and to its row (tenant, kind, code), so a secret copied into
// another row or another tenant's row does not decrypt.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { CredentialKey } from './config';

export interface Sealed {
  keyId: string;
  secret: Buffer;
}

/** The row a sealed secret belongs to. */
export interface SealedRow {
  tenantId: string;
  kind: string;
  code: string;
}

export interface Unsealed<T> {
  value: T;
  /** Sealed with an older key or without the row binding: seal it again to bring it up to date. */
  stale: boolean;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

function rowAad(keyId: string, row: SealedRow): Buffer {
  return Buffer.from(JSON.stringify(['credentials/v2', keyId, row.tenantId, row.kind, row.code]));
}

/** Rows sealed before the row binding authenticated the key id only; they still open, once, to be re-sealed. */
function legacyAad(keyId: string): Buffer {
  return Buffer.from(keyId);
}

export function seal(keys: CredentialKey[], value: unknown, row: SealedRow): Sealed {
  const k = keys[0];
  if (!k) throw new Error('no credentials key configured');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', k.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(rowAad(k.id, row));
  const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return { keyId: k.id, secret: Buffer.concat([iv, cipher.getAuthTag(), ct]) };
}

export function unseal<T = unknown>(keys: CredentialKey[], sealed: Sealed, row: SealedRow): Unsealed<T> {
  const what = `The stored ${row.kind} credentials for ${row.code}`;
  const k = keys.find((x) => x.id === sealed.keyId);
  if (!k) throw new Error(`${what} were encrypted with key "${sealed.keyId}", which is not configured (CREDENTIALS_KEY)`);
  const buf = Buffer.from(sealed.secret);
  if (buf.length < IV_BYTES + TAG_BYTES) {
    throw new Error(`${what} are damaged: ${buf.length} bytes cannot hold a ${IV_BYTES}-byte IV and a ${TAG_BYTES}-byte tag`);
  }
  const open = (aad: Buffer) => {
    // authTagLength makes GCM refuse a shortened tag instead of checking fewer bytes
    const decipher = createDecipheriv('aes-256-gcm', k.key, buf.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(buf.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(buf.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  };
  let plain: Buffer;
  let legacy = false;
  try {
    plain = open(rowAad(k.id, row));
  } catch {
    try {
      plain = open(legacyAad(k.id));
      legacy = true;
    } catch {
      throw new Error(`${what} do not decrypt with key "${k.id}": they were altered or copied from another row`);
    }
  }
  return { value: JSON.parse(plain.toString('utf8')) as T, stale: legacy || k.id !== keys[0].id };
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `••••` + the last four characters (enough to recognise an account number or key); values of four characters or fewer are fully masked. */
export function maskSecret(value: string): string {
  return value.length <= 4 ? '••••' : `••••${value.slice(-4)}`;
}
