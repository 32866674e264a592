/**
 * @module config — `fulcrum up` settings from flags, then `FULCRUM_*` environment variables,
 * then defaults. Every setting is validated here, once.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { resolve, join } from 'node:path';

export const AUTH_MODES = ['noauth', 'embedded', 'keystone'] as const;
export const INTERFACE_DRIVERS = ['netns', 'host'] as const;
/** What HAProxy resends when a server fails a request (drivers/haproxy/render.ts `L7_RETRIES`). */
export const L7_RETRY_MODES = ['off', 'idempotent'] as const;
/** SQLite's `synchronous` pragma with WAL: what an acknowledged write survives (store/dialect-sqlite.ts). */
export const SQLITE_SYNCHRONOUS = ['normal', 'full'] as const;
export type SqliteSynchronous = (typeof SQLITE_SYNCHRONOUS)[number];

export interface Config {
  dataDir: string;
  listenHost: string;
  listenPort: number;
  /** `--metrics-listen`: a second address serving only `GET /metrics`, without authentication (null: none). */
  metricsListen: { host: string; port: number } | null;
  /**
   * `sqlite:<file>` or a `postgresql://` URL. For SQLite, `synchronous` is the commit's durability
   * (`--sqlite-synchronous`): NORMAL survives the crash of any process, FULL also an OS crash or
   * power loss (store/dialect-sqlite.ts).
   */
  database: { kind: 'sqlite'; file: string; synchronous: SqliteSynchronous } | { kind: 'postgres'; url: string };
  auth: (typeof AUTH_MODES)[number];
  interfaceDriver: (typeof INTERFACE_DRIVERS)[number];
  /** The provider used when a load balancer names none. */
  defaultProvider: string;
  /** `--l7-retries`: whether HTTP backends resend idempotent requests a server closed before answering. */
  l7Retries: (typeof L7_RETRY_MODES)[number];
  logLevel: string;
  /** The base URL clients reach this server at: the catalog, credential files and links use it. */
  publicUrl: string;
  /** The catalog's region. */
  region: string;
  /** Lifetime of tokens the embedded identity issues. */
  tokenTtlSeconds: number;
  /** `--auth keystone`: the external Keystone and this service's account there. */
  keystone: KeystoneConfig | null;
  /** The agent's node name (`--host`; default the machine's host name): what availability zone profiles' `hosts` name, and amphorae's compute_id. */
  host: string;
  /** An agent silent this long is dead and its load balancers are rebuilt elsewhere (ms). */
  agentDownMs: number;
  /** Octavia's failover_threshold: this many load balancers on dead agents at once stop all rebuilds. */
  failoverThreshold: number;
  /** How often an agent heartbeats (ms). */
  heartbeatMs: number;
  /** Whether an agent cut off from the database stops its load balancers (`--self-fence`, README: fencing). */
  selfFence: boolean;
  /** VXLAN ids new networks take (`--vni-range MIN:MAX`). */
  vniRange: [number, number];
  /** The agent's VXLAN endpoint, when networks span nodes (`--vxlan-local-ip`, `--vxlan-dev`, `--vxlan-group`). */
  vxlan: { localIp: string; dev: string; group: string } | null;
  /** The namespace holding this node's bridges (`--bridge-netns`: several nodes on one machine), or null for the root namespace. */
  bridgeNetns: string | null;
  /** The load balancers' namespace prefix (`--namespace-prefix`, default `qlbaas-`). */
  namespacePrefix: string;
  /** Quota defaults per resource (-1: unlimited), for projects without a quota of their own. */
  quotaDefaults: Record<QuotaResource, number>;
  /** The 32-byte key that encrypts the certificate store's secrets at rest. */
  secretKeyFile: string;
  /** True when the key file is the default one, which is created on the first start. */
  isDefaultSecretKey: boolean;
}

/** The quota resources (domain/operator's QUOTA_RESOURCES; config imports nothing of src). */
export type QuotaResource = 'loadBalancer' | 'listener' | 'pool' | 'member' | 'healthMonitor' | 'l7policy' | 'l7rule';
/** Octavia's MAX_QUOTA. */
const MAX_QUOTA = 2_000_000_000;

