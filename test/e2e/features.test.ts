/**
 * @module test/e2e/features.test — pool, member, health monitor and listener features proven by
 * real traffic from the client namespace: each balancing algorithm and session persistence type,
 * PROXY and PROXYV2 pools, backup members, monitor_address/monitor_port, every health monitor
 * type but UDP-CONNECT and SCTP (with its method, path, codes, version, domain name, delay, timeout and
 * retries observed), connection_limit, the four listener timeouts, allowed_cidrs, insert_headers,
 * TCP and HTTPS pass-through listeners. One scene (networks, stand-in hosts that record what
 * reaches them, a client namespace with a dozen addresses) is shared; each test builds its own
 * load balancer with a fully-populated create.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { run, startAttached } from '../../src/drivers/sys/exec.js';
import { call, waitFor } from '../helpers/fixtures.js';
import { makeScene, until, type Scene } from '../helpers/scene.js';

let s: Scene;
let dir: string;
let tls: { certFile: string; keyFile: string };
const addr: Record<string, string> = {};
/** Client addresses besides the client's own, on the same subnet (for "another client"). */
const others: string[] = [];
let nextVip = 20;

/** One JSON line the stand-in web server wrote (http-responder.ts). */
interface Entry {
  time: number;
  event: 'connection' | 'request' | 'bad-proxy-header';
  method?: string;
  url?: string;
  version?: string;
  headers?: Record<string, string>;
  remote?: string;
  proxy?: { source: string; sourcePort: number; version: 1 | 2 };
}

const logOf = (short: string): string => join(dir, `${short}.log`);

/** Everything host `short`'s web servers recorded so far. */
function entries(short: string): Entry[] {
  if (!existsSync(logOf(short))) return [];
  return readFileSync(logOf(short), 'utf8').split('\n').flatMap((line) => {
    try {
      return line === '' ? [] : [JSON.parse(line) as Entry];
    } catch {
      return []; // a line being written
    }
  });
}

const requestsTo = (short: string, path: string): Entry[] => entries(short).filter((e) => e.event === 'request' && e.url === path);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tag = (what: string): string => `${what}-${Math.random().toString(36).slice(2, 10)}`;

