/**
 * @module bench/api — the control plane side by side: `fulcrum up` and the real Octavia 11 API,
 * both on SQLite, measured in the same run by the same client, interleaved.
 *
 *   node dist/bench/api.js [--quick] [--rounds 5] [--n 50] [--n-write 20] [--duration 3] [--scale-n 10]
 *     [--targets fulcrum,octavia] [--octavia-peer DIR] [--database URL] [--auth noauth|embedded] [--json FILE]
 *
 * Fulcrum: `fulcrum up --provider noop` (SQLite unless --database; `--auth embedded` makes every
 * request carry the demo user's token). Octavia: Debian's octavia-api started by the peer's
 * start.sh (MODE=apionly, DB=sqlite, one gunicorn sync worker, noauth; bench/lib/octavia-peer.ts).
 * Its noop provider leaves objects PENDING_*: between timed writes the bench sets them ACTIVE in
 * Octavia's SQLite file, as Octavia's functional tests do; on Fulcrum it waits for the agent.
 *
 * Every request is sent the same way to both: Node's http client, one request in flight, a new
 * TCP connection each (gunicorn closes every connection anyway), X-Project-Id header, timed from
 * the request's start to the body's last byte. Rates come from wrk (keep-alive where the server
 * allows it) at 1, 4 and 32 connections.
 *
 * Phases, each in rounds whose order alternates (round k: Fulcrum then Octavia, round k+1 Octavia
 * then Fulcrum), so slow drifts of the shared machine hit both sides alike:
 *  - scale: with 10 and then 100 load balancers present, GET one and GET the whole list;
 *  - rounds: POST load balancer, GET list of 100, GET one, fully-populated create (listener, pool,
 *    two members, health monitor), member create, and wrk on GET one (c = 1, 4, 32) and on the
 *    list of 100 (c = 4);
 *  - scale: grown to 1,000 load balancers, GET one and GET the list of 1,000 (Octavia is grown past
 *    100 by copying a load balancer's rows in its database: 900 POSTs take 20–150 s there).
 * Before all this, each target answers a few untimed requests (JIT, connection set-up, caches).
 * Each figure is the median over rounds of the round's median, with the min–max of the rounds, and
 * the p99 of all samples pooled; the ratio is per round (paired), then median and min–max.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { acrossRounds, formatAcrossRounds, median, percentile, type AcrossRounds } from './lib/stats.js';
import { freePort, stopChildProcess } from './lib/process.js';
import { describeMachine, formatMachine, loadAverage, type Machine } from './lib/machine.js';
import { isOctaviaInstalled, OctaviaPeer } from './lib/octavia-peer.js';
import { wrkLoopback, type WrkResult } from './lib/wrk.js';
import { formatRatio, goalMark } from './lib/goals.js';

export { formatRatio, goalMark, goalOf } from './lib/goals.js';

const USAGE = 'usage: node dist/bench/api.js [--quick] [--rounds 5] [--n 50] [--n-write 20] [--duration 3] [--scale-n 10] '
  + '[--targets fulcrum,octavia] [--octavia-peer DIR] [--database URL] [--auth noauth|embedded] [--json FILE]';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TARGETS = ['fulcrum', 'octavia'] as const;
type TargetKey = (typeof TARGETS)[number];

/** The command line, checked. */
export interface Options {
  rounds: number; n: number; nWrite: number; duration: number; scaleN: number; sizes: number[];
  targets: TargetKey[]; octaviaPeer: string; auth: 'noauth' | 'embedded'; isQuick: boolean;
  database?: string; json?: string;
}

const DEFAULTS = { rounds: 5, n: 30, 'n-write': 10, duration: 3, 'scale-n': 10 };
const QUICK = { rounds: 2, n: 10, 'n-write': 5, duration: 2, 'scale-n': 3 };

function readOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false }, rounds: { type: 'string' }, n: { type: 'string' }, 'n-write': { type: 'string' },
      duration: { type: 'string' }, 'scale-n': { type: 'string' }, targets: { type: 'string', default: TARGETS.join(',') },
      'octavia-peer': { type: 'string', default: join(REPO, '..', 'shared', 'peers', 'octavia') },
      database: { type: 'string' }, json: { type: 'string' }, auth: { type: 'string', default: 'noauth' },
    },
  });
  if (values.auth !== 'noauth' && values.auth !== 'embedded') throw new Error(`--auth must be noauth or embedded (got '${values.auth}')`);
  const base = values.quick ? QUICK : DEFAULTS;
  const positiveInt = (name: keyof typeof DEFAULTS): number => {
    const raw = values[name] ?? String(base[name]);
    const v = Number(raw);
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer (got '${raw}')`);
    return v;
  };
  const targets = values.targets.split(',').map((t) => {
    if (!(TARGETS as readonly string[]).includes(t)) throw new Error(`--targets takes ${TARGETS.join(',')} (got '${t}')`);
    return t as TargetKey;
  });
  const o: Options = {
    rounds: positiveInt('rounds'), n: positiveInt('n'), nWrite: positiveInt('n-write'), duration: positiveInt('duration'),
    scaleN: positiveInt('scale-n'), sizes: [10, 100, 1000], targets, octaviaPeer: values['octavia-peer'], auth: values.auth,
    isQuick: values.quick === true, ...(values.database ? { database: values.database } : {}), ...(values.json ? { json: values.json } : {}),
  };
  // The rounds add load balancers between the 100 and 1,000 steps of the scale phase.
  const perRound = o.n + o.nWrite + 1;
  if (100 + o.rounds * perRound > 1000) throw new Error(`--rounds × (--n + --n-write + 1) must stay below 900 (got ${o.rounds * perRound})`);
  return o;
}

/** The issue's goals: Fulcrum against Octavia, same run. */
export const GOALS = { latencyRatio: 10, throughputRatio: 50 };
const PROJECT = 'bench';
/** Octavia's noop network driver takes any subnet UUID. */
const OCTAVIA_SUBNET = '11111111-2222-3333-4444-555555555555';

// ---- targets ---------------------------------------------------------------------------------

/** One API under test and what the bench needs to drive it. */
interface Target {
  key: TargetKey;
  name: string;
  base: string;
  headers: Record<string, string>;
  subnetId: string;
  /** Brings a load balancer and its children to ACTIVE, so that the next write on it is accepted. Never timed. */
  settle(lbId: string): Promise<void>;
  /** PIDs of the API server's processes (for their memory). */
  pids(): number[];
  /** Grows to `size` load balancers (untimed). */
  growTo(size: number): Promise<void>;
  /** Load balancers created so far (the bench is the only writer). */
  count: number;
}

/** Child processes this bench started, stopped by PID on exit, error or SIGINT. */
const children = new Set<ChildProcess>();
/** Octavia peers this bench started (stopped through stop.sh, by PID). */
const peers = new Set<OctaviaPeer>();


/** One answer and how long it took, from the request's start to the last byte of the body. */
interface Reply<T> { ms: number; status: number; body: T }

/** Sends one request on a new connection. */
function send<T>(t: Pick<Target, 'base' | 'headers'>, method: string, path: string, body?: unknown): Promise<Reply<T>> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = request(`${t.base}${path}`, {
      method, agent: false,
      headers: { ...t.headers, accept: 'application/json', ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const text = Buffer.concat(chunks).toString();
        const isJson = String(res.headers['content-type']).startsWith('application/json');
        try {
          resolve({ ms, status: res.statusCode ?? 0, body: (isJson && text !== '' ? JSON.parse(text) : text) as T });
        } catch (err) {
          reject(new Error(`${method} ${path}: ${res.statusCode} answer is not JSON: ${text.slice(0, 200)}`, { cause: err }));
        }
      });
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path}: no answer within 60 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Throws unless the reply has the expected status. */
function expect<T>(r: Reply<T>, status: number, what: string): Reply<T> {
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
  return r;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts `fulcrum up` (noop provider), waits for GET /healthcheck, makes a network and subnet. */
async function startFulcrum(dir: string, o: Options): Promise<Target> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const mainJs = join(REPO, 'dist', 'src', 'main.js');
  const server = spawn(process.execPath, [mainJs, 'up', '--data-dir', dir, '--listen', `127.0.0.1:${port}`,
    '--auth', o.auth, '--provider', 'noop', '--interface-driver', 'host', '--log-level', 'warn',
    ...(o.database ? ['--database', o.database] : [])], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.add(server);
  server.on('exit', () => children.delete(server));
  const t: Target = {
    key: 'fulcrum', name: 'Fulcrum', base, headers: { 'x-project-id': PROJECT }, subnetId: '', count: 0,
    settle: async (lbId) => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const r = expect(await send<{ loadbalancer: { provisioning_status: string } }>(t, 'GET', `/v2/lbaas/loadbalancers/${lbId}`), 200, 'GET (settle)');
        if (r.body.loadbalancer.provisioning_status === 'ACTIVE') return;
        if (Date.now() > deadline) throw new Error(`Fulcrum: ${lbId} not ACTIVE after 10 s (${r.body.loadbalancer.provisioning_status})`);
        await sleep(2);
      }
    },
    pids: () => [server.pid!],
    growTo: async (size) => { while (t.count < size) await createLb(t, `grow-${t.count}`); },
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`fulcrum up exited with ${server.exitCode} before it was healthy`);
    if (await send(t, 'GET', '/healthcheck').then((r) => r.status === 200, () => false)) break;
    if (Date.now() > deadline) throw new Error('fulcrum up was not healthy within 30 s');
    await sleep(100);
  }
  if (o.auth === 'embedded') t.headers = { 'x-auth-token': await demoToken(base, dir) };
  const net = expect(await send<{ network: { id: string } }>(t, 'POST', '/v2.0/networks', { network: { name: 'bench' } }), 201, 'POST network');
  const subnet = expect(await send<{ subnet: { id: string } }>(t, 'POST', '/v2.0/subnets',
    { subnet: { network_id: net.body.network.id, cidr: '10.0.0.0/16', ip_version: 4 } }), 201, 'POST subnet');
  t.subnetId = subnet.body.subnet.id;
  return t;
}

/** The demo user's project-scoped token, with the password `fulcrum up` wrote to its openrc. */
async function demoToken(base: string, dir: string): Promise<string> {
  const password = /^export OS_PASSWORD='(.*)'$/m.exec(readFileSync(join(dir, 'demo-openrc'), 'utf8'))?.[1]?.replace(/'\\''/g, "'");
  if (password === undefined) throw new Error('no OS_PASSWORD in demo-openrc');
  const res = await fetch(`${base}/v3/auth/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'demo', domain: { id: 'default' }, password } } },
      scope: { project: { name: 'demo', domain: { id: 'default' } } } } }),
  });
  const token = res.headers.get('x-subject-token');
  if (res.status !== 201 || token === null) throw new Error(`login as demo: ${res.status} ${await res.text()}`);
  return token;
}

