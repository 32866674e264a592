/** @module cli/cli.test — the `fulcrum` client run in-process against a real API (SQLite, noop provider) over HTTP. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { holdStatus, makeTestApi, PROJECT, type TestApi } from '../../test/helpers/fixtures.js';
import { until } from '../../test/helpers/scene.js';
import { EventHub } from '../service/events.js';
import { runCli, type LocalCommand } from './main.js';

let api: TestApi;
let url: string;
/** Headers of every request the API received, to check what the client sends. */
const seen: Record<string, string | string[] | undefined>[] = [];
/** `METHOD url` of every request, to tell following the event stream from polling. */
const requests: string[] = [];
/** When set, the API answers /events with 404, as a server without an event stream. */
let hideEvents = false;
const hub = new EventHub();

interface Run {
  code: number;
  out: string;
  err: string;
}

async function fulcrum(argv: string[], local: LocalCommand[] = []): Promise<Run> {
  return started(argv, local).done;
}

/** Starts a command; its output so far can be read while it runs, and `signal` ends `watch`. */
function started(argv: string[], local: LocalCommand[] = [], signal?: AbortSignal): { done: Promise<Run>; out: () => string } {
  let out = '';
  let err = '';
  const done = runCli(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env: { FULCRUM_URL: url, FULCRUM_PROJECT_ID: PROJECT },
    ...(signal ? { signal } : {}),
  }, local).then((code) => ({ code, out, err }));
  return { done, out: () => out };
}

/** Runs a command that must succeed; returns stdout parsed as JSON (the command must use `-f json`). */
async function json(argv: string[]): Promise<any> {
  const r = await fulcrum([...argv, '-f', 'json']);
  assert.equal(r.code, 0, `fulcrum ${argv.join(' ')} failed: ${r.err}`);
  return JSON.parse(r.out);
}

before(async () => {
  api = await makeTestApi({ events: { hub } });
  hub.attach(api.store);
  api.app.addHook('onRequest', async (request, reply) => {
    seen.push(request.headers);
    requests.push(`${request.method} ${request.url}`);
    if (hideEvents && request.url.startsWith('/v2/lbaas/events')) return reply.code(404).send({ faultcode: 'Client', faultstring: 'Not Found', debuginfo: null });
  });
  url = await api.app.listen({ host: '127.0.0.1', port: 0 });
});
after(async () => {
  await hub.detach();
  await api.close();
});

