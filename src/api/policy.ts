/**
 * @module api/policy — who may call which route: Octavia's default rules (octavia/policies:
 * keystone default roles `admin`/`member`/`reader` with project scope, with the legacy
 * `load-balancer_*` roles still honoured as their deprecated rules are), in one table.
 *
 * A route's rule is checked against the caller's roles in the caller's own project; which
 * objects the caller then sees is the services' business (another project's object is 404),
 * using the two powers computed here: `isAdmin` (acts on every project) and `readsAll`
 * (sees every project). Routes not in the table are refused: the table is the whole truth.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FulcrumError } from '../domain/errors.js';
import type { Caller } from '../service/context.js';

/** Octavia's API access rules (octavia/policies/base.py), plus Neutron's for the networks API. */
export type Rule =
  | 'read' | 'read-global' | 'write' | 'admin'
  | 'read-quota' | 'read-quota-global' | 'write-quota'
  | 'network-read' | 'network-write' | 'secret-read' | 'secret-write';

/** Keystone's implied roles: admin implies member, member implies reader. */
const IMPLIED: Readonly<Record<string, readonly string[]>> = { admin: ['member', 'reader'], member: ['reader'] };

/** The roles a caller holds, implied ones included. */
export function effectiveRoles(roles: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const r of roles) {
    out.add(r);
    for (const i of IMPLIED[r] ?? []) out.add(i);
  }
  return out;
}

/** The building blocks of Octavia's rules, for one caller (owner checks are against the caller's project). */
function powers(caller: Pick<Caller, 'roles' | 'projectId' | 'noauth'>): Record<string, boolean> {
  const has = effectiveRoles(caller.roles);
  const scoped = caller.projectId !== null;
  const admin = caller.noauth || has.has('admin') || has.has('load-balancer_admin');
  const globalObserver = has.has('admin') || has.has('load-balancer_global_observer');
  const memberAndOwner = scoped && (has.has('member') || has.has('load-balancer_member'));
  const observerAndOwner = scoped && (has.has('reader') || has.has('load-balancer_observer'));
  const quotaAdmin = has.has('admin') || has.has('load-balancer_quota_admin');
  // Neutron knows only Keystone's default roles.
  const netAdmin = caller.noauth || has.has('admin');
  const netMember = netAdmin || (scoped && has.has('member'));
  const netReader = netMember || (scoped && has.has('reader'));
  return { admin, globalObserver, memberAndOwner, observerAndOwner, quotaAdmin, netMember, netReader };
}

/** True when the caller passes the rule in their own project. */
export function allows(caller: Pick<Caller, 'roles' | 'projectId' | 'noauth'>, rule: Rule): boolean {
  const p = powers(caller);
  switch (rule) {
    case 'read': return p.observerAndOwner! || p.globalObserver! || p.memberAndOwner! || p.admin!;
    case 'read-global': return p.globalObserver! || p.admin!;
    case 'write': return p.memberAndOwner! || p.admin!;
    case 'admin': return p.admin!;
    case 'read-quota': return p.observerAndOwner! || p.globalObserver! || p.memberAndOwner! || p.quotaAdmin! || p.admin!;
    case 'read-quota-global': return p.globalObserver! || p.quotaAdmin! || p.admin!;
    case 'write-quota': return p.quotaAdmin! || p.admin!;
    // Neutron's defaults: project readers read, project members write, admins do anything.
    case 'network-read': return p.netReader!;
    case 'network-write': return p.netMember!;
    // Barbican's defaults know Keystone's default roles too; reading a payload is a member's (secret:decrypt).
    case 'secret-read': return p.netReader!;
    case 'secret-write': return p.netMember!;
  }
}

/** Builds a caller with its powers computed from its roles. */
export function makeCaller(c: { projectId: string | null; roles: readonly string[]; noauth?: boolean; userId?: string | null }): Caller {
  const base = { projectId: c.projectId, roles: [...c.roles], noauth: c.noauth ?? false, userId: c.userId ?? null };
  return { ...base, isAdmin: allows(base, 'admin'), readsAll: allows(base, 'read-global') };
}

interface Entry { name: string; rule: Rule }

