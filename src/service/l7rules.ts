/**
 * @module service/l7rules — the rules of an L7 policy (`/l7policies/{id}/rules`) with Octavia's
 * checks (`octavia/api/v2/controllers/l7rule.py`, `validate.l7rule_data`). A rule change puts its
 * policy, listener and load balancer in PENDING_UPDATE; the policy must be ACTIVE first.
 */
import { FulcrumError } from '../domain/errors.js';
import { newId, type L7RuleId } from '../domain/ids.js';
import { l7RuleProblem, ruleTypeIgnoresKey } from '../domain/l7.js';
import { MAX_L7RULES_PER_L7POLICY } from '../domain/limits.js';
import type { L7Policy, L7Rule, L7RuleCompareType, L7RuleType, LoadBalancer } from '../domain/model.js';
import { assertMutable } from '../domain/status.js';
import { nowTimestamp } from '../domain/time.js';
import type { ListQuery, Store, Tx } from '../store/store.js';
import { childProject, given, settingsOf, type Touched } from './children.js';
import { canSee, type Caller } from './context.js';
import { getVisible, listVisible, notFoundError, viewOf, withRelations, type View } from './objects.js';
import { enforceQuotas } from './quotas.js';

/** A rule's fields as a create gives them (already shape-checked by the API). */
export interface L7RuleFields {
  type: L7RuleType;
  compareType: L7RuleCompareType;
  key?: string;
  value: string;
  invert?: boolean;
  adminStateUp?: boolean;
  tags?: string[];
}

/** `POST /l7policies/{id}/rules`. */
export interface L7RuleCreate extends L7RuleFields {
  projectId?: string;
}

/** `PUT …/rules/{id}`: absent fields stay; null keeps a field too, as Octavia ignores None (`invert` null is false, `key` null clears it). */
export interface L7RuleUpdate {
  type?: L7RuleType | null;
  compareType?: L7RuleCompareType | null;
  key?: string | null;
  value?: string | null;
  invert?: boolean | null;
  adminStateUp?: boolean | null;
  tags?: string[] | null;
}

/** Octavia's `TooManyL7RulesOnL7Policy` (409). */
export function tooManyRules(policyId: string): FulcrumError {
  return new FulcrumError('TOO_MANY_RULES', `Too many rules on L7 policy ${policyId}`, { field: 'rules' });
}

/** Octavia's `L7RuleValidation`: `Error parsing L7Rule: <why>` (400), naming the field. */
function checkRule(r: Pick<L7Rule, 'type' | 'compareType' | 'key' | 'value'>): void {
  const problem = l7RuleProblem(r);
  if (problem) throw new FulcrumError('VALIDATION', `Error parsing L7Rule: ${problem.message}`, { field: problem.field });
}

/** A new rule of `policy`, PENDING_CREATE, after Octavia's `l7rule_data` checks. */
export function buildL7Rule(policy: L7Policy, projectId: string, input: L7RuleFields): L7Rule {
  const rule: L7Rule = {
    id: newId<'L7Rule'>() as L7RuleId,
    l7PolicyId: policy.id,
    listenerId: policy.listenerId,
    loadBalancerId: policy.loadBalancerId,
    projectId,
    name: '',
    description: '',
    adminStateUp: input.adminStateUp ?? true,
    provisioningStatus: 'PENDING_CREATE',
    operatingStatus: 'OFFLINE',
    tags: input.tags ?? [],
    createdAt: nowTimestamp(),
    updatedAt: null,
    type: input.type,
    compareType: input.compareType,
    key: input.key ?? null,
    value: input.value,
    invert: input.invert ?? false,
  };
  checkRule(rule);
  return rule;
}

/** The policy of a rules path: Octavia's `_lookup` answers `L7Policy <id> not found.` (without the space). */
async function policyOf(store: Store | Tx, caller: Caller, policyId: string): Promise<L7Policy> {
  const policy = await store.get('l7policy', policyId);
  if (!policy || policy.provisioningStatus === 'DELETED' || !canSee(caller, policy.projectId)) {
    throw new FulcrumError('NOT_FOUND', `L7Policy ${policyId} not found.`);
  }
  return policy;
}

/** The rule `id` of policy `policyId` (404 for a rule of another policy). */
async function ruleOf(store: Store | Tx, caller: Caller, policyId: string, id: string): Promise<{ policy: L7Policy; rule: L7Rule }> {
  const policy = await policyOf(store, caller, policyId);
  const rule = await getVisible(store, caller, 'l7rule', id);
  if (rule.l7PolicyId !== policy.id) throw notFoundError('l7rule', id);
  return { policy, rule };
}

/**
 * Locks the load balancer for a change to one of the policy's rules. As Octavia, the policy must
 * be ACTIVE first (`L7Policy <id> is immutable…`), then the load balancer.
 */
