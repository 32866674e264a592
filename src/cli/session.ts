/**
 * @module cli/session — whom the CLI acts as and where it sends requests, as openstackclient
 * decides it: a token (`--os-token`/`OS_TOKEN`), or a password login against Keystone v3
 * (`OS_AUTH_URL`, `OS_USERNAME`, `OS_PASSWORD`, `OS_PROJECT_NAME`… as an `openrc` file sets them),
 * whose catalog gives the load-balancer endpoint; without either, `noauth`'s `X-Project-Id`.
 * One login per command run, done on the first request.
 */
import { CliError } from './errors.js';

/** Where `fulcrum up` listens by default. */
export const DEFAULT_URL = 'http://127.0.0.1:9876';

/** A password login's inputs (openstackclient's `--os-*` options). */
export interface PasswordCredentials {
  authUrl: string;
  username: string;
  password: string;
  /** Project scope by name (in `projectDomainName`) or by ID. */
  projectName?: string;
  projectId?: string;
  userDomainName: string;
  projectDomainName: string;
  /** Catalog region (first endpoint of any region when unset). */
  regionName?: string;
  /** Catalog interface (default public). */
  interface: string;
}

/** What a command's requests carry: a token, or noauth's project. */
export interface Session {
  /** The load-balancer API's base URL. */
  url: string;
  /** The identity API's URL (`…/v3`), when logged in. */
  identityUrl?: string;
  token?: string;
  projectId?: string;
}

/** The global options and environment a session is made from. */
export interface SessionInputs {
  /** `--os-url`/`FULCRUM_URL`: the endpoint, overriding the catalog. */
  url?: string;
  token?: string;
  projectId?: string;
  credentials: PasswordCredentials | null;
  /** Where `fulcrum up` listens by default. */
  defaultUrl: string;
}

/** Reads a password login from `OS_*` variables (or their `--os-*` flags); null when incomplete. */
export function credentialsFrom(v: Readonly<Record<string, string | undefined>>): PasswordCredentials | null {
  const authUrl = v.OS_AUTH_URL;
  const username = v.OS_USERNAME;
  const password = v.OS_PASSWORD;
  if (!authUrl || !username || password === undefined) return null;
  const c: PasswordCredentials = {
    authUrl: authUrl.replace(/\/+$/, ''), username, password,
    userDomainName: v.OS_USER_DOMAIN_NAME ?? 'Default',
    projectDomainName: v.OS_PROJECT_DOMAIN_NAME ?? 'Default',
    interface: (v.OS_INTERFACE ?? 'public').replace(/URL$/, ''),
  };
  if (v.OS_PROJECT_NAME) c.projectName = v.OS_PROJECT_NAME;
  if (v.OS_PROJECT_ID) c.projectId = v.OS_PROJECT_ID;
  if (v.OS_REGION_NAME) c.regionName = v.OS_REGION_NAME;
  return c;
}

/**
 * The variables an openrc file exports (`export OS_X='value'` lines, as `fulcrum up` writes
 * them: single-quoted, `'\''` for a quote; unquoted values too). Other lines are ignored.
 */
export function parseOpenrc(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*export\s+([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    const raw = m[2]!.trim();
    vars[m[1]!] = raw.startsWith("'") ? raw.slice(1, -1).replace(/'\\''/g, "'") : raw.replace(/^"(.*)"$/, '$1');
  }
  return vars;
}

/** The identity v3 URL of an auth URL given with or without its version (`http://h:9876` or `…/v3`). */
export function identityV3(authUrl: string): string {
  return /\/v3$/.test(authUrl) ? authUrl : `${authUrl}/v3`;
}

interface CatalogEntry {
  type: string;
  endpoints: { interface: string; region?: string; region_id?: string; url: string }[];
}

/** The URL of a service type in a catalog, for an interface and region (any region when none is asked). */
export function endpointOf(catalog: readonly CatalogEntry[], type: string, iface: string, region?: string): string | null {
  for (const service of catalog) {
    if (service.type !== type) continue;
    const ep = service.endpoints.find((e) => e.interface === iface && (region === undefined || (e.region_id ?? e.region) === region));
    if (ep) return ep.url.replace(/\/+$/, '');
  }
  return null;
}

/** Logs in with a password (Keystone v3, project-scoped); returns the token and the catalog. */
export async function passwordLogin(c: PasswordCredentials): Promise<{ token: string; catalog: CatalogEntry[] }> {
  const identity = identityV3(c.authUrl);
  const scope = c.projectId !== undefined
    ? { project: { id: c.projectId } }
    : c.projectName !== undefined ? { project: { name: c.projectName, domain: { name: c.projectDomainName } } } : undefined;
  const body = {
    auth: {
      identity: { methods: ['password'], password: { user: { name: c.username, domain: { name: c.userDomainName }, password: c.password } } },
      ...(scope ? { scope } : {}),
    },
  };
  let res: Response;
  try {
    res = await fetch(`${identity}/auth/tokens`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
  } catch (err) {
    const reason = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`Unable to reach the identity service at ${identity}: ${reason?.code ?? reason?.message ?? (err as Error).message}`, { cause: err });
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text.trim();
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      // not Keystone's JSON body: show the text
    }
    throw new CliError(`The identity service at ${identity} refused the login of ${c.username}: ${message} (HTTP ${res.status})`);
  }
  const token = res.headers.get('x-subject-token');
  if (!token) throw new CliError(`The identity service at ${identity} answered without X-Subject-Token`);
  const parsed = JSON.parse(text) as { token?: { catalog?: CatalogEntry[] } };
  return { token, catalog: parsed.token?.catalog ?? [] };
}

/**
 * Decides the session: a token wins, then a password login (its catalog's `load-balancer`
 * endpoint unless `url` is given), then noauth.
 */
export async function openSession(i: SessionInputs): Promise<Session> {
  if (i.token !== undefined && i.token !== '') {
    return { url: i.url ?? i.defaultUrl, token: i.token, ...(i.credentials ? { identityUrl: identityV3(i.credentials.authUrl) } : {}) };
  }
  if (i.credentials) {
    const { token, catalog } = await passwordLogin(i.credentials);
    const fromCatalog = endpointOf(catalog, 'load-balancer', i.credentials.interface, i.credentials.regionName);
    const url = i.url ?? fromCatalog;
    if (url === null) throw new CliError(`The catalog of ${i.credentials.authUrl} has no load-balancer endpoint; give one with --os-url`);
    return { url, token, identityUrl: identityV3(endpointOf(catalog, 'identity', i.credentials.interface, i.credentials.regionName) ?? i.credentials.authUrl) };
  }
  return { url: i.url ?? i.defaultUrl, ...(i.projectId !== undefined ? { projectId: i.projectId } : {}) };
}
