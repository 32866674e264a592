/**
 * @module service/listeners — create, change and delete listeners with Octavia's rules
 * (`octavia/api/v2/controllers/listener.py`). `buildListener` and `addListener` are shared with
 * the fully-populated load balancer create, so both paths apply the same checks.
 */
import { invalidField, validationFailure } from '../domain/errors.js';
import { newId, type ListenerId, type PoolId } from '../domain/ids.js';
import {
  DEFAULT_ALPN_PROTOCOLS, DEFAULT_CONNECTION_LIMIT, DEFAULT_TIMEOUTS, DEFAULT_TLS_CIPHERS, DEFAULT_TLS_VERSIONS,
  LISTENER_PROTOCOLS_SUPPORTING_HEADER_INSERTION, SUPPORTED_HTTP_HEADERS, SUPPORTED_SSL_HEADERS, l4Protocol,
} from '../domain/limits.js';
import type { ClientAuthentication, Listener, ListenerProtocol, LoadBalancer } from '../domain/model.js';
import { nowTimestamp } from '../domain/time.js';
import type { ListQuery, Store, Tx } from '../store/store.js';
import {
  allowedCidrsFor, checkAlpnProtocols, checkAlpnType, checkListenerPoolProtocol, childProject, duplicate, given,
  insertUnique, invalidOption, noChildren, poolOnLoadBalancer, pyList, settingsOf, checkTlsVersions,
} from './children.js';
import type { Caller } from './context.js';
import { checkDefaultPoolNotRedirected, deletedL7Of } from './l7policies.js';
import { checkListenerTls } from './certificates.js';
import type { TlsResolver } from '../domain/tls.js';
import { getVisible, listVisible, lockMutable, viewOf, withRelations, type View } from './objects.js';
import { enforceQuotas } from './quotas.js';

/** A listener's own fields as a create gives them (already shape-checked by the API). */
export interface ListenerFields {
  name?: string;
  description?: string;
  adminStateUp?: boolean;
  protocol: ListenerProtocol;
  protocolPort: number;
  connectionLimit?: number;
  defaultPoolId?: string;
  defaultTlsContainerRef?: string;
  sniContainerRefs?: string[];
  insertHeaders?: Record<string, string>;
  timeoutClientData?: number;
  timeoutMemberConnect?: number;
  timeoutMemberData?: number;
  timeoutTcpInspect?: number;
  tags?: string[];
  clientCaTlsContainerRef?: string;
  clientAuthentication?: ClientAuthentication;
  clientCrlContainerRef?: string;
  allowedCidrs?: string[];
  tlsCiphers?: string;
  tlsVersions?: string[];
  alpnProtocols?: string[];
  hstsMaxAge?: number;
  hstsIncludeSubdomains?: boolean;
  hstsPreload?: boolean;
}

/** `POST /listeners`. */
export interface ListenerCreate extends ListenerFields {
  loadBalancerId: string;
  projectId?: string;
}

/** `PUT /listeners/{id}`: absent fields stay, null resets a field to its default (Octavia `_set_default_on_none`). */
export interface ListenerUpdate {
  name?: string | null;
  description?: string | null;
  adminStateUp?: boolean;
  connectionLimit?: number | null;
  defaultPoolId?: string | null;
  defaultTlsContainerRef?: string | null;
  sniContainerRefs?: string[] | null;
  insertHeaders?: Record<string, string> | null;
  timeoutClientData?: number | null;
  timeoutMemberConnect?: number | null;
  timeoutMemberData?: number | null;
  timeoutTcpInspect?: number | null;
  tags?: string[] | null;
  clientCaTlsContainerRef?: string | null;
  clientAuthentication?: ClientAuthentication | null;
  clientCrlContainerRef?: string | null;
  allowedCidrs?: string[] | null;
  tlsCiphers?: string | null;
  tlsVersions?: string[] | null;
  alpnProtocols?: string[] | null;
  hstsMaxAge?: number | null;
  hstsIncludeSubdomains?: boolean;
  hstsPreload?: boolean;
}