async function lockPolicyMutable(tx: Tx, policy: L7Policy): Promise<LoadBalancer> {
  const lb = await tx.lockLoadBalancer(policy.loadBalancerId);
  if (!lb) throw notFoundError('loadbalancer', policy.loadBalancerId);
  const fresh = await tx.get('l7policy', policy.id);
  if (!fresh || fresh.provisioningStatus !== 'ACTIVE') {
    throw new FulcrumError('LB_IMMUTABLE', `L7Policy ${policy.id} is immutable and cannot be updated.`, {
      detail: `l7policy provisioning_status is ${fresh?.provisioningStatus ?? 'gone'}`,
    });
  }
  assertMutable(lb);
  return lb;
}

/** The objects a rule change marks besides the rule: its policy and listener. */
const parents = (policy: L7Policy): Touched[] => [
  { kind: 'l7policy', id: policy.id, status: 'PENDING_UPDATE' },
  { kind: 'listener', id: policy.listenerId, status: 'PENDING_UPDATE' },
];

/** Adds a rule to a policy (at most {@link MAX_L7RULES_PER_L7POLICY}, 409 beyond). */
export async function createL7Rule(store: Store, caller: Caller, policyId: string, input: L7RuleCreate): Promise<View<L7Rule>> {
  return store.transaction(async (tx) => {
    const policy = await policyOf(tx, caller, policyId);
    const lb = await getVisible(tx, caller, 'loadbalancer', policy.loadBalancerId);
    const rule = buildL7Rule(policy, childProject(caller, lb, input.projectId), input);
    const count = (await tx.idsBy('l7rule', 'l7PolicyId', [policy.id])).get(policy.id)?.length ?? 0;
    if (count >= MAX_L7RULES_PER_L7POLICY) throw tooManyRules(policy.id);
    await lockPolicyMutable(tx, policy);
    await tx.insert('l7rule', rule);
    await enforceQuotas(tx, rule.projectId, [{ kind: 'l7rule', status: 'PENDING_CREATE' }]);
    await tx.beginChange(lb.id, 'PENDING_UPDATE', [{ kind: 'l7rule', id: rule.id, status: 'PENDING_CREATE' }, ...parents(policy)]);
    return viewOf(tx, 'l7rule', rule);
  });
}

/** Shows one rule of a policy. */
export async function getL7Rule(store: Store, caller: Caller, policyId: string, id: string): Promise<View<L7Rule>> {
  return viewOf(store, 'l7rule', (await ruleOf(store, caller, policyId, id)).rule);
}

/** Lists the rules of a policy. */
export async function listL7Rules(store: Store, caller: Caller, policyId: string, query: ListQuery): Promise<View<L7Rule>[]> {
  const policy = await policyOf(store, caller, policyId);
  const filters = { ...(query.filters ?? {}), l7PolicyId: [policy.id] };
  return withRelations(store, 'l7rule', await listVisible(store, caller, 'l7rule', { ...query, filters }));
}

/** The rule after a PUT, checked as a whole (Octavia merges the PUT onto the stored rule, then validates). Pure. */
export function applyL7RuleUpdate(cur: L7Rule, patch: L7RuleUpdate): L7Rule {
  const p = given(patch);
  const type = p.type ?? cur.type;
  const next: L7Rule = {
    ...cur,
    type,
    compareType: p.compareType ?? cur.compareType,
    // Octavia's repository clears the key of the types that do not use one.
    key: ruleTypeIgnoresKey(type) ? null : p.key === undefined ? cur.key : p.key,
    value: p.value ?? cur.value,
    invert: p.invert === undefined ? cur.invert : p.invert ?? false,
    adminStateUp: p.adminStateUp ?? cur.adminStateUp,
    tags: p.tags === undefined ? cur.tags : p.tags ?? [],
  };
  checkRule(next);
  return next;
}

/** Changes a rule; it, its policy, listener and load balancer go PENDING_UPDATE. */
export async function updateL7Rule(store: Store, caller: Caller, policyId: string, id: string, patch: L7RuleUpdate): Promise<View<L7Rule>> {
  return store.transaction(async (tx) => {
    const { policy, rule } = await ruleOf(tx, caller, policyId, id);
    const next = applyL7RuleUpdate(rule, patch);
    await lockPolicyMutable(tx, policy);
    await tx.update('l7rule', id, settingsOf(next));
    await tx.beginChange(policy.loadBalancerId, 'PENDING_UPDATE', [{ kind: 'l7rule', id, status: 'PENDING_UPDATE' }, ...parents(policy)]);
    return viewOf(tx, 'l7rule', (await tx.get('l7rule', id))!);
  });
}

/** Removes a rule (PENDING_DELETE until the data plane drops it). */
export async function deleteL7Rule(store: Store, caller: Caller, policyId: string, id: string): Promise<void> {
  await store.transaction(async (tx) => {
    const { policy } = await ruleOf(tx, caller, policyId, id);
    await lockPolicyMutable(tx, policy);
    await tx.beginChange(policy.loadBalancerId, 'PENDING_UPDATE', [{ kind: 'l7rule', id, status: 'PENDING_DELETE' }, ...parents(policy)]);
  });
}