async function startOctavia(o: Options): Promise<Target> {
  if (!isOctaviaInstalled()) throw new Error('octavia-api is not installed: `npm run bench` installs it, or run ../shared/peers/octavia/install.sh');
  const peer = await OctaviaPeer.start(o.octaviaPeer, await freePort());
  peers.add(peer);
  const t: Target = {
    key: 'octavia', name: 'Octavia 11', base: peer.base, headers: { 'x-project-id': PROJECT }, subnetId: OCTAVIA_SUBNET, count: 0,
    settle: async (lbId) => peer.settle(lbId),
    pids: () => peer.apiPids(),
    // Up to 100 through the API; beyond, copies of the last one in its database (bench/lib/octavia-peer.ts).
    growTo: async (size) => {
      let last = '';
      while (t.count < Math.min(size, 100)) last = (await createLb(t, `grow-${t.count}`)).body.loadbalancer.id;
      if (t.count >= size) return;
      if (last === '') last = (await createLb(t, `grow-${t.count}`)).body.loadbalancer.id;
      peer.cloneLoadBalancer(last, size - t.count);
      t.count = size;
    },
  };
  return t;
}

// ---- what is sent --------------------------------------------------------------------------

async function createLb(t: Target, name: string): Promise<Reply<{ loadbalancer: { id: string } }>> {
  const r = expect(await send<{ loadbalancer: { id: string } }>(t, 'POST', '/v2/lbaas/loadbalancers',
    { loadbalancer: { name, vip_subnet_id: t.subnetId } }), 201, `${t.name}: POST load balancer`);
  t.count++;
  return r;
}

