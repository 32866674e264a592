/** @module drivers/haproxy/render — a load balancer graph as HAProxy 2.6 config text: graph → view model → print (Octavia `jinja_cfg`). */
import { FulcrumError } from '../../domain/errors.js';
import { isUuid } from '../../domain/ids.js';
import { comparedText, isSslRuleType, isValidRegex } from '../../domain/l7.js';
import { DEFAULT_L7_REDIRECT_HTTP_CODE, MAX_TIMEOUT, MAX_WEIGHT, MIN_WEIGHT, SUPPORTED_HTTP_HEADERS } from '../../domain/limits.js';
import {
  KIND_TITLES, VALID_LISTENER_POOL_PROTOCOLS,
  type Base, type HealthMonitor, type L7Policy, type L7Rule, type Listener, type LoadBalancerGraph, type Member,
  type OctaviaKind, type Pool,
} from '../../domain/model.js';
import { MAX_FLAVOR_MAXCONN, MAX_FLAVOR_NBTHREAD } from '../../domain/operator.js';
import {
  cfgCidr, cfgCookieFetch, cfgEndpoint, cfgFilePath, cfgHostName, cfgId, cfgInt, cfgIp, cfgJoin, cfgKeyword,
  cfgNamedFetch, cfgPattern, cfgRedirectUrl, cfgStatusRegex, cfgUrlPath, invalidCfgValue, type CfgIp, type CfgSite,
  type CfgToken,
} from './escape.js';
import { frontendTls, serverTls, SSL_HEADER_FETCHES, type FrontendTlsView } from './render-tls.js';

/** Files HAProxy uses at run time, chosen by the process driver. */
export interface HaproxyPaths {
  /** The admin stats socket (runtime API); `expose-fd listeners` is set on it. */
  statsSocket: string;
  /** Where `show servers state` is saved before a reload and loaded from after it. */
  serverStateFile: string;
  /**
   * The PING health check program (`external-check command`): the provider writes
   * {@link renderPingCheck}'s text there. Without it PING monitors throw UNSUPPORTED_OPTION.
   */
  pingCheck?: string;
  /**
   * Where the certificate, CA, CRL and crt-list files of TLS listeners and pools are (written by
   * the provider from `tlsFiles`); needed only when the graph uses TLS.
   */
  tlsDir?: string;
}

/** Choices the caller makes about this host's HAProxy. */
export interface RenderOptions {
  /** Global maxconn; default 9000. The fd cap here is 20000 and 2.6 has `strict-limits` on. */
  maxconn?: number;
  /**
   * True when `haproxy -vv` says "Built with the Prometheus exporter as a service"; PROMETHEUS
   * listeners throw UNSUPPORTED_OPTION unless it is set. Default false.
   */
  hasPrometheusExporter?: boolean;
  /**
   * The address frontends bind instead of the VIP (the interface driver's stand-in for
   * unprivileged runs); default the load balancer's `vipAddress`.
   */
  bindAddress?: string;
  /**
   * Frontends bind with `transparent` (IP_TRANSPARENT; needs CAP_NET_ADMIN): HAProxy may then
   * start before the VIP is on an interface, which lets the netns driver plug the ports while
   * HAProxy starts instead of before. Default false (the unprivileged host driver cannot).
   */
  transparentBind?: boolean;
  /**
   * `idempotent`: HTTP backends resend a request that a server closed or garbled before answering
   * (HAProxy L7 retries) when its method is idempotent (RFC 9110: GET, HEAD, OPTIONS, PUT, DELETE,
   * TRACE). Default `off`, as the seed's and Octavia's configurations: L7 retries make HAProxy 2.6
   * copy each request's whole buffer, about 6 % of throughput (README, Benchmarks).
   */
  l7Retries?: L7Retries;
}

export const L7_RETRIES = ['off', 'idempotent'] as const;
export type L7Retries = (typeof L7_RETRIES)[number];

/** Global maxconn when none is given: below the ~9.9 k that a 20000 fd cap allows under `strict-limits`. */
export const DEFAULT_GLOBAL_MAXCONN = 9000;
/** Entries per stick table (Octavia `[haproxy_amphora] haproxy_stick_size`). */
const STICK_SIZE = '10k';
const MAX_INT32 = 2 ** 31 - 1;

const MODES = { HTTP: 'http', TERMINATED_HTTPS: 'http', HTTPS: 'tcp', TCP: 'tcp', PROMETHEUS: 'http' } as const;
/**
 * SOURCE_IP_PORT hashes the client's address and port (`balance hash`, new in HAProxy 2.6): the
 * port is put in a variable first because `concat` takes variables, not sample fetches.
 */
const BALANCE = {
  ROUND_ROBIN: 'roundrobin', LEAST_CONNECTIONS: 'leastconn', SOURCE_IP: 'source', SOURCE_IP_PORT: 'hash src,concat(:,txn.src_port)',
} as const;
const HTTP_METHODS = {
  CONNECT: 'CONNECT', DELETE: 'DELETE', GET: 'GET', HEAD: 'HEAD', OPTIONS: 'OPTIONS', PATCH: 'PATCH', POST: 'POST',
  PUT: 'PUT', TRACE: 'TRACE',
} as const;
const HTTP_VERSIONS = { '1': 'HTTP/1.0', '1.1': 'HTTP/1.1' } as const;
const UNSUPPORTED_LISTENER_PROTOCOLS = ['UDP', 'SCTP'];
const UNSUPPORTED_POOL_PROTOCOLS = ['UDP', 'SCTP'];
const UNSUPPORTED_MONITOR_TYPES = ['UDP-CONNECT', 'SCTP'];
/** Octavia's `l7rule_compare_type_macro`. */
const MATCH_METHODS = { REGEX: '-m reg', STARTS_WITH: '-m beg', ENDS_WITH: '-m end', CONTAINS: '-m sub', EQUAL_TO: '-m str' } as const;
const REDIRECT_CODES = { 301: '301', 302: '302', 303: '303', 307: '307', 308: '308' } as const;

