/**
 * @module drivers/noop/noop-provider — Octavia's noop driver: accepts every change and runs
 * nothing, so the API's state machine is complete without a data plane. Never the default
 * once a real data plane exists.
 */
import type { LoadBalancerGraph } from '../../domain/model.js';
import { l7OperatingStatuses, type ApplyResult, type Observation, type Provider, type RenderedConfig } from '../provider.js';

export class NoopProvider implements Provider {
  readonly name = 'noop';
  readonly description = 'The No-Op driver: accepts changes and runs nothing (for tests).';
  readonly #applied = new Set<string>();

  async apply(graph: LoadBalancerGraph): Promise<ApplyResult> {
    this.#applied.add(graph.loadBalancer.id);
    const hasMonitor = new Set(graph.healthMonitors.map((h) => h.poolId));
    // As Octavia's noop driver reports: nothing runs, so nothing is ONLINE but the monitors.
    return {
      operating: [
        { kind: 'loadbalancer', id: graph.loadBalancer.id, status: 'OFFLINE' },
        ...graph.listeners.map((l) => ({ kind: 'listener' as const, id: l.id, status: 'OFFLINE' as const })),
        ...graph.pools.map((p) => ({ kind: 'pool' as const, id: p.id, status: 'OFFLINE' as const })),
        ...graph.members.map((m) => ({
          kind: 'member' as const, id: m.id,
          status: !m.adminStateUp ? 'OFFLINE' as const : hasMonitor.has(m.poolId) ? 'ONLINE' as const : 'NO_MONITOR' as const,
        })),
        ...graph.healthMonitors.map((h) => ({ kind: 'healthmonitor' as const, id: h.id, status: 'ONLINE' as const })),
        ...l7OperatingStatuses(graph),
      ],
    };
  }

  /** Nothing runs, so there is nothing to observe. */
  async observe(): Promise<Observation | null> {
    return null;
  }

  /** Nothing is rendered. */
  async renderedConfig(): Promise<RenderedConfig | null> {
    return null;
  }

  async remove(lbId: string): Promise<void> {
    this.#applied.delete(lbId);
  }

  async running(): Promise<string[]> {
    return [...this.#applied];
  }

  async close(): Promise<void> {}
}