/** The seed's load balancer in one call: listener HTTP:80, ROUND_ROBIN pool, two members, HTTP monitor. */
function fullBody(t: Target, name: string, k: number): unknown {
  return {
    loadbalancer: {
      name, vip_subnet_id: t.subnetId,
      listeners: [{
        name: `${name}-l80`, protocol: 'HTTP', protocol_port: 80,
        default_pool: {
          name: `${name}-pool`, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN',
          healthmonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 3, url_path: '/' },
          members: [1, 2].map((i) => ({ address: `10.0.${k % 250}.${i}`, protocol_port: 80, subnet_id: t.subnetId })),
        },
      }],
    },
  };
}

interface FullLb { loadbalancer: { id: string; pools: { id: string }[] } }

async function createFull(t: Target, name: string, k: number): Promise<Reply<FullLb>> {
  const r = expect(await send<FullLb>(t, 'POST', '/v2/lbaas/loadbalancers', fullBody(t, name, k)), 201, `${t.name}: POST fully-populated`);
  t.count++;
  return r;
}

// ---- the phases ------------------------------------------------------------------------------

const LATENCIES = ['post', 'list100', 'getOne', 'full', 'member'] as const;
type LatencyKey = (typeof LATENCIES)[number];
const WRKS = ['getOneC1', 'getOneC4', 'getOneC32', 'list100C4'] as const;
type WrkKey = (typeof WRKS)[number];

/** One target's samples in one round. */
export interface RoundSamples {
  lat: Record<LatencyKey, number[]>;
  wrk: Record<WrkKey, WrkResult>;
  loadAverage: string;
}

async function times<T>(n: number, fn: () => Promise<Reply<T>>, check: (r: Reply<T>) => void = () => undefined): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await fn();
    check(r);
    ms.push(r.ms);
  }
  return ms;
}

const LIST = (limit: number): string => `/v2/lbaas/loadbalancers?limit=${limit}`;

function checkList(t: Target, want: number): (r: Reply<{ loadbalancers: unknown[] }>) => void {
  return (r) => {
    expect(r, 200, `${t.name}: GET list`);
    if (r.body.loadbalancers.length !== want) throw new Error(`${t.name}: GET list: ${r.body.loadbalancers.length} load balancers, not ${want}`);
  };
}

