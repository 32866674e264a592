/**
 * @module api/identity/wire — Keystone v3's JSON shapes: tokens, projects, users, roles, domains,
 * role assignments and list envelopes. Never renders a password hash.
 */
import type { CatalogService } from '../../identity/catalog.js';
import type { AssignmentView, DomainRecord, ProjectRecord, RoleRecord, TokenInfo, UserRecord } from '../../identity/identity.js';
import { keystoneTime } from '../../identity/token.js';

/** The body of `POST /v3/auth/tokens` and `GET /v3/auth/tokens`. */
export function tokenBody(info: TokenInfo, catalog: CatalogService[] | null): { token: Record<string, unknown> } {
  const token: Record<string, unknown> = {
    methods: info.methods,
    user: { id: info.user.id, name: info.user.name, domain: info.user.domain, password_expires_at: null },
    audit_ids: info.auditIds,
    expires_at: keystoneTime(info.expiresAt),
    issued_at: keystoneTime(info.issuedAt),
  };
  if (info.project) {
    token.project = { id: info.project.id, name: info.project.name, domain: info.project.domain };
    token.is_domain = false;
  }
  if (info.domain) token.domain = { id: info.domain.id, name: info.domain.name };
  if (info.project || info.domain) {
    token.roles = info.roles.map((r) => ({ id: r.id, name: r.name }));
    if (catalog) token.catalog = catalog;
  }
  return { token };
}

/** A list's `links` (no pagination: every list is whole). */
export function listLinks(self: string): { self: string; previous: null; next: null } {
  return { self, previous: null, next: null };
}

export function domainWire(d: DomainRecord, base: string): Record<string, unknown> {
  return {
    id: d.id, name: d.name, description: d.description, enabled: d.enabled, tags: [], options: {},
    links: { self: `${base}/domains/${d.id}` },
  };
}

export function projectWire(p: ProjectRecord, base: string): Record<string, unknown> {
  return {
    id: p.id, name: p.name, domain_id: p.domainId, description: p.description, enabled: p.enabled,
    // A top-level project's parent is its domain, as in Keystone.
    parent_id: p.domainId, is_domain: false, tags: [], options: {},
    links: { self: `${base}/projects/${p.id}` },
  };
}

export function userWire(u: UserRecord, base: string): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: u.id, name: u.name, domain_id: u.domainId, enabled: u.enabled, password_expires_at: null, options: {},
    links: { self: `${base}/users/${u.id}` },
  };
  // Keystone leaves optional attributes out rather than null.
  if (u.defaultProjectId !== null) out.default_project_id = u.defaultProjectId;
  if (u.description !== '') out.description = u.description;
  if (u.email !== null) out.email = u.email;
  return out;
}

export function roleWire(r: RoleRecord, base: string): Record<string, unknown> {
  return {
    id: r.id, name: r.name, domain_id: null, description: r.description || null, options: {},
    links: { self: `${base}/roles/${r.id}` },
  };
}

/** A role assignment, with names when asked (`include_names`). */
export function assignmentWire(a: AssignmentView, includeNames: boolean, base: string): Record<string, unknown> {
  const scope = a.target.type === 'project'
    ? { project: includeNames ? { id: a.target.id, name: a.targetName, domain: { id: a.targetDomainId, name: a.targetDomainName } } : { id: a.target.id } }
    : { domain: includeNames ? { id: a.target.id, name: a.targetName } : { id: a.target.id } };
  return {
    role: includeNames ? { id: a.roleId, name: a.roleName } : { id: a.roleId },
    user: includeNames ? { id: a.userId, name: a.userName, domain: { id: a.userDomainId, name: a.userDomainName } } : { id: a.userId },
    scope,
    links: { assignment: `${base}/${a.target.type}s/${a.target.id}/users/${a.userId}/roles/${a.roleId}` },
  };
}
