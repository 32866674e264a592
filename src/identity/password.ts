/**
 * @module identity/password — password hashing with scrypt (node:crypto): a random salt per
 * password, the parameters stored beside the hash so they can be raised later without breaking
 * stored passwords, and a constant-time comparison. Passwords are never logged or returned.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost parameters. */
export interface KdfParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/**
 * The default cost: 2^15 × 8 uses 32 MiB and about 0.1–0.2 s of one core here. OWASP suggests
 * 2^17; that is 0.8 s on this 2-core VM, too slow for a login path. Raise it when the hardware allows:
 * stored hashes keep their own parameters.
 */
export const DEFAULT_KDF: KdfParams = { N: 2 ** 15, r: 8, p: 1 };

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** Upper bounds accepted from a stored hash, so a corrupted row cannot make one login eat the host. */
const MAX_N = 2 ** 20;

function derive(password: string, salt: Buffer, params: KdfParams): Promise<Buffer> {
  const opts: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** `scrypt$N=32768,r=8,p=1$<salt>$<hash>` (salt and hash in unpadded base64). */
export async function hashPassword(password: string, params: KdfParams = DEFAULT_KDF): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, params);
  return `scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

interface Parsed {
  params: KdfParams;
  salt: Buffer;
  key: Buffer;
}

function parse(stored: string): Parsed | null {
  const m = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([\w-]+)\$([\w-]+)$/.exec(stored);
  if (!m) return null;
  const params = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (params.N < 2 || params.N > MAX_N || (params.N & (params.N - 1)) !== 0 || params.r < 1 || params.r > 32 || params.p < 1 || params.p > 16) {
    return null;
  }
  return { params, salt: Buffer.from(m[4]!, 'base64url'), key: Buffer.from(m[5]!, 'base64url') };
}

/** True when `password` matches `stored` (from {@link hashPassword}); false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const p = parse(stored);
  if (!p || p.key.length !== KEY_LENGTH) return false;
  const key = await derive(password, p.salt, p.params);
  return timingSafeEqual(key, p.key);
}

let dummy: Promise<string> | undefined;

/**
 * Spends the time a real verification would, for a user that does not exist (or has no
 * password), so that the answer's timing does not tell which user names exist. Always false.
 */
export async function verifyNothing(password: string): Promise<false> {
  dummy ??= hashPassword('fulcrum-dummy-password');
  await verifyPassword(password, await dummy);
  return false;
}

/** A random password for bootstrap users: 24 characters of base64url (144 bits). */
export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}
