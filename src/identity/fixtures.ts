/**
 * @module identity/fixtures — for tests: a bootstrapped identity service on a temp SQLite file,
 * with known passwords and a cheap KDF (the real cost is exercised by password.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDialect } from '../store/dialect-sqlite.js';
import { IdentityStore } from '../store/identity-store.js';
import { bootstrapIdentity } from './bootstrap.js';
import { Identity, type IdentityOptions } from './identity.js';
import type { KdfParams } from './password.js';

/** A cheap scrypt cost, for tests only. */
export const TEST_KDF: KdfParams = { N: 2 ** 10, r: 8, p: 1 };
export const PASSWORDS = { admin: 'admin-secret-pw', demo: 'demo-secret-pw' } as const;

export interface TestIdentity {
  identity: Identity;
  store: IdentityStore;
  db: SqliteDialect;
  dir: string;
  close: () => Promise<void>;
}

/** A fresh identity service, bootstrapped (users admin and demo with {@link PASSWORDS}). */
export async function makeTestIdentity(opts: Omit<IdentityOptions, 'store'> = {}): Promise<TestIdentity> {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-identity-'));
  const db = new SqliteDialect(join(dir, 'fulcrum.db'));
  const store = await IdentityStore.open(db);
  await bootstrapIdentity(store, { dataDir: dir, authUrl: 'http://127.0.0.1:9876/v3', passwords: PASSWORDS, kdf: TEST_KDF });
  const identity = new Identity({ kdf: TEST_KDF, ...opts, store });
  return {
    identity, store, db, dir,
    close: async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The body of a password authentication by user and project name in Default. */
export function passwordAuth(user: string, password: string, project?: string): Record<string, unknown> {
  return {
    auth: {
      identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } },
      ...(project === undefined ? {} : { scope: { project: { name: project, domain: { name: 'Default' } } } }),
    },
  };
}
