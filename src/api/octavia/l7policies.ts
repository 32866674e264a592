/** @module api/octavia/l7policies — `/v2/lbaas/l7policies`: CRUD of listeners' L7 policies (rules live in l7rules.ts). */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  createL7Policy, deleteL7Policy, getL7Policy, listL7Policies, updateL7Policy, type L7PolicyCreate, type L7PolicyUpdate,
} from '../../service/l7policies.js';
import { callerOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { pageLinks, parseList, rawQuery, selectFields } from './lists.js';
import { envelope, l7PolicyFields, L7PolicyPut, Opt, ProjectId, Uuid } from './schemas.js';
import { FIELDS, fromWire, L7POLICY_INPUT, l7PolicyFromWire, l7PolicyToWire } from './wire.js';

const Post = envelope('l7policy', Type.Object({
  ...l7PolicyFields, listener_id: Uuid, redirect_pool_id: Opt(Uuid), project_id: Opt(ProjectId),
}, { additionalProperties: false }));
const Put = envelope('l7policy', L7PolicyPut);
/** Octavia's controller argument (`post(self, l7policy_)`), named in unknown-attribute errors. */
const argName = 'l7policy_.l7policy';

type Params = { Params: { id: string } };

/** Registers the L7 policy routes under a prefix. */
export function l7PolicyRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store } = deps;

  app.get('/l7policies', async (request) => {
    const parsed = parseList(rawQuery(request), FIELDS.l7policy);
    const views = await listL7Policies(store, callerOf(request), parsed.query);
    return {
      l7policies: selectFields(views.map(l7PolicyToWire), parsed.fields),
      l7policies_links: pageLinks(request, parsed, views.map((v) => v.object)),
    };
  });

  app.post<{ Body: Static<typeof Post> }>('/l7policies', { schema: { body: Post }, config: { argName } }, async (request, reply) => {
    const input = l7PolicyFromWire(request.body.l7policy, true) as unknown as L7PolicyCreate;
    const view = await createL7Policy(store, callerOf(request), input);
    return reply.code(201).send({ l7policy: l7PolicyToWire(view) });
  });

  app.get<Params>('/l7policies/:id', async (request) => {
    const view = await getL7Policy(store, callerOf(request), request.params.id);
    const { fields } = parseList({ fields: rawQuery(request).fields }, FIELDS.l7policy);
    return { l7policy: selectFields([l7PolicyToWire(view)], fields)[0] };
  });

  app.put<Params & { Body: Static<typeof Put> }>('/l7policies/:id', { schema: { body: Put }, config: { argName } }, async (request) => {
    const patch = fromWire(request.body.l7policy, L7POLICY_INPUT, false) as L7PolicyUpdate;
    return { l7policy: l7PolicyToWire(await updateL7Policy(store, callerOf(request), request.params.id, patch)) };
  });

  app.delete<Params>('/l7policies/:id', async (request, reply) => {
    await deleteL7Policy(store, callerOf(request), request.params.id);
    return reply.code(204).send();
  });
}
