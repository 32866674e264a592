/**
 * @module config — `fulcrum up` settings from flags, then `FULCRUM_*` environment variables,
 * then defaults. Every setting is validated here, once.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { resolve, join } from 'node:path';

export const AUTH_MODES = ['noauth', 'embedded', 'keystone'] as const;
export const INTERFACE_DRIVERS = ['netns', 'host'] as const;

export interface Config {
  dataDir: string;
  listenHost: string;
  listenPort: number;
  /** `--metrics-listen`: a second address serving only `GET /metrics`, without authentication (null: none). */
  metricsListen: { host: string; port: number } | null;
  /** `sqlite:<file>` or a `postgresql://` URL. */
  database: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };
  auth: (typeof AUTH_MODES)[number];
  interfaceDriver: (typeof INTERFACE_DRIVERS)[number];
  /** The provider used when a load balancer names none. */
  defaultProvider: string;
  logLevel: string;
  /** The base URL clients reach this server at: the catalog, credential files and links use it. */
  publicUrl: string;
  /** The catalog's region. */
  region: string;
  /** Lifetime of tokens the embedded identity issues. */
  tokenTtlSeconds: number;
  /** `--auth keystone`: the external Keystone and this service's account there. */
  keystone: KeystoneConfig | null;
  /** The 32-byte key that encrypts the certificate store's secrets at rest. */
  secretKeyFile: string;
  /** True when the key file is the default one, which is created on the first start. */
  isDefaultSecretKey: boolean;
}

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
  --auth MODE               embedded | keystone | noauth                  [FULCRUM_AUTH, embedded]
  --interface-driver NAME   netns | host                                  [FULCRUM_INTERFACE_DRIVER, netns]
  --provider NAME           default provider for new load balancers       [FULCRUM_PROVIDER, haproxy]
  --log-level LEVEL         fatal|error|warn|info|debug                   [FULCRUM_LOG_LEVEL, info]
  --secret-key-file FILE    key encrypting stored secrets (32 bytes,      [FULCRUM_SECRET_KEY_FILE, DATA_DIR/secret.key,
                            base64 or hex, mode 0600)                      created on the first start]
  -h, --help                this help

Identity (--auth embedded: Fulcrum serves Keystone v3 at PUBLIC_URL/v3):
  --public-url URL          where clients reach this server (catalog,     [FULCRUM_PUBLIC_URL, http://LISTEN]
                            openrc files, clouds.yaml)
  --region NAME             the catalog's region                          [FULCRUM_REGION, RegionOne]
  --token-ttl SECONDS       lifetime of issued tokens                     [FULCRUM_TOKEN_TTL, 3600]

External Keystone (--auth keystone: tokens are validated there, as keystonemiddleware does):
  --keystone-url URL        Keystone's public URL (http://HOST:5000)      [FULCRUM_KEYSTONE_URL]
  --keystone-user NAME      Fulcrum's service user                        [FULCRUM_KEYSTONE_USER, fulcrum]
  --keystone-password-file FILE  its password (or FULCRUM_KEYSTONE_PASSWORD) [FULCRUM_KEYSTONE_PASSWORD_FILE]
  --keystone-project NAME   the service user's project                    [FULCRUM_KEYSTONE_PROJECT, service]
  --keystone-domain NAME    the user's and project's domain               [FULCRUM_KEYSTONE_DOMAIN, Default]
  --token-cache SECONDS     how long a validated token is trusted         [FULCRUM_TOKEN_CACHE, 60]
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
      'log-level': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      'public-url': { type: 'string' }, region: { type: 'string' }, 'token-ttl': { type: 'string' },
      'keystone-url': { type: 'string' }, 'keystone-user': { type: 'string' }, 'keystone-password-file': { type: 'string' },
      'keystone-project': { type: 'string' }, 'keystone-domain': { type: 'string' }, 'token-cache': { type: 'string' },
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
  else if (dbUrl.startsWith('sqlite:')) database = { kind: 'sqlite', file: resolve(dbUrl.slice('sqlite:'.length).replace(/^\/\/\/?/, '/')) };
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
    interfaceDriver: pick('--interface-driver', values['interface-driver'] ?? env.FULCRUM_INTERFACE_DRIVER ?? 'netns', INTERFACE_DRIVERS),
    defaultProvider: values.provider ?? env.FULCRUM_PROVIDER ?? 'haproxy',
    logLevel: values['log-level'] ?? env.FULCRUM_LOG_LEVEL ?? 'info',
    secretKeyFile: resolve(values['secret-key-file'] ?? env.FULCRUM_SECRET_KEY_FILE ?? join(dataDir, 'secret.key')),
    isDefaultSecretKey: (values['secret-key-file'] ?? env.FULCRUM_SECRET_KEY_FILE) === undefined,
  };
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
