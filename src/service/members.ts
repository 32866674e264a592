/**
 * @module service/members — pool members with Octavia's rules (`octavia/api/v2/controllers/member.py`).
 * `buildMember` and `addMember` are shared with the fully-populated load balancer create.
 */
import { FulcrumError } from '../domain/errors.js';
import { newId, type MemberId, type SubnetId } from '../domain/ids.js';
import { DEFAULT_WEIGHT, RESERVED_MEMBER_ADDRESSES } from '../domain/limits.js';
import { VIP_PORT_OWNER, type Member, type Pool } from '../domain/model.js';
import { nowTimestamp } from '../domain/time.js';
import type { ListQuery, Store, Tx } from '../store/store.js';
import {
  childProject, duplicate, given, insertUnique, invalidOption, lockPoolMutable, settingsOf, touchListenersOf,
} from './children.js';
import type { Caller } from './context.js';
import { createPort } from './ports.js';
import { getVisible, listVisible, notFoundError, viewOf, withRelations, type View } from './objects.js';
import { enforceQuotas } from './quotas.js';

/** A member's fields as a create gives them (already shape-checked by the API). */
export interface MemberFields {
  name?: string;
  adminStateUp?: boolean;
  address: string;
  protocolPort: number;
  weight?: number;
  backup?: boolean;
  subnetId?: string;
  monitorPort?: number;
  monitorAddress?: string;
  tags?: string[];
}

/** `POST /pools/{pool_id}/members`. */
export interface MemberCreate extends MemberFields {
  projectId?: string;
}

/** `PUT /pools/{pool_id}/members/{id}`: absent fields stay; null resets (weight 1, backup false). */
export interface MemberUpdate {
  name?: string | null;
  adminStateUp?: boolean;
  weight?: number | null;
  backup?: boolean | null;
  monitorPort?: number | null;
  monitorAddress?: string | null;
  tags?: string[] | null;
}

/** A new member of `pool`, PENDING_CREATE (NO_MONITOR, or OFFLINE when the pool has a monitor). */
export function buildMember(pool: Pool, projectId: string, input: MemberFields, hasMonitor: boolean): Member {
  if (RESERVED_MEMBER_ADDRESSES.includes(input.address)) throw invalidOption(input.address, 'member address', 'address');
  return {
    id: newId<'Member'>() as MemberId,
    poolId: pool.id,
    loadBalancerId: pool.loadBalancerId,
    projectId,
    name: input.name ?? '',
    description: '',
    adminStateUp: input.adminStateUp ?? true,
    provisioningStatus: 'PENDING_CREATE',
    operatingStatus: hasMonitor ? 'OFFLINE' : 'NO_MONITOR',
    tags: input.tags ?? [],
    createdAt: nowTimestamp(),
    updatedAt: null,
    address: input.address,
    protocolPort: input.protocolPort,
    weight: input.weight ?? DEFAULT_WEIGHT,
    backup: input.backup ?? false,
    subnetId: (input.subnetId ?? null) as SubnetId | null,
    monitorAddress: input.monitorAddress ?? null,
    monitorPort: input.monitorPort ?? null,
  };
}

const duplicateMember = (m: Pick<Member, 'address' | 'protocolPort'>) =>
  duplicate(`Another member on this pool is already using ip ${m.address} on protocol_port ${m.protocolPort}`);

/**
 * Inserts a built member: its subnet must exist (Octavia's 404), its address and port be free in
 * the pool (409). A member on a subnet the load balancer has no port on gets one, as Octavia plugs
 * the amphora into each member subnet; the store frees it with the last member that needs it.
 */
export async function addMember(tx: Tx, member: Member): Promise<void> {
  await ensureMemberPort(tx, member);
  await insertUnique(tx, 'member', member, () => duplicateMember(member));
}

/** The member's subnet must exist (404); the load balancer gets a port on it unless it has one. */
async function ensureMemberPort(tx: Tx, member: Member): Promise<void> {
  if (member.subnetId) {
    const subnet = await tx.get('subnet', member.subnetId);
    if (!subnet) throw new FulcrumError('NOT_FOUND', `Subnet ${member.subnetId} not found.`, { field: 'subnet_id' });
    const owned = await tx.list('port', { filters: { deviceId: [member.loadBalancerId], deviceOwner: [VIP_PORT_OWNER] }, limit: null });
    if (!owned.some((p) => p.fixedIps.some((f) => f.subnetId === subnet.id))) {
      const lb = (await tx.get('loadbalancer', member.loadBalancerId))!;
      await createPort(tx, {
        networkId: subnet.networkId, projectId: lb.projectId, name: `octavia-lb-member-${lb.id}`,
        fixedIps: [{ subnetId: subnet.id }], deviceOwner: VIP_PORT_OWNER, deviceId: lb.id,
      });
    }
  }
}

