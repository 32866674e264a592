/**
 * @module service/health-monitors — one health monitor per pool, with Octavia's rules
 * (`octavia/api/v2/controllers/health_monitor.py`). `buildHealthMonitor` and `addHealthMonitor`
 * are shared with the fully-populated load balancer create.
 */
import { invalidField, validationFailure } from '../domain/errors.js';
import { newId, type HealthMonitorId } from '../domain/ids.js';
import {
  DEFAULT_MAX_RETRIES_DOWN, HEALTH_MONITOR_DEFAULT_EXPECTED_CODES, HEALTH_MONITOR_DEFAULT_URL_PATH,
  HEALTH_MONITOR_HTTP_DEFAULT_METHOD, LVS_HEALTH_MONITOR_TYPES, UDP_CONNECT_MIN_INTERVAL_HEALTH_MONITOR, isLvsProtocol,
} from '../domain/limits.js';
import type { HealthMonitor, HealthMonitorType, HttpMethod, Pool } from '../domain/model.js';
import { nowTimestamp } from '../domain/time.js';
import type { ListQuery, Store, Tx } from '../store/store.js';
import {
  childProject, duplicate, given, insertUnique, invalidOption, lockPoolMutable, settingsOf, touchListenersOf,
} from './children.js';
import type { Caller } from './context.js';
import { getVisible, listVisible, viewOf, withRelations, type View } from './objects.js';
import { enforceQuotas } from './quotas.js';

/** A health monitor's fields as a create gives them (already shape-checked by the API). */
export interface HealthMonitorFields {
  name?: string;
  type: HealthMonitorType;
  delay: number;
  timeout: number;
  maxRetries: number;
  maxRetriesDown?: number;
  httpMethod?: HttpMethod;
  urlPath?: string;
  expectedCodes?: string;
  adminStateUp?: boolean;
  tags?: string[];
  httpVersion?: number;
  domainName?: string;
}

/** `POST /healthmonitors`. */
export interface HealthMonitorCreate extends HealthMonitorFields {
  poolId: string;
  projectId?: string;
}

/** `PUT /healthmonitors/{id}`: absent fields stay; null resets (or is refused for delay, timeout, max_retries). */
export interface HealthMonitorUpdate {
  name?: string | null;
  delay?: number | null;
  timeout?: number | null;
  maxRetries?: number | null;
  maxRetriesDown?: number | null;
  httpMethod?: HttpMethod | null;
  urlPath?: string | null;
  expectedCodes?: string | null;
  adminStateUp?: boolean;
  tags?: string[] | null;
  httpVersion?: number | null;
  domainName?: string | null;
}

const isHttpType = (t: HealthMonitorType): boolean => t === 'HTTP' || t === 'HTTPS';
/** Python prints 1.0 as "1.0"; JSON has no such number, so the message adds the ".0". */
const pyFloat = (v: number): string => (Number.isInteger(v) ? v.toFixed(1) : String(v));

