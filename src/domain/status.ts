/**
 * @module domain/status — provisioning and operating statuses, the only place that knows
 * which transitions are allowed, and the operating-status rollup member → pool → listener → LB.
 */
import { FulcrumError } from './errors.js';

export const PROVISIONING_STATUSES = [
  'ACTIVE', 'DELETED', 'ERROR', 'PENDING_CREATE', 'PENDING_UPDATE', 'PENDING_DELETE',
] as const;
export type ProvisioningStatus = (typeof PROVISIONING_STATUSES)[number];

export const OPERATING_STATUSES = [
  'ONLINE', 'DRAINING', 'OFFLINE', 'DEGRADED', 'ERROR', 'NO_MONITOR',
] as const;
export type OperatingStatus = (typeof OPERATING_STATUSES)[number];

/** Statuses in which a load balancer accepts changes (Octavia `MUTABLE_STATUSES`). */
export const MUTABLE: readonly ProvisioningStatus[] = ['ACTIVE'];
/** Statuses from which a load balancer may be deleted (Octavia `DELETABLE_STATUSES`). */
export const DELETABLE: readonly ProvisioningStatus[] = ['ACTIVE', 'ERROR'];

/** True when the status is one of the `PENDING_*` ones. */
export function isPending(s: ProvisioningStatus): boolean {
  return s.startsWith('PENDING_');
}

/**
 * Throws 409 `LB_IMMUTABLE` unless the load balancer accepts a change now.
 * `forDelete` allows `ERROR` too, as Octavia does for deletes.
 */
export function assertMutable(lb: { id: string; provisioningStatus: ProvisioningStatus }, forDelete = false): void {
  const allowed = forDelete ? DELETABLE : MUTABLE;
  if (!allowed.includes(lb.provisioningStatus)) {
    throw new FulcrumError('LB_IMMUTABLE', `Load Balancer ${lb.id} is immutable and cannot be updated.`, {
      detail: `provisioning_status is ${lb.provisioningStatus}`,
    });
  }
}

/** Operating status of one member as HAProxy reports it, before rollup. */
export interface MemberHealth {
  adminStateUp: boolean;
  /** null when the pool has no health monitor. */
  status: 'UP' | 'DOWN' | 'DRAIN' | 'MAINT' | 'NO_CHECK' | null;
}

/** A member's operating status (Octavia's health manager mapping). */
export function memberOperatingStatus(h: MemberHealth, hasMonitor: boolean): OperatingStatus {
  if (!h.adminStateUp) return 'OFFLINE';
  if (h.status === 'MAINT') return 'OFFLINE';
  if (!hasMonitor || h.status === 'NO_CHECK' || h.status === null) return 'NO_MONITOR';
  if (h.status === 'DRAIN') return 'DRAINING';
  return h.status === 'UP' ? 'ONLINE' : 'ERROR';
}

/**
 * A pool's operating status from its members' (Octavia `_process_pool_status`):
 * all members in error → ERROR, some → DEGRADED, otherwise ONLINE.
 */
export function poolOperatingStatus(adminStateUp: boolean, members: readonly OperatingStatus[]): OperatingStatus {
  if (!adminStateUp) return 'OFFLINE';
  const enabled = members.filter((m) => m !== 'OFFLINE');
  if (enabled.length === 0) return 'ONLINE';
  const down = enabled.filter((m) => m === 'ERROR').length;
  if (down === enabled.length) return 'ERROR';
  if (down > 0) return 'DEGRADED';
  return 'ONLINE';
}

/** A listener's or load balancer's status from its children: the worst of them. */
export function worstOf(adminStateUp: boolean, children: readonly OperatingStatus[]): OperatingStatus {
  if (!adminStateUp) return 'OFFLINE';
  if (children.includes('ERROR') || children.includes('DEGRADED')) return 'DEGRADED';
  return 'ONLINE';
}
