/**
 * @module drivers/haproxy/render-tls — the TLS part of the renderer, as Octavia's amphora driver
 * writes it (combined_listeners templates): a crt-list per TERMINATED_HTTPS listener (default
 * certificate first, then the SNI certificates, HAProxy picking one by the client's SNI), `ssl
 * crt-list`, `ca-file`, `verify`, `crl-file`, `ciphers`, `no-<version>` for each version left
 * out, `alpn`, HSTS and the X-SSL-* headers; and `ssl` on a `tls_enabled` pool's servers with its
 * client certificate, CA and CRL. Pure: the files it names are listed by {@link tlsFiles}, which
 * the HAProxy provider writes (0600) before the configuration that uses them.
 */
import { createHash } from 'node:crypto';
import { SUPPORTED_ALPN_PROTOCOLS } from '../../domain/limits.js';
import type { Listener, LoadBalancerGraph, Pool } from '../../domain/model.js';
import type { TlsMaterial } from '../../domain/tls.js';
import { cfgCipherList, cfgFilePath, cfgInt, cfgJoin, cfgKeyword, invalidCfgValue, type CfgSite, type CfgToken } from './escape.js';

/** One file the TLS configuration reads. */
export interface TlsFile {
  path: string;
  content: string;
}

/** Octavia's `tls_versions` values → HAProxy's `no-…` bind/server keyword for a version left out. */
const VERSION_FLAGS = { SSLv3: 'no-sslv3', TLSv1: 'no-tlsv10', 'TLSv1.1': 'no-tlsv11', 'TLSv1.2': 'no-tlsv12', 'TLSv1.3': 'no-tlsv13' } as const;
const ALPN = Object.fromEntries(SUPPORTED_ALPN_PROTOCOLS.map((p) => [p, p])) as Record<string, string>;
const VERIFY = { NONE: 'none', OPTIONAL: 'optional', MANDATORY: 'required' } as const;
const MAX_INT32 = 2 ** 31 - 1;

/** The X-SSL-* headers Octavia inserts from the client certificate (`insert_headers`), as it writes them. */
export const SSL_HEADER_FETCHES: Readonly<Record<string, string>> = {
  'X-SSL-Client-Verify': '%[ssl_c_verify]',
  'X-SSL-Client-Has-Cert': '%[ssl_c_used]',
  'X-SSL-Client-DN': '%{+Q}[ssl_c_s_dn]',
  'X-SSL-Client-CN': '%{+Q}[ssl_c_s_dn(cn)]',
  'X-SSL-Issuer': '%{+Q}[ssl_c_i_dn]',
  'X-SSL-Client-SHA1': '%{+Q}[ssl_c_sha1,hex]',
  'X-SSL-Client-Not-Before': '%{+Q}[ssl_c_notbefore]',
  'X-SSL-Client-Not-After': '%{+Q}[ssl_c_notafter]',
};

/** A reference's file name: a hash of the reference, so no tenant text is in a path. */
function fileOf(dir: string, ref: string, ext: string): string {
  return `${dir}/${createHash('sha256').update(ref).digest('hex').slice(0, 24)}${ext}`;
}

const crtListOf = (dir: string, l: Listener): string => `${dir}/${l.id}.crt-list`;

function material(graph: LoadBalancerGraph, s: CfgSite): TlsMaterial {
  if (graph.tls === undefined) throw invalidCfgValue(s, 'the certificates were not resolved', '');
  return graph.tls;
}

const isLive = (o: { provisioningStatus: string }): boolean => o.provisioningStatus !== 'PENDING_DELETE';

function listenerCerts(l: Listener): string[] {
  return [...new Set([...(l.defaultTlsContainerRef ? [l.defaultTlsContainerRef] : []), ...l.sniContainerRefs])];
}

/**
 * Every file the graph's TLS configuration reads, with its content: certificate bundles
 * (certificate, intermediates, key), CA and CRL files, and each TERMINATED_HTTPS listener's
 * crt-list. @throws FulcrumError VALIDATION when a reference was not resolved.
 */
