/**
 * @module service/pools — create, change and delete pools with Octavia's rules
 * (`octavia/api/v2/controllers/pool.py`, `validate.check_session_persistence`). `buildPool` and
 * `addPool` are shared with the fully-populated load balancer create.
 */
import { FulcrumError, validationFailure } from '../domain/errors.js';
import { newId, type PoolId } from '../domain/ids.js';
import {
  DEFAULT_ALPN_PROTOCOLS, DEFAULT_TLS_CIPHERS, DEFAULT_TLS_VERSIONS, isLvsProtocol,
} from '../domain/limits.js';
import type {
  LbAlgorithm, Listener, LoadBalancer, PersistenceType, Pool, PoolProtocol, SessionPersistence,
} from '../domain/model.js';
import { nowTimestamp } from '../domain/time.js';
import type { ListQuery, Store, Tx } from '../store/store.js';
import {
  checkAlpnProtocols, checkAlpnType, checkListenerPoolProtocol, checkTlsVersions, childProject, duplicate, given,
  noChildren, settingsOf, touchListenersOf, type Touched,
} from './children.js';
import type { Caller } from './context.js';
import { getVisible, listVisible, lockMutable, viewOf, withRelations, type View } from './objects.js';
import { enforceQuotas } from './quotas.js';
import { checkPoolTls } from './certificates.js';
import type { TlsResolver } from '../domain/tls.js';

/** Session persistence as a request gives it (`type` may be left out only on PUT). */
export interface SessionPersistenceInput {
  type?: PersistenceType;
  cookieName?: string | null;
  persistenceTimeout?: number | null;
  persistenceGranularity?: string | null;
}

/** A pool's own fields as a create gives them (already shape-checked by the API). */
export interface PoolFields {
  name?: string;
  description?: string;
  adminStateUp?: boolean;
  protocol: PoolProtocol;
  lbAlgorithm: LbAlgorithm;
  sessionPersistence?: SessionPersistenceInput;
  tags?: string[];
  tlsContainerRef?: string;
  caTlsContainerRef?: string;
  crlContainerRef?: string;
  tlsEnabled?: boolean;
  tlsCiphers?: string;
  tlsVersions?: string[];
  alpnProtocols?: string[];
}

/** `POST /pools`: on a load balancer, or as a listener's default pool. */
export interface PoolCreate extends PoolFields {
  listenerId?: string;
  loadBalancerId?: string;
  projectId?: string;
}

/** `PUT /pools/{id}`: absent fields stay; null resets. */
export interface PoolUpdate {
  name?: string | null;
  description?: string | null;
  adminStateUp?: boolean;
  lbAlgorithm?: LbAlgorithm;
  sessionPersistence?: SessionPersistenceInput | null;
  tags?: string[] | null;
  tlsContainerRef?: string | null;
  caTlsContainerRef?: string | null;
  crlContainerRef?: string | null;
  tlsEnabled?: boolean;
  tlsCiphers?: string | null;
  tlsVersions?: string[] | null;
  alpnProtocols?: string[] | null;
}

/** Octavia `_validate_pool_request_for_udp_sctp` and its non-LVS counterpart. */
function checkPersistenceForProtocol(protocol: PoolProtocol, sp: SessionPersistenceInput | null | undefined, onUpdate: boolean): void {
  if (!sp) return;
  if (isLvsProtocol(protocol)) {
    if (sp.type === 'SOURCE_IP' && sp.cookieName) {
      throw validationFailure('session_persistence SOURCE_IP type for UDP and SCTP protocols only accepts: type, persistence_timeout, persistence_granularity.', 'session_persistence');
    }
    if (sp.cookieName) throw validationFailure('Cookie names are not supported for UDP/SCTP pools.', 'cookie_name');
    if (sp.type === 'HTTP_COOKIE' || sp.type === 'APP_COOKIE') {
      throw validationFailure(`Session persistence of type ${sp.type} is not supported for UDP/SCTP protocol pools.`, 'session_persistence');
    }
  } else if (sp.persistenceTimeout || sp.persistenceGranularity) {
    // Octavia's PUT message says "UDP" only; both are kept word for word.
    throw validationFailure(`persistence_timeout and persistence_granularity is only for ${onUpdate ? 'UDP' : 'UDP and SCTP'} protocol pools.`, 'session_persistence');
  }
}