/** Octavia's HSTS rules (listener.py): the flags need a max-age, and only TERMINATED_HTTPS sends the header. */
function checkHsts(protocol: ListenerProtocol, maxAge: number | null | undefined, flags: boolean): void {
  if (flags && (maxAge === null || maxAge === undefined)) {
    throw validationFailure('HSTS configuration options hsts_include_subdomains and hsts_preload only make sense if hsts_max_age is set as well.', 'hsts_max_age');
  }
  if (maxAge !== null && maxAge !== undefined && protocol !== 'TERMINATED_HTTPS') {
    throw validationFailure('The HSTS feature can only be used in combination with TERMINATED_HTTPS listeners.', 'hsts_max_age');
  }
}

/** Octavia `_validate_insert_headers`, with its (Python-flavoured) messages. */
function checkInsertHeaders(headers: Readonly<Record<string, string>>, protocol: ListenerProtocol): void {
  const names = Object.keys(headers);
  if (!LISTENER_PROTOCOLS_SUPPORTING_HEADER_INSERTION.includes(protocol)) {
    throw invalidOption('insert-headers', `a ${protocol} protocol listener.`, 'insert_headers');
  }
  const known: readonly string[] = [...SUPPORTED_HTTP_HEADERS, ...SUPPORTED_SSL_HEADERS];
  if (names.some((n) => !known.includes(n))) throw invalidOption(pyList(names), 'insert_headers', 'insert_headers');
  const ssl = names.filter((n) => (SUPPORTED_SSL_HEADERS as readonly string[]).includes(n));
  if (protocol !== 'TERMINATED_HTTPS' && ssl.length > 0) {
    throw invalidOption(pyList(ssl), `${protocol} protocol listener.`, 'insert_headers');
  }
  // Octavia reads anything but "true" as off; a value that means nothing is refused here instead.
  for (const [name, value] of Object.entries(headers)) {
    if (!/^(true|false)$/i.test(String(value))) {
      throw invalidField('insert_headers', value, `Value for ${name} should be 'true' or 'false'`);
    }
  }
}

const hasTlsRefs = (o: { defaultTlsContainerRef?: string | null; clientCaTlsContainerRef?: string | null; sniContainerRefs?: readonly string[] | null }): boolean =>
  Boolean(o.defaultTlsContainerRef || o.clientCaTlsContainerRef || (o.sniContainerRefs && o.sniContainerRefs.length > 0));

/**
 * A new listener of `lb`, PENDING_CREATE, with Octavia's defaults, after every rule that needs no
 * database (`_validate_create_listener`). @throws FulcrumError VALIDATION with Octavia's messages.
 */
