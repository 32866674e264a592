/**
 * @module identity/identity — the embedded identity service: authenticates (password, token),
 * issues, validates and revokes tokens, and manages projects, users, roles and assignments.
 * Roles are read at validation, never copied into the token, so that deleting a user or an
 * assignment stops its tokens at once. Authorisation (who may call what) is the API's business.
 */
import { randomUUID } from 'node:crypto';
import { nowTimestamp } from '../domain/time.js';
import type { AssignmentFilter, AssignmentTarget, AssignmentView, DomainRecord, IdentityStore, NamedFilter, ProjectRecord, RoleRecord, TokenView, UserRecord } from '../store/identity-store.js';
import { isUniqueViolation } from '../store/sql.js';
import { duplicate, invalidInput, notFound, unauthorized } from './errors.js';
import { hashPassword, verifyNothing, verifyPassword, type KdfParams } from './password.js';
import type { AuthRequest, DomainRef, PasswordChange, ProjectCreate, ProjectUpdate, RoleCreate, RoleUpdate, UserCreate, UserRef, UserUpdate } from './requests.js';
import { hashToken, isTokenShaped, newAuditId, newToken } from './token.js';

export type { AssignmentFilter, AssignmentTarget, AssignmentView, DomainRecord, NamedFilter, ProjectRecord, RoleRecord, UserRecord };

/** The id and name of the domain every installation has. */
export const DEFAULT_DOMAIN = { id: 'default', name: 'Default' } as const;
/** Tokens live an hour unless configured otherwise (Keystone's default). */
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

/** What the request-auth hook needs to know about a valid token. */
export interface ValidatedToken {
  userId: string;
  userName: string;
  /** The project the token is scoped to, or null (domain-scoped or unscoped). */
  projectId: string | null;
  /** The domain the token is scoped to, or null. */
  domainId: string | null;
  /** Role names the user holds on the token's scope, now. */
  roles: string[];
  /** UTC ISO-8601. */
  expiresAt: string;
}

/** Everything a token body shows. Times in ms since the epoch. */
export interface TokenInfo {
  user: { id: string; name: string; domain: { id: string; name: string } };
  project: { id: string; name: string; domain: { id: string; name: string } } | null;
  domain: { id: string; name: string } | null;
  roles: { id: string; name: string }[];
  methods: string[];
  auditIds: string[];
  issuedAt: number;
  expiresAt: number;
}

/** A token just issued: the secret (shown once) and what it stands for. */
export interface IssuedToken {
  token: string;
  info: TokenInfo;
}

export interface IdentityOptions {
  store: IdentityStore;
  /** Lifetime of new tokens (default {@link DEFAULT_TOKEN_TTL_SECONDS}). */
  tokenTtlSeconds?: number;
  /** The clock, in ms (tests move it). */
  now?: () => number;
  /** scrypt cost for new password hashes (default: password.ts's). */
  kdf?: KdfParams;
}

/** A Keystone-style id: 32 hex characters. */
export function newIdentityId(): string {
  return randomUUID().replace(/-/g, '');
}

/** The embedded identity service. */
export class Identity {
  readonly #store: IdentityStore;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #kdf: KdfParams | undefined;

  constructor(opts: IdentityOptions) {
    this.#store = opts.store;
    const ttl = opts.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
    if (!(ttl > 0)) throw new RangeError('tokenTtlSeconds must be positive');
    this.#ttlMs = Math.round(ttl * 1000);
    this.#now = opts.now ?? Date.now;
    this.#kdf = opts.kdf;
  }

