/**
 * @module api/identity/policy — who may call which identity API: one row per action, after
 * Keystone's defaults cut down to the roles Fulcrum has. `admin` (on the token's scope) may do
 * everything; a user may read their own user, project and domain, and validate or revoke their
 * own tokens.
 */
import { forbidden } from '../../identity/errors.js';
import type { TokenInfo } from '../../identity/identity.js';

/** What an action is about, for the rules that compare it with the caller. */
export interface PolicyTarget {
  userId?: string;
  projectId?: string;
  domainId?: string;
}

type Rule = (caller: TokenInfo, target: PolicyTarget) => boolean;

const isAdmin: Rule = (c) => c.roles.some((r) => r.name === 'admin');
const isSelf: Rule = (c, t) => t.userId !== undefined && c.user.id === t.userId;
const isOwnProject: Rule = (c, t) => t.projectId !== undefined && c.project?.id === t.projectId;
const isOwnDomain: Rule = (c, t) => t.domainId !== undefined && (c.domain?.id === t.domainId || c.project?.domain.id === t.domainId);
const isScoped: Rule = (c) => c.project !== null || c.domain !== null;
const anyOf = (...rules: Rule[]): Rule => (c, t) => rules.some((r) => r(c, t));

/** The rule of each action (Keystone's policy names). */
export const IDENTITY_POLICY = {
  'identity:validate_token': anyOf(isAdmin, isSelf),
  'identity:revoke_token': anyOf(isAdmin, isSelf),
  'identity:get_auth_catalog': isScoped,
  'identity:get_auth_projects': () => true,
  'identity:list_domains': isAdmin,
  'identity:get_domain': anyOf(isAdmin, isOwnDomain),
  'identity:list_projects': isAdmin,
  'identity:get_project': anyOf(isAdmin, isOwnProject),
  'identity:create_project': isAdmin,
  'identity:update_project': isAdmin,
  'identity:delete_project': isAdmin,
  'identity:list_user_projects': anyOf(isAdmin, isSelf),
  'identity:list_users': isAdmin,
  'identity:get_user': anyOf(isAdmin, isSelf),
  'identity:create_user': isAdmin,
  'identity:update_user': isAdmin,
  'identity:delete_user': isAdmin,
  'identity:change_password': isSelf,
  'identity:list_roles': isAdmin,
  'identity:get_role': isAdmin,
  'identity:create_role': isAdmin,
  'identity:update_role': isAdmin,
  'identity:delete_role': isAdmin,
  'identity:list_grants': isAdmin,
  'identity:check_grant': isAdmin,
  'identity:create_grant': isAdmin,
  'identity:revoke_grant': isAdmin,
  'identity:list_role_assignments': isAdmin,
} satisfies Record<string, Rule>;

export type IdentityAction = keyof typeof IDENTITY_POLICY;

/** Throws 403 unless the caller may perform the action on the target. */
export function authorize(caller: TokenInfo, action: IdentityAction, target: PolicyTarget = {}): void {
  if (!IDENTITY_POLICY[action](caller, target)) throw forbidden(action);
}
