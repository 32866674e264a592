/** @module api/octavia/quotas — `/v2/lbaas/quotas`: per-project limits, their defaults, reset. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { MAX_QUOTA, MIN_QUOTA, QUOTA_RESOURCES, type QuotaLimits, type QuotaResource } from '../../domain/operator.js';
import { getQuota, listQuotas, quotaDefaults, resetQuota, setQuota, type QuotaView } from '../../service/quotas.js';
import { callerOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { allows } from '../policy.js';
import { envelope } from './schemas.js';

const Limit = Type.Optional(Type.Union([Type.Integer({ minimum: MIN_QUOTA, maximum: MAX_QUOTA }), Type.Null()]));

/** Octavia's QuotaPUT: current names and the deprecated `load_balancer` / `health_monitor`. */
const Put = envelope('quota', Type.Object({
  loadbalancer: Limit, load_balancer: Limit, listener: Limit, member: Limit, pool: Limit, healthmonitor: Limit,
  health_monitor: Limit, l7policy: Limit, l7rule: Limit,
}, { additionalProperties: false }));

/** Octavia's QuotaResponse: both spellings of the two renamed resources. */
function quotaToWire(q: { projectId: string | null; limits: Record<QuotaResource, number> }): Record<string, unknown> {
  const l = q.limits;
  return {
    ...(q.projectId === null ? {} : { project_id: q.projectId }),
    load_balancer: l.loadBalancer, loadbalancer: l.loadBalancer, listener: l.listener, member: l.member, pool: l.pool,
    health_monitor: l.healthMonitor, healthmonitor: l.healthMonitor, l7policy: l.l7policy, l7rule: l.l7rule,
  };
}

export function quotaRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store } = deps;
  const readsAll = (caller: ReturnType<typeof callerOf>): boolean => allows(caller, 'read-quota-global');

  app.get('/quotas', async (request) => {
    const q = request.query as Record<string, string | undefined>;
    const project = q.project_id ?? q.tenant_id;
    const caller = callerOf(request);
    const views = await listQuotas(store, caller, project, readsAll(caller));
    return { quotas: views.map(quotaToWire), quotas_links: [] };
  });

  // Before /quotas/:projectId: openstackclient's `quota defaults show` asks for /quotas/defaults.
  app.get('/quotas/defaults', async () => ({ quota: quotaToWire({ projectId: null, limits: await quotaDefaults(store) }) }));

  app.get<{ Params: { projectId: string } }>('/quotas/:projectId/default', async () =>
    ({ quota: quotaToWire({ projectId: null, limits: await quotaDefaults(store) }) }));

  app.get<{ Params: { projectId: string } }>('/quotas/:projectId', async (request) => {
    const caller = callerOf(request);
    return { quota: quotaToWire(await getQuota(store, caller, request.params.projectId, readsAll(caller))) };
  });

  app.put<{ Params: { projectId: string }; Body: Static<typeof Put> }>('/quotas/:projectId', {
    schema: { body: Put }, config: { argName: 'quotas.quota' },
  }, async (request, reply) => {
    const b = request.body.quota;
    const patch: Partial<QuotaLimits> = {};
    const pick = (r: QuotaResource, ...names: (keyof typeof b)[]): void => {
      for (const n of names) if (b[n] !== undefined) { patch[r] = b[n]; return; }
    };
    pick('loadBalancer', 'loadbalancer', 'load_balancer');
    pick('healthMonitor', 'healthmonitor', 'health_monitor');
    for (const r of QUOTA_RESOURCES) if (r !== 'loadBalancer' && r !== 'healthMonitor') pick(r, r as keyof typeof b);
    const view: QuotaView = await setQuota(store, request.params.projectId, patch);
    return reply.code(202).send({ quota: quotaToWire(view) });
  });

  app.delete<{ Params: { projectId: string } }>('/quotas/:projectId', async (request, reply) => {
    await resetQuota(store, request.params.projectId);
    return reply.code(202).send();
  });
}
