/**
 * @module store/identity-store — the embedded identity service's tables (migration 0003) over the
 * same {@link SqlDialect} as the SqlStore: domains, projects, users, roles, role assignments and
 * tokens. Intent-named operations; row shapes stay private to this file. Knows nothing of
 * passwords or tokens beyond the opaque hashes it is given.
 */
import { migrate } from './migrate.js';
import type { Row, SqlConn, SqlDialect, SqlValue } from './sql.js';

/** A Keystone domain. */
export interface DomainRecord {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  createdAt: string;
}

/** A Keystone project (a tenant: what Fulcrum objects belong to). */
export interface ProjectRecord {
  id: string;
  domainId: string;
  name: string;
  description: string;
  enabled: boolean;
  createdAt: string;
  updatedAt: string | null;
}

/** A user. `passwordHash` is the KDF's self-describing output, never a password. */
export interface UserRecord {
  id: string;
  domainId: string;
  name: string;
  passwordHash: string | null;
  enabled: boolean;
  defaultProjectId: string | null;
  description: string;
  email: string | null;
  createdAt: string;
  updatedAt: string | null;
}

/** A (global) role. */
export interface RoleRecord {
  id: string;
  name: string;
  description: string;
  createdAt: string;
}

/** What a role is granted on. */
export interface AssignmentTarget {
  type: 'project' | 'domain';
  id: string;
}

/** One role assignment, with the names of everything it names (for `include_names`). */
export interface AssignmentView {
  userId: string;
  userName: string;
  userDomainId: string;
  userDomainName: string;
  roleId: string;
  roleName: string;
  target: AssignmentTarget;
  targetName: string;
  /** The project's domain (for a project target); null for a domain target. */
  targetDomainId: string | null;
  targetDomainName: string | null;
}

/** Filters of {@link IdentityStore.listAssignments}; each one given narrows the list. */
export interface AssignmentFilter {
  userId?: string;
  roleId?: string;
  targetType?: AssignmentTarget['type'];
  targetId?: string;
}

/** A stored token: the SHA-256 of the token, never the token. Times in ms since the epoch. */
export interface TokenRecord {
  tokenHash: string;
  userId: string;
  projectId: string | null;
  domainId: string | null;
  methods: string[];
  auditIds: string[];
  issuedAt: number;
  expiresAt: number;
}

/** A live token with everything its scope names, from one indexed lookup. */
export interface TokenView {
  token: TokenRecord;
  user: { id: string; name: string; enabled: boolean; domain: { id: string; name: string; enabled: boolean } };
  project: { id: string; name: string; enabled: boolean; domain: { id: string; name: string; enabled: boolean } } | null;
  domain: { id: string; name: string; enabled: boolean } | null;
}

/** Filters of the project and user lists. */
export interface NamedFilter {
  name?: string;
  domainId?: string;
  enabled?: boolean;
}

export type ProjectPatch = Partial<Pick<ProjectRecord, 'name' | 'description' | 'enabled' | 'updatedAt'>>;
export type UserPatch = Partial<Pick<UserRecord, 'name' | 'passwordHash' | 'enabled' | 'defaultProjectId' | 'description' | 'email' | 'updatedAt'>>;
export type RolePatch = Partial<Pick<RoleRecord, 'name' | 'description'>>;

const bool = (v: unknown): boolean => v === true || v === 1 || v === '1';
const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function domainOf(r: Row): DomainRecord {
  return { id: str(r.id), name: str(r.name), description: str(r.description), enabled: bool(r.enabled), createdAt: str(r.created_at) };
}

function projectOf(r: Row): ProjectRecord {
  return {
    id: str(r.id), domainId: str(r.domain_id), name: str(r.name), description: str(r.description), enabled: bool(r.enabled),
    createdAt: str(r.created_at), updatedAt: strOrNull(r.updated_at),
  };
}

function userOf(r: Row): UserRecord {
  return {
    id: str(r.id), domainId: str(r.domain_id), name: str(r.name), passwordHash: strOrNull(r.password_hash), enabled: bool(r.enabled),
    defaultProjectId: strOrNull(r.default_project_id), description: str(r.description), email: strOrNull(r.email),
    createdAt: str(r.created_at), updatedAt: strOrNull(r.updated_at),
  };
}

