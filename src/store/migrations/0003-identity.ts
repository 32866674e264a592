/**
 * @module store/migrations/0003-identity — the embedded identity service (a Keystone v3 subset):
 * domains, projects, users, roles, role assignments and tokens. Tables carry an `identity_`
 * prefix so that they never clash with Fulcrum's own words (a quota table keyed by project, say).
 */
import type { Migration } from '../migrate.js';

export const migration0003: Migration = {
  version: 3,
  name: 'identity',
  statements: [
    `CREATE TABLE identity_domains (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,
      description TEXT NOT NULL DEFAULT '', enabled INTEGER NOT NULL, created_at TEXT NOT NULL)`,
    `CREATE TABLE identity_projects (id TEXT PRIMARY KEY, domain_id TEXT NOT NULL REFERENCES identity_domains(id),
      name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', enabled INTEGER NOT NULL,
      created_at TEXT NOT NULL, updated_at TEXT, UNIQUE (domain_id, name))`,
    /* password_hash holds the KDF's name, parameters, salt and hash; NULL means no password login. */
    `CREATE TABLE identity_users (id TEXT PRIMARY KEY, domain_id TEXT NOT NULL REFERENCES identity_domains(id),
      name TEXT NOT NULL, password_hash TEXT, enabled INTEGER NOT NULL, default_project_id TEXT,
      description TEXT NOT NULL DEFAULT '', email TEXT, created_at TEXT NOT NULL, updated_at TEXT,
      UNIQUE (domain_id, name))`,
    `CREATE TABLE identity_roles (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL DEFAULT '',
      created_at TEXT NOT NULL)`,
    /* A target is a project or a domain, so target_id has no foreign key: deleting a project
       deletes its assignments in the same transaction. */
    `CREATE TABLE identity_role_assignments (
      user_id TEXT NOT NULL REFERENCES identity_users(id) ON DELETE CASCADE,
      target_type TEXT NOT NULL CHECK (target_type IN ('project', 'domain')), target_id TEXT NOT NULL,
      role_id TEXT NOT NULL REFERENCES identity_roles(id) ON DELETE CASCADE,
      PRIMARY KEY (user_id, target_type, target_id, role_id))`,
    `CREATE INDEX identity_role_assignments_target ON identity_role_assignments(target_type, target_id)`,
    `CREATE INDEX identity_role_assignments_role ON identity_role_assignments(role_id)`,
    /* Only the SHA-256 of a token is stored. Roles are not: validation reads the assignments,
       so removing one takes effect at once. Times are milliseconds since the epoch. */
    `CREATE TABLE identity_tokens (token_hash TEXT PRIMARY KEY,
      user_id TEXT NOT NULL REFERENCES identity_users(id) ON DELETE CASCADE,
      project_id TEXT REFERENCES identity_projects(id) ON DELETE CASCADE,
      domain_id TEXT REFERENCES identity_domains(id) ON DELETE CASCADE,
      methods TEXT NOT NULL, audit_ids TEXT NOT NULL, issued_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)`,
    `CREATE INDEX identity_tokens_user ON identity_tokens(user_id)`,
    `CREATE INDEX identity_tokens_project ON identity_tokens(project_id)`,
    `CREATE INDEX identity_tokens_expires ON identity_tokens(expires_at)`,
  ],
};
