/**
 * @module service/quotas — Octavia's per-project quotas: limits per resource (-1 unlimited, null
 * the default), the defaults from the configuration, and their enforcement inside the transaction
 * that creates the objects, under the project's quota lock (no two creates take the last slot).
 */
import { FulcrumError } from '../domain/errors.js';
import { QUOTA_KIND, QUOTA_RESOURCES, QUOTA_TITLES, type Quota, type QuotaLimits, type QuotaResource } from '../domain/operator.js';
import type { ProvisioningStatus } from '../domain/status.js';
import type { Store, StoredKind, Tx } from '../store/store.js';
import type { Caller } from './context.js';

/** One project's limits in force (defaults filled in). */
export interface QuotaView {
  projectId: string;
  limits: Record<QuotaResource, number>;
}

/** Octavia's defaults: everything unlimited. */
export const UNLIMITED: Record<QuotaResource, number> = {
  loadBalancer: -1, listener: -1, pool: -1, member: -1, healthMonitor: -1, l7policy: -1, l7rule: -1,
};

const DEFAULTS_ID = 'default';

/** Records the defaults in force (from the configuration; `fulcrum up` calls it at start). */
export async function setQuotaDefaults(store: Store, limits: Record<QuotaResource, number>): Promise<void> {
  await store.transaction(async (tx) => {
    const row: Quota = { id: DEFAULTS_ID, ...limits };
    if (await tx.get('quotadefaults', DEFAULTS_ID)) await tx.update('quotadefaults', DEFAULTS_ID, row);
    else await tx.insert('quotadefaults', row);
  });
}

/** The defaults in force (all unlimited when none were recorded). */
export async function quotaDefaults(reader: Pick<Tx, 'get'>): Promise<Record<QuotaResource, number>> {
  const row = await reader.get('quotadefaults', DEFAULTS_ID);
  const out = { ...UNLIMITED };
  for (const r of QUOTA_RESOURCES) if (row && row[r] !== null) out[r] = row[r]!;
  return out;
}

function effective(projectId: string, row: Quota | undefined, defaults: Record<QuotaResource, number>): QuotaView {
  const limits = { ...defaults };
  for (const r of QUOTA_RESOURCES) if (row && row[r] !== null) limits[r] = row[r]!;
  return { projectId, limits };
}

/** Octavia's check: a project-scoped caller reads its own project's quota unless it may read all. */
function checkReadable(caller: Caller, projectId: string, readsAll: boolean): void {
  if (!readsAll && caller.projectId !== projectId) {
    throw new FulcrumError('FORBIDDEN', 'Policy does not allow this request to be performed.');
  }
}

/** One project's quota (its defaults when it has none of its own). */
export async function getQuota(store: Store, caller: Caller, projectId: string, readsAll: boolean): Promise<QuotaView> {
  checkReadable(caller, projectId, readsAll);
  return effective(projectId, await store.get('quota', projectId), await quotaDefaults(store));
}

/** The projects with a quota of their own (Octavia lists only non-default quotas); others see only their own. */
export async function listQuotas(store: Store, caller: Caller, projectId: string | undefined, readsAll: boolean): Promise<QuotaView[]> {
  const filters: Record<string, string[]> = {};
  if (projectId !== undefined) filters.id = [projectId];
  if (!readsAll) {
    if (!caller.projectId || (projectId !== undefined && projectId !== caller.projectId)) return [];
    filters.id = [caller.projectId];
  }
  const defaults = await quotaDefaults(store);
  const rows = await store.list('quota', { filters, limit: null });
  return rows.filter((r) => QUOTA_RESOURCES.some((k) => r[k] !== null)).map((r) => effective(r.id, r, defaults));
}

/** Sets some of a project's limits (null: back to the default). */
export async function setQuota(store: Store, projectId: string, patch: Partial<QuotaLimits>): Promise<QuotaView> {
  return store.transaction(async (tx) => {
    await tx.lockQuota(projectId);
    const clean: Partial<Quota> = {};
    for (const r of QUOTA_RESOURCES) if (patch[r] !== undefined) clean[r] = patch[r];
    await tx.update('quota', projectId, clean);
    return effective(projectId, await tx.get('quota', projectId), await quotaDefaults(tx));
  });
}

/** Puts every limit of a project back to the defaults. */
export async function resetQuota(store: Store, projectId: string): Promise<QuotaView> {
  return store.transaction(async (tx) => {
    await tx.lockQuota(projectId);
    await tx.remove('quota', projectId);
    return effective(projectId, undefined, await quotaDefaults(tx));
  });
}

/** The quota resource an object kind counts against. */
const RESOURCE_OF = new Map<StoredKind, QuotaResource>(QUOTA_RESOURCES.map((r) => [QUOTA_KIND[r], r]));

/**
 * Checks, after a create inserted its objects and before it commits, that the project stays
 * within its limits for every kind the change creates (`touched` with PENDING_CREATE, as the
 * create hands to beginChange; a load balancer create adds itself). Takes the project's quota lock
 * first, so the counts include every create of the project committed before, and a create that
 * commits after waits and counts this one. Octavia's 403 names the resources over quota.
 */
export async function enforceQuotas(
  tx: Tx, projectId: string, touched: readonly { kind: StoredKind; status: ProvisioningStatus }[],
): Promise<void> {
  const created = new Set<QuotaResource>();
  for (const t of touched) {
    const r = RESOURCE_OF.get(t.kind);
    if (r && t.status === 'PENDING_CREATE') created.add(r);
  }
  if (created.size === 0) return;
  await tx.lockQuota(projectId);
  const limits = effective(projectId, await tx.get('quota', projectId), await quotaDefaults(tx)).limits;
  const over: string[] = [];
  for (const r of QUOTA_RESOURCES) {
    if (!created.has(r) || limits[r] < 0) continue;
    if (await tx.countOwned(QUOTA_KIND[r], projectId) > limits[r]) over.push(QUOTA_TITLES[r]);
  }
  if (over.length > 0) {
    throw new FulcrumError('QUOTA_EXCEEDED', `Quota has been met for resources: ${over.join(', ')}`, {
      detail: `project ${projectId} over quota for ${over.join(', ')}`,
    });
  }
}
