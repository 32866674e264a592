/**
 * @module service/secrets — the certificate store's rules (a Barbican v1 subset): secrets with a
 * payload given once at creation, containers of secret references. A project sees and deletes
 * only its own; admins see every project's. Messages are Barbican's (`Provided object does not
 * match schema …`), and payloads never appear in a message or a log.
 */
import { randomUUID } from 'node:crypto';
import { FulcrumError } from '../domain/errors.js';
import { nowTimestamp } from '../domain/time.js';
import type { SecretSource, TlsResolver, Pkcs12Reader } from '../domain/tls.js';
import type { ContainerRecord, SecretRecord, SecretStore } from '../store/secret-store.js';
import type { Caller } from './context.js';

export type { ContainerRecord, SecretRecord, SecretStore };

/** Barbican's `max_allowed_secret_in_bytes` default. */
export const MAX_SECRET_BYTES = 20_000;
export const SECRET_TYPES = ['symmetric', 'public', 'private', 'passphrase', 'certificate', 'opaque'] as const;
export const CONTAINER_TYPES = ['generic', 'certificate'] as const;
/** The secret names a certificate container may hold (Barbican's `CertificateContainer` schema). */
export const CERTIFICATE_SECRET_NAMES = ['certificate', 'private_key', 'private_key_passphrase', 'intermediates'] as const;
/** Content types Barbican's simple crypto plugin stores, normalised. */
const TEXT_TYPES = ['text/plain', 'text/plain;charset=utf-8'];
const BINARY_TYPES = ['application/octet-stream', 'application/pkcs8', 'application/pkix-cert', 'application/pkix-crl'];

/** Barbican's wording for a body that breaks its JSON schema, naming the property. */
export function schemaError(schema: 'Secret' | 'Container', reason: string, property: string): FulcrumError {
  return new FulcrumError('VALIDATION', `Provided object does not match schema '${schema}': ${reason}. Invalid property: '${property}'`, { field: property });
}

const secretNotFound = (): FulcrumError => new FulcrumError('NOT_FOUND', 'Not Found. Sorry but your secret is in another castle.');
const containerNotFound = (): FulcrumError => new FulcrumError('NOT_FOUND', 'Not Found. Sorry but your container is in another castle.');

/** What the certificate store's service needs: the store and the PKCS12 reader. */
export interface SecretDeps {
  secrets: SecretStore;
  pkcs12: Pkcs12Reader;
}

/** The certificate store as the TLS reference checks read it. */
export function tlsResolver(deps: SecretDeps): TlsResolver {
  const source: SecretSource = {
    secret: async (id) => {
      const s = await deps.secrets.getSecret(id);
      return s && { projectId: s.projectId, contentType: s.contentType, payload: await deps.secrets.getPayload(id) };
    },
    container: async (id) => deps.secrets.getContainer(id),
  };
  return { source, pkcs12: deps.pkcs12 };
}

/** `POST /v1/secrets`, as sent (field names are Barbican's). */
export interface SecretCreate {
  name?: unknown;
  secret_type?: unknown;
  algorithm?: unknown;
  bit_length?: unknown;
  mode?: unknown;
  expiration?: unknown;
  payload?: unknown;
  payload_content_type?: unknown;
  payload_content_encoding?: unknown;
}

const optString = (v: unknown, prop: string, max = 255): string | null => {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw schemaError('Secret', `${JSON.stringify(v)} is not of type 'string'`, prop);
  if (v.length > max) throw schemaError('Secret', `'${v.slice(0, 40)}…' is too long`, prop);
  return v;
};

function projectOf(caller: Caller): string {
  if (!caller.projectId) throw new FulcrumError('FORBIDDEN', 'No project id found in the request.');
  return caller.projectId;
}

