/**
 * @module api/octavia/schemas — request schemas (TypeBox) shared by the Octavia resources, with
 * Octavia's bounds. Ajv runs with no type coercion and no silent removal: an unknown field is a 400.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import {
  COOKIE_NAME_PATTERN, DOMAIN_NAME_PATTERN, EXPECTED_CODES_PATTERN, MAX_HM_RETRIES, MAX_HM_SECONDS, MAX_L7_STRING, MAX_L7POLICY_POSITION,
  MAX_TIMEOUT, MAX_WEIGHT, MIN_CONNECTION_LIMIT, MIN_HM_RETRIES, MIN_L7POLICY_POSITION, MIN_TIMEOUT, MIN_WEIGHT,
  SUPPORTED_HTTP_VERSIONS,
} from '../../domain/limits.js';
import {
  CLIENT_AUTHENTICATION_MODES, HEALTH_MONITOR_TYPES, HTTP_METHODS, L7POLICY_ACTIONS, L7POLICY_REDIRECT_HTTP_CODES,
  L7RULE_COMPARE_TYPES, L7RULE_TYPES, LB_ALGORITHMS, LISTENER_PROTOCOLS, PERSISTENCE_TYPES, POOL_PROTOCOLS,
} from '../../domain/model.js';

/** An optional field that also accepts JSON null (read as "not given" on create). */
export const Opt = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));

export const Uuid = Type.String({ format: 'uuid' });
export const Name = Type.String({ maxLength: 255 });
export const Description = Type.String({ maxLength: 255 });
export const ProjectId = Type.String({ maxLength: 36 });
export const IpAddress = Type.String({ format: 'ip' });
export const Tags = Type.Array(Type.String({ maxLength: 255 }));
export const Port = Type.Integer({ minimum: 1, maximum: 65535 });

/** `{"<wrapper>": {...}}`, the envelope of every Octavia request body. */
export function envelope<K extends string, T extends TSchema>(key: K, inner: T) {
  const props = { [key]: inner } as { [P in K]: T };
  return Type.Object(props, { additionalProperties: false });
}

export const LoadBalancerPut = Type.Object({
  name: Opt(Name), description: Opt(Description), vip_qos_policy_id: Opt(Uuid),
  admin_state_up: Type.Optional(Type.Boolean()), tags: Opt(Tags),
}, { additionalProperties: false });

/** Builds the LB POST schema around the (fully-populated) listener and pool schemas. */
export function loadBalancerPost(listener: TSchema, pool: TSchema) {
  return Type.Object({
    name: Opt(Name), description: Opt(Description), admin_state_up: Type.Optional(Type.Boolean()),
    vip_address: Opt(IpAddress), vip_port_id: Opt(Uuid), vip_subnet_id: Opt(Uuid), vip_network_id: Opt(Uuid),
    vip_qos_policy_id: Opt(Uuid),
    additional_vips: Type.Optional(Type.Array(Type.Object({ subnet_id: Uuid, ip_address: Opt(IpAddress) }, { additionalProperties: false }), { maxItems: 0 })),
    project_id: Opt(ProjectId), listeners: Opt(Type.Array(listener)), pools: Opt(Type.Array(pool)),
    provider: Opt(Type.String({ maxLength: 64 })), tags: Opt(Tags), flavor_id: Opt(Uuid),
    availability_zone: Opt(Type.String({ maxLength: 255 })),
  }, { additionalProperties: false });
}

/** Drops keys whose value is null or undefined (null means "not given" on create). */
export function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as { [K in keyof T]?: Exclude<T[K], null> };
}

/** A string enum whose Ajv error reads "Value should be one of: …" (wsme's `Enum`). */
export const StrEnum = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: [...values] });

export const Ref = Type.String({ maxLength: 255 });
/**
 * Octavia leaves these integers unbounded, but its columns (and ours on PostgreSQL) are 32-bit:
 * a larger value is a 400 here rather than a database error.
 */
