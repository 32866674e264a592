/**
 * @module service/amphorae — Octavia's `/v2/octavia/amphorae` view of the running data-plane
 * instances (one per load balancer, role STANDALONE; two for ACTIVE_STANDBY, roles MASTER and BACKUP)
 * and failover: a new instance id at a new generation, which makes the agent tear the load
 * balancer's namespace, ports and HAProxy down and build them again from the desired state.
 */
import { FulcrumError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { LoadBalancer, Stats } from '../domain/model.js';
import type { Amphora } from '../domain/operator.js';
import { nowTimestamp } from '../domain/time.js';
import type { Store } from '../store/store.js';
import type { Caller } from './context.js';
import { getVisible, lockMutable } from './objects.js';

/** Octavia's amphora statuses that Fulcrum reports. */
export type AmphoraStatus = 'BOOTING' | 'ALLOCATED' | 'ERROR' | 'PENDING_DELETE';

/** An amphora with what the wire shows of its load balancer. */
export interface AmphoraView {
  amphora: Amphora;
  loadBalancer: LoadBalancer;
  status: AmphoraStatus;
  /** The host it runs on: its own, else the deployment's agent host. */
  computeId: string | null;
}

/**
 * An instance is BOOTING until the generation that built it is applied (after a create or a
 * failover), ERROR when its load balancer is, PENDING_DELETE while the load balancer goes, and
 * ALLOCATED otherwise: running and serving.
 */
export function amphoraStatus(a: Amphora, lb: LoadBalancer): AmphoraStatus {
  if (lb.provisioningStatus === 'ERROR') return 'ERROR';
  if (lb.provisioningStatus === 'PENDING_DELETE') return 'PENDING_DELETE';
  return lb.appliedGeneration >= a.generation ? 'ALLOCATED' : 'BOOTING';
}

function notFound(id: string): FulcrumError {
  return new FulcrumError('NOT_FOUND', `Amphora ${id} not found.`);
}

async function views(store: Store, amphorae: readonly Amphora[], agentHost: string | undefined): Promise<AmphoraView[]> {
  const out: AmphoraView[] = [];
  const hosts = new Map((await store.listAgents()).map((a) => [a.id, a.host]));
  for (const a of amphorae) {
    const lb = await store.get('loadbalancer', a.loadBalancerId);
    if (!lb) continue;
    // Where it runs: the host of the agent holding its role, when agents place load balancers.
    const placed = (await store.placementsOf(lb.id)).find((p) => p.role === a.role);
    const host = placed ? hosts.get(placed.agentId) : undefined;
    const status = placed === undefined && a.role !== 'STANDALONE' && lb.provisioningStatus !== 'ERROR' ? 'BOOTING' : amphoraStatus(a, lb);
    out.push({ amphora: a, loadBalancer: lb, status, computeId: host ?? a.computeId ?? agentHost ?? null });
  }
  return out;
}

/** Every instance (admins: the policy table), filtered by load balancer, status, id, host or role. */
export async function listAmphorae(
  store: Store, filters: { loadBalancerId?: string; status?: string; id?: string; computeId?: string; role?: string },
  agentHost: string | undefined,
): Promise<AmphoraView[]> {
  const rows = await store.list('amphora', {
    filters: {
      ...(filters.loadBalancerId !== undefined ? { loadBalancerId: [filters.loadBalancerId] } : {}),
      ...(filters.id !== undefined ? { id: [filters.id] } : {}),
    },
    limit: null,
  });
  return (await views(store, rows, agentHost)).filter((v) =>
    (filters.status === undefined || v.status === filters.status) &&
    (filters.computeId === undefined || v.computeId === filters.computeId) &&
    (filters.role === undefined || v.amphora.role === filters.role));
}

export async function getAmphora(store: Store, id: string, agentHost: string | undefined): Promise<AmphoraView> {
  const a = await store.get('amphora', id);
  const [v] = a ? await views(store, [a], agentHost) : [];
  if (!v) throw notFound(id);
  return v;
}

/** Per-listener counters of an instance (Octavia's `amphora_stats`). */
export async function amphoraStats(store: Store, id: string): Promise<{ listenerId: string; loadBalancerId: string; stats: Stats }[]> {
  const a = await store.get('amphora', id);
  if (!a || !await store.get('loadbalancer', a.loadBalancerId)) throw notFound(id);
  const listeners = await store.list('listener', { filters: { loadBalancerId: [a.loadBalancerId] }, limit: null });
  return Promise.all(listeners.map(async (l) => ({ listenerId: l.id, loadBalancerId: a.loadBalancerId, stats: await store.stats('listener', l.id) })));
}

/**
 * Fails a load balancer over: it goes PENDING_UPDATE with a new instance (new amphora id, at the
 * new generation); the agent rebuilds the data plane from the desired state and the load balancer
 * is ACTIVE again once it serves. Refused (409) while the load balancer is pending; an ERROR one
 * may be failed over (that is how it recovers).
 */
export async function failoverLoadBalancer(store: Store, caller: Caller, lbId: string, agentHost: string | undefined): Promise<void> {
  await store.transaction(async (tx) => {
    await getVisible(tx, caller, 'loadbalancer', lbId);
    // ACTIVE or ERROR, as Octavia's FAILOVERABLE statuses: failover is how an ERROR load balancer recovers.
    await lockMutable(tx, lbId, true);
    const old = await tx.list('amphora', { filters: { loadBalancerId: [lbId] }, limit: null });
    for (const a of old) await tx.remove('amphora', a.id);
    const generation = await tx.beginChange(lbId, 'PENDING_UPDATE', []);
    // Each side is replaced in its role, keeping its port on the VIP network (its address).
    const sides = old.length > 0 ? old : [{ role: 'STANDALONE' as const, vrrpIp: null, vrrpPortId: null, computeId: agentHost ?? null }];
    for (const a of sides) {
      await tx.insert('amphora', {
        id: newId(), loadBalancerId: lbId, computeId: a.computeId ?? agentHost ?? null, generation,
        createdAt: nowTimestamp(), updatedAt: null, role: a.role, vrrpIp: a.vrrpIp, vrrpPortId: a.vrrpPortId,
      });
    }
  });
}

/** Fails over the load balancer an instance belongs to. */
export async function failoverAmphora(store: Store, caller: Caller, id: string, agentHost: string | undefined): Promise<void> {
  const a = await store.get('amphora', id);
  if (!a) throw notFound(id);
  await failoverLoadBalancer(store, caller, a.loadBalancerId, agentHost);
}