/** Decodes a payload as Barbican does for its content type and encoding. */
function decodePayload(b: SecretCreate): { payload: Buffer; contentType: string } {
  if (typeof b.payload !== 'string') throw schemaError('Secret', 'payload must be a string', 'payload');
  if (b.payload.trim() === '') throw schemaError('Secret', "If 'payload' specified, must be non empty", 'payload');
  if (b.payload_content_type === undefined || b.payload_content_type === null) {
    throw schemaError('Secret', "If 'payload' is supplied, 'payload_content_type' must also be supplied", 'payload_content_type');
  }
  const type = String(b.payload_content_type).toLowerCase().replace(/\s+/g, '');
  const encoding = b.payload_content_encoding === undefined || b.payload_content_encoding === null ? null : String(b.payload_content_encoding).toLowerCase();
  let payload: Buffer;
  if (TEXT_TYPES.includes(type)) {
    if (encoding !== null) throw schemaError('Secret', 'payload_content_encoding is not allowed for text/plain payloads', 'payload_content_encoding');
    payload = Buffer.from(b.payload, 'utf8');
  } else if (BINARY_TYPES.includes(type)) {
    if (encoding !== 'base64') {
      throw schemaError('Secret', `payload_content_encoding must be base64 for ${type} payloads`, 'payload_content_encoding');
    }
    if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(b.payload)) throw schemaError('Secret', 'payload is not base64', 'payload');
    payload = Buffer.from(b.payload, 'base64');
  } else {
    throw schemaError('Secret', `payload_content_type ${type.slice(0, 60)} is not one of ${[...TEXT_TYPES, ...BINARY_TYPES].join(', ')}`, 'payload_content_type');
  }
  if (payload.length > MAX_SECRET_BYTES) throw new FulcrumError('PAYLOAD_TOO_LARGE', 'Could not add secret data as it was too large');
  return { payload, contentType: TEXT_TYPES.includes(type) ? 'text/plain' : type };
}

/** Stores a secret of the caller's project; returns its id. */
export async function createSecret(deps: SecretDeps, caller: Caller, b: SecretCreate): Promise<SecretRecord> {
  const projectId = projectOf(caller);
  const secretType = optString(b.secret_type, 'secret_type') ?? 'opaque';
  if (!(SECRET_TYPES as readonly string[]).includes(secretType)) {
    throw schemaError('Secret', `'${secretType.slice(0, 40)}' is not one of ${JSON.stringify(SECRET_TYPES)}`, 'secret_type');
  }
  if (b.bit_length !== undefined && b.bit_length !== null && (!Number.isInteger(b.bit_length) || (b.bit_length as number) < 1 || (b.bit_length as number) > 2 ** 31 - 1)) {
    throw schemaError('Secret', 'bit_length must be a positive integer', 'bit_length');
  }
  const expiration = optString(b.expiration, 'expiration');
  if (expiration !== null) {
    const t = Date.parse(expiration);
    if (Number.isNaN(t)) throw schemaError('Secret', `'${expiration.slice(0, 40)}' is not a date`, 'expiration');
    if (t <= Date.now()) throw schemaError('Secret', "'expiration' is before current time", 'expiration');
  }
  const hasPayload = b.payload !== undefined && b.payload !== null;
  if (!hasPayload && (b.payload_content_type !== undefined || b.payload_content_encoding !== undefined)) {
    throw schemaError('Secret', "'payload' must be supplied with 'payload_content_type'", 'payload');
  }
  const decoded = hasPayload ? decodePayload(b) : null;
  const now = nowTimestamp();
  const record = {
    id: randomUUID(), projectId, creatorId: caller.userId, name: optString(b.name, 'name'), secretType,
    algorithm: optString(b.algorithm, 'algorithm'), bitLength: (b.bit_length as number | undefined) ?? null,
    mode: optString(b.mode, 'mode'), expiration, contentType: decoded?.contentType ?? null, createdAt: now, updatedAt: now,
  };
  await deps.secrets.createSecret({ ...record, payload: decoded?.payload ?? null });
  return record;
}

const visible = (caller: Caller, projectId: string): boolean => caller.isAdmin || caller.projectId === projectId;

/** A secret's metadata; another project's is not found. */
export async function getSecret(deps: SecretDeps, caller: Caller, id: string): Promise<SecretRecord> {
  const s = await deps.secrets.getSecret(id);
  if (s === null || !visible(caller, s.projectId)) throw secretNotFound();
  return s;
}

/**
 * A secret's payload in the content type it was stored with. `accept` (the request's Accept
 * header) must allow it, as in Barbican.
 */
