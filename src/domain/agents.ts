/**
 * @module domain/agents — agents (one `fulcrum agent` per network node), whether they are alive,
 * and the scheduling policy: which agent a load balancer goes to. Pure: no I/O.
 */

/** Where a load balancer runs: one role per agent. Octavia's amphora roles. */
export type PlacementRole = 'STANDALONE' | 'MASTER' | 'BACKUP';

/** A registered agent, as the store reads it. */
export interface AgentRecord {
  id: string;
  /** The node's name (`fulcrum agent --host NAME`), unique. */
  host: string;
  /** False when an admin disabled (drained) it: it gets no new load balancers and its own move away. */
  adminStateUp: boolean;
  description: string;
  /** What the agent reported about itself (its VXLAN endpoint, say). */
  configurations: Readonly<Record<string, unknown>>;
  /** Milliseconds since its last heartbeat, by the database's clock. */
  heartbeatAgeMs: number;
  /** When it last heartbeated (UTC ISO-8601), by the database's clock. */
  heartbeatAt: string;
  startedAt: string;
  createdAt: string;
  /** The load balancers placed on it. */
  loadBalancerIds: readonly string[];
}

/** True when the agent heartbeated within `downAfterMs` (Neutron's `agent_down_time`). */
export function isAlive(agent: Pick<AgentRecord, 'heartbeatAgeMs'>, downAfterMs: number): boolean {
  return agent.heartbeatAgeMs <= downAfterMs;
}

/** What a placement asks for. */
export interface PlacementRequest {
  /** Agents whose heartbeat is older than this are dead (ms). */
  downAfterMs: number;
  /** Only agents on these hosts (an availability zone's); undefined: any host. */
  allowedHosts?: ReadonlySet<string>;
  /** Agents that must not be chosen (the one a load balancer is moving away from; a pair's other half). */
  exclude?: ReadonlySet<string>;
  /** Load balancers per agent id, when it differs from `loadBalancerIds.length` (placements made in this sweep). */
  load?: ReadonlyMap<string, number>;
}

/**
 * The scheduling policy: among agents that are alive, enabled, on an allowed host and not
 * excluded, the one hosting the fewest load balancers; ties go to the host name first in order,
 * so the choice is deterministic. Undefined when no agent qualifies.
 */
export function pickAgent(agents: readonly AgentRecord[], req: PlacementRequest): AgentRecord | undefined {
  let best: AgentRecord | undefined;
  let bestLoad = Infinity;
  for (const a of agents) {
    if (!a.adminStateUp || !isAlive(a, req.downAfterMs)) continue;
    if (req.allowedHosts && !req.allowedHosts.has(a.host)) continue;
    if (req.exclude?.has(a.id)) continue;
    const load = req.load?.get(a.id) ?? a.loadBalancerIds.length;
    if (load < bestLoad || (load === bestLoad && best !== undefined && a.host < best.host)) {
      best = a;
      bestLoad = load;
    }
  }
  return best;
}

/** Neutron's `agent_down_time` here: an agent silent this long is dead (ms). */
export const DEFAULT_AGENT_DOWN_MS = 10_000;