// ---- view model -------------------------------------------------------------------------------

interface GlobalView { maxconn: CfgToken; nbthread: CfgToken | null; statsSocket: CfgToken; serverStateFile: CfgToken; isExternalCheck: boolean; localPeer: CfgToken | null }

/** ACTIVE_STANDBY: the `peers` section that replicates stick tables between the pair's HAProxies. */
interface PeersView { name: CfgToken; peers: { name: CfgToken; endpoint: CfgToken }[] }

/** The TCP port HAProxy peers talk on, on each side's own VRRP address (Octavia's peer port). */
export const PEER_PORT = 1025;

interface FrontendView {
  id: CfgToken;
  isDisabled: boolean;
  bind: CfgToken;
  isTransparent: boolean;
  mode: CfgToken;
  maxconn: CfgToken | null;
  timeoutClient: CfgToken | null;
  allowedCidrs: CfgToken | null;
  inspectDelay: CfgToken | null;
  isTcp: boolean;
  isForwardedFor: boolean;
  isForwardedPort: boolean;
  isForwardedProto: boolean;
  isPrometheus: boolean;
  /** TERMINATED_HTTPS: the bind's TLS options, HSTS and X-SSL-* headers. */
  tls: FrontendTlsView | null;
  /** `acl <id> <test>` lines of the L7 rules, policy by policy in position order. */
  acls: { id: CfgToken; test: CfgToken }[];
  /** The L7 policies' actions in position order (printed grouped by kind, see printFrontend). */
  l7Actions: L7ActionView[];
  defaultBackend: CfgToken | null;
}

/** What a matching L7 policy does; `condition` is its rules ANDed (`<id> !<id> …`). */
type L7ActionView =
  | { kind: 'deny'; condition: CfgToken }
  | { kind: 'redirect'; how: 'location' | 'prefix'; code: CfgToken; target: CfgToken; condition: CfgToken }
  | { kind: 'use_backend'; backend: CfgToken; condition: CfgToken };

type CheckView =
  | { type: 'http'; send: CfgToken; expect: CfgToken }
  | { type: 'tcp' }
  | { type: 'tls-hello' }
  | { type: 'ping'; command: CfgToken };

interface MonitorView { check: CheckView; isSsl: boolean; timeout: CfgToken; inter: CfgToken; fall: CfgToken; rise: CfgToken }

type PersistenceView =
  | { type: 'source-ip'; table: CfgToken; expire: CfgToken | null }
  | { type: 'app-cookie'; store: CfgToken; match: CfgToken; expire: CfgToken | null }
  | { type: 'http-cookie'; maxidle: CfgToken | null };

interface ServerView {
  id: CfgToken;
  endpoint: CfgToken;
  weight: CfgToken;
  cookie: CfgToken | null;
  proxyProtocol: CfgToken | null;
  isBackup: boolean;
  isDisabled: boolean;
  monitorAddr: CfgToken | null;
  monitorPort: CfgToken | null;
  /** A `tls_enabled` pool's `ssl …` options. */
  tls: CfgToken | null;
}

interface BackendView {
  id: CfgToken;
  mode: CfgToken;
  balance: CfgToken;
  isHashSourcePort: boolean;
  isHttp: boolean;
  /** L7 retries for idempotent requests (HTTP backends, `l7Retries: 'idempotent'`). */
  isL7Retry: boolean;
  timeoutConnect: CfgToken | null;
  timeoutServer: CfgToken | null;
  persistence: PersistenceView | null;
  monitor: MonitorView | null;
  servers: ServerView[];
}

interface ConfigView { lbId: CfgToken; global: GlobalView; peers: PeersView | null; frontends: FrontendView[]; backends: BackendView[] }

// ---- graph → view -----------------------------------------------------------------------------

function site(kind: OctaviaKind, id: unknown, field: string): CfgSite {
  const shown = isUuid(id) ? id : JSON.stringify(String(id).slice(0, 40));
  return { object: `${KIND_TITLES[kind]} ${shown}`, field };
}

function unsupported(s: CfgSite, value: string): FulcrumError {
  return new FulcrumError('UNSUPPORTED_OPTION', `${s.object}: ${s.field} ${value} is not supported by this provider.`, {
    field: s.field,
  });
}

const isLive = (o: Base): boolean => o.provisioningStatus !== 'PENDING_DELETE';
const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** A listener timeout in ms; 0 means "the default", as in Octavia, so the `defaults` value applies. */
function timeoutMs(value: number, s: CfgSite): CfgToken | null {
  return value === 0 ? null : cfgInt(value, 0, MAX_TIMEOUT, s, 'ms');
}

