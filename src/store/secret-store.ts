/**
 * @module store/secret-store — the certificate store's tables (migration 0008) over the same
 * {@link SqlDialect} as the SqlStore: secrets and containers of secret references (Barbican's
 * model). A secret's payload is encrypted before it reaches the database (AES-256-GCM, a random
 * 96-bit nonce per write, the secret's id and project as associated data, so a ciphertext copied
 * to another row does not decrypt) and decrypted only when asked for. Row shapes stay private.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { Row, SqlConn, SqlDialect, SqlValue } from './sql.js';

/** A secret's metadata: everything but the payload. */
export interface SecretRecord {
  id: string;
  projectId: string;
  creatorId: string | null;
  name: string | null;
  secretType: string;
  algorithm: string | null;
  bitLength: number | null;
  mode: string | null;
  expiration: string | null;
  /** The payload's content type, null while the secret has no payload. */
  contentType: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A new secret, with its payload as bytes. */
export interface NewSecret extends SecretRecord {
  payload: Buffer | null;
}

/** A container: named references to secrets of the same project. */
export interface ContainerRecord {
  id: string;
  projectId: string;
  creatorId: string | null;
  name: string | null;
  type: string;
  createdAt: string;
  updatedAt: string;
  secretRefs: { name: string; secretId: string }[];
}

/** Which rows a list returns. */
export interface SecretListQuery {
  /** Only this project's (null: every project's, for admins). */
  projectId: string | null;
  name?: string;
  offset: number;
  limit: number;
}

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = 'v1';

/**
 * The key that encrypts secrets at rest: 32 bytes, read from `file`. When the file does not exist
 * and `create` is set, a random key is written there, owner-only (0600), first. A key file others
 * may read is refused.
 * @throws Error naming the file when it is missing, of the wrong size or readable by others.
 */
export function loadSecretKey(file: string, create: boolean): Buffer {
  if (!existsSync(file)) {
    if (!create) throw new Error(`secret key file ${file} does not exist`);
    writeFileSync(file, randomBytes(KEY_BYTES).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  }
  if ((statSync(file).mode & 0o077) !== 0) throw new Error(`secret key file ${file} must be readable by its owner only (chmod 600)`);
  const text = readFileSync(file, 'utf8').trim();
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== KEY_BYTES) throw new Error(`secret key file ${file} must hold 32 bytes, base64 or hex (has ${key.length})`);
  return key;
}

/** Encrypts with AES-256-GCM; the associated data binds the ciphertext to its row. */
export function sealPayload(key: Buffer, aad: string, plain: Buffer): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return `${FORMAT}:${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64')}`;
}

/** @throws Error when the ciphertext was altered, moved to another row, or sealed with another key. */
export function openPayload(key: Buffer, aad: string, sealed: string): Buffer {
  if (!sealed.startsWith(`${FORMAT}:`)) throw new Error('unknown secret payload format');
  const raw = Buffer.from(sealed.slice(FORMAT.length + 1), 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, NONCE_BYTES));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
}

const aadOf = (id: string, projectId: string): string => `secret:${id}:${projectId}`;

function toSecret(r: Row): SecretRecord {
  return {
    id: String(r.id),
    projectId: String(r.project_id),
    creatorId: r.creator_id === null ? null : String(r.creator_id),
    name: r.name === null ? null : String(r.name),
    secretType: String(r.secret_type),
    algorithm: r.algorithm === null ? null : String(r.algorithm),
    bitLength: r.bit_length === null ? null : Number(r.bit_length),
    mode: r.mode === null ? null : String(r.mode),
    expiration: r.expiration === null ? null : String(r.expiration),
    contentType: r.content_type === null ? null : String(r.content_type),
    createdAt: String(r.created_at),
    updatedAt: String(r.updated_at),
  };
}

const SECRET_COLUMNS = 'id, project_id, creator_id, name, secret_type, algorithm, bit_length, mode, expiration, content_type, created_at, updated_at';

/** Secrets and containers; payloads in and out of it are plain bytes, in the database sealed. */
export class SecretStore {
  readonly #db: SqlDialect;
  readonly #conn: SqlConn;
  readonly #key: Buffer;

  /** Wraps a migrated dialect; `key` is 32 bytes (see {@link loadSecretKey}). */
  constructor(db: SqlDialect, key: Buffer, conn?: SqlConn) {
    if (key.length !== KEY_BYTES) throw new Error('the secret key must be 32 bytes');
    this.#db = db;
    this.#key = key;
    this.#conn = conn ?? db;
  }

  /** Runs `fn` in one transaction. */
  async transaction<T>(fn: (tx: SecretStore) => Promise<T>): Promise<T> {
    if (this.#conn !== this.#db) return fn(this);
    return this.#db.transaction((conn) => fn(new SecretStore(this.#db, this.#key, conn)));
  }

  /** Stores a secret, its payload sealed. */
  async createSecret(s: NewSecret): Promise<void> {
    const sealed = s.payload === null ? null : sealPayload(this.#key, aadOf(s.id, s.projectId), s.payload);
    await this.#conn.run(`INSERT INTO secrets (${SECRET_COLUMNS}, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      s.id, s.projectId, s.creatorId, s.name, s.secretType, s.algorithm, s.bitLength, s.mode, s.expiration,
      s.contentType, s.createdAt, s.updatedAt, sealed,
    ]);
  }

