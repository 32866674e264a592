/**
 * @module test/helpers/openstack-cli — what the e2e tests of Debian's real OpenStack clients share:
 * `fulcrum up` started as a user starts it (embedded identity, in a temporary data dir, on a free
 * loopback port) with the demo and admin openrc environments it writes, the clients run with a
 * clean environment (PATH, a temporary HOME, LANG and an openrc's OS_* variables), and parsers for
 * cliff's tables. The server is stopped by its PID and its directory removed by `stop()`.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, stopChildProcess } from '../../bench/lib/process.js';

export { freePort };
import { parseOpenrc } from '../../src/cli/session.js';
import { until } from './scene.js';

export const NEUTRON = '/usr/bin/neutron';
export const OPENSTACK = '/usr/bin/openstack';
/** Debian's interpreter, where python3-openstacksdk lives (not a pyenv shim from PATH). */
export const PYTHON = '/usr/bin/python3';
export const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Generous: a client that hangs fails its test instead of the whole run. */
export const CLIENT_TIMEOUT_MS = 60_000;

export interface Run { code: number; out: string; err: string }
export type Env = Record<string, string>;

/**
 * Why a test file is skipped: the clients that are missing (commands that must answer `--help`,
 * Python modules Debian's interpreter must import), or false.
 */
export function missingClients(bins: readonly (readonly [path: string, pkg: string])[], modules: readonly (readonly [module: string, pkg: string])[] = []): string | false {
  const missing: string[] = [];
  for (const [bin, pkg] of bins) {
    if (spawnSync(bin, ['--help'], { stdio: 'ignore', timeout: 30_000 }).status !== 0) missing.push(pkg);
  }
  for (const [module, pkg] of modules) {
    if (spawnSync(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore', timeout: 30_000 }).status !== 0) missing.push(pkg);
  }
  return missing.length > 0 ? `not installed: ${missing.join(', ')} (apt-get install them, or bash scripts/install-system-deps.sh --test)` : false;
}


/** Runs a client asynchronously (the server is another process, but the test must not block). */
export function run(bin: string, args: readonly string[], env: Env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(bin, args, { env, timeout: CLIENT_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, out, err) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
      resolve({ code, out, err: error && code === -1 ? `${err}\n${error.message}` : err });
    });
  });
}

/** Runs a client command that must succeed, returning its stdout. */
export async function ok(bin: string, env: Env, ...args: string[]): Promise<string> {
  const r = await run(bin, args, env);
  assert.equal(r.code, 0, `${bin} ${args.join(' ').slice(0, 200)} exited ${r.code}: ${r.err}`);
  return r.out;
}
export const neutron = (env: Env, ...args: string[]): Promise<string> => ok(NEUTRON, env, ...args);
export const openstack = (env: Env, ...args: string[]): Promise<string> => ok(OPENSTACK, env, ...args);
export const openstackJson = async <T = any>(env: Env, ...args: string[]): Promise<T> => JSON.parse(await openstack(env, ...args, '-f', 'json')) as T;

/** A `Field | Value` table as cliff prints it; continuation lines join the value with newlines. */
export function fields(out: string): Record<string, string> {
  const table: Record<string, string> = {};
  let last = '';
  for (const line of out.split('\n')) {
    const m = /^\| (.*?)\s*\| (.*?)\s*\|$/.exec(line);
    if (!m || m[1] === 'Field') continue;
    if (m[1] === '') table[last] += `\n${m[2]}`;
    else table[(last = m[1]!)] = m[2]!;
  }
  return table;
}

/** A list table: one record per row, keyed by the header's columns. */
export function rows(out: string): Record<string, string>[] {
  const lines = out.split('\n').filter((l) => l.startsWith('|')).map((l) => l.slice(1, -1).split('|').map((c) => c.trim()));
  const [head, ...body] = lines;
  return body.map((cells) => Object.fromEntries((head ?? []).map((h, i) => [h, cells[i] ?? ''])));
}

