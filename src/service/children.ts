/**
 * @module service/children — what listeners, pools, members and health monitors share: the owning
 * project, the parent statuses a change touches (Octavia's `test_and_set_lb_and_listeners_prov_status`),
 * Octavia's 409 and "not a valid option" errors, and the small value checks of its wsme types.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { FulcrumError, invalidField, validationFailure } from '../domain/errors.js';
import { SUPPORTED_ALPN_PROTOCOLS, TLS_ALL_VERSIONS } from '../domain/limits.js';
import type { ListenerProtocol, LoadBalancer, Pool, PoolProtocol } from '../domain/model.js';
import { VALID_LISTENER_POOL_PROTOCOLS } from '../domain/model.js';
import { assertMutable, type ProvisioningStatus } from '../domain/status.js';
import { isUniqueViolation } from '../store/sql.js';
import type { Reader, StoredByKind, StoredKind, Tx } from '../store/store.js';
import type { Caller } from './context.js';
import { notFoundError } from './objects.js';

/** One object a change marks, with the status it goes to. */
export interface Touched {
  kind: StoredKind;
  id: string;
  status: ProvisioningStatus;
}

/**
 * The project of a new child: always its load balancer's (Octavia overwrites the body's).
 * A body `project_id` naming another project is refused unless the caller is an admin.
 */
export function childProject(caller: Caller, lb: LoadBalancer, requested: string | undefined): string {
  if (requested !== undefined && requested !== lb.projectId && !caller.isAdmin) {
    throw new FulcrumError('FORBIDDEN', 'Policy does not allow this request to be performed.');
  }
  return lb.projectId;
}

/** Ids of the listeners whose default pool is `poolId` (a pool's `listeners` on the wire). */
export async function listenersOfPool(reader: Reader, poolId: string): Promise<string[]> {
  return (await reader.idsBy('listener', 'defaultPoolId', [poolId])).get(poolId) ?? [];
}

/**
 * The parent listeners of a pool, marked PENDING_UPDATE as Octavia marks them: those whose
 * default pool it is and those whose L7 policies redirect to it (Octavia's `Pool.listeners`).
 */
export async function touchListenersOf(reader: Reader, poolId: string): Promise<Touched[]> {
  const [byDefault, policies] = await Promise.all([
    listenersOfPool(reader, poolId), reader.list('l7policy', { filters: { redirectPoolId: [poolId] }, limit: null }),
  ]);
  const ids = new Set([...byDefault, ...policies.filter((p) => p.provisioningStatus !== 'PENDING_DELETE').map((p) => p.listenerId)]);
  return [...ids].map((id) => ({ kind: 'listener' as const, id, status: 'PENDING_UPDATE' as const }));
}

/**
 * Locks the load balancer of a pool for a change to one of its members or its health monitor.
 * As Octavia, the pool itself must be ACTIVE first (`Pool <id> is immutable…`), then the load balancer.
 */
export async function lockPoolMutable(tx: Tx, pool: Pool): Promise<LoadBalancer> {
  const lb = await tx.lockLoadBalancer(pool.loadBalancerId);
  if (!lb) throw notFoundError('loadbalancer', pool.loadBalancerId);
  const fresh = await tx.get('pool', pool.id);
  if (!fresh || fresh.provisioningStatus !== 'ACTIVE') {
    throw new FulcrumError('LB_IMMUTABLE', `Pool ${pool.id} is immutable and cannot be updated.`, {
      detail: `pool provisioning_status is ${fresh?.provisioningStatus ?? 'gone'}`,
    });
  }
  assertMutable(lb);
  return lb;
}

/** Octavia's 409 for a duplicate, with its message. */
export function duplicate(message: string): FulcrumError {
  return new FulcrumError('DUPLICATE', message);
}

/** Inserts a row; a unique violation (a racing duplicate) becomes `onDuplicate()`. */
export async function insertUnique<K extends StoredKind>(
  tx: Tx, kind: K, obj: StoredByKind[K], onDuplicate: () => FulcrumError,
): Promise<void> {
  try {
    await tx.insert(kind, obj);
  } catch (err) {
    if (isUniqueViolation(err)) throw onDuplicate();
    throw err;
  }
}

/** Octavia's `InvalidOption`: `<value> is not a valid option for <option>` (400). */
export function invalidOption(value: string, option: string, field?: string): FulcrumError {
  return new FulcrumError('VALIDATION', `${value} is not a valid option for ${option}`, field === undefined ? {} : { field });
}

/** Octavia's `ListenerNoChildren` (400). */
export function noChildren(protocol: ListenerProtocol): FulcrumError {
  return new FulcrumError('VALIDATION', `Protocol ${protocol} listeners cannot have child objects.`, { field: 'protocol' });
}

/** Python's repr of a list of strings, as Octavia's messages print them. */
export function pyList(xs: readonly string[]): string {
  return `[${xs.map((x) => `'${x}'`).join(', ')}]`;
}

