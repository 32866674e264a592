/**
 * @module api/key-manager/routes — the certificate store as a Barbican v1 subset under
 * `/key-manager` (the catalog's `key-manager`): version discovery, `/v1/secrets` (create with a
 * payload, metadata, `/payload`, list, delete) and `/v1/containers` (generic and certificate;
 * create, show, list, delete), in Barbican's shapes and error body, so that python3-barbicanclient
 * (`openstack secret …`) and Octavia-style references work unchanged.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseRef } from '../../domain/tls.js';
import { wireTimestamp } from '../../domain/time.js';
import {
  createContainer, createSecret, deleteContainer, deleteSecret, getContainer, getSecret, getSecretPayload, listContainers,
  listSecrets, schemaError, type ContainerRecord, type SecretCreate, type SecretDeps, type SecretRecord,
} from '../../service/secrets.js';
import { callerOf } from '../auth.js';
import { baseUrl } from '../versions.js';

/** Where the store is mounted (the catalog's `key-manager` endpoint). */
export const KEY_MANAGER_ROOT = '/key-manager';

type Params = { Params: { id: string } };

function versionDoc(request: FastifyRequest) {
  return {
    id: 'v1', status: 'stable',
    links: [{ rel: 'self', href: `${baseUrl(request)}${KEY_MANAGER_ROOT}/v1/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.key-manager-v1+json' }],
  };
}

const time = (t: string): string => wireTimestamp(t) ?? t;

function secretToWire(request: FastifyRequest, s: SecretRecord) {
  return {
    secret_ref: `${baseUrl(request)}${KEY_MANAGER_ROOT}/v1/secrets/${s.id}`,
    name: s.name, secret_type: s.secretType, status: 'ACTIVE', algorithm: s.algorithm, bit_length: s.bitLength,
    mode: s.mode, expiration: s.expiration, creator_id: s.creatorId, created: time(s.createdAt), updated: time(s.updatedAt),
    content_types: s.contentType === null ? null : { default: s.contentType },
  };
}

function containerToWire(request: FastifyRequest, c: ContainerRecord) {
  const base = `${baseUrl(request)}${KEY_MANAGER_ROOT}/v1`;
  return {
    container_ref: `${base}/containers/${c.id}`, name: c.name, type: c.type, status: 'ACTIVE', creator_id: c.creatorId,
    created: time(c.createdAt), updated: time(c.updatedAt), consumers: [],
    secret_refs: c.secretRefs.map((r) => ({ name: r.name, secret_ref: `${base}/secrets/${r.secretId}` })),
  };
}

/** Barbican's paging: `offset` and `limit` (default 10, at most 100), with `next`/`previous` links. */
function paging(request: FastifyRequest): { offset: number; limit: number; name?: string } {
  const q = request.query as Record<string, string | undefined>;
  const num = (v: string | undefined, dflt: number): number => (v !== undefined && /^\d+$/.test(v) ? Number(v) : dflt);
  return { offset: num(q.offset, 0), limit: Math.min(Math.max(num(q.limit, 10), 1), 100), ...(q.name ? { name: q.name } : {}) };
}

function pageLinks(request: FastifyRequest, kind: string, p: { offset: number; limit: number }, total: number) {
  const url = (offset: number): string => `${baseUrl(request)}${KEY_MANAGER_ROOT}/v1/${kind}?limit=${p.limit}&offset=${offset}`;
  return {
    ...(p.offset + p.limit < total ? { next: url(p.offset + p.limit) } : {}),
    ...(p.offset > 0 ? { previous: url(Math.max(p.offset - p.limit, 0)) } : {}),
  };
}

const asBody = (body: unknown, schema: 'Secret' | 'Container'): Record<string, unknown> => {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw schemaError(schema, 'the body must be a JSON object', 'body');
  return body as Record<string, unknown>;
};

/** Registers the key-manager routes on the app (absolute paths under {@link KEY_MANAGER_ROOT}). */
export async function keyManagerRoutes(app: FastifyInstance, deps: SecretDeps): Promise<void> {
  await app.register(async (scope) => {
    scope.get('/', async (request) => ({ versions: { values: [versionDoc(request)] } }));
    scope.get('/v1', async (request) => ({ version: versionDoc(request) }));

    scope.post('/v1/secrets', async (request, reply) => {
      const s = await createSecret(deps, callerOf(request), asBody(request.body, 'Secret') as SecretCreate);
      return reply.code(201).header('location', secretToWire(request, s).secret_ref).send({ secret_ref: secretToWire(request, s).secret_ref });
    });
    scope.get('/v1/secrets', async (request) => {
      const p = paging(request);
      const page = await listSecrets(deps, callerOf(request), p);
      return { secrets: page.items.map((s) => secretToWire(request, s)), total: page.total, ...pageLinks(request, 'secrets', p, page.total) };
    });
    scope.get<Params>('/v1/secrets/:id', async (request, reply) => {
      const accept = request.headers.accept;
      // Barbican's older clients ask for the payload on the secret itself with a non-JSON Accept.
      if (accept !== undefined && !/application\/json|\*\/\*/.test(accept)) {
        const { contentType, payload } = await getSecretPayload(deps, callerOf(request), request.params.id, accept);
        return reply.type(contentType).send(payload);
      }
      return secretToWire(request, await getSecret(deps, callerOf(request), request.params.id));
    });
    scope.get<Params>('/v1/secrets/:id/payload', async (request, reply) => {
      const { contentType, payload } = await getSecretPayload(deps, callerOf(request), request.params.id, request.headers.accept);
      return reply.type(contentType).send(payload);
    });
    scope.delete<Params>('/v1/secrets/:id', async (request, reply) => {
      await deleteSecret(deps, callerOf(request), request.params.id);
      return reply.code(204).send();
    });

    scope.post('/v1/containers', async (request, reply) => {
      const b = asBody(request.body, 'Container');
      const refs = b.secret_refs ?? [];
      if (!Array.isArray(refs)) throw schemaError('Container', 'secret_refs must be a list', 'secret_refs');
      const secretRefs = refs.map((r: unknown) => {
        const o = (r ?? {}) as Record<string, unknown>;
        const parsed = typeof o.secret_ref === 'string' ? parseRef(o.secret_ref) : null;
        return { name: o.name, secretId: parsed?.kind === 'secret' ? parsed.id : null };
      });
      const c = await createContainer(deps, callerOf(request), { name: b.name, type: b.type, secretRefs });
      const ref = containerToWire(request, c).container_ref;
      return reply.code(201).header('location', ref).send({ container_ref: ref });
    });
    scope.get('/v1/containers', async (request) => {
      const p = paging(request);
      const page = await listContainers(deps, callerOf(request), p);
      return { containers: page.items.map((c) => containerToWire(request, c)), total: page.total, ...pageLinks(request, 'containers', p, page.total) };
    });
    scope.get<Params>('/v1/containers/:id', async (request) => containerToWire(request, await getContainer(deps, callerOf(request), request.params.id)));
    scope.delete<Params>('/v1/containers/:id', async (request, reply) => {
      await deleteContainer(deps, callerOf(request), request.params.id);
      return reply.code(204).send();
    });
  }, { prefix: KEY_MANAGER_ROOT });
}
