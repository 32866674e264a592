/**
 * @module drivers/provider — the seam between the agent and a data plane. A provider makes one
 * load balancer's desired graph real and says how its objects are doing (octavia-lib `provider_base.py`).
 */
import type { LoadBalancerGraph, OctaviaKind, Stats } from '../domain/model.js';
import type { OperatingStatus } from '../domain/status.js';
import type { Capability } from '../domain/operator.js';

/** One object's operating status. */
export interface OperatingReport {
  kind: OctaviaKind;
  id: string;
  status: OperatingStatus;
}

/**
 * L7 policies and rules have no health of their own: ONLINE once applied (as Octavia's worker
 * marks them), OFFLINE while disabled.
 */
export function l7OperatingStatuses(graph: LoadBalancerGraph): OperatingReport[] {
  return [
    ...graph.l7Policies.map((p) => ({ kind: 'l7policy' as const, id: p.id, status: p.adminStateUp ? 'ONLINE' as const : 'OFFLINE' as const })),
    ...graph.l7Rules.map((r) => ({ kind: 'l7rule' as const, id: r.id, status: r.adminStateUp ? 'ONLINE' as const : 'OFFLINE' as const })),
  ];
}

/** What an apply achieved. */
export interface ApplyResult {
  /** Operating statuses observed right after the apply. */
  operating: OperatingReport[];
  /**
   * The last counters of a data-plane process the apply replaced (a reload starts a new HAProxy
   * worker whose counters start at zero): recorded before anything else so no traffic goes uncounted.
   */
  retiredCounters?: Observation['counters'];
}

/** How a running load balancer is doing, read from its data plane. */
export interface Observation {
  operating: OperatingReport[];
  /**
   * Raw cumulative counters per listener from one data-plane process (`epoch` names it: a new
   * epoch means the counters started again from zero), or null when nothing is running.
   */
  counters: { epoch: string; byListener: Map<string, Stats> } | null;
  /**
   * Counters of listeners served by another part of the data plane, each set with its own epoch
   * (UDP listeners served by nftables beside HAProxy: a HAProxy reload does not restart them).
   */
  otherCounters?: readonly { epoch: string; byListener: Map<string, Stats> }[];
  /** Per-object counters for metrics, when the provider has them. */
  objects?: readonly ObjectCounters[];
}

/** HTTP responses by status class. */
export type ResponseClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'other';

/**
 * One listener's, pool's or member's raw counters in the running data-plane process (they start
 * from zero when the process is replaced: Prometheus counters reset), for metrics.
 */
export interface ObjectCounters {
  kind: 'listener' | 'pool' | 'member';
  id: string;
  /** The pool of a member, else null. */
  poolId: string | null;
  currentSessions: number;
  totalSessions: number;
  bytesIn: number;
  bytesOut: number;
  /** HTTP responses by status class (all 0 for TCP). */
  responses: Readonly<Record<ResponseClass, number>>;
  /** Members: true when the data plane sends it traffic (health check passing or no check). */
  up?: boolean;
  /** Members: the last health check's result as the data plane names it (`L7OK`, `L4CON`…), '' without checks. */
  checkStatus?: string;
}

/** A load balancer's configuration as its data plane runs it. */
export interface RenderedConfig {
  /** The file's name as the data plane knows it (`haproxy.cfg`). */
  name: string;
  text: string;
  /** When it was last written (UTC ISO-8601). */
  writtenAt: string;
}

/** A data plane for load balancers. */
export interface Provider {
  /** The name tenants pick in `provider` (as listed by `GET /v2/lbaas/providers`). */
  readonly name: string;
  readonly description: string;
  /** What flavors of this provider may set (each one applied to the data plane); none when absent. */
  readonly flavorCapabilities?: readonly Capability[];
  /** What availability zone profiles of this provider may say; none when absent. */
  readonly zoneCapabilities?: readonly Capability[];
  /**
   * Makes the load balancer serve exactly `graph`. Idempotent: applying the same graph twice
   * changes nothing the second time.
   * @throws FulcrumError with `retryable` when a later attempt may succeed; any other error
   *   puts the changed objects in ERROR.
   */
  apply(graph: LoadBalancerGraph): Promise<ApplyResult>;
  /**
   * Reads the operating status and counters of an applied load balancer. Cheap enough to call
   * every few hundred milliseconds. Null when the provider runs nothing it can observe.
   */
  observe(graph: LoadBalancerGraph): Promise<Observation | null>;
  /** Removes everything the load balancer had on this host. Idempotent; unknown ids are fine. */
  remove(lbId: string): Promise<void>;
  /**
   * Registers who to tell at once when an applied load balancer's data plane dies (instead of
   * waiting for the next observation); null stops telling. Optional: providers that cannot tell
   * are observed only.
   */
  watch?(onTrouble: ((lbId: string, why: string) => void) | null): void;
  /**
   * The configuration this provider rendered for the load balancer, as its data plane loads it
   * (HAProxy: the `haproxy.cfg` on disk), for operators. Null when nothing was rendered on this
   * host (never applied here, removed, or a provider that renders nothing). Reads only; never throws
   * for an unknown id.
   */
  renderedConfig(lbId: string): Promise<RenderedConfig | null>;
  /** Ids of the load balancers this provider has something running for (to remove strays). */
  running(): Promise<string[]>;
  /** Stops watching and releases resources; running load balancers keep serving. */
  close(): Promise<void>;
}
