/**
 * @module store/migrations/0004-l7 — L7 policies of listeners and their rules. A policy's
 * `position` is kept dense (1…n per listener) by the service; `redirect_pool_id` has no foreign
 * key, as `default_pool_id` has none: a pool in use by a policy cannot be deleted (409).
 */
import type { Migration } from '../migrate.js';

const common = `project_id TEXT NOT NULL, name TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '',
  admin_state_up INTEGER NOT NULL, provisioning_status TEXT NOT NULL, operating_status TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '[]', created_at TEXT NOT NULL, updated_at TEXT,
  pending_generation BIGINT NOT NULL DEFAULT 0`;

export const migration0004: Migration = {
  version: 4,
  name: 'l7',
  statements: [
    `CREATE TABLE l7policies (id TEXT PRIMARY KEY, ${common},
      listener_id TEXT NOT NULL REFERENCES listeners(id), load_balancer_id TEXT NOT NULL REFERENCES load_balancers(id),
      action TEXT NOT NULL, position INTEGER NOT NULL, redirect_pool_id TEXT, redirect_url TEXT, redirect_prefix TEXT,
      redirect_http_code INTEGER)`,
    `CREATE INDEX l7policies_listener ON l7policies(listener_id, position)`,
    `CREATE INDEX l7policies_lb ON l7policies(load_balancer_id)`,
    `CREATE INDEX l7policies_pool ON l7policies(redirect_pool_id)`,
    `CREATE TABLE l7rules (id TEXT PRIMARY KEY, ${common},
      l7policy_id TEXT NOT NULL REFERENCES l7policies(id), listener_id TEXT NOT NULL REFERENCES listeners(id),
      load_balancer_id TEXT NOT NULL REFERENCES load_balancers(id), type TEXT NOT NULL, compare_type TEXT NOT NULL,
      rule_key TEXT, value TEXT NOT NULL, invert INTEGER NOT NULL)`,
    `CREATE INDEX l7rules_policy ON l7rules(l7policy_id)`,
    `CREATE INDEX l7rules_lb ON l7rules(load_balancer_id)`,
  ],
};