const INT32_MAX = 2147483647;
const Int32 = (min?: number) => Type.Integer({ ...(min === undefined ? {} : { minimum: min }), maximum: INT32_MAX });
export const Timeout = Type.Integer({ minimum: MIN_TIMEOUT, maximum: MAX_TIMEOUT });
export const TlsVersions = Type.Array(Type.String({ maxLength: 32 }));
/** ALPN ids are checked by the service, which names the field with wsme's message. */
export const AlpnProtocols = Type.Array(Type.String());

/** Listener fields shared by `POST /listeners` and a listener of a fully-populated create. */
export const listenerFields = {
  name: Opt(Name), description: Opt(Description), admin_state_up: Type.Optional(Type.Boolean()),
  protocol: StrEnum(LISTENER_PROTOCOLS), protocol_port: Port,
  connection_limit: Opt(Int32(MIN_CONNECTION_LIMIT)),
  default_tls_container_ref: Opt(Ref), sni_container_refs: Opt(Type.Array(Ref)), default_pool_id: Opt(Uuid),
  /**
   * Octavia's `POST /listeners` takes only an empty list (its repository fails on a non-empty
   * one); policies come with a fully-populated create (graph.ts) or `POST /l7policies`.
   */
  l7policies: Opt(Type.Array(Type.Unknown(), { maxItems: 0 })),
  insert_headers: Opt(Type.Record(Type.String(), Type.String({ maxLength: 255 }))),
  timeout_client_data: Opt(Timeout), timeout_member_connect: Opt(Timeout), timeout_member_data: Opt(Timeout),
  timeout_tcp_inspect: Opt(Timeout), tags: Opt(Tags),
  client_ca_tls_container_ref: Opt(Ref), client_authentication: Opt(StrEnum(CLIENT_AUTHENTICATION_MODES)),
  client_crl_container_ref: Opt(Ref), allowed_cidrs: Opt(Type.Array(Type.String())),
  tls_ciphers: Opt(Type.String({ maxLength: 2048 })), tls_versions: Opt(TlsVersions), alpn_protocols: Opt(AlpnProtocols),
  hsts_max_age: Opt(Int32(0)), hsts_include_subdomains: Type.Optional(Type.Boolean()), hsts_preload: Type.Optional(Type.Boolean()),
};

