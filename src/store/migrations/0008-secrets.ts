/**
 * @module store/migrations/0008-secrets — the certificate store (a Barbican v1 subset): secrets,
 * whose payload is only ever stored encrypted (AES-256-GCM, see store/secret-store.ts), and
 * containers of named secret references; and the HSTS settings of TERMINATED_HTTPS listeners.
 */
import type { Migration } from '../migrate.js';

export const migration0008: Migration = {
  version: 8,
  name: 'secrets',
  statements: [
    `CREATE TABLE secrets (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, creator_id TEXT, name TEXT,
      secret_type TEXT NOT NULL, algorithm TEXT, bit_length INTEGER, mode TEXT, expiration TEXT,
      content_type TEXT, payload TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
    `CREATE INDEX secrets_project ON secrets(project_id, created_at)`,
    `CREATE TABLE secret_containers (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, creator_id TEXT, name TEXT,
      type TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`,
    `CREATE INDEX secret_containers_project ON secret_containers(project_id, created_at)`,
    `CREATE TABLE secret_container_refs (container_id TEXT NOT NULL REFERENCES secret_containers(id) ON DELETE CASCADE,
      name TEXT NOT NULL, secret_id TEXT NOT NULL, PRIMARY KEY (container_id, name))`,
    `CREATE INDEX secret_container_refs_secret ON secret_container_refs(secret_id)`,
    `ALTER TABLE listeners ADD COLUMN hsts_max_age INTEGER`,
    `ALTER TABLE listeners ADD COLUMN hsts_include_subdomains INTEGER NOT NULL DEFAULT 0`,
    `ALTER TABLE listeners ADD COLUMN hsts_preload INTEGER NOT NULL DEFAULT 0`,
  ],
};