export async function getSecretPayload(deps: SecretDeps, caller: Caller, id: string, accept: string | undefined): Promise<{ contentType: string; payload: Buffer }> {
  const s = await getSecret(deps, caller, id);
  const payload = await deps.secrets.getPayload(id);
  if (payload === null || s.contentType === null) throw new FulcrumError('NOT_FOUND', 'Not Found. Sorry but your payload is in another castle.');
  const wanted = (accept ?? '*/*').split(',').map((x) => x.split(';')[0]!.trim().toLowerCase());
  if (!wanted.some((w) => w === '*/*' || w === s.contentType || w === 'application/octet-stream' || (w === 'text/plain' && s.contentType === 'text/plain'))) {
    throw new FulcrumError('NOT_ACCEPTABLE', `Wrong payload content-type: ${s.contentType} is what the secret holds`);
  }
  return { contentType: s.contentType, payload };
}

/** The caller's secrets (every project's for admins), a page of them. */
export async function listSecrets(deps: SecretDeps, caller: Caller, q: { offset: number; limit: number; name?: string }) {
  return deps.secrets.listSecrets({ projectId: caller.isAdmin ? null : projectOf(caller), ...q });
}

/** Deletes a secret of the caller's project (or any, for admins). */
export async function deleteSecret(deps: SecretDeps, caller: Caller, id: string): Promise<void> {
  await getSecret(deps, caller, id);
  await deps.secrets.deleteSecret(id);
}

/** `POST /v1/containers`, with secret references already reduced to ids (null: not a secret reference). */
export interface ContainerCreate {
  name?: unknown;
  type?: unknown;
  secretRefs: { name: unknown; secretId: string | null }[];
}

/** Stores a container of the caller's project; every secret it names must be the caller's. */
export async function createContainer(deps: SecretDeps, caller: Caller, b: ContainerCreate): Promise<ContainerRecord> {
  const projectId = projectOf(caller);
  const type = typeof b.type === 'string' ? b.type : undefined;
  if (type === undefined || !(CONTAINER_TYPES as readonly string[]).includes(type)) {
    throw schemaError('Container', `${JSON.stringify(b.type ?? null)} is not one of ${JSON.stringify(CONTAINER_TYPES)}`, 'type');
  }
  if (b.name !== undefined && b.name !== null && (typeof b.name !== 'string' || b.name.length > 255)) throw schemaError('Container', 'name must be a string of at most 255 characters', 'name');
  const names = new Set<string>();
  const refs: ContainerRecord['secretRefs'] = [];
  for (const r of b.secretRefs) {
    if (typeof r.name !== 'string' || r.name === '' || r.name.length > 255) throw schemaError('Container', 'each secret reference needs a name', 'name');
    if (names.has(r.name)) throw schemaError('Container', 'Duplicate reference names are not allowed', 'secret_refs');
    if (type === 'certificate' && !(CERTIFICATE_SECRET_NAMES as readonly string[]).includes(r.name)) {
      throw schemaError('Container', `Additional properties are not allowed ('${r.name.slice(0, 40)}' was unexpected)`, 'secret_refs');
    }
    if (r.secretId === null) throw schemaError('Container', 'secret_ref must be a secret reference', 'secret_ref');
    const s = await deps.secrets.getSecret(r.secretId);
    if (s === null || s.projectId !== projectId) throw new FulcrumError('NOT_FOUND', "Secret provided doesn't exist.");
    names.add(r.name);
    refs.push({ name: r.name, secretId: r.secretId });
  }
  if (type === 'certificate' && !names.has('certificate')) {
    throw schemaError('Container', "'certificate' is a required property", 'secret_refs');
  }
  const now = nowTimestamp();
  const record: ContainerRecord = {
    id: randomUUID(), projectId, creatorId: caller.userId, name: (b.name as string | undefined) ?? null, type,
    createdAt: now, updatedAt: now, secretRefs: refs,
  };
  await deps.secrets.createContainer(record);
  return record;
}

/** A container; another project's is not found. */
export async function getContainer(deps: SecretDeps, caller: Caller, id: string): Promise<ContainerRecord> {
  const c = await deps.secrets.getContainer(id);
  if (c === null || !visible(caller, c.projectId)) throw containerNotFound();
  return c;
}

/** The caller's containers (every project's for admins), a page of them. */
export async function listContainers(deps: SecretDeps, caller: Caller, q: { offset: number; limit: number; name?: string }) {
  return deps.secrets.listContainers({ projectId: caller.isAdmin ? null : projectOf(caller), ...q });
}

/** Deletes a container (its secrets stay, as in Barbican). */
export async function deleteContainer(deps: SecretDeps, caller: Caller, id: string): Promise<void> {
  await getContainer(deps, caller, id);
  await deps.secrets.deleteContainer(id);
}
