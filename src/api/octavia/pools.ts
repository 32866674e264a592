/** @module api/octavia/pools — `/v2/lbaas/pools`: CRUD (members live in members.ts). */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { createPool, deletePool, getPool, listPools, updatePool, type PoolCreate, type PoolUpdate } from '../../service/pools.js';
import { callerOf } from '../auth.js';
import { tlsOf, type ApiDeps } from '../deps.js';
import { pageLinks, parseList, rawQuery, selectFields } from './lists.js';
import { envelope, Opt, poolFields, PoolPut, ProjectId, Uuid } from './schemas.js';
import { FIELDS, poolFromWire, poolToWire } from './wire.js';

const Post = envelope('pool', Type.Object({
  ...poolFields, listener_id: Opt(Uuid), loadbalancer_id: Opt(Uuid), project_id: Opt(ProjectId),
  // Octavia's PoolPOST carries these for the single-call create; here only "none" is accepted.
  healthmonitor: Type.Optional(Type.Null()), members: Opt(Type.Array(Type.Unknown(), { maxItems: 0 })),
}, { additionalProperties: false }));
const Put = envelope('pool', PoolPut);
/** Octavia's controller argument (`post(self, pool_)`), named in unknown-attribute errors. */
const argName = 'pool_.pool';

type Params = { Params: { id: string } };

/** Registers the pool routes under a prefix. */
export function poolRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store } = deps;

  app.get('/pools', async (request) => {
    const parsed = parseList(rawQuery(request), FIELDS.pool);
    const views = await listPools(store, callerOf(request), parsed.query);
    return {
      pools: selectFields(views.map(poolToWire), parsed.fields),
      pools_links: pageLinks(request, parsed, views.map((v) => v.object)),
    };
  });

  app.post<{ Body: Static<typeof Post> }>('/pools', { schema: { body: Post }, config: { argName } }, async (request, reply) => {
    const input = poolFromWire(request.body.pool, true) as unknown as PoolCreate;
    const view = await createPool(store, callerOf(request), input, tlsOf(deps));
    return reply.code(201).send({ pool: poolToWire(view) });
  });

  app.get<Params>('/pools/:id', async (request) => {
    const view = await getPool(store, callerOf(request), request.params.id);
    const { fields } = parseList({ fields: rawQuery(request).fields }, FIELDS.pool);
    return { pool: selectFields([poolToWire(view)], fields)[0] };
  });

  app.put<Params & { Body: Static<typeof Put> }>('/pools/:id', { schema: { body: Put }, config: { argName } }, async (request) => {
    const patch = poolFromWire(request.body.pool, false) as PoolUpdate;
    return { pool: poolToWire(await updatePool(store, callerOf(request), request.params.id, patch, tlsOf(deps))) };
  });

  app.delete<Params>('/pools/:id', async (request, reply) => {
    await deletePool(store, callerOf(request), request.params.id);
    return reply.code(204).send();
  });
}
