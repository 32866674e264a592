/**
 * @module domain/limits — Octavia's bounds, defaults and supported values for listeners, pools,
 * members and health monitors (`octavia/common/constants.py`, `octavia_lib/common/constants.py`,
 * and the `[api_settings]`/`[haproxy_amphora]` defaults of `octavia/common/config.py`).
 */
import type { HealthMonitorType, HttpMethod, ListenerProtocol, PoolProtocol } from './model.js';

export const MIN_PORT_NUMBER = 1;
export const MAX_PORT_NUMBER = 65535;
export const DEFAULT_CONNECTION_LIMIT = -1;
export const MIN_CONNECTION_LIMIT = -1;
export const DEFAULT_WEIGHT = 1;
export const MIN_WEIGHT = 0;
export const MAX_WEIGHT = 256;
export const DEFAULT_MAX_RETRIES_DOWN = 3;
export const MIN_HM_RETRIES = 1;
export const MAX_HM_RETRIES = 10;
/** 24 days in milliseconds. */
export const MAX_TIMEOUT = 24 * 24 * 60 * 60 * 1000;
export const MIN_TIMEOUT = 0;

/** Listener timeouts when none is given (Octavia `[haproxy_amphora] timeout_*`). */
export const DEFAULT_TIMEOUTS = {
  timeoutClientData: 50000,
  timeoutMemberConnect: 5000,
  timeoutMemberData: 50000,
  timeoutTcpInspect: 0,
} as const;

/** HTTP/HTTPS health monitor defaults. */
export const HEALTH_MONITOR_HTTP_DEFAULT_METHOD: HttpMethod = 'GET';
export const HEALTH_MONITOR_DEFAULT_URL_PATH = '/';
export const HEALTH_MONITOR_DEFAULT_EXPECTED_CODES = '200';
/** `[api_settings] udp_connect_min_interval_health_monitor`. */
export const UDP_CONNECT_MIN_INTERVAL_HEALTH_MONITOR = 3;
/** Largest health monitor delay or timeout, in seconds: HAProxy's 32-bit millisecond timers (2^31 − 1 ms). */
export const MAX_HM_SECONDS = 2_147_483;
export const SUPPORTED_HTTP_VERSIONS = [1.0, 1.1] as const;
/** A host name as Octavia accepts it for `domain_name` (`DOMAIN_NAME_REGEX`, in JS syntax). */
export const DOMAIN_NAME_PATTERN = '^(?=.{1,253}\\.?$)(?:(?!-|[^.]+_)[A-Za-z0-9-_]{1,63}(?<!-)(?:\\.|$))+$';
export const EXPECTED_CODES_PATTERN = '^(\\d{3}(\\s*,\\s*\\d{3})*)$|^(\\d{3}-\\d{3})$';
/** Characters a cookie name may not contain (`SessionPersistencePOST.cookie_name`). */
export const COOKIE_NAME_PATTERN = '^[^\\s,;\\\\]+$';

/** Headers a listener may insert, and the client-certificate ones (TERMINATED_HTTPS only). */
export const SUPPORTED_HTTP_HEADERS = ['X-Forwarded-For', 'X-Forwarded-Port', 'X-Forwarded-Proto'] as const;
export const SUPPORTED_SSL_HEADERS = [
  'X-SSL-Client-Verify', 'X-SSL-Client-Has-Cert', 'X-SSL-Client-DN', 'X-SSL-Client-CN', 'X-SSL-Issuer',
  'X-SSL-Client-SHA1', 'X-SSL-Client-Not-Before', 'X-SSL-Client-Not-After',
] as const;
export const LISTENER_PROTOCOLS_SUPPORTING_HEADER_INSERTION: readonly ListenerProtocol[] = ['HTTP', 'TERMINATED_HTTPS'];

/** TLS versions, oldest first (`TLS_ALL_VERSIONS`). */
export const TLS_ALL_VERSIONS = ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export const SUPPORTED_ALPN_PROTOCOLS = ['h2', 'http/1.1', 'http/1.0'] as const;
/** `[api_settings] default_listener_ciphers` / `default_pool_ciphers` (OWASP suite B). */
export const DEFAULT_TLS_CIPHERS =
  'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:DHE-RSA-AES256-GCM-SHA384:' +
  'DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-SHA256:' +
  'DHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256';
export const DEFAULT_TLS_VERSIONS: readonly string[] = ['TLSv1.2', 'TLSv1.3'];
export const DEFAULT_ALPN_PROTOCOLS: readonly string[] = ['h2', 'http/1.1', 'http/1.0'];

/** Addresses no member may use (`[networking] reserved_ips`). */
export const RESERVED_MEMBER_ADDRESSES: readonly string[] = ['169.254.169.254'];

/** The transport a protocol listens on (`L4_PROTOCOL_MAP`): one listener per port and transport. */
export function l4Protocol(p: ListenerProtocol | PoolProtocol): 'TCP' | 'UDP' | 'SCTP' {
  return p === 'UDP' || p === 'SCTP' ? p : 'TCP';
}

/** Protocols served by LVS in Octavia (`LVS_PROTOCOLS`): their pools have their own rules. */
export function isLvsProtocol(p: PoolProtocol): boolean {
  return p === 'UDP' || p === 'SCTP';
}

/** Health monitor types allowed on a UDP or SCTP pool. */
export const LVS_HEALTH_MONITOR_TYPES: readonly HealthMonitorType[] = ['UDP-CONNECT', 'SCTP', 'TCP', 'HTTP'];


/** L7 policy positions run from 1; a larger position than there are policies appends (`[MIN|MAX]_POLICY_POSITION`). */
export const MIN_L7POLICY_POSITION = 1;
export const MAX_L7POLICY_POSITION = 2147483647;
/** `MAX_L7RULES_PER_L7POLICY`: HAProxy failed to parse a policy with more than 53 rules in Octavia's tests. */
export const MAX_L7RULES_PER_L7POLICY = 50;
/** The code of a REDIRECT_TO_URL or REDIRECT_PREFIX policy that names none (Octavia's explicit default). */
export const DEFAULT_L7_REDIRECT_HTTP_CODE = 302;
/** Listener protocols whose requests L7 rules can look into (HTTP semantics in HAProxy). */
export const L7_LISTENER_PROTOCOLS: readonly ListenerProtocol[] = ['HTTP', 'TERMINATED_HTTPS'];
/** Longest L7 rule key and value, and redirect URL or prefix (Octavia's string types and columns). */
export const MAX_L7_STRING = 255;
