/**
 * @module service/graph — the fully-populated (single-call) create: listeners → default pools →
 * members and health monitor, inside the load balancer's create transaction.
 */
import { validationFailure } from '../domain/errors.js';
import type { HealthMonitor, Listener, LoadBalancer, Member, Pool } from '../domain/model.js';
import type { ProvisioningStatus } from '../domain/status.js';
import type { StoredKind, Tx } from '../store/store.js';
import type { Caller } from './context.js';

/** A listener inside a fully-populated create. */
export interface GraphListenerCreate {
  [field: string]: unknown;
}

/** A pool inside a fully-populated create. */
export interface GraphPoolCreate {
  [field: string]: unknown;
}

/** What the graph create made: the objects for the response, and what the change touched. */
export interface GraphCreated {
  listeners: Listener[];
  pools: Pool[];
  members: Member[];
  healthMonitors: HealthMonitor[];
  touched: { kind: StoredKind; id: string; status: ProvisioningStatus }[];
}

/** Creates the children of a new load balancer in the caller's transaction. */
export async function createGraph(
  _tx: Tx, _caller: Caller, _lb: LoadBalancer, listeners: readonly GraphListenerCreate[], pools: readonly GraphPoolCreate[],
): Promise<GraphCreated> {
  if (listeners.length > 0 || pools.length > 0) {
    throw validationFailure('fully-populated load balancer create is not available yet', 'listeners');
  }
  return { listeners: [], pools: [], members: [], healthMonitors: [], touched: [] };
}