/** One round on one target. */
async function round(t: Target, r: number, o: Options): Promise<RoundSamples> {
  const ids: string[] = [];
  const post = await times(o.n, () => createLb(t, `lb-${r}-${t.count}`), (x) => { ids.push(x.body.loadbalancer.id); });
  const list100 = await times(o.n, () => send<{ loadbalancers: unknown[] }>(t, 'GET', LIST(100)), checkList(t, 100));
  const one = `/v2/lbaas/loadbalancers/${ids[ids.length >> 1]}`;
  const getOne = await times(o.n, () => send(t, 'GET', one), (x) => { expect(x, 200, `${t.name}: GET one`); });
  let last: FullLb | undefined;
  const full = await times(o.nWrite, () => createFull(t, `full-${r}-${t.count}`, t.count), (x) => { last = x.body; });
  // Members: one after another into the last fully-populated load balancer's pool, each accepted
  // only once the previous one is ACTIVE (waited for, or set, between timed requests).
  const lb = last!.loadbalancer;
  await t.settle(lb.id);
  const member: number[] = [];
  for (let i = 0; i < o.nWrite; i++) {
    const x = expect(await send(t, 'POST', `/v2/lbaas/pools/${lb.pools[0]!.id}/members`,
      { member: { address: `10.0.${251 + (i >> 8)}.${i & 255}`, protocol_port: 8080, subnet_id: t.subnetId } }), 201, `${t.name}: POST member`);
    member.push(x.ms);
    await t.settle(lb.id);
  }
  const wrk = async (path: string, connections: number): Promise<WrkResult> => {
    const w = await wrkLoopback(`${t.base}${path}`, { connections, seconds: o.duration, headers: t.headers });
    if (w.non2xx > 0) throw new Error(`${t.name}: wrk ${path} c=${connections}: ${w.non2xx} non-2xx answers`);
    // wrk stops on time with requests still queued: a server slower than its clients (Octavia's one sync
    // worker at c = 32) goes on serving them for seconds, on the CPU the next figure is measured on.
    await quiesce(t);
    return w;
  };
  return {
    lat: { post, list100, getOne, full, member },
    wrk: { getOneC1: await wrk(one, 1), getOneC4: await wrk(one, 4), getOneC32: await wrk(one, 32), list100C4: await wrk(LIST(100), 4) },
    loadAverage: loadAverage(),
  };
}

/** CPU time (clock ticks) the target's server processes have used so far. */
function cpuTicks(t: Pick<Target, 'pids'>): number {
  let sum = 0;
  for (const pid of t.pids()) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      sum += Number(f[11]) + Number(f[12]);
    } catch {
      // gone
    }
  }
  return sum;
}

/**
 * Waits (at most 20 s) until the target's server processes are idle: under 2 clock ticks (20 ms)
 * of CPU in 250 ms. Found on 2026-12-03: after wrk's c = 32 line, Octavia's worker served the
 * abandoned queued requests for seconds, during the next line (its list at c = 4 then completed no
 * request in 4 rounds of 5) and during Fulcrum's next round. Returns how long it waited (ms).
 */
async function quiesce(t: Pick<Target, 'pids'>): Promise<number> {
  const t0 = Date.now();
  let before = cpuTicks(t);
  while (Date.now() - t0 < 20_000) {
    await sleep(250);
    const now = cpuTicks(t);
    if (now - before < 2) break;
    before = now;
  }
  return Date.now() - t0;
}

/** GET one and GET the whole list (size ≤ 1,000: one page) with `size` load balancers present. */
export interface ScaleSamples { size: number; getOne: number[]; list: number[]; loadAverage: string }

async function scaleRound(t: Target, size: number, o: Options): Promise<ScaleSamples> {
  const list = await send<{ loadbalancers: { id: string }[] }>(t, 'GET', LIST(1000));
  checkList(t, size)(list);
  const one = `/v2/lbaas/loadbalancers/${list.body.loadbalancers[size >> 1]!.id}`;
  return {
    size,
    getOne: await times(o.scaleN, () => send(t, 'GET', one), (x) => { expect(x, 200, `${t.name}: GET one`); }),
    list: await times(o.scaleN, () => send<{ loadbalancers: unknown[] }>(t, 'GET', LIST(1000)), checkList(t, size)),
    loadAverage: loadAverage(),
  };
}

/** Round k visits the targets in order, round k+1 in reverse. */
const orderOf = <T>(xs: readonly T[], k: number): T[] => (k % 2 === 0 ? [...xs] : [...xs].reverse());

// ---- summary -------------------------------------------------------------------------------

