/**
 * @module api/neutron-lbaas/request — what the Neutron LBaaS routes read from a request: bodies
 * through the attribute maps, and Neutron's list query (filters on attributes, unknown ones
 * ignored as Neutron's database filter ignores them; `fields`; `sort_key`/`sort_dir`; `limit`
 * and `marker` with `<collection>_links` only when paginated).
 */
import type { FastifyRequest } from 'fastify';
import type { ListQuery } from '../../service/context.js';
import { callerOf } from '../auth.js';
import { pageLinks, parseList, rawQuery, selectFields, type ParsedList } from '../octavia/lists.js';
import { prepareBody } from './attributes.js';
import { ATTRIBUTES, FIELDS, type NeutronResource } from './wire.js';

/** The attributes of a create, and the project it belongs to (body, else the caller's). */
export function createBody(resource: NeutronResource, request: FastifyRequest, requireProject: boolean) {
  return prepareBody(resource, request.body, ATTRIBUTES[resource], {
    create: true, callerProject: callerOf(request).projectId, requireProject,
  });
}

/** The attributes of an update. */
export function updateBody(resource: NeutronResource, request: FastifyRequest): Record<string, unknown> {
  return prepareBody(resource, request.body, ATTRIBUTES[resource], { create: false }).attrs;
}

const AUX = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse']);

/** A list request's query for a resource; without `limit` every object is returned, as in Neutron. */
export function listQuery(request: FastifyRequest, resource: NeutronResource): ParsedList {
  const fields = FIELDS[resource];
  const raw = Object.fromEntries(Object.entries(rawQuery(request)).filter(([k]) => k in fields || AUX.has(k)));
  const parsed = parseList(raw, fields);
  const query: ListQuery = raw.limit === undefined ? { ...parsed.query, limit: null } : parsed.query;
  return { ...parsed, query };
}

/** `{<collection>: [...]}` with only the asked fields, and `<collection>_links` when paginated. */
export function listReply<T extends { id: string }>(
  request: FastifyRequest, collection: string, parsed: ParsedList, objects: readonly T[], wire: Record<string, unknown>[],
): Record<string, unknown> {
  const body: Record<string, unknown> = { [collection]: selectFields(wire, parsed.fields) };
  if (parsed.raw.limit !== undefined) body[`${collection}_links`] = pageLinks(request, parsed, objects);
  return body;
}

/** One object with only the asked fields (`?fields=id&fields=name`). */
export function showReply(request: FastifyRequest, wire: Record<string, unknown>): Record<string, unknown> {
  return selectFields([wire], parseList({ fields: rawQuery(request).fields }, {}).fields)[0]!;
}
