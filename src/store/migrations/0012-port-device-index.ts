/**
 * @module store/migrations/0012-port-device-index — an index on ports' device: every load balancer
 * create, reconcile and delete looks its VIP port up by `device_id`, which scanned every port
 * (bench/api: a few hundred µs per request with 1,000 load balancers). Numbered 12, clear of the
 * 10 and 11 other branches hold.
 */
import type { Migration } from '../migrate.js';

export const migration0012: Migration = {
  version: 12,
  name: 'port-device-index',
  statements: [
    `CREATE INDEX ports_device ON ports(device_id)`,
  ],
};
