/**
 * @module store/migrations/0005-operator — what operators manage: per-project quotas (NULL: the
 * default) and the defaults in force, flavor profiles and flavors, availability zone profiles and
 * zones, and one amphora row per load balancer instance (a failover replaces it). Existing load
 * balancers get an amphora whose id is their own.
 */
import type { Migration } from '../migrate.js';

const limits = `load_balancer INTEGER, listener INTEGER, pool INTEGER, member INTEGER, health_monitor INTEGER,
  l7policy INTEGER, l7rule INTEGER`;

export const migration0005: Migration = {
  version: 5,
  name: 'operator',
  statements: [
    `CREATE TABLE quotas (id TEXT PRIMARY KEY, ${limits})`,
    `CREATE TABLE quota_defaults (id TEXT PRIMARY KEY, ${limits})`,
    `CREATE TABLE flavor_profiles (id TEXT PRIMARY KEY, name TEXT NOT NULL, provider_name TEXT NOT NULL,
      flavor_data TEXT NOT NULL)`,
    `CREATE TABLE flavors (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL DEFAULT '',
      enabled INTEGER NOT NULL, flavor_profile_id TEXT NOT NULL REFERENCES flavor_profiles(id))`,
    `CREATE TABLE availability_zone_profiles (id TEXT PRIMARY KEY, name TEXT NOT NULL, provider_name TEXT NOT NULL,
      availability_zone_data TEXT NOT NULL)`,
    `CREATE TABLE availability_zones (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL DEFAULT '',
      enabled INTEGER NOT NULL, availability_zone_profile_id TEXT NOT NULL REFERENCES availability_zone_profiles(id))`,
    `CREATE TABLE amphorae (id TEXT PRIMARY KEY, load_balancer_id TEXT NOT NULL, compute_id TEXT,
      generation BIGINT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT)`,
    `CREATE INDEX amphorae_lb ON amphorae(load_balancer_id)`,
    `CREATE INDEX load_balancers_flavor ON load_balancers(flavor_id)`,
    `CREATE INDEX load_balancers_az ON load_balancers(availability_zone)`,
    `INSERT INTO amphorae (id, load_balancer_id, compute_id, generation, created_at)
      SELECT id, id, NULL, 0, created_at FROM load_balancers`,
  ],
};
