/**
 * @module store/migrations/0002-counter-epochs — raw HAProxy counters and the process they came
 * from, so totals grow by deltas and survive reloads and agent restarts without double counting.
 */
import type { Migration } from '../migrate.js';

export const migration0002: Migration = {
  version: 2,
  name: 'counter-epochs',
  statements: [
    `ALTER TABLE listener_stats ADD COLUMN epoch TEXT NOT NULL DEFAULT ''`,
    ...['bytes_in', 'bytes_out', 'total_connections', 'request_errors'].map(
      (c) => `ALTER TABLE listener_stats ADD COLUMN raw_${c} BIGINT NOT NULL DEFAULT 0`,
    ),
  ],
};