/** wsme's `URLPathType`: an absolute path (with query), no scheme, host or whitespace. */
function checkUrlPath(value: string | null | undefined): void {
  if (value === null || value === undefined) return;
  const [path = ''] = value.split(/[?#]/, 1);
  const ok = !/\s/.test(value) && path.startsWith('/') && !path.startsWith('//')
    && /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/.test(path);
  if (!ok) throw invalidField('url_path', value, 'Value must be a valid URL Path string');
}

/** Octavia `_validate_healthmonitor_request_for_udp_sctp` / the UDP-CONNECT and SCTP types elsewhere. */
function checkTypeForPool(pool: Pool, type: HealthMonitorType, delay: number): void {
  if (isLvsProtocol(pool.protocol)) {
    if (!LVS_HEALTH_MONITOR_TYPES.includes(type)) {
      throw validationFailure(`The associated pool protocol is ${pool.protocol}, so only a ${LVS_HEALTH_MONITOR_TYPES.join('/')} health monitor is supported.`, 'type');
    }
    if (type === 'UDP-CONNECT' && delay < UDP_CONNECT_MIN_INTERVAL_HEALTH_MONITOR) {
      throw validationFailure(`The request delay value ${delay} should be larger than ${UDP_CONNECT_MIN_INTERVAL_HEALTH_MONITOR} for UDP-CONNECT health monitor type.`, 'delay');
    }
  } else if (type === 'UDP-CONNECT' || type === 'SCTP') {
    throw validationFailure(`The ${type} type is only supported for pools of type UDP/SCTP.`, 'type');
  }
}

/** `domain_name` needs `http_version` 1.1 (Octavia's two messages). */
function checkDomainName(domainName: string | null | undefined, httpVersion: number | null | undefined): void {
  if (domainName && !httpVersion) {
    throw validationFailure("'http_version' must be specified when 'domain_name' is provided.", 'http_version');
  }
  if (domainName && httpVersion && httpVersion < 1.1) {
    throw invalidOption(`http_version ${pyFloat(httpVersion)}`, 'health monitors HTTP 1.1 domain name health check', 'http_version');
  }
}

/** A new health monitor of `pool`, PENDING_CREATE, with HTTP defaults for HTTP(S) monitors. */
export function buildHealthMonitor(pool: Pool, projectId: string, input: HealthMonitorFields): HealthMonitor {
  checkUrlPath(input.urlPath);
  checkTypeForPool(pool, input.type, input.delay);
  const http = isHttpType(input.type);
  if (!http) {
    for (const [field, value] of [['http_method', input.httpMethod], ['url_path', input.urlPath], ['expected_codes', input.expectedCodes]] as const) {
      if (value) throw invalidOption(field, `health monitors of type ${input.type}`, field);
    }
  }
  checkDomainName(input.domainName, input.httpVersion);
  return {
    id: newId<'HealthMonitor'>() as HealthMonitorId,
    poolId: pool.id,
    loadBalancerId: pool.loadBalancerId,
    projectId,
    name: input.name ?? '',
    description: '',
    adminStateUp: input.adminStateUp ?? true,
    provisioningStatus: 'PENDING_CREATE',
    operatingStatus: 'OFFLINE',
    tags: input.tags ?? [],
    createdAt: nowTimestamp(),
    updatedAt: null,
    type: input.type,
    delay: input.delay,
    timeout: input.timeout,
    maxRetries: input.maxRetries,
    maxRetriesDown: input.maxRetriesDown ?? DEFAULT_MAX_RETRIES_DOWN,
    httpMethod: http ? input.httpMethod || HEALTH_MONITOR_HTTP_DEFAULT_METHOD : null,
    urlPath: http ? input.urlPath || HEALTH_MONITOR_DEFAULT_URL_PATH : null,
    expectedCodes: http ? input.expectedCodes || HEALTH_MONITOR_DEFAULT_EXPECTED_CODES : null,
    httpVersion: input.httpVersion ?? null,
    domainName: input.domainName ?? null,
  };
}

const duplicateMonitor = () => duplicate('This pool already has a health monitor');

/** Inserts a built health monitor; a pool has at most one (409, settled by the unique pool_id). */
export async function addHealthMonitor(tx: Tx, hm: HealthMonitor): Promise<void> {
  const existing = await tx.list('healthmonitor', { filters: { poolId: [hm.poolId] } });
  if (existing.length > 0) throw duplicateMonitor();
  await insertUnique(tx, 'healthmonitor', hm, duplicateMonitor);
}

/** Creates a pool's health monitor; the pool and its listeners go PENDING_UPDATE. */
export async function createHealthMonitor(store: Store, caller: Caller, input: HealthMonitorCreate): Promise<View<HealthMonitor>> {
  return store.transaction(async (tx) => {
    const pool = await getVisible(tx, caller, 'pool', input.poolId);
    const lb = await getVisible(tx, caller, 'loadbalancer', pool.loadBalancerId);
    const hm = buildHealthMonitor(pool, childProject(caller, lb, input.projectId), input);
    await lockPoolMutable(tx, pool);
    await addHealthMonitor(tx, hm);
    await enforceQuotas(tx, hm.projectId, [{ kind: 'healthmonitor', status: 'PENDING_CREATE' }]);
    await tx.beginChange(lb.id, 'PENDING_UPDATE', [
      { kind: 'healthmonitor', id: hm.id, status: 'PENDING_CREATE' },
      { kind: 'pool', id: pool.id, status: 'PENDING_UPDATE' },
      ...await touchListenersOf(tx, pool.id),
    ]);
    return viewOf(tx, 'healthmonitor', hm);
  });
}

/** Shows one health monitor. */
export async function getHealthMonitor(store: Store, caller: Caller, id: string): Promise<View<HealthMonitor>> {
  return viewOf(store, 'healthmonitor', await getVisible(store, caller, 'healthmonitor', id));
}

/** Lists health monitors (`pool_id` and the other fields filter). */
export async function listHealthMonitors(store: Store, caller: Caller, query: ListQuery): Promise<View<HealthMonitor>[]> {
  return withRelations(store, 'healthmonitor', await listVisible(store, caller, 'healthmonitor', query));
}

/** The health monitor after a PUT (Octavia `_validate_update_hm` + `_set_default_on_none`). Pure. */
export function applyHealthMonitorUpdate(pool: Pool, cur: HealthMonitor, patch: HealthMonitorUpdate): HealthMonitor {
  const p = given(patch);
  if (!isHttpType(cur.type)) {
    for (const [field, value] of [['http_method', p.httpMethod], ['url_path', p.urlPath], ['expected_codes', p.expectedCodes]] as const) {
      if (value !== undefined) throw invalidOption(field, `health monitors of type ${cur.type}`, field);
    }
  }
  for (const [field, value] of [['delay', p.delay], ['max_retries', p.maxRetries], ['timeout', p.timeout]] as const) {
    if (value === null) throw invalidOption('None', field, field);
  }
  checkUrlPath(p.urlPath);
  if (p.domainName && !(cur.httpVersion || p.httpVersion)) checkDomainName(p.domainName, null);
  if ((cur.httpVersion || p.httpVersion) && (cur.domainName || p.domainName)) {
    checkDomainName(p.domainName || cur.domainName, p.httpVersion || cur.httpVersion);
  }
  const delay = p.delay ?? cur.delay;
  if (isLvsProtocol(pool.protocol)) checkTypeForPool(pool, cur.type, delay);
  const pick = <T>(v: T | null | undefined, onNull: T, keep: T): T => (v === undefined ? keep : v === null ? onNull : v);
  return {
    ...cur,
    name: pick(p.name, '', cur.name),
    delay,
    timeout: p.timeout ?? cur.timeout,
    maxRetries: p.maxRetries ?? cur.maxRetries,
    maxRetriesDown: pick(p.maxRetriesDown, DEFAULT_MAX_RETRIES_DOWN, cur.maxRetriesDown),
    httpMethod: pick(p.httpMethod, HEALTH_MONITOR_HTTP_DEFAULT_METHOD, cur.httpMethod),
    urlPath: pick(p.urlPath, HEALTH_MONITOR_DEFAULT_URL_PATH, cur.urlPath),
    expectedCodes: pick(p.expectedCodes, HEALTH_MONITOR_DEFAULT_EXPECTED_CODES, cur.expectedCodes),
    adminStateUp: p.adminStateUp ?? cur.adminStateUp,
    tags: pick(p.tags, [], cur.tags),
    httpVersion: pick(p.httpVersion, null, cur.httpVersion),
    domainName: pick(p.domainName, null, cur.domainName),
  };
}

/** Changes a health monitor; it, its pool and the pool's listeners go PENDING_UPDATE. */
export async function updateHealthMonitor(store: Store, caller: Caller, id: string, patch: HealthMonitorUpdate): Promise<View<HealthMonitor>> {
  return store.transaction(async (tx) => {
    const cur = await getVisible(tx, caller, 'healthmonitor', id);
    const pool = await getVisible(tx, caller, 'pool', cur.poolId);
    const next = applyHealthMonitorUpdate(pool, cur, patch);
    await lockPoolMutable(tx, pool);
    await tx.update('healthmonitor', id, settingsOf(next));
    await tx.beginChange(pool.loadBalancerId, 'PENDING_UPDATE', [
      { kind: 'healthmonitor', id, status: 'PENDING_UPDATE' },
      { kind: 'pool', id: pool.id, status: 'PENDING_UPDATE' },
      ...await touchListenersOf(tx, pool.id),
    ]);
    return viewOf(tx, 'healthmonitor', (await tx.get('healthmonitor', id))!);
  });
}

/** Deletes a health monitor (PENDING_DELETE until the data plane drops it). */
export async function deleteHealthMonitor(store: Store, caller: Caller, id: string): Promise<void> {
  await store.transaction(async (tx) => {
    const hm = await getVisible(tx, caller, 'healthmonitor', id);
    const pool = await getVisible(tx, caller, 'pool', hm.poolId);
    await lockPoolMutable(tx, pool);
    await tx.beginChange(pool.loadBalancerId, 'PENDING_UPDATE', [
      { kind: 'healthmonitor', id, status: 'PENDING_DELETE' },
      { kind: 'pool', id: pool.id, status: 'PENDING_UPDATE' },
      ...await touchListenersOf(tx, pool.id),
    ]);
  });
}
