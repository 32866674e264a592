/**
 * @module api/network/agents — Neutron's agents API for Fulcrum's agents (`/v2.0/agents`, also on
 * the network endpoint): list, show, `admin_state_up` false to drain, delete a dead empty one.
 * Admins only. Each agent also lists the load balancers placed on it (`loadbalancers`).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { deleteAgent, getAgent, listAgents, updateAgent, type AgentView } from '../../service/agents.js';
import type { ApiDeps } from '../deps.js';
import { defined, Description, envelope } from '../octavia/schemas.js';

const AgentPut = envelope('agent', Type.Object({
  admin_state_up: Type.Optional(Type.Boolean()), description: Type.Optional(Description),
}, { additionalProperties: false }));

/** Neutron shows UTC timestamps as `YYYY-MM-DD HH:MM:SS`. */
const ts = (t: string): string => t.slice(0, 19).replace('T', ' ');

/** An agent in Neutron's shape (the LBaaS v2 agent's type and binary names). */
export function agentToWire(a: AgentView): Record<string, unknown> {
  return {
    id: a.id, agent_type: 'Loadbalancerv2 agent', binary: 'fulcrum-agent', topic: 'fulcrum', host: a.host,
    admin_state_up: a.adminStateUp, alive: a.alive, description: a.description,
    availability_zone: null, resources_synced: null,
    configurations: { ...a.configurations, loadbalancers: a.loadBalancerIds.length },
    loadbalancers: [...a.loadBalancerIds],
    heartbeat_timestamp: ts(a.heartbeatAt), started_at: ts(a.startedAt), created_at: ts(a.createdAt),
  };
}

type Params = { Params: { id: string } };

/** Fields a list may be filtered on, as Neutron does (`?host=net-1&alive=true`; repeated: any of them). */
const FILTERABLE = ['id', 'host', 'agent_type', 'binary', 'topic', 'admin_state_up', 'alive', 'availability_zone', 'description'] as const;

/** Neutron's list filters: equality on a field, booleans as `true`/`false`; other parameters (`fields`) are ignored. */
function matchesFilters(agent: Record<string, unknown>, query: Record<string, string | string[]> | undefined): boolean {
  for (const key of FILTERABLE) {
    const want = query?.[key];
    if (want === undefined) continue;
    const values = Array.isArray(want) ? want : [want];
    if (!values.some((v) => String(agent[key]).toLowerCase() === v.toLowerCase())) return false;
  }
  return true;
}

/** Registers the routes (under `/v2.0`). */
export function agentRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store } = deps;
  const down = deps.scheduling?.downAfterMs;
  app.get<{ Querystring: Record<string, string | string[]> }>('/agents', async (request) => {
    const agents = (await listAgents(store, down)).map(agentToWire);
    return { agents: agents.filter((a) => matchesFilters(a, request.query)) };
  });
  app.get<Params>('/agents/:id', async (request) => ({ agent: agentToWire(await getAgent(store, request.params.id, down)) }));
  app.put<Params & { Body: Static<typeof AgentPut> }>('/agents/:id', { schema: { body: AgentPut } }, async (request) => {
    const b = request.body.agent;
    const a = await updateAgent(store, request.params.id, defined({ adminStateUp: b.admin_state_up, description: b.description }), down);
    return { agent: agentToWire(a) };
  });
  app.delete<Params>('/agents/:id', async (request, reply) => {
    await deleteAgent(store, request.params.id, down);
    return reply.code(204).send();
  });
}
