/**
 * @module api/octavia/graph — wire schemas and mapping for the fully-populated load balancer
 * create (listeners with default pools, members and health monitors in one POST).
 */
import { Type } from '@sinclair/typebox';
import type { GraphCreated, GraphListenerCreate, GraphPoolCreate } from '../../service/graph.js';
import type { View } from '../../service/objects.js';

export const graphListenerSchema = Type.Object({}, { additionalProperties: true });
export const graphPoolSchema = Type.Object({}, { additionalProperties: true });

/** Wire listeners and pools of a POST → the service's graph input. */
export function graphToInput(listeners: unknown[], pools: unknown[]): { listeners: GraphListenerCreate[]; pools: GraphPoolCreate[] } {
  return { listeners: listeners as GraphListenerCreate[], pools: pools as GraphPoolCreate[] };
}

type ToWire<T> = (v: View<T>) => Record<string, unknown>;

/** The created tree as Octavia's fully-populated response shows it. */
export function graphToWire(
  created: GraphCreated,
  m: {
    listenerToWire: ToWire<GraphCreated['listeners'][number]>; poolToWire: ToWire<GraphCreated['pools'][number]>;
    memberToWire: ToWire<GraphCreated['members'][number]>; healthMonitorToWire: ToWire<GraphCreated['healthMonitors'][number]>;
  },
): { listeners: Record<string, unknown>[]; pools: Record<string, unknown>[] } {
  const none = { listeners: [], pools: [], members: [], l7policies: [], healthMonitorId: null };
  return {
    listeners: created.listeners.map((object) => m.listenerToWire({ object, relations: none })),
    pools: created.pools.map((object) => ({
      ...m.poolToWire({ object, relations: none }),
      members: created.members.filter((x) => x.poolId === object.id).map((x) => m.memberToWire({ object: x, relations: none })),
      healthmonitor: created.healthMonitors.filter((h) => h.poolId === object.id).map((h) => m.healthMonitorToWire({ object: h, relations: none }))[0] ?? null,
    })),
  };
}
