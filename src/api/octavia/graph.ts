/**
 * @module api/octavia/graph — wire schemas and mapping for the fully-populated load balancer
 * create (listeners with default pools, members and health monitors in one POST): Octavia's
 * `ListenerSingleCreate`, `PoolSingleCreate`, `MemberSingleCreate`, `HealthMonitorSingleCreate`
 * in, `LoadBalancerFullResponse` out.
 */
import { Type } from '@sinclair/typebox';
import { LB_ALGORITHMS, POOL_PROTOCOLS } from '../../domain/model.js';
import type { GraphCreated, GraphL7PolicyCreate, GraphListenerCreate, GraphPoolCreate } from '../../service/graph.js';
import type { HealthMonitorFields } from '../../service/health-monitors.js';
import type { MemberFields } from '../../service/members.js';
import { NO_RELATIONS, type View } from '../../service/objects.js';
import { healthMonitorFields, l7PolicyFields, listenerFields, memberFields, Opt, poolFields, StrEnum } from './schemas.js';
import {
  fromWire, HEALTH_MONITOR_INPUT, l7PolicyFromWire, l7PolicyToWire, l7RuleToWire, LISTENER_INPUT, MEMBER_INPUT, poolFromWire,
} from './wire.js';

const closed = { additionalProperties: false } as const;
export const graphMemberSchema = Type.Object(memberFields, closed);
export const graphHealthMonitorSchema = Type.Object(healthMonitorFields, closed);
/** A pool may be only `{name}`: a reference to a pool defined in `pools` (so protocol and algorithm are optional here). */
export const graphPoolSchema = Type.Object({
  ...poolFields, protocol: Type.Optional(StrEnum(POOL_PROTOCOLS)), lb_algorithm: Type.Optional(StrEnum(LB_ALGORITHMS)),
  healthmonitor: Opt(graphHealthMonitorSchema), members: Opt(Type.Array(graphMemberSchema)),
}, closed);
/** Octavia's `L7PolicySingleCreate`: the redirect pool is named (or defined) in `redirect_pool`, never by id. */
export const graphL7PolicySchema = Type.Object({ ...l7PolicyFields, redirect_pool: Opt(graphPoolSchema) }, closed);
export const graphListenerSchema = Type.Object({
  ...listenerFields, default_pool: Opt(graphPoolSchema), l7policies: Opt(Type.Array(graphL7PolicySchema)),
}, closed);

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
      if (Array.isArray(l.l7policies)) {
        out.l7Policies = l.l7policies.map((raw: WireObject) => {
          const policy = l7PolicyFromWire(raw, true) as unknown as GraphL7PolicyCreate;
          if (raw.redirect_pool) policy.redirectPool = poolInput(raw.redirect_pool as WireObject);
          return policy;
        });
      }
      return out;
    }),
    pools: pools.map((p) => poolInput(p as WireObject)),
  };
}

type ToWire<T> = (v: View<T>) => Record<string, unknown>;

/**
 * The created tree as Octavia's fully-populated response shows it: listeners without
 * `loadbalancers` but with full L7 policies (with full rules), pools without
 * `loadbalancers`/`healthmonitor_id` but with full members and health monitor, health monitors
 * without `pools`.
 */
export function graphToWire(
  created: GraphCreated,
  m: {
    listenerToWire: ToWire<GraphCreated['listeners'][number]>; poolToWire: ToWire<GraphCreated['pools'][number]>;
    memberToWire: ToWire<GraphCreated['members'][number]>; healthMonitorToWire: ToWire<GraphCreated['healthMonitors'][number]>;
  },
): { listeners: Record<string, unknown>[]; pools: Record<string, unknown>[] } {
  const none = NO_RELATIONS;
  const without = (o: Record<string, unknown>, ...keys: string[]) =>
    Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
  const policies = (listenerId: string) => created.l7Policies
    .filter((p) => p.listenerId === listenerId)
    .sort((a, b) => a.position - b.position)
    .map((object) => ({
      ...l7PolicyToWire({ object, relations: none }),
      rules: created.l7Rules.filter((r) => r.l7PolicyId === object.id).map((r) => l7RuleToWire({ object: r, relations: none })),
    }));
  return {
    listeners: created.listeners.map((object) => ({
      l7policies: policies(object.id), ...without(m.listenerToWire({ object, relations: none }), 'loadbalancers', 'l7policies'),
    })),
    pools: created.pools.map((object) => {
      const members = created.members.filter((x) => x.poolId === object.id);
      const hm = created.healthMonitors.find((h) => h.poolId === object.id);
      const viaL7 = created.l7Policies
        .filter((p) => p.redirectPoolId === object.id && p.adminStateUp && created.l7Rules.some((r) => r.l7PolicyId === p.id))
        .map((p) => p.listenerId);
      const listenerIds = [...new Set([...created.listeners.filter((l) => l.defaultPoolId === object.id).map((l) => l.id), ...viaL7])];
      const relations = { ...none, listeners: listenerIds };
      return {
        members: members.map((x) => m.memberToWire({ object: x, relations: none })),
        healthmonitor: hm ? without(m.healthMonitorToWire({ object: hm, relations: none }), 'pools') : null,
        ...without(m.poolToWire({ object, relations }), 'loadbalancers', 'healthmonitor_id', 'members'),
      };
    }),
  };
}