export function buildListener(lb: LoadBalancer, projectId: string, input: ListenerFields): Listener {
  const protocol = input.protocol;
  const tlsRefs = hasTlsRefs(input);
  const canTlsOffload = protocol === 'TERMINATED_HTTPS' || (protocol === 'PROMETHEUS' && tlsRefs);
  const tlsName = protocol === 'PROMETHEUS' ? `${protocol} with TLS` : protocol;
  const insertHeaders = input.insertHeaders ?? {};
  const hasHeaders = Object.keys(insertHeaders).length > 0;
  checkAlpnType(input.alpnProtocols);
  if (input.defaultPoolId && protocol === 'PROMETHEUS') throw noChildren(protocol);
  if (hasHeaders) checkInsertHeaders(insertHeaders, protocol);
  if ((protocol === 'UDP' || protocol === 'SCTP') && (tlsRefs || hasHeaders)) {
    throw validationFailure(`${protocol} protocol listener does not support TLS.`, 'protocol');
  }
  if (!canTlsOffload && tlsRefs) {
    throw validationFailure(`Certificate container references are not allowed on ${protocol} protocol listeners.`, 'default_tls_container_ref');
  }
  const hasCert = Boolean(input.defaultTlsContainerRef || input.sniContainerRefs?.length);
  if (input.clientCaTlsContainerRef && !hasCert) {
    throw validationFailure('An SNI or default certificate container reference must be provided with a client CA container reference.', 'default_tls_container_ref');
  }
  if (canTlsOffload && !hasCert) {
    throw validationFailure(`An SNI or default certificate container reference must be provided for ${tlsName} protocol listeners.`, 'default_tls_container_ref');
  }
  const clientAuthentication = input.clientAuthentication ?? 'NONE';
  if (clientAuthentication !== 'NONE' && !input.clientCaTlsContainerRef) {
    throw validationFailure(`Client authentication setting ${clientAuthentication} requires a client CA container reference.`, 'client_authentication');
  }
  if (input.clientCrlContainerRef && !input.clientCaTlsContainerRef) {
    throw validationFailure('A client authentication CA reference is required to specify a client authentication revocation list.', 'client_crl_container_ref');
  }
  checkHsts(protocol, input.hstsMaxAge, Boolean(input.hstsIncludeSubdomains || input.hstsPreload));
  const allowedCidrs = allowedCidrsFor(lb, input.allowedCidrs);
  const terminated = protocol === 'TERMINATED_HTTPS';
  const tlsVersions = input.tlsVersions ?? (terminated ? [...DEFAULT_TLS_VERSIONS] : null);
  const alpnProtocols = input.alpnProtocols ?? (terminated ? [...DEFAULT_ALPN_PROTOCOLS] : null);
  if (canTlsOffload) {
    checkTlsVersions(tlsVersions);
    checkAlpnProtocols(alpnProtocols);
  }
  return {
    id: newId<'Listener'>() as ListenerId,
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
    protocol,
    protocolPort: input.protocolPort,
    connectionLimit: input.connectionLimit ?? DEFAULT_CONNECTION_LIMIT,
    defaultPoolId: (input.defaultPoolId ?? null) as PoolId | null,
    defaultTlsContainerRef: input.defaultTlsContainerRef ?? null,
    sniContainerRefs: input.sniContainerRefs ?? [],
    insertHeaders,
    timeoutClientData: input.timeoutClientData ?? DEFAULT_TIMEOUTS.timeoutClientData,
    timeoutMemberConnect: input.timeoutMemberConnect ?? DEFAULT_TIMEOUTS.timeoutMemberConnect,
    timeoutMemberData: input.timeoutMemberData ?? DEFAULT_TIMEOUTS.timeoutMemberData,
    timeoutTcpInspect: input.timeoutTcpInspect ?? DEFAULT_TIMEOUTS.timeoutTcpInspect,
    clientCaTlsContainerRef: input.clientCaTlsContainerRef ?? null,
    clientAuthentication,
    clientCrlContainerRef: input.clientCrlContainerRef ?? null,
    allowedCidrs,
    tlsCiphers: input.tlsCiphers ?? (terminated ? DEFAULT_TLS_CIPHERS : null),
    tlsVersions,
    alpnProtocols,
    hstsMaxAge: input.hstsMaxAge ?? null,
    hstsIncludeSubdomains: input.hstsIncludeSubdomains ?? false,
    hstsPreload: input.hstsPreload ?? false,
  };
}

/** The listener's default pool exists on its load balancer and speaks a protocol it can forward to. */
async function checkDefaultPool(tx: Tx, listener: Listener): Promise<void> {
  if (!listener.defaultPoolId) return;
  const pool = await poolOnLoadBalancer(tx, listener.loadBalancerId, listener.defaultPoolId);
  checkListenerPoolProtocol(listener.protocol, pool.protocol);
  await checkDefaultPoolNotRedirected(tx, listener.id, pool.id);
}

const duplicateListener = (protocol: string, port: number) =>
  duplicate(`Another Listener on this Load Balancer is already using protocol ${protocol} and protocol_port ${port}`);

/**
 * Inserts a built listener: its default pool must be on the same load balancer, and no other
 * listener may use its port on the same transport (409; the unique index settles races).
 */
export async function addListener(tx: Tx, listener: Listener): Promise<void> {
  await checkDefaultPool(tx, listener);
  const samePort = await tx.list('listener', {
    filters: { loadBalancerId: [listener.loadBalancerId], protocolPort: [listener.protocolPort] },
  });
  const clash = samePort.find((l) => l.provisioningStatus !== 'DELETED' && l4Protocol(l.protocol) === l4Protocol(listener.protocol));
  if (clash) throw duplicateListener(clash.protocol, listener.protocolPort);
  await insertUnique(tx, 'listener', listener, () => duplicateListener(listener.protocol, listener.protocolPort));
}

