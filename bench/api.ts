/**
 * @module bench/api — control-plane latency and throughput of `fulcrum up` (SQLite, noop
 * provider), measured the way ../shared/peers/octavia/bench-results.md measured Octavia 11:
 * sequential requests on a new TCP connection each, medians; then wrk. Prints each figure as the
 * median over rounds with its spread, beside the goal and Octavia's figure.
 *   node dist/bench/api.js [--rounds 5] [--n 100] [--duration 5] [--database URL] [--json FILE]
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, percentile, spread } from './lib/stats.js';

const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' }, n: { type: 'string', default: '100' },
    duration: { type: 'string', default: '5' }, database: { type: 'string' }, json: { type: 'string' },
  },
});
const ROUNDS = Number(opt.rounds);
const N = Number(opt.n);
const DURATION = Number(opt.duration);
const PROJECT = 'bench';

/** Octavia 11's figures (MODE=apionly, SQLite, noop provider) from bench-results.md, and our goals. */
const OCTAVIA = { post: 22.6, list100: 36.0, getOne: 14.6, wrkListC4: 25.3 };
const GOALS = { post: 2.5, list100: 5, getOne: 1.5, rps: 2000 };

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

let base = '';
/** One request on a new connection (as Octavia's bench.py); resolves with [ms, status, body]. */
function timed(method: string, path: string, body?: unknown): Promise<[number, number, any]> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = request(`${base}${path}`, {
      method, agent: false,
      headers: { 'x-project-id': PROJECT, connection: 'close', ...(payload ? { 'content-type': 'application/json' } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const text = Buffer.concat(chunks).toString();
        const isJson = String(res.headers['content-type'] ?? '').includes('json');
        try {
          resolve([ms, res.statusCode ?? 0, text && isJson ? JSON.parse(text) : text]);
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function must(method: string, path: string, body?: unknown): Promise<any> {
  const [, status, json] = await timed(method, path, body);
  if (status >= 300) throw new Error(`${method} ${path}: ${status} ${JSON.stringify(json)}`);
  return json;
}

function wrk(path: string, connections: number): number {
  const out = execFileSync('wrk', ['-t', String(Math.min(2, connections)), '-c', String(connections), '-d', `${DURATION}s`,
    '-H', `X-Project-Id: ${PROJECT}`, `${base}${path}`], { encoding: 'utf8' });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (errors) throw new Error(`wrk saw ${errors[1]} non-2xx answers on ${path}`);
  return m ? Number(m[1]) : NaN;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-bench-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const mainJs = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.js');
  const server = spawn(process.execPath, [mainJs, 'up', '--data-dir', dir, '--listen', `127.0.0.1:${port}`, '--auth', 'noauth',
    '--provider', 'noop', '--interface-driver', 'host', '--log-level', 'warn', ...(opt.database ? ['--database', opt.database] : [])],
  { stdio: ['ignore', 'ignore', 'inherit'] });
  const stop = () => {
    if (server.exitCode === null) server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => { stop(); process.exit(130); });
  try {
    for (let i = 0; ; i++) {
      const ok = await timed('GET', '/healthcheck').then(([, s]) => s === 200, () => false);
      if (ok) break;
      if (i > 300) throw new Error('the server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const net = (await must('POST', '/v2.0/networks', { network: { name: 'bench' } })).network;
    const subnet = (await must('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.0.0.0/16' } })).subnet;
    const rounds: { post: number[]; list100: number[]; getOne: number[] }[] = [];
    let someId = '';
    for (let r = 0; r < ROUNDS; r++) {
      const post: number[] = [];
      for (let i = 0; i < N; i++) {
        const [ms, status, body] = await timed('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: `lb-${r}-${i}`, vip_subnet_id: subnet.id } });
        if (status !== 201) throw new Error(`POST: ${status} ${JSON.stringify(body)}`);
        post.push(ms);
        someId = body.loadbalancer.id;
      }
      const list100: number[] = [];
      for (let i = 0; i < N; i++) {
        const [ms, , body] = await timed('GET', '/v2/lbaas/loadbalancers?limit=100');
        if (body.loadbalancers.length !== Math.min(100, (r + 1) * N)) throw new Error('the list is short of load balancers');
        list100.push(ms);
      }
      const getOne: number[] = [];
      for (let i = 0; i < N; i++) getOne.push((await timed('GET', `/v2/lbaas/loadbalancers/${someId}`))[0]);
      rounds.push({ post, list100, getOne });
      process.stderr.write(`round ${r + 1}/${ROUNDS}: POST ${median(post).toFixed(2)} ms, list100 ${median(list100).toFixed(2)} ms, GET ${median(getOne).toFixed(2)} ms\n`);
    }
    const rps: Record<string, number> = {};
    for (const c of [1, 4, 32]) rps[`getOne_c${c}`] = wrk(`/v2/lbaas/loadbalancers/${someId}`, c);
    rps.list100_c4 = wrk('/v2/lbaas/loadbalancers?limit=100', 4);

    const lat = (k: 'post' | 'list100' | 'getOne') => {
      const meds = rounds.map((x) => median(x[k]));
      const p99s = rounds.map((x) => percentile(x[k], 99));
      return { median: median(meds), spread: spread(meds), p99: median(p99s) };
    };
    const post = lat('post');
    const list100 = lat('list100');
    const getOne = lat('getOne');
    const cpus = execFileSync('nproc', { encoding: 'utf8' }).trim();
    const lines = [
      `Fulcrum API bench — ${new Date().toISOString().slice(0, 16)}Z, ${cpus} CPUs, ${opt.database ? 'PostgreSQL' : 'SQLite'}, noop provider,`,
      `${ROUNDS} rounds × ${N} sequential requests on new connections; wrk ${DURATION} s per line`,
      '',
      '| figure | Fulcrum median (min–max of rounds) | p99 | goal | Octavia 11 | Octavia / Fulcrum |',
      '|---|---|---|---|---|---|',
      `| POST load balancer | ${post.median.toFixed(2)} ms (${post.spread}) | ${post.p99.toFixed(2)} ms | ≤ ${GOALS.post} ms | ${OCTAVIA.post} ms | ${(OCTAVIA.post / post.median).toFixed(1)}× |`,
      `| GET list of 100 | ${list100.median.toFixed(2)} ms (${list100.spread}) | ${list100.p99.toFixed(2)} ms | ≤ ${GOALS.list100} ms | ${OCTAVIA.list100} ms | ${(OCTAVIA.list100 / list100.median).toFixed(1)}× |`,
      `| GET one | ${getOne.median.toFixed(2)} ms (${getOne.spread}) | ${getOne.p99.toFixed(2)} ms | ≤ ${GOALS.getOne} ms | ${OCTAVIA.getOne} ms | ${(OCTAVIA.getOne / getOne.median).toFixed(1)}× |`,
      `| GET one, wrk c=1 / 4 / 32 | ${rps.getOne_c1!.toFixed(0)} / ${rps.getOne_c4!.toFixed(0)} / ${rps.getOne_c32!.toFixed(0)} req/s | | ≥ ${GOALS.rps} req/s | | |`,
      `| GET list of 100, wrk c=4 | ${rps.list100_c4!.toFixed(0)} req/s | | | ${OCTAVIA.wrkListC4} req/s | ${(rps.list100_c4! / OCTAVIA.wrkListC4).toFixed(0)}× |`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (opt.json) writeFileSync(opt.json, JSON.stringify({ date: new Date().toISOString(), cpus, rounds: ROUNDS, n: N, post, list100, getOne, rps }, null, 2));
  } finally {
    stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/api: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