/** The quota default options: flag, environment variable and resource. */
export const QUOTA_OPTIONS = [
  ['quota-load-balancer', 'FULCRUM_QUOTA_LOAD_BALANCER', 'loadBalancer'],
  ['quota-listener', 'FULCRUM_QUOTA_LISTENER', 'listener'],
  ['quota-pool', 'FULCRUM_QUOTA_POOL', 'pool'],
  ['quota-member', 'FULCRUM_QUOTA_MEMBER', 'member'],
  ['quota-health-monitor', 'FULCRUM_QUOTA_HEALTH_MONITOR', 'healthMonitor'],
  ['quota-l7policy', 'FULCRUM_QUOTA_L7POLICY', 'l7policy'],
  ['quota-l7rule', 'FULCRUM_QUOTA_L7RULE', 'l7rule'],
] as const satisfies readonly (readonly [string, string, QuotaResource])[];

export interface KeystoneConfig {
  url: string;
  username: string;
  password: string;
  projectName: string;
  userDomainName: string;
  projectDomainName: string;
  /** How long a validated token is trusted before asking Keystone again. */
  cacheSeconds: number;
}

export const UP_HELP = `Usage: fulcrum up [options]

Runs the API server and the agent in one process, in the foreground.

Options (each also read from the environment variable shown):
  --data-dir DIR            state directory: SQLite file, runtime files   [FULCRUM_DATA_DIR, ./.fulcrum]
  --listen HOST:PORT        API address                                   [FULCRUM_LISTEN, 127.0.0.1:9876]
  --metrics-listen ADDR     HOST:PORT serving only GET /metrics, no auth  [FULCRUM_METRICS_LISTEN, none]
                            (for Prometheus; on the API, /metrics is admin-only)
  --database URL            sqlite:PATH or postgresql://USER@HOST:PORT/DB [FULCRUM_DATABASE, sqlite:DATA_DIR/fulcrum.db]
  --sqlite-synchronous MODE normal: an acknowledged write survives the   [FULCRUM_SQLITE_SYNCHRONOUS, normal]
                            crash of any process; full: also an OS crash
                            or power loss (an fsync per commit)
  --auth MODE               embedded | keystone | noauth                  [FULCRUM_AUTH, embedded]
  --interface-driver NAME   netns | host                                  [FULCRUM_INTERFACE_DRIVER, netns]
  --provider NAME           default provider for new load balancers       [FULCRUM_PROVIDER, haproxy]
  --log-level LEVEL         fatal|error|warn|info|debug                   [FULCRUM_LOG_LEVEL, info]
  --l7-retries MODE         off | idempotent: HTTP pools resend a GET,    [FULCRUM_L7_RETRIES, off]
                            HEAD, OPTIONS, PUT, DELETE or TRACE that a
                            member closed before answering (costs ~6 %
                            of peak req/s)
  --host NAME               this node's agent name (availability zones'   [FULCRUM_HOST, the host name]
                            "hosts", amphorae's compute_id)
  --agent-down-time SECONDS an agent silent this long is dead; its load    [FULCRUM_AGENT_DOWN_TIME, 10]
                            balancers are rebuilt on other agents
  --failover-threshold N    this many load balancers on dead agents at     [FULCRUM_FAILOVER_THRESHOLD, 20]
                            once stop every rebuild (a partition, not a dead node)
  --vni-range MIN:MAX       VXLAN ids new networks take                   [FULCRUM_VNI_RANGE, 1:16777215]
  --secret-key-file FILE    key encrypting stored secrets (32 bytes,      [FULCRUM_SECRET_KEY_FILE, DATA_DIR/secret.key,
                            base64 or hex, mode 0600)                      created on the first start]
  -h, --help                this help

Identity (--auth embedded: Fulcrum serves Keystone v3 at PUBLIC_URL/v3):
  --public-url URL          where clients reach this server (catalog,     [FULCRUM_PUBLIC_URL, http://LISTEN]
                            openrc files, clouds.yaml)
  --region NAME             the catalog's region                          [FULCRUM_REGION, RegionOne]
  --token-ttl SECONDS       lifetime of issued tokens                     [FULCRUM_TOKEN_TTL, 3600]

Quota defaults, for projects without their own (-1: unlimited, as Octavia's defaults):
  --quota-load-balancer N   [FULCRUM_QUOTA_LOAD_BALANCER, -1]   --quota-listener N  [FULCRUM_QUOTA_LISTENER, -1]
  --quota-pool N            [FULCRUM_QUOTA_POOL, -1]            --quota-member N    [FULCRUM_QUOTA_MEMBER, -1]
  --quota-health-monitor N  [FULCRUM_QUOTA_HEALTH_MONITOR, -1]  --quota-l7policy N  [FULCRUM_QUOTA_L7POLICY, -1]
  --quota-l7rule N          [FULCRUM_QUOTA_L7RULE, -1]

External Keystone (--auth keystone: tokens are validated there, as keystonemiddleware does):
  --keystone-url URL        Keystone's public URL (http://HOST:5000)      [FULCRUM_KEYSTONE_URL]
  --keystone-user NAME      Fulcrum's service user                        [FULCRUM_KEYSTONE_USER, fulcrum]
  --keystone-password-file FILE  its password (or FULCRUM_KEYSTONE_PASSWORD) [FULCRUM_KEYSTONE_PASSWORD_FILE]
  --keystone-project NAME   the service user's project                    [FULCRUM_KEYSTONE_PROJECT, service]
  --keystone-domain NAME    the user's and project's domain               [FULCRUM_KEYSTONE_DOMAIN, Default]
  --token-cache SECONDS     how long a validated token is trusted         [FULCRUM_TOKEN_CACHE, 60]
`;