const octavia = (kind: string, path: string, extra: Record<string, Entry> = {}): Record<string, Entry> => ({
  [`GET ${path}`]: { name: `os_load-balancer_api:${kind}:get_all`, rule: 'read' },
  [`POST ${path}`]: { name: `os_load-balancer_api:${kind}:post`, rule: 'write' },
  [`GET ${path}/:id`]: { name: `os_load-balancer_api:${kind}:get_one`, rule: 'read' },
  [`PUT ${path}/:id`]: { name: `os_load-balancer_api:${kind}:put`, rule: 'write' },
  [`DELETE ${path}/:id`]: { name: `os_load-balancer_api:${kind}:delete`, rule: 'write' },
  ...extra,
});

/** Flavors, zones and their profiles: admins write; `read` is who may list and show them. */
const operatorObjects = (kind: string, path: string, read: Rule): Record<string, Entry> => ({
  [`GET ${path}`]: { name: `os_load-balancer_api:${kind}:get_all`, rule: read },
  [`POST ${path}`]: { name: `os_load-balancer_api:${kind}:post`, rule: 'admin' },
  [`GET ${path}/:id`]: { name: `os_load-balancer_api:${kind}:get_one`, rule: read },
  [`PUT ${path}/:id`]: { name: `os_load-balancer_api:${kind}:put`, rule: 'admin' },
  [`DELETE ${path}/:id`]: { name: `os_load-balancer_api:${kind}:delete`, rule: 'admin' },
});

const neutron = (kind: string, path: string): Record<string, Entry> => ({
  [`GET ${path}`]: { name: `get_${kind}`, rule: 'network-read' },
  [`POST ${path}`]: { name: `create_${kind}`, rule: 'network-write' },
  [`GET ${path}/:id`]: { name: `get_${kind}`, rule: 'network-read' },
  [`PUT ${path}/:id`]: { name: `update_${kind}`, rule: 'network-write' },
  [`DELETE ${path}/:id`]: { name: `delete_${kind}`, rule: 'network-write' },
});

/**
 * Every protected route, by method and path as registered (Octavia's `/v2.0/lbaas` and the
 * network endpoint's `/network/v2.0` are looked up as `/v2/lbaas` and `/v2.0`).
 */
