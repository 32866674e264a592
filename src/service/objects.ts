/**
 * @module service/objects — what every Octavia resource shares: visibility by project,
 * lookups that 404 as Octavia does, locking the parent load balancer, lists with relations.
 */
import { FulcrumError } from '../domain/errors.js';
import { KIND_TITLES, type LoadBalancer, type ObjectByKind, type OctaviaKind } from '../domain/model.js';
import { assertMutable } from '../domain/status.js';
import type { ListQuery, Reader, Store, Tx } from '../store/store.js';
import { canSee, type Caller } from './context.js';

/** Ids of the objects linked to one object, as the wire shows them (`listeners: [{id}]`…). */
export interface Relations {
  listeners: string[];
  pools: string[];
  members: string[];
  l7policies: string[];
  rules: string[];
  healthMonitorId: string | null;
}

/** An object with its relations. */
export interface View<T> {
  object: T;
  relations: Relations;
}

export const NO_RELATIONS: Relations = { listeners: [], pools: [], members: [], l7policies: [], rules: [], healthMonitorId: null };

/** Octavia's 404 for an object of a kind. */
export function notFoundError(kind: OctaviaKind, id: string): FulcrumError {
  return new FulcrumError('NOT_FOUND', `${KIND_TITLES[kind]} ${id} not found.`);
}

/** One object the caller may see, or 404 (another project's object is 404 too, as in Octavia). */
export async function getVisible<K extends OctaviaKind>(
  reader: Reader, caller: Caller, kind: K, id: string,
): Promise<ObjectByKind[K]> {
  const obj = (await reader.get(kind, id)) as ObjectByKind[K] | undefined;
  if (!obj || obj.provisioningStatus === 'DELETED' || !canSee(caller, obj.projectId)) throw notFoundError(kind, id);
  return obj;
}

/** The caller's objects of a kind (all projects' for admins), filtered, sorted and paged. */
export async function listVisible<K extends OctaviaKind>(
  reader: Reader, caller: Caller, kind: K, query: ListQuery,
): Promise<ObjectByKind[K][]> {
  const filters = { ...(query.filters ?? {}) };
  if (!caller.isAdmin && !caller.readsAll) {
    if (!caller.projectId) return [];
    const asked = filters.projectId;
    if (asked && !asked.includes(caller.projectId)) return [];
    filters.projectId = [caller.projectId];
  }
  return (await reader.list(kind, { ...query, filters })) as ObjectByKind[K][];
}

/** Relations of many objects of one kind, with one query per relation. */
export async function relationsOf(
  reader: Reader, kind: OctaviaKind, ids: readonly string[],
): Promise<Map<string, Relations>> {
  const out = new Map<string, Relations>();
  if (ids.length === 0) return out;
  if (kind === 'loadbalancer') {
    const [listeners, pools] = await Promise.all([
      reader.idsBy('listener', 'loadBalancerId', ids), reader.idsBy('pool', 'loadBalancerId', ids),
    ]);
    for (const id of ids) out.set(id, { ...NO_RELATIONS, listeners: listeners.get(id) ?? [], pools: pools.get(id) ?? [] });
  } else if (kind === 'pool') {
    const [listeners, members, hms, viaL7] = await Promise.all([
      reader.idsBy('listener', 'defaultPoolId', ids), reader.idsBy('member', 'poolId', ids),
      reader.idsBy('healthmonitor', 'poolId', ids), l7ListenersOf(reader, ids),
    ]);
    for (const id of ids) {
      out.set(id, {
        ...NO_RELATIONS, listeners: [...new Set([...listeners.get(id) ?? [], ...viaL7.get(id) ?? []])],
        members: members.get(id) ?? [], healthMonitorId: hms.get(id)?.[0] ?? null,
      });
    }
  } else if (kind === 'listener') {
    const policies = await reader.list('l7policy', {
      filters: { listenerId: ids }, sort: [{ key: 'position', dir: 'asc' }], limit: null,
    });
    for (const id of ids) out.set(id, { ...NO_RELATIONS, l7policies: policies.filter((p) => p.listenerId === id).map((p) => p.id) });
  } else if (kind === 'l7policy') {
    const rules = await reader.idsBy('l7rule', 'l7PolicyId', ids);
    for (const id of ids) out.set(id, { ...NO_RELATIONS, rules: rules.get(id) ?? [] });
  } else {
    for (const id of ids) out.set(id, NO_RELATIONS);
  }
  return out;
}

/**
 * For each pool, the listeners that send it traffic through an L7 policy: an enabled policy with
 * at least one rule (Octavia's `Pool.listeners`, which joins them to the default-pool listeners).
 */
async function l7ListenersOf(reader: Reader, poolIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const policies = (await reader.list('l7policy', { filters: { redirectPoolId: poolIds }, limit: null }))
    .filter((p) => p.adminStateUp && p.provisioningStatus !== 'DELETED');
  if (policies.length === 0) return out;
  const rules = await reader.idsBy('l7rule', 'l7PolicyId', policies.map((p) => p.id));
  for (const p of policies) {
    if ((rules.get(p.id) ?? []).length === 0 || p.redirectPoolId === null) continue;
    const list = out.get(p.redirectPoolId) ?? [];
    if (!list.includes(p.listenerId)) list.push(p.listenerId);
    out.set(p.redirectPoolId, list);
  }
  return out;
}

/** Objects paired with their relations, in order. */
export async function withRelations<T extends { id: string }>(
  reader: Reader, kind: OctaviaKind, objects: readonly T[],
): Promise<View<T>[]> {
  const rel = await relationsOf(reader, kind, objects.map((o) => o.id));
  return objects.map((object) => ({ object, relations: rel.get(object.id) ?? NO_RELATIONS }));
}

/**
 * Locks the load balancer an object belongs to and checks it accepts changes (409 otherwise).
 * Every write to a load balancer's tree goes through here, so two writers cannot interleave.
 */
export async function lockMutable(tx: Tx, lbId: string, forDelete = false): Promise<LoadBalancer> {
  const lb = await tx.lockLoadBalancer(lbId);
  if (!lb) throw notFoundError('loadbalancer', lbId);
  assertMutable(lb, forDelete);
  return lb;
}

/** Reads one view in a store (outside a transaction). */
export async function viewOf<K extends OctaviaKind>(
  store: Store | Tx, kind: K, object: ObjectByKind[K],
): Promise<View<ObjectByKind[K]>> {
  const [v] = await withRelations(store, kind, [object]);
  return v!;
}