/** A listener may forward to a pool of this protocol (Octavia `_validate_protocol`). */
export function checkListenerPoolProtocol(listener: ListenerProtocol, pool: PoolProtocol): void {
  if (!VALID_LISTENER_POOL_PROTOCOLS[listener].includes(pool)) {
    throw validationFailure(`The pool protocol '${pool}' is invalid while the listener protocol is '${listener}'.`, 'protocol');
  }
}

/** A listener's pool, which must exist on the same load balancer (404 as Octavia otherwise). */
export async function poolOnLoadBalancer(reader: Reader, lbId: string, poolId: string): Promise<Pool> {
  const pool = await reader.get('pool', poolId);
  if (!pool || pool.loadBalancerId !== lbId || pool.provisioningStatus === 'DELETED') {
    throw new FulcrumError('NOT_FOUND', `Pool ${poolId} not found.`);
  }
  return pool;
}

/** Octavia's `check_tls_version_list` (after defaults were applied; null means "unset"). */
export function checkTlsVersions(versions: readonly string[] | null): void {
  if (versions === null) return;
  if (versions.length === 0) {
    throw validationFailure('Empty TLS version list. Either specify at least one TLS version or remove this parameter to use the default.', 'tls_versions');
  }
  const invalid = versions.filter((v) => !(TLS_ALL_VERSIONS as readonly string[]).includes(v));
  if (invalid.length > 0) throw validationFailure(`Invalid TLS versions: ${invalid.join(', ')}`, 'tls_versions');
}

/** Octavia's `check_alpn_protocols` (null means "unset"). */
export function checkAlpnProtocols(protocols: readonly string[] | null): void {
  if (protocols === null) return;
  if (protocols.length === 0) {
    throw validationFailure('Empty ALPN protocol list. Either specify at least one ALPN protocol or remove this parameter to use the default.', 'alpn_protocols');
  }
  const invalid = protocols.filter((p) => !(SUPPORTED_ALPN_PROTOCOLS as readonly string[]).includes(p));
  if (invalid.length > 0) throw validationFailure(`Invalid ALPN protocol: ${invalid.join(', ')}`, 'alpn_protocols');
}

/** Each entry is an ALPN protocol id (wsme's `AlpnProtocolType`, checked while parsing). */
export function checkAlpnType(protocols: readonly string[] | null | undefined): void {
  for (const p of protocols ?? []) {
    if (!(SUPPORTED_ALPN_PROTOCOLS as readonly string[]).includes(p)) {
      throw invalidField('alpn_protocols', p, 'Value should be a valid ALPN protocol ID');
    }
  }
}

/** 4 or 6 for an address, 0 when it is none. */
export function ipVersion(address: string): 0 | 4 | 6 {
  return isIP(address) as 0 | 4 | 6;
}

/**
 * A CIDR as Python's `ip_network(value, strict=False).with_prefixlen` prints it (host bits
 * cleared; a bare address is a /32 or /128). @throws the wsme `CidrType` error naming `field`.
 */
export function normalizeCidr(value: string, field: string): string {
  const [addr = '', prefix, ...rest] = value.split('/');
  const version = ipVersion(addr);
  const bits = version === 4 ? 32 : 128;
  const len = prefix === undefined ? bits : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  if (version === 0 || rest.length > 0 || !(len >= 0 && len <= bits) || addr.includes('%')) {
    throw invalidField(field, value, 'Value should be IPv4 or IPv6 CIDR format');
  }
  const network = version === 4
    ? ipaddr.IPv4.networkAddressFromCIDR(`${addr}/${len}`)
    : ipaddr.IPv6.networkAddressFromCIDR(`${addr}/${len}`);
  return `${network.toString()}/${len}`;
}

/** Allowed CIDRs normalised and deduplicated; each must match the VIP's IP version (Octavia's rule). */
export function allowedCidrsFor(lb: LoadBalancer, cidrs: readonly string[] | null | undefined): string[] | null {
  if (!cidrs || cidrs.length === 0) return null;
  const out = [...new Set(cidrs.map((c) => normalizeCidr(c, 'allowed_cidrs')))];
  const vip = lb.vipAddress;
  if (vip) {
    for (const cidr of out) {
      if ((ipVersion(cidr.split('/')[0]!) === 6) !== (ipVersion(vip) === 6)) {
        throw validationFailure(`CIDR ${cidr} IP version incompatible with VIP ${vip} IP version.`, 'allowed_cidrs');
      }
    }
  }
  return out;
}

/** An object's own settings, without identity, timestamps or statuses (what a PUT may write back). */
export function settingsOf<T extends { id: string; createdAt: string; updatedAt: string | null; provisioningStatus: string; operatingStatus: string }>(
  o: T,
): Omit<T, 'id' | 'createdAt' | 'updatedAt' | 'provisioningStatus' | 'operatingStatus'> {
  const { id: _id, createdAt: _created, updatedAt: _updated, provisioningStatus: _ps, operatingStatus: _os, ...rest } = o;
  return rest;
}

/** Keeps the keys whose value is not undefined (a PUT's given fields). */
export function given<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
