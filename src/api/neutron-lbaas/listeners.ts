/**
 * @module api/neutron-lbaas/listeners — `/network/v2.0/lbaas/listeners`. As neutron-lbaas's
 * shared pools allow, a listener is created on `loadbalancer_id` or on the load balancer of its
 * `default_pool_id`.
 */
import type { FastifyInstance } from 'fastify';
import type { Pool } from '../../domain/model.js';
import { createListener, deleteListener, getListener, listListeners, updateListener, type ListenerCreate, type ListenerUpdate } from '../../service/listeners.js';
import { getPool } from '../../service/pools.js';
import type { Caller, Store } from '../../service/context.js';
import { callerOf } from '../auth.js';
import { tlsOf, type ApiDeps } from '../deps.js';
import { entityNotFound, neutronError, translating } from './errors.js';
import { createBody, listQuery, listReply, showReply, updateBody } from './request.js';
import { listenerToWire, toInput } from './wire.js';

type Params = { Params: { id: string } };

const mustHaveLoadBalancer = () =>
  neutronError('VALIDATION', 'ListenerMustHaveLoadbalancer', 'Listener must be created with a loadbalancer or pool.', 'loadbalancer_id');
const sameLoadBalancer = () =>
  neutronError('VALIDATION', 'ListenerAndPoolMustBeOnSameLoadbalancer', 'Listener and pool must be on the same loadbalancer.', 'default_pool_id');

/** The pool a listener names as its default, which must be on `lbId` when that is known. */
async function defaultPool(store: Store, caller: Caller, poolId: string, lbId: string | undefined): Promise<Pool> {
  const { object: pool } = await translating(getPool(store, caller, poolId), { NOT_FOUND: () => entityNotFound('pool', poolId) });
  if (lbId !== undefined && pool.loadBalancerId !== lbId) throw sameLoadBalancer();
  return pool;
}

/** Registers the listener routes under `/network/v2.0/lbaas`. */
export function listenerRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store } = deps;

  app.get('/listeners', async (request) => {
    const parsed = listQuery(request, 'listener');
    const views = await listListeners(store, callerOf(request), parsed.query);
    return listReply(request, 'listeners', parsed, views.map((v) => v.object), views.map(listenerToWire));
  });

  app.get<Params>('/listeners/:id', async (request) => ({
    listener: showReply(request, listenerToWire(await getListener(store, callerOf(request), request.params.id))),
  }));

  app.post('/listeners', async (request, reply) => {
    const caller = callerOf(request);
    const { attrs, projectId } = createBody('listener', request, false);
    let lbId = (attrs.loadbalancer_id ?? undefined) as string | undefined;
    const poolId = (attrs.default_pool_id ?? undefined) as string | undefined;
    if (poolId) lbId = (await defaultPool(store, caller, poolId, lbId)).loadBalancerId;
    if (!lbId) throw mustHaveLoadBalancer();
    const input = { ...toInput.listener(attrs, true), loadBalancerId: lbId, ...(projectId ? { projectId } : {}) } as ListenerCreate;
    const view = await translating(createListener(store, caller, input, tlsOf(deps)), {
      DUPLICATE: () => neutronError('DUPLICATE', 'LoadBalancerListenerProtocolPortExists',
        `Load Balancer ${lbId} already has a listener with protocol_port of ${input.protocolPort}`),
    });
    return reply.code(201).send({ listener: listenerToWire(view) });
  });

  app.put<Params>('/listeners/:id', async (request) => {
    const caller = callerOf(request);
    const attrs = updateBody('listener', request);
    if (typeof attrs.default_pool_id === 'string') {
      const { object: listener } = await getListener(store, caller, request.params.id);
      await defaultPool(store, caller, attrs.default_pool_id, listener.loadBalancerId);
    }
    const view = await updateListener(store, caller, request.params.id, toInput.listener(attrs, false) as ListenerUpdate, tlsOf(deps));
    return { listener: listenerToWire(view) };
  });

  app.delete<Params>('/listeners/:id', async (request, reply) => {
    await deleteListener(store, callerOf(request), request.params.id);
    return reply.code(204).send();
  });
}
