/**
 * @module identity/catalog — the service catalog Fulcrum hands out in tokens: one region, three
 * services (identity, network, load-balancer, key-manager), each with public/internal/admin endpoints built
 * from the URL the server is reached at. Pure: ids are derived, so the catalog is stable.
 */
import { createHash } from 'node:crypto';

export const DEFAULT_REGION = 'RegionOne';
export const INTERFACES = ['public', 'internal', 'admin'] as const;

/** One endpoint, as Keystone renders it in a token. */
export interface CatalogEndpoint {
  id: string;
  interface: (typeof INTERFACES)[number];
  region: string;
  region_id: string;
  url: string;
}

/** One service, as Keystone renders it in a token. */
export interface CatalogService {
  type: string;
  name: string;
  id: string;
  endpoints: CatalogEndpoint[];
}

/** Where each service lives below the base URL. */
export interface ServicePaths {
  /** Keystone v3 (clients append `/auth/tokens`, `/projects`, …). */
  identity: string;
  /** The Neutron API root (clients append `/v2.0/…`). */
  network: string;
  /** The Octavia API root (clients append `/v2/lbaas/…`). */
  loadBalancer: string;
  /** The certificate store, a Barbican v1 subset (clients append `/v1/secrets`, `/v1/containers`). */
  keyManager: string;
}

export const DEFAULT_PATHS: ServicePaths = { identity: '/v3', network: '/network', loadBalancer: '', keyManager: '/key-manager' };

/** Options of {@link buildCatalog}. */
export interface CatalogOptions {
  region?: string;
  paths?: Partial<ServicePaths>;
}

function derivedId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32);
}

/** `https://host:port/prefix` without a trailing slash. */
export function normalizeBaseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The identity service's URL (what `OS_AUTH_URL` should be) under a base URL. */
export function identityUrl(baseUrl: string, paths: Partial<ServicePaths> = {}): string {
  return `${normalizeBaseUrl(baseUrl)}${paths.identity ?? DEFAULT_PATHS.identity}`;
}

/** The catalog for clients that reached the server at `baseUrl` (e.g. `http://127.0.0.1:9876`). */
export function buildCatalog(baseUrl: string, opts: CatalogOptions = {}): CatalogService[] {
  const base = normalizeBaseUrl(baseUrl);
  const region = opts.region ?? DEFAULT_REGION;
  const paths = { ...DEFAULT_PATHS, ...opts.paths };
  const services: [type: string, name: string, path: string][] = [
    ['identity', 'keystone', paths.identity],
    ['network', 'neutron', paths.network],
    ['load-balancer', 'octavia', paths.loadBalancer],
    ['key-manager', 'barbican', paths.keyManager],
  ];
  return services.map(([type, name, path]) => ({
    type,
    name,
    id: derivedId('service', type),
    endpoints: INTERFACES.map((iface) => ({
      id: derivedId('endpoint', type, iface, region),
      interface: iface,
      region,
      region_id: region,
      url: `${base}${path}`,
    })),
  }));
}