/** Header insertion flags: `true`/`false` in any case (Octavia's reading); anything else throws. */
function insertHeaders(l: Listener): Set<string> {
  const s = site('listener', l.id, 'insert_headers');
  const on = new Set<string>();
  for (const [name, value] of Object.entries(l.insertHeaders)) {
    const isSsl = name in SSL_HEADER_FETCHES;
    const allowed = (l.protocol === 'HTTP' || l.protocol === 'TERMINATED_HTTPS') && (SUPPORTED_HTTP_HEADERS as readonly string[]).includes(name);
    if (!allowed && !(isSsl && l.protocol === 'TERMINATED_HTTPS')) {
      throw invalidCfgValue(s, `header ${JSON.stringify(name.slice(0, 40))} cannot be inserted by a ${l.protocol} listener`, name);
    }
    const flag = typeof value === 'string' ? value.toLowerCase() : '';
    if (flag !== 'true' && flag !== 'false') throw invalidCfgValue(s, `the value for ${name} must be "true" or "false"`, value);
    if (flag === 'true') on.add(name);
  }
  return on;
}

/**
 * An L7 rule as an ACL test (Octavia's `l7rule_macro`), with `--` before every pattern so that a
 * value starting with `-` is not a flag. FILE_TYPE EQUAL_TO matches the path's ending `.<value>`:
 * Octavia's `path_end -m str <value>` compares the whole path with the bare extension and never
 * matches. The SSL types read the client certificate, which only a TERMINATED_HTTPS listener has;
 * on any other listener the rule is false (`always_false`), as HAProxy's fetches would be there.
 */
export function aclTest(r: L7Rule, isTls: boolean): CfgToken {
  const at = (field: string): CfgSite => site('l7rule', r.id, field);
  const match = cfgKeyword(r.compareType, MATCH_METHODS, at('compare_type'));
  const pattern = (text: string): CfgToken => cfgJoin(['--' as CfgToken, cfgPattern(text, at('value'))]);
  const value = comparedText(r.type, r.value);
  if (isSslRuleType(r.type) && !isTls) return 'always_false' as CfgToken;
  if (r.compareType === 'REGEX' && !isValidRegex(value)) throw invalidCfgValue(at('value'), 'not a regular expression', value);
  switch (r.type) {
    case 'HOST_NAME':
      return cfgJoin(['req.hdr(host) -i' as CfgToken, match, pattern(value)]);
    case 'PATH':
      return cfgJoin(['path' as CfgToken, match, pattern(value)]);
    case 'FILE_TYPE':
      if (r.compareType === 'EQUAL_TO') return cfgJoin(['path -m end' as CfgToken, pattern(`.${value}`)]);
      if (r.compareType === 'REGEX') return cfgJoin(['path -m reg' as CfgToken, pattern(value)]);
      throw invalidCfgValue(at('compare_type'), 'FILE_TYPE rules compare with EQUAL_TO or REGEX', r.compareType);
    case 'HEADER':
      return cfgJoin([cfgNamedFetch('req.hdr', r.key, at('key')), match, pattern(value)]);
    case 'COOKIE':
      return cfgJoin([cfgNamedFetch('req.cook', r.key, at('key')), match, pattern(value)]);
    case 'SSL_CONN_HAS_CERT':
      return 'ssl_c_used' as CfgToken;
    case 'SSL_VERIFY_RESULT':
      return cfgJoin(['ssl_c_verify eq' as CfgToken, cfgInt(Number(/^\d+$/.test(r.value) ? r.value : NaN), 0, MAX_INT32, at('value'))]);
    case 'SSL_DN_FIELD':
      return cfgJoin([cfgNamedFetch('ssl_c_s_dn', r.key, at('key')), match, pattern(value)]);
    default:
      throw invalidCfgValue(at('type'), 'not a supported rule type', r.type);
  }
}

/** The L7 policies of a listener that HAProxy evaluates: live, enabled, with at least one live enabled rule. */
function livePolicies(l: Listener, graph: LoadBalancerGraph): { policy: L7Policy; rules: L7Rule[] }[] {
  const byPosition = (a: L7Policy, b: L7Policy): number => a.position - b.position || byId(a, b);
  const byAge = (a: L7Rule, b: L7Rule): number => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : byId(a, b));
  return graph.l7Policies.filter((p) => p.listenerId === l.id && isLive(p) && p.adminStateUp).sort(byPosition)
    .map((policy) => ({
      policy,
      rules: graph.l7Rules.filter((r) => r.l7PolicyId === policy.id && isLive(r) && r.adminStateUp).sort(byAge),
    }))
    .filter((x) => x.rules.length > 0);
}

/** A listener's L7 part (Octavia's `l7policy_macro`) and the pools its policies send requests to. */
function toL7(l: Listener, graph: LoadBalancerGraph): { acls: FrontendView['acls']; actions: L7ActionView[]; pools: Pool[] } {
  const acls: FrontendView['acls'] = [];
  const actions: L7ActionView[] = [];
  const pools: Pool[] = [];
  const isTls = l.protocol === 'TERMINATED_HTTPS';
  for (const { policy: p, rules } of livePolicies(l, graph)) {
    const at = (field: string): CfgSite => site('l7policy', p.id, field);
    let action: L7ActionView;
    const condition = cfgJoin(rules.map((r) => `${r.invert ? '!' : ''}${cfgId(r.id, site('l7rule', r.id, 'id'))}` as CfgToken));
    switch (p.action) {
      case 'REJECT':
        action = { kind: 'deny', condition };
        break;
      case 'REDIRECT_TO_URL':
      case 'REDIRECT_PREFIX': {
        const isUrl = p.action === 'REDIRECT_TO_URL';
        const target = isUrl ? cfgRedirectUrl(p.redirectUrl, at('redirect_url')) : cfgRedirectUrl(p.redirectPrefix, at('redirect_prefix'));
        const code = cfgKeyword(String(p.redirectHttpCode ?? DEFAULT_L7_REDIRECT_HTTP_CODE), REDIRECT_CODES, at('redirect_http_code'));
        action = { kind: 'redirect', how: isUrl ? 'location' : 'prefix', code, target, condition };
        break;
      }
      case 'REDIRECT_TO_POOL': {
        const pool = graph.pools.find((x) => x.id === p.redirectPoolId);
        if (pool === undefined) throw invalidCfgValue(at('redirect_pool_id'), 'the pool is not part of this load balancer', p.redirectPoolId);
        // As Octavia: a disabled or departing pool gets no backend, and the policy no use_backend.
        if (!isLive(pool) || !pool.adminStateUp) continue;
        if (!pools.includes(pool)) pools.push(pool);
        action = { kind: 'use_backend', backend: cfgId(pool.id, site('pool', pool.id, 'id')), condition };
        break;
      }
      default:
        throw invalidCfgValue(at('action'), 'not a supported action', p.action);
    }
    for (const r of rules) acls.push({ id: cfgId(r.id, site('l7rule', r.id, 'id')), test: aclTest(r, isTls) });
    actions.push(action);
  }
  return { acls, actions, pools };
}

