/**
 * @module service/l7policies — L7 policies of HTTP listeners with Octavia's rules
 * (`octavia/api/v2/controllers/l7policy.py`, `validate.sanitize_l7policy_api_args`, the
 * L7PolicyRepository's position handling). `buildL7Policy` and `addL7Policy` are shared with
 * `POST /listeners` and the fully-populated load balancer create.
 */
import { FulcrumError, invalidField, validationFailure } from '../domain/errors.js';
import { newId, type L7PolicyId, type PoolId } from '../domain/ids.js';
import { isHttpUrl } from '../domain/l7.js';
import {
  DEFAULT_L7_REDIRECT_HTTP_CODE, L7_LISTENER_PROTOCOLS, MAX_L7POLICY_POSITION, MAX_L7RULES_PER_L7POLICY,
} from '../domain/limits.js';
import type { L7Policy, L7PolicyAction, L7Rule, Listener, RedirectHttpCode } from '../domain/model.js';
import { VALID_LISTENER_POOL_PROTOCOLS } from '../domain/model.js';
import { nowTimestamp } from '../domain/time.js';
import type { ListQuery, Store, Tx } from '../store/store.js';
import { childProject, given, noChildren, settingsOf, type Touched } from './children.js';
import type { Caller } from './context.js';
import { buildL7Rule, tooManyRules, type L7RuleFields } from './l7rules.js';
import { getVisible, listVisible, lockMutable, viewOf, withRelations, type View } from './objects.js';
import { enforceQuotas } from './quotas.js';

/** A policy's own fields as a create gives them (already shape-checked by the API). */
export interface L7PolicyFields {
  name?: string;
  description?: string;
  adminStateUp?: boolean;
  action: L7PolicyAction;
  redirectPoolId?: string;
  redirectUrl?: string;
  redirectPrefix?: string;
  redirectHttpCode?: RedirectHttpCode;
  /** 1-based; absent or past the end appends. */
  position?: number;
  tags?: string[];
  /** Rules created with the policy (Octavia's `L7RuleSingleCreate` list). */
  rules?: L7RuleFields[];
}

/** `POST /l7policies`. */
export interface L7PolicyCreate extends L7PolicyFields {
  listenerId: string;
  projectId?: string;
}

/** `PUT /l7policies/{id}`: absent fields stay; null clears (name and description to ''). */
export interface L7PolicyUpdate {
  name?: string | null;
  description?: string | null;
  adminStateUp?: boolean;
  action?: L7PolicyAction;
  redirectPoolId?: string | null;
  redirectUrl?: string | null;
  redirectPrefix?: string | null;
  redirectHttpCode?: RedirectHttpCode | null;
  position?: number;
  tags?: string[] | null;
}

/** Where a policy sends a matching request. */
type Target = Pick<L7Policy, 'action' | 'redirectPoolId' | 'redirectUrl' | 'redirectPrefix' | 'redirectHttpCode'>;

/** Octavia's `InvalidL7PolicyArgs` (400). */
const badArgs = (msg: string, field: string): FulcrumError =>
  new FulcrumError('VALIDATION', `Invalid L7 Policy arguments: ${msg}`, { field });

/** wsme's `URLType` check of `redirect_url` and `redirect_prefix`. */
function checkUrls(p: { redirectUrl?: string | null; redirectPrefix?: string | null }): void {
  for (const [field, value] of [['redirect_url', p.redirectUrl], ['redirect_prefix', p.redirectPrefix]] as const) {
    if (typeof value === 'string' && !isHttpUrl(value)) throw invalidField(field, value, 'Value must be a valid URL string');
  }
}

/**
 * Octavia's `sanitize_l7policy_api_args` over the given fields (null counts as not given, as
 * Python's falsy checks read it): the action implied by the redirect fields, and the errors for
 * contradictory ones.
 */