describe('load balancers and their children', () => {
  let lbId = '';

  test('create --wait shows PENDING_CREATE then ACTIVE and prints the final object', async () => {
    const r = await fulcrum(['loadbalancer', 'create', '--name', 'lb1', '--vip-subnet-id', 'lbaas-subnet', '--wait', '--tag', 'web']);
    assert.equal(r.code, 0, r.err);
    const lines = r.err.trim().split('\n');
    assert.match(lines[0]!, /^\[\d+\.\d\ds\] load balancer lb1: provisioning_status PENDING_CREATE, operating_status OFFLINE$/);
    assert.match(lines.at(-1)!, /provisioning_status PENDING_CREATE → ACTIVE/);
    assert.match(r.out, /^\| provisioning_status +\| ACTIVE +\|$/m);
    assert.match(r.out, /^\| Field +\| Value +\|$/m);
    const show = await json(['loadbalancer', 'show', 'lb1']);
    lbId = show.id;
    assert.equal(show.vip_subnet_id, api.subnetId, 'the subnet name was resolved to its ID');
    assert.deepEqual(show.tags, ['web']);
    const sent = seen.find((h) => h['x-project-id'] !== undefined);
    assert.equal(sent?.['x-project-id'], PROJECT);
  });

  test('list in json, value and table form with octaviaclient columns', async () => {
    const list = await json(['loadbalancer', 'list']);
    assert.deepEqual(Object.keys(list[0]), ['id', 'name', 'project_id', 'vip_address', 'provisioning_status', 'operating_status', 'provider']);
    assert.equal(list[0].id, lbId);
    const value = await fulcrum(['loadbalancer', 'list', '-f', 'value', '-c', 'name', '-c', 'provisioning_status']);
    assert.equal(value.out, 'lb1 ACTIVE\n');
    const table = await fulcrum(['loadbalancer', 'list']);
    const rows = table.out.trimEnd().split('\n');
    assert.equal(rows.length, 5, table.out);
    assert.match(rows[0]!, /^\+-+\+-+\+/);
    assert.match(rows[1]!, /^\| id +\| name +\| project_id +\| vip_address +\| provisioning_status +\| operating_status +\| provider +\|$/);
    assert.ok(rows[3]!.startsWith(`| ${lbId} | lb1 `), rows[3]);
    const none = await fulcrum(['loadbalancer', 'list', '--name', 'nothing-here']);
    assert.deepEqual(none, { code: 0, out: '', err: '' }, 'an empty table prints nothing, as cliff');
  });

  test('show by name: sorted fields, tenant_id left out; -c picks fields', async () => {
    const show = await json(['loadbalancer', 'show', 'lb1']);
    const keys = Object.keys(show);
    assert.deepEqual(keys, [...keys].sort());
    assert.ok(!keys.includes('tenant_id'));
    const value = await fulcrum(['loadbalancer', 'show', lbId, '-f', 'value', '-c', 'name', '-c', 'admin_state_up']);
    assert.equal(value.out, 'lb1\nTrue\n');
  });

  test('set --name --wait renames; the old name no longer resolves', async () => {
    const r = await fulcrum(['loadbalancer', 'set', '--name', 'lb-one', '--description', 'front', 'lb1', '--wait']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, '', 'set prints nothing, as openstackclient');
    assert.match(r.err, /provisioning_status PENDING_UPDATE/);
    assert.match(r.err, /→ ACTIVE/);
    assert.equal((await json(['loadbalancer', 'show', 'lb-one'])).description, 'front');
    const old = await fulcrum(['loadbalancer', 'show', 'lb1']);
    assert.equal(old.code, 1);
    assert.equal(old.err, "No load balancer with a name or ID of 'lb1' exists.\n");
  });

  test('listener, pool, member and health monitor refer to their parents by name', async () => {
    const listener = await json(['listener', 'create', '--protocol', 'http', '--protocol-port', '80', '--name', 'l1', 'lb-one', '--wait']);
    assert.deepEqual(listener.loadbalancers, [{ id: lbId }]);
    assert.equal(listener.protocol, 'HTTP', 'choices are case-insensitive');
    assert.equal(listener.provisioning_status, 'ACTIVE');

    const pool = await json(['pool', 'create', '--lb-algorithm', 'ROUND_ROBIN', '--listener', 'l1', '--protocol', 'HTTP', '--name', 'p1', '--wait']);
    assert.deepEqual(pool.listeners, [{ id: listener.id }]);
    assert.equal(pool.provisioning_status, 'ACTIVE');
    assert.equal((await json(['listener', 'show', 'l1'])).default_pool_id, pool.id);

    const member = await json([
      'member', 'create', '--address', '10.115.54.20', '--protocol-port', '8080', '--subnet-id', 'lbaas-subnet', '--name', 'm1', 'p1', '--wait',
    ]);
    assert.equal(member.subnet_id, api.subnetId);
    assert.equal(member.provisioning_status, 'ACTIVE');
    const members = await fulcrum(['member', 'list', 'p1', '-f', 'value', '-c', 'name', '-c', 'address', '-c', 'protocol_port']);
    assert.equal(members.out, 'm1 10.115.54.20 8080\n');
    assert.equal((await json(['member', 'show', 'p1', 'm1'])).id, member.id);

    const hm = await json([
      'healthmonitor', 'create', '--delay', '5', '--timeout', '3', '--max-retries', '3', '--type', 'HTTP', '--url-path', '/', '--name', 'hm1', 'p1', '--wait',
    ]);
    assert.deepEqual(hm.pools, [{ id: pool.id }]);
    assert.equal(hm.provisioning_status, 'ACTIVE');
    const hms = await json(['healthmonitor', 'list']);
    assert.deepEqual(hms, [{ id: hm.id, name: 'hm1', project_id: PROJECT, type: 'HTTP', admin_state_up: true }]);

    const set = await fulcrum(['member', 'set', 'p1', 'm1', '--weight', '5', '--wait']);
    assert.equal(set.code, 0, set.err);
    assert.match(set.err, /^\[\d+\.\d\ds\] member m1: provisioning_status PENDING_UPDATE/);
    assert.equal((await json(['member', 'show', 'p1', 'm1'])).weight, 5);
  });

  test('delete --wait follows a member until it is gone', async () => {
    const r = await fulcrum(['member', 'delete', 'p1', 'm1', '--wait']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /member m1: deleted\n$/);
    assert.deepEqual(await json(['member', 'list', 'p1']), []);
  });

  test('several objects with one name: the lookup refuses to guess', async () => {
    await json(['loadbalancer', 'create', '--name', 'twin', '--vip-subnet-id', api.subnetId, '--wait']);
    await json(['loadbalancer', 'create', '--name', 'twin', '--vip-subnet-id', api.subnetId, '--wait']);
    const r = await fulcrum(['loadbalancer', 'delete', 'twin']);
    assert.equal(r.code, 1);
    assert.equal(r.err, "More than one load balancer exists with the name 'twin'.\n");
    for (const id of (await fulcrum(['loadbalancer', 'list', '--name', 'twin', '-f', 'value', '-c', 'id'])).out.trim().split('\n')) {
      assert.equal((await fulcrum(['loadbalancer', 'delete', id, '--wait'])).code, 0);
    }
  });

  test('loadbalancer delete --cascade --wait removes the tree', async () => {
    const r = await fulcrum(['loadbalancer', 'delete', '--cascade', 'lb-one', '--wait']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /load balancer lb-one: deleted\n$/);
    assert.deepEqual(await json(['loadbalancer', 'list']), []);
    assert.deepEqual(await json(['pool', 'list']), []);
  });
});

