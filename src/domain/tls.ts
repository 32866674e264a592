/**
 * @module domain/tls — certificate references as Octavia reads them: a reference names a
 * certificate container (certificate, private_key, intermediates, private_key_passphrase) or a
 * secret holding a PKCS12 bundle (default, SNI and pool client certificates), or a secret holding
 * PEM (client CA, CRL, pool CA). Resolving checks what Octavia's cert_parser checks (the PEMs
 * parse, the key matches the certificate) and that the secrets belong to the object's project;
 * the secrets themselves come through {@link SecretSource}. Pure apart from that interface.
 */
import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { FulcrumError } from './errors.js';
import type { Listener, LoadBalancerGraph, Pool } from './model.js';

/** A certificate with its key, as HAProxy's `crt` wants it (all PEM). */
export interface TlsCertificate {
  certificate: string;
  intermediates: string[];
  /** Unencrypted PKCS8 PEM. */
  privateKey: string;
}

/** What the TLS settings of one load balancer's listeners and pools resolve to, by reference. */
export interface TlsMaterial {
  /** Certificate references (containers, PKCS12 secrets) → the certificate and key. */
  certificates: Readonly<Record<string, TlsCertificate>>;
  /** CA and CRL references (PEM secrets) → their PEM text. */
  pems: Readonly<Record<string, string>>;
}

/** A secret as the certificate store hands it out. */
export interface SourceSecret {
  projectId: string;
  contentType: string | null;
  payload: Buffer | null;
}

/** A container as the certificate store hands it out. */
export interface SourceContainer {
  projectId: string;
  type: string;
  secretRefs: readonly { name: string; secretId: string }[];
}

/** Where references are looked up (the certificate store). */
export interface SecretSource {
  secret(id: string): Promise<SourceSecret | null>;
  container(id: string): Promise<SourceContainer | null>;
}

/** Reads a PKCS12 bundle (Node's crypto has none: openssl does it, see drivers/sys/openssl.ts). */
export interface Pkcs12Reader {
  /**
   * The bundle's certificate, its CA chain and its key, as PEM.
   * @throws FulcrumError VALIDATION when the bundle cannot be read (or needs a pass phrase).
   */
  read(bundle: Buffer): Promise<{ certificate: string; intermediates: string[]; privateKey: string }>;
}

/** The certificate store and the PKCS12 reader, together. */
export interface TlsResolver {
  source: SecretSource;
  pkcs12: Pkcs12Reader;
}

const REF = /\/(secrets|containers)\/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\/?$/;

/** The kind and id a reference names (`…/v1/containers/<uuid>` or `…/v1/secrets/<uuid>`), or null. */
export function parseRef(ref: string): { kind: 'secret' | 'container'; id: string } | null {
  const m = REF.exec(ref);
  if (!m) return null;
  return { kind: m[1] === 'secrets' ? 'secret' : 'container', id: m[2]!.toLowerCase() };
}

