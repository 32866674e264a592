/**
 * @module api/neutron-lbaas/neutron-cli.test — the seed's walkthrough with the real client:
 * Debian's `neutron` (python3-neutronclient 8.1) against the API listening on 127.0.0.1, with
 * the noop provider. Skipped when `neutron` is not installed.
 *
 * neutronclient 8.1 has no noauth strategy any more (`--os-auth-strategy` is "DEPRECATED! Only
 * keystone is supported"); keystoneauth's token-endpoint plugin (`OS_AUTH_TYPE=admin_token`
 * with `--os-token` and `--os-url`) talks to the endpoint without Keystone. It sends the token
 * and no project, so under noauth the one object without a parent, the load balancer (and the
 * networks), needs `--tenant-id`, as Neutron without Keystone does.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call, makeTestApi, PROJECT, waitFor, type TestApi } from '../../../test/helpers/fixtures.js';

const hasNeutron = spawnSync('neutron', ['--version'], { stdio: 'ignore' }).error === undefined;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let t: TestApi;
let url = '';
let home = '';
/** `METHOD url` and headers of every request the API received. */
const seen: { line: string; headers: Record<string, unknown> }[] = [];

interface Run { code: number; out: string; err: string }

/** Runs `neutron …` against the endpoint, with a clean environment (no clouds.yaml, no OS_*). */
function neutron(...args: string[]): Promise<Run> {
  const argv = ['--os-token', 'fulcrum-noauth', '--os-url', `${url}/network`, ...args];
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', OS_AUTH_TYPE: 'admin_token' };
  return new Promise((resolve) => {
    execFile('neutron', argv, { env, timeout: 60_000 }, (error, out, err) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, out, err });
    });
  });
}

/** Runs a command that must succeed. */
async function ok(...args: string[]): Promise<string> {
  const r = await neutron(...args);
  assert.equal(r.code, 0, `neutron ${args.join(' ')}: ${r.err}`);
  return r.out;
}

/** A `Field | Value` table as printed by cliff; continuation lines join the value with newlines. */
function table(out: string): Record<string, string> {
  const rows: Record<string, string> = {};
  let last = '';
  for (const line of out.split('\n')) {
    const m = /^\| (.*?)\s*\| (.*?)\s*\|$/.exec(line);
    if (!m || m[1] === 'Field') continue;
    if (m[1] === '') rows[last] += `\n${m[2]}`;
    else rows[(last = m[1]!)] = m[2]!;
  }
  return rows;
}

/** A list table: one record per row, keyed by the header's columns. */
function rows(out: string): Record<string, string>[] {
  const lines = out.split('\n').filter((l) => l.startsWith('|')).map((l) => l.slice(1, -1).split('|').map((c) => c.trim()));
  const [head, ...body] = lines;
  return body.map((cells) => Object.fromEntries(head!.map((h, i) => [h, cells[i] ?? ''])));
}

async function active(lbId: string): Promise<void> {
  await waitFor(t.app, `/network/v2.0/lbaas/loadbalancers/${lbId}`, 'loadbalancer', 'ACTIVE');
}