before(async () => {
  s = await makeScene();
  dir = mkdtempSync(join(tmpdir(), 'fulcrum-features-'));
  tls = { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
  await run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=fulcrum-stand-in', '-keyout', tls.keyFile, '-out', tls.certFile]);
  addr.a = await s.web('a', { logFile: logOf('a') });
  addr.b = await s.web('b', { logFile: logOf('b') });
  for (let i = 0; i < 11; i++) {
    others.push(`${s.lbNet}.${240 + i}`);
    await s.addClientAddress(others[i]!);
  }
});

after(async () => {
  await s?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---- helpers ----------------------------------------------------------------------------------

interface Lb {
  id: string;
  vip: string;
  listeners: { id: string; protocol_port: number }[];
  pools: { id: string; name: string; members: { id: string; address: string; protocol_port: number }[]; healthmonitor: { id: string } | null }[];
}

/** A member on the webserver subnet. */
const m = (address: string, extra: Record<string, unknown> = {}) => ({ address, protocol_port: 80, subnet_id: s.webSubnet.id, ...extra });

/** A health monitor that notices a change within a second or two. */
const quick = (type: string, extra: Record<string, unknown> = {}) => ({ type, delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1, ...extra });

/** A fully-populated load balancer with these listeners on its own VIP, ACTIVE. */
async function loadBalancer(name: string, listeners: Record<string, unknown>[]): Promise<Lb> {
  // A fully-populated create wants its pools named; pools here are named after their listener's port.
  const named = listeners.map((l) => ({ ...l, default_pool: { name: `pool-${String(l.protocol_port)}`, ...(l.default_pool as object) } }));
  const r = await call(s.t.app, 'POST', '/v2/lbaas/loadbalancers', {
    loadbalancer: { name, vip_subnet_id: s.lbSubnet.id, vip_address: `${s.lbNet}.${nextVip++}`, provider: 'haproxy', listeners: named },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  await waitFor(s.t.app, `/v2/lbaas/loadbalancers/${r.body.loadbalancer.id}`, 'loadbalancer', 'ACTIVE', 15_000);
  return { ...r.body.loadbalancer, vip: r.body.loadbalancer.vip_address };
}

/** Waits until a member's operating status is `want`. */
async function memberIs(lb: Lb, address: string, want: string, timeoutMs = 15_000, port?: number): Promise<void> {
  const isIt = (x: { address: string; protocol_port: number }): boolean => x.address === address && (port === undefined || x.protocol_port === port);
  const pool = lb.pools.find((p) => p.members.some(isIt))!;
  const member = pool.members.find(isIt)!;
  let last = '';
  await until(`member ${address} ${want}`, async () => {
    last = (await call(s.t.app, 'GET', `/v2/lbaas/pools/${pool.id}/members/${member.id}`)).body.member.operating_status;
    return last === want ? true : undefined;
  }, timeoutMs).catch((err: Error) => {
    throw new Error(`${err.message} (last ${last})`);
  });
}

/** Changes an object through the API and waits until the load balancer has applied it. */
async function change(lb: Lb, path: string, key: string, body: Record<string, unknown>): Promise<void> {
  const r = await call(s.t.app, 'PUT', path, { [key]: body });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await waitFor(s.t.app, path, key, 'ACTIVE', 15_000);
  await waitFor(s.t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'ACTIVE', 15_000);
}

interface Reply {
  /** curl's exit code (0, or 7 refused, 28 timed out, 52/56 closed…). */
  code: number;
  status: number;
  headers: Record<string, string[]>;
  body: string;
}

/** One request with curl from the client namespace (`args` before the URL; no redirects followed). */
async function curl(url: string, args: string[] = [], maxTimeS = 3): Promise<Reply> {
  const r = await run(['ip', 'netns', 'exec', s.client, 'curl', '-sS', '-i', '--max-time', String(maxTimeS), ...args, url],
    { allowFailure: true, timeoutMs: (maxTimeS + 5) * 1000 });
  const [head = '', ...rest] = r.stdout.split('\r\n\r\n');
  const lines = head.split('\r\n');
  const headers: Record<string, string[]> = {};
  for (const line of lines.slice(1)) {
    const at = line.indexOf(':');
    if (at > 0) (headers[line.slice(0, at).toLowerCase()] ??= []).push(line.slice(at + 1).trim());
  }
  return { code: r.code, status: Number(/^HTTP\/[\d.]+ (\d{3})/.exec(lines[0] ?? '')?.[1]), headers, body: rest.join('\r\n\r\n').trim() };
}

/** The bodies of `n` requests, each on a new connection. */
async function bodies(url: string, n: number, args: string[] = []): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await curl(url, args)).body);
  return out;
}

/** A raw TCP client in the client namespace (node), for what curl cannot do: idle connections. */
function rawClient(script: string, ...args: string[]) {
  return startAttached(['ip', 'netns', 'exec', s.client, process.execPath, '-e', script, ...args]);
}

// ---- pools: algorithms ------------------------------------------------------------------------

test('LEAST_CONNECTIONS: while one member holds a long request, every new request goes to the other', async () => {
  const lb = await loadBalancer('least-conn', [{
    protocol: 'HTTP', protocol_port: 80,
    default_pool: { protocol: 'HTTP', lb_algorithm: 'LEAST_CONNECTIONS', members: [m(addr.a!), m(addr.b!)] },
  }]);
  const slowPath = `/_sleep/8000?${tag('lc')}`;
  const slow = await startAttached(['ip', 'netns', 'exec', s.client, 'curl', '-sS', '--max-time', '30', `http://${lb.vip}${slowPath}`]);
  const holder = await until('the long request reached a member', async () => ['a', 'b'].find((h) => requestsTo(h, slowPath).length > 0), 5000);
  const other = holder === 'a' ? 'b' : 'a';
  assert.deepEqual(await bodies(`http://${lb.vip}/`, 6), Array(6).fill(other), `${holder} holds a connection: ${other} has fewer`);
  assert.equal((await slow.exited).stdout.trim(), holder);
  // With both idle again, least connections shares them out.
  assert.deepEqual(new Set(await bodies(`http://${lb.vip}/`, 6)), new Set(['a', 'b']));
});

test('SOURCE_IP: each client address stays on one member, and a dozen client addresses spread over both', async () => {
  const lb = await loadBalancer('source-ip', [{
    protocol: 'HTTP', protocol_port: 80,
    default_pool: { protocol: 'HTTP', lb_algorithm: 'SOURCE_IP', members: [m(addr.a!), m(addr.b!)] },
  }]);
  const seen = new Set<string>();
  for (const from of [s.clientAddress, ...others]) {
    const answers = new Set(await bodies(`http://${lb.vip}/`, 3, ['--interface', from]));
    assert.equal(answers.size, 1, `${from} was answered by ${[...answers].join(', ')}`);
    seen.add([...answers][0]!);
  }
  assert.deepEqual([...seen].sort(), ['a', 'b']);
});

test('SOURCE_IP_PORT: the requests of one connection stay on one member, new connections (new source ports) spread', async () => {
  const lb = await loadBalancer('source-ip-port', [{
    protocol: 'HTTP', protocol_port: 80,
    default_pool: { protocol: 'HTTP', lb_algorithm: 'SOURCE_IP_PORT', members: [m(addr.a!), m(addr.b!)] },
  }]);
  const url = `http://${lb.vip}/`;
  for (let round = 0; round < 3; round++) {
    // One curl, eight URLs: one keep-alive connection (num_connects 1, then 0), so one source port.
    const r = await run(['ip', 'netns', 'exec', s.client, 'curl', '-sS', '--max-time', '5', '-w', '%{num_connects}\\n', ...Array(8).fill(url)]);
    const lines = r.stdout.trim().split('\n');
    const answers = lines.filter((_, i) => i % 2 === 0);
    assert.deepEqual(lines.filter((_, i) => i % 2 === 1), ['1', ...Array(7).fill('0')], 'one connection');
    assert.equal(new Set(answers).size, 1, `one connection, one member: ${answers.join(' ')}`);
  }
  assert.deepEqual(new Set(await bodies(url, 16)), new Set(['a', 'b']), 'one client address, many ports: both members');
});

// ---- pools: session persistence ---------------------------------------------------------------

test('HTTP_COOKIE: the cookie HAProxy sets keeps a client on its member; without it requests alternate', async () => {
  const lb = await loadBalancer('http-cookie', [{
    protocol: 'HTTP', protocol_port: 80,
    default_pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'HTTP_COOKIE' }, members: [m(addr.a!), m(addr.b!)] },
  }]);
  const url = `http://${lb.vip}/`;
  const first = await curl(url);
  const cookie = (first.headers['set-cookie'] ?? [])[0]?.split(';')[0] ?? '';
  const member = lb.pools[0]!.members.find((x) => x.address === addr[first.body]);
  assert.equal(cookie, `SRV=${member?.id}`, 'the cookie names the member that answered');
  assert.deepEqual(await bodies(url, 6, ['--cookie', cookie]), Array(6).fill(first.body));
  assert.deepEqual(new Set(await bodies(url, 4)), new Set(['a', 'b']));
});

