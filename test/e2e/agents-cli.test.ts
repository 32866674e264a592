/**
 * @module test/e2e/agents-cli.test — Neutron's agents API (`/v2.0/agents`) through Debian's real
 * clients against `fulcrum up` (embedded identity, noop provider, `--host`): `openstack network
 * agent list` and `show` with the columns and fields they print (Alive `:-)`, State `UP`, the
 * agent type and binary, the heartbeat), `openstack network agent set --disable` / `--enable`
 * (drain and back), and `neutron agent-list` / `agent-show`; a tenant is refused. Skipped when
 * the clients are not installed (scripts/install-system-deps.sh --test).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  fields, missingClients, NEUTRON, neutron, OPENSTACK, openstack, openstackJson, rows, run, startFulcrumUp, UUID, type Env, type FulcrumUp,
} from '../helpers/openstack-cli.js';

const skip = missingClients([[OPENSTACK, 'python3-openstackclient'], [NEUTRON, 'python3-neutronclient']]);
/** This run's agent host name. */
const HOST = `fulcrum-agents-${process.pid}`;

describe('openstack network agent / neutron agent-* against `fulcrum up`', { skip }, () => {
  let up: FulcrumUp | undefined;
  let admin: Env = {};
  let demo: Env = {};
  let agentId = '';

  before(async () => {
    up = await startFulcrumUp({ name: 'fulcrum-agents-', args: ['--provider', 'noop', '--interface-driver', 'host', '--host', HOST, '--log-level', 'warn'] });
    ({ admin, demo } = up);
  });
  after(async () => {
    await up?.stop();
  });

  test('openstack network agent list: the agent of fulcrum up, alive and up, as a load balancer agent', async () => {
    const table = rows(await openstack(admin, 'network', 'agent', 'list'));
    assert.equal(table.length, 1, JSON.stringify(table));
    const row = table[0]!;
    assert.deepEqual(Object.keys(row), ['ID', 'Agent Type', 'Host', 'Availability Zone', 'Alive', 'State', 'Binary']);
    assert.match(row.ID!, UUID);
    assert.equal(row['Agent Type'], 'Loadbalancerv2 agent');
    assert.equal(row.Host, HOST);
    assert.equal(row.Alive, ':-)');
    assert.equal(row.State, 'UP');
    assert.equal(row.Binary, 'fulcrum-agent');
    agentId = row.ID!;
    // Filters the client sends as query parameters.
    assert.equal(rows(await openstack(admin, 'network', 'agent', 'list', '--host', HOST)).length, 1);
    assert.equal(rows(await openstack(admin, 'network', 'agent', 'list', '--host', 'no-such-host')).length, 0);
    const json = await openstackJson<Record<string, unknown>[]>(admin, 'network', 'agent', 'list');
    assert.equal(json[0]!.Alive, true);
    assert.equal(json[0]!.State, true);
  });

  test('openstack network agent show: id, host, type, binary, heartbeat and configuration', async () => {
    const f = fields(await openstack(admin, 'network', 'agent', 'show', agentId));
    assert.equal(f.id, agentId);
    assert.equal(f.host, HOST);
    assert.equal(f.agent_type, 'Loadbalancerv2 agent');
    assert.equal(f.binary, 'fulcrum-agent');
    assert.equal(f.alive, ':-)');
    assert.equal(f.admin_state_up, 'UP');
    assert.match(f.last_heartbeat_at ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.match(f.started_at ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.match(f.configuration ?? '', /'interface_driver': 'host'/);
    assert.match(f.configuration ?? '', /'loadbalancers': 0/);
  });

  test('openstack network agent set --disable drains (State DOWN), --enable and a description bring it back', async () => {
    await openstack(admin, 'network', 'agent', 'set', '--disable', agentId);
    assert.equal(rows(await openstack(admin, 'network', 'agent', 'list'))[0]!.State, 'DOWN');
    assert.equal(fields(await openstack(admin, 'network', 'agent', 'show', agentId)).admin_state_up, 'DOWN');
    await openstack(admin, 'network', 'agent', 'set', '--enable', '--description', 'rack 4', agentId);
    const f = fields(await openstack(admin, 'network', 'agent', 'show', agentId));
    assert.equal(f.admin_state_up, 'UP');
    assert.equal(f.description, 'rack 4');
  });

  test('neutron agent-list and agent-show (python3-neutronclient)', async () => {
    const table = rows(await neutron(admin, 'agent-list'));
    assert.equal(table.length, 1);
    assert.equal(table[0]!.id, agentId);
    assert.equal(table[0]!.agent_type, 'Loadbalancerv2 agent');
    assert.equal(table[0]!.host, HOST);
    assert.equal(table[0]!.alive, ':-)');
    assert.equal(table[0]!.admin_state_up, 'True');
    assert.equal(table[0]!.binary, 'fulcrum-agent');
    const f = fields(await neutron(admin, 'agent-show', agentId));
    assert.equal(f.id, agentId);
    assert.equal(f.host, HOST);
    assert.equal(f.topic, 'fulcrum');
  });

  test('a tenant may not list agents: the client reports the 403', async () => {
    const r = await run(OPENSTACK, ['network', 'agent', 'list'], demo);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /403|[Ff]orbidden|not (allowed|authorized)/);
  });
});
