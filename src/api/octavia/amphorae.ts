/**
 * @module api/octavia/amphorae — `/v2/octavia/amphorae`: Octavia's view of the running
 * data-plane instances (one HAProxy per load balancer, STANDALONE, its addresses the VIP), their
 * counters, and failover.
 */
import type { FastifyInstance } from 'fastify';
import { wireTimestamp } from '../../domain/time.js';
import { amphoraStats, failoverAmphora, getAmphora, listAmphorae, type AmphoraView } from '../../service/amphorae.js';
import { callerOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { selectFields } from './lists.js';
import { VRRP_ID, VRRP_PRIORITY } from '../../domain/operator.js';

function amphoraToWire(v: AmphoraView): Record<string, unknown> {
  const lb = v.loadBalancer;
  return {
    id: v.amphora.id, loadbalancer_id: lb.id, compute_id: v.computeId,
    lb_network_ip: v.amphora.vrrpIp ?? lb.vipAddress, vrrp_ip: v.amphora.vrrpIp ?? lb.vipAddress, ha_ip: lb.vipAddress,
    vrrp_port_id: v.amphora.vrrpPortId ?? lb.vipPortId, ha_port_id: lb.vipPortId, cert_expiration: null, cert_busy: false,
    role: v.amphora.role, status: v.status, vrrp_interface: null,
    vrrp_id: v.amphora.role === 'STANDALONE' ? null : VRRP_ID, vrrp_priority: v.amphora.role === 'STANDALONE' ? null : VRRP_PRIORITY[v.amphora.role],
    cached_zone: lb.availabilityZone, created_at: wireTimestamp(v.amphora.createdAt), updated_at: wireTimestamp(v.amphora.updatedAt),
    image_id: null, compute_flavor: null,
  };
}

const fieldsOf = (q: Record<string, string | string[] | undefined>): string[] | null =>
  q.fields === undefined ? null : [q.fields].flat().flatMap((f) => f.split(','));

export function amphoraRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store } = deps;
  const host = deps.providers.agentHost;

  app.get('/amphorae', async (request) => {
    const q = request.query as Record<string, string | string[] | undefined>;
    const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[v.length - 1] : v);
    const lbId = one(q.loadbalancer_id);
    const status = one(q.status);
    const id = one(q.id);
    const computeId = one(q.compute_id);
    const role = one(q.role);
    const views = await listAmphorae(store, {
      ...(lbId !== undefined ? { loadBalancerId: lbId } : {}), ...(status !== undefined ? { status } : {}), ...(id !== undefined ? { id } : {}),
      ...(computeId !== undefined ? { computeId } : {}), ...(role !== undefined ? { role } : {}),
    }, host);
    return { amphorae: selectFields(views.map(amphoraToWire), fieldsOf(q)), amphorae_links: [] };
  });

  app.get<{ Params: { id: string } }>('/amphorae/:id', async (request) => ({
    amphora: selectFields([amphoraToWire(await getAmphora(store, request.params.id, host))],
      fieldsOf(request.query as Record<string, string | string[] | undefined>))[0],
  }));

  app.get<{ Params: { id: string } }>('/amphorae/:id/stats', async (request) => ({
    amphora_stats: (await amphoraStats(store, request.params.id)).map((s) => ({
      id: request.params.id, loadbalancer_id: s.loadBalancerId, listener_id: s.listenerId,
      active_connections: s.stats.activeConnections, bytes_in: s.stats.bytesIn, bytes_out: s.stats.bytesOut,
      request_errors: s.stats.requestErrors, total_connections: s.stats.totalConnections,
    })),
  }));

  app.put<{ Params: { id: string } }>('/amphorae/:id/failover', async (request, reply) => {
    await failoverAmphora(store, callerOf(request), request.params.id, host);
    return reply.code(202).send();
  });
}