test('APP_COOKIE: the application\'s own cookie (cookie_name) keeps a client on the member that set it', async () => {
  const lb = await loadBalancer('app-cookie', [{
    protocol: 'HTTP', protocol_port: 80,
    default_pool: {
      protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'APP_COOKIE', cookie_name: 'JSESSIONID' },
      members: [m(addr.a!), m(addr.b!)],
    },
  }]);
  const url = `http://${lb.vip}/`;
  for (let i = 0; i < 2; i++) {
    const first = await curl(`${url}_setcookie/JSESSIONID`);
    const cookie = (first.headers['set-cookie'] ?? [])[0]?.split(';')[0] ?? '';
    assert.match(cookie, new RegExp(`^JSESSIONID=${first.body}-`));
    assert.deepEqual(await bodies(url, 6, ['--cookie', cookie]), Array(6).fill(first.body), cookie);
  }
  assert.deepEqual(new Set(await bodies(url, 4, ['--cookie', 'JSESSIONID=unknown'])), new Set(['a', 'b']), 'a value no member set: round robin');
});

test('SOURCE_IP persistence on a round-robin pool: each client address sticks to a member', async () => {
  const lb = await loadBalancer('sticky-source', [{
    protocol: 'HTTP', protocol_port: 80,
    default_pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'SOURCE_IP' }, members: [m(addr.a!), m(addr.b!)] },
  }]);
  for (const from of [s.clientAddress, others[0]!, others[1]!]) {
    const answers = await bodies(`http://${lb.vip}/`, 6, ['--interface', from]);
    assert.equal(new Set(answers).size, 1, `${from}: ${answers.join(' ')}`);
  }
});

