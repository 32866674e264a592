/** @module api/octavia/members — `/v2/lbaas/pools/{pool_id}/members`: CRUD of one pool's members and the batch update (`PUT` of the whole list). */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  batchUpdateMembers, createMember, deleteMember, getMember, listMembers, updateMember, type MemberCreate, type MemberUpdate,
} from '../../service/members.js';
import { callerOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { pageLinks, parseList, rawQuery, selectFields } from './lists.js';
import { envelope, memberFields, MemberPut, Opt, ProjectId } from './schemas.js';
import { FIELDS, fromWire, MEMBER_INPUT, memberToWire } from './wire.js';

const MemberPost = Type.Object({ ...memberFields, project_id: Opt(ProjectId) }, { additionalProperties: false });
const Post = envelope('member', MemberPost);
const Put = envelope('member', MemberPut);
/** Octavia's `MembersRootPUT`: the pool's whole member list, each entry a `MemberPOST`. */
const BatchPut = envelope('members', Type.Array(MemberPost));
/** Octavia's controller argument (`post(self, member_)`), named in unknown-attribute errors. */
const argName = 'member_.member';
const batchArgName = 'members_.members';

/** oslo's `strutils.bool_from_string` (not strict), as Octavia reads `additive_only`. */
function boolFromString(v: unknown): boolean {
  const s = (Array.isArray(v) ? v[v.length - 1] : v);
  return typeof s === 'string' && ['1', 't', 'true', 'on', 'y', 'yes'].includes(s.trim().toLowerCase());
}

type PoolParams = { Params: { pool_id: string } };
type MemberParams = { Params: { pool_id: string; member_id: string } };

/** Registers the member routes under a prefix. */
export function memberRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { store } = deps;

  app.get<PoolParams>('/pools/:pool_id/members', async (request) => {
    const parsed = parseList(rawQuery(request), FIELDS.member);
    const views = await listMembers(store, callerOf(request), request.params.pool_id, parsed.query);
    return {
      members: selectFields(views.map(memberToWire), parsed.fields),
      members_links: pageLinks(request, parsed, views.map((v) => v.object)),
    };
  });

  app.post<PoolParams & { Body: Static<typeof Post> }>('/pools/:pool_id/members', {
    schema: { body: Post }, config: { argName },
  }, async (request, reply) => {
    const input = fromWire(request.body.member, MEMBER_INPUT, true) as unknown as MemberCreate;
    const view = await createMember(store, callerOf(request), request.params.pool_id, input);
    return reply.code(201).send({ member: memberToWire(view) });
  });

  // Batch update: 202 with no body, as Octavia (`status_code=202`, `None` returned).
  app.put<PoolParams & { Body: Static<typeof BatchPut>; Querystring: Record<string, unknown> }>('/pools/:pool_id/members', {
    schema: { body: BatchPut }, config: { argName: batchArgName },
  }, async (request, reply) => {
    const members = request.body.members.map((m) => fromWire(m, MEMBER_INPUT, true) as unknown as MemberCreate);
    const additiveOnly = boolFromString(request.query.additive_only);
    await batchUpdateMembers(store, callerOf(request), request.params.pool_id, { members, additiveOnly });
    return reply.code(202).send();
  });

  app.get<MemberParams>('/pools/:pool_id/members/:member_id', async (request) => {
    const view = await getMember(store, callerOf(request), request.params.pool_id, request.params.member_id);
    const { fields } = parseList({ fields: rawQuery(request).fields }, FIELDS.member);
    return { member: selectFields([memberToWire(view)], fields)[0] };
  });

  app.put<MemberParams & { Body: Static<typeof Put> }>('/pools/:pool_id/members/:member_id', {
    schema: { body: Put }, config: { argName },
  }, async (request) => {
    const patch = fromWire(request.body.member, MEMBER_INPUT, false) as MemberUpdate;
    const { pool_id: poolId, member_id: id } = request.params;
    return { member: memberToWire(await updateMember(store, callerOf(request), poolId, id, patch)) };
  });

  app.delete<MemberParams>('/pools/:pool_id/members/:member_id', async (request, reply) => {
    await deleteMember(store, callerOf(request), request.params.pool_id, request.params.member_id);
    return reply.code(204).send();
  });
}
