/**
 * @module api/identity/routes — the embedded identity service's HTTP API, a Keystone v3 subset:
 * version discovery, tokens (issue, validate, revoke), the catalog, projects, users, roles, role
 * assignments and domains. Mounted under a prefix (`/v3` by default) in a scope of its own, with
 * Keystone's error body `{"error": {"code", "title", "message"}}`. Every route but discovery and
 * token issue wants an `X-Auth-Token`; the server's own auth hook must let these paths through
 * (these routes check tokens).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FulcrumError } from '../../domain/errors.js';
import { buildCatalog, identityUrl, normalizeBaseUrl, type CatalogService, type ServicePaths } from '../../identity/catalog.js';
import { versionDocument, versionsDocument } from '../../identity/discovery.js';
import { missing, notFound, unauthorized } from '../../identity/errors.js';
import type { AssignmentFilter, AssignmentTarget, Identity, NamedFilter, TokenInfo } from '../../identity/identity.js';
import {
  parseAuthRequest, parsePasswordChange, parseProjectCreate, parseProjectUpdate, parseRoleCreate, parseRoleUpdate,
  parseUserCreate, parseUserUpdate,
} from '../../identity/requests.js';
import { baseUrl } from '../versions.js';
import { authorize } from './policy.js';
import { assignmentWire, domainWire, listLinks, projectWire, roleWire, tokenBody, userWire } from './wire.js';

/** What the identity routes need from the composition root. */
export interface IdentityRouteDeps {
  identity: Identity;
  /**
   * The base URL clients reach Fulcrum at (`https://lb.example.com`), for the catalog and links.
   * Unset: taken from each request (Host, X-Forwarded-Host, X-Forwarded-Proto).
   */
  publicUrl?: string;
  /** The catalog's region (default RegionOne). */
  region?: string;
  /**
   * Where the services live below the base URL, for the catalog (defaults: identity at `prefix`,
   * `/network`, ``).
   */
  paths?: Partial<ServicePaths>;
  /** Where these routes are mounted (default `/v3`); links in replies point here. */
  prefix?: string;
  /**
   * Also answer Keystone's version list at this path (300 Multiple Choices,
   * `{"versions": {"values": […]}}` pointing at `prefix`), as a Keystone root does: the
   * unversioned URL keystoneauth discovers from when an endpoint ends in `/v3`.
   */
  root?: string;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Request Entity Too Large', 415: 'Unsupported Media Type', 500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Keystone's error body. */
export function keystoneError(status: number, message: string): { error: { code: number; title: string; message: string } } {
  return { error: { code: status, title: TITLES[status] ?? 'Error', message } };
}

type Params = { id: string };
type GrantParams = { target: string; user: string; role: string };

/** True for a query flag given with any value but a false one (Keystone's `query_filter_is_true`). */
function flag(query: unknown, name: string): boolean {
  const v = (query as Record<string, unknown>)[name];
  if (v === undefined) return false;
  return !['0', 'false', 'False', 'no'].includes(String(v));
}

function queryString(query: unknown, name: string): string | undefined {
  const v = (query as Record<string, unknown>)[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? String(v[0]) : String(v);
}

function namedFilter(query: unknown): NamedFilter {
  const f: NamedFilter = {};
  const name = queryString(query, 'name');
  const domainId = queryString(query, 'domain_id');
  if (name !== undefined) f.name = name;
  if (domainId !== undefined) f.domainId = domainId;
  if (queryString(query, 'enabled') !== undefined) f.enabled = flag(query, 'enabled');
  return f;
}

/** Registers the identity API under its prefix. */
export async function identityRoutes(app: FastifyInstance, deps: IdentityRouteDeps): Promise<void> {
  const prefix = deps.prefix ?? '/v3';
  const paths: Partial<ServicePaths> = { identity: prefix, ...deps.paths };
  const { identity } = deps;

  const baseOf = (request: FastifyRequest): string => normalizeBaseUrl(deps.publicUrl ?? baseUrl(request));
  /** The identity URL as the client sees it (`http://host:port/v3`), for links. */
  const selfOf = (request: FastifyRequest): string => identityUrl(baseOf(request), { identity: prefix });
  const catalogOf = (request: FastifyRequest): CatalogService[] => buildCatalog(baseOf(request), { ...(deps.region ? { region: deps.region } : {}), paths });
  const listSelf = (request: FastifyRequest): string => `${baseOf(request)}${request.url}`;

  /** The caller, from `X-Auth-Token`; 401 when absent or invalid. */
  const callerOf = async (request: FastifyRequest): Promise<TokenInfo> => {
    const header = request.headers['x-auth-token'];
    if (typeof header !== 'string' || header === '') throw unauthorized();
    const info = await identity.tokenInfo(header);
    if (!info) throw unauthorized(undefined, 'X-Auth-Token is not valid');
    return info;
  };
  const subjectOf = (request: FastifyRequest): string => {
    const header = request.headers['x-subject-token'];
    if (typeof header !== 'string' || header === '') throw missing('X-Subject-Token', 'request headers');
    return header;
  };

  if (deps.root !== undefined) {
    app.get(deps.root, async (request, reply) => reply.code(300).send(versionsDocument(selfOf(request))));
  }

  await app.register(async (scope) => {
    // The same JSON handling as the main server, so that this scope behaves alike wherever it is mounted.
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      if (body === '') return done(null, undefined);
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(new FulcrumError('INVALID_JSON', 'The request body is not valid JSON.'), undefined);
      }
    });

    scope.setErrorHandler((err, request, reply) => sendKeystoneError(err, request, reply, baseOf(request)));
    scope.setNotFoundHandler((_request, reply) => reply.code(404).send(keystoneError(404, 'The resource could not be found.')));

    // Discovery: keystoneauth reads this before authenticating.
    scope.get('/', async (request) => versionDocument(selfOf(request)));

    // Tokens

    scope.post('/auth/tokens', async (request, reply) => {
      const issued = await identity.authenticate(parseAuthRequest(request.body));
      // Keystone leaves the catalog out when `nocatalog` is present at all, whatever its value.
      const withCatalog = (request.query as Record<string, unknown>).nocatalog === undefined;
      return reply.code(201).header('x-subject-token', issued.token).send(tokenBody(issued.info, withCatalog ? catalogOf(request) : null));
    });

    const checkSubject = async (request: FastifyRequest): Promise<{ token: string; info: TokenInfo }> => {
      const caller = await callerOf(request);
      const token = subjectOf(request);
      const info = await identity.tokenInfo(token);
      // A token is unguessable, so saying that one is not valid tells nothing to anybody.
      if (!info) throw new FulcrumError('NOT_FOUND', 'Could not find token.');
      authorize(caller, 'identity:validate_token', { userId: info.user.id });
      return { token, info };
    };
    scope.get('/auth/tokens', { exposeHeadRoute: false }, async (request, reply) => {
      const { token, info } = await checkSubject(request);
      const withCatalog = (request.query as Record<string, unknown>).nocatalog === undefined;
      return reply.header('x-subject-token', token).send(tokenBody(info, withCatalog ? catalogOf(request) : null));
    });
    scope.head('/auth/tokens', async (request, reply) => {
      await checkSubject(request);
      return reply.code(200).send();
    });
    scope.delete('/auth/tokens', async (request, reply) => {
      const caller = await callerOf(request);
      const token = subjectOf(request);
      const info = await identity.tokenInfo(token);
      if (!info) throw new FulcrumError('NOT_FOUND', 'Could not find token.');
      authorize(caller, 'identity:revoke_token', { userId: info.user.id });
      await identity.revokeToken(token);
      return reply.code(204).send();
    });

    scope.get('/auth/catalog', async (request) => {
      const caller = await callerOf(request);
      if (!caller.project && !caller.domain) throw new FulcrumError('FORBIDDEN', 'A scoped token is required to produce a service catalog.');
      authorize(caller, 'identity:get_auth_catalog');
      return { catalog: catalogOf(request), links: listLinks(listSelf(request)) };
    });

    scope.get('/auth/projects', async (request) => {
      const caller = await callerOf(request);
      authorize(caller, 'identity:get_auth_projects');
      const base = selfOf(request);
      const projects = (await identity.projectsOfUser(caller.user.id)).filter((p) => p.enabled);
      return { projects: projects.map((p) => projectWire(p, base)), links: listLinks(listSelf(request)) };
    });

    // Domains

    scope.get('/domains', async (request) => {
      authorize(await callerOf(request), 'identity:list_domains');
      const f = namedFilter(request.query);
      const domains = await identity.listDomains({ ...(f.name !== undefined ? { name: f.name } : {}), ...(f.enabled !== undefined ? { enabled: f.enabled } : {}) });
      return { domains: domains.map((d) => domainWire(d, selfOf(request))), links: listLinks(listSelf(request)) };
    });
    scope.get<{ Params: Params }>('/domains/:id', async (request) => {
      authorize(await callerOf(request), 'identity:get_domain', { domainId: request.params.id });
      return { domain: domainWire(await identity.getDomain(request.params.id), selfOf(request)) };
    });

    // Projects

    scope.get('/projects', async (request) => {
      authorize(await callerOf(request), 'identity:list_projects');
      const projects = await identity.listProjects(namedFilter(request.query));
      return { projects: projects.map((p) => projectWire(p, selfOf(request))), links: listLinks(listSelf(request)) };
    });
    scope.post('/projects', async (request, reply) => {
      authorize(await callerOf(request), 'identity:create_project');
      const p = await identity.createProject(parseProjectCreate(request.body));
      return reply.code(201).send({ project: projectWire(p, selfOf(request)) });
    });
    scope.get<{ Params: Params }>('/projects/:id', async (request) => {
      authorize(await callerOf(request), 'identity:get_project', { projectId: request.params.id });
      return { project: projectWire(await identity.getProject(request.params.id), selfOf(request)) };
    });
    scope.patch<{ Params: Params }>('/projects/:id', async (request) => {
      authorize(await callerOf(request), 'identity:update_project', { projectId: request.params.id });
      const current = await identity.getProject(request.params.id);
      const p = await identity.updateProject(current.id, parseProjectUpdate(request.body, current));
      return { project: projectWire(p, selfOf(request)) };
    });
    scope.delete<{ Params: Params }>('/projects/:id', async (request, reply) => {
      authorize(await callerOf(request), 'identity:delete_project', { projectId: request.params.id });
      await identity.deleteProject(request.params.id);
      return reply.code(204).send();
    });

    // Users

    scope.get('/users', async (request) => {
      authorize(await callerOf(request), 'identity:list_users');
      const users = await identity.listUsers(namedFilter(request.query));
      return { users: users.map((u) => userWire(u, selfOf(request))), links: listLinks(listSelf(request)) };
    });
    scope.post('/users', async (request, reply) => {
      authorize(await callerOf(request), 'identity:create_user');
      const u = await identity.createUser(parseUserCreate(request.body));
      return reply.code(201).send({ user: userWire(u, selfOf(request)) });
    });
    scope.get<{ Params: Params }>('/users/:id', async (request) => {
      authorize(await callerOf(request), 'identity:get_user', { userId: request.params.id });
      return { user: userWire(await identity.getUser(request.params.id), selfOf(request)) };
    });
    scope.patch<{ Params: Params }>('/users/:id', async (request) => {
      authorize(await callerOf(request), 'identity:update_user', { userId: request.params.id });
      const current = await identity.getUser(request.params.id);
      const u = await identity.updateUser(current.id, parseUserUpdate(request.body, current));
      return { user: userWire(u, selfOf(request)) };
    });
    scope.delete<{ Params: Params }>('/users/:id', async (request, reply) => {
      authorize(await callerOf(request), 'identity:delete_user', { userId: request.params.id });
      await identity.deleteUser(request.params.id);
      return reply.code(204).send();
    });
    scope.post<{ Params: Params }>('/users/:id/password', async (request, reply) => {
      authorize(await callerOf(request), 'identity:change_password', { userId: request.params.id });
      await identity.changePassword(request.params.id, parsePasswordChange(request.body));
      return reply.code(204).send();
    });
    scope.get<{ Params: Params }>('/users/:id/projects', async (request) => {
      authorize(await callerOf(request), 'identity:list_user_projects', { userId: request.params.id });
      await identity.getUser(request.params.id);
      const projects = await identity.projectsOfUser(request.params.id);
      return { projects: projects.map((p) => projectWire(p, selfOf(request))), links: listLinks(listSelf(request)) };
    });

    // Roles

    scope.get('/roles', async (request) => {
      authorize(await callerOf(request), 'identity:list_roles');
      const name = queryString(request.query, 'name');
      const roles = await identity.listRoles(name === undefined ? {} : { name });
      return { roles: roles.map((r) => roleWire(r, selfOf(request))), links: listLinks(listSelf(request)) };
    });
    scope.post('/roles', async (request, reply) => {
      authorize(await callerOf(request), 'identity:create_role');
      const r = await identity.createRole(parseRoleCreate(request.body));
      return reply.code(201).send({ role: roleWire(r, selfOf(request)) });
    });
    scope.get<{ Params: Params }>('/roles/:id', async (request) => {
      authorize(await callerOf(request), 'identity:get_role');
      return { role: roleWire(await identity.getRole(request.params.id), selfOf(request)) };
    });
    scope.patch<{ Params: Params }>('/roles/:id', async (request) => {
      authorize(await callerOf(request), 'identity:update_role');
      const r = await identity.updateRole(request.params.id, parseRoleUpdate(request.body));
      return { role: roleWire(r, selfOf(request)) };
    });
    scope.delete<{ Params: Params }>('/roles/:id', async (request, reply) => {
      authorize(await callerOf(request), 'identity:delete_role');
      await identity.deleteRole(request.params.id);
      return reply.code(204).send();
    });

    // Grants on projects and domains

    for (const type of ['project', 'domain'] as const) {
      const target = (p: GrantParams): AssignmentTarget => ({ type, id: p.target });
      const base = `/${type}s/:target/users/:user/roles`;
      scope.get<{ Params: GrantParams }>(base, async (request) => {
        authorize(await callerOf(request), 'identity:list_grants');
        const roles = await identity.rolesOn(request.params.user, target(request.params));
        const all = new Map((await identity.listRoles()).map((r) => [r.id, r]));
        return {
          roles: roles.map((r) => all.get(r.id)).filter((r) => r !== undefined).map((r) => roleWire(r, selfOf(request))),
          links: listLinks(listSelf(request)),
        };
      });
      scope.put<{ Params: GrantParams }>(`${base}/:role`, async (request, reply) => {
        authorize(await callerOf(request), 'identity:create_grant');
        await identity.grant(request.params.user, target(request.params), request.params.role);
        return reply.code(204).send();
      });
      scope.head<{ Params: GrantParams }>(`${base}/:role`, async (request, reply) => {
        authorize(await callerOf(request), 'identity:check_grant');
        const has = await identity.hasGrant(request.params.user, target(request.params), request.params.role);
        if (!has) throw notFound('role assignment', request.params.role);
        return reply.code(204).send();
      });
      scope.delete<{ Params: GrantParams }>(`${base}/:role`, async (request, reply) => {
        authorize(await callerOf(request), 'identity:revoke_grant');
        await identity.revoke(request.params.user, target(request.params), request.params.role);
        return reply.code(204).send();
      });
    }

    scope.get('/role_assignments', async (request) => {
      authorize(await callerOf(request), 'identity:list_role_assignments');
      const q = request.query as Record<string, unknown>;
      const filter: AssignmentFilter = {};
      const userId = queryString(q, 'user.id');
      const roleId = queryString(q, 'role.id');
      const projectId = queryString(q, 'scope.project.id');
      const domainId = queryString(q, 'scope.domain.id');
      if (projectId !== undefined && domainId !== undefined) {
        throw new FulcrumError('VALIDATION', 'Specify scope.project.id or scope.domain.id, not both.', { field: 'scope.project.id' });
      }
      if (userId !== undefined) filter.userId = userId;
      if (roleId !== undefined) filter.roleId = roleId;
      if (projectId !== undefined) Object.assign(filter, { targetType: 'project', targetId: projectId });
      if (domainId !== undefined) Object.assign(filter, { targetType: 'domain', targetId: domainId });
      // No groups, no system scope, no inheritance here: such filters match nothing.
      const none = q['group.id'] !== undefined || q['scope.system'] !== undefined || q['scope.OS-INHERIT:inherited_to'] !== undefined;
      const assignments = none ? [] : await identity.listAssignments(filter);
      const names = flag(q, 'include_names');
      return {
        role_assignments: assignments.map((a) => assignmentWire(a, names, selfOf(request))),
        links: listLinks(listSelf(request)),
      };
    });
  }, { prefix });
}