// ---- pools: PROXY protocols, backup members, monitor address and port ---------------------------

test('PROXY and PROXYV2 pools: the member reads a PROXY header of that version naming the client', async () => {
  addr.p = await s.web('p', { logFile: logOf('p'), proxy: true });
  const lb = await loadBalancer('proxy', [
    { protocol: 'TCP', protocol_port: 80, default_pool: { protocol: 'PROXY', lb_algorithm: 'ROUND_ROBIN', members: [m(addr.p)] } },
    { protocol: 'TCP', protocol_port: 81, default_pool: { protocol: 'PROXYV2', lb_algorithm: 'ROUND_ROBIN', members: [m(addr.p)] } },
  ]);
  for (const [port, version] of [[80, 1], [81, 2]] as const) {
    for (const from of [s.clientAddress, others[2]!]) {
      const path = `/${tag(`v${version}`)}`;
      const r = await curl(`http://${lb.vip}:${port}${path}`, ['--interface', from]);
      assert.equal(r.body, 'p');
      const seen = requestsTo('p', path)[0];
      assert.deepEqual(seen?.proxy && { source: seen.proxy.source, version: seen.proxy.version }, { source: from, version });
      assert.ok((seen?.proxy?.sourcePort ?? 0) > 0);
    }
  }
  assert.equal(entries('p').filter((e) => e.event === 'bad-proxy-header').length, 0);
});

test('a backup member serves only while the primary is down', async () => {
  addr.c = await s.web('c');
  addr.d = await s.web('d');
  const lb = await loadBalancer('backup', [{
    protocol: 'HTTP', protocol_port: 80,
    default_pool: {
      protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', healthmonitor: quick('HTTP'),
      members: [m(addr.c), m(addr.d, { backup: true })],
    },
  }]);
  await memberIs(lb, addr.c, 'ONLINE');
  await memberIs(lb, addr.d, 'ONLINE');
  const url = `http://${lb.vip}/`;
  assert.deepEqual(await bodies(url, 4), Array(4).fill('c'));
  await s.kill('c');
  await memberIs(lb, addr.c, 'ERROR');
  assert.deepEqual(await bodies(url, 4), Array(4).fill('d'));
  await s.revive('c');
  await memberIs(lb, addr.c, 'ONLINE');
  assert.deepEqual(await bodies(url, 4), Array(4).fill('c'));
});

test('monitor_address and monitor_port: the member is health-checked on another host and port than its traffic', async () => {
  addr.e = await s.web('e', { logFile: logOf('e') });
  addr.g = await s.host('g');
  let checker = await s.serve('g', 8080, { logFile: logOf('g') });
  const lb = await loadBalancer('monitor-address', [{
    protocol: 'HTTP', protocol_port: 80,
    default_pool: {
      protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', healthmonitor: quick('HTTP', { url_path: '/_hc-mon' }),
      members: [m(addr.e, { monitor_address: addr.g, monitor_port: 8080 })],
    },
  }]);
  await memberIs(lb, addr.e, 'ONLINE');
  assert.ok(requestsTo('g', '/_hc-mon').length > 0, 'checks reach g:8080');
  assert.equal(requestsTo('e', '/_hc-mon').length, 0, 'and not the member itself');
  assert.equal((await curl(`http://${lb.vip}/`)).body, 'e', 'traffic goes to the member');
  process.kill(checker, 'SIGTERM');
  await memberIs(lb, addr.e, 'ERROR');
  assert.equal((await curl(`http://${lb.vip}/`)).status, 503, 'a member whose monitor port is silent takes no traffic');
  checker = await s.serve('g', 8080, { logFile: logOf('g') });
  await memberIs(lb, addr.e, 'ONLINE');
  assert.equal((await curl(`http://${lb.vip}/`)).body, 'e');
});

