/**
 * @module api/octavia/events.test — the event stream over real HTTP with real tokens: a project
 * sees its own create go ACTIVE and nothing of another project's; Last-Event-ID resumes with
 * exactly the missed events (or a reset); keep-alive comments; a client that goes leaves no
 * subscription behind. The client side is the CLI's own parser.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeTestApi, type TestApi } from '../../../test/helpers/fixtures.js';
import { until } from '../../../test/helpers/scene.js';
import { readSse, type SseMessage, type StatusEvent } from '../../cli/event-stream.js';
import { PASSWORDS } from '../../identity/fixtures.js';
import { EventHub } from '../../service/events.js';

let t: TestApi;
let base: string;
const hub = new EventHub();
const tokens: Record<'admin' | 'demo' | 'bob', string> = { admin: '', demo: '', bob: '' };
const subnets: Record<'demo' | 'bob', string> = { demo: '', bob: '' };

async function login(user: string, password: string, project: string): Promise<string> {
  const r = await fetch(`${base}/v3/auth/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } }, scope: { project: { name: project, domain: { id: 'default' } } } } }),
  });
  assert.equal(r.status, 201, await r.text());
  return r.headers.get('x-subject-token')!;
}

async function api(token: string, method: string, path: string, body?: object): Promise<any> {
  const r = await fetch(`${base}${path}`, {
    method, headers: { 'x-auth-token': token, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
  return text === '' ? null : JSON.parse(text);
}

async function subnetFor(token: string, cidr: string): Promise<string> {
  const net = (await api(token, 'POST', '/v2.0/networks', { network: { name: 'n' } })).network;
  return (await api(token, 'POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr, ip_version: 4 } })).subnet.id;
}

/** An open stream: every message read so far, and a way to wait for one. */
interface Stream {
  status: number;
  messages: SseMessage[];
  statuses(): (StatusEvent & { eventId: string })[];
  /** Resolves with the first message (already read or to come) that matches. */
  next(what: string, match: (m: SseMessage) => boolean): Promise<SseMessage>;
  close(): void;
}

async function open(token: string | null, path = '/v2/lbaas/events', headers: Record<string, string> = {}): Promise<Stream> {
  const abort = new AbortController();
  const res = await fetch(`${base}${path}`, { headers: { ...(token ? { 'x-auth-token': token } : {}), ...headers }, signal: abort.signal });
  const messages: SseMessage[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  void (async () => {
    try {
      for await (const m of readSse(res.body!)) {
        messages.push(m);
        wake?.();
      }
    } catch {
      // aborted by close()
    }
    ended = true;
    wake?.();
  })();
  return {
    status: res.status, messages,
    statuses: () => messages.filter((m) => m.event === 'status').map((m) => ({ ...(JSON.parse(m.data) as StatusEvent), eventId: m.id! })),
    next: async (what, match) => {
      for (;;) {
        const found = messages.find(match);
        if (found) return found;
        if (ended) throw new Error(`stream ended before ${what}`);
        await new Promise<void>((resolve) => { wake = resolve; });
      }
    },
    close: () => abort.abort(),
  };
}

const isStatus = (m: SseMessage, pred: (e: StatusEvent) => boolean): boolean => m.event === 'status' && pred(JSON.parse(m.data) as StatusEvent);

before(async () => {
  t = await makeTestApi({ identity: true, events: { hub, keepAliveMs: 100 } });
  hub.attach(t.store);
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  tokens.admin = await login('admin', PASSWORDS.admin, 'admin');
  tokens.demo = await login('demo', PASSWORDS.demo, 'demo');
  // Bob, a member of another project.
  const other = (await api(tokens.admin, 'POST', '/v3/projects', { project: { name: 'other', domain_id: 'default' } })).project;
  const bob = (await api(tokens.admin, 'POST', '/v3/users', { user: { name: 'bob', password: 'bob-secret-pw', domain_id: 'default' } })).user;
  const member = (await api(tokens.admin, 'GET', '/v3/roles?name=member')).roles[0].id;
  await api(tokens.admin, 'PUT', `/v3/projects/${other.id}/users/${bob.id}/roles/${member}`);
  tokens.bob = await login('bob', 'bob-secret-pw', 'other');
  subnets.demo = await subnetFor(tokens.demo, '10.71.0.0/24');
  subnets.bob = await subnetFor(tokens.bob, '10.72.0.0/24');
});

after(async () => {
  await hub.detach();
  await t?.close();
});

test('no token: 401, as every other route; HEAD answers the headers and ends', async () => {
  const s = await open(null);
  assert.equal(s.status, 401);
  const head = await fetch(`${base}/v2/lbaas/events`, { method: 'HEAD', headers: { 'x-auth-token': tokens.demo } });
  assert.equal(head.status, 200);
  assert.match(head.headers.get('content-type') ?? '', /^text\/event-stream/);
});

test("a client sees its own create go ACTIVE, object by object; another project's client sees none of it", async () => {
  const demo = await open(tokens.demo, '/v2.0/lbaas/events');
  const bob = await open(tokens.bob);
  assert.equal(demo.status, 200);
  const lb = (await api(tokens.demo, 'POST', '/v2/lbaas/loadbalancers', {
    loadbalancer: { name: 'lb-events', vip_subnet_id: subnets.demo, listeners: [{ name: 'l1', protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'p1', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '10.71.0.9', protocol_port: 80 }] } }] },
  })).loadbalancer;
  await demo.next('the load balancer ACTIVE', (m) => isStatus(m, (e) => e.id === lb.id && e.provisioning_status === 'ACTIVE'));
  const mine = demo.statuses().filter((e) => e.loadbalancer_id === lb.id);
  const kinds = ['loadbalancer', 'listener', 'pool', 'member'];
  for (const kind of kinds) {
    const seen = mine.filter((e) => e.kind === kind).map((e) => `${e.previous?.provisioning_status ?? 'new'}→${e.provisioning_status}`);
    assert.deepEqual(seen, ['new→PENDING_CREATE', 'PENDING_CREATE→ACTIVE'], `${kind}: ${seen.join(' ')}`);
  }
  const created = mine.find((e) => e.kind === 'member')!;
  assert.equal(created.pool_id, lb.pools[0].id);
  assert.equal(created.project_id, lb.project_id);
  assert.ok(mine.every((e, i) => i === 0 || BigInt(e.eventId) > BigInt(mine[i - 1]!.eventId)), 'ids increase');
  // Bob's stream is ordered: once his own create reaches him, all that came before has too.
  const his = (await api(tokens.bob, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'bobs', vip_subnet_id: subnets.bob } })).loadbalancer;
  await bob.next("bob's own create", (m) => isStatus(m, (e) => e.id === his.id));
  assert.deepEqual(bob.statuses().filter((e) => e.project_id !== his.project_id), [], "nothing of demo's project");
  assert.deepEqual(demo.statuses().filter((e) => e.id === his.id), [], "and demo sees nothing of bob's");
  demo.close();
  bob.close();
});