describe('the seed with `neutron lbaas-*` (python3-neutronclient)', { skip: !hasNeutron && 'neutron CLI not installed' }, () => {
  const ids = { webSubnet: '', lb: '', listener: '', pool: '' };

  before(async () => {
    t = await makeTestApi();
    home = mkdtempSync(join(tmpdir(), 'fulcrum-neutron-cli-'));
    t.app.addHook('onRequest', async (request) => {
      // The test's own polls (inject) are not the client's.
      if (request.headers['user-agent'] === 'python-neutronclient') seen.push({ line: `${request.method} ${request.url}`, headers: request.headers });
    });
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await t.close();
    rmSync(home, { recursive: true, force: true });
  });

  test('net-create / subnet-create / net-list: the webserver network next to lbaas', async () => {
    await ok('net-create', 'webserver', '--tenant-id', PROJECT);
    const subnet = table(await ok('subnet-create', 'webserver', '10.93.48.0/24', '--name', 'webserver-subnet', '--tenant-id', PROJECT));
    assert.deepEqual([subnet.cidr, subnet.gateway_ip, subnet.tenant_id], ['10.93.48.0/24', '10.93.48.1', PROJECT]);
    ids.webSubnet = subnet.id!;
    const nets = rows(await ok('net-list'));
    assert.deepEqual(nets.map((n) => [n.name, n.subnets]).sort(), [
      ['lbaas', `${t.subnetId} 10.115.54.0/24`], ['webserver', `${ids.webSubnet} 10.93.48.0/24`],
    ]);
  });

  test('lbaas-loadbalancer-create --name lb1 <subnet name>: without a project it is Neutron\'s noauth error; with --tenant-id the seed\'s table', async () => {
    const bare = await neutron('lbaas-loadbalancer-create', '--name', 'lb1', 'lbaas-subnet');
    assert.equal(bare.code, 1);
    assert.match(bare.err, /Running without keystone AuthN requires that tenant_id is specified/);
    const lb = table(await ok('lbaas-loadbalancer-create', '--name', 'lb1', '--tenant-id', PROJECT, 'lbaas-subnet'));
    assert.deepEqual(Object.keys(lb).sort(), [
      'admin_state_up', 'description', 'id', 'listeners', 'name', 'operating_status', 'pools', 'project_id', 'provider',
      'provisioning_status', 'tenant_id', 'vip_address', 'vip_port_id', 'vip_subnet_id',
    ]);
    assert.deepEqual([lb.admin_state_up, lb.description, lb.listeners, lb.name, lb.operating_status, lb.provider, lb.provisioning_status, lb.tenant_id],
      ['True', '', '', 'lb1', 'OFFLINE', 'noop', 'PENDING_CREATE', PROJECT]);
    assert.equal(lb.vip_subnet_id, t.subnetId, 'the subnet name was looked up');
    assert.match(lb.vip_address!, /^10\.115\.54\.\d+$/);
    assert.match(lb.vip_port_id!, UUID);
    ids.lb = lb.id!;
    await active(ids.lb);
  });

  test('lbaas-listener-create --loadbalancer lb1 --protocol HTTP --protocol-port 80 --name listener1', async () => {
    const l = table(await ok('lbaas-listener-create', '--loadbalancer', 'lb1', '--protocol', 'HTTP', '--protocol-port', '80', '--name', 'listener1'));
    assert.deepEqual([l.admin_state_up, l.connection_limit, l.default_pool_id, l.loadbalancers, l.name, l.protocol, l.protocol_port, l.tenant_id],
      ['True', '-1', '', `{"id": "${ids.lb}"}`, 'listener1', 'HTTP', '80', PROJECT]);
    ids.listener = l.id!;
    await active(ids.lb);
  });

  test('lbaas-pool-create --lb-algorithm ROUND_ROBIN --listener listener1 --protocol HTTP --name pool1', async () => {
    const p = table(await ok('lbaas-pool-create', '--lb-algorithm', 'ROUND_ROBIN', '--listener', 'listener1', '--protocol', 'HTTP', '--name', 'pool1'));
    assert.deepEqual([p.healthmonitor_id, p.lb_algorithm, p.listeners, p.members, p.name, p.protocol, p.session_persistence],
      ['', 'ROUND_ROBIN', `{"id": "${ids.listener}"}`, '', 'pool1', 'HTTP', '']);
    ids.pool = p.id!;
    await active(ids.lb);
  });

  test('lbaas-member-create --subnet webserver-subnet --address … --protocol-port 80 pool1, twice', async () => {
    for (const address of ['10.93.48.2', '10.93.48.3']) {
      const m = table(await ok('lbaas-member-create', '--subnet', 'webserver-subnet', '--address', address, '--protocol-port', '80', 'pool1'));
      assert.deepEqual(Object.keys(m).sort(), ['address', 'admin_state_up', 'id', 'name', 'project_id', 'protocol_port', 'subnet_id', 'tenant_id', 'weight']);
      assert.deepEqual([m.address, m.admin_state_up, m.protocol_port, m.subnet_id, m.tenant_id, m.weight],
        [address, 'True', '80', ids.webSubnet, PROJECT, '1']);
      await active(ids.lb);
    }
    const members = rows(await ok('lbaas-member-list', 'pool1'));
    assert.deepEqual(members.map((m) => m.address).sort(), ['10.93.48.2', '10.93.48.3']);
  });

  test('lbaas-loadbalancer-show lb1 and lbaas-loadbalancer-list', async () => {
    const lb = table(await ok('lbaas-loadbalancer-show', 'lb1'));
    assert.deepEqual([lb.id, lb.provisioning_status, lb.listeners, lb.pools], [ids.lb, 'ACTIVE', `{"id": "${ids.listener}"}`, `{"id": "${ids.pool}"}`]);
    const list = rows(await ok('lbaas-loadbalancer-list'));
    assert.deepEqual(list.map((r) => Object.keys(r)), [['id', 'name', 'vip_address', 'provisioning_status', 'provider']]);
    assert.deepEqual([list[0]!.id, list[0]!.name, list[0]!.provisioning_status, list[0]!.provider], [ids.lb, 'lb1', 'ACTIVE', 'noop']);
  });

  test('lbaas-healthmonitor-create, lbaas-loadbalancer-status and lbaas-loadbalancer-stats', async () => {
    const hm = table(await ok('lbaas-healthmonitor-create', '--delay', '5', '--max-retries', '3', '--timeout', '2', '--type', 'HTTP', '--pool', 'pool1', '--name', 'hm1'));
    assert.deepEqual([hm.delay, hm.max_retries, hm.timeout, hm.type, hm.http_method, hm.url_path, hm.expected_codes, hm.pools],
      ['5', '3', '2', 'HTTP', 'GET', '/', '200', `{"id": "${ids.pool}"}`]);
    await active(ids.lb);
    const status = JSON.parse(await ok('lbaas-loadbalancer-status', 'lb1')) as any;
    const lb = status.loadbalancer;
    assert.deepEqual([lb.id, lb.provisioning_status, lb.listeners[0].id, lb.listeners[0].pools[0].id], [ids.lb, 'ACTIVE', ids.listener, ids.pool]);
    assert.deepEqual(lb.listeners[0].pools[0].members.map((m: any) => m.address).sort(), ['10.93.48.2', '10.93.48.3']);
    assert.equal(lb.listeners[0].pools[0].healthmonitor.id, hm.id);
    const stats = table(await ok('lbaas-loadbalancer-stats', 'lb1'));
    assert.deepEqual(stats, { active_connections: '0', bytes_in: '0', bytes_out: '0', total_connections: '0' });
  });

  test('lbaas-pool-update pool1 --lb-algorithm LEAST_CONNECTIONS shows in the Octavia view', async () => {
    assert.match(await ok('lbaas-pool-update', 'pool1', '--lb-algorithm', 'LEAST_CONNECTIONS'), /Updated pool: pool1/);
    await active(ids.lb);
    const octavia = await call(t.app, 'GET', `/v2/lbaas/pools/${ids.pool}`);
    assert.equal(octavia.body.pool.lb_algorithm, 'LEAST_CONNECTIONS');
  });

  test('deletes: lb1 with a listener is refused (no cascade), then bottom-up to nothing', async () => {
    const refused = await neutron('lbaas-loadbalancer-delete', 'lb1');
    assert.equal(refused.code, 1);
    assert.match(refused.err, new RegExp(`listener ${ids.listener} is using this loadbalancer`));
    for (const [cmd, name] of [['lbaas-healthmonitor-delete', 'hm1'], ['lbaas-pool-delete', 'pool1'], ['lbaas-listener-delete', 'listener1']] as const) {
      assert.match(await ok(cmd, name), new RegExp(`Deleted .*${name}`));
      await active(ids.lb);
    }
    assert.match(await ok('lbaas-loadbalancer-delete', 'lb1'), /Deleted loadbalancer\(s\): lb1/);
    await waitFor(t.app, `/network/v2.0/lbaas/loadbalancers/${ids.lb}`, 'loadbalancer', 'DELETED');
    assert.deepEqual(rows(await ok('lbaas-loadbalancer-list')), [], 'an empty list prints no table');
  });

  test('what the client sent: a token and no project, only paths under /network/v2.0, names looked up with ?name=', () => {
    assert.ok(seen.length > 0);
    for (const { line, headers } of seen) {
      assert.match(line, /^(GET|POST|PUT|DELETE) \/network\/v2\.0\//, line);
      assert.equal(headers['x-auth-token'], 'fulcrum-noauth', line);
      assert.equal(headers['x-project-id'], undefined, line);
    }
    const lines = seen.map((s) => s.line);
    for (const lookup of [
      'GET /network/v2.0/subnets?name=lbaas-subnet&fields=id', 'GET /network/v2.0/subnets?name=webserver-subnet&fields=id',
      'GET /network/v2.0/lbaas/loadbalancers?name=lb1&fields=id', 'GET /network/v2.0/lbaas/listeners?name=listener1&fields=id',
      'GET /network/v2.0/lbaas/pools?name=pool1&fields=id',
    ]) assert.ok(lines.includes(lookup), `${lookup} in ${lines.join('\n')}`);
  });
});
