/** @module api/neutron-lbaas/members — `/network/v2.0/lbaas/pools/{pool_id}/members`. */
import type { FastifyInstance } from 'fastify';
import { createMember, deleteMember, getMember, listMembers, updateMember, type MemberCreate, type MemberUpdate } from '../../service/members.js';
import { callerOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { neutronError, translating } from './errors.js';
import { createBody, listQuery, listReply, showReply, updateBody } from './request.js';
import { memberToWire, toInput } from './wire.js';

type PoolParams = { Params: { pool_id: string } };
type MemberParams = { Params: { pool_id: string; id: string } };

/** Registers the member routes under `/network/v2.0/lbaas`. */
export function memberRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store } = deps;

  app.get<PoolParams>('/pools/:pool_id/members', async (request) => {
    const parsed = listQuery(request, 'member');
    const views = await listMembers(store, callerOf(request), request.params.pool_id, parsed.query);
    return listReply(request, 'members', parsed, views.map((v) => v.object), views.map(memberToWire));
  });

  app.get<MemberParams>('/pools/:pool_id/members/:id', async (request) => ({
    member: showReply(request, memberToWire(await getMember(store, callerOf(request), request.params.pool_id, request.params.id))),
  }));

  app.post<PoolParams>('/pools/:pool_id/members', async (request, reply) => {
    const { attrs, projectId } = createBody('member', request, false);
    const input = { ...toInput.member(attrs, true), ...(projectId ? { projectId } : {}) } as MemberCreate;
    const poolId = request.params.pool_id;
    const view = await translating(createMember(store, callerOf(request), poolId, input), {
      DUPLICATE: () => neutronError('DUPLICATE', 'MemberExists',
        `Member with address ${input.address} and protocol_port ${input.protocolPort} already present in pool ${poolId}`),
    });
    return reply.code(201).send({ member: memberToWire(view) });
  });

  app.put<MemberParams>('/pools/:pool_id/members/:id', async (request) => {
    const patch = toInput.member(updateBody('member', request), false) as MemberUpdate;
    const view = await updateMember(store, callerOf(request), request.params.pool_id, request.params.id, patch);
    return { member: memberToWire(view) };
  });

  app.delete<MemberParams>('/pools/:pool_id/members/:id', async (request, reply) => {
    await deleteMember(store, callerOf(request), request.params.pool_id, request.params.id);
    return reply.code(204).send();
  });
}