export const SERVER_HELP = `Usage: fulcrum server [options]

Runs an API server only (stateless: run as many as you like on one PostgreSQL database), and
the scheduler's sweep that rebuilds the load balancers of dead agents on live ones. On PostgreSQL
it serves the event stream (GET /v2/lbaas/events) with every server's and agent's changes, under
event ids that are the same on every server.

Options: those of fulcrum up (see fulcrum up --help) except --interface-driver and --host; with
--database postgresql://USER@HOST:PORT/DB for more than one process, and
  --vni-range MIN:MAX       VXLAN ids new networks take                   [FULCRUM_VNI_RANGE, 1:16777215]
`;

export const AGENT_HELP = `Usage: fulcrum agent --host NAME [options]

Runs the agent of one network node: it registers under NAME, heartbeats, and builds the load
balancers the scheduler places on it.

Options (each also read from the environment variable shown):
  --host NAME               this node's name, unique                      [FULCRUM_HOST, the host name]
  --database URL            postgresql://USER@HOST:PORT/DB (shared)       [FULCRUM_DATABASE]
  --data-dir DIR            runtime files of this node's load balancers    [FULCRUM_DATA_DIR, ./.fulcrum]
  --interface-driver NAME   netns | host                                  [FULCRUM_INTERFACE_DRIVER, netns]
  --heartbeat-interval SECONDS  how often it heartbeats                   [FULCRUM_HEARTBEAT_INTERVAL, 1]
  --agent-down-time SECONDS the servers' dead-agent time (set the same)   [FULCRUM_AGENT_DOWN_TIME, 10]
  --self-fence on|off       on: with no heartbeat reaching the database    [FULCRUM_SELF_FENCE, on]
                            for the down time less one heartbeat interval,
                            stop every load balancer here (they are being
                            rebuilt elsewhere); reconcile when it returns
  --vxlan-local-ip IP       this node's underlay address: networks span    [FULCRUM_VXLAN_LOCAL_IP, none]
                            nodes with a vxlan-<VNI> device on each bridge
  --vxlan-dev DEV           the underlay device                           [FULCRUM_VXLAN_DEV]
  --vxlan-group ADDR        multicast group for flooding                  [FULCRUM_VXLAN_GROUP, 239.1.1.1]
  --bridge-netns NAME       bridges live in this namespace (several nodes  [FULCRUM_BRIDGE_NETNS, none]
                            on one machine: tests, bench/ha)
  --namespace-prefix P      load balancer namespaces are P<id>             [FULCRUM_NAMESPACE_PREFIX, qlbaas-]
  --metrics-listen ADDR     HOST:PORT serving only GET /metrics, no auth  [FULCRUM_METRICS_LISTEN, none]
  --log-level LEVEL         fatal|error|warn|info|debug                   [FULCRUM_LOG_LEVEL, info]
  -h, --help                this help
`;