function toFrontend(
  l: Listener, vip: CfgIp, isLbUp: boolean, backend: Pool | null, l7: ReturnType<typeof toL7>, opts: RenderOptions, paths: HaproxyPaths,
): FrontendView {
  const at = (field: string): CfgSite => site('listener', l.id, field);
  if (UNSUPPORTED_LISTENER_PROTOCOLS.includes(l.protocol)) throw unsupported(at('protocol'), l.protocol);
  const isPrometheus = l.protocol === 'PROMETHEUS';
  if (isPrometheus && !opts.hasPrometheusExporter) throw unsupported(at('protocol'), l.protocol);
  const mode = cfgKeyword(l.protocol, MODES, at('protocol'));
  const limit = cfgInt(l.connectionLimit, -1, MAX_INT32, at('connection_limit'));
  const cidrs = [...new Set((l.allowedCidrs ?? []).map((c) => cfgCidr(c, at('allowed_cidrs'))))].sort();
  const headers = insertHeaders(l);
  const isTls = l.protocol === 'TERMINATED_HTTPS';
  if (isTls && paths.tlsDir === undefined) throw invalidCfgValue(at('protocol'), 'no directory for certificates was given', l.protocol);
  return {
    id: cfgId(l.id, at('id')),
    isDisabled: !l.adminStateUp || !isLbUp,
    bind: cfgEndpoint(vip, l.protocolPort, at('protocol_port')),
    isTransparent: opts.transparentBind === true,
    mode,
    // -1 is "unlimited"; Octavia also reads 0 as unset.
    maxconn: l.connectionLimit > 0 ? limit : null,
    timeoutClient: timeoutMs(l.timeoutClientData, at('timeout_client_data')),
    allowedCidrs: cidrs.length > 0 ? cfgJoin(cidrs) : null,
    inspectDelay: timeoutMs(l.timeoutTcpInspect, at('timeout_tcp_inspect')),
    isTcp: mode === 'tcp',
    // The seed's HTTP frontends always carry `option forwardfor` (neutron-lbaas did); Octavia only
    // with insert_headers X-Forwarded-For. Both: on for HTTP unless a tenant says "false".
    isForwardedFor: headers.has('X-Forwarded-For') ||
      ((l.protocol === 'HTTP' || isTls) && String(l.insertHeaders['X-Forwarded-For'] ?? '').toLowerCase() !== 'false'),
    isForwardedPort: headers.has('X-Forwarded-Port'),
    isForwardedProto: headers.has('X-Forwarded-Proto'),
    isPrometheus,
    tls: isTls ? frontendTls(l, paths.tlsDir!) : null,
    acls: l7.acls,
    l7Actions: l7.actions,
    defaultBackend: backend === null ? null : cfgId(backend.id, site('pool', backend.id, 'id')),
  };
}

function toPersistence(p: Pool, vip: CfgIp, isHttp: boolean): PersistenceView | null {
  const sp = p.sessionPersistence;
  if (sp === null) return null;
  const at = (field: string): CfgSite => site('pool', p.id, field);
  if (sp.cookieName !== null && sp.type !== 'APP_COOKIE') throw invalidCfgValue(at('cookie_name'), 'only APP_COOKIE persistence takes a cookie name', sp.cookieName);
  if (sp.persistenceGranularity !== null) throw invalidCfgValue(at('persistence_granularity'), 'only UDP pools take a granularity', sp.persistenceGranularity);
  if (sp.type !== 'SOURCE_IP' && !isHttp) throw invalidCfgValue(at('session_persistence'), `${sp.type} needs an HTTP listener`, sp.type);
  const timeout = sp.persistenceTimeout ? cfgInt(sp.persistenceTimeout, 1, MAX_INT32, at('persistence_timeout'), 's') : null;
  switch (sp.type) {
    case 'SOURCE_IP':
      // Clients reach the VIP in its own family; `ipv6` tables also hold IPv4-mapped keys.
      return { type: 'source-ip', table: (vip.family === 4 ? 'ip' : 'ipv6') as CfgToken, expire: timeout };
    case 'APP_COOKIE':
      return {
        type: 'app-cookie',
        store: cfgCookieFetch('res.cook', sp.cookieName, at('cookie_name')),
        match: cfgCookieFetch('req.cook', sp.cookieName, at('cookie_name')),
        expire: timeout,
      };
    case 'HTTP_COOKIE':
      return { type: 'http-cookie', maxidle: timeout };
    default:
      throw invalidCfgValue(at('session_persistence'), 'not a supported type', sp.type);
  }
}