  /** Hashes a password with the configured cost. */
  hashPassword(password: string): Promise<string> {
    return hashPassword(password, this.#kdf);
  }

  // Tokens

  /**
   * Authenticates with every method of the request (all must name the same user), resolves the
   * scope, and issues a token. 401 for any bad credential or a scope the user has no role on.
   */
  async authenticate(req: AuthRequest): Promise<IssuedToken> {
    let user: UserRecord | undefined;
    let parent: TokenInfo | undefined;
    const methods = new Set<string>(req.methods);
    if (req.password) user = await this.#checkPassword(req.password.user, req.password.password);
    if (req.token) {
      const info = await this.tokenInfo(req.token.id);
      if (!info) throw unauthorized(undefined, 'token method: the token is not valid');
      if (user && user.id !== info.user.id) throw unauthorized(undefined, 'methods name different users');
      user ??= await this.#store.getUser(info.user.id);
      if (!user) throw unauthorized();
      parent = info;
      for (const m of info.methods) methods.add(m);
    }
    if (!user) throw unauthorized();
    const scope = await this.#resolveScope(user, req.scope);
    const now = this.#now();
    const expiresAt = parent ? Math.min(parent.expiresAt, now + this.#ttlMs) : now + this.#ttlMs;
    const auditIds = parent ? [newAuditId(), parent.auditIds[1] ?? parent.auditIds[0] ?? newAuditId()] : [newAuditId()];
    const token = newToken();
    await this.#store.insertToken({
      tokenHash: hashToken(token), userId: user.id, projectId: scope.project?.id ?? null, domainId: scope.domain?.id ?? null,
      methods: [...methods], auditIds, issuedAt: now, expiresAt,
    });
    // Expired rows are useless; removing them here (an indexed range delete) keeps the table small.
    await this.#store.deleteExpiredTokens(now);
    const info = await this.tokenInfo(token);
    if (!info) throw unauthorized(undefined, 'the token just issued does not validate (scope changed meanwhile)');
    return { token, info };
  }

  /** Everything about a valid token, or null when it is unknown, expired, revoked or no longer usable. */
  async tokenInfo(token: string): Promise<TokenInfo | null> {
    if (!isTokenShaped(token)) return null;
    const view = await this.#store.tokenView(hashToken(token), this.#now());
    if (!view || !isUsable(view)) return null;
    const target: AssignmentTarget | null = view.project ? { type: 'project', id: view.project.id }
      : view.domain ? { type: 'domain', id: view.domain.id } : null;
    const roles = target ? await this.#store.rolesOn(view.user.id, target) : [];
    // A scoped token whose user has lost every role on its scope is no longer valid (as Keystone).
    if (target && roles.length === 0) return null;
    const t = view.token;
    return {
      user: { id: view.user.id, name: view.user.name, domain: { id: view.user.domain.id, name: view.user.domain.name } },
      project: view.project ? { id: view.project.id, name: view.project.name, domain: { id: view.project.domain.id, name: view.project.domain.name } } : null,
      domain: view.domain ? { id: view.domain.id, name: view.domain.name } : null,
      roles,
      methods: t.methods,
      auditIds: t.auditIds,
      issuedAt: t.issuedAt,
      expiresAt: t.expiresAt,
    };
  }

  /** For the request-auth hook: who a token acts as, or null. Two indexed lookups. */
  async validateToken(token: string): Promise<ValidatedToken | null> {
    const info = await this.tokenInfo(token);
    if (!info) return null;
    return {
      userId: info.user.id,
      userName: info.user.name,
      projectId: info.project?.id ?? null,
      domainId: info.domain?.id ?? null,
      roles: info.roles.map((r) => r.name),
      expiresAt: new Date(info.expiresAt).toISOString(),
    };
  }

  /** Revokes a token; false when it was not valid. */
  async revokeToken(token: string): Promise<boolean> {
    if (!isTokenShaped(token)) return false;
    return this.#store.deleteToken(hashToken(token));
  }