// ---- health monitors --------------------------------------------------------------------------

test('HTTP monitor: method, url_path, http_version 1.1 with domain_name reach the member; expected_codes as a list, a single code and a range', async () => {
  addr.h = await s.web('h', { logFile: logOf('h') });
  const path = '/_status/202?probe=1';
  const lb = await loadBalancer('http-monitor', [{
    protocol: 'HTTP', protocol_port: 80,
    default_pool: {
      protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [m(addr.h)],
      healthmonitor: quick('HTTP', { http_method: 'PATCH', url_path: path, expected_codes: '200,202', http_version: 1.1, domain_name: 'app.example.com' }),
    },
  }]);
  await memberIs(lb, addr.h, 'ONLINE');
  const check = requestsTo('h', path).at(-1);
  assert.deepEqual([check?.method, check?.version, check?.headers?.host], ['PATCH', '1.1', 'app.example.com']);
  const hm = `/v2/lbaas/healthmonitors/${lb.pools[0]!.healthmonitor!.id}`;
  for (const [codes, want] of [['200', 'ERROR'], ['201-203', 'ONLINE'], ['203-204', 'ERROR'], ['202', 'ONLINE']] as const) {
    await change(lb, hm, 'healthmonitor', { expected_codes: codes });
    await memberIs(lb, addr.h, want);
  }
  await change(lb, hm, 'healthmonitor', { http_method: 'GET', url_path: '/_status/200' });
  await memberIs(lb, addr.h, 'ERROR');
  assert.equal(requestsTo('h', '/_status/200').at(-1)?.method, 'GET');
});

test('delay, timeout, max_retries and max_retries_down: checks spaced by delay, down after max_retries_down failures, up after max_retries successes, a slow answer past timeout fails', async () => {
  addr.k = await s.web('k', { logFile: logOf('k') });
  const lb = await loadBalancer('monitor-timing', [{
    protocol: 'HTTP', protocol_port: 80,
    default_pool: {
      protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [m(addr.k)],
      healthmonitor: { type: 'HTTP', url_path: '/_hc', delay: 2, timeout: 1, max_retries: 2, max_retries_down: 3 },
    },
  }]);
  await memberIs(lb, addr.k, 'ONLINE');
  const checks = await until('five checks', async () => {
    const c = requestsTo('k', '/_hc');
    return c.length >= 5 ? c : undefined;
  }, 30_000);
  const gaps = checks.slice(1).map((c, i) => c.time - checks[i]!.time).sort((x, y) => x - y);
  // The median, so that one check the stand-in logged late does not decide.
  assert.ok(gaps[Math.floor(gaps.length / 2)]! >= 1700, `checks every 2 s: gaps ${gaps.join(', ')} ms`);

  const inK = ['ip', 'netns', 'exec', s.ns('k'), 'curl', '-sS', '--max-time', '2'];
  const before = requestsTo('k', '/_hc').length;
  await run([...inK, `http://${addr.k}/_health/fail`]);
  await memberIs(lb, addr.k, 'ERROR', 20_000);
  const failed = requestsTo('k', '/_hc').length - before;
  assert.ok(failed >= 3, `down only after 3 failed checks (saw ${failed})`);
  const beforeUp = requestsTo('k', '/_hc').length;
  await run([...inK, `http://${addr.k}/_health/ok`]);
  await memberIs(lb, addr.k, 'ONLINE', 20_000);
  const passed = requestsTo('k', '/_hc').length - beforeUp;
  assert.ok(passed >= 2, `up only after 2 passed checks (saw ${passed})`);

  const hm = `/v2/lbaas/healthmonitors/${lb.pools[0]!.healthmonitor!.id}`;
  // An answer after 1.2 s fails a 1 s timeout and passes a 3 s one (delay 3: checks do not overlap).
  await change(lb, hm, 'healthmonitor', { url_path: '/_sleep/1200' });
  await memberIs(lb, addr.k, 'ERROR', 20_000);
  await change(lb, hm, 'healthmonitor', { delay: 3, timeout: 3 });
  await memberIs(lb, addr.k, 'ONLINE', 20_000);
});