function toMonitor(hm: HealthMonitor, paths: HaproxyPaths): MonitorView {
  const at = (field: string): CfgSite => site('healthmonitor', hm.id, field);
  if (UNSUPPORTED_MONITOR_TYPES.includes(hm.type)) throw unsupported(at('type'), hm.type);
  let check: CheckView;
  if (hm.type === 'HTTP' || hm.type === 'HTTPS') {
    const send = [
      cfgJoin(['meth' as CfgToken, cfgKeyword(hm.httpMethod ?? 'GET', HTTP_METHODS, at('http_method'))]),
      cfgJoin(['uri' as CfgToken, cfgUrlPath(hm.urlPath ?? '/', at('url_path'))]),
      cfgJoin(['ver' as CfgToken, cfgKeyword(String(hm.httpVersion ?? 1), HTTP_VERSIONS, at('http_version'))]),
    ];
    if (hm.domainName !== null) send.push(cfgJoin(['hdr Host' as CfgToken, cfgHostName(hm.domainName, at('domain_name'))]));
    check = { type: 'http', send: cfgJoin(send), expect: cfgStatusRegex(hm.expectedCodes ?? '200', at('expected_codes')) };
  } else if (hm.type === 'TCP') {
    check = { type: 'tcp' };
  } else if (hm.type === 'TLS-HELLO') {
    check = { type: 'tls-hello' };
  } else if (hm.type === 'PING') {
    if (paths.pingCheck === undefined) throw unsupported(at('type'), hm.type);
    check = { type: 'ping', command: cfgFilePath(paths.pingCheck, { object: 'HAProxy paths', field: 'pingCheck' }) };
  } else {
    throw unsupported(at('type'), String(hm.type));
  }
  return {
    check,
    isSsl: hm.type === 'HTTPS',
    timeout: cfgInt(hm.timeout, 1, MAX_INT32, at('timeout'), 's'),
    inter: cfgInt(hm.delay, 1, MAX_INT32, at('delay'), 's'),
    fall: cfgInt(hm.maxRetriesDown, 1, 10, at('max_retries_down')),
    rise: cfgInt(hm.maxRetries, 1, 10, at('max_retries')),
  };
}

function toServer(m: Member, p: Pool, hasCheck: boolean, tls: CfgToken | null): ServerView {
  const at = (field: string): CfgSite => site('member', m.id, field);
  const id = cfgId(m.id, at('id'));
  const monitorAddr = m.monitorAddress === null ? null : cfgIp(m.monitorAddress, at('monitor_address')).host;
  const monitorPort = m.monitorPort === null ? null : cfgInt(m.monitorPort, 1, 65535, at('monitor_port'));
  return {
    id,
    endpoint: cfgEndpoint(cfgIp(m.address, at('address')), m.protocolPort, at('protocol_port')),
    weight: cfgInt(m.weight, MIN_WEIGHT, MAX_WEIGHT, at('weight')),
    cookie: p.sessionPersistence?.type === 'HTTP_COOKIE' ? id : null,
    proxyProtocol: p.protocol === 'PROXY' ? ('send-proxy' as CfgToken) : p.protocol === 'PROXYV2' ? ('send-proxy-v2' as CfgToken) : null,
    isBackup: m.backup,
    isDisabled: !m.adminStateUp,
    // The monitor address only steers health checks; without a monitor it has nothing to do.
    monitorAddr: hasCheck ? monitorAddr : null,
    monitorPort: hasCheck ? monitorPort : null,
    tls,
  };
}

function toBackend(p: Pool, l: Listener, vip: CfgIp, graph: LoadBalancerGraph, paths: HaproxyPaths, opts: RenderOptions): BackendView {
  const at = (field: string): CfgSite => site('pool', p.id, field);
  if (UNSUPPORTED_POOL_PROTOCOLS.includes(p.protocol)) throw unsupported(at('protocol'), p.protocol);
  if (!VALID_LISTENER_POOL_PROTOCOLS[l.protocol].includes(p.protocol)) {
    throw invalidCfgValue(at('protocol'), `a ${l.protocol} listener cannot use a ${p.protocol} pool`, p.protocol);
  }
  if (p.tlsEnabled && paths.tlsDir === undefined) throw invalidCfgValue(at('tls_enabled'), 'no directory for certificates was given', 'true');
  const tls = p.tlsEnabled ? serverTls(p, paths.tlsDir!) : null;
  const monitors = graph.healthMonitors.filter((h) => h.poolId === p.id && isLive(h));
  if (monitors.length > 1) throw invalidCfgValue(at('healthmonitor_id'), 'a pool has at most one health monitor', monitors.length);
  const hm = monitors[0];
  const monitor = hm !== undefined && hm.adminStateUp ? toMonitor(hm, paths) : null;
  const isHttp = MODES[l.protocol as keyof typeof MODES] === 'http';
  const members = graph.members.filter((m) => m.poolId === p.id && isLive(m)).sort(byId);
  return {
    id: cfgId(p.id, at('id')),
    mode: cfgKeyword(l.protocol, MODES, site('listener', l.id, 'protocol')),
    balance: cfgKeyword(p.lbAlgorithm, BALANCE, at('lb_algorithm')),
    isHashSourcePort: p.lbAlgorithm === 'SOURCE_IP_PORT',
    isHttp,
    isL7Retry: isHttp && opts.l7Retries === 'idempotent',
    timeoutConnect: timeoutMs(l.timeoutMemberConnect, site('listener', l.id, 'timeout_member_connect')),
    timeoutServer: timeoutMs(l.timeoutMemberData, site('listener', l.id, 'timeout_member_data')),
    persistence: toPersistence(p, vip, isHttp),
    monitor,
    servers: members.map((m) => toServer(m, p, monitor !== null, tls)),
  };
}

