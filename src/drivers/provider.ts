/**
 * @module drivers/provider — the seam between the agent and a data plane. A provider makes one
 * load balancer's desired graph real and says how its objects are doing (octavia-lib `provider_base.py`).
 */
import type { LoadBalancerGraph, OctaviaKind } from '../domain/model.js';
import type { OperatingStatus } from '../domain/status.js';

/** What an apply achieved. */
export interface ApplyResult {
  /** Operating statuses observed right after the apply. */
  operating: { kind: OctaviaKind; id: string; status: OperatingStatus }[];
}

/** A data plane for load balancers. */
export interface Provider {
  /** The name tenants pick in `provider` (as listed by `GET /v2/lbaas/providers`). */
  readonly name: string;
  readonly description: string;
  /**
   * Makes the load balancer serve exactly `graph`. Idempotent: applying the same graph twice
   * changes nothing the second time.
   * @throws FulcrumError with `retryable` when a later attempt may succeed; any other error
   *   puts the changed objects in ERROR.
   */
  apply(graph: LoadBalancerGraph): Promise<ApplyResult>;
  /** Removes everything the load balancer had on this host. Idempotent; unknown ids are fine. */
  remove(lbId: string): Promise<void>;
  /** Ids of the load balancers this provider has something running for (to remove strays). */
  running(): Promise<string[]>;
  /** Stops watching and releases resources; running load balancers keep serving. */
  close(): Promise<void>;
}
