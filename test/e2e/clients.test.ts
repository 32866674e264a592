/**
 * @module test/e2e/clients.test — Debian's real OpenStack clients against `fulcrum up` started as
 * a user starts it (embedded identity, the default), logged in with the `demo-openrc`,
 * `admin-openrc` and `clouds.yaml` it writes on its first start: the seed's `neutron lbaas-*`
 * walkthrough verbatim (python3-neutronclient), the same scene with `openstack loadbalancer …
 * --wait` (python3-octaviaclient), openstacksdk's load_balancer proxy, policy through the
 * clients (another project's object, forged tokens, a wrong password, a reader), and version
 * discovery as keystoneauth does it (`openstack versions show`). Every client
 * runs with a clean environment: PATH, a temporary HOME, LANG and the openrc's OS_* variables.
 * Skipped when a client is not installed (scripts/install-system-deps.sh --test installs them).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { until } from '../helpers/scene.js';
import {
  apiView,
  fields, login, missingClients, neutron, NEUTRON, OPENSTACK, openstack, openstackJson, PYTHON, rows, run, startFulcrumUp, UUID,
  type Env, type FulcrumUp,
} from '../helpers/openstack-cli.js';

const skip = missingClients(
  [[NEUTRON, 'python3-neutronclient'], [OPENSTACK, 'python3-openstackclient']],
  [['octaviaclient', 'python3-octaviaclient'], ['openstack', 'python3-openstacksdk']],
);

let up: FulcrumUp | undefined;
let tmp = '';
let dataDir = '';
let url = '';
/** The clean environment every client gets, before its credentials. */
let base: Env = {};
let demo: Env = {};
let admin: Env = {};
/** demo's project id, from its token. */
let demoProject = '';
/** A demo token for the test's own polling (not a client's). */
let demoToken = '';

/** The test's own view of the API with demo's token (to wait between client steps). */
const { apiGet, active, gone } = apiView(() => url, () => demoToken);