/** Renders any error as Keystone does; unknown errors become a 500 with the stack only in the log. */
function sendKeystoneError(err: unknown, request: FastifyRequest, reply: FastifyReply, base: string): FastifyReply {
  let fe: FulcrumError;
  if (err instanceof FulcrumError) fe = err;
  else {
    const fz = err as { statusCode?: number; code?: string; message?: string };
    if (fz.code === 'FST_ERR_CTP_BODY_TOO_LARGE') fe = new FulcrumError('PAYLOAD_TOO_LARGE', 'Request body is too large');
    else if (fz.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') fe = new FulcrumError('UNSUPPORTED_MEDIA_TYPE', 'The request media type is not supported; send application/json');
    else if (typeof fz.statusCode === 'number' && fz.statusCode >= 400 && fz.statusCode < 500) fe = new FulcrumError('VALIDATION', fz.message ?? 'Bad request');
    else {
      // The error itself never holds a password or token: bodies and headers are not part of it.
      request.log.error({ err }, 'unexpected error');
      fe = new FulcrumError('INTERNAL', 'An unexpected error prevented the server from fulfilling your request.');
    }
  }
  if (fe.detail) request.log.info({ code: fe.code, detail: fe.detail }, fe.message);
  if (fe.status === 401) reply.header('www-authenticate', `Keystone uri="${base}"`);
  return reply.code(fe.status).header('content-type', 'application/json').send(keystoneError(fe.status, fe.message));
}