function sanitize(p: Partial<Target> & { action?: L7PolicyAction }, create: boolean): Partial<Target> {
  const out: Partial<Target> = { ...p };
  switch (out.action) {
    case undefined:
      break;
    case 'REJECT':
      out.redirectUrl = null;
      out.redirectPoolId = null;
      break;
    case 'REDIRECT_TO_URL':
      if (!out.redirectUrl) throw badArgs('redirect_url must not be None', 'redirect_url');
      out.redirectPoolId = null;
      break;
    case 'REDIRECT_TO_POOL':
      if (!out.redirectPoolId) throw badArgs('redirect_pool_id or redirect_pool must not be None', 'redirect_pool_id');
      out.redirectUrl = null;
      break;
    case 'REDIRECT_PREFIX':
      if (!out.redirectPrefix) throw badArgs('redirect_prefix must not be None', 'redirect_prefix');
      break;
  }
  if (out.redirectPoolId && (out.redirectUrl || out.redirectPrefix)) {
    throw badArgs('Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time', 'redirect_pool_id');
  }
  if (out.redirectPoolId) Object.assign(out, { action: 'REDIRECT_TO_POOL', redirectUrl: null, redirectPrefix: null });
  if (out.redirectUrl) Object.assign(out, { action: 'REDIRECT_TO_URL', redirectPoolId: null, redirectPrefix: null });
  if (out.redirectPrefix) Object.assign(out, { action: 'REDIRECT_PREFIX', redirectPoolId: null, redirectUrl: null });
  if (create && out.action === undefined) {
    throw new FulcrumError('VALIDATION', 'Invalid L7 Policy action specified: None', { field: 'action' });
  }
  return out;
}

/**
 * The stored form of a target: only the fields its action uses are set, and a redirect has a
 * code (302 unless given). @throws InvalidL7PolicyArgs when the action lacks its field.
 */
function normalise(t: Target): Target {
  switch (t.action) {
    case 'REJECT':
      return { action: t.action, redirectPoolId: null, redirectUrl: null, redirectPrefix: null, redirectHttpCode: null };
    case 'REDIRECT_TO_POOL':
      if (!t.redirectPoolId) throw badArgs('redirect_pool_id or redirect_pool must not be None', 'redirect_pool_id');
      return { action: t.action, redirectPoolId: t.redirectPoolId, redirectUrl: null, redirectPrefix: null, redirectHttpCode: null };
    case 'REDIRECT_TO_URL':
      if (!t.redirectUrl) throw badArgs('redirect_url must not be None', 'redirect_url');
      return {
        action: t.action, redirectPoolId: null, redirectUrl: t.redirectUrl, redirectPrefix: null,
        redirectHttpCode: t.redirectHttpCode ?? DEFAULT_L7_REDIRECT_HTTP_CODE,
      };
    case 'REDIRECT_PREFIX':
      if (!t.redirectPrefix) throw badArgs('redirect_prefix must not be None', 'redirect_prefix');
      return {
        action: t.action, redirectPoolId: null, redirectUrl: null, redirectPrefix: t.redirectPrefix,
        redirectHttpCode: t.redirectHttpCode ?? DEFAULT_L7_REDIRECT_HTTP_CODE,
      };
  }
}

/**
 * The listener may hold L7 policies: PROMETHEUS listeners take no children (Octavia's
 * `ListenerNoChildren`), and only HTTP-mode listeners (HTTP, TERMINATED_HTTPS) can look into requests.
 */
export function checkL7Listener(listener: Listener): void {
  if (listener.protocol === 'PROMETHEUS') throw noChildren(listener.protocol);
  if (!L7_LISTENER_PROTOCOLS.includes(listener.protocol)) {
    throw validationFailure(
      `listener_id ${listener.id} is a ${listener.protocol} listener; L7 policies need an HTTP or TERMINATED_HTTPS listener.`,
      'listener_id',
    );
  }
}

/**
 * A new policy of `listener`, PENDING_CREATE, with its rules, after every rule that needs no
 * database. `position` is the asked one until {@link addL7Policy} places it.
 */
