/**
 * @module api/octavia/operator.test — the operator features through the real API, agent and
 * HAProxy (on the unprivileged host driver: HAProxy on a 127.x address): quotas and their 403,
 * flavor and zone profiles checked against the provider's capabilities, a flavor's values in the
 * running HAProxy, zones refused when no host of theirs is this agent's, amphorae, and failover
 * rebuilding HAProxy with the same configuration.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HaproxyProvider } from '../../drivers/haproxy/haproxy-provider.js';
import { RuntimeApi } from '../../drivers/haproxy/runtime-api.js';
import { HostInterfaceDriver } from '../../drivers/interface/host.js';
import { setQuotaDefaults } from '../../service/quotas.js';
import { call, holdStatus, makeTestApi, PROJECT, settled, waitFor, type TestApi } from '../../../test/helpers/fixtures.js';

const quiet = { info: () => undefined, warn: () => undefined };
const HOST = 'node-a.example';
let t: TestApi;
let provider: HaproxyProvider;
const webs: Server[] = [];
/** Ports of three web servers on 127.0.0.1, each answering 'web'. */
const webPorts: number[] = [];

before(async () => {
  t = await makeTestApi({
    agentHost: HOST,
    providers: (dir) => [provider = new HaproxyProvider({ stateDir: join(dir, 'lb'), iface: new HostInterfaceDriver(), log: quiet })],
  });
  for (let i = 0; i < 3; i++) {
    const web = createServer((_req, res) => res.end('web'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    webs.push(web);
    webPorts.push((web.address() as { port: number }).port);
  }
});

after(async () => {
  await t?.close();
  for (const w of webs) w.close();
});

const count = async (kind: 'loadbalancer' | 'listener' | 'member' | 'port'): Promise<number> => (await t.store.list(kind)).length;

/** A fully-populated load balancer body with `members` members. */
function fullBody(members: number, extra: Record<string, unknown> = {}): unknown {
  return {
    loadbalancer: {
      vip_subnet_id: t.subnetId, ...extra,
      listeners: [{
        protocol: 'HTTP', protocol_port: 20_000 + Math.floor(Math.random() * 20_000),
        default_pool: {
          name: 'pool', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN',
          members: Array.from({ length: members }, (_, i) => ({ address: '127.0.0.1', protocol_port: webPorts[i]!, name: `m${i}`, weight: 1 + i })),
        },
      }],
    },
  };
}

/** GET through the load balancer's loopback bind address. */
async function fetchThrough(lbId: string, port: number): Promise<string> {
  const cfg = readFileSync(join(provider.dirOf(lbId), 'haproxy.cfg'), 'utf8');
  const bind = /bind (127\.[\d.]+):/.exec(cfg)![1]!;
  const r = await fetch(`http://${bind}:${port}/`);
  return r.text();
}

test('quotas: defaults from the configuration, set, list, show, 403 with Octavia body on excess (fully-populated create counts every child), reset', async () => {
  await setQuotaDefaults(t.store, { loadBalancer: 10, listener: -1, pool: -1, member: 5, healthMonitor: -1, l7policy: -1, l7rule: -1 });
  const defaults = await call(t.app, 'GET', '/v2/lbaas/quotas/defaults');
  assert.equal(defaults.status, 200);
  assert.deepEqual(defaults.body.quota, {
    load_balancer: 10, loadbalancer: 10, listener: -1, member: 5, pool: -1, health_monitor: -1, healthmonitor: -1, l7policy: -1, l7rule: -1,
  });
  assert.deepEqual((await call(t.app, 'GET', '/v2/lbaas/quotas')).body, { quotas: [], quotas_links: [] });
  const shown = await call(t.app, 'GET', `/v2/lbaas/quotas/${PROJECT}`);
  assert.equal(shown.body.quota.project_id, PROJECT);
  assert.equal(shown.body.quota.member, 5);

  // Bad input: named, nothing changes.
  const bad = await call(t.app, 'PUT', `/v2/lbaas/quotas/${PROJECT}`, { quota: { member: -2 } });
  assert.equal(bad.status, 400);
  assert.match(bad.body.faultstring, /member/);
  const unknown = await call(t.app, 'PUT', `/v2/lbaas/quotas/${PROJECT}`, { quota: { members: 3 } });
  assert.equal(unknown.status, 400);
  assert.match(unknown.body.faultstring, /Unknown attribute for argument quotas.quota: members/);
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/quotas/${PROJECT}`)).body.quota.member, 5);

  const set = await call(t.app, 'PUT', `/v2/lbaas/quotas/${PROJECT}`, { quota: { load_balancer: 1, member: 2 } });
  assert.equal(set.status, 202);
  assert.equal(set.body.quota.loadbalancer, 1);
  assert.equal(set.body.quota.member, 2);
  assert.deepEqual((await call(t.app, 'GET', '/v2/lbaas/quotas')).body.quotas.map((q: { project_id: string }) => q.project_id), [PROJECT]);

  // Three members against a member quota of 2: the whole create is refused, nothing is written.
  const before = await Promise.all([count('loadbalancer'), count('listener'), count('member'), count('port')]);
  const over = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', fullBody(3));
  assert.equal(over.status, 403);
  assert.deepEqual(over.body, { faultcode: 'Client', faultstring: 'Quota has been met for resources: Member', debuginfo: null });
  assert.deepEqual(await Promise.all([count('loadbalancer'), count('listener'), count('member'), count('port')]), before);

  const ok = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', fullBody(2));
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  await settled(t, ok.body.loadbalancer.id);
  const second = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: t.subnetId } });
  assert.equal(second.status, 403);
  assert.equal(second.body.faultstring, 'Quota has been met for resources: Load Balancer');
  const member = await call(t.app, 'POST', `/v2/lbaas/pools/${ok.body.loadbalancer.pools[0].id}/members`, { member: { address: '127.0.0.2', protocol_port: 80 } });
  assert.equal(member.status, 403);
  assert.equal(member.body.faultstring, 'Quota has been met for resources: Member');

  // null puts one limit back to its default; DELETE all of them.
  const back = await call(t.app, 'PUT', `/v2/lbaas/quotas/${PROJECT}`, { quota: { member: null } });
  assert.equal(back.body.quota.member, 5);
  assert.equal(back.body.quota.load_balancer, 1);
  assert.equal((await call(t.app, 'DELETE', `/v2/lbaas/quotas/${PROJECT}`)).status, 202);
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/quotas/${PROJECT}`)).body.quota.load_balancer, 10);
  assert.deepEqual((await call(t.app, 'GET', '/v2/lbaas/quotas')).body.quotas, []);
  await call(t.app, 'DELETE', `/v2/lbaas/loadbalancers/${ok.body.loadbalancer.id}?cascade=true`);
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${ok.body.loadbalancer.id}`, 'loadbalancer', 'DELETED');
  await setQuotaDefaults(t.store, { loadBalancer: -1, listener: -1, pool: -1, member: -1, healthMonitor: -1, l7policy: -1, l7rule: -1 });
});

test('flavor profiles: data checked against the provider\'s capabilities; a bad topology refused naming the values', async () => {
  const post = (data: string, provider = 'haproxy') =>
    call(t.app, 'POST', '/v2/lbaas/flavorprofiles', { flavorprofile: { name: 'p', provider_name: provider, flavor_data: data } });
  const cases: [string, string, number, RegExp][] = [
    ['{not json', 'haproxy', 400, /^\{not json is not a valid option for flavor_data$/],
    ['[1]', 'haproxy', 400, /is not a valid option for flavor_data/],
    ['{"compute_flavor": "x"}', 'haproxy', 400, /^Provider 'haproxy' does not support a requested option: Invalid flavor metadata: 'compute_flavor' is not a capability/],
    ['{"loadbalancer_topology": "ACTIVE_ACTIVE"}', 'haproxy', 400, /loadbalancer_topology must be SINGLE or ACTIVE_STANDBY/],
    ['{"maxconn": 50000}', 'haproxy', 400, /maxconn must be an integer from 1 to 9900/],
    ['{"nbthread": 0}', 'haproxy', 400, /nbthread must be an integer from 1 to 64/],
    ['{"maxconn": 100}', 'noop', 400, /Provider 'noop' does not support a requested option/],
    ['{}', 'amphora', 400, /^Provider 'amphora' is not enabled\.$/],
  ];
  for (const [data, prov, status, message] of cases) {
    const r = await post(data, prov);
    assert.equal(r.status, status, data);
    assert.match(r.body.faultstring, message, data);
  }
  assert.equal((await call(t.app, 'GET', '/v2/lbaas/flavorprofiles')).body.flavorprofiles.length, 0);
  // ACTIVE_STANDBY is accepted (HAProxy on two agents with keepalived: test/e2e/active-standby).
  const as = await post('{"loadbalancer_topology": "ACTIVE_STANDBY"}');
  assert.equal(as.status, 201, JSON.stringify(as.body));
  // This app is one node (`fulcrum up`, with its own agent): a pair could never be placed, so the
  // create is refused naming the field, and nothing is written.
  const fl = await call(t.app, 'POST', '/v2/lbaas/flavors', { flavor: { name: 'as', flavor_profile_id: as.body.flavorprofile.id } });
  assert.equal(fl.status, 201, JSON.stringify(fl.body));
  const lbs = (await call(t.app, 'GET', '/v2/lbaas/loadbalancers')).body.loadbalancers.length;
  const refused = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: t.subnetId, flavor_id: fl.body.flavor.id } });
  assert.equal(refused.status, 400, JSON.stringify(refused.body));
  assert.match(refused.body.faultstring, /ACTIVE_STANDBY flavor needs two network nodes/);
  assert.equal((await call(t.app, 'GET', '/v2/lbaas/loadbalancers')).body.loadbalancers.length, lbs);
  assert.equal((await call(t.app, 'DELETE', `/v2/lbaas/flavors/${fl.body.flavor.id}`)).status, 204);
  assert.equal((await call(t.app, 'DELETE', `/v2/lbaas/flavorprofiles/${as.body.flavorprofile.id}`)).status, 204);
  const caps = await call(t.app, 'GET', '/v2/lbaas/providers/haproxy/flavor_capabilities');
  assert.deepEqual(caps.body.flavor_capabilities.map((c: { name: string }) => c.name), ['loadbalancer_topology', 'maxconn', 'nbthread']);
  assert.deepEqual((await call(t.app, 'GET', '/v2/lbaas/providers/haproxy/availability_zone_capabilities')).body,
    { availability_zone_capabilities: [{ name: 'hosts', description: 'The host names of the network-node agents that may run load balancers of this zone.' }] });
  assert.deepEqual((await call(t.app, 'GET', '/v2/lbaas/providers/noop/flavor_capabilities')).body, { flavor_capabilities: [] });
  assert.equal((await call(t.app, 'GET', '/v2/lbaas/providers/nope/flavor_capabilities')).status, 400);
});

test('a load balancer created with a flavor runs HAProxy with its maxconn and nbthread; flavor and profile in use cannot change or go', async () => {
  const fp = await call(t.app, 'POST', '/v2/lbaas/flavorprofiles', {
    flavorprofile: { name: 'small', provider_name: 'haproxy', flavor_data: '{"loadbalancer_topology": "SINGLE", "maxconn": 1234, "nbthread": 2}' },
  });
  assert.equal(fp.status, 201, JSON.stringify(fp.body));
  assert.deepEqual(Object.keys(fp.body.flavorprofile).sort(), ['flavor_data', 'id', 'name', 'provider_name']);
  const fl = await call(t.app, 'POST', '/v2/lbaas/flavors', { flavor: { name: 'small', description: 'two threads', flavor_profile_id: fp.body.flavorprofile.id } });
  assert.equal(fl.status, 201, JSON.stringify(fl.body));
  assert.deepEqual(fl.body.flavor, { id: fl.body.flavor.id, name: 'small', description: 'two threads', enabled: true, flavor_profile_id: fp.body.flavorprofile.id });
  const dup = await call(t.app, 'POST', '/v2/lbaas/flavors', { flavor: { name: 'small', flavor_profile_id: fp.body.flavorprofile.id } });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.faultstring, 'A flavor of small already exists.');
  const flavorId = fl.body.flavor.id as string;

  const mismatch = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: t.subnetId, flavor_id: flavorId, provider: 'noop' } });
  assert.equal(mismatch.status, 400);
  assert.equal(mismatch.body.faultstring, `Flavor '${flavorId}' is not compatible with provider 'noop'`);
  const unknown = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: t.subnetId, flavor_id: '00000000-0000-4000-8000-000000000000' } });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.faultstring, 'Validation failure: Invalid flavor_id.');

  const r = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', fullBody(1, { flavor_id: flavorId }));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const lb = r.body.loadbalancer;
  assert.equal(lb.flavor_id, flavorId);
  assert.equal(lb.provider, 'haproxy');
  await settled(t, lb.id);
  const cfg = readFileSync(join(provider.dirOf(lb.id), 'haproxy.cfg'), 'utf8');
  assert.match(cfg, /\nglobal\n {4}maxconn 1234\n {4}nbthread 2\n/);
  const info = await new RuntimeApi(join(provider.dirOf(lb.id), 'stats.sock')).showInfo();
  assert.equal(info.Maxconn, '1234');
  assert.equal(info.Nbthread, '2');
  assert.equal(await fetchThrough(lb.id, lb.listeners[0].protocol_port), 'web');

  // In use: the profile's data cannot change, neither can the profile or the flavor go.
  const change = await call(t.app, 'PUT', `/v2/lbaas/flavorprofiles/${fp.body.flavorprofile.id}`, { flavorprofile: { flavor_data: '{"maxconn": 10}' } });
  assert.equal(change.status, 409);
  assert.equal(change.body.faultstring, `Flavor profile ${fp.body.flavorprofile.id} is in use and cannot be modified.`);
  assert.equal((await call(t.app, 'DELETE', `/v2/lbaas/flavorprofiles/${fp.body.flavorprofile.id}`)).status, 409);
  const del = await call(t.app, 'DELETE', `/v2/lbaas/flavors/${flavorId}`);
  assert.equal(del.status, 409);
  assert.equal(del.body.faultstring, `Flavor ${flavorId} is in use and cannot be modified.`);
  // A disabled flavor is refused for new load balancers.
  assert.equal((await call(t.app, 'PUT', `/v2/lbaas/flavors/${flavorId}`, { flavor: { enabled: false } })).body.flavor.enabled, false);
  const disabled = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: t.subnetId, flavor_id: flavorId } });
  assert.equal(disabled.status, 400);
  assert.equal(disabled.body.faultstring, `The selected flavor is not allowed in this deployment: ${flavorId}`);

  await call(t.app, 'DELETE', `/v2/lbaas/loadbalancers/${lb.id}?cascade=true`);
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'DELETED');
  assert.equal((await call(t.app, 'DELETE', `/v2/lbaas/flavors/${flavorId}`)).status, 204);
  assert.equal((await call(t.app, 'DELETE', `/v2/lbaas/flavorprofiles/${fp.body.flavorprofile.id}`)).status, 204);
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/flavors/${flavorId}`)).status, 404);
});