/** True when the pool has a health monitor (new members then start OFFLINE, not NO_MONITOR). */
async function hasMonitor(tx: Tx, poolId: string): Promise<boolean> {
  return (await tx.list('healthmonitor', { filters: { poolId: [poolId] } })).length > 0;
}

/** The member `id` of pool `poolId` (404 for a member of another pool, as Octavia). */
async function memberOf(store: Store | Tx, caller: Caller, poolId: string, id: string): Promise<{ pool: Pool; member: Member }> {
  const pool = await getVisible(store, caller, 'pool', poolId);
  const member = await getVisible(store, caller, 'member', id);
  if (member.poolId !== pool.id) throw notFoundError('member', id);
  return { pool, member };
}

/** Adds a member to a pool; the pool and its listeners go PENDING_UPDATE. */
export async function createMember(store: Store, caller: Caller, poolId: string, input: MemberCreate): Promise<View<Member>> {
  return store.transaction(async (tx) => {
    const pool = await getVisible(tx, caller, 'pool', poolId);
    const lb = await getVisible(tx, caller, 'loadbalancer', pool.loadBalancerId);
    const member = buildMember(pool, childProject(caller, lb, input.projectId), input, await hasMonitor(tx, pool.id));
    await lockPoolMutable(tx, pool);
    await addMember(tx, member);
    await enforceQuotas(tx, member.projectId, [{ kind: 'member', status: 'PENDING_CREATE' }]);
    await tx.beginChange(lb.id, 'PENDING_UPDATE', [
      { kind: 'member', id: member.id, status: 'PENDING_CREATE' },
      { kind: 'pool', id: pool.id, status: 'PENDING_UPDATE' },
      ...await touchListenersOf(tx, pool.id),
    ]);
    return viewOf(tx, 'member', member);
  });
}

/** Shows one member of a pool. */
export async function getMember(store: Store, caller: Caller, poolId: string, id: string): Promise<View<Member>> {
  return viewOf(store, 'member', (await memberOf(store, caller, poolId, id)).member);
}

/** Lists the members of a pool. */
export async function listMembers(store: Store, caller: Caller, poolId: string, query: ListQuery): Promise<View<Member>[]> {
  const pool = await getVisible(store, caller, 'pool', poolId);
  const filters = { ...(query.filters ?? {}), poolId: [pool.id] };
  return withRelations(store, 'member', await listVisible(store, caller, 'member', { ...query, filters }));
}

/** The member after a PUT (Octavia `_set_default_on_none`). Pure. */
export function applyMemberUpdate(cur: Member, patch: MemberUpdate): Member {
  const p = given(patch);
  const pick = <T>(v: T | null | undefined, onNull: T, keep: T): T => (v === undefined ? keep : v === null ? onNull : v);
  return {
    ...cur,
    name: pick(p.name, '', cur.name),
    adminStateUp: p.adminStateUp ?? cur.adminStateUp,
    weight: pick(p.weight, DEFAULT_WEIGHT, cur.weight),
    backup: pick(p.backup, false, cur.backup),
    monitorPort: pick(p.monitorPort, null, cur.monitorPort),
    monitorAddress: pick(p.monitorAddress, null, cur.monitorAddress),
    tags: pick(p.tags, [], cur.tags),
  };
}

/** Changes a member; it, its pool and the pool's listeners go PENDING_UPDATE. */
export async function updateMember(store: Store, caller: Caller, poolId: string, id: string, patch: MemberUpdate): Promise<View<Member>> {
  return store.transaction(async (tx) => {
    const { pool, member } = await memberOf(tx, caller, poolId, id);
    const next = applyMemberUpdate(member, patch);
    await lockPoolMutable(tx, pool);
    await tx.update('member', id, settingsOf(next));
    await tx.beginChange(pool.loadBalancerId, 'PENDING_UPDATE', [
      { kind: 'member', id, status: 'PENDING_UPDATE' },
      { kind: 'pool', id: pool.id, status: 'PENDING_UPDATE' },
      ...await touchListenersOf(tx, pool.id),
    ]);
    return viewOf(tx, 'member', (await tx.get('member', id))!);
  });
}

/** Removes a member (PENDING_DELETE until the data plane drops it). */
export async function deleteMember(store: Store, caller: Caller, poolId: string, id: string): Promise<void> {
  await store.transaction(async (tx) => {
    const { pool } = await memberOf(tx, caller, poolId, id);
    await lockPoolMutable(tx, pool);
    await tx.beginChange(pool.loadBalancerId, 'PENDING_UPDATE', [
      { kind: 'member', id, status: 'PENDING_DELETE' },
      { kind: 'pool', id: pool.id, status: 'PENDING_UPDATE' },
      ...await touchListenersOf(tx, pool.id),
    ]);
  });
}

