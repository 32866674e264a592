/**
 * @module identity/requests — checks Keystone v3 request bodies and turns them into typed
 * requests. Every failure is a 400 naming the field (or Keystone's 401 for an unknown method).
 * Unknown attributes are ignored, as Keystone's schemas allow them.
 */
import { invalidInput, missing, unauthorized } from './errors.js';

type Obj = Record<string, unknown>;

/** A domain named by id or by name. */
export type DomainRef = { id: string } | { name: string };
/** A user named by id, or by name within a domain. */
export type UserRef = { id: string } | { name: string; domain: DomainRef };
/** A project named by id, or by name within a domain. */
export type ProjectRef = { id: string } | { name: string; domain: DomainRef };

/** What a token is asked to be scoped to; `default` lets the user's default project decide. */
export type ScopeRequest =
  | { kind: 'project'; project: ProjectRef }
  | { kind: 'domain'; domain: DomainRef }
  | { kind: 'unscoped' }
  | { kind: 'default' };

export const AUTH_METHODS = ['password', 'token'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** A parsed `POST /v3/auth/tokens` body. */
export interface AuthRequest {
  methods: AuthMethod[];
  password?: { user: UserRef; password: string };
  token?: { id: string };
  scope: ScopeRequest;
}

export interface ProjectCreate {
  name: string;
  domainId?: string;
  description: string;
  enabled: boolean;
}

export interface ProjectUpdate {
  name?: string;
  description?: string;
  enabled?: boolean;
}

export interface UserCreate {
  name: string;
  domainId?: string;
  password: string | null;
  enabled: boolean;
  defaultProjectId: string | null;
  description: string;
  email: string | null;
}

export interface UserUpdate {
  name?: string;
  password?: string | null;
  enabled?: boolean;
  defaultProjectId?: string | null;
  description?: string;
  email?: string | null;
}

export interface RoleCreate {
  name: string;
  description: string;
}

export interface RoleUpdate {
  name?: string;
  description?: string;
}

export interface PasswordChange {
  password: string;
  originalPassword: string;
}

/** Longest accepted password; scrypt takes any length, this only bounds the work per request. */
export const MAX_PASSWORD_LENGTH = 4096;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeName(v: unknown): string {
  if (v === null) return 'None';
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : JSON.stringify(v);
}

/** The object at `key` of `parent`; 400 when absent or not an object. */
function object(parent: Obj, key: string, path: string): Obj {
  const v = parent[key];
  if (v === undefined) throw missing(key, path.split('/').slice(-2, -1)[0] || 'request body');
  if (!isObj(v)) throw invalidInput(path, `${typeName(v)} is not of type 'object'`);
  return v;
}

function string(v: unknown, path: string, opts: { min?: number; max?: number; secret?: boolean } = {}): string {
  if (typeof v !== 'string') throw invalidInput(path, `${opts.secret && v !== null && v !== undefined ? 'the value' : typeName(v)} is not of type 'string'`);
  const min = opts.min ?? 1;
  const max = opts.max ?? 255;
  if (v.length < min) throw invalidInput(path, `'' is too short`);
  if (v.length > max) throw invalidInput(path, `the value is longer than ${max} characters`);
  return v;
}

function optionalNullableString(o: Obj, key: string, path: string, max = 255): string | null | undefined {
  if (o[key] === undefined) return undefined;
  if (o[key] === null) return null;
  return string(o[key], `${path}/${key}`, { min: 0, max });
}

function optionalBoolean(o: Obj, key: string, path: string): boolean | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw invalidInput(`${path}/${key}`, `${typeName(v)} is not of type 'boolean'`);
  return v;
}

function password(v: unknown, path: string): string {
  return string(v, path, { min: 1, max: MAX_PASSWORD_LENGTH, secret: true });
}

function domainRef(o: Obj, path: string): DomainRef {
  if (o.id !== undefined) return { id: string(o.id, `${path}/id`, { max: 64 }) };
  if (o.name !== undefined) return { name: string(o.name, `${path}/name`, { max: 255 }) };
  throw missing('id or name', path.split('/').pop() ?? 'domain');
}