export const POLICY: Readonly<Record<string, Entry>> = {
  ...octavia('loadbalancer', '/v2/lbaas/loadbalancers', {
    'GET /v2/lbaas/loadbalancers/:id/stats': { name: 'os_load-balancer_api:loadbalancer:get_stats', rule: 'read' },
    'GET /v2/lbaas/loadbalancers/:id/status': { name: 'os_load-balancer_api:loadbalancer:get_status', rule: 'read' },
    'GET /v2/lbaas/loadbalancers/:id/statuses': { name: 'os_load-balancer_api:loadbalancer:get_status', rule: 'read' },
    'PUT /v2/lbaas/loadbalancers/:id/failover': { name: 'os_load-balancer_api:loadbalancer:put_failover', rule: 'admin' },
    // Fulcrum's own: the rendered data-plane configuration shows the host's paths and every
    // project's addresses in one file format: operators only.
    'GET /v2/lbaas/loadbalancers/:id/config': { name: 'fulcrum:loadbalancer:get_config', rule: 'admin' },
  }),
  ...octavia('listener', '/v2/lbaas/listeners', {
    'GET /v2/lbaas/listeners/:id/stats': { name: 'os_load-balancer_api:listener:get_stats', rule: 'read' },
  }),
  ...octavia('pool', '/v2/lbaas/pools'),
  ...octavia('member', '/v2/lbaas/pools/:poolId/members', {
    'PUT /v2/lbaas/pools/:poolId/members': { name: 'os_load-balancer_api:member:put', rule: 'write' },
  }),
  ...octavia('healthmonitor', '/v2/lbaas/healthmonitors'),
  ...octavia('l7policy', '/v2/lbaas/l7policies'),
  ...octavia('l7rule', '/v2/lbaas/l7policies/:l7policyId/rules'),
  'GET /v2/lbaas/providers': { name: 'os_load-balancer_api:provider:get_all', rule: 'read' },
  'GET /v2/lbaas/providers/:id/flavor_capabilities': { name: 'os_load-balancer_api:provider-flavor:get_all', rule: 'admin' },
  'GET /v2/lbaas/providers/:id/availability_zone_capabilities': { name: 'os_load-balancer_api:provider-availability-zone:get_all', rule: 'admin' },
  // Quotas: a project reads its own (quota admins and global readers every project's: the service checks), quota admins write.
  'GET /v2/lbaas/quotas': { name: 'os_load-balancer_api:quota:get_all', rule: 'read-quota' },
  'GET /v2/lbaas/quotas/defaults': { name: 'os_load-balancer_api:quota:get_default', rule: 'read-quota' },
  'GET /v2/lbaas/quotas/:id': { name: 'os_load-balancer_api:quota:get_one', rule: 'read-quota' },
  'GET /v2/lbaas/quotas/:id/default': { name: 'os_load-balancer_api:quota:get_default', rule: 'read-quota' },
  'PUT /v2/lbaas/quotas/:id': { name: 'os_load-balancer_api:quota:put', rule: 'write-quota' },
  'DELETE /v2/lbaas/quotas/:id': { name: 'os_load-balancer_api:quota:delete', rule: 'write-quota' },
  ...operatorObjects('flavor-profile', '/v2/lbaas/flavorprofiles', 'admin'),
  ...operatorObjects('flavor', '/v2/lbaas/flavors', 'read'),
  ...operatorObjects('availability-zone-profile', '/v2/lbaas/availabilityzoneprofiles', 'admin'),
  ...operatorObjects('availability-zone', '/v2/lbaas/availabilityzones', 'read'),
  // Amphorae are the operator's: admins act, global observers read (Octavia's amphora rules).
  'GET /v2/octavia/amphorae': { name: 'os_load-balancer_api:amphora:get_all', rule: 'read-global' },
  'GET /v2/octavia/amphorae/:id': { name: 'os_load-balancer_api:amphora:get_one', rule: 'read-global' },
  'GET /v2/octavia/amphorae/:id/stats': { name: 'os_load-balancer_api:amphora:get_stats', rule: 'read-global' },
  'PUT /v2/octavia/amphorae/:id/failover': { name: 'os_load-balancer_api:amphora:put_failover', rule: 'admin' },
  // Fulcrum's own: the event stream shows what a read would (own project; every project to global readers).
  'GET /v2/lbaas/events': { name: 'fulcrum:events:get_all', rule: 'read' },
  // Metrics name every project's objects: admins only (or the unauthenticated --metrics-listen address).
  'GET /metrics': { name: 'fulcrum:metrics:get', rule: 'admin' },
  // The certificate store (Barbican's secret:* and container:* rules, default roles).
  'GET /key-manager/v1/secrets': { name: 'secrets:get', rule: 'secret-read' },
  'POST /key-manager/v1/secrets': { name: 'secrets:post', rule: 'secret-write' },
  'GET /key-manager/v1/secrets/:id': { name: 'secret:get', rule: 'secret-read' },
  'GET /key-manager/v1/secrets/:id/payload': { name: 'secret:decrypt', rule: 'secret-write' },
  'DELETE /key-manager/v1/secrets/:id': { name: 'secret:delete', rule: 'secret-write' },
  'GET /key-manager/v1/containers': { name: 'containers:get', rule: 'secret-read' },
  'POST /key-manager/v1/containers': { name: 'containers:post', rule: 'secret-write' },
  'GET /key-manager/v1/containers/:id': { name: 'container:get', rule: 'secret-read' },
  'DELETE /key-manager/v1/containers/:id': { name: 'container:delete', rule: 'secret-write' },
  ...neutron('network', '/v2.0/networks'),
  ...neutron('subnet', '/v2.0/subnets'),
  ...neutron('port', '/v2.0/ports'),
  // Neutron's agents API (admin_only there): Fulcrum's agents, their liveness and placements.
  'GET /v2.0/agents': { name: 'get_agent', rule: 'admin' },
  'GET /v2.0/agents/:id': { name: 'get_agent', rule: 'admin' },
  'PUT /v2.0/agents/:id': { name: 'update_agent', rule: 'admin' },
  'DELETE /v2.0/agents/:id': { name: 'delete_agent', rule: 'admin' },
};

/** Paths of the embedded identity service (`/v3…`, `/identity`, `/identity/v3…`), which checks tokens itself. */
export function isIdentityUrl(url: string): boolean {
  return /^\/(v3|identity)(\/|\?|$)/.test(url);
}

