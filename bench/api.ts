/**
 * @module bench/api — latency and req/s of `fulcrum up`'s Octavia API beside Octavia 11's figures and our goals.
 *
 *   node dist/bench/api.js [--rounds 5] [--n 100] [--duration 3] [--database URL] [--auth noauth|embedded] [--json FILE]
 *
 * `--auth embedded` runs the server as `fulcrum up` runs by default, and every request carries the
 * demo user's token (validated on each request), so the cost of authentication shows.
 *
 * Starts the real server (noop provider, SQLite unless --database), makes a network and subnet over
 * the Neutron API, then per round: N × POST load balancer, N × GET list of 100, N × GET one, on one
 * keep-alive connection; N × GET one on a new connection per request, which is how
 * ../shared/peers/octavia/bench-results.md measured Octavia; then wrk on GET one at c = 1, 4, 32 and
 * on the list of 100 at c = 4 (Octavia's wrk line). Each figure is the median over rounds with the
 * min–max of the rounds. Load balancers accumulate: round r POSTs with r·N already present.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { acrossRounds, formatAcrossRounds, median, percentile, type AcrossRounds } from './lib/stats.js';
import { stopChildProcess } from './lib/process.js';

const USAGE = 'usage: node dist/bench/api.js [--rounds 5] [--n 100] [--duration 3] [--database URL] [--auth noauth|embedded] [--json FILE]';

/** The command line, checked. */
interface Options { rounds: number; n: number; duration: number; auth: 'noauth' | 'embedded'; database?: string; json?: string }

function readOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '5' }, n: { type: 'string', default: '100' },
      duration: { type: 'string', default: '3' }, database: { type: 'string' }, json: { type: 'string' },
      auth: { type: 'string', default: 'noauth' },
    },
  });
  if (values.auth !== 'noauth' && values.auth !== 'embedded') throw new Error(`--auth must be noauth or embedded (got '${values.auth}')`);
  const positiveInt = (name: 'rounds' | 'n' | 'duration'): number => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer (got '${values[name]}')`);
    return v;
  };
  return {
    rounds: positiveInt('rounds'), n: positiveInt('n'), duration: positiveInt('duration'), auth: values.auth,
    ...(values.database ? { database: values.database } : {}), ...(values.json ? { json: values.json } : {}),
  };
}

const PROJECT = 'bench';
/** Who every request acts as: noauth's project, or (`--auth embedded`) the demo user's token. */
let asCaller: Record<string, string> = { 'x-project-id': PROJECT };
const LIST = '/v2/lbaas/loadbalancers?limit=100';

/** Octavia 11, MODE=apionly, SQLite, noop provider (the like-for-like row of bench-results.md). */
const OCTAVIA = { post: 22.6, list100: 36.0, getOne: 14.6, wrkList100C4: 25.3 };
/** Not measured there: one sync worker serves 1 / 14.6 ms whatever the concurrency ("concurrency just queues"). */
const OCTAVIA_GET_ONE_RPS = 1000 / OCTAVIA.getOne;
const GOALS = { post: 2.5, list100: 5, getOne: 1.5, rps: 2000 };

/** One answer and how long it took, from writing the request to the last byte of the body. */
interface Reply<T> { ms: number; status: number; body: T }

/** Sends one request; `agent: false` opens a new connection for it. */
function send<T>(base: string, agent: Agent | false, method: string, path: string, body?: unknown): Promise<Reply<T>> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = request(`${base}${path}`, {
      method, agent,
      headers: { ...asCaller, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const text = Buffer.concat(chunks).toString();
        const isJson = String(res.headers['content-type']).startsWith('application/json');
        try {
          resolve({ ms, status: res.statusCode ?? 0, body: (isJson ? JSON.parse(text) : text) as T });
        } catch (err) {
          reject(new Error(`${method} ${path}: ${res.statusCode} answer is not JSON: ${text.slice(0, 200)}`, { cause: err }));
        }
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Throws unless the reply has the expected status. */
function expect<T>(r: Reply<T>, status: number, what: string): Reply<T> {
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

/** What one wrk run reports. */
interface WrkResult { rps: number; p50: number; p99: number }

const UNIT_MS: Record<string, number> = { us: 1e-3, ms: 1, s: 1000, m: 60_000 };
/** Parses `wrk --latency` output; throws on socket errors or non-2xx answers, which would flatter the figure. */
function parseWrk(out: string): WrkResult {
  const lat = (p: number): number => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    if (!m) throw new Error(`wrk output has no ${p}% latency:\n${out}`);
    return Number(m[1]) * UNIT_MS[m[2]!]!;
  };
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  const bad = /Non-2xx or 3xx responses: (\d+)|Socket errors: .*/.exec(out);
  if (!rps || bad) throw new Error(`wrk: ${bad ? bad[0] : 'no Requests/sec'}\n${out}`);
  return { rps: Number(rps[1]), p50: lat(50), p99: lat(99) };
}

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as { port: number };
  s.close();
  await once(s, 'close');
  return port;
}

/** Child processes this bench started, stopped by PID on exit, error or SIGINT. */
const children = new Set<ChildProcess>();

async function stopChild(child: ChildProcess): Promise<void> {
  await stopChildProcess(child, 5000);
  children.delete(child);
}

function startChild(cmd: string, args: readonly string[], stdout: 'ignore' | 'pipe'): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', stdout, 'inherit'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

async function runWrk(url: string, connections: number, seconds: number): Promise<WrkResult> {
  const child = startChild('wrk', ['--latency', '-t', String(Math.min(2, connections)), '-c', String(connections),
    '-d', `${seconds}s`, ...Object.entries(asCaller).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url], 'pipe');
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  const [code] = await once(child, 'exit') as [number | null];
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${out}`);
  return parseWrk(out);
}

