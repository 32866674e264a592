/**
 * @module api/neutron-lbaas/endpoint — the network endpoint, registered under `/network`
 * (Fulcrum serves Octavia at the root's `/v2.0/lbaas`, so Neutron's LBaaS v2 cannot live there):
 * Neutron's version document, `/v2.0/extensions`, the networks/subnets/ports routes and the
 * LBaaS v2 routes, all answering errors in Neutron's body.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { networkRoutes } from '../network/routes.js';
import { baseUrl } from '../versions.js';
import { sendNeutronError } from './errors.js';
import { healthMonitorRoutes } from './health-monitors.js';
import { listenerRoutes } from './listeners.js';
import { loadBalancerRoutes } from './load-balancers.js';
import { memberRoutes } from './members.js';
import { poolRoutes } from './pools.js';

/** The API extensions this endpoint implements (aliases, names and dates as neutron-lbaas declares them). */
export const EXTENSIONS: readonly { alias: string; name: string; description: string; updated: string }[] = [
  { alias: 'lbaasv2', name: 'LoadBalancing service v2', description: 'Extension for LoadBalancing service v2', updated: '2018-01-31T10:00:00-00:00' },
  { alias: 'shared_pools', name: 'Shared pools for LBaaSv2', description: 'Allow pools to be shared among listeners for LBaaSv2', updated: '2016-01-20T10:00:00-00:00' },
  { alias: 'lb_network_vip', name: 'Create loadbalancer with network_id', description: 'Create loadbalancer with network_id', updated: '2016-09-09T22:00:00-00:00' },
  { alias: 'hm_max_retries_down', name: 'Add a fall threshold to health monitor', description: 'Add a fall threshold to health monitor', updated: '2016-04-19T16:00:00-00:00' },
];

const extensionToWire = (e: (typeof EXTENSIONS)[number]) => ({ ...e, links: [] as unknown[] });

/** Registers everything under the `/network` prefix. */
export async function networkEndpointRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.setErrorHandler(sendNeutronError);

  app.get('/', async (request) => ({
    versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${baseUrl(request)}/network/v2.0/`, rel: 'self' }] }],
  }));

  await app.register(async (v2) => {
    // Neutron's v2.0 root lists its core resources (extension resources such as LBaaS are not listed).
    v2.get('/', async (request) => ({
      resources: (['network', 'subnet', 'port'] as const).map((name) => ({
        name, collection: `${name}s`, links: [{ href: `${baseUrl(request)}/network/v2.0/${name}s`, rel: 'self' }],
      })),
    }));
    v2.get('/extensions', async () => ({ extensions: EXTENSIONS.map(extensionToWire) }));
    networkRoutes(v2, deps);
    await v2.register(async (lbaas) => {
      loadBalancerRoutes(lbaas, deps);
      listenerRoutes(lbaas, deps);
      poolRoutes(lbaas, deps);
      memberRoutes(lbaas, deps);
      healthMonitorRoutes(lbaas, deps);
    }, { prefix: '/lbaas' });
  }, { prefix: '/v2.0' });
}