describe('the real OpenStack clients against `fulcrum up` with embedded identity', { skip }, () => {
  before(async () => {
    up = await startFulcrumUp({ name: 'fulcrum-clients-', args: ['--provider', 'noop', '--interface-driver', 'host', '--log-level', 'warn'] });
    ({ tmp, dataDir, url, base, demo, admin } = up);
    const session = await login(demo);
    demoToken = session.token;
    demoProject = session.projectId;
  });

  after(async () => {
    await up?.stop();
  });

  test('the credential files fulcrum up wrote: openrc variables for both users, token issue as each', async () => {
    assert.match(up!.output(), /Identity initialised: user admin .* and user demo/);
    for (const [env, user] of [[demo, 'demo'], [admin, 'admin']] as const) {
      assert.equal(env.OS_USERNAME, user);
      assert.equal(env.OS_PROJECT_NAME, user);
      assert.equal(env.OS_AUTH_URL, `${url}/v3`);
      assert.ok((env.OS_PASSWORD ?? '').length >= 16, 'a random password');
      const issued = JSON.parse(await openstack(env, 'token', 'issue', '-f', 'json')) as { project_id: string };
      assert.match(issued.project_id, /^[0-9a-f]{32}$/);
      if (user === 'demo') assert.equal(issued.project_id, demoProject);
      else assert.notEqual(issued.project_id, demoProject);
    }
  });

  test("openstack versions show: identity is Keystone's v3.14 (not the root's Octavia list); an unversioned auth URL logs in", async () => {
    const versions = await openstackJson<Record<string, string>[]>(demo, 'versions', 'show');
    const byType = (type: string): string[] => versions.filter((v) => v['Service Type'] === type).map((v) => v.Version!);
    assert.deepEqual(byType('identity'), ['3.14']);
    assert.equal(versions.find((v) => v['Service Type'] === 'identity')!.Endpoint, `${url}/identity/v3/`);
    assert.deepEqual(byType('load-balancer'), Array.from({ length: 27 }, (_, i) => `2.${i}`));
    assert.deepEqual(byType('network'), ['2.0']);
    const unversioned = { ...demo, OS_AUTH_URL: `${url}/identity` };
    delete (unversioned as Partial<Env>).OS_IDENTITY_API_VERSION;
    assert.equal(JSON.parse(await openstack(unversioned, 'token', 'issue', '-f', 'json')).project_id, demoProject);
  });

  describe("the seed's walkthrough with `neutron lbaas-*` as demo (no --tenant-id)", () => {
    const ids = { lbaasSubnet: '', webSubnet: '', lb: '', listener: '', pool: '', members: [] as string[], hm: '' };

    test('the networks the seed assumes: lbaas with openstack, webserver with neutron; net-list as in the seed', async () => {
      await openstack(demo, 'network', 'create', 'lbaas', '-f', 'json');
      const lbaasSubnet = await openstackJson(demo, 'subnet', 'create', '--network', 'lbaas', '--subnet-range', '10.115.54.0/24', 'lbaas-subnet');
      ids.lbaasSubnet = lbaasSubnet.id;
      assert.equal(lbaasSubnet.project_id, demoProject);
      fields(await neutron(demo, 'net-create', 'webserver'));
      const web = fields(await neutron(demo, 'subnet-create', 'webserver', '10.93.48.0/24', '--name', 'webserver-subnet'));
      assert.deepEqual([web.cidr, web.gateway_ip, web.tenant_id], ['10.93.48.0/24', '10.93.48.1', demoProject]);
      ids.webSubnet = web.id!;
      const nets = rows(await neutron(demo, 'net-list'));
      assert.deepEqual(nets.map((n) => [n.name, n.subnets]).sort(), [
        ['lbaas', `${ids.lbaasSubnet} 10.115.54.0/24`], ['webserver', `${ids.webSubnet} 10.93.48.0/24`],
      ]);
    });

    test('lbaas-loadbalancer-create --name lb1 lbaas-subnet: the seed\'s fields, tenant_id from the token', async () => {
      const lb = fields(await neutron(demo, 'lbaas-loadbalancer-create', '--name', 'lb1', 'lbaas-subnet'));
      for (const f of ['admin_state_up', 'description', 'id', 'listeners', 'name', 'operating_status', 'provider', 'provisioning_status', 'tenant_id', 'vip_address', 'vip_port_id', 'vip_subnet_id']) {
        assert.ok(f in lb, `the seed's field ${f} in ${JSON.stringify(lb)}`);
      }
      assert.deepEqual([lb.admin_state_up, lb.description, lb.listeners, lb.name, lb.operating_status, lb.provider, lb.provisioning_status, lb.tenant_id, lb.vip_subnet_id],
        ['True', '', '', 'lb1', 'OFFLINE', 'noop', 'PENDING_CREATE', demoProject, ids.lbaasSubnet]);
      assert.match(lb.id!, UUID);
      assert.match(lb.vip_port_id!, UUID);
      assert.match(lb.vip_address!, /^10\.115\.54\.\d+$/);
      ids.lb = lb.id!;
      await active(ids.lb);
    });

    test('lbaas-listener-create --loadbalancer lb1 --protocol HTTP --protocol-port 80 --name listener1', async () => {
      const l = fields(await neutron(demo, 'lbaas-listener-create', '--loadbalancer', 'lb1', '--protocol', 'HTTP', '--protocol-port', '80', '--name', 'listener1'));
      assert.deepEqual([l.admin_state_up, l.connection_limit, l.default_pool_id, l.description, l.loadbalancers, l.name, l.protocol, l.protocol_port, l.tenant_id],
        ['True', '-1', '', '', `{"id": "${ids.lb}"}`, 'listener1', 'HTTP', '80', demoProject]);
      ids.listener = l.id!;
      await active(ids.lb);
    });

    test('lbaas-pool-create --lb-algorithm ROUND_ROBIN --listener listener1 --protocol HTTP --name pool1', async () => {
      const p = fields(await neutron(demo, 'lbaas-pool-create', '--lb-algorithm', 'ROUND_ROBIN', '--listener', 'listener1', '--protocol', 'HTTP', '--name', 'pool1'));
      assert.deepEqual([p.admin_state_up, p.description, p.healthmonitor_id, p.lb_algorithm, p.listeners, p.members, p.name, p.protocol, p.session_persistence, p.tenant_id],
        ['True', '', '', 'ROUND_ROBIN', `{"id": "${ids.listener}"}`, '', 'pool1', 'HTTP', '', demoProject]);
      ids.pool = p.id!;
      await active(ids.lb);
    });

    test('lbaas-member-create --subnet webserver-subnet --address 10.93.48.2|3 --protocol-port 80 pool1', async () => {
      for (const address of ['10.93.48.2', '10.93.48.3']) {
        const m = fields(await neutron(demo, 'lbaas-member-create', '--subnet', 'webserver-subnet', '--address', address, '--protocol-port', '80', 'pool1'));
        assert.deepEqual([m.address, m.admin_state_up, m.protocol_port, m.subnet_id, m.tenant_id, m.weight], [address, 'True', '80', ids.webSubnet, demoProject, '1']);
        ids.members.push(m.id!);
        await active(ids.lb);
      }
    });

    test('lbaas-loadbalancer-show lb1, lbaas-loadbalancer-list, lbaas-loadbalancer-status lb1', async () => {
      const lb = fields(await neutron(demo, 'lbaas-loadbalancer-show', 'lb1'));
      assert.deepEqual([lb.id, lb.provisioning_status, lb.listeners, lb.pools, lb.tenant_id], [ids.lb, 'ACTIVE', `{"id": "${ids.listener}"}`, `{"id": "${ids.pool}"}`, demoProject]);
      assert.equal((await neutron(demo, 'lbaas-loadbalancer-show', 'lb1', '-f', 'value', '-c', 'provisioning_status')).trim(), 'ACTIVE');
      const list = rows(await neutron(demo, 'lbaas-loadbalancer-list'));
      assert.deepEqual(list.map((r) => [r.id, r.name, r.vip_address, r.provisioning_status]), [[ids.lb, 'lb1', lb.vip_address, 'ACTIVE']]);
      const status = (JSON.parse(await neutron(demo, 'lbaas-loadbalancer-status', 'lb1')) as any).loadbalancer;
      assert.deepEqual([status.id, status.provisioning_status, status.listeners[0].id, status.listeners[0].pools[0].id], [ids.lb, 'ACTIVE', ids.listener, ids.pool]);
      assert.deepEqual(status.listeners[0].pools[0].members.map((m: any) => m.address).sort(), ['10.93.48.2', '10.93.48.3']);
    });

    test('lbaas-healthmonitor-create --delay 5 --max-retries 3 --timeout 3 --type HTTP --pool pool1', async () => {
      const hm = fields(await neutron(demo, 'lbaas-healthmonitor-create', '--delay', '5', '--max-retries', '3', '--timeout', '3', '--type', 'HTTP', '--pool', 'pool1'));
      assert.deepEqual([hm.delay, hm.max_retries, hm.timeout, hm.type, hm.http_method, hm.url_path, hm.expected_codes, hm.pools, hm.tenant_id],
        ['5', '3', '3', 'HTTP', 'GET', '/', '200', `{"id": "${ids.pool}"}`, demoProject]);
      ids.hm = hm.id!;
      await active(ids.lb);
      const status = (JSON.parse(await neutron(demo, 'lbaas-loadbalancer-status', 'lb1')) as any).loadbalancer;
      assert.equal(status.listeners[0].pools[0].healthmonitor.id, ids.hm);
    });

    test('updates: lbaas-member-update --weight 5 and lbaas-pool-update --lb-algorithm LEAST_CONNECTIONS', async () => {
      assert.match(await neutron(demo, 'lbaas-member-update', '--weight', '5', ids.members[0]!, 'pool1'), new RegExp(`Updated member: ${ids.members[0]}`));
      await active(ids.lb);
      assert.equal((await neutron(demo, 'lbaas-member-show', ids.members[0]!, 'pool1', '-f', 'value', '-c', 'weight')).trim(), '5');
      assert.match(await neutron(demo, 'lbaas-pool-update', 'pool1', '--lb-algorithm', 'LEAST_CONNECTIONS'), /Updated pool: pool1/);
      await active(ids.lb);
      assert.equal(fields(await neutron(demo, 'lbaas-pool-show', 'pool1')).lb_algorithm, 'LEAST_CONNECTIONS');
    });

    test('deletes in order: health monitor, members, pool, listener, load balancer; then nothing is listed', async () => {
      assert.match(await neutron(demo, 'lbaas-healthmonitor-delete', ids.hm), /Deleted lbaas_healthmonitor/);
      await active(ids.lb);
      for (const m of ids.members) {
        assert.match(await neutron(demo, 'lbaas-member-delete', m, 'pool1'), /Deleted lbaas_member/);
        await active(ids.lb);
      }
      assert.match(await neutron(demo, 'lbaas-pool-delete', 'pool1'), /Deleted lbaas_pool\(s\): pool1/);
      await active(ids.lb);
      assert.match(await neutron(demo, 'lbaas-listener-delete', 'listener1'), /Deleted listener\(s\): listener1/);
      await active(ids.lb);
      assert.match(await neutron(demo, 'lbaas-loadbalancer-delete', 'lb1'), /Deleted loadbalancer\(s\): lb1/);
      await gone(ids.lb);
      assert.deepEqual(rows(await neutron(demo, 'lbaas-loadbalancer-list')), []);
    });
  });

  describe('the same scene with `openstack loadbalancer … --wait` as demo (python3-octaviaclient)', () => {
    const ids = { lb: '', listener: '', pool: '', hm: '' };

    test('loadbalancer, listener, pool, two members and a health monitor, each created with --wait', async () => {
      const lb = await openstackJson(demo, 'loadbalancer', 'create', '--name', 'lb2', '--vip-subnet-id', 'lbaas-subnet', '--wait');
      assert.deepEqual([lb.name, lb.provisioning_status, lb.project_id, lb.provider], ['lb2', 'ACTIVE', demoProject, 'noop']);
      assert.match(lb.vip_address, /^10\.115\.54\.\d+$/);
      ids.lb = lb.id;
      const listener = await openstackJson(demo, 'loadbalancer', 'listener', 'create', '--name', 'listener2', '--protocol', 'HTTP', '--protocol-port', '80', 'lb2', '--wait');
      assert.deepEqual([listener.provisioning_status, listener.loadbalancers, listener.protocol_port], ['ACTIVE', ids.lb, 80]);
      ids.listener = listener.id;
      const pool = await openstackJson(demo, 'loadbalancer', 'pool', 'create', '--name', 'pool2', '--listener', 'listener2', '--protocol', 'HTTP', '--lb-algorithm', 'ROUND_ROBIN', '--wait');
      assert.deepEqual([pool.provisioning_status, pool.listeners, pool.lb_algorithm], ['ACTIVE', ids.listener, 'ROUND_ROBIN']);
      ids.pool = pool.id;
      for (const [name, address] of [['web1', '10.93.48.2'], ['web2', '10.93.48.3']] as const) {
        const m = await openstackJson(demo, 'loadbalancer', 'member', 'create', '--name', name, '--subnet-id', 'webserver-subnet', '--address', address, '--protocol-port', '80', 'pool2', '--wait');
        assert.deepEqual([m.provisioning_status, m.address, m.protocol_port, m.weight, m.project_id], ['ACTIVE', address, 80, 1, demoProject]);
      }
      const hm = await openstackJson(demo, 'loadbalancer', 'healthmonitor', 'create', '--name', 'hm2', '--delay', '5', '--max-retries', '3', '--timeout', '3', '--type', 'HTTP', 'pool2', '--wait');
      assert.deepEqual([hm.provisioning_status, hm.pools, hm.delay, hm.max_retries, hm.timeout, hm.type], ['ACTIVE', ids.pool, 5, 3, 3, 'HTTP']);
      ids.hm = hm.id;
    });

    test('status show, stats show, member list and loadbalancer list', async () => {
      const status = (JSON.parse(await openstack(demo, 'loadbalancer', 'status', 'show', 'lb2')) as any).loadbalancer;
      assert.deepEqual([status.id, status.provisioning_status], [ids.lb, 'ACTIVE']);
      const pool = status.listeners[0].pools[0];
      assert.deepEqual([status.listeners[0].id, pool.id, pool.health_monitor.id], [ids.listener, ids.pool, ids.hm]);
      assert.deepEqual(pool.members.map((m: any) => [m.name, m.address, m.provisioning_status]).sort(), [['web1', '10.93.48.2', 'ACTIVE'], ['web2', '10.93.48.3', 'ACTIVE']]);
      const stats = await openstackJson(demo, 'loadbalancer', 'stats', 'show', 'lb2');
      assert.deepEqual(stats, { active_connections: 0, bytes_in: 0, bytes_out: 0, request_errors: 0, total_connections: 0 });
      const members = await openstackJson<any[]>(demo, 'loadbalancer', 'member', 'list', 'pool2');
      assert.deepEqual(members.map((m) => [m.name, m.address, m.protocol_port, m.provisioning_status]).sort(),
        [['web1', '10.93.48.2', 80, 'ACTIVE'], ['web2', '10.93.48.3', 80, 'ACTIVE']]);
      const lbs = await openstackJson<any[]>(demo, 'loadbalancer', 'list');
      assert.deepEqual(lbs.map((l) => [l.id, l.name, l.project_id, l.provisioning_status]), [[ids.lb, 'lb2', demoProject, 'ACTIVE']]);
    });

    test('loadbalancer delete --cascade --wait removes the whole tree', async () => {
      await openstack(demo, 'loadbalancer', 'delete', '--cascade', '--wait', 'lb2');
      assert.equal((await apiGet(`/v2/lbaas/loadbalancers/${ids.lb}`)).status, 404);
      assert.equal((await apiGet(`/v2/lbaas/pools/${ids.pool}`)).status, 404);
      assert.deepEqual(await openstackJson(demo, 'loadbalancer', 'list'), []);
    });
  });

  test('openstacksdk (clouds.yaml, cloud fulcrum-demo): create and wait, listener, pool, member, list, statistics, cascade delete', async () => {
    const script = join(tmp, 'sdk.py');
    writeFileSync(script, SDK_SCRIPT);
    const r = await run(PYTHON, [script], { ...base, OS_CLIENT_CONFIG_FILE: join(dataDir, 'clouds.yaml') });
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out) as any;
    assert.deepEqual([out.created.name, out.created.provisioning_status, out.created.project_id], ['lb3', 'PENDING_CREATE', demoProject]);
    assert.deepEqual([out.active.provisioning_status, out.active.vip_subnet_id, out.active.provider], ['ACTIVE', out.subnet, 'noop']);
    assert.deepEqual([out.listener.protocol_port, out.pool.lb_algorithm, out.member.address], [80, 'ROUND_ROBIN', '10.93.48.2']);
    assert.deepEqual(out.listed, ['lb3']);
    assert.deepEqual(out.stats, { active_connections: 0, bytes_in: 0, bytes_out: 0, request_errors: 0, total_connections: 0 });
    assert.deepEqual(out.members, [['10.93.48.2', 'ACTIVE']]);
    assert.equal(out.after_delete, null, 'find_load_balancer finds nothing after the cascade delete');
    assert.equal((await apiGet(`/v2/lbaas/loadbalancers/${out.active.id}`)).status, 404);
  });

  describe('policy and bad input through the clients', () => {
    let adminLb = '';

    before(async () => {
      await openstack(admin, 'network', 'create', 'admin-net', '-f', 'json');
      await openstack(admin, 'subnet', 'create', '--network', 'admin-net', '--subnet-range', '10.200.0.0/24', 'admin-subnet', '-f', 'json');
      adminLb = (await openstack(admin, 'loadbalancer', 'create', '--name', 'admin-lb', '--vip-subnet-id', 'admin-subnet', '--wait', '-f', 'value', '-c', 'id')).trim();
      assert.match(adminLb, UUID);
    });

    test("demo does not see the admin project's load balancer: openstack, neutron and the SDK all fail with not found", async () => {
      const show = await run(OPENSTACK, ['loadbalancer', 'show', adminLb], demo);
      assert.notEqual(show.code, 0);
      // octaviaclient gets the API's 404, then looks the argument up as a name and says so.
      assert.match(show.err, new RegExp(`Unable to locate ${adminLb} in loadbalancers`));
      const del = await run(OPENSTACK, ['loadbalancer', 'delete', adminLb], demo);
      assert.notEqual(del.code, 0);
      const shown = await run(NEUTRON, ['lbaas-loadbalancer-show', adminLb], demo);
      assert.notEqual(shown.code, 0);
      assert.match(shown.err, new RegExp(`Unable to find loadbalancer with name or id '${adminLb}'`));
      const sdk = await run(PYTHON, ['-c', SDK_GET, adminLb], { ...base, OS_CLIENT_CONFIG_FILE: join(dataDir, 'clouds.yaml') });
      assert.equal(sdk.code, 0, sdk.err);
      assert.match(sdk.out, new RegExp(`^ResourceNotFound .*Load Balancer ${adminLb} not found\\.`), 'the API\'s own 404 message');
      assert.ok(!(await openstackJson<any[]>(demo, 'loadbalancer', 'list')).some((l) => l.id === adminLb));
      const adminList = await openstackJson<any[]>(admin, 'loadbalancer', 'list');
      assert.deepEqual(adminList.filter((l) => l.id === adminLb).map((l) => l.provisioning_status), ['ACTIVE'], 'untouched, and the admin sees it');
    });

    test('a forged token is 401 at the API and at the identity service; a wrong password is 401', async () => {
      const forged = await run(OPENSTACK, ['--os-auth-type', 'admin_token', '--os-endpoint', url, '--os-token', 'gAAAAABforged', 'loadbalancer', 'list'], base);
      assert.notEqual(forged.code, 0);
      assert.match(forged.err, /Unauthorized \(HTTP 401\)/);
      const exchanged = await run(OPENSTACK, [
        '--os-auth-type', 'token', '--os-token', 'gAAAAABforged', '--os-auth-url', demo.OS_AUTH_URL!, '--os-project-name', 'demo',
        '--os-project-domain-name', 'Default', 'loadbalancer', 'list',
      ], base);
      assert.notEqual(exchanged.code, 0);
      assert.match(exchanged.err, /The request you have made requires authentication\. \(HTTP 401\)/);
      const wrong = await run(OPENSTACK, ['loadbalancer', 'list'], { ...demo, OS_PASSWORD: 'not-the-password' });
      assert.notEqual(wrong.code, 0);
      assert.match(wrong.err, /The request you have made requires authentication\. \(HTTP 401\)/);
      const wrongNeutron = await run(NEUTRON, ['lbaas-loadbalancer-list'], { ...demo, OS_PASSWORD: 'not-the-password' });
      assert.notEqual(wrongNeutron.code, 0);
      assert.match(wrongNeutron.err, /requires authentication/);
    });

    test('a user with only the reader role (openstack user create, role add) lists but cannot create: 403', async () => {
      await openstack(admin, 'user', 'create', '--password', 'reader-secret-pw', '--project', 'demo', 'reader1', '-f', 'json');
      await openstack(admin, 'role', 'add', '--project', 'demo', '--user', 'reader1', 'reader');
      const assignments = await openstackJson<any[]>(admin, 'role', 'assignment', 'list', '--user', 'reader1', '--names');
      assert.deepEqual(assignments.map((a) => [a.Role, a.Project]), [['reader', 'demo@Default']]);
      const lb = await openstackJson(demo, 'loadbalancer', 'create', '--name', 'lb-read', '--vip-subnet-id', 'lbaas-subnet', '--wait');
      const reader = { ...demo, OS_USERNAME: 'reader1', OS_PASSWORD: 'reader-secret-pw' };
      assert.deepEqual((await openstackJson<any[]>(reader, 'loadbalancer', 'list')).map((l) => l.id), [lb.id], 'the reader sees demo\'s project');
      const created = await run(OPENSTACK, ['loadbalancer', 'create', '--name', 'nope', '--vip-subnet-id', 'lbaas-subnet'], reader);
      assert.notEqual(created.code, 0);
      assert.match(created.err, /Policy does not allow this request to be performed\. \(HTTP 403\)/);
      const deleted = await run(OPENSTACK, ['loadbalancer', 'delete', 'lb-read'], reader);
      assert.notEqual(deleted.code, 0);
      assert.match(deleted.err, /HTTP 403/);
      const neutronCreate = await run(NEUTRON, ['lbaas-loadbalancer-create', '--name', 'nope', 'lbaas-subnet'], reader);
      assert.notEqual(neutronCreate.code, 0);
      assert.match(neutronCreate.err, /Policy does not allow this request to be performed/);
      assert.deepEqual((await openstackJson<any[]>(demo, 'loadbalancer', 'list')).map((l) => l.name), ['lb-read'], 'nothing was made or removed');
    });
  });
});

