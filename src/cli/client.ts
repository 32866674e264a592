/** @module cli/client — the CLI's only way to the API: JSON over HTTP with Node's `fetch`, and name → ID lookups. */
import { CliError } from './errors.js';
import { readSse, type SseMessage } from './event-stream.js';

/** One object as the API returns it (wire names). */
export type ApiObject = Record<string, unknown> & { id: string };

/** Where the API is and whom to act as. */
export interface Endpoint {
  /** Base URL, e.g. `http://127.0.0.1:9876`. */
  url: string;
  /** Sent as `X-Project-Id` (noauth mode). */
  projectId?: string;
  /** Sent as `X-Auth-Token` when given. */
  token?: string;
}

/** A kind of object the CLI manages: its envelope keys and where it lives. */
export interface Resource {
  /** Envelope key of one object (`loadbalancer`), also the CLI noun. */
  key: string;
  /** Envelope key of a list (`loadbalancers`). */
  plural: string;
  /** Words for messages, as openstackclient uses them (`load balancer`). */
  title: string;
  /** Collection path; members need their pool's ID. */
  path(parentId?: string): string;
  /** What an ID looks like (default a UUID); anything else is looked up by name. */
  idPattern?: RegExp;
}

const octavia = (key: string, plural: string, title: string): Resource =>
  ({ key, plural, title, path: () => `/v2/lbaas/${plural}` });
const neutron = (key: string, plural: string): Resource =>
  ({ key, plural, title: key, path: () => `/v2.0/${plural}` });

/** Every resource the CLI knows. */
export const RESOURCES = {
  loadbalancer: octavia('loadbalancer', 'loadbalancers', 'load balancer'),
  listener: octavia('listener', 'listeners', 'listener'),
  pool: octavia('pool', 'pools', 'pool'),
  member: {
    key: 'member', plural: 'members', title: 'member',
    path: (poolId?: string) => {
      if (poolId === undefined) throw new Error('members live under a pool');
      return `/v2/lbaas/pools/${encodeURIComponent(poolId)}/members`;
    },
  },
  healthmonitor: octavia('healthmonitor', 'healthmonitors', 'health monitor'),
  network: neutron('network', 'networks'),
  subnet: neutron('subnet', 'subnets'),
  port: neutron('port', 'ports'),
} as const satisfies Record<string, Resource>;

/** A reply that was not 2xx, with the API's own message (Octavia `faultstring` or Neutron `message`). */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly requestId: string | null) {
    super(message);
    this.name = 'ApiError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The API's message from an error body (Octavia, Neutron or Keystone), else the raw text. */
function messageOf(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { faultstring?: unknown; NeutronError?: { message?: unknown }; error?: { message?: unknown } };
    const msg = body.faultstring ?? body.NeutronError?.message ?? body.error?.message;
    if (typeof msg === 'string' && msg !== '') return msg;
  } catch {
    // Not JSON (a proxy's page, say): the text itself is the best message there is.
  }
  return text.trim() === '' ? `HTTP ${status}` : text.trim();
}

/** A small JSON client for Fulcrum's Octavia and Neutron-compatible APIs. */
export class ApiClient {
  readonly #endpoint: Endpoint | (() => Promise<Endpoint>);
  #resolved: Promise<Endpoint> | null = null;

  /** @param ep the endpoint, or how to get it on the first request (a login). */
  constructor(ep: Endpoint | (() => Promise<Endpoint>)) {
    this.#endpoint = ep;
  }

  /**
   * Forgets the endpoint and token resolved so far: the next request logs in again (a new token
   * from the OS_* password credentials; a token given as OS_TOKEN stays the same).
   */
  renew(): void {
    this.#resolved = null;
  }