/** `PUT /pools/{pool_id}/members`: the pool's whole member list (Octavia `MembersController.put`). */
export interface MemberBatch {
  members: MemberCreate[];
  /** Keep the pool's members the list does not name (Octavia's `additive_only`). */
  additiveOnly: boolean;
}

/** What a batch does, by member (for logs and tests). */
export interface MemberBatchResult {
  created: MemberId[];
  updated: MemberId[];
  deleted: MemberId[];
}

const memberKey = (address: string, port: number) => `${address}|${port}`;

/**
 * Replaces a pool's members in one change (one generation, one reconcile), as Octavia's batch
 * update: members are matched on address and protocol port; a matched one takes the given
 * fields, with Octavia's POST defaults for `weight` (1), `admin_state_up` (true) and `backup`
 * (false) when the entry leaves them out, and goes PENDING_UPDATE; an unmatched entry is created;
 * a member the list does not name is deleted unless `additiveOnly`. Nothing to create, update or
 * delete is a no-op (no change, as Octavia returns early). An address and port named twice is
 * Octavia's duplicate-member 409. Nothing is written when any entry is refused.
 */
export async function batchUpdateMembers(store: Store, caller: Caller, poolId: string, batch: MemberBatch): Promise<MemberBatchResult> {
  return store.transaction(async (tx) => {
    const pool = await getVisible(tx, caller, 'pool', poolId);
    const lb = await getVisible(tx, caller, 'loadbalancer', pool.loadBalancerId);
    for (const m of batch.members) {
      if (m.subnetId && !(await tx.get('subnet', m.subnetId))) {
        throw new FulcrumError('NOT_FOUND', `Subnet ${m.subnetId} not found.`, { field: 'subnet_id' });
      }
    }
    await lockPoolMutable(tx, pool);
    const current = (await tx.list('member', { filters: { poolId: [pool.id] }, limit: null }))
      .filter((m) => m.provisioningStatus !== 'DELETED');
    const byKey = new Map(current.map((m) => [memberKey(m.address, m.protocolPort), m]));
    const named = new Set<string>();
    const result: MemberBatchResult = { created: [], updated: [], deleted: [] };
    const projectId = childProject(caller, lb, undefined);
    const monitored = await hasMonitor(tx, pool.id);
    const toCreate: Member[] = [];
    const toUpdate: Member[] = [];
    for (const input of batch.members) {
      childProject(caller, lb, input.projectId);
      const key = memberKey(input.address, input.protocolPort);
      if (named.has(key)) throw duplicateMember(input);
      named.add(key);
      const cur = byKey.get(key);
      if (!cur) {
        toCreate.push(buildMember(pool, projectId, input, monitored));
        continue;
      }
      toUpdate.push({
        ...cur,
        name: input.name ?? cur.name,
        weight: input.weight ?? DEFAULT_WEIGHT,
        adminStateUp: input.adminStateUp ?? true,
        backup: input.backup ?? false,
        subnetId: (input.subnetId ?? cur.subnetId) as SubnetId | null,
        monitorAddress: input.monitorAddress ?? cur.monitorAddress,
        monitorPort: input.monitorPort ?? cur.monitorPort,
        tags: input.tags ?? cur.tags,
      });
    }
    const toDelete = batch.additiveOnly ? [] : current.filter((m) => !named.has(memberKey(m.address, m.protocolPort)));
    if (toCreate.length === 0 && toUpdate.length === 0 && toDelete.length === 0) return result;
    for (const m of toCreate) {
      await addMember(tx, m);
      result.created.push(m.id);
    }
    // As Octavia's batch update: the new members count against the project's member quota.
    if (toCreate.length > 0) await enforceQuotas(tx, projectId, [{ kind: 'member', status: 'PENDING_CREATE' }]);
    for (const m of toUpdate) {
      if (m.subnetId !== byKey.get(memberKey(m.address, m.protocolPort))?.subnetId) await ensureMemberPort(tx, m);
      await tx.update('member', m.id, settingsOf(m));
      result.updated.push(m.id);
    }
    result.deleted.push(...toDelete.map((m) => m.id));
    await tx.beginChange(lb.id, 'PENDING_UPDATE', [
      ...result.created.map((id) => ({ kind: 'member' as const, id, status: 'PENDING_CREATE' as const })),
      ...result.updated.map((id) => ({ kind: 'member' as const, id, status: 'PENDING_UPDATE' as const })),
      ...result.deleted.map((id) => ({ kind: 'member' as const, id, status: 'PENDING_DELETE' as const })),
      { kind: 'pool', id: pool.id, status: 'PENDING_UPDATE' },
      ...await touchListenersOf(tx, pool.id),
    ]);
    return result;
  });
}