function toView(graph: LoadBalancerGraph, paths: HaproxyPaths, opts: RenderOptions): ConfigView {
  const lb = graph.loadBalancer;
  const settings = {
    // A flavor's values win over the host's default (flavor profiles were checked against the same bounds).
    maxconn: graph.flavor?.maxconn !== undefined
      ? cfgInt(graph.flavor.maxconn, 1, MAX_FLAVOR_MAXCONN, site('loadbalancer', lb.id, 'flavor_id'))
      : cfgInt(opts.maxconn ?? DEFAULT_GLOBAL_MAXCONN, 1, 1_000_000, { object: 'Render options', field: 'maxconn' }),
    nbthread: graph.flavor?.nbthread !== undefined
      ? cfgInt(graph.flavor.nbthread, 1, MAX_FLAVOR_NBTHREAD, site('loadbalancer', lb.id, 'flavor_id')) : null,
    statsSocket: cfgFilePath(paths.statsSocket, { object: 'HAProxy paths', field: 'statsSocket' }),
    serverStateFile: cfgFilePath(paths.serverStateFile, { object: 'HAProxy paths', field: 'serverStateFile' }),
  };
  const listeners = graph.listeners.filter(isLive)
    .sort((a, b) => a.protocolPort - b.protocolPort || byId(a, b));
  const vip = listeners.length === 0 ? null
    : opts.bindAddress === undefined ? cfgIp(lb.vipAddress, site('loadbalancer', lb.id, 'vip_address'))
      : cfgIp(opts.bindAddress, { object: 'Render options', field: 'bindAddress' });
  const frontends: FrontendView[] = [];
  const backends: BackendView[] = [];
  // One backend per pool, built with the one listener that uses it (its timeouts and mode).
  const usedBy = new Map<string, Listener>();
  const use = (pool: Pool, l: Listener, at: CfgSite): void => {
    const other = usedBy.get(pool.id);
    if (other !== undefined && other.id !== l.id) throw invalidCfgValue(at, `the pool already serves listener ${other.id}`, pool.id);
    usedBy.set(pool.id, l);
  };
  for (const l of listeners) {
    if (vip === null) break;
    let pool: Pool | null = null;
    if (l.defaultPoolId !== null) {
      const at = site('listener', l.id, 'default_pool_id');
      const found = graph.pools.find((p) => p.id === l.defaultPoolId);
      if (found === undefined) throw invalidCfgValue(at, 'the pool is not part of this load balancer', l.defaultPoolId);
      if (l.protocol === 'PROMETHEUS') throw invalidCfgValue(at, 'a PROMETHEUS listener takes no pool', l.defaultPoolId);
      use(found, l, at);
      // As in Octavia, a disabled or departing pool gets no backend: the listener has no default.
      if (isLive(found) && found.adminStateUp) pool = found;
    }
    const l7 = toL7(l, graph);
    for (const p of l7.pools) use(p, l, site('l7policy', graph.l7Policies.find((x) => x.redirectPoolId === p.id && x.listenerId === l.id)?.id, 'redirect_pool_id'));
    frontends.push(toFrontend(l, vip, lb.adminStateUp, pool, l7, opts, paths));
    for (const p of [...(pool === null ? [] : [pool]), ...l7.pools.filter((x) => x !== pool)]) backends.push(toBackend(p, l, vip, graph, paths, opts));
  }
  const peers = toPeers(graph);
  const global: GlobalView = {
    ...settings, isExternalCheck: backends.some((b) => b.monitor?.check.type === 'ping'),
    localPeer: peers && cfgId(graph.activeStandby!.self.amphoraId, site('loadbalancer', lb.id, 'amphora_id')),
  };
  return { lbId: cfgId(lb.id, site('loadbalancer', lb.id, 'id')), global, peers, frontends, backends };
}

/** The pair's peers (each side's amphora id at its own VRRP address), or null for topology SINGLE. */
function toPeers(graph: LoadBalancerGraph): PeersView | null {
  const as = graph.activeStandby;
  if (!as) return null;
  const lbId = graph.loadBalancer.id;
  const peers = [as.self, as.peer].sort((a, b) => a.role.localeCompare(b.role)).map((side) => ({
    name: cfgId(side.amphoraId, site('loadbalancer', lbId, 'amphora_id')),
    endpoint: cfgEndpoint(cfgIp(side.address, site('loadbalancer', lbId, 'vrrp_ip')), PEER_PORT, site('loadbalancer', lbId, 'vrrp_ip')),
  }));
  return { name: cfgId(lbId, site('loadbalancer', lbId, 'id')), peers };
}

// ---- print ------------------------------------------------------------------------------------

function section(header: string, body: readonly (string | false | null)[]): string {
  return [header, ...body.filter((x): x is string => typeof x === 'string').map((x) => `    ${x}`)].join('\n');
}