test('HTTPS pass-through listener with an HTTPS monitor, and TLS-HELLO: members serving TLS are ONLINE, a plain HTTP member ERROR', async () => {
  addr.t = await s.host('t');
  await s.serve('t', 443, { logFile: logOf('t'), tls });
  addr.u = await s.host('u');
  await s.serve('u', 443, { logFile: logOf('u') });
  const pool = (monitor: Record<string, unknown>) => ({
    protocol: 'HTTPS', lb_algorithm: 'ROUND_ROBIN', healthmonitor: monitor,
    members: [m(addr.t!, { protocol_port: 443 }), m(addr.u!, { protocol_port: 443 })],
  });
  const lb = await loadBalancer('https', [
    { protocol: 'HTTPS', protocol_port: 443, default_pool: pool(quick('HTTPS', { url_path: '/_hc-tls' })) },
    { protocol: 'HTTPS', protocol_port: 8443, default_pool: pool(quick('TLS-HELLO')) },
  ]);
  const [https, hello] = [lb.pools[0]!, lb.pools[1]!];
  for (const p of [https, hello]) {
    const one = { ...lb, pools: [p] };
    await memberIs(one, addr.t, 'ONLINE');
    await memberIs(one, addr.u, 'ERROR');
  }
  assert.ok(requestsTo('t', '/_hc-tls').length > 0, 'the HTTPS check is an HTTP request over TLS');
  // Pass-through: HAProxy holds no certificate; the client's TLS session ends at the member.
  for (const port of [443, 8443]) {
    const path = `/${tag('tls')}`;
    const r = await curl(`https://${lb.vip}:${port}${path}`, ['-k']);
    assert.deepEqual([r.status, r.body], [200, 't']);
    assert.equal(requestsTo('t', path).length, 1);
  }
});

test('PING and TCP monitors: ping passes a host with nothing on the member port, TCP fails it; an address with no host fails ping; PING pings the monitor_address', async () => {
  addr.v = await s.host('v');
  const [ghost, ghost2] = [`${s.webNet}.250`, `${s.webNet}.251`];
  const lb = await loadBalancer('ping', [
    {
      protocol: 'TCP', protocol_port: 80,
      default_pool: { protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN', healthmonitor: quick('PING'),
        members: [
          m(addr.v, { protocol_port: 9 }), m(ghost, { protocol_port: 9 }),
          m(ghost, { protocol_port: 10, monitor_address: addr.v }), m(addr.v, { protocol_port: 10, monitor_address: ghost2 }),
        ],
      },
    },
    {
      protocol: 'TCP', protocol_port: 81,
      default_pool: { protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN', healthmonitor: quick('TCP'), members: [m(addr.v, { protocol_port: 9 }), m(addr.a!)] },
    },
  ]);
  const [ping, tcp] = [{ ...lb, pools: [lb.pools[0]!] }, { ...lb, pools: [lb.pools[1]!] }];
  await memberIs(ping, addr.v, 'ONLINE', 15_000, 9);
  await memberIs(ping, ghost, 'ERROR', 15_000, 9);
  await memberIs(ping, ghost, 'ONLINE', 15_000, 10);
  await memberIs(ping, addr.v, 'ERROR', 15_000, 10);
  // A member added later (runtime API, or a reload if HAProxy refuses that) is pinged at its monitor_address too.
  const pool = lb.pools[0]!;
  const added = await call(s.t.app, 'POST', `/v2/lbaas/pools/${pool.id}/members`, { member: m(ghost2, { protocol_port: 11, monitor_address: addr.v }) });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  await waitFor(s.t.app, `/v2/lbaas/pools/${pool.id}/members/${added.body.member.id}`, 'member', 'ACTIVE', 15_000);
  pool.members.push(added.body.member);
  await memberIs(ping, ghost2, 'ONLINE', 15_000, 11);
  await memberIs(tcp, addr.a!, 'ONLINE');
  await memberIs(tcp, addr.v, 'ERROR');
  assert.deepEqual(await bodies(`http://${lb.vip}:81/`, 3), ['a', 'a', 'a'], 'the TCP listener sends traffic to the member its monitor passes');
});

// ---- listeners --------------------------------------------------------------------------------

test('connection_limit 1: a second connection waits until the first is done', async () => {
  const lb = await loadBalancer('connection-limit', [{
    protocol: 'HTTP', protocol_port: 80, connection_limit: 1,
    default_pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [m(addr.a!)] },
  }]);
  const [first, second] = [`/_sleep/4000?${tag('first')}`, `/${tag('second')}`];
  const held = await startAttached(['ip', 'netns', 'exec', s.client, 'curl', '-sS', '--max-time', '30', `http://${lb.vip}${first}`]);
  await until('the first request reached a', async () => (requestsTo('a', first).length > 0 ? true : undefined), 5000);
  const waiting = await startAttached(['ip', 'netns', 'exec', s.client, 'curl', '-sS', '--max-time', '30', `http://${lb.vip}${second}`]);
  await sleep(1000);
  assert.equal(requestsTo('a', second).length, 0, 'the second request waits while the first holds the only connection');
  const [a, b] = await Promise.all([held.exited, waiting.exited]);
  assert.deepEqual([a.stdout.trim(), b.stdout.trim()], ['a', 'a']);
  const firstDone = requestsTo('a', first)[0]!.time + 4000;
  assert.ok(requestsTo('a', second)[0]!.time >= firstDone - 50, 'the second reached the member only after the first was answered');
});