/**
 * Paths that need no token and no role: version documents, the health check, identity (it checks
 * its own), and the dashboard's static page (which then calls the API with the user's token).
 */
export function isOpenRoute(url: string): boolean {
  return url === '/' || url === '/dashboard' || url.startsWith('/dashboard/') || url === '/v2' || url === '/v2.0' || url === '/healthcheck' || url === '/network' ||
    url === '/network/' || url === '/network/v2.0' || url === '/network/v2.0/extensions' || isIdentityUrl(url) ||
    url === '/key-manager' || url === '/key-manager/' || url === '/key-manager/v1';
}

/** The table key of a registered route: its method and path with aliases folded. */
export function policyKey(method: string, routeUrl: string): string {
  let path = routeUrl.replace(/\/+$/, '');
  if (path.startsWith('/network/v2.0/lbaas/')) path = `/v2/lbaas/${path.slice('/network/v2.0/lbaas/'.length)}`;
  else if (path.startsWith('/network/v2.0/')) path = `/v2.0/${path.slice('/network/v2.0/'.length)}`;
  else if (path.startsWith('/v2.0/lbaas/')) path = `/v2/lbaas/${path.slice('/v2.0/lbaas/'.length)}`;
  else if (path.startsWith('/v2.0/octavia/')) path = `/v2/octavia/${path.slice('/v2.0/octavia/'.length)}`;
  // Route parameters are named differently across files; the table names them :id, :poolId for
  // members and :l7policyId for rules.
  path = path.replace(/\/:[^/]+/g, '/:id').replace('/pools/:id/members', '/pools/:poolId/members')
    .replace('/l7policies/:id/rules', '/l7policies/:l7policyId/rules');
  return `${method} ${path}`;
}

/** The rule of a request's route, null when the route is open, undefined when it is not in the table. */
export function ruleOf(request: FastifyRequest): Entry | null | undefined {
  const url = request.routeOptions.url;
  if (url === undefined) return null; // no route: the 404 handler answers
  if (isOpenRoute(url)) return null;
  if (request.method === 'HEAD' || request.method === 'OPTIONS') return POLICY[policyKey('GET', url)];
  return POLICY[policyKey(request.method, url)];
}

const routesOf = new WeakMap<FastifyInstance, string[]>();

/** Records every route registered from now on (`METHOD url`), for the policy matrix test. */
export function recordRoutes(app: FastifyInstance): void {
  const list: string[] = [];
  routesOf.set(app, list);
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD') list.push(`${m} ${r.url}`);
  });
}

/** The routes recorded by {@link recordRoutes}. */
export function registeredRoutes(app: FastifyInstance): readonly string[] {
  return routesOf.get(app) ?? [];
}

/** What keystonemiddleware answers a request without a valid token (any API behind it). */
export const UNAUTHENTICATED_BODY = {
  error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
} as const;

/**
 * Installs the policy check, after authentication. A protected route without a valid token is
 * 401 with keystonemiddleware's body and `WWW-Authenticate: Keystone uri=…` (the identity URL). A caller who fails a route's rule gets 403
 * in the API's error format; a write's caller cannot use `readsAll` to reach other projects.
 */
export function installPolicy(app: FastifyInstance, opts: { identityUri?: string } = {}): void {
  app.addHook('onRequest', async (request, reply) => {
    const entry = ruleOf(request);
    if (entry === null) return;
    const caller = request.caller;
    if (!caller) {
      // keystonemiddleware's answer, the same for every API behind it.
      if (opts.identityUri !== undefined) reply.header('www-authenticate', `Keystone uri="${opts.identityUri}"`);
      return reply.code(401).header('content-type', 'application/json').send(UNAUTHENTICATED_BODY);
    }
    if (entry === undefined || !allows(caller, entry.rule)) {
      throw new FulcrumError('FORBIDDEN', 'Policy does not allow this request to be performed.', {
        detail: entry ? `${entry.name} (${entry.rule})` : `no policy for ${request.method} ${request.routeOptions.url}`,
        neutronType: 'PolicyNotAuthorized',
      });
    }
    if (entry.rule.endsWith('write') || entry.rule === 'admin' || entry.rule === 'write-quota') {
      request.caller = { ...caller, readsAll: caller.isAdmin };
    }
  });
}