/** A setting that is wrong; the message names it. */
export class ConfigError extends Error {}

function pick<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')} (got '${value}')`);
  }
  return value as T;
}

/** Reads the configuration of `fulcrum up` from argv (after `up`) and the environment. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Config | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'data-dir': { type: 'string' }, listen: { type: 'string' }, 'metrics-listen': { type: 'string' }, database: { type: 'string' },
      auth: { type: 'string' }, 'interface-driver': { type: 'string' }, provider: { type: 'string' },
      'log-level': { type: 'string' }, 'l7-retries': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      'sqlite-synchronous': { type: 'string' },
      'public-url': { type: 'string' }, region: { type: 'string' }, 'token-ttl': { type: 'string' },
      'keystone-url': { type: 'string' }, 'keystone-user': { type: 'string' }, 'keystone-password-file': { type: 'string' },
      'keystone-project': { type: 'string' }, 'keystone-domain': { type: 'string' }, 'token-cache': { type: 'string' },
      host: { type: 'string' }, 'agent-down-time': { type: 'string' }, 'failover-threshold': { type: 'string' },
      'heartbeat-interval': { type: 'string' }, 'vni-range': { type: 'string' }, 'vxlan-local-ip': { type: 'string' },
      'vxlan-dev': { type: 'string' }, 'vxlan-group': { type: 'string' }, 'bridge-netns': { type: 'string' },
      'namespace-prefix': { type: 'string' }, 'self-fence': { type: 'string' },
      ...Object.fromEntries(QUOTA_OPTIONS.map(([flag]) => [flag, { type: 'string' as const }])),
      'secret-key-file': { type: 'string' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const dataDir = resolve(values['data-dir'] ?? env.FULCRUM_DATA_DIR ?? './.fulcrum');
  const listen = values.listen ?? env.FULCRUM_LISTEN ?? '127.0.0.1:9876';
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m || Number(m[2]) > 65535) throw new ConfigError(`--listen must be HOST:PORT (got '${listen}')`);
  const metricsListen = values['metrics-listen'] ?? env.FULCRUM_METRICS_LISTEN;
  const mm = metricsListen === undefined || metricsListen === '' ? null : /^(.+):(\d+)$/.exec(metricsListen);
  if (mm === null && metricsListen) throw new ConfigError(`--metrics-listen must be HOST:PORT (got '${metricsListen}')`);
  if (mm && Number(mm[2]) > 65535) throw new ConfigError(`--metrics-listen must be HOST:PORT (got '${metricsListen}')`);
  const dbUrl = values.database ?? env.FULCRUM_DATABASE ?? `sqlite:${join(dataDir, 'fulcrum.db')}`;
  let database: Config['database'];
  if (/^postgres(ql)?:\/\//.test(dbUrl)) database = { kind: 'postgres', url: dbUrl };
  else if (dbUrl.startsWith('sqlite:')) {
    database = {
      kind: 'sqlite', file: resolve(dbUrl.slice('sqlite:'.length).replace(/^\/\/\/?/, '/')),
      synchronous: pick('--sqlite-synchronous', values['sqlite-synchronous'] ?? env.FULCRUM_SQLITE_SYNCHRONOUS ?? 'normal', SQLITE_SYNCHRONOUS),
    };
  }
  else throw new ConfigError(`--database must be sqlite:PATH or postgresql://… (got '${dbUrl}')`);
  const listenHost = m[1]!.replace(/^\[(.*)\]$/, '$1');
  const auth = pick('--auth', values.auth ?? env.FULCRUM_AUTH ?? 'embedded', AUTH_MODES);
  // A wildcard listen address is no address to give clients: they get the host's name.
  const reachable = listenHost === '0.0.0.0' || listenHost === '::' ? hostname() : listenHost;
  const publicUrl = values['public-url'] ?? env.FULCRUM_PUBLIC_URL ?? `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${m[2]}`;
  if (!/^https?:\/\/[^/\s]+(\/[^\s]*)?$/.test(publicUrl)) throw new ConfigError(`--public-url must be an http(s) URL (got '${publicUrl}')`);
  return {
    dataDir,
    listenHost,
    listenPort: Number(m[2]),
    metricsListen: mm ? { host: mm[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(mm[2]) } : null,
    database,
    auth,
    publicUrl: publicUrl.replace(/\/+$/, ''),
    region: values.region ?? env.FULCRUM_REGION ?? 'RegionOne',
    tokenTtlSeconds: seconds('--token-ttl', values['token-ttl'] ?? env.FULCRUM_TOKEN_TTL ?? '3600', 1),
    keystone: auth === 'keystone' ? keystoneConfig(values, env) : null,
    quotaDefaults: Object.fromEntries(QUOTA_OPTIONS.map(([flag, envName, r]) => {
      const v = String((values as Record<string, unknown>)[flag] ?? env[envName] ?? '-1');
      if (!/^-?\d+$/.test(v) || Number(v) < -1 || Number(v) > MAX_QUOTA) throw new ConfigError(`--${flag} must be an integer from -1 to ${MAX_QUOTA} (got '${v}')`);
      return [r, Number(v)];
    })) as Record<QuotaResource, number>,
    interfaceDriver: pick('--interface-driver', values['interface-driver'] ?? env.FULCRUM_INTERFACE_DRIVER ?? 'netns', INTERFACE_DRIVERS),
    defaultProvider: values.provider ?? env.FULCRUM_PROVIDER ?? 'haproxy',
    l7Retries: pick('--l7-retries', values['l7-retries'] ?? env.FULCRUM_L7_RETRIES ?? 'off', L7_RETRY_MODES),
    logLevel: values['log-level'] ?? env.FULCRUM_LOG_LEVEL ?? 'info',
    host: hostName(values.host ?? env.FULCRUM_HOST ?? hostname()),
    agentDownMs: seconds('--agent-down-time', values['agent-down-time'] ?? env.FULCRUM_AGENT_DOWN_TIME ?? '10', 1) * 1000,
    failoverThreshold: count('--failover-threshold', values['failover-threshold'] ?? env.FULCRUM_FAILOVER_THRESHOLD ?? '20'),
    heartbeatMs: seconds('--heartbeat-interval', values['heartbeat-interval'] ?? env.FULCRUM_HEARTBEAT_INTERVAL ?? '1', 1) * 1000,
    selfFence: pick('--self-fence', values['self-fence'] ?? env.FULCRUM_SELF_FENCE ?? 'on', ['on', 'off'] as const) === 'on',
    vniRange: vniRange(values['vni-range'] ?? env.FULCRUM_VNI_RANGE ?? '1:16777215'),
    vxlan: vxlanConfig(values['vxlan-local-ip'] ?? env.FULCRUM_VXLAN_LOCAL_IP, values['vxlan-dev'] ?? env.FULCRUM_VXLAN_DEV, values['vxlan-group'] ?? env.FULCRUM_VXLAN_GROUP ?? '239.1.1.1'),
    bridgeNetns: linkish('--bridge-netns', values['bridge-netns'] ?? env.FULCRUM_BRIDGE_NETNS ?? null, 64),
    namespacePrefix: linkish('--namespace-prefix', values['namespace-prefix'] ?? env.FULCRUM_NAMESPACE_PREFIX ?? 'qlbaas-', 20)!,
    secretKeyFile: resolve(values['secret-key-file'] ?? env.FULCRUM_SECRET_KEY_FILE ?? join(dataDir, 'secret.key')),
    isDefaultSecretKey: (values['secret-key-file'] ?? env.FULCRUM_SECRET_KEY_FILE) === undefined,
  };
}

function vniRange(value: string): [number, number] {
  const m = /^(\d+):(\d+)$/.exec(value);
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2]);
  if (!m || lo < 1 || hi > 16_777_215 || lo > hi) throw new ConfigError(`--vni-range must be MIN:MAX within 1:16777215 (got '${value}')`);
  return [lo, hi];
}

function vxlanConfig(localIp: string | undefined, dev: string | undefined, group: string): Config['vxlan'] {
  if (localIp === undefined || localIp === '') return null;
  if (isIP(localIp) !== 4) throw new ConfigError(`--vxlan-local-ip must be an IPv4 address (got '${localIp}')`);
  if (dev === undefined || !/^[A-Za-z0-9_.-]{1,15}$/.test(dev)) throw new ConfigError(`--vxlan-local-ip needs --vxlan-dev, the underlay device (got '${dev ?? ''}')`);
  if (isIP(group) !== 4 || !/^(22[4-9]|23\d)\./.test(group)) throw new ConfigError(`--vxlan-group must be an IPv4 multicast address (got '${group}')`);
  return { localIp, dev, group };
}

/** A namespace name or prefix: letters, digits, '_', '.', '-'. */
function linkish(name: string, value: string | null, max: number): string | null {
  if (value === null) return null;
  if (!new RegExp(`^[A-Za-z0-9_.-]{1,${max}}$`).test(value)) throw new ConfigError(`${name} must be 1–${max} letters, digits, '_', '.' or '-' (got '${value}')`);
  return value;
}