test('timeout_client_data closes an idle client, timeout_member_data answers 504 for a slow member, timeout_member_connect 503 for a silent one', async () => {
  addr.w = await s.host('w');
  // w drops connection attempts to port 81: a member that never answers a SYN.
  await run(['ip', 'netns', 'exec', s.ns('w'), 'iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', '81', '-j', 'DROP']);
  const lb = await loadBalancer('timeouts', [
    {
      protocol: 'HTTP', protocol_port: 80, timeout_client_data: 1000, timeout_member_data: 500,
      default_pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [m(addr.a!)] },
    },
    {
      protocol: 'HTTP', protocol_port: 81, timeout_member_connect: 300,
      default_pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [m(addr.w, { protocol_port: 81 })] },
    },
  ]);
  // A client that starts a request and goes quiet. (One that never sends a byte is not timed out
  // by HAProxy 2.6's HTTP frontends at all: still open after 20 s with timeout client 1 s.)
  const idle = await rawClient(`
    const t = Date.now(); const c = require('net').connect(Number(process.argv[2]), process.argv[1]);
    let answer = '';
    c.on('connect', () => c.write('GET / HTTP/1.1\\r\\nHost: x\\r\\n'));
    c.on('data', (b) => { answer += b; });
    c.on('error', () => undefined);
    c.on('close', () => { console.log(JSON.stringify({ ms: Date.now() - t, status: answer.split('\\r\\n')[0] })); process.exit(0); });
    setTimeout(() => { console.log('still open'); process.exit(0); }, 15000);`, lb.vip, '80');
  const closed = JSON.parse((await idle.exited).stdout.trim() || '{}') as { ms?: number; status?: string };
  assert.equal(closed.status, 'HTTP/1.1 408 Request Time-out', 'an idle client is answered 408 and closed after 1 s (the default is 50 s)');
  assert.ok((closed.ms ?? 0) >= 900, JSON.stringify(closed));

  assert.equal((await curl(`http://${lb.vip}/_sleep/300`)).status, 200);
  assert.equal((await curl(`http://${lb.vip}/_sleep/3000`, [], 8)).status, 504);
  const silent = await curl(`http://${lb.vip}:81/`, [], 8);
  assert.equal(silent.status, 503, `4 attempts of 300 ms, not of the default 5 s: ${JSON.stringify(silent)}`);
});

