/**
 * @module identity/token — opaque bearer tokens: 32 random bytes in hex, handed out once
 * and stored only as their SHA-256 (a database leak yields no usable token). Audit ids as Keystone's.
 */
import { createHash, randomBytes } from 'node:crypto';

/**
 * A new token: 64 hex characters. Not base64url: a token starting with `-` is read as an option
 * by the clients' argument parsers (`openstack token revoke -qK…` failed in a test).
 */
export function newToken(): string {
  return randomBytes(32).toString('hex');
}

/** What the database keeps of a token: its SHA-256, hex. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A token's audit id: 16 random bytes, base64url (22 characters, as Keystone's). */
export function newAuditId(): string {
  return randomBytes(16).toString('base64url');
}

/** True when `s` has the shape of one of our tokens (so garbage never reaches the database). */
export function isTokenShaped(s: unknown): s is string {
  return typeof s === 'string' && /^[0-9a-f]{64}$/.test(s);
}

/** Keystone's timestamp form, with microseconds: `2026-01-01T00:00:00.000000Z`. */
export function keystoneTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