export function buildL7Policy(listener: Listener, projectId: string, input: L7PolicyFields): { policy: L7Policy; rules: L7Rule[] } {
  checkL7Listener(listener);
  checkUrls(input);
  const given: Partial<Target> & { action: L7PolicyAction } = {
    action: input.action,
    ...(input.redirectPoolId === undefined ? {} : { redirectPoolId: input.redirectPoolId as PoolId }),
    ...(input.redirectUrl === undefined ? {} : { redirectUrl: input.redirectUrl }),
    ...(input.redirectPrefix === undefined ? {} : { redirectPrefix: input.redirectPrefix }),
    ...(input.redirectHttpCode === undefined ? {} : { redirectHttpCode: input.redirectHttpCode }),
  };
  const s = sanitize(given, true);
  const target = normalise({
    action: s.action!, redirectPoolId: s.redirectPoolId ?? null, redirectUrl: s.redirectUrl ?? null,
    redirectPrefix: s.redirectPrefix ?? null, redirectHttpCode: s.redirectHttpCode ?? null,
  });
  const id = newId<'L7Policy'>() as L7PolicyId;
  if ((input.rules ?? []).length > MAX_L7RULES_PER_L7POLICY) throw tooManyRules(id);
  const policy: L7Policy = {
    id,
    listenerId: listener.id,
    loadBalancerId: listener.loadBalancerId,
    projectId,
    name: input.name ?? '',
    description: input.description ?? '',
    adminStateUp: input.adminStateUp ?? true,
    provisioningStatus: 'PENDING_CREATE',
    operatingStatus: 'OFFLINE',
    tags: input.tags ?? [],
    createdAt: nowTimestamp(),
    updatedAt: null,
    ...target,
    position: input.position ?? MAX_L7POLICY_POSITION,
  };
  return { policy, rules: (input.rules ?? []).map((r) => buildL7Rule(policy, projectId, r)) };
}

/** The listeners that send a pool traffic: as their default pool or through a live L7 policy. */
async function poolUsers(tx: Tx, poolId: string): Promise<Set<string>> {
  const [byDefault, policies] = await Promise.all([
    tx.idsBy('listener', 'defaultPoolId', [poolId]),
    tx.list('l7policy', { filters: { redirectPoolId: [poolId] }, limit: null }),
  ]);
  return new Set([
    ...byDefault.get(poolId) ?? [],
    ...policies.filter((p) => p.provisioningStatus !== 'PENDING_DELETE').map((p) => p.listenerId),
  ]);
}

/**
 * A redirect pool is a pool of the listener's load balancer (404 as Octavia otherwise), of a
 * protocol the listener can forward to, and not used by another listener: Fulcrum renders one
 * HAProxy backend per pool, tied to one listener's timeouts (Octavia renders one per pool and listener).
 */
async function checkRedirectPool(tx: Tx, listener: Listener, poolId: string): Promise<void> {
  const pool = await tx.get('pool', poolId);
  if (!pool || pool.loadBalancerId !== listener.loadBalancerId || pool.provisioningStatus === 'DELETED' ||
    pool.provisioningStatus === 'PENDING_DELETE') {
    throw new FulcrumError('NOT_FOUND', `Pool ${poolId} not found.`, { field: 'redirect_pool_id' });
  }
  if (!VALID_LISTENER_POOL_PROTOCOLS[listener.protocol].includes(pool.protocol)) {
    throw validationFailure(`The pool protocol '${pool.protocol}' is invalid while the listener protocol is '${listener.protocol}'.`, 'redirect_pool_id');
  }
  const other = [...await poolUsers(tx, poolId)].find((id) => id !== listener.id);
  if (other !== undefined) {
    throw validationFailure(`redirect_pool_id ${poolId} already serves listener ${other}; a pool serves one listener.`, 'redirect_pool_id');
  }
}

/**
 * A listener may not take as its default pool one that another listener's L7 policy redirects
 * to (the one-listener-per-pool rule of {@link checkRedirectPool}, seen from the other side).
 */
export async function checkDefaultPoolNotRedirected(tx: Tx, listenerId: string, poolId: string): Promise<void> {
  const policies = await tx.list('l7policy', { filters: { redirectPoolId: [poolId] }, limit: null });
  const other = policies.find((p) => p.listenerId !== listenerId && p.provisioningStatus !== 'PENDING_DELETE');
  if (other) {
    throw validationFailure(`default_pool_id ${poolId} already serves listener ${other.listenerId} through L7 policy ${other.id}; a pool serves one listener.`, 'default_pool_id');
  }
}

/** The listener's policies in position order (those being deleted left out). */
async function policiesOf(tx: Tx, listenerId: string): Promise<L7Policy[]> {
  const all = await tx.list('l7policy', {
    filters: { listenerId: [listenerId] }, sort: [{ key: 'position', dir: 'asc' }], limit: null,
  });
  return all.filter((p) => p.provisioningStatus !== 'PENDING_DELETE');
}

