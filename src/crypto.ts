// Credentials at rest: AES-256-GCM with a random 12-byte IV per secret. Stored as
// iv | tag | ciphertext, with the id of the key that encrypted it so keys can rotate:
// the first configured key encrypts, any configured key decrypts.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { CredentialKey } from './config';

export interface Sealed {
  keyId: string;
  secret: Buffer;
}

export function seal(keys: CredentialKey[], value: unknown): Sealed {
  const k = keys[0];
  if (!k) throw new Error('no credentials key configured');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', k.key, iv);
  cipher.setAAD(Buffer.from(k.id));
  const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return { keyId: k.id, secret: Buffer.concat([iv, cipher.getAuthTag(), ct]) };
}

export function unseal<T = unknown>(keys: CredentialKey[], sealed: Sealed): T {
  const k = keys.find((x) => x.id === sealed.keyId);
  if (!k) throw new Error(`credentials were encrypted with key "${sealed.keyId}", which is not configured`);
  const buf = Buffer.from(sealed.secret);
  const decipher = createDecipheriv('aes-256-gcm', k.key, buf.subarray(0, 12));
  decipher.setAAD(Buffer.from(k.id));
  decipher.setAuthTag(buf.subarray(12, 28));
  const pt = Buffer.concat([decipher.update(buf.subarray(28)), decipher.final()]);
  return JSON.parse(pt.toString('utf8')) as T;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `••••` + the last four characters (enough to recognise an account number or key); values of four characters or fewer are fully masked. */
export function maskSecret(value: string): string {
  return value.length <= 4 ? '••••' : `••••${value.slice(-4)}`;
}