  async #checkPassword(ref: UserRef, password: string): Promise<UserRecord> {
    let user: UserRecord | undefined;
    if ('id' in ref) user = await this.#store.getUser(ref.id);
    else {
      const domain = await this.#findDomain(ref.domain);
      user = domain ? await this.#store.findUser(domain.id, ref.name) : undefined;
    }
    if (!user || user.passwordHash === null) {
      await verifyNothing(password);
      throw unauthorized(undefined, 'password method: no such user, or the user has no password');
    }
    if (!(await verifyPassword(password, user.passwordHash))) throw unauthorized(undefined, `password method: wrong password for user ${user.id}`);
    if (!user.enabled) throw unauthorized(undefined, `user ${user.id} is disabled`);
    const domain = await this.#store.getDomain(user.domainId);
    if (!domain?.enabled) throw unauthorized(undefined, `the domain of user ${user.id} is disabled`);
    return user;
  }

  async #findDomain(ref: DomainRef): Promise<DomainRecord | undefined> {
    return 'id' in ref ? this.#store.getDomain(ref.id) : this.#store.findDomainByName(ref.name);
  }

  async #resolveScope(user: UserRecord, scope: AuthRequest['scope']): Promise<{ project?: ProjectRecord; domain?: DomainRecord }> {
    switch (scope.kind) {
      case 'unscoped':
        return {};
      case 'default': {
        // As Keystone: without a scope, the user's default project if it is usable, else unscoped.
        if (!user.defaultProjectId) return {};
        const project = await this.#store.getProject(user.defaultProjectId);
        if (!project || !project.enabled) return {};
        const roles = await this.#store.rolesOn(user.id, { type: 'project', id: project.id });
        return roles.length > 0 ? { project } : {};
      }
      case 'project': {
        const ref = scope.project;
        let project: ProjectRecord | undefined;
        if ('id' in ref) project = await this.#store.getProject(ref.id);
        else {
          const domain = await this.#findDomain(ref.domain);
          project = domain ? (await this.#store.listProjects({ domainId: domain.id, name: ref.name }))[0] : undefined;
        }
        if (!project) throw unauthorized(undefined, 'scope: no such project');
        const domain = await this.#store.getDomain(project.domainId);
        if (!project.enabled || !domain?.enabled) throw unauthorized(undefined, `scope: project ${project.id} is disabled`);
        const roles = await this.#store.rolesOn(user.id, { type: 'project', id: project.id });
        if (roles.length === 0) throw unauthorized(`User ${user.id} has no access to project ${project.id}`);
        return { project };
      }
      case 'domain': {
        const domain = await this.#findDomain(scope.domain);
        if (!domain) throw unauthorized(undefined, 'scope: no such domain');
        if (!domain.enabled) throw unauthorized(undefined, `scope: domain ${domain.id} is disabled`);
        const roles = await this.#store.rolesOn(user.id, { type: 'domain', id: domain.id });
        if (roles.length === 0) throw unauthorized(`User ${user.id} has no access to domain ${domain.id}`);
        return { domain };
      }
    }
  }

  // Domains

  /** Every domain (only `Default` unless bootstrap was told otherwise). */
  listDomains(filter: { name?: string; enabled?: boolean } = {}): Promise<DomainRecord[]> {
    return this.#store.listDomains(filter);
  }

  /** A domain by id; 404 when absent. */
  async getDomain(id: string): Promise<DomainRecord> {
    const d = await this.#store.getDomain(id);
    if (!d) throw notFound('domain', id);
    return d;
  }

  async #domainForCreate(domainId: string | undefined, field: string): Promise<DomainRecord> {
    const id = domainId ?? DEFAULT_DOMAIN.id;
    const d = await this.#store.getDomain(id);
    if (!d) throw invalidInput(field, `Could not find domain: ${id}.`);
    return d;
  }

  // Projects

  listProjects(filter: NamedFilter = {}): Promise<ProjectRecord[]> {
    return this.#store.listProjects(filter);
  }

  /** A project by id; 404 when absent. */
  async getProject(id: string): Promise<ProjectRecord> {
    const p = await this.#store.getProject(id);
    if (!p) throw notFound('project', id);
    return p;
  }

  /** Creates a project (in `Default` unless a domain is given); 409 when the name is taken there. */
  async createProject(input: ProjectCreate): Promise<ProjectRecord> {
    const domain = await this.#domainForCreate(input.domainId, 'project/domain_id');
    const p: ProjectRecord = {
      id: newIdentityId(), domainId: domain.id, name: input.name, description: input.description, enabled: input.enabled,
      createdAt: nowTimestamp(), updatedAt: null,
    };
    await this.#store.createProject(p).catch((err: unknown) => {
      throw isUniqueViolation(err) ? duplicate('project', p.name, `domain ID ${domain.id}`) : err;
    });
    return p;
  }

  /** Changes a project; 404 when absent, 409 when the new name is taken. */
  async updateProject(id: string, patch: ProjectUpdate): Promise<ProjectRecord> {
    const current = await this.getProject(id);
    const updated = await this.#store.updateProject(id, { ...patch, updatedAt: nowTimestamp() }).catch((err: unknown) => {
      throw isUniqueViolation(err) ? duplicate('project', patch.name ?? current.name, `domain ID ${current.domainId}`) : err;
    });
    if (!updated) throw notFound('project', id);
    return updated;
  }

  /** Deletes a project with its assignments and the tokens scoped to it; 404 when absent. */
  async deleteProject(id: string): Promise<void> {
    if (!(await this.#store.deleteProject(id))) throw notFound('project', id);
  }

  /** The projects a user holds any role on (`GET /v3/users/{id}/projects`, `/v3/auth/projects`). */
  async projectsOfUser(userId: string): Promise<ProjectRecord[]> {
    const ids = new Set((await this.#store.listAssignments({ userId, targetType: 'project' })).map((a) => a.target.id));
    const projects = await Promise.all([...ids].map((id) => this.#store.getProject(id)));
    return projects.filter((p): p is ProjectRecord => p !== undefined).sort((a, b) => a.name.localeCompare(b.name));
  }

  // Users

  listUsers(filter: NamedFilter = {}): Promise<UserRecord[]> {
    return this.#store.listUsers(filter);
  }

  /** A user by id; 404 when absent. */
  async getUser(id: string): Promise<UserRecord> {
    const u = await this.#store.getUser(id);
    if (!u) throw notFound('user', id);
    return u;
  }

  /** Creates a user, hashing its password; 409 when the name is taken in its domain. */
  async createUser(input: UserCreate): Promise<UserRecord> {
    const domain = await this.#domainForCreate(input.domainId, 'user/domain_id');
    if (input.defaultProjectId !== null) await this.#checkDefaultProject(input.defaultProjectId);
    const now = nowTimestamp();
    const u: UserRecord = {
      id: newIdentityId(), domainId: domain.id, name: input.name,
      passwordHash: input.password === null ? null : await this.hashPassword(input.password),
      enabled: input.enabled, defaultProjectId: input.defaultProjectId, description: input.description, email: input.email,
      createdAt: now, updatedAt: null,
    };
    await this.#store.createUser(u).catch((err: unknown) => {
      throw isUniqueViolation(err) ? duplicate('user', u.name, `domain ID ${domain.id}`) : err;
    });
    return u;
  }

  /**
   * Changes a user. A new password, or disabling, revokes every token the user holds (Keystone
   * does the same), in the same transaction as the change.
   */
  async updateUser(id: string, patch: UserUpdate): Promise<UserRecord> {
    const current = await this.getUser(id);
    if (patch.defaultProjectId) await this.#checkDefaultProject(patch.defaultProjectId);
    const { password, ...rest } = patch;
    const passwordHash = password === undefined ? undefined : password === null ? null : await this.hashPassword(password);
    const updated = await this.#store.transaction(async (tx) => {
      const u = await tx.updateUser(id, { ...rest, ...(passwordHash === undefined ? {} : { passwordHash }), updatedAt: nowTimestamp() });
      if (u && (password !== undefined || patch.enabled === false)) await tx.deleteUserTokens(id);
      return u;
    }).catch((err: unknown) => {
      throw isUniqueViolation(err) ? duplicate('user', patch.name ?? current.name, `domain ID ${current.domainId}`) : err;
    });
    if (!updated) throw notFound('user', id);
    return updated;
  }

  /** A user changing their own password: 401 unless the original is right. Revokes their tokens. */
  async changePassword(userId: string, change: PasswordChange): Promise<void> {
    const user = await this.getUser(userId);
    const ok = user.passwordHash === null ? await verifyNothing(change.originalPassword) : await verifyPassword(change.originalPassword, user.passwordHash);
    if (!ok) throw unauthorized(undefined, `password change: wrong original password for user ${userId}`);
    await this.updateUser(userId, { password: change.password });
  }

  /** Deletes a user; its assignments and tokens go with it. 404 when absent. */
  async deleteUser(id: string): Promise<void> {
    if (!(await this.#store.deleteUser(id))) throw notFound('user', id);
  }

  async #checkDefaultProject(id: string): Promise<void> {
    if (!(await this.#store.getProject(id))) throw invalidInput('user/default_project_id', `Could not find project: ${id}.`);
  }

  // Roles

  listRoles(filter: { name?: string } = {}): Promise<RoleRecord[]> {
    return this.#store.listRoles(filter);
  }

  /** A role by id; 404 when absent. */
  async getRole(id: string): Promise<RoleRecord> {
    const r = await this.#store.getRole(id);
    if (!r) throw notFound('role', id);
    return r;
  }

  /** Creates a role; 409 when the name is taken. */
  async createRole(input: RoleCreate): Promise<RoleRecord> {
    const r: RoleRecord = { id: newIdentityId(), name: input.name, description: input.description, createdAt: nowTimestamp() };
    await this.#store.createRole(r).catch((err: unknown) => {
      throw isUniqueViolation(err) ? duplicate('role', r.name) : err;
    });
    return r;
  }

  /** Changes a role; 404 when absent, 409 when the new name is taken. */
  async updateRole(id: string, patch: RoleUpdate): Promise<RoleRecord> {
    await this.getRole(id);
    const updated = await this.#store.updateRole(id, patch).catch((err: unknown) => {
      throw isUniqueViolation(err) ? duplicate('role', patch.name ?? id) : err;
    });
    if (!updated) throw notFound('role', id);
    return updated;
  }

  /** Deletes a role and every assignment of it (tokens relying on it stop working). 404 when absent. */
  async deleteRole(id: string): Promise<void> {
    if (!(await this.#store.deleteRole(id))) throw notFound('role', id);
  }

  // Role assignments

  async #checkGrantParts(userId: string, target: AssignmentTarget, roleId: string): Promise<void> {
    if (target.type === 'project') await this.getProject(target.id);
    else await this.getDomain(target.id);
    await this.getUser(userId);
    await this.getRole(roleId);
  }

  /** Grants a role to a user on a project or domain; idempotent. 404 when any part is absent. */
  async grant(userId: string, target: AssignmentTarget, roleId: string): Promise<void> {
    await this.#checkGrantParts(userId, target, roleId);
    await this.#store.grant(userId, target, roleId);
  }

  /** Removes a grant; 404 when there is none. Tokens relying on it lose the role at once. */
  async revoke(userId: string, target: AssignmentTarget, roleId: string): Promise<void> {
    await this.#checkGrantParts(userId, target, roleId);
    if (!(await this.#store.revoke(userId, target, roleId))) {
      throw notFound('role assignment', `${roleId} on ${target.type} ${target.id} for user ${userId}`);
    }
  }

  /** True when the grant exists; 404 when any part is absent. */
  async hasGrant(userId: string, target: AssignmentTarget, roleId: string): Promise<boolean> {
    await this.#checkGrantParts(userId, target, roleId);
    return (await this.#store.rolesOn(userId, target)).some((r) => r.id === roleId);
  }

  /** The roles a user holds on a project or domain; 404 when user or target is absent. */
  async rolesOn(userId: string, target: AssignmentTarget): Promise<{ id: string; name: string }[]> {
    if (target.type === 'project') await this.getProject(target.id);
    else await this.getDomain(target.id);
    await this.getUser(userId);
    return this.#store.rolesOn(userId, target);
  }

  /** Assignments matching the filter, with names. */
  listAssignments(filter: AssignmentFilter = {}): Promise<AssignmentView[]> {
    return this.#store.listAssignments(filter);
  }
}

function isUsable(v: TokenView): boolean {
  if (!v.user.enabled || !v.user.domain.enabled) return false;
  if (v.project && (!v.project.enabled || !v.project.domain.enabled)) return false;
  if (v.domain && !v.domain.enabled) return false;
  return true;
}