const printGlobal = (g: GlobalView): string => section('global', [
  `maxconn ${g.maxconn}`,
  g.nbthread && `nbthread ${g.nbthread}`,
  `stats socket ${g.statsSocket} mode 600 level admin expose-fd listeners`,
  'stats timeout 2m',
  `server-state-file ${g.serverStateFile}`,
  // ACTIVE_STANDBY: which `peer` line of the peers section is this side.
  g.localPeer && `localpeer ${g.localPeer}`,
  'hard-stop-after 60s',
  // On a reload the old worker closes its keep-alive connections over 2 s, each after a response
  // (`Connection: close`) rather than all at once while idle, which races with the clients' next
  // request: measured 0 failed and 0 retried keep-alive requests across 20 reloads, against 1–2
  // connection resets and 14–42 resent requests without it.
  'close-spread-time 2s',
  // PING monitors run Fulcrum's own ping program (HAProxy forks it): HAProxy 2.6 refuses to fork
  // without both keywords.
  g.isExternalCheck && 'external-check',
  g.isExternalCheck && 'insecure-fork-wanted',
]);

const printDefaults = (): string => section('defaults', [
  'retries 3',
  'option redispatch 1',
  'timeout connect 5s',
  'timeout client 50s',
  'timeout server 50s',
  'timeout check 5s',
  'load-server-state-from-file global',
]);

const printFrontend = (f: FrontendView): string => section(`frontend ${f.id}`, [
  f.isDisabled && 'disabled',
  `bind ${f.bind}${f.isTransparent ? ' transparent' : ''}${f.tls ? ` ${f.tls.bindOptions}` : ''}`,
  `mode ${f.mode}`,
  f.maxconn && `maxconn ${f.maxconn}`,
  f.timeoutClient && `timeout client ${f.timeoutClient}`,
  f.allowedCidrs && `acl allowed-cidrs src ${f.allowedCidrs}`,
  f.allowedCidrs && 'tcp-request connection reject if !allowed-cidrs',
  f.inspectDelay && `tcp-request inspect-delay ${f.inspectDelay}`,
  // A TCP frontend has no rule that waits, so the delay alone would do nothing: wait for the
  // client's first bytes (at most the delay) before a member is picked and connected.
  f.inspectDelay && f.isTcp && 'tcp-request content accept if { req.len gt 0 }',
  f.isForwardedFor && 'option forwardfor',
  f.isForwardedPort && 'http-request set-header X-Forwarded-Port %[dst_port]',
  f.isForwardedProto && `http-request set-header X-Forwarded-Proto ${f.tls ? 'https' : 'http'}`,
  ...(f.tls?.sslHeaders ?? []).map((h) => `http-request set-header ${h.name} ${h.fetch}`),
  f.tls !== null && f.tls.hsts !== null && `http-response set-header Strict-Transport-Security ${f.tls.hsts}`,
  f.isPrometheus && 'http-request use-service prometheus-exporter',
  ...printL7(f),
  f.defaultBackend && `default_backend ${f.defaultBackend}`,
]);

/**
 * ACLs, then the actions grouped as HAProxy runs them whatever their order in the file:
 * `http-request deny` rules, then `redirect` rules, then `use_backend` rules, each group in
 * position order. This is Octavia's documented precedence (REJECT over REDIRECT_TO_URL and
 * REDIRECT_PREFIX over REDIRECT_TO_POOL) written so that `haproxy -c` has nothing to warn about.
 */
function printL7(f: FrontendView): string[] {
  const of = <K extends L7ActionView['kind']>(kind: K) => f.l7Actions.filter((a): a is Extract<L7ActionView, { kind: K }> => a.kind === kind);
  return [
    ...f.acls.map((a) => `acl ${a.id} ${a.test}`),
    ...of('deny').map((a) => `http-request deny if ${a.condition}`),
    ...of('redirect').map((a) => `redirect code ${a.code} ${a.how} ${a.target} if ${a.condition}`),
    ...of('use_backend').map((a) => `use_backend ${a.backend} if ${a.condition}`),
  ];
}

function printPersistence(p: PersistenceView | null, peers: PeersView | null): (string | null)[] {
  if (p === null) return [];
  const expire = (e: CfgToken | null): string => (e === null ? '' : ` expire ${e}`);
  // ACTIVE_STANDBY: the table is replicated to the other side, so a client keeps its member after the VIP moves.
  const sync = peers === null ? '' : ` peers ${peers.name}`;
  switch (p.type) {
    case 'source-ip':
      return [`stick-table type ${p.table} size ${STICK_SIZE}${expire(p.expire)}${sync}`, 'stick on src'];
    case 'app-cookie':
      return [`stick-table type string len 64 size ${STICK_SIZE}${expire(p.expire)}${sync}`, `stick store-response ${p.store}`, `stick match ${p.match}`];
    case 'http-cookie':
      return [`cookie SRV insert indirect nocache${p.maxidle === null ? '' : ` maxidle ${p.maxidle}`}`];
  }
}

function printMonitor(m: MonitorView | null): (string | null)[] {
  if (m === null) return [];
  const c = m.check;
  return [
    `timeout check ${m.timeout}`,
    c.type === 'http' ? 'option httpchk' : null,
    c.type === 'http' ? `http-check send ${c.send}` : null,
    c.type === 'http' ? `http-check expect rstatus ${c.expect}` : null,
    c.type === 'tls-hello' ? 'option ssl-hello-chk' : null,
    c.type === 'ping' ? 'option external-check' : null,
    c.type === 'ping' ? `external-check command ${c.command}` : null,
  ];
}

function printServer(s: ServerView, m: MonitorView | null): string {
  const check = m === null ? '' : ` check${m.isSsl ? ' check-ssl verify none' : ''} inter ${m.inter} fall ${m.fall} rise ${m.rise}`
    + (s.monitorAddr === null ? '' : ` addr ${s.monitorAddr}`) + (s.monitorPort === null ? '' : ` port ${s.monitorPort}`);
  return `server ${s.id} ${s.endpoint} weight ${s.weight}${s.cookie === null ? '' : ` cookie ${s.cookie}`}`
    + `${s.proxyProtocol === null ? '' : ` ${s.proxyProtocol}`}${s.isBackup ? ' backup' : ''}${s.isDisabled ? ' disabled' : ''}${check}`
    + (s.tls === null ? '' : ` ${s.tls}`);
}

