/**
 * @module service/scheduler — where load balancers run. A new load balancer is placed, in the
 * transaction that creates it, on the live, enabled agent with the fewest load balancers
 * (domain/agents `pickAgent`), among an availability zone's hosts when it has one. A sweep, run
 * by every API server under a cross-process lock, moves what must move: load balancers on agents
 * that missed heartbeats for `downAfterMs` (rebuilt elsewhere), on agents an admin disabled
 * (drained), and those no agent could take when they were made. Each move changes the placement
 * and bumps the generation in one transaction, so the new agent builds the load balancer and the
 * old one, if it ever comes back, sees it is no longer its own. A circuit breaker (Octavia's
 * `failover_threshold`) stops rebuilding when too many load balancers lost their agent at once:
 * a network partition must not move everything.
 */
import { DEFAULT_AGENT_DOWN_MS, isAlive, pickAgent, type AgentRecord, type PlacementRole } from '../domain/agents.js';
import type { LoadBalancer } from '../domain/model.js';
import type { ProvisioningStatus } from '../domain/status.js';
import type { PlacementRow, Reader, Store, Tx } from '../store/store.js';

/** The hosts a load balancer may run on (its availability zone's), or undefined for any. */
export type AllowedHosts = (reader: Reader, lb: Pick<LoadBalancer, 'id' | 'availabilityZone'>) => Promise<ReadonlySet<string> | undefined>;

/** How load balancers are placed. */
export interface SchedulingOptions {
  /** An agent whose heartbeat is older than this is dead (ms; default 10 s). */
  downAfterMs?: number;
  /** The hosts allowed for a load balancer (availability zones plug in here); default: any. */
  allowedHosts?: AllowedHosts;
}

/** What a sweep needs beyond placement. */
export interface SweepOptions extends SchedulingOptions {
  /**
   * Octavia's `failover_threshold`: when this many load balancers or more are on dead agents at
   * once, none of them is rebuilt (drained and unplaced ones still are) until the count drops.
   */
  failoverThreshold: number;
  /**
   * Leave dead agents' load balancers where they are this time (drained and unplaced ones still
   * move): the sweeper itself just (re)connected to the database, so agents' missed heartbeats may
   * be the database's outage, not theirs.
   */
  holdDead?: boolean;
}

/** One load balancer moved (or placed for the first time: `from` null). */
export interface Move {
  loadBalancerId: string;
  from: string | null;
  to: string;
  why: 'unplaced' | 'agent-dead' | 'agent-disabled';
}

/** What a sweep did. */
export interface SweepResult {
  moved: Move[];
  /** Load balancers that need an agent and found none (all dead, disabled or outside their zone). */
  stranded: string[];
  /** Load balancers on dead agents. */
  orphaned: number;
  /** True when the circuit breaker held back the rebuilds of orphaned load balancers. */
  breakerOpen: boolean;
}

/**
 * The hosts of the load balancer's availability zone: its profile's `hosts` (availability zone
 * capability of the HAProxy provider), or undefined (any host) without a zone or a host list.
 */
export const zoneHosts: AllowedHosts = async (reader, lb) => {
  if (lb.availabilityZone === null) return undefined;
  const zone = await reader.get('availabilityzone', lb.availabilityZone);
  const profile = zone ? await reader.get('azprofile', zone.availabilityZoneProfileId) : undefined;
  if (!profile) return undefined;
  const hosts = (JSON.parse(profile.availabilityZoneData) as { hosts?: unknown }).hosts;
  return Array.isArray(hosts) ? new Set(hosts.filter((h): h is string => typeof h === 'string')) : undefined;
};

/**
 * Places a new load balancer, inside the transaction that creates it. Returns the agent, or
 * undefined when no live agent may take it (the sweep places it once one can).
 */
export async function scheduleLoadBalancer(
  tx: Tx, lb: Pick<LoadBalancer, 'id' | 'availabilityZone'>, opts: SchedulingOptions = {},
  roles: readonly PlacementRole[] = ['STANDALONE'],
): Promise<AgentRecord | undefined> {
  const allowed = await (opts.allowedHosts ?? zoneHosts)(tx, lb);
  // Counts, not every placement's id: this runs in every create, and the ids grow with the fleet.
  const agents = await tx.listAgents({ withLoadBalancerIds: false });
  const load = await tx.loadBalancerCounts();
  // An ACTIVE_STANDBY pair's sides go to different agents (so different hosts: a host has one
  // agent). A side no agent can take is left unplaced: the load balancer waits in PENDING_CREATE
  // until the sweep places it on an agent that comes up.
  const taken = new Set<string>();
  let first: AgentRecord | undefined;
  for (const role of roles) {
    const agent = pickAgent(agents, {
      downAfterMs: opts.downAfterMs ?? DEFAULT_AGENT_DOWN_MS, load, exclude: taken, ...(allowed ? { allowedHosts: allowed } : {}),
    });
    if (!agent) continue;
    await tx.place(lb.id, role, agent.id);
    taken.add(agent.id);
    first ??= agent;
  }
  return first;
}

/** Why a placement row must move, or null when it may stay. */
function reasonToMove(row: PlacementRow, agents: ReadonlyMap<string, AgentRecord>, downAfterMs: number): Move['why'] | null {
  if (row.agentId === null) return 'unplaced';
  const agent = agents.get(row.agentId);
  if (!agent || !isAlive(agent, downAfterMs)) return 'agent-dead';
  if (!agent.adminStateUp) return 'agent-disabled';
  return null;
}