  /** Adds the payload of a secret created without one (Barbican's two-step PUT). */
  async setPayload(id: string, projectId: string, contentType: string, payload: Buffer, at: string): Promise<void> {
    await this.#conn.run('UPDATE secrets SET payload = ?, content_type = ?, updated_at = ? WHERE id = ? AND payload IS NULL', [
      sealPayload(this.#key, aadOf(id, projectId), payload), contentType, at, id,
    ]);
  }

  /** A secret's metadata, or null. */
  async getSecret(id: string): Promise<SecretRecord | null> {
    const rows = await this.#conn.all(`SELECT ${SECRET_COLUMNS} FROM secrets WHERE id = ?`, [id]);
    return rows[0] ? toSecret(rows[0]) : null;
  }

  /** A secret's payload, decrypted; null when the secret has none or does not exist. */
  async getPayload(id: string): Promise<Buffer | null> {
    const rows = await this.#conn.all('SELECT project_id, payload FROM secrets WHERE id = ?', [id]);
    const r = rows[0];
    if (!r || r.payload === null) return null;
    return openPayload(this.#key, aadOf(id, String(r.project_id)), String(r.payload));
  }

  /** A page of secrets, oldest first, and how many match in all. */
  async listSecrets(q: SecretListQuery): Promise<{ items: SecretRecord[]; total: number }> {
    const { where, params } = listWhere(q);
    const total = Number((await this.#conn.all(`SELECT COUNT(*) AS n FROM secrets${where}`, params))[0]?.n ?? 0);
    const rows = await this.#conn.all(`SELECT ${SECRET_COLUMNS} FROM secrets${where} ORDER BY created_at, id LIMIT ? OFFSET ?`, [
      ...params, q.limit, q.offset,
    ]);
    return { items: rows.map(toSecret), total };
  }

  /** Deletes a secret; true when it existed. */
  async deleteSecret(id: string): Promise<boolean> {
    return (await this.#conn.run('DELETE FROM secrets WHERE id = ?', [id])) > 0;
  }

  /** Stores a container and its references. */
  async createContainer(c: ContainerRecord): Promise<void> {
    await this.#conn.run('INSERT INTO secret_containers (id, project_id, creator_id, name, type, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      c.id, c.projectId, c.creatorId, c.name, c.type, c.createdAt, c.updatedAt,
    ]);
    for (const ref of c.secretRefs) {
      await this.#conn.run('INSERT INTO secret_container_refs (container_id, name, secret_id) VALUES (?, ?, ?)', [c.id, ref.name, ref.secretId]);
    }
  }

  /** A container with its references, or null. */
  async getContainer(id: string): Promise<ContainerRecord | null> {
    const rows = await this.#conn.all('SELECT * FROM secret_containers WHERE id = ?', [id]);
    if (!rows[0]) return null;
    return (await this.#withRefs(rows))[0]!;
  }

  /** A page of containers, oldest first, and how many match in all. */
  async listContainers(q: SecretListQuery): Promise<{ items: ContainerRecord[]; total: number }> {
    const { where, params } = listWhere(q);
    const total = Number((await this.#conn.all(`SELECT COUNT(*) AS n FROM secret_containers${where}`, params))[0]?.n ?? 0);
    const rows = await this.#conn.all(`SELECT * FROM secret_containers${where} ORDER BY created_at, id LIMIT ? OFFSET ?`, [
      ...params, q.limit, q.offset,
    ]);
    return { items: await this.#withRefs(rows), total };
  }

  /** Deletes a container (not its secrets); true when it existed. */
  async deleteContainer(id: string): Promise<boolean> {
    await this.#conn.run('DELETE FROM secret_container_refs WHERE container_id = ?', [id]);
    return (await this.#conn.run('DELETE FROM secret_containers WHERE id = ?', [id])) > 0;
  }

  async #withRefs(rows: Row[]): Promise<ContainerRecord[]> {
    const out: ContainerRecord[] = [];
    for (const r of rows) {
      const refs = await this.#conn.all('SELECT name, secret_id FROM secret_container_refs WHERE container_id = ? ORDER BY name', [String(r.id)]);
      out.push({
        id: String(r.id), projectId: String(r.project_id), creatorId: r.creator_id === null ? null : String(r.creator_id),
        name: r.name === null ? null : String(r.name), type: String(r.type), createdAt: String(r.created_at),
        updatedAt: String(r.updated_at), secretRefs: refs.map((x) => ({ name: String(x.name), secretId: String(x.secret_id) })),
      });
    }
    return out;
  }
}

function listWhere(q: SecretListQuery): { where: string; params: SqlValue[] } {
  const conds: string[] = [];
  const params: SqlValue[] = [];
  if (q.projectId !== null) {
    conds.push('project_id = ?');
    params.push(q.projectId);
  }
  if (q.name !== undefined) {
    conds.push('name = ?');
    params.push(q.name);
  }
  return { where: conds.length ? ` WHERE ${conds.join(' AND ')}` : '', params };
}
