/**
 * @module api/octavia/graph — wire schemas and mapping for the fully-populated load balancer
 * create (listeners with default pools, members and health monitors in one POST): Octavia's
 * `ListenerSingleCreate`, `PoolSingleCreate`, `MemberSingleCreate`, `HealthMonitorSingleCreate`
 * in, `LoadBalancerFullResponse` out.
 */
import { Type } from '@sinclair/typebox';
import { LB_ALGORITHMS, POOL_PROTOCOLS } from '../../domain/model.js';
import type { GraphCreated, GraphListenerCreate, GraphPoolCreate } from '../../service/graph.js';
import type { HealthMonitorFields } from '../../service/health-monitors.js';
import type { MemberFields } from '../../service/members.js';
import type { Relations, View } from '../../service/objects.js';
import { healthMonitorFields, listenerFields, memberFields, Opt, poolFields, StrEnum } from './schemas.js';
import { fromWire, HEALTH_MONITOR_INPUT, LISTENER_INPUT, MEMBER_INPUT, poolFromWire } from './wire.js';

const closed = { additionalProperties: false } as const;
export const graphMemberSchema = Type.Object(memberFields, closed);
export const graphHealthMonitorSchema = Type.Object(healthMonitorFields, closed);
/** A pool may be only `{name}`: a reference to a pool defined in `pools` (so protocol and algorithm are optional here). */
export const graphPoolSchema = Type.Object({
  ...poolFields, protocol: Type.Optional(StrEnum(POOL_PROTOCOLS)), lb_algorithm: Type.Optional(StrEnum(LB_ALGORITHMS)),
  healthmonitor: Opt(graphHealthMonitorSchema), members: Opt(Type.Array(graphMemberSchema)),
}, closed);
export const graphListenerSchema = Type.Object({ ...listenerFields, default_pool: Opt(graphPoolSchema) }, closed);

type WireObject = Record<string, unknown>;

function poolInput(p: WireObject): GraphPoolCreate {
  const out = poolFromWire(p, true) as GraphPoolCreate;
  if (Array.isArray(p.members)) out.members = p.members.map((m: object) => fromWire(m, MEMBER_INPUT, true) as unknown as MemberFields);
  if (p.healthmonitor) out.healthMonitor = fromWire(p.healthmonitor, HEALTH_MONITOR_INPUT, true) as unknown as HealthMonitorFields;
  return out;
}

/** Wire listeners and pools of a POST → the service's graph input (only the keys given are kept). */
export function graphToInput(listeners: unknown[], pools: unknown[]): { listeners: GraphListenerCreate[]; pools: GraphPoolCreate[] } {
  return {
    listeners: listeners.map((raw) => {
      const l = raw as WireObject;
      const out = fromWire(l, LISTENER_INPUT, true) as unknown as GraphListenerCreate;
      if (l.default_pool) out.defaultPool = poolInput(l.default_pool as WireObject);
      return out;
    }),
    pools: pools.map((p) => poolInput(p as WireObject)),
  };
}

type ToWire<T> = (v: View<T>) => Record<string, unknown>;

/**
 * The created tree as Octavia's fully-populated response shows it: listeners without
 * `loadbalancers`, pools without `loadbalancers`/`healthmonitor_id` but with full members and
 * health monitor, health monitors without `pools`.
 */
export function graphToWire(
  created: GraphCreated,
  m: {
    listenerToWire: ToWire<GraphCreated['listeners'][number]>; poolToWire: ToWire<GraphCreated['pools'][number]>;
    memberToWire: ToWire<GraphCreated['members'][number]>; healthMonitorToWire: ToWire<GraphCreated['healthMonitors'][number]>;
  },
): { listeners: Record<string, unknown>[]; pools: Record<string, unknown>[] } {
  const none: Relations = { listeners: [], pools: [], members: [], l7policies: [], rules: [], healthMonitorId: null };
  const without = (o: Record<string, unknown>, ...keys: string[]) =>
    Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
  return {
    listeners: created.listeners.map((object) => ({
      l7policies: [], ...without(m.listenerToWire({ object, relations: none }), 'loadbalancers'),
    })),
    pools: created.pools.map((object) => {
      const members = created.members.filter((x) => x.poolId === object.id);
      const hm = created.healthMonitors.find((h) => h.poolId === object.id);
      const relations = { ...none, listeners: created.listeners.filter((l) => l.defaultPoolId === object.id).map((l) => l.id) };
      return {
        members: members.map((x) => m.memberToWire({ object: x, relations: none })),
        healthmonitor: hm ? without(m.healthMonitorToWire({ object: hm, relations: none }), 'pools') : null,
        ...without(m.poolToWire({ object, relations }), 'loadbalancers', 'healthmonitor_id', 'members'),
      };
    }),
  };
}