/** One figure on one target: median of round medians (min–max of rounds), p99 of all samples pooled. */
export interface Side { value: AcrossRounds; p99: number; n: number }
/** A line of the comparison. */
export interface Row {
  key: string; figure: string; unit: 'ms' | 'req/s';
  sides: Partial<Record<TargetKey, Side>>;
  /** Per round: Octavia's latency / Fulcrum's, or Fulcrum's rate / Octavia's ("× better"). */
  ratio?: AcrossRounds;
  /**
   * Rate rows: rounds in which Octavia completed no request within wrk's run. Such a round's ratio
   * is a lower bound, Fulcrum's rate over Octavia's bound (fewer than 1 request in the run:
   * under 1/duration req/s); every round still counts. Each true ratio is at least its value, so
   * the median and the min–max of the values are lower bounds of the true ones too.
   */
  boundedRounds?: number;
  goal?: number;
}

const FIGURES: Record<LatencyKey, string> = {
  post: 'POST load balancer', list100: 'GET list of 100', getOne: 'GET one load balancer',
  full: 'POST fully-populated load balancer (listener, pool, 2 members, monitor)', member: 'POST member',
};

function summarize(per: Record<TargetKey, RoundSamples[]>, scale: Record<TargetKey, ScaleSamples[]>, targets: readonly TargetKey[], duration: number): Row[] {
  const rows: Row[] = [];
  const both = targets.includes('fulcrum') && targets.includes('octavia');
  const latRow = (key: string, figure: string, get: (k: TargetKey) => number[][]): Row => {
    const sides: Row['sides'] = {};
    for (const k of targets) {
      const rs = get(k);
      sides[k] = { value: acrossRounds(rs.map(median)), p99: percentile(rs.flat(), 99), n: rs.flat().length };
    }
    const f = get('fulcrum');
    const ratio = both ? acrossRounds(get('octavia').map((x, i) => median(x) / median(f[i]!))) : undefined;
    return { key, figure, unit: 'ms', sides, ...(ratio ? { ratio } : {}), goal: GOALS.latencyRatio };
  };
  for (const k of LATENCIES) rows.push(latRow(k, FIGURES[k], (t) => per[t].map((x) => x.lat[k])));
  const at1000 = (t: TargetKey): ScaleSamples[] => scale[t].filter((x) => x.size === 1000);
  if (at1000(targets[0]!).length > 0) rows.push(latRow('list1000', 'GET list of 1,000', (t) => at1000(t).map((x) => x.list)));
  for (const k of WRKS) {
    const c = /C(\d+)$/.exec(k)![1];
    const sides: Row['sides'] = {};
    for (const t of targets) {
      sides[t] = { value: acrossRounds(per[t].map((x) => x.wrk[k].rps)), p99: median(per[t].map((x) => x.wrk[k].p99)), n: per[t].length };
    }
    // A round where Octavia finished no request within wrk's run gives a lower bound (Row.boundedRounds):
    // its rate was under one request per run. Leaving such rounds out made a ✓ from 1 round of 5.
    const octaviaBound = 1 / duration;
    const isBounded = (i: number): boolean => per.octavia[i]!.wrk[k].requests === 0;
    const ratios = both ? per.fulcrum.map((x, i) => x.wrk[k].rps / (isBounded(i) ? octaviaBound : per.octavia[i]!.wrk[k].rps)) : [];
    const boundedRounds = both ? per.fulcrum.filter((_, i) => isBounded(i)).length : 0;
    const ratio = ratios.length > 0 ? acrossRounds(ratios) : undefined;
    rows.push({ key: k, figure: `${k.startsWith('list') ? 'GET list of 100' : 'GET one'}, req/s at concurrency ${c}`, unit: 'req/s', sides,
      ...(ratio ? { ratio } : {}), ...(boundedRounds > 0 ? { boundedRounds } : {}), goal: GOALS.throughputRatio });
  }
  return rows;
}

/** Scale: per size and target, GET one and GET list medians across rounds. */
export interface ScaleRow { size: number; sides: Partial<Record<TargetKey, { getOne: Side; list: Side }>> }

