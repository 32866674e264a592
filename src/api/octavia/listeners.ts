/** @module api/octavia/listeners — `/v2/lbaas/listeners`: CRUD and statistics. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { statistics } from '../../service/load-balancers.js';
import {
  createListener, deleteListener, getListener, listListeners, updateListener, type ListenerCreate, type ListenerUpdate,
} from '../../service/listeners.js';
import { callerOf } from '../auth.js';
import { tlsOf, type ApiDeps } from '../deps.js';
import { pageLinks, parseList, rawQuery, selectFields } from './lists.js';
import { statsToWire } from './load-balancers.js';
import { envelope, listenerFields, ListenerPut, Opt, ProjectId, Uuid } from './schemas.js';
import { FIELDS, fromWire, LISTENER_INPUT, listenerToWire } from './wire.js';

const Post = envelope('listener', Type.Object({
  ...listenerFields, project_id: Opt(ProjectId), loadbalancer_id: Uuid,
}, { additionalProperties: false }));
const Put = envelope('listener', ListenerPut);
/** Octavia's controller argument (`post(self, listener_)`), named in unknown-attribute errors. */
const argName = 'listener_.listener';

type Params = { Params: { id: string } };

/** Registers the listener routes under a prefix. */
export function listenerRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store } = deps;

  app.get('/listeners', async (request) => {
    const parsed = parseList(rawQuery(request), FIELDS.listener);
    const views = await listListeners(store, callerOf(request), parsed.query);
    return {
      listeners: selectFields(views.map(listenerToWire), parsed.fields),
      listeners_links: pageLinks(request, parsed, views.map((v) => v.object)),
    };
  });

  app.post<{ Body: Static<typeof Post> }>('/listeners', { schema: { body: Post }, config: { argName } }, async (request, reply) => {
    const input = fromWire(request.body.listener, LISTENER_INPUT, true) as unknown as ListenerCreate;
    const view = await createListener(store, callerOf(request), input, tlsOf(deps));
    return reply.code(201).send({ listener: listenerToWire(view) });
  });

  app.get<Params>('/listeners/:id', async (request) => {
    const view = await getListener(store, callerOf(request), request.params.id);
    const { fields } = parseList({ fields: rawQuery(request).fields }, FIELDS.listener);
    return { listener: selectFields([listenerToWire(view)], fields)[0] };
  });

  app.put<Params & { Body: Static<typeof Put> }>('/listeners/:id', { schema: { body: Put }, config: { argName } }, async (request) => {
    const patch = fromWire(request.body.listener, LISTENER_INPUT, false) as ListenerUpdate;
    return { listener: listenerToWire(await updateListener(store, callerOf(request), request.params.id, patch, tlsOf(deps))) };
  });

  app.delete<Params>('/listeners/:id', async (request, reply) => {
    await deleteListener(store, callerOf(request), request.params.id);
    return reply.code(204).send();
  });

  app.get<Params>('/listeners/:id/stats', async (request) =>
    statsToWire(await statistics(store, callerOf(request), 'listener', request.params.id)));
}
