/**
 * @module service/graph — the fully-populated (single-call) create: listeners → default pools →
 * members and health monitor, inside the load balancer's create transaction (Octavia
 * `LoadBalancersController._graph_create`). Every object goes through the same build and add
 * functions as its own route, so the rules live in one place.
 */
import { FulcrumError, validationFailure } from '../domain/errors.js';
import type { HealthMonitor, L7Policy, L7Rule, Listener, LoadBalancer, Member, Pool } from '../domain/model.js';
import type { StoredKind, Tx } from '../store/store.js';
import type { ProvisioningStatus } from '../domain/status.js';
import type { Caller } from './context.js';
import { addHealthMonitor, buildHealthMonitor, type HealthMonitorFields } from './health-monitors.js';
import { addL7Policy, buildL7Policy, createdL7, type L7PolicyFields } from './l7policies.js';
import { addListener, buildListener, type ListenerFields } from './listeners.js';
import { addMember, buildMember, type MemberFields } from './members.js';
import { addPool, buildPool, type PoolFields } from './pools.js';

/**
 * A pool inside a fully-populated create. Only the keys given are present: a pool with nothing
 * but a name (and `adminStateUp`/`tlsEnabled`) is a reference to a pool defined elsewhere.
 */
export interface GraphPoolCreate extends Partial<PoolFields> {
  members?: MemberFields[];
  healthMonitor?: HealthMonitorFields;
}

/** An L7 policy inside a fully-populated create: its pool is named (`redirect_pool`), not given by id. */
export interface GraphL7PolicyCreate extends Omit<L7PolicyFields, 'redirectPoolId'> {
  redirectPool?: GraphPoolCreate;
}

/** A listener inside a fully-populated create. */
export interface GraphListenerCreate extends ListenerFields {
  defaultPool?: GraphPoolCreate;
  l7Policies?: GraphL7PolicyCreate[];
}

/** What the graph create made: the objects for the response, and what the change touched. */
export interface GraphCreated {
  listeners: Listener[];
  pools: Pool[];
  members: Member[];
  healthMonitors: HealthMonitor[];
  l7Policies: L7Policy[];
  l7Rules: L7Rule[];
  touched: { kind: StoredKind; id: string; status: ProvisioningStatus }[];
}

/** Keys that do not make a pool a full definition (Octavia counts `len(default_pool) > 3`). */
const REFERENCE_KEYS = new Set(['name', 'adminStateUp', 'tlsEnabled']);
const isReference = (p: GraphPoolCreate): boolean => Object.keys(p).every((k) => REFERENCE_KEYS.has(k));
const pyName = (name: string | undefined): string => name ?? 'None';

/** Creates the children of a new load balancer in the caller's transaction, all PENDING_CREATE. */
export async function createGraph(
  tx: Tx, _caller: Caller, lb: LoadBalancer, listenerInputs: readonly GraphListenerCreate[], poolInputs: readonly GraphPoolCreate[],
): Promise<GraphCreated> {
  const out: GraphCreated = { listeners: [], pools: [], members: [], healthMonitors: [], l7Policies: [], l7Rules: [], touched: [] };
  if (listenerInputs.length === 0 && poolInputs.length === 0) return out;

  // Move full default-pool and redirect-pool definitions to the pool list; keep references by name.
  const pools = [...poolInputs];
  const required = new Set<string>();
  const named = (pool: GraphPoolCreate, field: string): string => {
    if (!pool.name) throw validationFailure('Pools must be named when creating a fully populated loadbalancer.', field);
    if (isReference(pool)) required.add(pool.name);
    else pools.push(pool);
    return pool.name;
  };
  const listeners = listenerInputs.map(({ defaultPool, l7Policies = [], ...listener }) => ({
    listener,
    poolName: defaultPool ? named(defaultPool, 'default_pool') : undefined,
    policies: l7Policies.map(({ redirectPool, ...policy }) => ({
      policy, poolName: redirectPool ? named(redirectPool, 'redirect_pool') : undefined,
    })),
  }));
  const names = pools.map((p) => p.name);
  if (new Set(names).size !== names.length) {
    throw validationFailure('Pool names must be unique when creating a fully populated loadbalancer.', 'pools');
  }
  for (const ref of required) {
    if (!names.includes(ref)) throw validationFailure(`Pool '${ref}' was referenced but no full definition was found.`, 'default_pool');
  }

  const poolIds = new Map<string, string>();
  for (const { members = [], healthMonitor, ...fields } of pools) {
    for (const attr of ['protocol', 'lbAlgorithm'] as const) {
      if (fields[attr] === undefined) {
        const wire = attr === 'protocol' ? 'protocol' : 'lb_algorithm';
        throw validationFailure(`Pool definition for '${pyName(fields.name)}' missing required attribute: ${wire}`, wire);
      }
    }
    const pool = buildPool(lb, lb.projectId, fields as PoolFields, null);
    await addPool(tx, pool, null);
    out.pools.push(pool);
    if (fields.name !== undefined) poolIds.set(fields.name, pool.id);
    if (healthMonitor) {
      const hm = buildHealthMonitor(pool, lb.projectId, healthMonitor);
      await addHealthMonitor(tx, hm);
      out.healthMonitors.push(hm);
    }
    for (const m of members) {
      const member = buildMember(pool, lb.projectId, m, healthMonitor !== undefined);
      await addMember(tx, member);
      out.members.push(member);
    }
  }

  const poolIdOf = (name: string, field: string): string => {
    const id = poolIds.get(name);
    if (!id) throw new FulcrumError('VALIDATION', `Missing details for Pool object: ${name}`, { field });
    return id;
  };
  for (const { listener: fields, poolName, policies } of listeners) {
    const defaultPoolId = poolName === undefined ? fields.defaultPoolId : poolIdOf(poolName, 'default_pool');
    const listener = buildListener(lb, lb.projectId, { ...fields, ...(defaultPoolId === undefined ? {} : { defaultPoolId }) });
    await addListener(tx, listener);
    out.listeners.push(listener);
    for (const { policy: input, poolName: redirect } of policies) {
      const { policy, rules } = buildL7Policy(listener, lb.projectId, {
        ...input, ...(redirect === undefined ? {} : { redirectPoolId: poolIdOf(redirect, 'redirect_pool') }),
      });
      out.l7Policies.push(await addL7Policy(tx, listener, policy, rules));
      out.l7Rules.push(...rules);
    }
  }
  const positions = new Map((await tx.list('l7policy', { filters: { loadBalancerId: [lb.id] }, limit: null })).map((p) => [p.id, p.position]));

  // Later policies may have moved earlier ones down: the stored positions are the true ones.
  out.l7Policies = out.l7Policies.map((p) => ({ ...p, position: positions.get(p.id) ?? p.position }));
  const created = (kind: StoredKind, xs: readonly { id: string }[]) =>
    xs.map((x) => ({ kind, id: x.id, status: 'PENDING_CREATE' as const }));
  out.touched = [
    ...created('listener', out.listeners), ...created('pool', out.pools),
    ...created('member', out.members), ...created('healthmonitor', out.healthMonitors),
    ...out.l7Policies.flatMap((p) => createdL7(p, out.l7Rules.filter((r) => r.l7PolicyId === p.id))),
  ];
  return out;
}