  /** Sends one request; returns the parsed body (null when empty); throws {@link ApiError} unless 2xx. */
  async request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.#fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return text === '' ? null : JSON.parse(text);
  }

  /**
   * Opens the event stream (`GET /v2/lbaas/events`, optionally of one load balancer, resumed after
   * `lastEventId`). Resolves once the server has answered, and so has subscribed: every change
   * committed from then on comes through. Ends when `signal` aborts or the server closes.
   * @throws ApiError unless 2xx (404 from a server that has no event stream).
   */
  async events(opts: { loadBalancerId?: string; lastEventId?: string; signal?: AbortSignal } = {}): Promise<AsyncGenerator<SseMessage>> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (opts.lastEventId !== undefined) headers['last-event-id'] = opts.lastEventId;
    const query = opts.loadBalancerId === undefined ? '' : `?loadbalancer_id=${encodeURIComponent(opts.loadBalancerId)}`;
    const res = await this.#fetch(`/v2/lbaas/events${query}`, { method: 'GET', headers, ...(opts.signal ? { signal: opts.signal } : {}) });
    if (!res.body) throw new CliError('The API answered the event stream without a body');
    const body = res.body;
    return (async function* () {
      try {
        yield* readSse(body);
      } catch (err) {
        // An abort is how a watcher stops; anything else is a broken stream the caller hears of.
        if ((err as Error).name !== 'AbortError' && !opts.signal?.aborted) throw err;
      }
    })();
  }

  /** One HTTP exchange with the endpoint's auth headers; throws {@link ApiError} unless 2xx. */
  async #fetch(path: string, init: RequestInit & { headers: Record<string, string> }): Promise<Response> {
    const e = this.#endpoint;
    const ep = await (this.#resolved ??= typeof e === 'function' ? e() : Promise.resolve(e));
    if (ep.projectId) init.headers['x-project-id'] = ep.projectId;
    if (ep.token) init.headers['x-auth-token'] = ep.token;
    const url = `${ep.url.replace(/\/+$/, '')}${path}`;
    let res: Response;
    try {
      res = await fetch(url, init);
    } catch (err) {
      const reason = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`Unable to reach the Fulcrum API at ${ep.url}: ${reason?.code ?? reason?.message ?? (err as Error).message}`, { cause: err });
    }
    if (!res.ok) throw new ApiError(res.status, messageOf(res.status, await res.text()), res.headers.get('x-openstack-request-id'));
    return res;
  }

  /** Lists a resource with query filters (`{name: 'lb1'}`); a list value repeats the key. */
  async list(res: Resource, query: Record<string, string | readonly string[]> = {}, parentId?: string): Promise<ApiObject[]> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) for (const one of typeof v === 'string' ? [v] : v) qs.append(k, one);
    const suffix = qs.toString() === '' ? '' : `?${qs.toString()}`;
    const body = (await this.request('GET', `${res.path(parentId)}${suffix}`)) as Record<string, ApiObject[]>;
    return body[res.plural] ?? [];
  }

  /** Reads one object by ID. */
  async get(res: Resource, id: string, parentId?: string): Promise<ApiObject> {
    return this.unwrap(res, await this.request('GET', `${res.path(parentId)}/${encodeURIComponent(id)}`));
  }

  /** Creates an object from wire fields; returns it as the API answered. */
  async create(res: Resource, fields: Record<string, unknown>, parentId?: string): Promise<ApiObject> {
    return this.unwrap(res, await this.request('POST', res.path(parentId), { [res.key]: fields }));
  }

  /** Updates an object with wire fields; returns it as the API answered. */
  async update(res: Resource, id: string, fields: Record<string, unknown>, parentId?: string): Promise<ApiObject> {
    return this.unwrap(res, await this.request('PUT', `${res.path(parentId)}/${encodeURIComponent(id)}`, { [res.key]: fields }));
  }

  /** Deletes an object; `query` carries flags such as `cascade`. */
  async remove(res: Resource, id: string, parentId?: string, query = ''): Promise<void> {
    await this.request('DELETE', `${res.path(parentId)}/${encodeURIComponent(id)}${query}`);
  }

  /**
   * The ID of the object a user named. A UUID passes through untouched (the API judges it, so its
   * message is the one shown); anything else is looked up with `?name=` as the OpenStack clients do.
   */
  async resolve(res: Resource, ref: string, parentId?: string): Promise<string> {
    if ((res.idPattern ?? UUID).test(ref)) return ref;
    const found = await this.list(res, { name: ref }, parentId);
    if (found.length === 0) throw new CliError(`No ${res.title} with a name or ID of '${ref}' exists.`);
    if (found.length > 1) throw new CliError(`More than one ${res.title} exists with the name '${ref}'.`);
    return found[0]!.id;
  }

  private unwrap(res: Resource, body: unknown): ApiObject {
    const obj = (body as Record<string, ApiObject> | null)?.[res.key];
    if (!obj) throw new CliError(`The API answered without a '${res.key}' object`);
    return obj;
  }
}