test('timeout_tcp_inspect on a TCP listener: no member connection until the client sends (or the delay ends); without it at once', async () => {
  addr.j = await s.web('j', { logFile: logOf('j') });
  const pool = () => ({ protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN', members: [m(addr.j!)] });
  const lb = await loadBalancer('tcp-inspect', [
    { protocol: 'TCP', protocol_port: 80, timeout_tcp_inspect: 20000, default_pool: pool() },
    { protocol: 'TCP', protocol_port: 81, default_pool: pool() },
  ]);
  const connections = () => entries('j').filter((e) => e.event === 'connection').length;
  for (const [port, isHeld] of [[80, true], [81, false]] as const) {
    const before = connections();
    const client = await rawClient(`
      const c = require('net').connect(Number(process.argv[2]), process.argv[1]);
      let answer = '';
      c.on('data', (b) => { answer += b; });
      c.on('end', () => { console.log(JSON.stringify(answer.split('\\r\\n\\r\\n')[1])); process.exit(0); });
      c.on('connect', () => setTimeout(() => { console.log('idle'); setTimeout(() => c.write('GET / HTTP/1.0\\r\\n\\r\\n'), 1500); }, 1000));`,
    lb.vip, String(port));
    await client.waitForLine((l) => l === 'idle', 10_000);
    assert.equal(connections() - before, isHeld ? 0 : 1, `port ${port}: member connections while the client is silent`);
    const out = (await client.exited).stdout.trim().split('\n');
    assert.equal(out.at(-1), JSON.stringify('j\n'), `port ${port}: the TCP listener carries the request`);
    assert.equal(connections() - before, 1);
  }
});

test('allowed_cidrs: a client outside the list is refused, inside answered; a change of the list applies', async () => {
  const lb = await loadBalancer('allowed-cidrs', [{
    protocol: 'HTTP', protocol_port: 80, allowed_cidrs: [`${s.clientAddress}/32`],
    default_pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [m(addr.a!)] },
  }]);
  const url = (t: string) => `http://${lb.vip}/${t}`;
  assert.equal((await curl(url(tag('in')), ['--interface', s.clientAddress])).body, 'a');
  const outside = tag('out');
  const refused = await curl(url(outside), ['--interface', others[3]!]);
  assert.notEqual(refused.code, 0, 'refused');
  assert.ok(Number.isNaN(refused.status), JSON.stringify(refused));
  assert.equal(requestsTo('a', `/${outside}`).length, 0, 'nothing reached the member');
  await change(lb, `/v2/lbaas/listeners/${lb.listeners[0]!.id}`, 'listener', { allowed_cidrs: [`${s.lbNet}.0/24`] });
  assert.equal((await curl(url(tag('now-in')), ['--interface', others[3]!])).body, 'a');
});

test('insert_headers: X-Forwarded-For, X-Forwarded-Port and X-Forwarded-Proto reach the member with the right values; "false" leaves X-Forwarded-For out', async () => {
  const pool = () => ({ protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [m(addr.a!)] });
  const lb = await loadBalancer('insert-headers', [
    { protocol: 'HTTP', protocol_port: 8080, insert_headers: { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'true', 'X-Forwarded-Proto': 'true' }, default_pool: pool() },
    { protocol: 'HTTP', protocol_port: 8081, insert_headers: { 'X-Forwarded-For': 'false' }, default_pool: pool() },
  ]);
  const on = `/${tag('on')}`;
  assert.equal((await curl(`http://${lb.vip}:8080${on}`, ['--interface', others[4]!])).body, 'a');
  const h = requestsTo('a', on)[0]?.headers ?? {};
  assert.deepEqual([h['x-forwarded-for'], h['x-forwarded-port'], h['x-forwarded-proto']], [others[4], '8080', 'http']);
  const off = `/${tag('off')}`;
  assert.equal((await curl(`http://${lb.vip}:8081${off}`)).body, 'a');
  const h2 = requestsTo('a', off)[0]?.headers ?? {};
  assert.deepEqual([h2['x-forwarded-for'], h2['x-forwarded-port'], h2['x-forwarded-proto']], [undefined, undefined, undefined]);
});
