/**
 * @module test/e2e/operator.test — the operator features through Debian's real openstackclient
 * (python3-octaviaclient) against `fulcrum up` as a user starts it (embedded identity, the HAProxy
 * provider on the netns driver, `--host`): quota show/set/list/reset and the 403 a tenant gets
 * over quota, flavorprofile and flavor create/list/show, availabilityzoneprofile and
 * availabilityzone create/list, provider capability list, a load balancer created with a flavor
 * and a zone whose HAProxy runs with the flavor's maxconn, amphora list/show and loadbalancer
 * failover. Skipped when the clients are not installed (scripts/install-system-deps.sh --test).
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { stopChildProcess } from '../../bench/lib/process.js';
import { parseOpenrc } from '../../src/cli/session.js';
import { NetnsInterfaceDriver } from '../../src/drivers/interface/netns.js';
import { killNamespaceProcesses, netnsExists } from '../../src/drivers/sys/ip.js';
import { until } from '../helpers/scene.js';

const OPENSTACK = '/usr/bin/openstack';
/** Debian's interpreter, where python3-openstacksdk lives (not a pyenv shim from PATH). */
const PYTHON = '/usr/bin/python3';
const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Generous: a client that hangs fails its test instead of the whole run. */
const CLIENT_TIMEOUT_MS = 60_000;

/** Why the file is skipped: the clients that are missing, or false. */
function missingClients(): string | false {
  const missing: string[] = [];
  for (const [bin, pkg] of [[OPENSTACK, 'python3-openstackclient']] as const) {
    if (spawnSync(bin, ['--help'], { stdio: 'ignore', timeout: 30_000 }).status !== 0) missing.push(pkg);
  }
  for (const [module, pkg] of [['octaviaclient', 'python3-octaviaclient']] as const) {
    if (spawnSync(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore', timeout: 30_000 }).status !== 0) missing.push(pkg);
  }
  return missing.length > 0 ? `not installed: ${missing.join(', ')} (apt-get install them, or bash scripts/install-system-deps.sh --test)` : false;
}
const skip = missingClients();

interface Run { code: number; out: string; err: string }
type Env = Record<string, string>;

let tmp = '';
let dataDir = '';
let url = '';
let child: ChildProcess | undefined;
let childOutput = '';
/** The clean environment every client gets, before its credentials. */
let base: Env = {};
let demo: Env = {};
let admin: Env = {};
/** demo's project id, from its token. */
let demoProject = '';
/** A demo token for the test's own polling (not a client's). */
let demoToken = '';

/** A free loopback port (closed again before `fulcrum up` binds it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs a client asynchronously (the server is another process, but the test must not block). */
function run(bin: string, args: readonly string[], env: Env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(bin, args, { env, timeout: CLIENT_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, out, err) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
      resolve({ code, out, err: error && code === -1 ? `${err}\n${error.message}` : err });
    });
  });
}

/** Runs a client command that must succeed, returning its stdout. */
async function ok(bin: string, env: Env, ...args: string[]): Promise<string> {
  const r = await run(bin, args, env);
  assert.equal(r.code, 0, `${bin} ${args.join(' ')} exited ${r.code}: ${r.err}`);
  return r.out;
}
const openstack = (env: Env, ...args: string[]): Promise<string> => ok(OPENSTACK, env, ...args);
const openstackJson = async <T = any>(env: Env, ...args: string[]): Promise<T> => JSON.parse(await openstack(env, ...args, '-f', 'json')) as T;

