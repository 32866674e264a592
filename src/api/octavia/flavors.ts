/**
 * @module api/octavia/flavors — `/v2/lbaas/flavorprofiles`, `/flavors`,
 * `/availabilityzoneprofiles` and `/availabilityzones` (Octavia's wire names and bodies), and the
 * providers' `flavor_capabilities` and `availability_zone_capabilities`.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  createNamed, createProfile, deleteNamed, deleteProfile, FLAVOR_PROFILES, FLAVORS, getNamed, getProfile, listNamed,
  listProfiles, providerCapabilities, updateNamed, updateProfile, ZONE_PROFILES, ZONES, type NamedView, type ProfileView,
} from '../../service/flavors.js';
import type { ApiDeps } from '../deps.js';
import { parseList, rawQuery, selectFields } from './lists.js';
import { Description, envelope, Name, Opt } from './schemas.js';
import type { FieldMap } from './wire.js';

const Provider = Type.String({ minLength: 1, maxLength: 64 });
/** Profile data is JSON text (Octavia's 4096-character column). */
const Data = Type.String({ maxLength: 4096 });

interface ProfileWire { path: string; one: string; many: string; links: string; data: string; argName: string }
const PROFILE_WIRE = {
  flavor: { path: '/flavorprofiles', one: 'flavorprofile', many: 'flavorprofiles', links: 'flavorprofile_links', data: 'flavor_data', argName: 'flavor_profile_.flavorprofile' },
  zone: {
    path: '/availabilityzoneprofiles', one: 'availability_zone_profile', many: 'availability_zone_profiles',
    links: 'availability_zone_profile_links', data: 'availability_zone_data', argName: 'availability_zone_profile_.availability_zone_profile',
  },
} as const satisfies Record<string, ProfileWire>;

interface NamedWire { path: string; one: string; many: string; links: string; profile: string; argName: string; hasId: boolean }
const NAMED_WIRE = {
  flavor: { path: '/flavors', one: 'flavor', many: 'flavors', links: 'flavors_links', profile: 'flavor_profile_id', argName: 'flavor_.flavor', hasId: true },
  zone: {
    path: '/availabilityzones', one: 'availability_zone', many: 'availability_zones', links: 'availability_zones_links',
    profile: 'availability_zone_profile_id', argName: 'availability_zone_.availability_zone', hasId: false,
  },
} as const satisfies Record<string, NamedWire>;

function profileToWire(w: ProfileWire, p: ProfileView): Record<string, unknown> {
  return { id: p.id, name: p.name, provider_name: p.providerName, [w.data]: p.data };
}

function namedToWire(w: NamedWire, n: NamedView): Record<string, unknown> {
  return { ...(w.hasId ? { id: n.id } : {}), name: n.name, description: n.description, enabled: n.enabled, [w.profile]: n.profileId };
}

function profileFields(w: ProfileWire): FieldMap {
  return { id: ['id', 'str'], name: ['name', 'str'], provider_name: ['providerName', 'str'], [w.data]: [w.data === 'flavor_data' ? 'flavorData' : 'availabilityZoneData', 'str'] };
}

function namedFields(w: NamedWire): FieldMap {
  return {
    ...(w.hasId ? { id: ['id', 'str'] } : {}), name: ['name', 'str'], description: ['description', 'str'], enabled: ['enabled', 'bool'],
    [w.profile]: [w.profile === 'flavor_profile_id' ? 'flavorProfileId' : 'availabilityZoneProfileId', 'str'],
  } as FieldMap;
}

const fieldsOf = (request: FastifyRequest): string[] | null =>
  parseList({ fields: (request.query as Record<string, string | string[]>).fields }, {}).fields;

function profileRoutes(app: FastifyInstance, deps: ApiDeps, which: 'flavor' | 'zone'): void {
  const w: ProfileWire = PROFILE_WIRE[which];
  const k = which === 'flavor' ? FLAVOR_PROFILES : ZONE_PROFILES;
  const { store, providers } = deps;
  const Post = envelope(w.one, Type.Object({ name: Name, provider_name: Provider, [w.data]: Data }, { additionalProperties: false }));
  const Put = envelope(w.one, Type.Object({ name: Opt(Name), provider_name: Opt(Provider), [w.data]: Opt(Data) }, { additionalProperties: false }));
  const map = profileFields(w);

  app.get(w.path, async (request) => {
    const parsed = parseList(rawQuery(request), map);
    const list = await listProfiles(store, k, parsed.query);
    return { [w.many]: selectFields(list.map((p) => profileToWire(w, p)), parsed.fields), [w.links]: [] };
  });
  app.post<{ Body: Record<string, Record<string, string>> }>(w.path, { schema: { body: Post }, config: { argName: w.argName } }, async (request, reply) => {
    const b = request.body[w.one]!;
    const p = await createProfile(store, providers, k, { name: b.name!, providerName: b.provider_name!, data: b[w.data]! });
    return reply.code(201).send({ [w.one]: profileToWire(w, p) });
  });
  app.get<{ Params: { id: string } }>(`${w.path}/:id`, async (request) => ({
    [w.one]: selectFields([profileToWire(w, await getProfile(store, k, request.params.id))], fieldsOf(request))[0],
  }));
  app.put<{ Params: { id: string }; Body: Record<string, Record<string, string | null>> }>(`${w.path}/:id`, {
    schema: { body: Put }, config: { argName: w.argName },
  }, async (request) => {
    const b = request.body[w.one]!;
    const p = await updateProfile(store, providers, k, request.params.id, { name: b.name, providerName: b.provider_name, data: b[w.data] });
    return { [w.one]: profileToWire(w, p) };
  });
  app.delete<{ Params: { id: string } }>(`${w.path}/:id`, async (request, reply) => {
    await deleteProfile(store, k, request.params.id);
    return reply.code(204).send();
  });
}