/** Octavia's `CertificateRetrievalException` (400). */
export function certificateRetrieval(ref: string, field: string, detail?: string): FulcrumError {
  return new FulcrumError('VALIDATION', `Could not retrieve certificate: ${ref}`, { field, ...(detail ? { detail } : {}) });
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[A-Za-z0-9+/=\r\n]+?-----END \1-----/g;

/** The PEM blocks of a text with the given label, normalised (LF line ends, trailing newline). */
export function pemBlocks(text: string, label: string): string[] {
  return [...text.matchAll(PEM_BLOCK)].filter((m) => m[1] === label).map((m) => `${m[0].replace(/\r\n/g, '\n')}\n`);
}

/** True when the text is nothing but PEM blocks (and white space). */
function onlyPem(text: string): boolean {
  return text.replace(PEM_BLOCK, '').trim() === '';
}

/** The certificates of a PEM text, each checked by parsing it. @throws Error when one does not parse. */
export function parseCertificates(text: string): { pem: string; x509: X509Certificate }[] {
  if (!onlyPem(text)) throw new Error('not PEM');
  return pemBlocks(text, 'CERTIFICATE').map((pem) => ({ pem, x509: new X509Certificate(pem) }));
}

function keyOf(text: string, passphrase: string | undefined): KeyObject {
  return createPrivateKey({ key: text, format: 'pem', ...(passphrase !== undefined ? { passphrase } : {}) });
}

/**
 * A certificate and its key from their PEM texts, checked as Octavia's cert_parser does:
 * one certificate, the intermediates parse, the key (decrypted with the pass phrase) matches.
 * @throws FulcrumError VALIDATION naming `field`.
 */
export function certificateFromPem(parts: { certificate: string; privateKey: string; intermediates?: string; passphrase?: string }, field: string): TlsCertificate {
  const bad = (msg: string): FulcrumError => new FulcrumError('VALIDATION', `Validation failure: ${msg}`, { field });
  let cert: { pem: string; x509: X509Certificate }[];
  try {
    cert = parseCertificates(parts.certificate);
  } catch {
    throw bad('Could not read X509 from PEM');
  }
  if (cert.length !== 1) throw bad('Could not read X509 from PEM');
  let intermediates: string[] = [];
  if (parts.intermediates !== undefined && parts.intermediates.trim() !== '') {
    try {
      intermediates = parseCertificates(parts.intermediates).map((c) => c.pem);
    } catch {
      throw bad('Could not read X509 from PEM');
    }
    if (intermediates.length === 0) throw bad('Could not read X509 from PEM');
  }
  let key: KeyObject;
  try {
    key = keyOf(parts.privateKey, parts.passphrase);
  } catch {
    throw bad('Passphrase or private key is invalid');
  }
  const certKey = cert[0]!.x509.publicKey.export({ type: 'spki', format: 'der' });
  if (!createPublicKey(key).export({ type: 'spki', format: 'der' }).equals(certKey)) {
    throw bad('Key and x509 certificate do not match');
  }
  return {
    certificate: cert[0]!.pem,
    intermediates,
    privateKey: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** The CA certificates of a PEM secret. @throws FulcrumError VALIDATION with Octavia's message. */
export function caFromPem(text: string, field: string, what: string): string {
  let certs: { pem: string }[] = [];
  try {
    certs = parseCertificates(text);
  } catch {
    certs = [];
  }
  if (certs.length === 0) {
    throw new FulcrumError('VALIDATION', `Validation failure: The ${what} certificate is invalid. It must be a valid x509 PEM format certificate.`, { field });
  }
  return certs.map((c) => c.pem).join('');
}

/**
 * A CRL secret's PEM. Node's crypto cannot parse CRLs: the armour and DER envelope are checked
 * here, and HAProxy (`haproxy -c`) reads it before it is ever loaded.
 */
export function crlFromPem(text: string, field: string, what: string): string {
  const blocks = onlyPem(text) ? pemBlocks(text, 'X509 CRL') : [];
  const isDer = (pem: string): boolean => {
    const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    return der.length > 16 && der[0] === 0x30;
  };
  if (blocks.length === 0 || !blocks.every(isDer)) {
    throw new FulcrumError('VALIDATION', `Validation failure: The ${what} revocation list is invalid. It must be a valid x509 PEM format certificate revocation list.`, { field });
  }
  return blocks.join('');
}

const text = (b: Buffer | null): string => (b === null ? '' : b.toString('utf8'));

/**
 * A certificate reference of an object of `projectId`: a `certificate` container, or a secret
 * holding a PKCS12 bundle. Another project's reference is as unknown as a missing one.
 * @throws FulcrumError VALIDATION: Octavia's "Could not retrieve certificate: <ref>", or why the
 *   material is unusable.
 */
export async function resolveCertificate(r: TlsResolver, projectId: string, ref: string, field: string): Promise<TlsCertificate> {
  const p = parseRef(ref);
  if (p === null) throw certificateRetrieval(ref, field, 'not a secret or container reference');
  if (p.kind === 'secret') {
    const s = await r.source.secret(p.id);
    if (s === null || s.projectId !== projectId || s.payload === null) throw certificateRetrieval(ref, field);
    const bundle = await r.pkcs12.read(s.payload).catch((err: unknown) => {
      if (err instanceof FulcrumError) throw new FulcrumError(err.code, err.message, { field, ...(err.detail ? { detail: err.detail } : {}) });
      throw err;
    });
    return certificateFromPem({ certificate: bundle.certificate, privateKey: bundle.privateKey, intermediates: bundle.intermediates.join('') }, field);
  }
  const c = await r.source.container(p.id);
  if (c === null || c.projectId !== projectId || c.type !== 'certificate') throw certificateRetrieval(ref, field);
  const parts: Record<string, string> = {};
  for (const sr of c.secretRefs) {
    const s = await r.source.secret(sr.secretId);
    if (s === null || s.projectId !== projectId) throw certificateRetrieval(ref, field, `secret ${sr.name} of the container is gone`);
    parts[sr.name] = text(s.payload);
  }
  if (parts.certificate === undefined || parts.private_key === undefined) throw certificateRetrieval(ref, field, 'no certificate or private_key');
  return certificateFromPem({
    certificate: parts.certificate, privateKey: parts.private_key,
    ...(parts.intermediates !== undefined ? { intermediates: parts.intermediates } : {}),
    ...(parts.private_key_passphrase !== undefined ? { passphrase: parts.private_key_passphrase } : {}),
  }, field);
}

/** A PEM secret of `projectId` (a CA or a CRL). @throws FulcrumError VALIDATION as {@link resolveCertificate}. */
export async function resolvePem(r: TlsResolver, projectId: string, ref: string, field: string): Promise<string> {
  const p = parseRef(ref);
  if (p === null || p.kind !== 'secret') throw certificateRetrieval(ref, field, 'not a secret reference');
  const s = await r.source.secret(p.id);
  if (s === null || s.projectId !== projectId || s.payload === null) throw certificateRetrieval(ref, field);
  return text(s.payload);
}

/** The TLS references a listener uses, with the field each comes from. */
export function listenerRefs(l: Pick<Listener, 'defaultTlsContainerRef' | 'sniContainerRefs' | 'clientCaTlsContainerRef' | 'clientCrlContainerRef'>) {
  return {
    certificates: [
      ...(l.defaultTlsContainerRef ? [{ ref: l.defaultTlsContainerRef, field: 'default_tls_container_ref' }] : []),
      ...l.sniContainerRefs.map((ref) => ({ ref, field: 'sni_container_refs' })),
    ],
    ca: l.clientCaTlsContainerRef ? { ref: l.clientCaTlsContainerRef, field: 'client_ca_tls_container_ref' } : null,
    crl: l.clientCrlContainerRef ? { ref: l.clientCrlContainerRef, field: 'client_crl_container_ref' } : null,
  };
}

/** The TLS references a pool uses, with the field each comes from. */
export function poolRefs(p: Pick<Pool, 'tlsContainerRef' | 'caTlsContainerRef' | 'crlContainerRef'>) {
  return {
    certificates: p.tlsContainerRef ? [{ ref: p.tlsContainerRef, field: 'tls_container_ref' }] : [],
    ca: p.caTlsContainerRef ? { ref: p.caTlsContainerRef, field: 'ca_tls_container_ref' } : null,
    crl: p.crlContainerRef ? { ref: p.crlContainerRef, field: 'crl_container_ref' } : null,
  };
}

/**
 * Checks every reference of a listener or pool of `projectId` as Octavia's API does before it
 * accepts them. `what` words the CA/CRL messages (`client authentication CA` / `CA`).
 */
export async function checkRefs(r: TlsResolver, projectId: string, refs: ReturnType<typeof listenerRefs>, what: { ca: string; crl: string }): Promise<void> {
  for (const c of refs.certificates) await resolveCertificate(r, projectId, c.ref, c.field);
  if (refs.ca) caFromPem(await resolvePem(r, projectId, refs.ca.ref, refs.ca.field), refs.ca.field, what.ca);
  if (refs.crl) crlFromPem(await resolvePem(r, projectId, refs.crl.ref, refs.crl.field), refs.crl.field, what.crl);
}

/** True when the graph's live listeners or pools use any TLS reference. */
export function graphNeedsTls(graph: LoadBalancerGraph): boolean {
  return graph.listeners.some((l) => listenerRefs(l).certificates.length > 0 || l.clientCaTlsContainerRef !== null) ||
    graph.pools.some((p) => p.tlsContainerRef !== null || p.caTlsContainerRef !== null);
}

/**
 * Resolves every reference of a graph's listeners and pools, each against its object's project.
 * @throws FulcrumError VALIDATION when a reference no longer resolves (a deleted secret).
 */
export async function resolveGraphTls(r: TlsResolver, graph: LoadBalancerGraph): Promise<TlsMaterial> {
  const certificates: Record<string, TlsCertificate> = {};
  const pems: Record<string, string> = {};
  const objects = [
    ...graph.listeners.filter((l) => l.provisioningStatus !== 'PENDING_DELETE').map((l) => ({ projectId: l.projectId, refs: listenerRefs(l), what: { ca: 'client authentication CA', crl: 'client authentication certificate' } })),
    ...graph.pools.filter((p) => p.provisioningStatus !== 'PENDING_DELETE').map((p) => ({ projectId: p.projectId, refs: poolRefs(p), what: { ca: 'pool CA', crl: 'pool CA certificate' } })),
  ];
  for (const o of objects) {
    for (const c of o.refs.certificates) certificates[c.ref] ??= await resolveCertificate(r, o.projectId, c.ref, c.field);
    if (o.refs.ca) pems[o.refs.ca.ref] ??= caFromPem(await resolvePem(r, o.projectId, o.refs.ca.ref, o.refs.ca.field), o.refs.ca.field, o.what.ca);
    if (o.refs.crl) pems[o.refs.crl.ref] ??= crlFromPem(await resolvePem(r, o.projectId, o.refs.crl.ref, o.refs.crl.field), o.refs.crl.field, o.what.crl);
  }
  return { certificates, pems };
}