/** A `Field | Value` table as cliff prints it; continuation lines join the value with newlines. */
function fields(out: string): Record<string, string> {
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
function rows(out: string): Record<string, string>[] {
  const lines = out.split('\n').filter((l) => l.startsWith('|')).map((l) => l.slice(1, -1).split('|').map((c) => c.trim()));
  const [head, ...body] = lines;
  return body.map((cells) => Object.fromEntries((head ?? []).map((h, i) => [h, cells[i] ?? ''])));
}

/** GET on the API with demo's token (the test's own view, to wait between client steps). */
async function apiGet(path: string, token = demoToken): Promise<{ status: number; body: any }> {
  const r = await fetch(`${url}${path}`, { headers: { 'x-auth-token': token } });
  return { status: r.status, body: r.status === 204 ? null : await r.json() };
}

/** Waits until a load balancer is ACTIVE again, so the next write is not a 409. */
async function active(lbId: string): Promise<void> {
  await until(`load balancer ${lbId} ACTIVE`, async () => {
    const r = await apiGet(`/v2/lbaas/loadbalancers/${lbId}`);
    assert.notEqual(r.body?.loadbalancer?.provisioning_status, 'ERROR', JSON.stringify(r.body));
    return r.body?.loadbalancer?.provisioning_status === 'ACTIVE' ? true : undefined;
  }, 20_000);
}

/** Waits until a load balancer is gone (404). */
async function gone(lbId: string): Promise<void> {
  await until(`load balancer ${lbId} deleted`, async () => ((await apiGet(`/v2/lbaas/loadbalancers/${lbId}`)).status === 404 ? true : undefined), 20_000);
}

/** A project-scoped token from the identity service, with an openrc's credentials. */
async function login(env: Env): Promise<{ token: string; projectId: string }> {
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


/** This run's agent host name (what the zone names), and a host name that is not this agent's. */
const HOST = `fulcrum-ops-${process.pid}`;
/** Load balancers the test made, removed in `after` even when a test failed. */
const made = new Set<string>();
let octet = 0;

describe('openstack loadbalancer operator commands against `fulcrum up` (HAProxy on netns)', { skip }, () => {
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'fulcrum-operator-'));
    dataDir = join(tmp, 'data');
    const home = join(tmp, 'home');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    octet = 100 + Math.floor(Math.random() * 150);
    child = spawn(process.execPath, [
      MAIN, 'up', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--provider', 'haproxy', '--interface-driver', 'netns',
      '--host', HOST, '--log-level', 'warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: home, FULCRUM_QUOTA_L7RULE: '50' } });
    child.stdout!.on('data', (d: Buffer) => (childOutput += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (childOutput += d.toString()));
    await until('fulcrum up answering /healthcheck', async () => {
      if (child!.exitCode !== null) throw new Error(`fulcrum up exited ${child!.exitCode}: ${childOutput}`);
      return (await fetch(`${url}/healthcheck`)).status === 200 ? true : undefined;
    }, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}; output: ${childOutput}`);
    });
    base = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: home, LANG: 'C.UTF-8' };
    demo = { ...base, ...parseOpenrc(readFileSync(join(dataDir, 'demo-openrc'), 'utf8')) };
    admin = { ...base, ...parseOpenrc(readFileSync(join(dataDir, 'admin-openrc'), 'utf8')) };
    const session = await login(demo);
    demoToken = session.token;
    demoProject = session.projectId;
  });

  after(async () => {
    // Whatever a failed test left: deleted through the API while the server runs, then by hand.
    for (const id of made) {
      await fetch(`${url}/v2/lbaas/loadbalancers/${id}?cascade=true`, { method: 'DELETE', headers: { 'x-auth-token': (await login(admin)).token } }).catch(() => undefined);
      await gone(id).catch(() => undefined);
    }
    if (child) await stopChildProcess(child, 5000);
    for (const id of made) {
      if (netnsExists(`qlbaas-${id}`)) {
        await killNamespaceProcesses(`qlbaas-${id}`);
        await new NetnsInterfaceDriver().unplug(id);
      }
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('quota: defaults from fulcrum up\'s options; set, show, list and reset by the admin; a tenant over quota gets 403', async () => {
    const defaults = fields(await openstack(admin, 'loadbalancer', 'quota', 'defaults', 'show'));
    assert.equal(defaults.load_balancer, '-1');
    assert.equal(defaults.l7rule, '50');
    const set = fields(await openstack(admin, 'loadbalancer', 'quota', 'set', '--loadbalancer', '1', '--member', '4', demoProject));
    assert.equal(set.load_balancer, '1');
    assert.equal(set.member, '4');
    assert.equal(fields(await openstack(admin, 'loadbalancer', 'quota', 'show', demoProject)).load_balancer, '1');
    // demo reads its own quota.
    assert.equal(fields(await openstack(demo, 'loadbalancer', 'quota', 'show', demoProject)).member, '4');
    const list = rows(await openstack(admin, 'loadbalancer', 'quota', 'list'));
    assert.deepEqual(list.map((r) => [r.project_id, r.load_balancer]), [[demoProject, '1']]);

    await openstack(demo, 'network', 'create', 'lbaas', '-f', 'json');
    await openstack(demo, 'subnet', 'create', '--network', 'lbaas', '--subnet-range', `10.203.${octet}.0/24`, 'lbaas-subnet', '-f', 'json');
    const first = (await openstack(demo, 'loadbalancer', 'create', '--name', 'q1', '--vip-subnet-id', 'lbaas-subnet', '--wait', '-f', 'value', '-c', 'id')).trim();
    made.add(first);
    const over = await run(OPENSTACK, ['loadbalancer', 'create', '--name', 'q2', '--vip-subnet-id', 'lbaas-subnet'], demo);
    assert.notEqual(over.code, 0);
    assert.match(over.err, /Quota has been met for resources: Load Balancer \(HTTP 403\)/);
    await openstack(demo, 'loadbalancer', 'delete', first, '--wait');
    made.delete(first);

    await openstack(admin, 'loadbalancer', 'quota', 'reset', demoProject);
    assert.equal(fields(await openstack(admin, 'loadbalancer', 'quota', 'show', demoProject)).load_balancer, '-1');
    assert.deepEqual(rows(await openstack(admin, 'loadbalancer', 'quota', 'list')), []);
  });

  test('provider capability list: what the HAProxy provider applies', async () => {
    const caps = rows(await openstack(admin, 'loadbalancer', 'provider', 'capability', 'list', 'haproxy'));
    assert.deepEqual(caps.map((c) => `${c.type}:${c.name}`), ['flavor:loadbalancer_topology', 'flavor:maxconn', 'flavor:nbthread', 'availability_zone:hosts']);
  });

  let lbId = '';
  test('flavorprofile, flavor, availabilityzoneprofile, availabilityzone; a load balancer created with them runs HAProxy with the flavor\'s maxconn', async () => {
    const fp = fields(await openstack(admin, 'loadbalancer', 'flavorprofile', 'create', '--name', 'fp-small', '--provider', 'haproxy',
      '--flavor-data', '{"loadbalancer_topology": "SINGLE", "maxconn": 2000}'));
    assert.equal(fp.provider_name, 'haproxy');
    const flavor = fields(await openstack(admin, 'loadbalancer', 'flavor', 'create', '--name', 'small', '--flavorprofile', 'fp-small',
      '--description', 'maxconn 2000', '--enable'));
    assert.equal(flavor.flavor_profile_id, fp.id);
    assert.equal(flavor.enabled, 'True');
    // A tenant lists and shows flavors (not their profiles).
    assert.deepEqual(rows(await openstack(demo, 'loadbalancer', 'flavor', 'list')).map((r) => r.name), ['small']);
    assert.equal(fields(await openstack(demo, 'loadbalancer', 'flavor', 'show', 'small')).description, 'maxconn 2000');
    const denied = await run(OPENSTACK, ['loadbalancer', 'flavorprofile', 'list'], demo);
    assert.match(denied.err, /403/);
    // ACTIVE_STANDBY profiles are accepted (the README's command); `fulcrum up` is one node, so a
    // load balancer of such a flavor is refused there, naming the field (test/e2e/active-standby runs pairs).
    await openstack(admin, 'loadbalancer', 'flavorprofile', 'create', '--name', 'fp-ha', '--provider', 'haproxy',
      '--flavor-data', '{"loadbalancer_topology": "ACTIVE_STANDBY"}');
    await openstack(admin, 'loadbalancer', 'flavor', 'create', '--name', 'ha', '--flavorprofile', 'fp-ha', '--enable');
    const pair = await run(OPENSTACK, ['loadbalancer', 'create', '--vip-subnet-id', 'lbaas-subnet', '--flavor', 'ha'], demo);
    assert.notEqual(pair.code, 0);
    assert.match(pair.err, /ACTIVE_STANDBY flavor needs two network nodes/);
    await openstack(admin, 'loadbalancer', 'flavor', 'delete', 'ha');
    await openstack(admin, 'loadbalancer', 'flavorprofile', 'delete', 'fp-ha');

    await openstack(admin, 'loadbalancer', 'availabilityzoneprofile', 'create', '--name', 'azp-here', '--provider', 'haproxy',
      '--availability-zone-data', JSON.stringify({ hosts: [HOST] }));
    await openstack(admin, 'loadbalancer', 'availabilityzoneprofile', 'create', '--name', 'azp-there', '--provider', 'haproxy',
      '--availability-zone-data', '{"hosts": ["elsewhere.example"]}');
    await openstack(admin, 'loadbalancer', 'availabilityzone', 'create', '--name', 'az-here', '--availabilityzoneprofile', 'azp-here');
    await openstack(admin, 'loadbalancer', 'availabilityzone', 'create', '--name', 'az-there', '--availabilityzoneprofile', 'azp-there');
    assert.deepEqual(rows(await openstack(demo, 'loadbalancer', 'availabilityzone', 'list')).map((r) => r.name).sort(), ['az-here', 'az-there']);

    const there = await run(OPENSTACK, ['loadbalancer', 'create', '--vip-subnet-id', 'lbaas-subnet', '--availability-zone', 'az-there'], demo);
    assert.notEqual(there.code, 0);
    assert.match(there.err, /Availability zone 'az-there' has no network node that can host the load balancer/);
    const lb = await openstackJson(demo, 'loadbalancer', 'create', '--name', 'lb-flavor', '--vip-subnet-id', 'lbaas-subnet',
      '--flavor', 'small', '--availability-zone', 'az-here', '--wait');
    lbId = lb.id;
    made.add(lbId);
    assert.equal(lb.flavor_id, flavor.id);
    assert.equal(lb.availability_zone, 'az-here');
    await openstack(demo, 'loadbalancer', 'listener', 'create', '--protocol', 'HTTP', '--protocol-port', '80', '--name', 'l1', lbId, '--wait');
    const cfg = readFileSync(join(dataDir, 'lb', lbId, 'haproxy.cfg'), 'utf8');
    assert.match(cfg, /\nglobal\n {4}maxconn 2000\n/);
    assert.ok(netnsExists(`qlbaas-${lbId}`));
  });

  test('amphora list/show and loadbalancer failover: a new amphora, HAProxy started again with the same configuration', async () => {
    assert.ok(lbId, 'the previous test made the load balancer');
    const amphorae = rows(await openstack(admin, 'loadbalancer', 'amphora', 'list', '--loadbalancer', lbId));
    assert.equal(amphorae.length, 1);
    assert.equal(amphorae[0]!.status, 'ALLOCATED');
    assert.equal(amphorae[0]!.role, 'STANDALONE');
    const shown = fields(await openstack(admin, 'loadbalancer', 'amphora', 'show', amphorae[0]!.id!));
    assert.equal(shown.compute_id, HOST);
    assert.equal(shown.loadbalancer_id, lbId);
    assert.match(shown.lb_network_ip!, /^10\.203\./);
    assert.match((await run(OPENSTACK, ['loadbalancer', 'amphora', 'list'], demo)).err, /403/);

    const dir = join(dataDir, 'lb', lbId);
    const cfg = readFileSync(join(dir, 'haproxy.cfg'), 'utf8');
    const pid = readFileSync(join(dir, 'haproxy.pid'), 'utf8').trim();
    await openstack(admin, 'loadbalancer', 'failover', lbId, '--wait');
    const after = rows(await openstack(admin, 'loadbalancer', 'amphora', 'list', '--loadbalancer', lbId));
    assert.equal(after.length, 1);
    assert.notEqual(after[0]!.id, amphorae[0]!.id);
    assert.equal(after[0]!.status, 'ALLOCATED');
    assert.notEqual(readFileSync(join(dir, 'haproxy.pid'), 'utf8').trim(), pid);
    assert.equal(readFileSync(join(dir, 'haproxy.cfg'), 'utf8'), cfg);

    await openstack(demo, 'loadbalancer', 'delete', '--cascade', lbId, '--wait');
    made.delete(lbId);
    assert.ok(!existsSync(dir));
    assert.ok(!netnsExists(`qlbaas-${lbId}`));
  });
});