/** Starts `fulcrum up` and resolves once GET /healthcheck answers 200. */
async function startServer(dir: string, base: string, port: number, o: Options): Promise<ChildProcess> {
  const { database } = o;
  const mainJs = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.js');
  const server = startChild(process.execPath, [mainJs, 'up', '--data-dir', dir, '--listen', `127.0.0.1:${port}`,
    '--auth', o.auth, '--provider', 'noop', '--interface-driver', 'host', '--log-level', 'warn',
    ...(database ? ['--database', database] : [])], 'ignore');
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode} before it was healthy`);
    const ok = await send(base, false, 'GET', '/healthcheck').then((r) => r.status === 200, () => false);
    if (ok) {
      if (o.auth === 'embedded') asCaller = { 'x-auth-token': await demoToken(base, dir) };
      return server;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the server was not healthy within 30 s');
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

/** One round's raw latencies (ms) and wrk results. */
interface Round {
  post: number[]; list100: number[]; getOne: number[]; getOneNewConnection: number[];
  wrk: Record<'getOneC1' | 'getOneC4' | 'getOneC32' | 'list100C4', WrkResult>;
}

async function bench(base: string, o: Options): Promise<Round[]> {
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
  const call = <T>(method: string, path: string, body?: unknown): Promise<Reply<T>> => send<T>(base, keepAlive, method, path, body);
  const net = expect(await call<{ network: { id: string } }>('POST', '/v2.0/networks', { network: { name: 'bench' } }), 201, 'POST network');
  const subnet = expect(await call<{ subnet: { id: string } }>('POST', '/v2.0/subnets',
    { subnet: { network_id: net.body.network.id, cidr: '10.0.0.0/16', ip_version: 4 } }), 201, 'POST subnet');
  const createLb = async (name: string): Promise<Reply<{ loadbalancer: { id: string } }>> => expect(
    await call<{ loadbalancer: { id: string } }>('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name, vip_subnet_id: subnet.body.subnet.id } }),
    201, 'POST load balancer');
  const times = async <T>(check: (r: Reply<T>) => void, fn: () => Promise<Reply<T>>): Promise<number[]> => {
    const ms: number[] = [];
    for (let i = 0; i < o.n; i++) {
      const r = await fn();
      check(r);
      ms.push(r.ms);
    }
    return ms;
  };
  let count = 0;
  const rounds: Round[] = [];
  try {
    for (let r = 0; r < o.rounds; r++) {
      const ids: string[] = [];
      const post = await times((x) => { ids.push(x.body.loadbalancer.id); }, () => createLb(`lb-${r}-${count++}`));
      while (count < 100) await createLb(`filler-${count++}`); // the list needs ≥ 100 to return 100
      const list100 = await times((x) => {
        if (expect(x, 200, 'GET list').body.loadbalancers.length !== 100) throw new Error(`GET list: ${x.body.loadbalancers.length} load balancers, not 100`);
      }, () => call<{ loadbalancers: unknown[] }>('GET', LIST));
      const one = `/v2/lbaas/loadbalancers/${ids[ids.length >> 1]}`;
      const isOne = (x: Reply<unknown>): void => { expect(x, 200, 'GET one'); };
      const getOne = await times(isOne, () => call('GET', one));
      const getOneNewConnection = await times(isOne, () => send(base, false, 'GET', one));
      const wrk = {
        getOneC1: await runWrk(`${base}${one}`, 1, o.duration), getOneC4: await runWrk(`${base}${one}`, 4, o.duration),
        getOneC32: await runWrk(`${base}${one}`, 32, o.duration), list100C4: await runWrk(`${base}${LIST}`, 4, o.duration),
      };
      rounds.push({ post, list100, getOne, getOneNewConnection, wrk });
      process.stderr.write(`round ${r + 1}/${o.rounds} (${count} LBs): POST ${median(post).toFixed(2)} ms, list100 ${median(list100).toFixed(2)} ms, `
        + `GET ${median(getOne).toFixed(2)} ms, GET new conn ${median(getOneNewConnection).toFixed(2)} ms, `
        + `wrk GET c1/4/32 ${wrk.getOneC1.rps.toFixed(0)}/${wrk.getOneC4.rps.toFixed(0)}/${wrk.getOneC32.rps.toFixed(0)} req/s\n`);
    }
  } finally {
    keepAlive.destroy();
  }
  return rounds;
}

/** A line of the results table: figure, Fulcrum's value across rounds, p99 (median over rounds), goal, Octavia, ratio. */
interface Row { figure: string; value: AcrossRounds; p99: number; unit: 'ms' | 'req/s'; goal?: number; octavia?: number; octaviaNote?: string }

function summarize(rounds: readonly Round[]): Row[] {
  const lat = (k: 'post' | 'list100' | 'getOne' | 'getOneNewConnection') =>
    ({ value: acrossRounds(rounds.map((x) => median(x[k]))), p99: median(rounds.map((x) => percentile(x[k], 99))), unit: 'ms' as const });
  const wrk = (k: keyof Round['wrk']) =>
    ({ value: acrossRounds(rounds.map((x) => x.wrk[k].rps)), p99: median(rounds.map((x) => x.wrk[k].p99)), unit: 'req/s' as const });
  return [
    { figure: 'POST load balancer', ...lat('post'), goal: GOALS.post, octavia: OCTAVIA.post },
    { figure: 'GET list of 100', ...lat('list100'), goal: GOALS.list100, octavia: OCTAVIA.list100 },
    { figure: 'GET one', ...lat('getOne'), goal: GOALS.getOne, octavia: OCTAVIA.getOne },
    { figure: 'GET one, new connection each (Octavia\'s method)', ...lat('getOneNewConnection'), goal: GOALS.getOne, octavia: OCTAVIA.getOne },
    ...([1, 4, 32] as const).map((c) => ({ figure: `GET one, wrk c=${c}`, ...wrk(`getOneC${c}`), goal: GOALS.rps,
      octavia: OCTAVIA_GET_ONE_RPS, octaviaNote: '(1/14.6 ms)' })),
    { figure: 'GET list of 100, wrk c=4', ...wrk('list100C4'), octavia: OCTAVIA.wrkList100C4 },
  ];
}

function table(rows: readonly Row[]): string {
  const lines = [
    '| figure | Fulcrum: median of rounds (min–max) | p99 | goal | Octavia 11 | better than Octavia |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const isMs = r.unit === 'ms';
    const meets = r.goal === undefined ? '' : (isMs ? r.value.median <= r.goal : r.value.median >= r.goal) ? ' ✓' : ' ✗';
    const goal = r.goal === undefined ? '–' : `${isMs ? '≤' : '≥'} ${r.goal} ${r.unit}${meets}`;
    const octavia = r.octavia === undefined ? '–' : `${r.octavia.toFixed(isMs ? 1 : 0)} ${r.unit}${r.octaviaNote ? ` ${r.octaviaNote}` : ''}`;
    const ratio = r.octavia === undefined ? '–' : `${(isMs ? r.octavia / r.value.median : r.value.median / r.octavia).toFixed(1)}×`;
    lines.push(`| ${r.figure} | ${formatAcrossRounds(r.value, isMs ? 2 : 0)} ${r.unit} | ${r.p99.toFixed(2)} ms | ${goal} | ${octavia} | ${ratio} |`);
  }
  return lines.join('\n');
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
    await Promise.all([...children].map(stopChild));
    rmSync(dir, { recursive: true, force: true });
  })();
  let isInterrupted = false;
  process.once('SIGINT', () => {
    isInterrupted = true;
    process.stderr.write('bench/api: interrupted; stopping the server and removing its data\n');
    void cleanup().finally(() => process.exit(130));
  });
  try {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    await startServer(dir, base, port, o);
    const started = Date.now();
    const rounds = await bench(base, o);
    const rows = summarize(rounds);
    process.stdout.write([
      `Fulcrum API bench, ${new Date().toISOString().slice(0, 16)}Z, ${availableParallelism()} CPUs, ${o.database ? 'PostgreSQL' : 'SQLite'}, noop provider, `
        + `${o.auth === 'embedded' ? 'embedded identity (X-Auth-Token validated on every request)' : 'noauth'}:`,
      `${o.rounds} rounds × ${o.n} sequential requests (keep-alive unless noted; p99 is the median of the rounds' p99),`,
      `wrk ${o.duration} s per line per round (p99 from wrk --latency); Octavia 11: MODE=apionly, SQLite, noop provider.`,
      '', table(rows), '', `measured in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
    ].join('\n'));
    if (o.json) {
      writeFileSync(o.json, `${JSON.stringify({ date: new Date().toISOString(), cpus: availableParallelism(),
        database: o.database ? 'postgresql' : 'sqlite', auth: o.auth, rounds: o.rounds, n: o.n, duration: o.duration, rows,
        perRound: rounds.map((x) => ({ post: median(x.post), list100: median(x.list100), getOne: median(x.getOne),
          getOneNewConnection: median(x.getOneNewConnection), wrk: x.wrk })) }, null, 2)}\n`);
    }
    return 0;
  } catch (err) {
    if (isInterrupted) return 130; // the children were killed under it: not a failure worth a stack
    throw err;
  } finally {
    await cleanup();
  }
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`bench/api: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