test('Last-Event-ID: a reconnecting client gets exactly the events it missed; an id too old gets a reset', async () => {
  // An admin follows the whole time: the reference of what happened.
  const watcher = await open(tokens.admin);
  const first = await open(tokens.demo);
  const lb = (await api(tokens.demo, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'lb-resume', vip_subnet_id: subnets.demo } })).loadbalancer;
  await first.next('ACTIVE', (m) => isStatus(m, (e) => e.id === lb.id && e.provisioning_status === 'ACTIVE'));
  await watcher.next('ACTIVE', (m) => isStatus(m, (e) => e.id === lb.id && e.provisioning_status === 'ACTIVE'));
  const lastSeen = first.statuses().filter((e) => e.loadbalancer_id === lb.id).at(-1)!.eventId;
  first.close();
  // While demo is away: a listener is created and goes ACTIVE.
  const listener = (await api(tokens.demo, 'POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'TCP', protocol_port: 22 } })).listener;
  await watcher.next('listener ACTIVE', (m) => isStatus(m, (e) => e.id === listener.id && e.provisioning_status === 'ACTIVE'));
  await watcher.next('load balancer ACTIVE again', (m) => isStatus(m, (e) => e.id === lb.id && e.previous?.provisioning_status === 'PENDING_UPDATE'));
  const missed = watcher.statuses().filter((e) => e.loadbalancer_id === lb.id && BigInt(e.eventId) > BigInt(lastSeen));
  assert.ok(missed.length >= 4, `missed: ${missed.map((e) => `${e.kind} ${e.provisioning_status}`).join(', ')}`);
  const resumed = await open(tokens.demo, `/v2/lbaas/events?loadbalancer_id=${lb.id}`, { 'last-event-id': lastSeen });
  await resumed.next('the last missed event', (m) => m.id === missed.at(-1)!.eventId);
  assert.deepEqual(resumed.statuses(), missed, 'the same events, same ids, none twice, none left out');
  assert.deepEqual(resumed.messages.filter((m) => m.event === 'reset'), []);
  const tooOld = await open(tokens.demo, '/v2/lbaas/events', { 'last-event-id': '12' });
  const reset = await tooOld.next('a reset', (m) => m.event === 'reset');
  assert.equal(reset.id, String(hub.lastId), 'the reset carries the id to resume from');
  assert.match(JSON.parse(reset.data).reason, /read the objects again/);
  for (const s of [watcher, resumed, tooOld]) s.close();
});

test('keep-alive comments flow; a client that disconnects leaves no subscription behind', async () => {
  await until('earlier streams gone', async () => (hub.subscriberCount === 0 ? true : undefined), 5000);
  const streams = await Promise.all([open(tokens.demo), open(tokens.bob), open(tokens.admin, '/v2.0/lbaas/events')]);
  assert.equal(hub.subscriberCount, 3);
  await streams[0]!.next('a keep-alive comment', (m) => m.event === ':' && m.data === 'keep-alive');
  for (const s of streams) s.close();
  await until('the server dropped every subscription', async () => (hub.subscriberCount === 0 ? true : undefined), 5000);
  assert.equal(hub.subscriberCount, 0);
});

test('a stream ends once its token is revoked: the next keep-alive checks it, and reconnecting is 401', async () => {
  const token = await login('demo', PASSWORDS.demo, 'demo');
  const s = await open(token);
  await s.next('a keep-alive comment', (m) => m.event === ':' && m.data === 'keep-alive');
  const revoked = await fetch(`${base}/v3/auth/tokens`, { method: 'DELETE', headers: { 'x-auth-token': token, 'x-subject-token': token } });
  assert.equal(revoked.status, 204);
  const stillOpen = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('still streaming 5 s after the revocation')), 5000).unref());
  await assert.rejects(Promise.race([s.next('nothing: the server ends the stream', () => false), stillOpen]), /stream ended/);
  s.close();
  assert.equal((await open(token)).status, 401);
  // Another of demo's tokens still streams.
  const other = await open(tokens.demo);
  await other.next('a keep-alive comment', (m) => m.event === ':' && m.data === 'keep-alive');
  other.close();
});
