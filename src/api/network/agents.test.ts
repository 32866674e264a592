/** @module api/network/agents.test — Neutron's agents API over Fulcrum's agents: list, show, drain, delete rules. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activeLoadBalancer, call, makeTestApi } from '../../../test/helpers/fixtures.js';

test('/v2.0/agents lists agents with alive, admin_state_up and their load balancers; PUT drains; DELETE only a dead empty one', async () => {
  const t = await makeTestApi();
  try {
    const agent = await t.store.registerAgent('net-1', { tunnel_ip: '192.0.2.1' });
    const lb = await activeLoadBalancer(t);
    assert.deepEqual((await t.store.placementsOf(lb.id)).map((p) => p.agentId), [agent.id], 'placed on the only live agent');
    const list = await call(t.app, 'GET', '/v2.0/agents');
    assert.equal(list.status, 200);
    assert.equal(list.body.agents.length, 1);
    const a = list.body.agents[0];
    assert.equal(a.id, agent.id);
    assert.equal(a.host, 'net-1');
    assert.equal(a.alive, true);
    assert.equal(a.admin_state_up, true);
    assert.equal(a.agent_type, 'Loadbalancerv2 agent');
    assert.deepEqual(a.loadbalancers, [lb.id]);
    assert.deepEqual(a.configurations, { tunnel_ip: '192.0.2.1', loadbalancers: 1 });
    assert.match(a.heartbeat_timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    // The same on the network endpoint (what `openstack network agent list` reads).
    assert.equal((await call(t.app, 'GET', '/network/v2.0/agents')).body.agents[0].id, agent.id);

    const put = await call(t.app, 'PUT', `/v2.0/agents/${agent.id}`, { agent: { admin_state_up: false, description: 'kernel upgrade' } });
    assert.equal(put.status, 200);
    assert.equal(put.body.agent.admin_state_up, false);
    assert.equal(put.body.agent.description, 'kernel upgrade');
    assert.equal((await call(t.app, 'PUT', `/v2.0/agents/${agent.id}`, { agent: { host: 'x' } })).status, 400);
    const gone = await call(t.app, 'GET', '/v2.0/agents/7d4f0b52-0000-4000-8000-000000000000');
    assert.equal(gone.status, 404);
    assert.equal(gone.body.NeutronError.type, 'AgentNotFound');
    const busy = await call(t.app, 'DELETE', `/v2.0/agents/${agent.id}`);
    assert.equal(busy.status, 409);
    assert.equal(busy.body.NeutronError.type, 'AgentInUse');
    // A dead agent that hosts nothing can go.
    const old = await t.store.registerAgent('net-old', {});
    await t.store.sqlDialect.run('UPDATE agents SET heartbeat_ms = heartbeat_ms - 600000 WHERE id = ?', [old.id]);
    assert.equal((await call(t.app, 'GET', `/v2.0/agents/${old.id}`)).body.agent.alive, false);
    assert.equal((await call(t.app, 'DELETE', `/v2.0/agents/${old.id}`)).status, 204);
    assert.equal((await call(t.app, 'GET', `/v2.0/agents/${old.id}`)).status, 404);
  } finally {
    await t.close();
  }
});