const BAD_COOKIE_NAME = /[\x00-\x20\x22\x28-\x29\x2c\x2f\x3a-\x40\x5b-\x5d\x7b\x7d\x7f]/;

/** Octavia `validate.check_session_persistence`, returning the stored shape. */
function sessionPersistenceOf(sp: SessionPersistenceInput): SessionPersistence {
  if (sp.type === undefined) throw validationFailure('Invalid session_persistence provided.', 'session_persistence');
  if (sp.cookieName) {
    if (sp.type !== 'APP_COOKIE') {
      throw validationFailure('Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".', 'cookie_name');
    }
    if (BAD_COOKIE_NAME.test(sp.cookieName) || /[^\x00-\xff]/.test(sp.cookieName)) {
      throw validationFailure('Supplied "cookie_name" is invalid.', 'cookie_name');
    }
  }
  if (sp.type === 'APP_COOKIE' && !sp.cookieName) {
    throw validationFailure('Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.', 'cookie_name');
  }
  return {
    type: sp.type,
    cookieName: sp.cookieName ?? null,
    persistenceTimeout: sp.persistenceTimeout ?? null,
    persistenceGranularity: sp.persistenceGranularity ?? null,
  };
}

/**
 * A new pool of `lb`, PENDING_CREATE, after every rule that needs no database. `listener` is the
 * listener it becomes the default pool of, if any. @throws FulcrumError with Octavia's messages.
 */
export function buildPool(lb: LoadBalancer, projectId: string, input: PoolFields, listener: Listener | null): Pool {
  if (listener) {
    if (listener.protocol === 'PROMETHEUS') throw noChildren(listener.protocol);
    checkListenerPoolProtocol(listener.protocol, input.protocol);
  }
  checkAlpnType(input.alpnProtocols);
  checkPersistenceForProtocol(input.protocol, input.sessionPersistence, false);
  const sessionPersistence = input.sessionPersistence ? sessionPersistenceOf(input.sessionPersistence) : null;
  if (input.crlContainerRef && !input.caTlsContainerRef) {
    throw validationFailure('A CA certificate reference is required to specify a revocation list.', 'crl_container_ref');
  }
  const tlsEnabled = input.tlsEnabled ?? false;
  const tlsVersions = input.tlsVersions ?? (tlsEnabled ? [...DEFAULT_TLS_VERSIONS] : null);
  const alpnProtocols = input.alpnProtocols ?? (tlsEnabled ? [...DEFAULT_ALPN_PROTOCOLS] : null);
  if (tlsEnabled) {
    checkTlsVersions(tlsVersions);
    checkAlpnProtocols(alpnProtocols);
  }
  return {
    id: newId<'Pool'>() as PoolId,
    loadBalancerId: lb.id,
    projectId,
    name: input.name ?? '',
    description: input.description ?? '',
    adminStateUp: input.adminStateUp ?? true,
    provisioningStatus: 'PENDING_CREATE',
    operatingStatus: 'OFFLINE',
    tags: input.tags ?? [],
    createdAt: nowTimestamp(),
    updatedAt: null,
    protocol: input.protocol,
    lbAlgorithm: input.lbAlgorithm,
    sessionPersistence,
    tlsContainerRef: input.tlsContainerRef ?? null,
    caTlsContainerRef: input.caTlsContainerRef ?? null,
    crlContainerRef: input.crlContainerRef ?? null,
    tlsEnabled,
    tlsCiphers: input.tlsCiphers ?? (tlsEnabled ? DEFAULT_TLS_CIPHERS : null),
    tlsVersions,
    alpnProtocols,
  };
}

/** Inserts a built pool and, given a listener, makes it that listener's default pool (409 if it has one). */
export async function addPool(tx: Tx, pool: Pool, listenerId: string | null): Promise<void> {
  if (listenerId) {
    const listener = await tx.get('listener', listenerId);
    if (listener?.defaultPoolId) throw duplicate('This listener already has a default pool');
  }
  await tx.insert('pool', pool);
  if (listenerId) await tx.update('listener', listenerId, { defaultPoolId: pool.id });
}