/** The rows that must move, and how many sit on dead agents. */
function toMove(rows: readonly PlacementRow[], agents: readonly AgentRecord[], downAfterMs: number) {
  const byId = new Map(agents.map((a) => [a.id, a]));
  const out: { row: PlacementRow; why: Move['why'] }[] = [];
  for (const row of rows) {
    const why = reasonToMove(row, byId, downAfterMs);
    if (why) out.push({ row, why });
  }
  return { out, orphaned: out.filter((m) => m.why === 'agent-dead').length };
}

/** The status a load balancer takes while it is rebuilt: a pending one keeps its own. */
function rebuildStatus(current: ProvisioningStatus): ProvisioningStatus {
  return current.startsWith('PENDING_') ? current : 'PENDING_UPDATE';
}

/**
 * Moves every load balancer that must move (see the module comment), in one transaction under
 * the scheduling lock. Reads first without the lock, so a sweep with nothing to do writes nothing.
 */
export async function rebuildSweep(store: Store, opts: SweepOptions): Promise<SweepResult> {
  const downAfterMs = opts.downAfterMs ?? DEFAULT_AGENT_DOWN_MS;
  const first = toMove(await store.placements(), await store.listAgents(), downAfterMs);
  if (first.out.length === 0) return { moved: [], stranded: [], orphaned: 0, breakerOpen: false };
  return store.transaction(async (tx) => {
    await tx.lockScheduling();
    const agents = await tx.listAgents();
    const { out, orphaned } = toMove(await tx.placements(), agents, downAfterMs);
    const breakerOpen = orphaned > 0 && orphaned >= opts.failoverThreshold;
    const load = new Map(agents.map((a) => [a.id, a.loadBalancerIds.length]));
    const result: SweepResult = { moved: [], stranded: [], orphaned, breakerOpen };
    for (const { row, why } of out) {
      if (why === 'agent-dead' && (breakerOpen || opts.holdDead)) continue;
      const lb = await tx.lockLoadBalancer(row.loadBalancerId);
      if (!lb) continue;
      const allowed = await (opts.allowedHosts ?? zoneHosts)(tx, lb);
      // Never the agent it leaves, nor the one holding the pair's other side.
      const exclude = new Set((await tx.placementsOf(lb.id)).filter((p) => p.role !== row.role).map((p) => p.agentId));
      if (row.agentId) exclude.add(row.agentId);
      const target = pickAgent(agents, { downAfterMs, load, exclude, ...(allowed ? { allowedHosts: allowed } : {}) });
      if (!target) {
        result.stranded.push(lb.id);
        continue;
      }
      const role: PlacementRole = row.role ?? 'STANDALONE';
      await tx.place(lb.id, role, target.id);
      // The new generation is what the new agent applies; the old agent's late writes, if any,
      // record an older generation and finish nothing.
      await tx.beginChange(lb.id, rebuildStatus(lb.provisioningStatus), []);
      load.set(target.id, (load.get(target.id) ?? 0) + 1);
      if (row.agentId) load.set(row.agentId, Math.max(0, (load.get(row.agentId) ?? 1) - 1));
      result.moved.push({ loadBalancerId: lb.id, from: row.agentId, to: target.id, why });
    }
    return result;
  });
}

/** The subset of a pino logger the loop uses. */
export interface SchedulerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Runs {@link rebuildSweep} every `periodMs` until the returned function is called (it waits for
 * a sweep in flight). Moves are logged one by one; stranded load balancers and the breaker when
 * their state changes, not at every sweep. A sweep that fails (the database restarting) is logged
 * and the next one tries again. Dead agents' load balancers are held for one down time after this
 * process starts or its database comes back: heartbeats the outage kept from being written are not
 * the agents' death.
 */
export function startRebuildLoop(store: Store, opts: SweepOptions, log: SchedulerLogger, periodMs = 1000): () => Promise<void> {
  let running: Promise<void> | undefined;
  let lastStranded = '';
  let breakerWasOpen = false;
  let healthySince: number | undefined;
  const downAfterMs = opts.downAfterMs ?? DEFAULT_AGENT_DOWN_MS;
  const sweep = async (): Promise<void> => {
    const now = Date.now();
    healthySince ??= now;
    try {
      const r = await rebuildSweep(store, { ...opts, holdDead: now - healthySince < downAfterMs });
      for (const m of r.moved) log.warn({ lb: m.loadBalancerId, from: m.from, to: m.to, why: m.why }, 'load balancer placed on another agent');
      const stranded = r.stranded.join(',');
      if (stranded !== lastStranded && r.stranded.length > 0) log.error({ lbs: r.stranded }, 'no live, enabled agent may take these load balancers');
      lastStranded = stranded;
      if (r.breakerOpen !== breakerWasOpen) {
        if (r.breakerOpen) log.error({ orphaned: r.orphaned, failoverThreshold: opts.failoverThreshold }, 'failover stopped: too many load balancers lost their agent at once (failover threshold)');
        else log.info({ orphaned: r.orphaned }, 'failover resumed');
      }
      breakerWasOpen = r.breakerOpen;
    } catch (err) {
      healthySince = undefined;
      log.warn({ err: (err as Error).message }, 'scheduler sweep failed; will retry');
    }
  };
  const timer = setInterval(() => {
    if (!running) running = sweep().finally(() => { running = undefined; });
  }, periodMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