/** Creates a listener on a load balancer; the load balancer goes PENDING_UPDATE. */
export async function createListener(store: Store, caller: Caller, input: ListenerCreate, tls?: TlsResolver): Promise<View<Listener>> {
  // The certificate store is read before the transaction (on SQLite it would wait for it), after
  // Octavia's other checks, so their messages come first.
  const lb0 = await getVisible(store, caller, 'loadbalancer', input.loadBalancerId);
  await checkListenerTls(tls, buildListener(lb0, childProject(caller, lb0, input.projectId), input));
  return store.transaction(async (tx) => {
    const lb = await getVisible(tx, caller, 'loadbalancer', input.loadBalancerId);
    const listener = buildListener(lb, childProject(caller, lb, input.projectId), input);
    await lockMutable(tx, lb.id);
    await addListener(tx, listener);
    await enforceQuotas(tx, listener.projectId, [{ kind: 'listener', status: 'PENDING_CREATE' }]);
    await tx.beginChange(lb.id, 'PENDING_UPDATE', [{ kind: 'listener', id: listener.id, status: 'PENDING_CREATE' }]);
    return viewOf(tx, 'listener', listener);
  });
}

/** Shows one listener. */
export async function getListener(store: Store, caller: Caller, id: string): Promise<View<Listener>> {
  return viewOf(store, 'listener', await getVisible(store, caller, 'listener', id));
}

/** Lists listeners (`loadbalancer_id` and the other fields filter). */
export async function listListeners(store: Store, caller: Caller, query: ListQuery): Promise<View<Listener>[]> {
  return withRelations(store, 'listener', await listVisible(store, caller, 'listener', query));
}

/**
 * The listener after a PUT: Octavia's `_validate_listener_PUT` against the stored listener,
 * then `_set_default_on_none`. Pure; the default pool is checked against the store afterwards.
 */
