/**
 * @module service/events.test — the hub on its own: numbering, visibility by project, replay
 * from a Last-Event-ID, reset when the ring no longer holds what was missed, unchanged counters.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CommittedEvent, StatusChange } from '../store/store.js';
import type { Caller } from './context.js';
import { EventHub, type HubEvent } from './events.js';

const caller = (projectId: string, over: Partial<Caller> = {}): Caller =>
  ({ projectId, userId: 'u', roles: ['member'], noauth: false, isAdmin: false, readsAll: false, ...over });

const change = (projectId: string, id: string, provisioningStatus: StatusChange['provisioningStatus'] = 'ACTIVE'): StatusChange => ({
  type: 'status', kind: 'loadbalancer', id, loadBalancerId: id, poolId: null, projectId, name: 'lb',
  provisioningStatus, operatingStatus: 'ONLINE', previous: { provisioningStatus: 'PENDING_CREATE', operatingStatus: 'OFFLINE' },
});

const ids = (events: readonly HubEvent[]): string[] => events.map((e) => (e.type === 'status' ? e.data.id : `stats ${e.loadBalancerId}`));

test('events are numbered from the start time in microseconds, one apart, and reach only who may see them', () => {
  const hub = new EventHub({ now: () => 1_000 });
  assert.equal(hub.lastId, 999_999);
  const mine: HubEvent[] = [];
  const theirs: HubEvent[] = [];
  const admin: HubEvent[] = [];
  const observer: HubEvent[] = [];
  hub.subscribe(caller('p1'), {}, null, (e) => mine.push(e));
  hub.subscribe(caller('p2'), {}, null, (e) => theirs.push(e));
  hub.subscribe(caller('p2', { isAdmin: true, readsAll: true }), {}, null, (e) => admin.push(e));
  hub.subscribe(caller('p3', { readsAll: true }), { loadBalancerId: 'b' }, null, (e) => observer.push(e));
  hub.publish([change('p1', 'a'), change('p1', 'b')]);
  assert.deepEqual(mine.map((e) => e.id), [1_000_000, 1_000_001]);
  assert.deepEqual(theirs, []);
  assert.deepEqual(ids(admin), ['a', 'b']);
  assert.deepEqual(ids(observer), ['b'], 'a global observer sees all, filtered to one load balancer');
  assert.equal(hub.subscriberCount, 4);
});

test('a Last-Event-ID replays exactly the visible events after it; an id the ring no longer covers is a reset', () => {
  const hub = new EventHub({ capacity: 3, now: () => 5 });
  hub.publish([change('p1', 'a'), change('p2', 'x'), change('p1', 'b')]);
  const first = hub.lastId - 2;
  const r = hub.subscribe(caller('p1'), {}, first, () => undefined);
  assert.deepEqual(r.replay.kind === 'events' && ids(r.replay.events), ['b'], 'after a: x is not ours, b is');
  const all = hub.subscribe(caller('p1'), {}, first - 1, () => undefined).replay;
  assert.deepEqual(all.kind === 'events' && ids(all.events), ['a', 'b']);
  assert.deepEqual(hub.subscribe(caller('p1'), {}, hub.lastId, () => undefined).replay, { kind: 'events', events: [] });
  hub.publish([change('p1', 'c')]); // a falls out of the ring
  assert.deepEqual(hub.subscribe(caller('p1'), {}, first - 1, () => undefined).replay, { kind: 'reset', lastId: hub.lastId });
  const ok = hub.subscribe(caller('p1'), {}, first, () => undefined).replay;
  assert.deepEqual(ok.kind === 'events' && ids(ok.events), ['b', 'c']);
  // An id from a previous server process (lower start) or from nowhere (above the last).
  assert.equal(hub.subscribe(caller('p1'), {}, 17, () => undefined).replay.kind, 'reset');
  assert.equal(hub.subscribe(caller('p1'), {}, hub.lastId + 1, () => undefined).replay.kind, 'reset');
});

test('a restarted hub numbers above every id of the previous one', () => {
  let clock = 1_700_000_000_000;
  const before = new EventHub({ now: () => clock });
  for (let i = 0; i < 500; i++) before.publish([change('p1', `lb${i}`)]);
  clock += 1;
  const after = new EventHub({ now: () => clock });
  after.publish([change('p1', 'again')]);
  assert.ok(after.lastId > before.lastId);
  assert.equal(after.subscribe(caller('p1'), {}, before.lastId, () => undefined).replay.kind, 'reset');
});

test('counters are an event only when they changed; closing a subscription removes it', () => {
  const hub = new EventHub();
  const got: HubEvent[] = [];
  const sub = hub.subscribe(caller('p1'), {}, null, (e) => got.push(e));
  const s = { bytesIn: 1, bytesOut: 2, activeConnections: 0, totalConnections: 1, requestErrors: 0 };
  const sample = (bytesIn: number): CommittedEvent => ({
    type: 'stats', loadBalancerId: 'a', projectId: 'p1', total: { ...s, bytesIn }, byListener: new Map([['l1', { ...s, bytesIn }]]),
  });
  hub.publish([sample(1)]);
  hub.publish([sample(1)]);
  hub.publish([sample(9)]);
  assert.deepEqual(got.map((e) => e.type === 'stats' && e.data.stats.bytes_in), [1, 9]);
  assert.deepEqual(got[1]!.type === 'stats' && got[1]!.data.listeners, { l1: { bytes_in: 9, bytes_out: 2, active_connections: 0, total_connections: 1, request_errors: 0 } });
  sub.close();
  assert.equal(hub.subscriberCount, 0);
  hub.publish([sample(10)]);
  assert.equal(got.length, 2);
});