export function tlsFiles(graph: LoadBalancerGraph, dir: string): TlsFile[] {
  const files = new Map<string, string>();
  const site = (what: string, id: string, field: string): CfgSite => ({ object: `${what} ${id}`, field });
  const cert = (ref: string, s: CfgSite): string => {
    const c = material(graph, s).certificates[ref];
    if (c === undefined) throw invalidCfgValue(s, 'the certificate was not resolved', ref);
    const path = fileOf(dir, ref, '.pem');
    files.set(path, [c.certificate, ...c.intermediates, c.privateKey].join(''));
    return path;
  };
  const pem = (ref: string | null, ext: string, s: CfgSite): void => {
    if (ref === null) return;
    const text = material(graph, s).pems[ref];
    if (text === undefined) throw invalidCfgValue(s, 'the file was not resolved', ref);
    files.set(fileOf(dir, ref, ext), text);
  };
  for (const l of graph.listeners.filter(isLive)) {
    if (l.protocol !== 'TERMINATED_HTTPS') continue;
    const paths = listenerCerts(l).map((ref) => cert(ref, site('Listener', l.id, 'default_tls_container_ref')));
    files.set(crtListOf(dir, l), paths.map((p) => `${p}\n`).join(''));
    pem(l.clientCaTlsContainerRef, '.ca.pem', site('Listener', l.id, 'client_ca_tls_container_ref'));
    pem(l.clientCrlContainerRef, '.crl.pem', site('Listener', l.id, 'client_crl_container_ref'));
  }
  for (const p of graph.pools.filter(isLive)) {
    if (!p.tlsEnabled) continue;
    if (p.tlsContainerRef) cert(p.tlsContainerRef, site('Pool', p.id, 'tls_container_ref'));
    pem(p.caTlsContainerRef, '.ca.pem', site('Pool', p.id, 'ca_tls_container_ref'));
    pem(p.crlContainerRef, '.crl.pem', site('Pool', p.id, 'crl_container_ref'));
  }
  return [...files].map(([path, content]) => ({ path, content })).sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** `no-<version>` for each version left out of `tls_versions` (Octavia's template does the same). */
function versionFlags(versions: readonly string[] | null, s: CfgSite): CfgToken[] {
  const given = versions ?? Object.keys(VERSION_FLAGS);
  for (const v of given) cfgKeyword(v, VERSION_FLAGS, s);
  if (given.length === 0) throw invalidCfgValue(s, 'at least one TLS version is required', '');
  return (Object.entries(VERSION_FLAGS) as [string, string][]).filter(([v]) => !given.includes(v)).map(([, flag]) => flag as CfgToken);
}

function alpn(protocols: readonly string[] | null, s: CfgSite): CfgToken | null {
  if (protocols === null || protocols.length === 0) return null;
  return cfgJoin(['alpn' as CfgToken, cfgJoin(protocols.map((p) => cfgKeyword(p, ALPN, s)), ',')]);
}

/** What a TERMINATED_HTTPS frontend adds to its `bind` line and its body. */
export interface FrontendTlsView {
  bindOptions: CfgToken;
  /** `http-response set-header Strict-Transport-Security …` value, null without HSTS. */
  hsts: CfgToken | null;
  /** `http-request set-header <name> <fetch>` pairs for the X-SSL-* headers asked for. */
  sslHeaders: { name: CfgToken; fetch: CfgToken }[];
}

/** The TLS view of a TERMINATED_HTTPS listener. */
export function frontendTls(l: Listener, dir: string): FrontendTlsView {
  const at = (field: string): CfgSite => ({ object: `Listener ${l.id}`, field });
  if (listenerCerts(l).length === 0) throw invalidCfgValue(at('default_tls_container_ref'), 'a TERMINATED_HTTPS listener needs a certificate', '');
  const opts: CfgToken[] = ['ssl' as CfgToken, cfgJoin(['crt-list' as CfgToken, cfgFilePath(crtListOf(dir, l), at('id'))])];
  if (l.clientCaTlsContainerRef !== null) {
    opts.push(cfgJoin(['ca-file' as CfgToken, cfgFilePath(fileOf(dir, l.clientCaTlsContainerRef, '.ca.pem'), at('client_ca_tls_container_ref'))]));
    opts.push(cfgJoin(['verify' as CfgToken, cfgKeyword(l.clientAuthentication, VERIFY, at('client_authentication'))]));
    if (l.clientCrlContainerRef !== null) {
      opts.push(cfgJoin(['crl-file' as CfgToken, cfgFilePath(fileOf(dir, l.clientCrlContainerRef, '.crl.pem'), at('client_crl_container_ref'))]));
    }
  } else if (l.clientAuthentication !== 'NONE') {
    throw invalidCfgValue(at('client_authentication'), 'client authentication needs a client CA', l.clientAuthentication);
  }
  if (l.tlsCiphers) opts.push(cfgJoin(['ciphers' as CfgToken, cfgCipherList(l.tlsCiphers, at('tls_ciphers'))]));
  opts.push(...versionFlags(l.tlsVersions, at('tls_versions')));
  const a = alpn(l.alpnProtocols, at('alpn_protocols'));
  if (a) opts.push(a);
  let hsts: CfgToken | null = null;
  if (l.hstsMaxAge !== null && l.hstsMaxAge !== undefined) {
    const age = cfgInt(l.hstsMaxAge, 0, MAX_INT32, at('hsts_max_age'));
    hsts = `"max-age=${age};${l.hstsIncludeSubdomains ? ' includeSubDomains;' : ''}${l.hstsPreload ? ' preload;' : ''}"` as CfgToken;
  }
  const sslHeaders: FrontendTlsView['sslHeaders'] = [];
  for (const [name, value] of Object.entries(l.insertHeaders)) {
    const fetch = SSL_HEADER_FETCHES[name];
    if (fetch !== undefined && String(value).toLowerCase() === 'true') sslHeaders.push({ name: name as CfgToken, fetch: fetch as CfgToken });
  }
  sslHeaders.sort((x, y) => (x.name < y.name ? -1 : 1));
  return { bindOptions: cfgJoin(opts), hsts, sslHeaders };
}

/** What a `tls_enabled` pool adds to each `server` line (Octavia: `ssl crt … ca-file … verify required`). */
export function serverTls(p: Pool, dir: string): CfgToken | null {
  if (!p.tlsEnabled) return null;
  const at = (field: string): CfgSite => ({ object: `Pool ${p.id}`, field });
  const opts: CfgToken[] = ['ssl' as CfgToken];
  if (p.tlsContainerRef) opts.push(cfgJoin(['crt' as CfgToken, cfgFilePath(fileOf(dir, p.tlsContainerRef, '.pem'), at('tls_container_ref'))]));
  if (p.caTlsContainerRef) {
    opts.push(cfgJoin(['ca-file' as CfgToken, cfgFilePath(fileOf(dir, p.caTlsContainerRef, '.ca.pem'), at('ca_tls_container_ref'))]));
    if (p.crlContainerRef) opts.push(cfgJoin(['crl-file' as CfgToken, cfgFilePath(fileOf(dir, p.crlContainerRef, '.crl.pem'), at('crl_container_ref'))]));
    opts.push('verify required' as CfgToken);
  } else {
    opts.push('verify none' as CfgToken);
  }
  if (p.tlsCiphers) opts.push(cfgJoin(['ciphers' as CfgToken, cfgCipherList(p.tlsCiphers, at('tls_ciphers'))]));
  opts.push(...versionFlags(p.tlsVersions, at('tls_versions')));
  const a = alpn(p.alpnProtocols, at('alpn_protocols'));
  if (a) opts.push(a);
  return cfgJoin(opts);
}