export function applyListenerUpdate(lb: LoadBalancer, cur: Listener, patch: ListenerUpdate): Listener {
  const p = given(patch);
  const protocol = cur.protocol;
  const tlsRefs = hasTlsRefs(p);
  const canTlsOffload = protocol === 'TERMINATED_HTTPS' || (protocol === 'PROMETHEUS' && tlsRefs);
  checkAlpnType(p.alpnProtocols);
  if ((protocol === 'UDP' || protocol === 'SCTP') && (tlsRefs || Object.keys(p.insertHeaders ?? {}).length > 0)) {
    throw validationFailure(`${protocol} protocol listener does not support TLS or header insertion.`, 'protocol');
  }
  if (!canTlsOffload && tlsRefs) {
    throw validationFailure(`Certificate container references are not allowed on ${protocol} protocol listeners.`, 'default_tls_container_ref');
  }
  if (p.clientAuthentication && p.clientAuthentication !== 'NONE' && !(cur.clientCaTlsContainerRef || p.clientCaTlsContainerRef)) {
    throw validationFailure(`Client authentication setting ${p.clientAuthentication} requires a client CA container reference.`, 'client_authentication');
  }
  if (p.insertHeaders && Object.keys(p.insertHeaders).length > 0) checkInsertHeaders(p.insertHeaders, protocol);
  const caRef = p.clientCaTlsContainerRef || cur.clientCaTlsContainerRef;
  const crlRef = p.clientCrlContainerRef || cur.clientCrlContainerRef;
  if (crlRef && !caRef) {
    throw validationFailure('A client authentication CA reference is required to specify a client authentication revocation list.', 'client_crl_container_ref');
  }
  const allowedCidrs = p.allowedCidrs === undefined ? cur.allowedCidrs : allowedCidrsFor(lb, p.allowedCidrs);
  if (p.tlsVersions !== undefined) checkTlsVersions(p.tlsVersions);
  if (p.alpnProtocols !== undefined) checkAlpnProtocols(p.alpnProtocols);
  if (p.defaultPoolId && protocol === 'PROMETHEUS') throw noChildren(protocol);
  const pick = <T>(v: T | null | undefined, onNull: T, keep: T): T => (v === undefined ? keep : v === null ? onNull : v);
  const hstsMaxAge = pick(p.hstsMaxAge, null, cur.hstsMaxAge);
  const hstsIncludeSubdomains = p.hstsIncludeSubdomains ?? cur.hstsIncludeSubdomains;
  const hstsPreload = p.hstsPreload ?? cur.hstsPreload;
  checkHsts(protocol, hstsMaxAge, hstsIncludeSubdomains || hstsPreload);
  return {
    ...cur,
    hstsMaxAge,
    hstsIncludeSubdomains,
    hstsPreload,
    name: pick(p.name, '', cur.name),
    description: pick(p.description, '', cur.description),
    adminStateUp: p.adminStateUp ?? cur.adminStateUp,
    connectionLimit: pick(p.connectionLimit, DEFAULT_CONNECTION_LIMIT, cur.connectionLimit),
    defaultPoolId: pick(p.defaultPoolId as PoolId | null | undefined, null, cur.defaultPoolId),
    defaultTlsContainerRef: pick(p.defaultTlsContainerRef, null, cur.defaultTlsContainerRef),
    sniContainerRefs: pick(p.sniContainerRefs, [], cur.sniContainerRefs),
    insertHeaders: pick(p.insertHeaders, {}, cur.insertHeaders),
    timeoutClientData: pick(p.timeoutClientData, DEFAULT_TIMEOUTS.timeoutClientData, cur.timeoutClientData),
    timeoutMemberConnect: pick(p.timeoutMemberConnect, DEFAULT_TIMEOUTS.timeoutMemberConnect, cur.timeoutMemberConnect),
    timeoutMemberData: pick(p.timeoutMemberData, DEFAULT_TIMEOUTS.timeoutMemberData, cur.timeoutMemberData),
    timeoutTcpInspect: pick(p.timeoutTcpInspect, DEFAULT_TIMEOUTS.timeoutTcpInspect, cur.timeoutTcpInspect),
    tags: pick(p.tags, [], cur.tags),
    clientCaTlsContainerRef: pick(p.clientCaTlsContainerRef, null, cur.clientCaTlsContainerRef),
    clientAuthentication: pick(p.clientAuthentication, 'NONE', cur.clientAuthentication),
    clientCrlContainerRef: pick(p.clientCrlContainerRef, null, cur.clientCrlContainerRef),
    allowedCidrs,
    tlsCiphers: pick(p.tlsCiphers, DEFAULT_TLS_CIPHERS, cur.tlsCiphers),
    tlsVersions: pick(p.tlsVersions, [...DEFAULT_TLS_VERSIONS], cur.tlsVersions),
    alpnProtocols: pick(p.alpnProtocols, [...DEFAULT_ALPN_PROTOCOLS], cur.alpnProtocols),
  };
}

/** Changes a listener; it and its load balancer go PENDING_UPDATE. */
export async function updateListener(store: Store, caller: Caller, id: string, patch: ListenerUpdate, tls?: TlsResolver): Promise<View<Listener>> {
  const cur0 = await getVisible(store, caller, 'listener', id);
  await checkListenerTls(tls, applyListenerUpdate(await getVisible(store, caller, 'loadbalancer', cur0.loadBalancerId), cur0, patch));
  return store.transaction(async (tx) => {
    const cur = await getVisible(tx, caller, 'listener', id);
    const lb = await getVisible(tx, caller, 'loadbalancer', cur.loadBalancerId);
    const next = applyListenerUpdate(lb, cur, patch);
    if (patch.defaultPoolId) await checkDefaultPool(tx, next);
    await lockMutable(tx, lb.id);
    await tx.update('listener', id, settingsOf(next));
    await tx.beginChange(lb.id, 'PENDING_UPDATE', [{ kind: 'listener', id, status: 'PENDING_UPDATE' }]);
    return viewOf(tx, 'listener', (await tx.get('listener', id))!);
  });
}

/** Deletes a listener with its L7 policies and rules (PENDING_DELETE until the data plane drops them); its pools stay. */
export async function deleteListener(store: Store, caller: Caller, id: string): Promise<void> {
  await store.transaction(async (tx) => {
    const cur = await getVisible(tx, caller, 'listener', id);
    await lockMutable(tx, cur.loadBalancerId);
    await tx.beginChange(cur.loadBalancerId, 'PENDING_UPDATE', [
      { kind: 'listener', id, status: 'PENDING_DELETE' }, ...await deletedL7Of(tx, { listenerId: id }),
    ]);
  });
}