describe('errors', () => {
  test("an API error prints the API's message and exits 1", async () => {
    const bogus = randomUUID();
    const r = await fulcrum(['loadbalancer', 'create', '--vip-subnet-id', bogus]);
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.match(r.err, new RegExp(`Subnet ${bogus} not found\\..* \\(HTTP 400\\) \\(Request-ID: req-[0-9a-f-]+\\)\\n$`));
  });

  test('usage errors exit 2', async () => {
    const missing = await fulcrum(['listener', 'create', 'lb-x', '--protocol-port', '80']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /required option '--protocol <protocol>' not specified/);
    const parent = await fulcrum(['pool', 'create', '--protocol', 'HTTP', '--lb-algorithm', 'ROUND_ROBIN']);
    assert.equal(parent.code, 2);
    assert.match(parent.err, /one of the arguments --listener --loadbalancer is required/);
    const both = await fulcrum(['loadbalancer', 'set', 'x', '--enable', '--disable']);
    assert.equal(both.code, 2);
    const column = await fulcrum(['loadbalancer', 'list', '-c', 'nope']);
    assert.equal(column.code, 2);
    assert.match(column.err, /No recognized column name 'nope'\. Recognized columns are \('id', 'name',/);
    const format = await fulcrum(['loadbalancer', 'list', '-f', 'yaml']);
    assert.equal(format.code, 2);
    assert.equal((await fulcrum(['frobnicate'])).code, 2);
  });

  test('an unreachable API is exit 1 with the address; the token goes out as X-Auth-Token', async () => {
    const closed = createServer();
    const port = await new Promise<number>((resolve) => closed.listen(0, '127.0.0.1', () => resolve((closed.address() as AddressInfo).port)));
    await new Promise((resolve) => closed.close(resolve));
    const r = await fulcrum(['--os-url', `http://127.0.0.1:${port}`, 'loadbalancer', 'list']);
    assert.equal(r.code, 1);
    assert.equal(r.err, `Unable to reach the Fulcrum API at http://127.0.0.1:${port}: ECONNREFUSED\n`);
    seen.length = 0;
    assert.equal((await fulcrum(['loadbalancer', 'list', '--os-token', 'tok-1'])).code, 0);
    assert.equal(seen[0]?.['x-auth-token'], 'tok-1');
  });

  test('--help lists the nouns and the commands the executable runs itself', async () => {
    const r = await fulcrum(['--help'], [{ name: 'up', args: '[options]', summary: 'run the API server and the agent' }]);
    assert.equal(r.code, 0);
    assert.match(r.out, /^ {2}up \[options\] +run the API server and the agent$/m);
    for (const noun of ['loadbalancer', 'listener', 'pool', 'member', 'healthmonitor', 'network', 'subnet', 'port']) {
      assert.match(r.out, new RegExp(`^  ${noun} `, 'm'));
    }
    const sub = await fulcrum(['member', 'create', '--help']);
    assert.equal(sub.code, 0);
    assert.match(sub.out, /--protocol-port <protocol_port>/);
  });
});

describe('networks, subnets and ports', () => {
  test('create, list, show, set and delete with openstackclient columns', async (t) => {
    const probe = await fetch(`${url}/v2.0/networks`, { headers: { 'x-project-id': PROJECT } });
    if (probe.status === 404) return t.skip('the /v2.0 network API is not there yet');

    const net = await json(['network', 'create', 'n1', '--description', 'backends']);
    assert.equal(net.name, 'n1');
    const subnet = await json(['subnet', 'create', '--network', 'n1', '--subnet-range', '10.0.0.0/24', 's1']);
    assert.equal(subnet.network_id, net.id);
    assert.equal(subnet.cidr, '10.0.0.0/24');
    const port = await json(['port', 'create', '--network', 'n1', '--fixed-ip', 'subnet=s1,ip-address=10.0.0.5', 'p1']);
    assert.deepEqual(port.fixed_ips, [{ subnet_id: subnet.id, ip_address: '10.0.0.5' }]);

    const nets = await json(['network', 'list', '--name', 'n1']);
    assert.deepEqual(nets, [{ ID: net.id, Name: 'n1', Subnets: [subnet.id] }]);
    const subnets = await fulcrum(['subnet', 'list', '--network', 'n1', '-f', 'value', '-c', 'Name', '-c', 'Subnet']);
    assert.equal(subnets.out, 's1 10.0.0.0/24\n');
    const ports = await fulcrum(['port', 'list', '--network', 'n1']);
    assert.match(ports.out, /^\| ID +\| Name +\| MAC Address +\| Fixed IP Addresses +\| Status +\|$/m);
    assert.match(ports.out, new RegExp(`ip_address='10\\.0\\.0\\.5', subnet_id='${subnet.id}'|subnet_id='${subnet.id}', ip_address='10\\.0\\.0\\.5'`));

    assert.equal((await fulcrum(['port', 'set', 'p1', '--name', 'p2'])).code, 0);
    assert.equal((await json(['port', 'show', 'p2'])).id, port.id);
    assert.equal((await fulcrum(['subnet', 'set', 's1', '--no-dhcp'])).code, 0);
    assert.equal((await json(['subnet', 'show', 's1'])).enable_dhcp, false);
    assert.equal((await fulcrum(['network', 'set', 'n1', '--name', 'n2'])).code, 0);
    assert.equal((await json(['network', 'show', 'n2'])).description, 'backends');

    for (const [noun, name] of [['port', 'p2'], ['subnet', 's1'], ['network', 'n2']] as const) {
      const r = await fulcrum([noun, 'delete', name]);
      assert.equal(r.code, 0, r.err);
    }
    assert.deepEqual(await json(['network', 'list', '--name', 'n2']), []);
    const gone = await fulcrum(['network', 'show', 'n2']);
    assert.equal(gone.code, 1);
    assert.equal(gone.err, "No network with a name or ID of 'n2' exists.\n");
  });

  test('a Neutron error prints its message', async (t) => {
    const probe = await fetch(`${url}/v2.0/networks`, { headers: { 'x-project-id': PROJECT } });
    if (probe.status === 404) return t.skip('the /v2.0 network API is not there yet');
    const r = await fulcrum(['subnet', 'create', '--network', 'lbaas', '--subnet-range', 'not-a-cidr', 'bad']);
    assert.equal(r.code, 1);
    assert.match(r.err, /\(HTTP 400\)/);
    assert.doesNotMatch(r.err, /NeutronError/);
  });
});

describe('following changes as they happen', () => {
  let lbId = '';

  test('--wait follows the event stream instead of polling', async () => {
    const from = requests.length;
    const r = await fulcrum(['loadbalancer', 'create', '--name', 'streamed', '--vip-subnet-id', 'lbaas-subnet', '--wait', '-f', 'json']);
    assert.equal(r.code, 0, r.err);
    lbId = JSON.parse(r.out).id;
    assert.equal(JSON.parse(r.out).provisioning_status, 'ACTIVE');
    assert.match(r.err, /provisioning_status PENDING_CREATE → ACTIVE/);
    const mine = requests.slice(from);
    assert.ok(mine.includes(`GET /v2/lbaas/events?loadbalancer_id=${lbId}`), mine.join('\n'));
    // One read once subscribed (what changed before it), one for the final object: no polling.
    assert.ok(mine.filter((x) => x === `GET /v2/lbaas/loadbalancers/${lbId}`).length <= 2, mine.join('\n'));
  });

  test('a server without an event stream (404) is polled, as before', async () => {
    hideEvents = true;
    try {
      const from = requests.length;
      const r = await fulcrum(['listener', 'create', '--protocol', 'TCP', '--protocol-port', '22', '--name', 'polled', 'streamed', '--wait']);
      assert.equal(r.code, 0, r.err);
      assert.match(r.err, /listener polled: provisioning_status PENDING_CREATE → ACTIVE/);
      const mine = requests.slice(from);
      assert.ok(mine.some((x) => x.startsWith('GET /v2/lbaas/events')), 'it asked for the stream first');
      assert.ok(mine.some((x) => /^GET \/v2\/lbaas\/listeners\/[0-9a-f-]{36}$/.test(x)), 'then read the listener');
    } finally {
      hideEvents = false;
    }
  });

  test('fulcrum watch LB prints each change as it happens until stopped, and leaves no subscription', async () => {
    const stop = new AbortController();
    const text = started(['watch', 'streamed'], [], stop.signal);
    const json = started(['watch', '-f', 'json'], [], stop.signal);
    await until('both watchers subscribed', async () => (hub.subscriberCount === 2 ? true : undefined), 5000);
    assert.equal((await fulcrum(['listener', 'create', '--protocol', 'TCP', '--protocol-port', '23', '--name', 'watched', 'streamed'])).code, 0);
    const listenerActive = /\] listener watched \([0-9a-f-]{36}\): provisioning_status PENDING_CREATE → ACTIVE\n/;
    await until('the load balancer ACTIVE again', async () => (/load balancer streamed \([^)]+\): provisioning_status PENDING_UPDATE → ACTIVE\n/.test(text.out()) ? true : undefined), 5000);
    stop.abort();
    const [t, j] = await Promise.all([text.done, json.done]);
    assert.equal(t.code, 0, t.err);
    assert.equal(j.code, 0, j.err);
    assert.match(t.out, /^\[\d\d:\d\d:\d\d\.\d{3}\] load balancer streamed \([0-9a-f-]{36}\): provisioning_status ACTIVE → PENDING_UPDATE$/m);
    assert.match(t.out, /listener watched \([0-9a-f-]{36}\): created, provisioning_status PENDING_CREATE, operating_status OFFLINE\n/);
    assert.match(t.out, listenerActive);
    const events = j.out.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(events.some((e) => e.event === 'status' && e.data.kind === 'listener' && e.data.name === 'watched' && e.data.provisioning_status === 'ACTIVE' && e.data.loadbalancer_id === lbId));
    await until('no subscription left', async () => (hub.subscriberCount === 0 ? true : undefined), 5000);
  });
});