export const ListenerPut = Type.Object({
  name: Opt(Name), description: Opt(Description), admin_state_up: Type.Optional(Type.Boolean()),
  connection_limit: Opt(Int32(MIN_CONNECTION_LIMIT)),
  default_tls_container_ref: Opt(Ref), sni_container_refs: Opt(Type.Array(Ref)), default_pool_id: Opt(Uuid),
  insert_headers: Opt(Type.Record(Type.String(), Type.String({ maxLength: 255 }))),
  timeout_client_data: Opt(Timeout), timeout_member_connect: Opt(Timeout), timeout_member_data: Opt(Timeout),
  timeout_tcp_inspect: Opt(Timeout), tags: Opt(Tags),
  client_ca_tls_container_ref: Opt(Ref), client_authentication: Opt(StrEnum(CLIENT_AUTHENTICATION_MODES)),
  client_crl_container_ref: Opt(Ref), allowed_cidrs: Opt(Type.Array(Type.String())),
  tls_ciphers: Opt(Type.String({ maxLength: 2048 })), tls_versions: Opt(TlsVersions), alpn_protocols: Opt(AlpnProtocols),
  hsts_max_age: Opt(Int32(0)), hsts_include_subdomains: Type.Optional(Type.Boolean()), hsts_preload: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

const CookieName = Type.String({ maxLength: 255, pattern: COOKIE_NAME_PATTERN });

/** `session_persistence` of a POST (`type` mandatory) and of a PUT (`type` may fall back to the stored one). */
export const SessionPersistencePost = Type.Object({
  type: StrEnum(PERSISTENCE_TYPES), cookie_name: Opt(CookieName), persistence_timeout: Opt(Int32()),
  persistence_granularity: Opt(IpAddress),
}, { additionalProperties: false });
export const SessionPersistencePut = Type.Object({
  type: Type.Optional(StrEnum(PERSISTENCE_TYPES)), cookie_name: Opt(CookieName), persistence_timeout: Opt(Int32()),
  persistence_granularity: Opt(IpAddress),
}, { additionalProperties: false });

/** Pool fields shared by `POST /pools` and a pool of a fully-populated create. */
export const poolFields = {
  name: Opt(Name), description: Opt(Description), admin_state_up: Type.Optional(Type.Boolean()),
  protocol: StrEnum(POOL_PROTOCOLS), lb_algorithm: StrEnum(LB_ALGORITHMS),
  session_persistence: Opt(SessionPersistencePost), tags: Opt(Tags),
  tls_container_ref: Opt(Ref), ca_tls_container_ref: Opt(Ref), crl_container_ref: Opt(Ref),
  tls_enabled: Type.Optional(Type.Boolean()), tls_ciphers: Opt(Type.String({ maxLength: 2048 })),
  tls_versions: Opt(TlsVersions), alpn_protocols: Opt(AlpnProtocols),
};

export const PoolPut = Type.Object({
  name: Opt(Name), description: Opt(Description), admin_state_up: Type.Optional(Type.Boolean()),
  lb_algorithm: Type.Optional(StrEnum(LB_ALGORITHMS)), session_persistence: Opt(SessionPersistencePut), tags: Opt(Tags),
  tls_container_ref: Opt(Ref), ca_tls_container_ref: Opt(Ref), crl_container_ref: Opt(Ref),
  tls_enabled: Type.Optional(Type.Boolean()), tls_ciphers: Opt(Type.String({ maxLength: 2048 })),
  tls_versions: Opt(TlsVersions), alpn_protocols: Opt(AlpnProtocols),
}, { additionalProperties: false });

const Weight = Type.Integer({ minimum: MIN_WEIGHT, maximum: MAX_WEIGHT });

/** Member fields shared by `POST …/members` and a member of a fully-populated create. */
export const memberFields = {
  name: Opt(Name), admin_state_up: Type.Optional(Type.Boolean()), address: IpAddress, protocol_port: Port,
  weight: Opt(Weight), backup: Opt(Type.Boolean()), subnet_id: Opt(Uuid), monitor_port: Opt(Port),
  monitor_address: Opt(IpAddress), tags: Opt(Tags),
};

export const MemberPut = Type.Object({
  name: Opt(Name), admin_state_up: Type.Optional(Type.Boolean()), weight: Opt(Weight), backup: Opt(Type.Boolean()),
  monitor_port: Opt(Port), monitor_address: Opt(IpAddress), tags: Opt(Tags),
}, { additionalProperties: false });

const Retries = Type.Integer({ minimum: MIN_HM_RETRIES, maximum: MAX_HM_RETRIES });
/**
 * Health monitor delay and timeout, in seconds. Octavia takes any 32-bit integer; HAProxy counts
 * `inter` and `timeout check` in milliseconds in 32 bits and refuses more than 2,147,483 s, so a
 * larger value would be accepted here and then fail in the data plane.
 */
const MonitorSeconds = Type.Integer({ minimum: 1, maximum: MAX_HM_SECONDS });
const ExpectedCodes = Type.String({ pattern: EXPECTED_CODES_PATTERN });
const HttpVersion = Type.Unsafe<number>({ type: 'number', enum: [...SUPPORTED_HTTP_VERSIONS] });
const DomainName = Type.String({ minLength: 1, maxLength: 255, pattern: DOMAIN_NAME_PATTERN });

/** Health monitor fields shared by `POST /healthmonitors` and a monitor of a fully-populated create. */
export const healthMonitorFields = {
  name: Opt(Name), type: StrEnum(HEALTH_MONITOR_TYPES), delay: MonitorSeconds,
  timeout: MonitorSeconds, max_retries_down: Opt(Retries), max_retries: Retries,
  http_method: Opt(StrEnum(HTTP_METHODS)), url_path: Opt(Type.String()), expected_codes: Opt(ExpectedCodes),
  admin_state_up: Type.Optional(Type.Boolean()), tags: Opt(Tags), http_version: Opt(HttpVersion),
  domain_name: Opt(DomainName),
};

export const HealthMonitorPut = Type.Object({
  name: Opt(Name), delay: Opt(MonitorSeconds), timeout: Opt(MonitorSeconds),
  max_retries_down: Opt(Retries), max_retries: Opt(Retries), http_method: Opt(StrEnum(HTTP_METHODS)),
  url_path: Opt(Type.String()), expected_codes: Opt(ExpectedCodes), admin_state_up: Type.Optional(Type.Boolean()),
  tags: Opt(Tags), http_version: Opt(HttpVersion), domain_name: Opt(DomainName),
}, { additionalProperties: false });


/** An integer enum whose Ajv error reads "Value should be one of: …" (wsme's `Enum(int, …)`). */
const IntEnum = <T extends number>(values: readonly T[]) => Type.Unsafe<T>({ type: 'integer', enum: [...values] });
/** wsme's `StringType(max_length=255, pattern=r'^[^\r\n]*$')` of an L7 rule's key and value. */
const L7String = Type.String({ maxLength: MAX_L7_STRING, pattern: '^[^\\r\\n]*$' });
/** A redirect URL or prefix; the service checks it is one (wsme's `URLType`, with its message). */
const RedirectUrl = Type.String({ maxLength: MAX_L7_STRING });
const Position = Type.Integer({ minimum: MIN_L7POLICY_POSITION, maximum: MAX_L7POLICY_POSITION });

/** Rule fields shared by `POST …/rules`, a policy's `rules` and a fully-populated create (`L7RuleSingleCreate`). */
export const l7RuleFields = {
  type: StrEnum(L7RULE_TYPES), compare_type: StrEnum(L7RULE_COMPARE_TYPES), key: Opt(L7String), value: L7String,
  invert: Opt(Type.Boolean()), admin_state_up: Type.Optional(Type.Boolean()), tags: Opt(Tags),
};
export const L7RuleSingleCreate = Type.Object(l7RuleFields, { additionalProperties: false });

export const L7RulePut = Type.Object({
  type: Opt(StrEnum(L7RULE_TYPES)), compare_type: Opt(StrEnum(L7RULE_COMPARE_TYPES)), key: Opt(L7String),
  value: Opt(L7String), invert: Opt(Type.Boolean()), admin_state_up: Opt(Type.Boolean()), tags: Opt(Tags),
}, { additionalProperties: false });

/** Policy fields shared by `POST /l7policies` and a fully-populated create (`L7PolicySingleCreate`, less the pool). */
export const l7PolicyFields = {
  name: Opt(Name), description: Opt(Description), admin_state_up: Type.Optional(Type.Boolean()),
  action: StrEnum(L7POLICY_ACTIONS), redirect_url: Opt(RedirectUrl), redirect_prefix: Opt(RedirectUrl),
  position: Opt(Position), rules: Opt(Type.Array(L7RuleSingleCreate)), tags: Opt(Tags),
  redirect_http_code: Opt(IntEnum(L7POLICY_REDIRECT_HTTP_CODES)),
};

export const L7PolicyPut = Type.Object({
  name: Opt(Name), description: Opt(Description), admin_state_up: Type.Optional(Type.Boolean()),
  action: Type.Optional(StrEnum(L7POLICY_ACTIONS)), redirect_pool_id: Opt(Uuid), redirect_url: Opt(RedirectUrl),
  redirect_prefix: Opt(RedirectUrl), position: Type.Optional(Position), tags: Opt(Tags),
  redirect_http_code: Opt(IntEnum(L7POLICY_REDIRECT_HTTP_CODES)),
}, { additionalProperties: false });