/** openstacksdk as an application uses it; prints one JSON object for the test to check. */
const SDK_SCRIPT = `
import json
import openstack
import openstack.resource

conn = openstack.connect(cloud='fulcrum-demo')
lb_api = conn.load_balancer
subnet = conn.network.find_subnet('lbaas-subnet', ignore_missing=False)
created = lb_api.create_load_balancer(name='lb3', vip_subnet_id=subnet.id)
lb = lb_api.wait_for_load_balancer(created.id, interval=0.2, wait=30)
listener = lb_api.create_listener(name='listener3', protocol='HTTP', protocol_port=80, load_balancer_id=lb.id)
lb_api.wait_for_load_balancer(lb.id, interval=0.2, wait=30)
pool = lb_api.create_pool(name='pool3', protocol='HTTP', lb_algorithm='ROUND_ROBIN', listener_id=listener.id)
lb_api.wait_for_load_balancer(lb.id, interval=0.2, wait=30)
member = lb_api.create_member(pool, address='10.93.48.2', protocol_port=80, subnet_id=conn.network.find_subnet('webserver-subnet', ignore_missing=False).id)
lb_api.wait_for_load_balancer(lb.id, interval=0.2, wait=30)
listed = [l.name for l in lb_api.load_balancers()]
members = [[m.address, m.provisioning_status] for m in lb_api.members(pool)]
stats = lb_api.get_load_balancer_statistics(lb.id)
lb_api.delete_load_balancer(lb.id, cascade=True)
openstack.resource.wait_for_delete(lb_api, lb, 0.2, 30)
after = lb_api.find_load_balancer(lb.id)

def pick(r, *keys):
    return {k: getattr(r, k) for k in keys}

print(json.dumps({
    'subnet': subnet.id,
    'created': pick(created, 'name', 'provisioning_status', 'project_id'),
    'active': pick(lb, 'id', 'provisioning_status', 'vip_subnet_id', 'provider'),
    'listener': pick(listener, 'protocol_port'),
    'pool': pick(pool, 'lb_algorithm'),
    'member': pick(member, 'address'),
    'listed': listed,
    'members': members,
    'stats': pick(stats, 'active_connections', 'bytes_in', 'bytes_out', 'request_errors', 'total_connections'),
    'after_delete': None if after is None else after.id,
}))
`;

/** Gets one load balancer with the SDK and prints the exception it raises, if any. */
const SDK_GET = `
import sys
import openstack
conn = openstack.connect(cloud='fulcrum-demo')
try:
    print('found', conn.load_balancer.get_load_balancer(sys.argv[1]).id)
except Exception as e:
    print(type(e).__name__, e)
`;
