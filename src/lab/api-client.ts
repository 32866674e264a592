/** @module lab/api-client — the few HTTP calls the demo and stand-in hosts make to a Fulcrum API. */

/** A Fulcrum API endpoint and whom to act as: a token, or (noauth) a project. */
export interface Endpoint {
  url: string;
  projectId?: string;
  token?: string;
}

/** An API answer that was not 2xx. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Sends a JSON request; returns the parsed body (null for 204), or throws ApiError with the API's message. */
export async function api(ep: Endpoint, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${ep.url}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(ep.token !== undefined ? { 'x-auth-token': ep.token } : ep.projectId !== undefined ? { 'x-project-id': ep.projectId } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const parsed = text === '' ? null : JSON.parse(text);
  if (!res.ok) {
    const message = parsed?.faultstring ?? parsed?.NeutronError?.message ?? text;
    throw new ApiError(res.status, `${method} ${path}: ${res.status} ${message}`);
  }
  return parsed;
}

/** The first object of a list whose name matches, or undefined. */
export async function findByName(ep: Endpoint, path: string, key: string, name: string): Promise<any> {
  const list = await api(ep, 'GET', `${path}?name=${encodeURIComponent(name)}`);
  return (list[key] as any[])[0];
}

/** Waits until the API answers its health check (it may still be starting). */
export async function waitForApi(ep: Endpoint, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(`${ep.url}/healthcheck`).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`no Fulcrum API answers at ${ep.url} (start it with: fulcrum up)`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until a load balancer is ACTIVE (or gone, for 'DELETED'); throws on ERROR or after timeoutMs. */
export async function waitForLoadBalancer(ep: Endpoint, id: string, want: 'ACTIVE' | 'DELETED', timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const lb = (await api(ep, 'GET', `/v2/lbaas/loadbalancers/${id}`)).loadbalancer;
      if (lb.provisioning_status === want) return;
      if (lb.provisioning_status === 'ERROR') throw new Error(`load balancer ${id} went to ERROR (see the server's log)`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && want === 'DELETED') return;
      throw err;
    }
    if (Date.now() > deadline) throw new Error(`load balancer ${id} is not ${want} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