/** Writes positions 1…n in the given order, touching only the policies whose position changes. */
async function renumber(tx: Tx, ordered: readonly L7Policy[]): Promise<void> {
  for (const [i, p] of ordered.entries()) {
    if (p.position !== i + 1) await tx.update('l7policy', p.id, { position: i + 1 });
  }
}

/** `ordered` with `policy` moved to `position` (1-based; past the end appends), as Octavia's ordering list does. */
function placed(ordered: readonly L7Policy[], policy: L7Policy, position: number): L7Policy[] {
  const rest = ordered.filter((p) => p.id !== policy.id);
  rest.splice(Math.min(position, rest.length + 1) - 1, 0, policy);
  return rest;
}

/**
 * Inserts a built policy and its rules: the redirect pool is checked, the policy goes in at its
 * position and the others shift (Octavia: inserting at a taken position moves it and those after down).
 */
export async function addL7Policy(tx: Tx, listener: Listener, policy: L7Policy, rules: readonly L7Rule[]): Promise<L7Policy> {
  if (policy.redirectPoolId) await checkRedirectPool(tx, listener, policy.redirectPoolId);
  const ordered = placed(await policiesOf(tx, listener.id), policy, policy.position);
  const position = ordered.indexOf(policy) + 1;
  const stored = { ...policy, position };
  await tx.insert('l7policy', stored);
  await renumber(tx, ordered.map((p) => (p.id === policy.id ? stored : p)));
  for (const r of rules) await tx.insert('l7rule', r);
  return stored;
}

/** What a new policy and its rules put in PENDING_CREATE. */
export function createdL7(policy: L7Policy, rules: readonly L7Rule[]): Touched[] {
  return [
    { kind: 'l7policy', id: policy.id, status: 'PENDING_CREATE' },
    ...rules.map((r) => ({ kind: 'l7rule' as const, id: r.id, status: 'PENDING_CREATE' as const })),
  ];
}

/** Creates a policy (with its rules) on a listener; the listener and load balancer go PENDING_UPDATE. */
export async function createL7Policy(store: Store, caller: Caller, input: L7PolicyCreate): Promise<View<L7Policy>> {
  return store.transaction(async (tx) => {
    const listener = await getVisible(tx, caller, 'listener', input.listenerId);
    const lb = await getVisible(tx, caller, 'loadbalancer', listener.loadBalancerId);
    const { policy, rules } = buildL7Policy(listener, childProject(caller, lb, input.projectId), input);
    await lockMutable(tx, lb.id);
    const stored = await addL7Policy(tx, listener, policy, rules);
    await enforceQuotas(tx, stored.projectId, createdL7(stored, rules));
    await tx.beginChange(lb.id, 'PENDING_UPDATE', [
      ...createdL7(stored, rules), { kind: 'listener', id: listener.id, status: 'PENDING_UPDATE' },
    ]);
    return viewOf(tx, 'l7policy', stored);
  });
}

/** Shows one policy. */
export async function getL7Policy(store: Store, caller: Caller, id: string): Promise<View<L7Policy>> {
  return viewOf(store, 'l7policy', await getVisible(store, caller, 'l7policy', id));
}

/** Lists policies (`listener_id` and the other fields filter). */
export async function listL7Policies(store: Store, caller: Caller, query: ListQuery): Promise<View<L7Policy>[]> {
  return withRelations(store, 'l7policy', await listVisible(store, caller, 'l7policy', query));
}

/**
 * The policy after a PUT: Octavia's `sanitize_l7policy_api_args` on the given fields, merged
 * onto the stored policy, whose action then keeps only its own redirect field. A redirect keeps
 * its code unless the PUT gives one. Pure; the pool and position are the store's business.
 */