function summarizeScale(scale: Record<TargetKey, ScaleSamples[]>, targets: readonly TargetKey[], sizes: readonly number[]): ScaleRow[] {
  return sizes.map((size) => {
    const sides: ScaleRow['sides'] = {};
    for (const t of targets) {
      const xs = scale[t].filter((x) => x.size === size);
      const side = (k: 'getOne' | 'list'): Side => ({ value: acrossRounds(xs.map((x) => median(x[k]))), p99: percentile(xs.flatMap((x) => x[k]), 99), n: xs.flatMap((x) => x[k]).length });
      sides[t] = { getOne: side('getOne'), list: side('list') };
    }
    return { size, sides };
  });
}

function table(rows: readonly Row[], targets: readonly TargetKey[]): string {
  const names: Record<TargetKey, string> = { fulcrum: 'Fulcrum', octavia: 'Octavia 11' };
  const lines = [
    `| figure | ${targets.map((t) => `${names[t]}: median (min–max of rounds) | p99`).join(' | ')} | Fulcrum better by (per round) | goal |`,
    `|---|${targets.map(() => '---|---|').join('')}---|---|`,
  ];
  for (const r of rows) {
    const d = r.unit === 'ms' ? 2 : 0;
    const cells = targets.map((t) => {
      const s = r.sides[t]!;
      return `${formatAcrossRounds(s.value, d)} ${r.unit} | ${s.p99.toFixed(r.unit === 'ms' ? 1 : 0)} ms`;
    });
    lines.push(`| ${r.figure} | ${cells.join(' | ')} | ${formatRatio(r, 1)} | ${r.goal !== undefined ? `≥ ${r.goal}×${goalMark(r)}` : '–'} |`);
  }
  return lines.join('\n');
}

// ---- main ------------------------------------------------------------------------------------

/** What `--json` writes; bench/report.ts reads it. */
export interface ApiResults {
  date: string; machine: Machine; loadAverage: { before: string; after: string };
  options: Options; goals: typeof GOALS; rows: Row[]; scale: ScaleRow[];
  /** Fulcrum's and Octavia's API process RSS (kB) at the end, with 1,000 load balancers. */
  rssKb: Partial<Record<TargetKey, number>>;
  perRound: Record<TargetKey, RoundSamples[]>;
  perScaleRound: Record<TargetKey, ScaleSamples[]>;
  seconds: number;
}

