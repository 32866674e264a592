/**
 * @module api/neutron-lbaas/pools — `/network/v2.0/lbaas/pools`. A pool is created on
 * `loadbalancer_id` or as the default pool of `listener_id`; a pool with a health monitor
 * cannot be deleted (`EntityInUse`), its members go with it, as in neutron-lbaas.
 */
import type { FastifyInstance } from 'fastify';
import { createPool, deletePool, getPool, listPools, updatePool, type PoolCreate, type PoolUpdate } from '../../service/pools.js';
import { getListener } from '../../service/listeners.js';
import { callerOf } from '../auth.js';
import { tlsOf, type ApiDeps } from '../deps.js';
import { entityInUse, neutronError, translating } from './errors.js';
import { createBody, listQuery, listReply, showReply, updateBody } from './request.js';
import { poolToWire, toInput } from './wire.js';

type Params = { Params: { id: string } };

/** Registers the pool routes under `/network/v2.0/lbaas`. */
export function poolRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store } = deps;

  app.get('/pools', async (request) => {
    const parsed = listQuery(request, 'pool');
    const views = await listPools(store, callerOf(request), parsed.query);
    return listReply(request, 'pools', parsed, views.map((v) => v.object), views.map(poolToWire));
  });

  app.get<Params>('/pools/:id', async (request) => ({
    pool: showReply(request, poolToWire(await getPool(store, callerOf(request), request.params.id))),
  }));

  app.post('/pools', async (request, reply) => {
    const caller = callerOf(request);
    const { attrs, projectId } = createBody('pool', request, false);
    const input = { ...toInput.pool(attrs, true), ...(projectId ? { projectId } : {}) } as PoolCreate;
    const view = await translating(createPool(store, caller, input, tlsOf(deps)), {
      'VALIDATION:loadbalancer_id': () => neutronError('VALIDATION', 'PoolMustHaveLoadbalancer',
        'Pool must be created with a loadbalancer or listener.', 'loadbalancer_id'),
      'VALIDATION:listener_id': () => neutronError('VALIDATION', 'ListenerAndPoolMustBeOnSameLoadbalancer',
        'Listener and pool must be on the same loadbalancer.', 'listener_id'),
      DUPLICATE: async () => {
        const { object: listener } = await getListener(store, caller, input.listenerId!);
        return neutronError('DUPLICATE', 'ListenerDefaultPoolAlreadySet',
          `Listener ${listener.id} is already using default pool ${listener.defaultPoolId ?? ''}.`, 'listener_id');
      },
    });
    return reply.code(201).send({ pool: poolToWire(view) });
  });

  app.put<Params>('/pools/:id', async (request) => {
    const patch = toInput.pool(updateBody('pool', request), false) as PoolUpdate;
    return { pool: poolToWire(await updatePool(store, callerOf(request), request.params.id, patch, tlsOf(deps))) };
  });

  app.delete<Params>('/pools/:id', async (request, reply) => {
    const { relations } = await getPool(store, callerOf(request), request.params.id);
    if (relations.healthMonitorId) throw entityInUse('healthmonitor', relations.healthMonitorId, 'pool');
    await deletePool(store, callerOf(request), request.params.id);
    return reply.code(204).send();
  });
}
