/** @module api/neutron-lbaas/health-monitors — `/network/v2.0/lbaas/healthmonitors`: one per pool. */
import type { FastifyInstance } from 'fastify';
import {
  createHealthMonitor, deleteHealthMonitor, getHealthMonitor, listHealthMonitors, updateHealthMonitor,
  type HealthMonitorCreate, type HealthMonitorUpdate,
} from '../../service/health-monitors.js';
import { getPool } from '../../service/pools.js';
import { callerOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { neutronError, translating } from './errors.js';
import { createBody, listQuery, listReply, showReply, updateBody } from './request.js';
import { healthMonitorToWire, toInput } from './wire.js';

type Params = { Params: { id: string } };

/** Registers the health monitor routes under `/network/v2.0/lbaas`. */
export function healthMonitorRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store } = deps;

  app.get('/healthmonitors', async (request) => {
    const parsed = listQuery(request, 'healthmonitor');
    const views = await listHealthMonitors(store, callerOf(request), parsed.query);
    return listReply(request, 'healthmonitors', parsed, views.map((v) => v.object), views.map(healthMonitorToWire));
  });

  app.get<Params>('/healthmonitors/:id', async (request) => ({
    healthmonitor: showReply(request, healthMonitorToWire(await getHealthMonitor(store, callerOf(request), request.params.id))),
  }));

  app.post('/healthmonitors', async (request, reply) => {
    const caller = callerOf(request);
    const { attrs, projectId } = createBody('healthmonitor', request, false);
    const input = { ...toInput.healthmonitor(attrs, true), ...(projectId ? { projectId } : {}) } as HealthMonitorCreate;
    const view = await translating(createHealthMonitor(store, caller, input), {
      DUPLICATE: async () => {
        const { relations } = await getPool(store, caller, input.poolId);
        return neutronError('DUPLICATE', 'OneHealthMonitorPerPool',
          `Only one health monitor per pool allowed.  Pool ${input.poolId} is already using Health Monitor ${relations.healthMonitorId ?? ''}.`);
      },
    });
    return reply.code(201).send({ healthmonitor: healthMonitorToWire(view) });
  });

  app.put<Params>('/healthmonitors/:id', async (request) => {
    const patch = toInput.healthmonitor(updateBody('healthmonitor', request), false) as HealthMonitorUpdate;
    return { healthmonitor: healthMonitorToWire(await updateHealthMonitor(store, callerOf(request), request.params.id, patch)) };
  });

  app.delete<Params>('/healthmonitors/:id', async (request, reply) => {
    await deleteHealthMonitor(store, callerOf(request), request.params.id);
    return reply.code(204).send();
  });
}
