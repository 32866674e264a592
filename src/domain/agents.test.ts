/** @module domain/agents.test — the scheduling policy, as a table. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAlive, pickAgent, type AgentRecord } from './agents.js';

function agent(host: string, over: Partial<AgentRecord> = {}): AgentRecord {
  return {
    id: `id-${host}`, host, adminStateUp: true, description: '', configurations: {}, heartbeatAgeMs: 100,
    heartbeatAt: '', startedAt: '', createdAt: '', loadBalancerIds: [], ...over,
  };
}

test('alive means a heartbeat within the down time', () => {
  assert.equal(isAlive({ heartbeatAgeMs: 10_000 }, 10_000), true);
  assert.equal(isAlive({ heartbeatAgeMs: 10_001 }, 10_000), false);
});

test('pickAgent: the live, enabled, allowed, not excluded agent with the fewest load balancers; ties by host name', () => {
  const a = agent('a', { loadBalancerIds: ['1', '2'] });
  const b = agent('b', { loadBalancerIds: ['3'] });
  const c = agent('c', { loadBalancerIds: ['4'] });
  const dead = agent('d', { heartbeatAgeMs: 20_000 });
  const off = agent('e', { adminStateUp: false });
  const all = [a, b, c, dead, off];
  const rows: [string, Parameters<typeof pickAgent>[1], string | undefined][] = [
    ['least loaded; b before c on a tie', { downAfterMs: 10_000 }, 'b'],
    ['dead and disabled agents never', { downAfterMs: 10_000, exclude: new Set(['id-b', 'id-c', 'id-a']) }, undefined],
    ['a dead agent counts as alive with a longer down time', { downAfterMs: 30_000 }, 'd'],
    ['allowed hosts only', { downAfterMs: 10_000, allowedHosts: new Set(['a', 'e']) }, 'a'],
    ['excluded agent skipped', { downAfterMs: 10_000, exclude: new Set(['id-b']) }, 'c'],
    ['load of this sweep overrides', { downAfterMs: 10_000, load: new Map([['id-b', 5], ['id-c', 5]]) }, 'a'],
    ['no agent allowed', { downAfterMs: 10_000, allowedHosts: new Set(['zz']) }, undefined],
  ];
  for (const [why, req, want] of rows) assert.equal(pickAgent(all, req)?.host, want, why);
});