const printBackend = (b: BackendView, peers: PeersView | null): string => section(`backend ${b.id}`, [
  `mode ${b.mode}`,
  `balance ${b.balance}`,
  b.isHashSourcePort && `${b.isHttp ? 'http-request' : 'tcp-request content'} set-var(txn.src_port) src_port`,
  'option allbackups',
  // Not response-timeout: a slow server is not a dead one, and resending to it under load adds load.
  b.isL7Retry && 'retry-on conn-failure empty-response junk-response 0rtt-rejected',
  b.isL7Retry && 'http-request disable-l7-retry unless METH_GET || METH_OPTIONS || METH_PUT || METH_DELETE || METH_TRACE',
  b.timeoutConnect && `timeout connect ${b.timeoutConnect}`,
  b.timeoutServer && `timeout server ${b.timeoutServer}`,
  ...printPersistence(b.persistence, peers),
  ...printMonitor(b.monitor),
  ...b.servers.map((s) => printServer(s, b.monitor)),
]);

const printPeers = (p: PeersView): string => section(`peers ${p.name}`, p.peers.map((x) => `peer ${x.name} ${x.endpoint}`));

const printConfig = (v: ConfigView): string => [
  `# Configuration for load balancer ${v.lbId}`,
  printGlobal(v.global),
  printDefaults(),
  ...(v.peers ? [printPeers(v.peers)] : []),
  ...v.frontends.map(printFrontend),
  ...v.backends.map((b) => printBackend(b, v.peers)),
].join('\n\n') + '\n';

/**
 * Renders the HAProxy 2.6 config for one load balancer. Pure and deterministic: listeners are
 * ordered by port then id, members by id, and a pool's backend follows its listener.
 *
 * - Objects in PENDING_DELETE are left out. A pool that no listener has as its default pool
 *   (or that is disabled) gets no backend: nothing could send it traffic, and its members are
 *   not health-checked, so their operating status stays as last reported.
 * - A disabled listener, or every listener of a disabled load balancer, gets `disabled`.
 * - L7 policies render in the listener's frontend (see {@link aclTest} and printL7); a pool gets
 *   a backend when it is a listener's default pool or the target of one of its live policies,
 *   and serves one listener only.
 * - Names and descriptions are never rendered; section and server names are IDs.
 *
 * @throws FulcrumError VALIDATION naming the object and field when a value cannot be made safe
 *   (not a UUID, address, CIDR, cookie name, URL path, domain name, status list, header name,
 *   L7 pattern, regex or redirect URL; out of range), or when the graph is inconsistent (two
 *   listeners share a pool, a missing pool).
 * - TERMINATED_HTTPS listeners and `tls_enabled` pools read the files `tlsFiles` lists, under
 *   `paths.tlsDir`, from the graph's resolved `tls` material (render-tls.ts).
 * @throws FulcrumError UNSUPPORTED_OPTION for UDP and SCTP listeners, UDP and SCTP pools,
 *   UDP-CONNECT/SCTP monitors, PING monitors without `paths.pingCheck`, and PROMETHEUS
 *   listeners when `opts.hasPrometheusExporter` is not set.
 */
export function renderConfig(graph: LoadBalancerGraph, paths: HaproxyPaths, opts: RenderOptions = {}): string {
  return printConfig(toView(graph, paths, opts));
}

/**
 * The PING health check program of one load balancer (`paths.pingCheck`), a POSIX shell script
 * HAProxy forks for each check as Octavia's amphora `ping-wrapper.sh`: one echo request, answered
 * within a second. HAProxy passes the member's own address (its third argument) even when the
 * server line has `addr`, so members with a `monitor_address` are looked up by server name (the
 * member ID) in a table written here. HAProxy runs it with an empty environment, hence the
 * absolute path. Pure; every value is a UUID or an IP address. @throws FulcrumError VALIDATION.
 */
export function renderPingCheck(graph: LoadBalancerGraph): string {
  const pinged = new Set(graph.healthMonitors.filter((h) => h.type === 'PING' && isLive(h) && h.adminStateUp).map((h) => h.poolId as string));
  const targets = graph.members.filter((m) => pinged.has(m.poolId) && isLive(m) && m.monitorAddress !== null).sort(byId)
    .map((m) => {
      const at = (field: string): CfgSite => site('member', m.id, field);
      const ip = cfgIp(m.monitorAddress, at('monitor_address'));
      return `  ${cfgId(m.id, at('id'))}) target=${ip.family === 6 ? ip.host.slice(1, -1) : ip.host} ;;`;
    });
  return [
    '#!/bin/sh',
    `# Fulcrum's PING health check for load balancer ${cfgId(graph.loadBalancer.id, site('loadbalancer', graph.loadBalancer.id, 'id'))}, run by HAProxy:`,
    '# <proxy address> <proxy port> <server address> <server port>, the server name in HAPROXY_SERVER_NAME.',
    'target=$3',
    ...(targets.length === 0 ? [] : ['case "$HAPROXY_SERVER_NAME" in', ...targets, 'esac']),
    'exec /usr/bin/ping -n -q -c 1 -w 1 -- "$target" >/dev/null 2>&1',
    '',
  ].join('\n');
}
