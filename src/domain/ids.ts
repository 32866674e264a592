/** @module domain/ids — UUID identifiers, branded per object kind. */
import { randomUUID } from 'node:crypto';

declare const brand: unique symbol;
/** A string that is known to name one kind of object. */
export type Id<K extends string> = string & { readonly [brand]: K };
export type LoadBalancerId = Id<'LoadBalancer'>;
export type ListenerId = Id<'Listener'>;
export type PoolId = Id<'Pool'>;
export type MemberId = Id<'Member'>;
export type HealthMonitorId = Id<'HealthMonitor'>;
export type NetworkId = Id<'Network'>;
export type SubnetId = Id<'Subnet'>;
export type PortId = Id<'Port'>;
export type L7PolicyId = Id<'L7Policy'>;
export type L7RuleId = Id<'L7Rule'>;

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** True when `s` is a UUID in the forms OpenStack accepts (dashed or not, any case). */
export function isUuid(s: unknown): s is string {
  return typeof s === 'string' && UUID_RE.test(s);
}

/** A new random (v4) UUID of the given kind. */
export function newId<K extends string>(): Id<K> {
  return randomUUID() as Id<K>;
}

/** Project IDs are Keystone's: 32 hex characters (or any UUID-like string up to 36). */
export function isProjectId(s: unknown): s is string {
  return typeof s === 'string' && s.length > 0 && s.length <= 255 && /^[\w-]+$/.test(s);
}