/** Creates a pool; with `listenerId` it becomes that listener's default pool, which goes PENDING_UPDATE. */
export async function createPool(store: Store, caller: Caller, input: PoolCreate, tls?: TlsResolver): Promise<View<Pool>> {
  // The certificate store is read before the transaction (on SQLite it would wait for it).
  if (input.tlsContainerRef || input.caTlsContainerRef || input.crlContainerRef) {
    const lbId = input.loadBalancerId ?? (input.listenerId ? (await getVisible(store, caller, 'listener', input.listenerId)).loadBalancerId : undefined);
    const lb0 = lbId ? await getVisible(store, caller, 'loadbalancer', lbId) : null;
    if (lb0) await checkPoolTls(tls, buildPool(lb0, childProject(caller, lb0, input.projectId), input, null));
  }
  return store.transaction(async (tx) => {
    if (!input.loadBalancerId && !input.listenerId) {
      throw validationFailure('Must provide at least one of: loadbalancer_id, listener_id', 'loadbalancer_id');
    }
    const named = input.loadBalancerId ? await getVisible(tx, caller, 'loadbalancer', input.loadBalancerId) : null;
    const listener = input.listenerId ? await getVisible(tx, caller, 'listener', input.listenerId) : null;
    if (named && listener && listener.loadBalancerId !== named.id) {
      throw validationFailure(`Listener ${listener.id} is not on Load Balancer ${named.id}.`, 'listener_id');
    }
    const lb = named ?? await getVisible(tx, caller, 'loadbalancer', listener!.loadBalancerId);
    const pool = buildPool(lb, childProject(caller, lb, input.projectId), input, listener);
    if (listener?.defaultPoolId) throw duplicate('This listener already has a default pool');
    await lockMutable(tx, lb.id);
    await addPool(tx, pool, listener?.id ?? null);
    await enforceQuotas(tx, pool.projectId, [{ kind: 'pool', status: 'PENDING_CREATE' }]);
    const touched: Touched[] = [{ kind: 'pool', id: pool.id, status: 'PENDING_CREATE' }];
    if (listener) touched.push({ kind: 'listener', id: listener.id, status: 'PENDING_UPDATE' });
    await tx.beginChange(lb.id, 'PENDING_UPDATE', touched);
    return viewOf(tx, 'pool', pool);
  });
}

/** Shows one pool. */
export async function getPool(store: Store, caller: Caller, id: string): Promise<View<Pool>> {
  return viewOf(store, 'pool', await getVisible(store, caller, 'pool', id));
}

/** Lists pools (`loadbalancer_id` and the other fields filter). */
export async function listPools(store: Store, caller: Caller, query: ListQuery): Promise<View<Pool>[]> {
  return withRelations(store, 'pool', await listVisible(store, caller, 'pool', query));
}

