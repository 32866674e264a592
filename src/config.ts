/**
 * @module config — `fulcrum up` settings from flags, then `FULCRUM_*` environment variables,
 * then defaults. Every setting is validated here, once.
 */
import { parseArgs } from 'node:util';
import { resolve, join } from 'node:path';

export const AUTH_MODES = ['noauth', 'embedded', 'keystone'] as const;
export const INTERFACE_DRIVERS = ['netns', 'host'] as const;

export interface Config {
  dataDir: string;
  listenHost: string;
  listenPort: number;
  /** `sqlite:<file>` or a `postgresql://` URL. */
  database: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };
  auth: (typeof AUTH_MODES)[number];
  interfaceDriver: (typeof INTERFACE_DRIVERS)[number];
  /** The provider used when a load balancer names none. */
  defaultProvider: string;
  logLevel: string;
}

export const UP_HELP = `Usage: fulcrum up [options]

Runs the API server and the agent in one process, in the foreground.

Options (each also read from the environment variable shown):
  --data-dir DIR            state directory: SQLite file, runtime files   [FULCRUM_DATA_DIR, ./.fulcrum]
  --listen HOST:PORT        API address                                   [FULCRUM_LISTEN, 127.0.0.1:9876]
  --database URL            sqlite:PATH or postgresql://USER@HOST:PORT/DB [FULCRUM_DATABASE, sqlite:DATA_DIR/fulcrum.db]
  --auth MODE               noauth | embedded | keystone                  [FULCRUM_AUTH, noauth]
  --interface-driver NAME   netns | host                                  [FULCRUM_INTERFACE_DRIVER, netns]
  --provider NAME           default provider for new load balancers       [FULCRUM_PROVIDER, haproxy]
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
      'data-dir': { type: 'string' }, listen: { type: 'string' }, database: { type: 'string' },
      auth: { type: 'string' }, 'interface-driver': { type: 'string' }, provider: { type: 'string' },
      'log-level': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const dataDir = resolve(values['data-dir'] ?? env.FULCRUM_DATA_DIR ?? './.fulcrum');
  const listen = values.listen ?? env.FULCRUM_LISTEN ?? '127.0.0.1:9876';
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m || Number(m[2]) > 65535) throw new ConfigError(`--listen must be HOST:PORT (got '${listen}')`);
  const dbUrl = values.database ?? env.FULCRUM_DATABASE ?? `sqlite:${join(dataDir, 'fulcrum.db')}`;
  let database: Config['database'];
  if (/^postgres(ql)?:\/\//.test(dbUrl)) database = { kind: 'postgres', url: dbUrl };
  else if (dbUrl.startsWith('sqlite:')) database = { kind: 'sqlite', file: resolve(dbUrl.slice('sqlite:'.length).replace(/^\/\/\/?/, '/')) };
  else throw new ConfigError(`--database must be sqlite:PATH or postgresql://… (got '${dbUrl}')`);
  return {
    dataDir,
    listenHost: m[1]!.replace(/^\[(.*)\]$/, '$1'),
    listenPort: Number(m[2]),
    database,
    auth: pick('--auth', values.auth ?? env.FULCRUM_AUTH ?? 'noauth', AUTH_MODES),
    interfaceDriver: pick('--interface-driver', values['interface-driver'] ?? env.FULCRUM_INTERFACE_DRIVER ?? 'netns', INTERFACE_DRIVERS),
    defaultProvider: values.provider ?? env.FULCRUM_PROVIDER ?? 'haproxy',
    logLevel: values['log-level'] ?? env.FULCRUM_LOG_LEVEL ?? 'info',
  };
}