function roleOf(r: Row): RoleRecord {
  return { id: str(r.id), name: str(r.name), description: str(r.description), createdAt: str(r.created_at) };
}

/** Column of each patchable field, and how it is written. */
const PROJECT_COLUMNS = { name: 'name', description: 'description', enabled: 'enabled', updatedAt: 'updated_at' } as const;
const USER_COLUMNS = {
  name: 'name', passwordHash: 'password_hash', enabled: 'enabled', defaultProjectId: 'default_project_id',
  description: 'description', email: 'email', updatedAt: 'updated_at',
} as const;
const ROLE_COLUMNS = { name: 'name', description: 'description' } as const;

function encode(v: unknown): SqlValue {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  return String(v);
}

function whereOf(filter: NamedFilter): { sql: string; params: SqlValue[] } {
  const parts: string[] = [];
  const params: SqlValue[] = [];
  if (filter.name !== undefined) { parts.push('name = ?'); params.push(filter.name); }
  if (filter.domainId !== undefined) { parts.push('domain_id = ?'); params.push(filter.domainId); }
  if (filter.enabled !== undefined) { parts.push('enabled = ?'); params.push(filter.enabled ? 1 : 0); }
  return { sql: parts.length > 0 ? ` WHERE ${parts.join(' AND ')}` : '', params };
}

/**
 * The identity tables over one SQL dialect. An instance made by {@link IdentityStore.transaction}
 * runs every call on that transaction's connection.
 */
export class IdentityStore {
  readonly #db: SqlDialect;
  readonly #conn: SqlConn;
  readonly #inTransaction: boolean;

  /** Wraps a dialect whose schema is already migrated (as {@link SqlStore.open} leaves it). */
  constructor(db: SqlDialect, conn?: SqlConn) {
    this.#db = db;
    this.#conn = conn ?? db;
    this.#inTransaction = conn !== undefined;
  }

  /** Migrates the schema (a no-op when already current) and wraps the dialect. */
  static async open(db: SqlDialect): Promise<IdentityStore> {
    await migrate(db);
    return new IdentityStore(db);
  }

