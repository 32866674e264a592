/**
 * @module store/migrations/0009-agents — agents (one per network node) and where each load
 * balancer runs. A placement row per (load balancer, role): `STANDALONE` today; an
 * active/standby pair will be two rows, `MASTER` and `BACKUP`, on two agents (Octavia's amphora
 * roles). The primary key is what makes "two agents own one load balancer" impossible. Heartbeats
 * are milliseconds by the database's clock, so nodes' clocks never have to agree. Networks get a
 * VXLAN segment id (VNI), unique, allocated from the configured range when they are created.
 */
import type { Migration } from '../migrate.js';

export const migration0009: Migration = {
  version: 9,
  name: 'agents',
  statements: [
    `CREATE TABLE agents (id TEXT PRIMARY KEY, host TEXT NOT NULL UNIQUE, admin_state_up INTEGER NOT NULL,
      description TEXT NOT NULL DEFAULT '', configurations TEXT NOT NULL DEFAULT '{}',
      heartbeat_ms BIGINT NOT NULL, started_at TEXT NOT NULL, created_at TEXT NOT NULL)`,
    `CREATE TABLE lb_placements (load_balancer_id TEXT NOT NULL REFERENCES load_balancers(id),
      role TEXT NOT NULL, agent_id TEXT NOT NULL REFERENCES agents(id), placed_at TEXT NOT NULL,
      PRIMARY KEY (load_balancer_id, role))`,
    `CREATE INDEX lb_placements_agent ON lb_placements(agent_id)`,
    `ALTER TABLE networks ADD COLUMN segmentation_id INTEGER`,
    `CREATE UNIQUE INDEX networks_segmentation ON networks(segmentation_id)`,
  ],
};