test('availability zones: hosts validated; a zone without this agent\'s host is refused; the zone is stored and shown', async () => {
  const bad = await call(t.app, 'POST', '/v2/lbaas/availabilityzoneprofiles', {
    availability_zone_profile: { name: 'x', provider_name: 'haproxy', availability_zone_data: '{"hosts": ["bad host!"]}' },
  });
  assert.equal(bad.status, 400);
  assert.match(bad.body.faultstring, /hosts must be a non-empty list of host names/);
  const mk = async (name: string, hosts: string[]): Promise<void> => {
    const p = await call(t.app, 'POST', '/v2/lbaas/availabilityzoneprofiles', {
      availability_zone_profile: { name, provider_name: 'haproxy', availability_zone_data: JSON.stringify({ hosts }) },
    });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    const z = await call(t.app, 'POST', '/v2/lbaas/availabilityzones', {
      availability_zone: { name, availability_zone_profile_id: p.body.availability_zone_profile.id },
    });
    assert.equal(z.status, 201, JSON.stringify(z.body));
    assert.deepEqual(Object.keys(z.body.availability_zone).sort(), ['availability_zone_profile_id', 'description', 'enabled', 'name']);
  };
  await mk('az-elsewhere', ['node-b.example']);
  await mk('az-here', ['node-b.example', HOST]);
  const refused = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: t.subnetId, availability_zone: 'az-elsewhere' } });
  assert.equal(refused.status, 400);
  assert.equal(refused.body.faultstring, "Availability zone 'az-elsewhere' has no network node that can host the load balancer.");
  assert.equal((await call(t.app, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: t.subnetId, availability_zone: 'nowhere' } })).body.faultstring,
    'Validation failure: Invalid availability zone.');
  const r = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: t.subnetId, availability_zone: 'az-here' } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.loadbalancer.availability_zone, 'az-here');
  await settled(t, r.body.loadbalancer.id);
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/loadbalancers?availability_zone=az-here`)).body.loadbalancers.length, 1);
  assert.equal((await call(t.app, 'DELETE', '/v2/lbaas/availabilityzones/az-here')).status, 409);
  const amph = (await call(t.app, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${r.body.loadbalancer.id}`)).body.amphorae[0];
  assert.equal(amph.cached_zone, 'az-here');
  assert.equal(amph.compute_id, HOST);
  await call(t.app, 'DELETE', `/v2/lbaas/loadbalancers/${r.body.loadbalancer.id}`);
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${r.body.loadbalancer.id}`, 'loadbalancer', 'DELETED');
  assert.equal((await call(t.app, 'DELETE', '/v2/lbaas/availabilityzones/az-here')).status, 204);
});

test('amphorae: one per load balancer with Octavia\'s shape; failover rebuilds HAProxy with the same configuration and it serves again', async () => {
  const r = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', fullBody(2));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const lb = r.body.loadbalancer;
  await settled(t, lb.id);
  const list = (await call(t.app, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}`)).body;
  assert.equal(list.amphorae.length, 1);
  const amph = list.amphorae[0];
  assert.deepEqual(Object.keys(amph).sort(), [
    'cached_zone', 'cert_busy', 'cert_expiration', 'compute_flavor', 'compute_id', 'created_at', 'ha_ip', 'ha_port_id', 'id',
    'image_id', 'lb_network_ip', 'loadbalancer_id', 'role', 'status', 'updated_at', 'vrrp_id', 'vrrp_interface', 'vrrp_ip',
    'vrrp_port_id', 'vrrp_priority',
  ]);
  assert.equal(amph.status, 'ALLOCATED');
  assert.equal(amph.role, 'STANDALONE');
  assert.equal(amph.ha_ip, lb.vip_address);
  assert.equal(amph.compute_id, HOST);
  assert.equal((await call(t.app, 'GET', `/v2/octavia/amphorae/${amph.id}`)).body.amphora.id, amph.id);
  // openstackclient's amphora list filters: host, role, status.
  assert.equal((await call(t.app, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}&compute_id=${HOST}&role=STANDALONE&status=ALLOCATED`)).body.amphorae.length, 1);
  assert.equal((await call(t.app, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}&compute_id=other`)).body.amphorae.length, 0);
  assert.equal((await call(t.app, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}&role=MASTER`)).body.amphorae.length, 0);
  const stats = (await call(t.app, 'GET', `/v2/octavia/amphorae/${amph.id}/stats`)).body.amphora_stats;
  assert.equal(stats.length, 1);
  assert.equal(stats[0].listener_id, lb.listeners[0].id);

  const dir = provider.dirOf(lb.id);
  const cfgBefore = readFileSync(join(dir, 'haproxy.cfg'), 'utf8');
  const pidBefore = readFileSync(join(dir, 'haproxy.pid'), 'utf8').trim();
  const port = lb.listeners[0].protocol_port as number;
  assert.equal(await fetchThrough(lb.id, port), 'web');
  const startsBefore = provider.counters.starts;

  const fo = await call(t.app, 'PUT', `/v2/lbaas/loadbalancers/${lb.id}/failover`);
  assert.equal(fo.status, 202);
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/loadbalancers/${lb.id}`)).body.loadbalancer.provisioning_status, 'PENDING_UPDATE');
  // While it is pending, a second failover (or any change) is 409, as in Octavia.
  assert.equal((await call(t.app, 'PUT', `/v2/lbaas/loadbalancers/${lb.id}/failover`)).status, 409);
  await settled(t, lb.id);
  const after = (await call(t.app, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}`)).body.amphorae;
  assert.equal(after.length, 1);
  assert.notEqual(after[0].id, amph.id);
  assert.equal(after[0].status, 'ALLOCATED');
  assert.equal((await call(t.app, 'GET', `/v2/octavia/amphorae/${amph.id}`)).status, 404);
  assert.equal(provider.counters.starts, startsBefore + 1, 'HAProxy started anew, not reloaded');
  assert.notEqual(readFileSync(join(dir, 'haproxy.pid'), 'utf8').trim(), pidBefore);
  assert.equal(readFileSync(join(dir, 'haproxy.cfg'), 'utf8'), cfgBefore, 'the same configuration, rebuilt from the desired state');
  assert.equal(await fetchThrough(lb.id, port), 'web');
  const members = (await call(t.app, 'GET', `/v2/lbaas/pools/${lb.pools[0].id}/members`)).body.members;
  assert.equal(members.length, 2);

  // A load balancer in ERROR recovers by a failover.
  await holdStatus(t.store, 'loadbalancer', lb.id, 'ERROR');
  assert.equal((await call(t.app, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}`)).body.amphorae[0].status, 'ERROR');
  assert.equal((await call(t.app, 'PUT', `/v2/lbaas/loadbalancers/${lb.id}/failover`)).status, 202);
  await settled(t, lb.id);
  assert.equal(await fetchThrough(lb.id, port), 'web');
  const recovered = (await call(t.app, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}`)).body.amphorae;

  // The amphora's own failover route does the same.
  assert.equal((await call(t.app, 'PUT', `/v2/octavia/amphorae/${recovered[0].id}/failover`)).status, 202);
  await settled(t, lb.id);
  assert.notEqual((await call(t.app, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}`)).body.amphorae[0].id, recovered[0].id);
  assert.equal(await fetchThrough(lb.id, port), 'web');
  assert.equal((await call(t.app, 'PUT', '/v2/octavia/amphorae/00000000-0000-4000-8000-000000000000/failover')).status, 404);
  await call(t.app, 'DELETE', `/v2/lbaas/loadbalancers/${lb.id}?cascade=true`);
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'DELETED');
  assert.equal((await call(t.app, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}`)).body.amphorae.length, 0);
});