/** The pool after a PUT (Octavia `put` + `_validate_pool_PUT`). Pure. */
export function applyPoolUpdate(lb: LoadBalancer, cur: Pool, patch: PoolUpdate): Pool {
  const p = given(patch);
  checkAlpnType(p.alpnProtocols);
  const tlsVersions = p.tlsVersions === null ? [...DEFAULT_TLS_VERSIONS] : p.tlsVersions;
  const tlsCiphers = p.tlsCiphers === null ? DEFAULT_TLS_CIPHERS : p.tlsCiphers;
  let sp = p.sessionPersistence;
  if (sp && sp.type === undefined && cur.sessionPersistence) sp = { ...sp, type: cur.sessionPersistence.type };
  checkPersistenceForProtocol(cur.protocol, sp, true);
  const sessionPersistence = sp === undefined ? cur.sessionPersistence
    : sp === null || Object.keys(sp).length === 0 ? null : sessionPersistenceOf(sp);

  const crlRef = p.crlContainerRef || (p.crlContainerRef === undefined ? cur.crlContainerRef : null);
  const dbCa = cur.caTlsContainerRef;
  if (p.caTlsContainerRef !== undefined) {
    if (!p.caTlsContainerRef && dbCa && crlRef) {
      throw validationFailure('A CA reference cannot be removed when a certificate revocation list is present.', 'ca_tls_container_ref');
    }
    if (!p.caTlsContainerRef && !dbCa && crlRef) {
      throw validationFailure('A CA reference is required to specify a certificate revocation list.', 'crl_container_ref');
    }
  } else if (!dbCa && crlRef) {
    throw validationFailure('A CA reference is required to specify a certificate revocation list.', 'crl_container_ref');
  }
  if (tlsVersions !== undefined) checkTlsVersions(tlsVersions);
  if (p.alpnProtocols !== undefined) checkAlpnProtocols(p.alpnProtocols);
  const pick = <T>(v: T | null | undefined, onNull: T, keep: T): T => (v === undefined ? keep : v === null ? onNull : v);
  return {
    ...cur,
    name: pick(p.name, '', cur.name),
    description: pick(p.description, '', cur.description),
    adminStateUp: p.adminStateUp ?? cur.adminStateUp,
    lbAlgorithm: p.lbAlgorithm ?? cur.lbAlgorithm,
    sessionPersistence,
    tags: pick(p.tags, [], cur.tags),
    tlsContainerRef: pick(p.tlsContainerRef, null, cur.tlsContainerRef),
    caTlsContainerRef: pick(p.caTlsContainerRef, null, cur.caTlsContainerRef),
    crlContainerRef: pick(p.crlContainerRef, null, cur.crlContainerRef),
    tlsEnabled: p.tlsEnabled ?? cur.tlsEnabled,
    tlsCiphers: tlsCiphers ?? cur.tlsCiphers,
    tlsVersions: tlsVersions ?? cur.tlsVersions,
    alpnProtocols: pick(p.alpnProtocols, null, cur.alpnProtocols),
  };
}

/** Changes a pool; it and the listeners using it go PENDING_UPDATE. */
export async function updatePool(store: Store, caller: Caller, id: string, patch: PoolUpdate, tls?: TlsResolver): Promise<View<Pool>> {
  const cur0 = await getVisible(store, caller, 'pool', id);
  await checkPoolTls(tls, applyPoolUpdate(await getVisible(store, caller, 'loadbalancer', cur0.loadBalancerId), cur0, patch));
  return store.transaction(async (tx) => {
    const cur = await getVisible(tx, caller, 'pool', id);
    const lb = await getVisible(tx, caller, 'loadbalancer', cur.loadBalancerId);
    const next = applyPoolUpdate(lb, cur, patch);
    await lockMutable(tx, lb.id);
    await tx.update('pool', id, settingsOf(next));
    await tx.beginChange(lb.id, 'PENDING_UPDATE', [
      { kind: 'pool', id, status: 'PENDING_UPDATE' }, ...await touchListenersOf(tx, id),
    ]);
    return viewOf(tx, 'pool', (await tx.get('pool', id))!);
  });
}

/**
 * Deletes a pool with its members and health monitor (all PENDING_DELETE). Listeners whose
 * default pool it was lose it in the same change, so every generation's graph is consistent;
 * they go PENDING_UPDATE.
 */
export async function deletePool(store: Store, caller: Caller, id: string): Promise<void> {
  await store.transaction(async (tx) => {
    const pool = await getVisible(tx, caller, 'pool', id);
    // Octavia's PoolInUseByL7Policy: a policy's target cannot go from under it.
    const policy = (await tx.list('l7policy', { filters: { redirectPoolId: [id] }, limit: 1 }))[0];
    if (policy) throw new FulcrumError('IN_USE', `Pool ${id} is in use by L7 policy ${policy.id}`, { field: 'pool_id' });
    await lockMutable(tx, pool.loadBalancerId);
    const byPool = { filters: { poolId: [id] } };
    const [members, monitors, listeners] = await Promise.all([
      tx.list('member', byPool), tx.list('healthmonitor', byPool), touchListenersOf(tx, id),
    ]);
    for (const l of listeners) await tx.update('listener', l.id, { defaultPoolId: null });
    await tx.beginChange(pool.loadBalancerId, 'PENDING_UPDATE', [
      { kind: 'pool', id, status: 'PENDING_DELETE' },
      ...members.map((m) => ({ kind: 'member' as const, id: m.id, status: 'PENDING_DELETE' as const })),
      ...monitors.map((h) => ({ kind: 'healthmonitor' as const, id: h.id, status: 'PENDING_DELETE' as const })),
      ...listeners,
    ]);
  });
}