/** A whole number ≥ 1. */
function count(name: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1_000_000) throw new ConfigError(`${name} must be a whole number ≥ 1 (got '${value}')`);
  return n;
}

/** A node name: what a host name may hold, at most 255 characters. */
function hostName(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(value)) throw new ConfigError(`--host must be a host name (letters, digits, '.', '_', '-'; got '${value}')`);
  return value;
}

function seconds(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > 31_536_000) throw new ConfigError(`${name} must be a whole number of seconds ≥ ${min} (got '${value}')`);
  return n;
}

/** `--auth keystone`'s settings; the password comes from a file or the environment, never argv (ps shows argv). */
function keystoneConfig(values: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv): KeystoneConfig {
  const str = (flag: string, envName: string, dflt?: string): string | undefined => {
    const v = values[flag];
    return typeof v === 'string' ? v : env[envName] ?? dflt;
  };
  const url = str('keystone-url', 'FULCRUM_KEYSTONE_URL');
  if (url === undefined || !/^https?:\/\/[^/\s]+/.test(url)) throw new ConfigError(`--auth keystone needs --keystone-url http(s)://… (got '${url ?? ''}')`);
  const file = str('keystone-password-file', 'FULCRUM_KEYSTONE_PASSWORD_FILE');
  let password = env.FULCRUM_KEYSTONE_PASSWORD;
  if (file !== undefined) {
    try {
      password = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new ConfigError(`--keystone-password-file: ${(err as Error).message}`);
    }
  }
  if (password === undefined || password === '') throw new ConfigError('--auth keystone needs the service password: --keystone-password-file FILE or FULCRUM_KEYSTONE_PASSWORD');
  const domain = str('keystone-domain', 'FULCRUM_KEYSTONE_DOMAIN', 'Default')!;
  return {
    url: url.replace(/\/+$/, ''),
    username: str('keystone-user', 'FULCRUM_KEYSTONE_USER', 'fulcrum')!,
    password,
    projectName: str('keystone-project', 'FULCRUM_KEYSTONE_PROJECT', 'service')!,
    userDomainName: domain,
    projectDomainName: domain,
    cacheSeconds: seconds('--token-cache', str('token-cache', 'FULCRUM_TOKEN_CACHE', '60')!, 0),
  };
}