/** A user, project or domain reference: `{id}` or `{name, domain}`. */
function namedRef(o: Obj, path: string, what: string): { id: string } | { name: string; domain: DomainRef } {
  if (o.id !== undefined) return { id: string(o.id, `${path}/id`, { max: 64 }) };
  if (o.name === undefined) throw missing('id or name', what);
  const name = string(o.name, `${path}/name`, { max: 255 });
  if (o.domain === undefined) throw missing('domain', what);
  return { name, domain: domainRef(object(o, 'domain', `${path}/domain`), `${path}/domain`) };
}

function scopeOf(v: unknown): ScopeRequest {
  if (v === undefined) return { kind: 'default' };
  if (v === 'unscoped') return { kind: 'unscoped' };
  if (!isObj(v)) throw invalidInput('auth/scope', `${typeName(v)} is not valid under any of the given schemas`);
  const kinds = ['project', 'domain', 'system', 'OS-TRUST:trust'].filter((k) => v[k] !== undefined);
  if (kinds.length > 1) throw invalidInput('auth/scope', `scoping to ${kinds.join(' and ')} at once is not allowed`);
  if (kinds[0] === 'project') return { kind: 'project', project: namedRef(object(v, 'project', 'auth/scope/project'), 'auth/scope/project', 'project') };
  if (kinds[0] === 'domain') return { kind: 'domain', domain: domainRef(object(v, 'domain', 'auth/scope/domain'), 'auth/scope/domain') };
  if (kinds[0] !== undefined) throw invalidInput('auth/scope', `${kinds[0]} scope is not supported by this identity service; scope to a project or a domain`);
  throw invalidInput('auth/scope', 'expected project or domain');
}

/** Parses `POST /v3/auth/tokens`. */
export function parseAuthRequest(body: unknown): AuthRequest {
  if (!isObj(body)) throw missing('auth', 'request body');
  const auth = object(body, 'auth', 'auth');
  const identity = object(auth, 'identity', 'auth/identity');
  const rawMethods = identity.methods;
  if (rawMethods === undefined) throw missing('methods', 'identity');
  if (!Array.isArray(rawMethods) || rawMethods.length === 0 || !rawMethods.every((m) => typeof m === 'string')) {
    throw invalidInput('auth/identity/methods', `${typeName(rawMethods)} is not a non-empty list of strings`);
  }
  const methods: AuthMethod[] = [];
  for (const m of new Set(rawMethods as string[])) {
    if (!(AUTH_METHODS as readonly string[]).includes(m)) throw unauthorized('Attempted to authenticate with an unsupported method.');
    methods.push(m as AuthMethod);
  }
  const req: AuthRequest = { methods, scope: scopeOf(auth.scope) };
  if (methods.includes('password')) {
    const pw = object(identity, 'password', 'auth/identity/password');
    const user = object(pw, 'user', 'auth/identity/password/user');
    if (user.password === undefined) throw missing('password', 'user');
    req.password = {
      user: namedRef(user, 'auth/identity/password/user', 'user'),
      password: password(user.password, 'auth/identity/password/user/password'),
    };
  }
  if (methods.includes('token')) {
    const token = object(identity, 'token', 'auth/identity/token');
    if (token.id === undefined) throw missing('id', 'token');
    req.token = { id: string(token.id, 'auth/identity/token/id', { max: 8192, secret: true }) };
  }
  return req;
}

/** The object under the body's envelope key (`{"project": {…}}`). */
function envelope(body: unknown, key: string): Obj {
  if (!isObj(body)) throw missing(key, 'request body');
  return object(body, key, key);
}

function rejectHierarchy(o: Obj, path: string): void {
  if (o.is_domain !== undefined && o.is_domain !== false) throw invalidInput(`${path}/is_domain`, 'projects acting as domains are not supported');
  if (o.parent_id !== undefined && o.parent_id !== null && o.parent_id !== o.domain_id) {
    throw invalidInput(`${path}/parent_id`, 'project hierarchies are not supported; a project\'s parent is its domain');
  }
}

/** Parses `POST /v3/projects`. */
export function parseProjectCreate(body: unknown): ProjectCreate {
  const p = envelope(body, 'project');
  if (p.name === undefined) throw missing('name', 'project');
  rejectHierarchy(p, 'project');
  const domainId = p.domain_id === undefined || p.domain_id === null ? undefined : string(p.domain_id, 'project/domain_id', { max: 64 });
  return {
    name: string(p.name, 'project/name', { max: 64 }),
    ...(domainId === undefined ? {} : { domainId }),
    description: optionalNullableString(p, 'description', 'project', 65535) ?? '',
    enabled: optionalBoolean(p, 'enabled', 'project') ?? true,
  };
}