export function applyL7PolicyUpdate(cur: L7Policy, patch: L7PolicyUpdate): L7Policy {
  const p = given(patch);
  checkUrls(p);
  const s = sanitize({
    ...(p.action === undefined ? {} : { action: p.action }),
    ...(p.redirectPoolId === undefined ? {} : { redirectPoolId: p.redirectPoolId as PoolId | null }),
    ...(p.redirectUrl === undefined ? {} : { redirectUrl: p.redirectUrl }),
    ...(p.redirectPrefix === undefined ? {} : { redirectPrefix: p.redirectPrefix }),
    ...(p.redirectHttpCode === undefined ? {} : { redirectHttpCode: p.redirectHttpCode }),
  }, false);
  const merged: Target = {
    action: s.action ?? cur.action,
    redirectPoolId: s.redirectPoolId === undefined ? cur.redirectPoolId : s.redirectPoolId,
    redirectUrl: s.redirectUrl === undefined ? cur.redirectUrl : s.redirectUrl,
    redirectPrefix: s.redirectPrefix === undefined ? cur.redirectPrefix : s.redirectPrefix,
    redirectHttpCode: s.redirectHttpCode === undefined ? cur.redirectHttpCode : s.redirectHttpCode,
  };
  const pick = <T>(v: T | null | undefined, onNull: T, keep: T): T => (v === undefined ? keep : v === null ? onNull : v);
  return {
    ...cur,
    ...normalise(merged),
    name: pick(p.name, '', cur.name),
    description: pick(p.description, '', cur.description),
    adminStateUp: p.adminStateUp ?? cur.adminStateUp,
    tags: pick(p.tags, [], cur.tags),
  };
}

/** Changes a policy (and its place in the listener's order); it, its listener and load balancer go PENDING_UPDATE. */
export async function updateL7Policy(store: Store, caller: Caller, id: string, patch: L7PolicyUpdate): Promise<View<L7Policy>> {
  return store.transaction(async (tx) => {
    const cur = await getVisible(tx, caller, 'l7policy', id);
    const listener = await getVisible(tx, caller, 'listener', cur.listenerId);
    const next = applyL7PolicyUpdate(cur, patch);
    if (next.redirectPoolId && next.redirectPoolId !== cur.redirectPoolId) await checkRedirectPool(tx, listener, next.redirectPoolId);
    await lockMutable(tx, cur.loadBalancerId);
    await tx.update('l7policy', id, settingsOf(next));
    if (patch.position !== undefined) await renumber(tx, placed(await policiesOf(tx, listener.id), next, patch.position));
    await tx.beginChange(cur.loadBalancerId, 'PENDING_UPDATE', [
      { kind: 'l7policy', id, status: 'PENDING_UPDATE' }, { kind: 'listener', id: listener.id, status: 'PENDING_UPDATE' },
    ]);
    return viewOf(tx, 'l7policy', (await tx.get('l7policy', id))!);
  });
}

/** The policies of a listener and their rules, all going PENDING_DELETE (a listener's or load balancer's delete). */
export async function deletedL7Of(tx: Tx, filter: { listenerId: string } | { loadBalancerId: string }): Promise<Touched[]> {
  const filters: Record<string, string[]> = 'listenerId' in filter
    ? { listenerId: [filter.listenerId] } : { loadBalancerId: [filter.loadBalancerId] };
  const [policies, rules] = await Promise.all([
    tx.list('l7policy', { filters, limit: null }), tx.list('l7rule', { filters, limit: null }),
  ]);
  return [
    ...rules.map((r) => ({ kind: 'l7rule' as const, id: r.id, status: 'PENDING_DELETE' as const })),
    ...policies.map((p) => ({ kind: 'l7policy' as const, id: p.id, status: 'PENDING_DELETE' as const })),
  ];
}

/**
 * Deletes a policy and its rules (PENDING_DELETE until the data plane drops them); the policies
 * after it move up one position at once, so positions stay 1…n.
 */
export async function deleteL7Policy(store: Store, caller: Caller, id: string): Promise<void> {
  await store.transaction(async (tx) => {
    const cur = await getVisible(tx, caller, 'l7policy', id);
    await lockMutable(tx, cur.loadBalancerId);
    await renumber(tx, (await policiesOf(tx, cur.listenerId)).filter((p) => p.id !== id));
    const rules = await tx.list('l7rule', { filters: { l7PolicyId: [id] }, limit: null });
    await tx.beginChange(cur.loadBalancerId, 'PENDING_UPDATE', [
      { kind: 'l7policy', id, status: 'PENDING_DELETE' },
      ...rules.map((r) => ({ kind: 'l7rule' as const, id: r.id, status: 'PENDING_DELETE' as const })),
      { kind: 'listener', id: cur.listenerId, status: 'PENDING_UPDATE' },
    ]);
  });
}
