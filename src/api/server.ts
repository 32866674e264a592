/**
 * @module api/server — builds the HTTP API (Fastify) without listening: main.ts listens,
 * tests use `inject()`.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { installAuth } from './auth.js';
import { installPolicy, recordRoutes } from './policy.js';
import type { ApiDeps } from './deps.js';
import { familyOf, routeError, sendError } from './errors.js';
import { healthMonitorRoutes } from './octavia/health-monitors.js';
import { l7PolicyRoutes } from './octavia/l7policies.js';
import { l7RuleRoutes } from './octavia/l7rules.js';
import { listenerRoutes } from './octavia/listeners.js';
import { loadBalancerRoutes } from './octavia/load-balancers.js';
import { memberRoutes } from './octavia/members.js';
import { poolRoutes } from './octavia/pools.js';
import { octaviaExtraRoutes } from './octavia/extra.js';
import { eventRoutes } from './octavia/events.js';
import { quotaRoutes } from './octavia/quotas.js';
import { flavorRoutes } from './octavia/flavors.js';
import { amphoraRoutes } from './octavia/amphorae.js';
import { EventHub } from '../service/events.js';
import { MetricsRegistry } from '../domain/metrics.js';
import { installApiMetrics, metricsRoute } from './metrics.js';
import { versionRoutes } from './versions.js';
import { networkRoutes } from './network/routes.js';
import { networkEndpointRoutes } from './neutron-lbaas/endpoint.js';
import { identityRoutes } from './identity/routes.js';
import { keyManagerRoutes } from './key-manager/routes.js';

export interface ServerOptions {
  /** A pino logger (or `false` for none). */
  logger?: FastifyBaseLogger | boolean;
}

/** The embedded identity service's unversioned endpoint; its v3 API is below it (and at `/v3`). */
export const IDENTITY_ROOT = '/identity';

/** Paths under which an unsupported method is 405 rather than 404 (as pecan answers). */
const KNOWN_PATH = /^\/v2(\.0)?\/lbaas\/(loadbalancers|listeners|pools|healthmonitors|l7policies)(\/[^/?]+)?(\/(members|rules)(\/[^/?]+)?)?(\?.*)?$/;

/** Builds the API. */
export async function buildServer(deps: ApiDeps, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(typeof opts.logger === 'object' ? { loggerInstance: opts.logger } : { logger: opts.logger ?? false }),
    genReqId: () => `req-${randomUUID()}`,
    bodyLimit: 8 * 1024 * 1024,
    ajv: {
      customOptions: {
        coerceTypes: false,
        removeAdditional: false,
        useDefaults: false,
        allErrors: false,
        formats: { ip: (s: string) => isIP(s) !== 0 },
      },
    },
    routerOptions: { ignoreTrailingSlash: true },
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-openstack-request-id', request.id);
  });
  // An empty body with a JSON content type (a DELETE from some clients) is no body, as in Octavia.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      (err as Error & { statusCode?: number }).statusCode = 400;
      done(err as Error, undefined);
    }
  });
  // A large JSON answer (a list of 1,000 load balancers is 600 kB) goes out as one Buffer: Fastify
  // would otherwise encode the string to UTF-8 twice, once to count Content-Length and once to
  // write it. Same bytes and headers; small answers keep the string path.
  app.addHook('onSend', async (_request, _reply, payload) =>
    (typeof payload === 'string' && payload.length >= 16 * 1024 ? Buffer.from(payload) : payload));
  const metrics = deps.metrics ?? new MetricsRegistry();
  installApiMetrics(app, metrics);
  installAuth(app, deps.auth, deps.authenticate);
  installPolicy(app, deps.identityUri === undefined ? {} : { identityUri: deps.identityUri });
  recordRoutes(app);

  app.setErrorHandler((err, request, reply) => sendError(err, request, reply));
  app.setNotFoundHandler((request, reply) => {
    const family = familyOf(request.url);
    if (/^\/network(\/|\?|$)/.test(request.url)) {
      return reply.code(404).send({ NeutronError: { type: 'HTTPNotFound', message: 'The resource could not be found.', detail: '' } });
    }
    if (family === 'octavia' && KNOWN_PATH.test(request.url)) return reply.code(405).send(routeError(405));
    if (family === 'neutron') {
      return reply.code(404).send({ NeutronError: { type: 'HTTPNotFound', message: 'The resource could not be found.', detail: '' } });
    }
    return reply.code(404).send(routeError(404));
  });

  app.get('/healthcheck', async (_request, reply) => {
    if (!deps.isReady()) return reply.code(503).type('text/plain').send('NOT READY');
    return reply.type('text/plain').send('OK');
  });
  versionRoutes(app);
  metricsRoute(app, metrics);

  let events = deps.events === false ? undefined : deps.events;
  if (!events && deps.events !== false) {
    const hub = new EventHub();
    hub.attach(deps.store);
    app.addHook('onClose', async () => hub.detach());
    events = { hub };
  }
  if (events && deps.authenticate && !events.authenticate) events = { ...events, authenticate: deps.authenticate };
  for (const prefix of ['/v2/lbaas', '/v2.0/lbaas']) {
    await app.register(async (scope) => {
      loadBalancerRoutes(scope, deps);
      listenerRoutes(scope, deps);
      poolRoutes(scope, deps);
      memberRoutes(scope, deps);
      healthMonitorRoutes(scope, deps);
      l7PolicyRoutes(scope, deps);
      l7RuleRoutes(scope, deps);
      octaviaExtraRoutes(scope, deps);
      quotaRoutes(scope, deps);
      flavorRoutes(scope, deps);
      if (events) eventRoutes(scope, events);
    }, { prefix });
  }
  // Octavia's amphora API, also under /v2.0 (where the clients go once they discovered v2.0).
  for (const prefix of ['/v2/octavia', '/v2.0/octavia']) await app.register(async (scope) => amphoraRoutes(scope, deps), { prefix });
  await app.register(async (scope) => networkRoutes(scope, deps), { prefix: '/v2.0' });
  // The network endpoint (catalog: http://HOST:PORT/network): Neutron's networks and LBaaS v2.
  await app.register(async (scope) => networkEndpointRoutes(scope, deps), { prefix: '/network' });
  if (deps.secrets) await keyManagerRoutes(app, deps.secrets);
  if (deps.identity) {
    // In the catalog, identity is PUBLIC_URL/identity/v3 with Keystone's version list at
    // /identity: keystoneauth discovers a service at its endpoint's unversioned URL, and for
    // PUBLIC_URL/v3 that is our root, Octavia's version list (which `openstack versions show`
    // took for identity's, and an unversioned OS_AUTH_URL for Keystone v2).
    await identityRoutes(app, { ...deps.identity, prefix: `${IDENTITY_ROOT}/v3`, root: IDENTITY_ROOT });
    // /v3 as well: what the openrc files and clouds.yaml give as OS_AUTH_URL.
    await identityRoutes(app, { ...deps.identity, prefix: '/v3', paths: { identity: `${IDENTITY_ROOT}/v3`, ...deps.identity.paths } });
  }
  return app;
}