// Last: these stop the agent, so that statuses stay where the test puts them.
describe('--wait when the change does not complete', () => {
  test('ERROR ends the wait with exit 1; a PENDING_* past --wait-timeout does too', async () => {
    await api.agent.stop();
    const creating = fulcrum(['loadbalancer', 'create', '--name', 'doomed', '--vip-subnet-id', 'lbaas-subnet', '--wait']);
    let id: string | undefined;
    while (id === undefined) {
      id = (await api.store.list('loadbalancer')).find((lb) => lb.name === 'doomed')?.id;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await holdStatus(api.store, 'loadbalancer', id, 'ERROR');
    const created = await creating;
    assert.equal(created.code, 1);
    assert.equal(created.out, '');
    assert.match(created.err, /load balancer doomed: provisioning_status PENDING_CREATE → ERROR\nload balancer doomed went to ERROR\n$/);

    const deleting = await fulcrum(['loadbalancer', 'delete', 'doomed', '--wait', '--wait-timeout', '1']);
    assert.equal(deleting.code, 1);
    assert.match(deleting.err, /load balancer doomed: provisioning_status PENDING_DELETE, operating_status \w+\n/);
    assert.match(deleting.err, /Timed out after 1 s waiting for load balancer doomed \(provisioning_status PENDING_DELETE\)\n$/);
  });
});