  /**
   * Runs `fn` in one transaction. With `exclusive`, it also holds the cross-process lock that
   * serialises initialisation (the migration lock), so two servers bootstrapping one PostgreSQL
   * database at once do not both create the admin user. Nested calls join the outer transaction.
   */
  async transaction<T>(fn: (tx: IdentityStore) => Promise<T>, opts: { exclusive?: boolean } = {}): Promise<T> {
    if (this.#inTransaction) return fn(this);
    return this.#db.transaction(async (conn) => {
      if (opts.exclusive) await this.#db.lockMigrations(conn);
      return fn(new IdentityStore(this.#db, conn));
    });
  }

  // Domains

  /** Inserts a domain. Throws a unique violation when the id or name exists. */
  async createDomain(d: DomainRecord): Promise<void> {
    await this.#conn.run('INSERT INTO identity_domains (id, name, description, enabled, created_at) VALUES (?, ?, ?, ?, ?)', [
      d.id, d.name, d.description, d.enabled ? 1 : 0, d.createdAt,
    ]);
  }

  /** The domain with this id. */
  async getDomain(id: string): Promise<DomainRecord | undefined> {
    const rows = await this.#conn.all('SELECT * FROM identity_domains WHERE id = ?', [id]);
    return rows[0] ? domainOf(rows[0]) : undefined;
  }

  /** The domain with this name. */
  async findDomainByName(name: string): Promise<DomainRecord | undefined> {
    const rows = await this.#conn.all('SELECT * FROM identity_domains WHERE name = ?', [name]);
    return rows[0] ? domainOf(rows[0]) : undefined;
  }

  /** Domains, by name. */
  async listDomains(filter: { name?: string; enabled?: boolean } = {}): Promise<DomainRecord[]> {
    const w = whereOf(filter);
    return (await this.#conn.all(`SELECT * FROM identity_domains${w.sql} ORDER BY name, id`, w.params)).map(domainOf);
  }

  // Projects

  /** Inserts a project. Throws a unique violation when the name exists in its domain. */
  async createProject(p: ProjectRecord): Promise<void> {
    await this.#conn.run(`INSERT INTO identity_projects (id, domain_id, name, description, enabled, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`, [p.id, p.domainId, p.name, p.description, p.enabled ? 1 : 0, p.createdAt, p.updatedAt]);
  }

  /** The project with this id. */
  async getProject(id: string): Promise<ProjectRecord | undefined> {
    const rows = await this.#conn.all('SELECT * FROM identity_projects WHERE id = ?', [id]);
    return rows[0] ? projectOf(rows[0]) : undefined;
  }

  /** Projects matching every filter given, by name. */
  async listProjects(filter: NamedFilter = {}): Promise<ProjectRecord[]> {
    const w = whereOf(filter);
    return (await this.#conn.all(`SELECT * FROM identity_projects${w.sql} ORDER BY name, id`, w.params)).map(projectOf);
  }

  /** Changes the given fields; the updated project, or undefined when there is none. */
  async updateProject(id: string, patch: ProjectPatch): Promise<ProjectRecord | undefined> {
    await this.#update('identity_projects', PROJECT_COLUMNS, id, patch);
    return this.getProject(id);
  }

  /** Deletes a project, its role assignments and the tokens scoped to it. False when absent. */
  async deleteProject(id: string): Promise<boolean> {
    return this.transaction(async (tx) => {
      await tx.#conn.run(`DELETE FROM identity_role_assignments WHERE target_type = 'project' AND target_id = ?`, [id]);
      await tx.#conn.run('DELETE FROM identity_tokens WHERE project_id = ?', [id]);
      return (await tx.#conn.run('DELETE FROM identity_projects WHERE id = ?', [id])) > 0;
    });
  }

  // Users

  /** Inserts a user. Throws a unique violation when the name exists in its domain. */
  async createUser(u: UserRecord): Promise<void> {
    await this.#conn.run(`INSERT INTO identity_users (id, domain_id, name, password_hash, enabled, default_project_id,
      description, email, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      u.id, u.domainId, u.name, u.passwordHash, u.enabled ? 1 : 0, u.defaultProjectId, u.description, u.email,
      u.createdAt, u.updatedAt,
    ]);
  }

  /** The user with this id. */
  async getUser(id: string): Promise<UserRecord | undefined> {
    const rows = await this.#conn.all('SELECT * FROM identity_users WHERE id = ?', [id]);
    return rows[0] ? userOf(rows[0]) : undefined;
  }

  /** The user with this name in this domain. */
  async findUser(domainId: string, name: string): Promise<UserRecord | undefined> {
    const rows = await this.#conn.all('SELECT * FROM identity_users WHERE domain_id = ? AND name = ?', [domainId, name]);
    return rows[0] ? userOf(rows[0]) : undefined;
  }

  /** Users matching every filter given, by name. */
  async listUsers(filter: NamedFilter = {}): Promise<UserRecord[]> {
    const w = whereOf(filter);
    return (await this.#conn.all(`SELECT * FROM identity_users${w.sql} ORDER BY name, id`, w.params)).map(userOf);
  }

  /** Changes the given fields; the updated user, or undefined when there is none. */
  async updateUser(id: string, patch: UserPatch): Promise<UserRecord | undefined> {
    await this.#update('identity_users', USER_COLUMNS, id, patch);
    return this.getUser(id);
  }

  /** Deletes a user; its assignments and tokens go with it (foreign keys). False when absent. */
  async deleteUser(id: string): Promise<boolean> {
    return (await this.#conn.run('DELETE FROM identity_users WHERE id = ?', [id])) > 0;
  }

  // Roles

  /** Inserts a role. Throws a unique violation when the name exists. */
  async createRole(r: RoleRecord): Promise<void> {
    await this.#conn.run('INSERT INTO identity_roles (id, name, description, created_at) VALUES (?, ?, ?, ?)', [
      r.id, r.name, r.description, r.createdAt,
    ]);
  }

  /** The role with this id. */
  async getRole(id: string): Promise<RoleRecord | undefined> {
    const rows = await this.#conn.all('SELECT * FROM identity_roles WHERE id = ?', [id]);
    return rows[0] ? roleOf(rows[0]) : undefined;
  }

  /** The role with this name. */
  async findRoleByName(name: string): Promise<RoleRecord | undefined> {
    const rows = await this.#conn.all('SELECT * FROM identity_roles WHERE name = ?', [name]);
    return rows[0] ? roleOf(rows[0]) : undefined;
  }

  /** Roles, by name. */
  async listRoles(filter: { name?: string } = {}): Promise<RoleRecord[]> {
    const w = whereOf(filter);
    return (await this.#conn.all(`SELECT * FROM identity_roles${w.sql} ORDER BY name, id`, w.params)).map(roleOf);
  }

  /** Changes the given fields; the updated role, or undefined when there is none. */
  async updateRole(id: string, patch: RolePatch): Promise<RoleRecord | undefined> {
    await this.#update('identity_roles', ROLE_COLUMNS, id, patch);
    return this.getRole(id);
  }

  /** Deletes a role; its assignments go with it (foreign key). False when absent. */
  async deleteRole(id: string): Promise<boolean> {
    return (await this.#conn.run('DELETE FROM identity_roles WHERE id = ?', [id])) > 0;
  }

  // Role assignments

  /** Grants a role; idempotent. The caller has checked that user, role and target exist. */
  async grant(userId: string, target: AssignmentTarget, roleId: string): Promise<void> {
    await this.#conn.run(`INSERT INTO identity_role_assignments (user_id, target_type, target_id, role_id) VALUES (?, ?, ?, ?)
      ON CONFLICT DO NOTHING`, [userId, target.type, target.id, roleId]);
  }

  /** Removes a grant; false when there was none. */
  async revoke(userId: string, target: AssignmentTarget, roleId: string): Promise<boolean> {
    return (await this.#conn.run(
      'DELETE FROM identity_role_assignments WHERE user_id = ? AND target_type = ? AND target_id = ? AND role_id = ?',
      [userId, target.type, target.id, roleId],
    )) > 0;
  }

  /** The roles a user holds on a target, by name (one indexed lookup). */
  async rolesOn(userId: string, target: AssignmentTarget): Promise<{ id: string; name: string }[]> {
    const rows = await this.#conn.all(`SELECT r.id, r.name FROM identity_role_assignments a
      JOIN identity_roles r ON r.id = a.role_id
      WHERE a.user_id = ? AND a.target_type = ? AND a.target_id = ? ORDER BY r.name, r.id`, [userId, target.type, target.id]);
    return rows.map((r) => ({ id: str(r.id), name: str(r.name) }));
  }

  /** Assignments matching every filter given, with names. */
  async listAssignments(filter: AssignmentFilter = {}): Promise<AssignmentView[]> {
    const parts: string[] = [];
    const params: SqlValue[] = [];
    if (filter.userId !== undefined) { parts.push('a.user_id = ?'); params.push(filter.userId); }
    if (filter.roleId !== undefined) { parts.push('a.role_id = ?'); params.push(filter.roleId); }
    if (filter.targetType !== undefined) { parts.push('a.target_type = ?'); params.push(filter.targetType); }
    if (filter.targetId !== undefined) { parts.push('a.target_id = ?'); params.push(filter.targetId); }
    const rows = await this.#conn.all(`SELECT a.user_id, a.role_id, a.target_type, a.target_id,
        u.name AS user_name, u.domain_id AS user_domain_id, ud.name AS user_domain_name, r.name AS role_name,
        p.name AS project_name, p.domain_id AS project_domain_id, pd.name AS project_domain_name, d.name AS domain_name
      FROM identity_role_assignments a
      JOIN identity_users u ON u.id = a.user_id
      JOIN identity_domains ud ON ud.id = u.domain_id
      JOIN identity_roles r ON r.id = a.role_id
      LEFT JOIN identity_projects p ON a.target_type = 'project' AND p.id = a.target_id
      LEFT JOIN identity_domains pd ON pd.id = p.domain_id
      LEFT JOIN identity_domains d ON a.target_type = 'domain' AND d.id = a.target_id
      ${parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : ''}
      ORDER BY a.target_type, a.target_id, u.name, r.name`, params);
    return rows.map((r) => {
      const isProject = r.target_type === 'project';
      return {
        userId: str(r.user_id), userName: str(r.user_name), userDomainId: str(r.user_domain_id),
        userDomainName: str(r.user_domain_name), roleId: str(r.role_id), roleName: str(r.role_name),
        target: { type: isProject ? 'project' : 'domain', id: str(r.target_id) },
        targetName: str((isProject ? r.project_name : r.domain_name) ?? ''),
        targetDomainId: isProject ? strOrNull(r.project_domain_id) : null,
        targetDomainName: isProject ? strOrNull(r.project_domain_name) : null,
      };
    });
  }

  // Tokens

  /** Stores a new token (its hash). */
  async insertToken(t: TokenRecord): Promise<void> {
    await this.#conn.run(`INSERT INTO identity_tokens (token_hash, user_id, project_id, domain_id, methods, audit_ids,
      issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [
      t.tokenHash, t.userId, t.projectId, t.domainId, JSON.stringify(t.methods), JSON.stringify(t.auditIds), t.issuedAt,
      t.expiresAt,
    ]);
  }

  /**
   * The token with this hash that has not expired at `nowMs`, with its user and scope (one
   * primary-key lookup joined along foreign keys), or undefined. The caller checks `enabled`.
   */
  async tokenView(tokenHash: string, nowMs: number): Promise<TokenView | undefined> {
    const rows = await this.#conn.all(`SELECT t.*, u.name AS user_name, u.enabled AS user_enabled,
        u.domain_id AS user_domain_id, ud.name AS user_domain_name, ud.enabled AS user_domain_enabled,
        p.name AS project_name, p.enabled AS project_enabled, p.domain_id AS project_domain_id,
        pd.name AS project_domain_name, pd.enabled AS project_domain_enabled, d.name AS domain_name, d.enabled AS domain_enabled
      FROM identity_tokens t
      JOIN identity_users u ON u.id = t.user_id
      JOIN identity_domains ud ON ud.id = u.domain_id
      LEFT JOIN identity_projects p ON p.id = t.project_id
      LEFT JOIN identity_domains pd ON pd.id = p.domain_id
      LEFT JOIN identity_domains d ON d.id = t.domain_id
      WHERE t.token_hash = ? AND t.expires_at > ?`, [tokenHash, nowMs]);
    const r = rows[0];
    if (!r) return undefined;
    const token: TokenRecord = {
      tokenHash: str(r.token_hash), userId: str(r.user_id), projectId: strOrNull(r.project_id), domainId: strOrNull(r.domain_id),
      methods: JSON.parse(str(r.methods)) as string[], auditIds: JSON.parse(str(r.audit_ids)) as string[],
      issuedAt: Number(r.issued_at), expiresAt: Number(r.expires_at),
    };
    return {
      token,
      user: {
        id: token.userId, name: str(r.user_name), enabled: bool(r.user_enabled),
        domain: { id: str(r.user_domain_id), name: str(r.user_domain_name), enabled: bool(r.user_domain_enabled) },
      },
      project: token.projectId === null ? null : {
        id: token.projectId, name: str(r.project_name), enabled: bool(r.project_enabled),
        domain: { id: str(r.project_domain_id), name: str(r.project_domain_name), enabled: bool(r.project_domain_enabled) },
      },
      domain: token.domainId === null ? null : { id: token.domainId, name: str(r.domain_name), enabled: bool(r.domain_enabled) },
    };
  }

  /** Revokes one token; false when there was none. */
  async deleteToken(tokenHash: string): Promise<boolean> {
    return (await this.#conn.run('DELETE FROM identity_tokens WHERE token_hash = ?', [tokenHash])) > 0;
  }

  /** Revokes every token of a user (a password change); the number revoked. */
  async deleteUserTokens(userId: string): Promise<number> {
    return this.#conn.run('DELETE FROM identity_tokens WHERE user_id = ?', [userId]);
  }

  /** Forgets tokens that expired before `nowMs`; the number removed. */
  async deleteExpiredTokens(nowMs: number): Promise<number> {
    return this.#conn.run('DELETE FROM identity_tokens WHERE expires_at <= ?', [nowMs]);
  }

  async #update(table: string, columns: Readonly<Record<string, string>>, id: string, patch: object): Promise<void> {
    const sets: string[] = [];
    const params: SqlValue[] = [];
    for (const [field, value] of Object.entries(patch)) {
      const col = columns[field];
      if (col === undefined || value === undefined) continue;
      sets.push(`${col} = ?`);
      params.push(encode(value));
    }
    if (sets.length === 0) return;
    await this.#conn.run(`UPDATE ${table} SET ${sets.join(', ')} WHERE id = ?`, [...params, id]);
  }
}
