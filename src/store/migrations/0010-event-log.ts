/**
 * @module store/migrations/0010-event-log — the event stream's log, for several API servers on one
 * database: each committed status change or counters sample, numbered by one counter for the whole
 * database (so a `Last-Event-ID` means the same thing on every server), kept for a bounded number
 * of events. Ids are taken under a lock held until commit, so they are gapless and in commit order:
 * a reader that asks for "ids above N" never skips an event that commits later with a lower id.
 * Created on SQLite too (one schema), where nothing writes it: one process hears its own commits.
 */
import type { Migration } from '../migrate.js';

export const migration0010: Migration = {
  version: 10,
  name: 'event-log',
  statements: [
    `CREATE TABLE event_log (id BIGINT PRIMARY KEY, type TEXT NOT NULL, project_id TEXT NOT NULL,
      load_balancer_id TEXT NOT NULL, data TEXT NOT NULL, created_ms BIGINT NOT NULL)`,
  ],
};
