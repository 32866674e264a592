/**
 * @module service/agents — the admin's view of agents (Neutron's `/v2.0/agents`): list, show,
 * disable (drain) or enable, and remove a dead agent that hosts nothing.
 */
import { DEFAULT_AGENT_DOWN_MS, isAlive, type AgentRecord } from '../domain/agents.js';
import { FulcrumError } from '../domain/errors.js';
import type { Store } from '../store/store.js';

/** An agent with whether it is alive by the configured down time. */
export interface AgentView extends AgentRecord {
  alive: boolean;
}

const notFound = (id: string): FulcrumError =>
  new FulcrumError('NOT_FOUND', `Agent ${id} could not be found.`, { neutronType: 'AgentNotFound' });

function view(a: AgentRecord, downAfterMs: number): AgentView {
  return { ...a, alive: isAlive(a, downAfterMs) };
}

/** Every agent (admins only: the route's policy). */
export async function listAgents(store: Store, downAfterMs = DEFAULT_AGENT_DOWN_MS): Promise<AgentView[]> {
  return (await store.listAgents()).map((a) => view(a, downAfterMs));
}

/** One agent. @throws FulcrumError NOT_FOUND */
export async function getAgent(store: Store, id: string, downAfterMs = DEFAULT_AGENT_DOWN_MS): Promise<AgentView> {
  const a = (await store.listAgents()).find((x) => x.id === id);
  if (!a) throw notFound(id);
  return view(a, downAfterMs);
}

/**
 * Enables or disables an agent. A disabled agent takes no new load balancers, and the
 * scheduler's sweep moves those it hosts to other agents (a drain). @throws FulcrumError NOT_FOUND
 */
export async function updateAgent(
  store: Store, id: string, patch: { adminStateUp?: boolean; description?: string }, downAfterMs = DEFAULT_AGENT_DOWN_MS,
): Promise<AgentView> {
  const found = await store.transaction((tx) => tx.updateAgent(id, patch));
  if (!found) throw notFound(id);
  return getAgent(store, id, downAfterMs);
}

/**
 * Removes an agent's record (a node taken out for good). Only a dead agent hosting nothing: a
 * live one would register again at its next restart, and load balancers need an owner.
 * @throws FulcrumError NOT_FOUND, IN_USE
 */
export async function deleteAgent(store: Store, id: string, downAfterMs = DEFAULT_AGENT_DOWN_MS): Promise<void> {
  await store.transaction(async (tx) => {
    await tx.lockScheduling();
    const a = (await tx.listAgents()).find((x) => x.id === id);
    if (!a) throw notFound(id);
    if (isAlive(a, downAfterMs) || a.loadBalancerIds.length > 0) {
      throw new FulcrumError('IN_USE', `Agent ${id} is alive or hosts load balancers; disable it and wait until it hosts none and is dead.`, { neutronType: 'AgentInUse' });
    }
    await tx.removeAgent(id);
  });
}
