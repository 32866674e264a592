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
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NetnsInterfaceDriver } from '../../src/drivers/interface/netns.js';
import { killNamespaceProcesses, netnsExists } from '../../src/drivers/sys/ip.js';
import { until } from '../helpers/scene.js';
import {
  apiView,
  fields, login, missingClients, OPENSTACK, openstack, openstackJson, rows, run, startFulcrumUp, type Env, type FulcrumUp,
} from '../helpers/openstack-cli.js';

const skip = missingClients([[OPENSTACK, 'python3-openstackclient']], [['octaviaclient', 'python3-octaviaclient']]);

let up: FulcrumUp | undefined;
let dataDir = '';
let url = '';
let demo: Env = {};
let admin: Env = {};
/** demo's project id, from its token. */
let demoProject = '';
/** A demo token for the test's own polling (not a client's). */
let demoToken = '';

/** The test's own view of the API with demo's token (to wait between client steps). */
const { apiGet, active, gone } = apiView(() => url, () => demoToken);

/** This run's agent host name (what the zone names), and a host name that is not this agent's. */
const HOST = `fulcrum-ops-${process.pid}`;
/** Load balancers the test made, removed in `after` even when a test failed. */
const made = new Set<string>();
let octet = 0;

describe('openstack loadbalancer operator commands against `fulcrum up` (HAProxy on netns)', { skip }, () => {
  before(async () => {
    octet = 100 + Math.floor(Math.random() * 150);
    up = await startFulcrumUp({
      name: 'fulcrum-operator-', env: { FULCRUM_QUOTA_L7RULE: '50' },
      args: ['--provider', 'haproxy', '--interface-driver', 'netns', '--host', HOST, '--log-level', 'warn'],
    });
    ({ dataDir, url, demo, admin } = up);
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
    await up?.stop();
    for (const id of made) {
      if (netnsExists(`qlbaas-${id}`)) {
        await killNamespaceProcesses(`qlbaas-${id}`);
        await new NetnsInterfaceDriver().unplug(id);
      }
    }
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