function namedRoutes(app: FastifyInstance, deps: ApiDeps, which: 'flavor' | 'zone'): void {
  const w: NamedWire = NAMED_WIRE[which];
  const k = which === 'flavor' ? FLAVORS : ZONES;
  const { store } = deps;
  const Post = envelope(w.one, Type.Object({
    name: Name, description: Opt(Description), enabled: Type.Optional(Type.Boolean()),
    [w.profile]: Type.String({ format: 'uuid' }),
  }, { additionalProperties: false }));
  // Octavia lets a flavor be renamed; a zone is known by its name, so only its description and enabled change.
  const Put = envelope(w.one, Type.Object({
    ...(which === 'flavor' ? { name: Type.Optional(Name) } : {}),
    description: Opt(Description), enabled: Type.Optional(Type.Boolean()),
  }, { additionalProperties: false }));
  const map = namedFields(w);
  type Body = Record<string, { name?: string; description?: string | null; enabled?: boolean } & Record<string, unknown>>;

  app.get(w.path, async (request) => {
    const parsed = parseList(rawQuery(request), map);
    const list = await listNamed(store, k, parsed.query);
    return { [w.many]: selectFields(list.map((n) => namedToWire(w, n)), parsed.fields), [w.links]: [] };
  });
  app.post<{ Body: Body }>(w.path, { schema: { body: Post }, config: { argName: w.argName } }, async (request, reply) => {
    const b = request.body[w.one]!;
    const n = await createNamed(store, k, {
      name: b.name!, profileId: String(b[w.profile]),
      ...(b.description != null ? { description: b.description } : {}), ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
    });
    return reply.code(201).send({ [w.one]: namedToWire(w, n) });
  });
  app.get<{ Params: { id: string } }>(`${w.path}/:id`, async (request) => ({
    [w.one]: selectFields([namedToWire(w, await getNamed(store, k, request.params.id))], fieldsOf(request))[0],
  }));
  app.put<{ Params: { id: string }; Body: Body }>(`${w.path}/:id`, { schema: { body: Put }, config: { argName: w.argName } }, async (request) => {
    const b = request.body[w.one]!;
    const n = await updateNamed(store, k, request.params.id, {
      ...(b.name !== undefined ? { name: b.name } : {}), ...(b.description !== undefined ? { description: b.description ?? '' } : {}),
      ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
    });
    return { [w.one]: namedToWire(w, n) };
  });
  app.delete<{ Params: { id: string } }>(`${w.path}/:id`, async (request, reply) => {
    await deleteNamed(store, k, request.params.id);
    return reply.code(204).send();
  });
}

/** Octavia's capability lists, filtered by `name` / `description` as Octavia does. */
function capabilityRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const route = (suffix: string, key: string, which: 'flavor' | 'zone'): void => {
    app.get<{ Params: { provider: string } }>(`/providers/:provider/${suffix}`, async (request) => {
      const q = request.query as Record<string, string | undefined>;
      const caps = providerCapabilities(deps.providers, request.params.provider, which)
        .filter((c) => (q.name === undefined || c.name === q.name) && (q.description === undefined || c.description === q.description))
        .map((c) => ({ name: c.name, description: c.description }));
      return { [key]: caps };
    });
  };
  route('flavor_capabilities', 'flavor_capabilities', 'flavor');
  route('availability_zone_capabilities', 'availability_zone_capabilities', 'zone');
}

export function flavorRoutes(app: FastifyInstance, deps: ApiDeps): void {
  profileRoutes(app, deps, 'flavor');
  profileRoutes(app, deps, 'zone');
  namedRoutes(app, deps, 'flavor');
  namedRoutes(app, deps, 'zone');
  capabilityRoutes(app, deps);
}