function rssKbOf(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

async function main(): Promise<number> {
  let o: Options;
  try {
    o = readOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench/api: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-bench-'));
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> => cleaning ??= (async () => {
    await Promise.all([...children].map((c) => stopChildProcess(c, 5000)));
    await Promise.all([...peers].map((p) => p.stop().catch((err: unknown) => process.stderr.write(`bench/api: stopping Octavia: ${(err as Error).message}\n`))));
    rmSync(dir, { recursive: true, force: true });
  })();
  let isInterrupted = false;
  process.once('SIGINT', () => {
    isInterrupted = true;
    process.stderr.write('bench/api: interrupted; stopping the servers and removing their data\n');
    void cleanup().finally(() => process.exit(130));
  });
  const log = (s: string): void => { process.stderr.write(`bench/api: ${s}\n`); };
  try {
    const started = Date.now();
    const loadBefore = loadAverage();
    const targets: Target[] = [];
    for (const k of o.targets) {
      log(`starting ${k}…`);
      targets.push(k === 'fulcrum' ? await startFulcrum(dir, o) : await startOctavia(o));
    }
    for (const t of targets) {
      const first = (await createLb(t, 'warm-up')).body.loadbalancer.id;
      for (let i = 0; i < 20; i++) expect(await send(t, 'GET', `/v2/lbaas/loadbalancers/${first}`), 200, `${t.name}: warm-up`);
    }
    const per = { fulcrum: [], octavia: [] } as Record<TargetKey, RoundSamples[]>;
    const scale = { fulcrum: [], octavia: [] } as Record<TargetKey, ScaleSamples[]>;
    const scaleStep = async (size: number): Promise<void> => {
      for (const t of targets) {
        const t0 = Date.now();
        await t.growTo(size);
        log(`${t.name}: grown to ${size} load balancers in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
      const rounds = Math.min(o.rounds, 3);
      for (let k = 0; k < rounds; k++) {
        for (const t of orderOf(targets, k)) {
          for (const u of targets) await quiesce(u);
          const x = await scaleRound(t, size, o);
          scale[t.key].push(x);
          log(`scale ${size}, round ${k + 1}/${rounds}, ${t.name}: GET one ${median(x.getOne).toFixed(2)} ms, list ${median(x.list).toFixed(2)} ms`);
        }
      }
    };
    for (const size of o.sizes.filter((s) => s <= 100)) await scaleStep(size);
    for (let k = 0; k < o.rounds; k++) {
      for (const t of orderOf(targets, k)) {
        for (const u of targets) await quiesce(u);
        const x = await round(t, k, o);
        per[t.key].push(x);
        log(`round ${k + 1}/${o.rounds}, ${t.name} (${t.count} LBs, load ${x.loadAverage}): POST ${median(x.lat.post).toFixed(2)} ms, `
          + `list100 ${median(x.lat.list100).toFixed(2)}, GET ${median(x.lat.getOne).toFixed(2)}, full ${median(x.lat.full).toFixed(2)}, `
          + `member ${median(x.lat.member).toFixed(2)} ms; wrk GET c1/4/32 ${WRKS.slice(0, 3).map((w) => x.wrk[w].rps.toFixed(0)).join('/')} req/s`);
      }
    }
    for (const size of o.sizes.filter((s) => s > 100)) await scaleStep(size);
    const rssKb: ApiResults['rssKb'] = {};
      for (const t of targets) rssKb[t.key] = t.pids().reduce((a, p) => a + rssKbOf(p), 0);
    const rows = summarize(per, scale, o.targets, o.duration);
    const scaleRows = summarizeScale(scale, o.targets, o.sizes);
    const seconds = (Date.now() - started) / 1000;
    const results: ApiResults = {
      date: new Date().toISOString(), machine: describeMachine(), loadAverage: { before: loadBefore, after: loadAverage() },
      options: o, goals: GOALS, rows, scale: scaleRows, rssKb, perRound: per, perScaleRound: scale, seconds,
    };
    process.stdout.write([
      `API bench, ${results.date.slice(0, 16)}Z, ${formatMachine(results.machine)}; load average before ${loadBefore}, after ${results.loadAverage.after}.`,
      `Fulcrum: fulcrum up, ${o.database ? 'PostgreSQL' : 'SQLite'}, noop provider, ${o.auth}. Octavia 11: octavia-api (Debian), MODE=apionly, SQLite, noop provider, 1 gunicorn sync worker, noauth.`,
      `${o.rounds} interleaved rounds × ${o.n} requests (writes: ${o.nWrite}), new connection each; wrk ${o.duration} s per line per round.`,
      '', table(rows, o.targets), '',
      ...scaleRows.map((s) => `with ${s.size} load balancers: ${o.targets.map((t) => `${t} GET one ${s.sides[t]!.getOne.value.median.toFixed(2)} ms, list ${s.sides[t]!.list.value.median.toFixed(2)} ms`).join('; ')}`),
      `API process RSS at the end: ${o.targets.map((t) => `${t} ${((rssKb[t] ?? NaN) / 1024).toFixed(0)} MB`).join(', ')}`,
      `measured in ${seconds.toFixed(0)} s\n`,
    ].join('\n'));
    if (o.json) writeFileSync(o.json, `${JSON.stringify(results, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (isInterrupted) return 130; // the children were killed under it: not a failure worth a stack
    throw err;
  } finally {
    await cleanup();
  }
}

// Run only as a program: bench/report.ts imports this module's types and helpers.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then((code) => { process.exitCode = code; }, (err: unknown) => {
    process.stderr.write(`bench/api: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
