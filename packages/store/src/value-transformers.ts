// Encryption at rest: what the bytes of a stored object become on their way to etcd, in Kubernetes'
// formats so that a reader of raw etcd sees the same thing as under kube-apiserver:
//   aesgcm    k8s:enc:aesgcm:v1:<key name>:<12-byte nonce><ciphertext><16-byte tag>, the etcd key
//             as additional authenticated data (a value copied under another key does not open)
//   aescbc    k8s:enc:aescbc:v1:<key name>:<16-byte IV><ciphertext, PKCS#7 padded>
//   identity  the plain JSON
// A chain of providers writes with its first and reads with whichever one's prefix the value has
// (identity: any value no other one claims), so a new key put first still reads what an old key
// wrote, and a rewrite moves the value to the new key.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface ValueTransformer {
  /** The bytes to store for `plain` at etcd key `key`. */
  toStorage(plain: Buffer, key: string): Buffer;
  /** The plain bytes, and whether they were written by anything but the first provider (stale: a rewrite re-encrypts). */
  fromStorage(stored: Buffer, key: string): { plain: Buffer; stale: boolean };
}

/** One provider's one key (or identity): it claims the values that start with its prefix. */
export interface Provider {
  readonly prefix: Buffer;
  seal(plain: Buffer, key: string): Buffer;
  open(sealed: Buffer, key: string): Buffer;
}

export type AesMode = 'aesgcm' | 'aescbc';

export function aesProvider(mode: AesMode, keyName: string, secret: Buffer): Provider {
  const cipher = `aes-${secret.length * 8}-${mode === 'aesgcm' ? 'gcm' : 'cbc'}` as const;
  const prefix = Buffer.from(`k8s:enc:${mode}:v1:${keyName}:`);
  if (mode === 'aesgcm') {
    return {
      prefix,
      seal(plain, key) {
        const nonce = randomBytes(12);
        const c = createCipheriv(cipher, secret, nonce) as import('node:crypto').CipherGCM;
        c.setAAD(Buffer.from(key));
        const body = Buffer.concat([c.update(plain), c.final()]);
        return Buffer.concat([prefix, nonce, body, c.getAuthTag()]);
      },
      open(sealed, key) {
        const nonce = sealed.subarray(0, 12);
        const tag = sealed.subarray(sealed.length - 16);
        const d = createDecipheriv(cipher, secret, nonce) as import('node:crypto').DecipherGCM;
        d.setAAD(Buffer.from(key));
        d.setAuthTag(tag);
        return Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]);
      },
    };
  }
  return {
    prefix,
    seal(plain) {
      const iv = randomBytes(16);
      const c = createCipheriv(cipher, secret, iv);
      return Buffer.concat([prefix, iv, c.update(plain), c.final()]);
    },
    open(sealed) {
      const d = createDecipheriv(cipher, secret, sealed.subarray(0, 16));
      return Buffer.concat([d.update(sealed.subarray(16)), d.final()]);
    },
  };
}

const ENCRYPTED = Buffer.from('k8s:enc:');

/** Plain values; it leaves an encrypted one to the providers after it (identity first is how one decrypts everything). */
export const identityProvider: Provider = {
  prefix: Buffer.alloc(0),
  seal: (plain) => plain,
  open(plain) {
    if (startsWith(plain, ENCRYPTED)) throw new Error('the value is encrypted');
    return plain;
  },
};

/** Writes with the first provider; reads with the first whose prefix the value carries. */
export class ProviderChain implements ValueTransformer {
  constructor(private readonly providers: readonly Provider[]) {
    if (providers.length === 0) throw new Error('an encryption chain needs at least one provider');
  }

  toStorage(plain: Buffer, key: string): Buffer {
    return this.providers[0]!.seal(plain, key);
  }

  fromStorage(stored: Buffer, key: string): { plain: Buffer; stale: boolean } {
    const errors: string[] = [];
    for (const [i, p] of this.providers.entries()) {
      if (!startsWith(stored, p.prefix)) continue;
      try {
        return { plain: p.open(stored.subarray(p.prefix.length), key), stale: i !== 0 };
      } catch (e) {
        errors.push(`${p.prefix.toString() || 'identity'}: ${(e as Error).message}`);
      }
    }
    const what = /^k8s:enc:[a-z]+:v1:[^:]*:/.exec(stored.subarray(0, 80).toString('latin1'))?.[0];
    throw new Error(`cannot decrypt ${key}: ${what ? `no configured key for ${what}` : 'no provider claims the value'}${errors.length ? ` (${errors.join('; ')})` : ''}`);
  }
}

function startsWith(b: Buffer, prefix: Buffer): boolean {
  return b.length >= prefix.length && b.subarray(0, prefix.length).equals(prefix);
}
