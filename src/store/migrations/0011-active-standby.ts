/**
 * @module store/migrations/0011-active-standby — ACTIVE_STANDBY load balancers: each amphora row
 * gets its role (STANDALONE, MASTER, BACKUP) and, for a pair's sides, its own port and address on
 * the VIP network (VRRP and HAProxy peers talk over them); each placement gets the generation its
 * agent applied, so a pair's load balancer goes ACTIVE only when both sides applied.
 */
import type { Migration } from '../migrate.js';

export const migration0011: Migration = {
  version: 11,
  name: 'active-standby',
  statements: [
    `ALTER TABLE amphorae ADD COLUMN role TEXT NOT NULL DEFAULT 'STANDALONE'`,
    `ALTER TABLE amphorae ADD COLUMN vrrp_ip TEXT`,
    `ALTER TABLE amphorae ADD COLUMN vrrp_port_id TEXT`,
    `ALTER TABLE lb_placements ADD COLUMN applied_generation INTEGER NOT NULL DEFAULT 0`,
  ],
};