/** A project-scoped token from the identity service, with an openrc's credentials. */
export async function login(env: Env): Promise<{ token: string; projectId: string }> {
  const r = await fetch(`${env.OS_AUTH_URL}/auth/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: env.OS_USERNAME, domain: { name: env.OS_USER_DOMAIN_NAME }, password: env.OS_PASSWORD } } },
        scope: { project: { name: env.OS_PROJECT_NAME, domain: { name: env.OS_PROJECT_DOMAIN_NAME } } },
      },
    }),
  });
  assert.equal(r.status, 201, await r.clone().text());
  const body = await r.json() as { token: { project: { id: string } } };
  return { token: r.headers.get('x-subject-token')!, projectId: body.token.project.id };
}

/** A running `fulcrum up` and the environments its clients use. */
export interface FulcrumUp {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** The temporary directory holding the data dir and HOME. */
  tmp: string;
  dataDir: string;
  home: string;
  child: ChildProcess;
  /** The clean environment every client gets, before its credentials. */
  base: Env;
  /** `base` with the demo-openrc / admin-openrc that `fulcrum up` wrote. */
  demo: Env;
  admin: Env;
  /** What the server printed so far. */
  output(): string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its directory. */
  stop(): Promise<void>;
}

export interface FulcrumUpOptions {
  /** Prefix of the temporary directory (`fulcrum-clients-`). */
  name: string;
  /** Options after `up --data-dir … --listen …`. */
  args: readonly string[];
  /** Extra environment of the server. */
  env?: Env;
}

/** Starts `fulcrum up` with embedded identity and waits until it answers `/healthcheck`. */
export async function startFulcrumUp(opts: FulcrumUpOptions): Promise<FulcrumUp> {
  const tmp = mkdtempSync(join(tmpdir(), opts.name));
  const dataDir = join(tmp, 'data');
  const home = join(tmp, 'home');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child = spawn(process.execPath, [MAIN, 'up', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, ...opts.args], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: home, ...opts.env },
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const stop = async (): Promise<void> => {
    await stopChildProcess(child, 5000);
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    await until('fulcrum up answering /healthcheck', async () => {
      if (child.exitCode !== null) throw new Error(`fulcrum up exited ${child.exitCode}: ${output}`);
      return (await fetch(`${url}/healthcheck`)).status === 200 ? true : undefined;
    }, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}; output: ${output}`);
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const base: Env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: home, LANG: 'C.UTF-8' };
  return {
    url, tmp, dataDir, home, child, base,
    demo: { ...base, ...parseOpenrc(readFileSync(join(dataDir, 'demo-openrc'), 'utf8')) },
    admin: { ...base, ...parseOpenrc(readFileSync(join(dataDir, 'admin-openrc'), 'utf8')) },
    output: () => output,
    stop,
  };
}

/**
 * The test's own view of the API (not a client's), to wait between client steps: GET with a token,
 * and waits for a load balancer to be ACTIVE (so the next write is not a 409) or gone (404).
 * `url` and `token` are read at each call (tests set them in `before`).
 */
export function apiView(url: () => string, token: () => string): {
  apiGet(path: string, token?: string): Promise<{ status: number; body: any }>;
  active(lbId: string): Promise<void>;
  gone(lbId: string): Promise<void>;
} {
  const apiGet = async (path: string, t = token()): Promise<{ status: number; body: any }> => {
    const r = await fetch(`${url()}${path}`, { headers: { 'x-auth-token': t } });
    return { status: r.status, body: r.status === 204 ? null : await r.json() };
  };
  return {
    apiGet,
    async active(lbId) {
      await until(`load balancer ${lbId} ACTIVE`, async () => {
        const r = await apiGet(`/v2/lbaas/loadbalancers/${lbId}`);
        assert.notEqual(r.body?.loadbalancer?.provisioning_status, 'ERROR', JSON.stringify(r.body));
        return r.body?.loadbalancer?.provisioning_status === 'ACTIVE' ? true : undefined;
      }, 20_000);
    },
    async gone(lbId) {
      await until(`load balancer ${lbId} deleted`, async () => ((await apiGet(`/v2/lbaas/loadbalancers/${lbId}`)).status === 404 ? true : undefined), 20_000);
    },
  };
}