/** Parses `PATCH /v3/projects/{id}`. */
export function parseProjectUpdate(body: unknown, current: { domainId: string }): ProjectUpdate {
  const p = envelope(body, 'project');
  if (p.domain_id !== undefined && p.domain_id !== current.domainId) throw invalidInput('project/domain_id', 'Update of `domain_id` is not allowed.');
  rejectHierarchy({ ...p, domain_id: current.domainId }, 'project');
  const out: ProjectUpdate = {};
  if (p.name !== undefined) out.name = string(p.name, 'project/name', { max: 64 });
  const description = optionalNullableString(p, 'description', 'project', 65535);
  if (description !== undefined) out.description = description ?? '';
  const enabled = optionalBoolean(p, 'enabled', 'project');
  if (enabled !== undefined) out.enabled = enabled;
  return out;
}

/** Parses `POST /v3/users`. */
export function parseUserCreate(body: unknown): UserCreate {
  const u = envelope(body, 'user');
  if (u.name === undefined) throw missing('name', 'user');
  const domainId = u.domain_id === undefined || u.domain_id === null ? undefined : string(u.domain_id, 'user/domain_id', { max: 64 });
  return {
    name: string(u.name, 'user/name', { max: 255 }),
    ...(domainId === undefined ? {} : { domainId }),
    password: u.password === undefined || u.password === null ? null : password(u.password, 'user/password'),
    enabled: optionalBoolean(u, 'enabled', 'user') ?? true,
    defaultProjectId: optionalNullableString(u, 'default_project_id', 'user', 64) ?? null,
    description: optionalNullableString(u, 'description', 'user', 65535) ?? '',
    email: optionalNullableString(u, 'email', 'user') ?? null,
  };
}

/** Parses `PATCH /v3/users/{id}`. */
export function parseUserUpdate(body: unknown, current: { domainId: string }): UserUpdate {
  const u = envelope(body, 'user');
  if (u.domain_id !== undefined && u.domain_id !== current.domainId) throw invalidInput('user/domain_id', 'Update of `domain_id` is not allowed.');
  const out: UserUpdate = {};
  if (u.name !== undefined) out.name = string(u.name, 'user/name', { max: 255 });
  if (u.password !== undefined) out.password = u.password === null ? null : password(u.password, 'user/password');
  const enabled = optionalBoolean(u, 'enabled', 'user');
  if (enabled !== undefined) out.enabled = enabled;
  const dp = optionalNullableString(u, 'default_project_id', 'user', 64);
  if (dp !== undefined) out.defaultProjectId = dp;
  const description = optionalNullableString(u, 'description', 'user', 65535);
  if (description !== undefined) out.description = description ?? '';
  const email = optionalNullableString(u, 'email', 'user');
  if (email !== undefined) out.email = email;
  return out;
}

/** Parses `POST /v3/users/{id}/password`. */
export function parsePasswordChange(body: unknown): PasswordChange {
  const u = envelope(body, 'user');
  if (u.password === undefined) throw missing('password', 'user');
  if (u.original_password === undefined) throw missing('original_password', 'user');
  return { password: password(u.password, 'user/password'), originalPassword: password(u.original_password, 'user/original_password') };
}

function rejectDomainRole(r: Obj): void {
  if (r.domain_id !== undefined && r.domain_id !== null) throw invalidInput('role/domain_id', 'domain-specific roles are not supported');
}

/** Parses `POST /v3/roles`. */
export function parseRoleCreate(body: unknown): RoleCreate {
  const r = envelope(body, 'role');
  if (r.name === undefined) throw missing('name', 'role');
  rejectDomainRole(r);
  return { name: string(r.name, 'role/name', { max: 255 }), description: optionalNullableString(r, 'description', 'role', 255) ?? '' };
}

/** Parses `PATCH /v3/roles/{id}`. */
export function parseRoleUpdate(body: unknown): RoleUpdate {
  const r = envelope(body, 'role');
  rejectDomainRole(r);
  const out: RoleUpdate = {};
  if (r.name !== undefined) out.name = string(r.name, 'role/name', { max: 255 });
  const description = optionalNullableString(r, 'description', 'role', 255);
  if (description !== undefined) out.description = description ?? '';
  return out;
}
