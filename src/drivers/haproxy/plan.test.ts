/** @module drivers/haproxy/plan.test — which changes go through the runtime API and which reload. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planChange } from './plan.js';

const cfg = (servers: string[], extra = '') => [
  'global',
  '    maxconn 9000',
  'frontend f1',
  '    bind 10.0.0.7:80',
  `    default_backend b1${extra}`,
  'backend b1',
  '    balance roundrobin',
  ...servers.map((s) => `    server ${s}`),
  '',
].join('\n');

test('identical configurations need nothing', () => {
  assert.deepEqual(planChange(cfg(['m1 10.0.0.11:80 weight 1']), cfg(['m1 10.0.0.11:80 weight 1'])), { kind: 'none' });
});

test('member add, delete, weight and admin state are runtime commands', () => {
  const before = cfg(['m1 10.0.0.11:80 weight 1 check inter 5s fall 3 rise 3', 'm2 10.0.0.12:80 weight 1']);
  const after = cfg(['m1 10.0.0.11:80 weight 0 check inter 5s fall 3 rise 3 disabled', 'm3 10.0.0.13:80 weight 2 check inter 5s fall 3 rise 3']);
  const plan = planChange(before, after);
  assert.equal(plan.kind, 'runtime');
  assert.deepEqual(plan.kind === 'runtime' && plan.commands, [
    'set server b1/m1 weight 0',
    'set server b1/m1 state maint',
    'add server b1/m3 10.0.0.13:80 weight 2 check inter 5s fall 3 rise 3',
    'enable health b1/m3',
    'enable server b1/m3',
    'set server b1/m2 state maint',
    'set server b1/m2 addr 10.0.0.12 port 81',
    'del server b1/m2',
  ]);
});

test('the last member of a backend is deleted at runtime (regression: it reloaded, "backend removed")', () => {
  const plan = planChange(cfg(['m1 10.0.0.11:80 weight 1']), cfg([]));
  assert.deepEqual(plan, { kind: 'runtime', commands: ['set server b1/m1 state maint', 'set server b1/m1 addr 10.0.0.11 port 81', 'del server b1/m1'], summary: 'delete m1' });
});

test('a batch of 1,000 members is one runtime plan, summarised by counts', () => {
  const servers = Array.from({ length: 1000 }, (_, i) => `m${i} 10.0.${i >> 8}.${i & 255}:80 weight 1`);
  const plan = planChange(cfg(servers.slice(0, 10)), cfg(servers.slice(5)));
  assert.equal(plan.kind, 'runtime');
  assert.equal(plan.kind === 'runtime' && plan.commands.length, 990 * 2 + 5 * 3);
  assert.equal(plan.kind === 'runtime' && plan.summary, 'add ×990, delete ×5');
});

test('a disabled new member is added and left in maintenance', () => {
  const plan = planChange(cfg([]), cfg(['m1 10.0.0.11:80 weight 1 disabled']));
  assert.deepEqual(plan.kind === 'runtime' && plan.commands, ['add server b1/m1 10.0.0.11:80 weight 1 disabled']);
});

test('a changed address or port replaces the server at runtime', () => {
  const plan = planChange(cfg(['m1 10.0.0.11:80 weight 1']), cfg(['m1 10.0.0.11:81 weight 1']));
  assert.deepEqual(plan.kind === 'runtime' && plan.commands, [
    'set server b1/m1 state maint', 'set server b1/m1 addr 10.0.0.11 port 81', 'del server b1/m1', 'add server b1/m1 10.0.0.11:81 weight 1', 'enable server b1/m1',
  ]);
});

test('a deleted server is moved to another port before `del server` (closes its idle connections), IPv6 and port 65535 too', () => {
  const plan = planChange(cfg(['m1 fd00::11:65535 weight 1', 'm2 10.0.0.12:8080 weight 1']), cfg([]));
  assert.deepEqual(plan.kind === 'runtime' && plan.commands, [
    'set server b1/m1 state maint', 'set server b1/m1 addr fd00::11 port 1', 'del server b1/m1',
    'set server b1/m2 state maint', 'set server b1/m2 addr 10.0.0.12 port 8081', 'del server b1/m2',
  ]);
});

test('anything outside server lines reloads, naming the section', () => {
  const plan = planChange(cfg(['m1 10.0.0.11:80 weight 1']), cfg(['m1 10.0.0.11:80 weight 1'], '2'));
  assert.deepEqual(plan, { kind: 'reload', reason: 'frontend f1 changed', cause: 'listener' });
});

test('members of cookie-persistence pools reload: HAProxy 2.6 refuses cookie on dynamic servers', () => {
  const plan = planChange(cfg([]), cfg(['m1 10.0.0.11:80 weight 1 cookie m1']));
  assert.equal(plan.kind, 'reload');
  assert.equal(plan.kind === 'reload' && plan.cause, 'member');
});
