// What seal() wrote before sealed credentials were bound to their row: the key id alone as the
// authenticated data. Tests use it to stand in for rows stored by earlier versions.
import { createCipheriv, randomBytes } from 'node:crypto';
import type { CredentialKey } from '../../src/config';
import type { Sealed } from '../../src/crypto';

export function legacySeal(key: CredentialKey, value: unknown): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(Buffer.from(key.id));
  const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return { keyId: key.id, secret: Buffer.concat([iv, cipher.getAuthTag(), ct]) };
}
