/**
 * @module main — the composition root: the only file that wires store, providers, agent and API.
 * `fulcrum up` runs here; every other command goes to the CLI client.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Agent } from './agent/agent.js';
import { buildServer } from './api/server.js';
import { buildMetricsServer } from './api/metrics.js';
import { dashboardRoutes } from './dashboard/plugin.js';
import { MetricsRegistry } from './domain/metrics.js';
import { EventHub } from './service/events.js';
import { AGENT_HELP, ConfigError, loadConfig, SERVER_HELP, UP_HELP, type Config } from './config.js';
import { NoopProvider } from './drivers/noop/noop-provider.js';
import type { Provider } from './drivers/provider.js';
import { createLogger, type Logger } from './log.js';
import { HaproxyProvider } from './drivers/haproxy/haproxy-provider.js';
import { HostInterfaceDriver } from './drivers/interface/host.js';
import { NetnsInterfaceDriver } from './drivers/interface/netns.js';
import { demoDown, demoUp } from './lab/demo.js';
import { credentialsFrom, DEFAULT_URL, openSession, parseOpenrc } from './cli/session.js';
import { hostCommand } from './lab/hosts-command.js';
import { tokenAuthenticator, type Authenticator } from './api/auth.js';
import type { ApiDeps } from './api/deps.js';
import { Identity } from './identity/identity.js';
import { bootstrapIdentity } from './identity/bootstrap.js';
import { KeystoneValidator } from './identity/keystone-client.js';
import type { FulcrumError } from './domain/errors.js';
import { IdentityStore } from './store/identity-store.js';
import { PostgresDialect } from './store/dialect-postgres.js';
import { SqliteDialect } from './store/dialect-sqlite.js';
import { SqlStore } from './store/sql-store.js';
import { loadSecretKey, SecretStore } from './store/secret-store.js';
import { OpensslPkcs12Reader } from './drivers/sys/openssl.js';
import { tlsResolver } from './service/secrets.js';
import type { SqlDialect } from './store/sql.js';
import { startRebuildLoop } from './service/scheduler.js';
import type { ProviderConfig } from './service/load-balancers.js';
import { setQuotaDefaults } from './service/quotas.js';
import { HAPROXY_FLAVOR_CAPABILITIES, HAPROXY_ZONE_CAPABILITIES } from './domain/operator.js';

/** Opens the configured database, migrated. */
export async function openStore(db: Config['database']): Promise<SqlStore> {
  const dialect: SqlDialect = db.kind === 'sqlite' ? new SqliteDialect(db.file, { synchronous: db.synchronous }) : new PostgresDialect(db.url);
  return SqlStore.open(dialect);
}

/** The providers this process runs, by name: HAProxy on the configured interface driver, and noop. */
function makeProviders(config: Config, log: Logger, metrics: MetricsRegistry): Map<string, Provider> {
  const iface = config.interfaceDriver === 'netns'
    ? new NetnsInterfaceDriver({
      log: log.child({ component: 'netns' }), namespacePrefix: config.namespacePrefix,
      ...(config.bridgeNetns !== null ? { bridgeNetns: config.bridgeNetns } : {}), ...(config.vxlan ? { vxlan: config.vxlan } : {}),
    })
    : new HostInterfaceDriver();
  const haproxy = new HaproxyProvider({ stateDir: join(config.dataDir, 'lb'), iface, log: log.child({ component: 'haproxy' }), metrics, l7Retries: config.l7Retries });
  const noop = new NoopProvider();
  return new Map<string, Provider>([[haproxy.name, haproxy], [noop.name, noop]]);
}

/**
 * How the API authenticates in the configured mode: `embedded` serves Keystone v3 under `/v3`
 * from this database (created with admin/demo and credential files on the first start),
 * `keystone` validates tokens with an external Keystone, `noauth` trusts the headers.
 */
async function makeAuth(config: Config, store: SqlStore, out: NodeJS.WritableStream): Promise<Pick<ApiDeps, 'identity' | 'identityUri' | 'authenticate'>> {
  if (config.auth === 'noauth') return {};
  if (config.auth === 'keystone') {
    const k = config.keystone!;
    const validator = new KeystoneValidator(k);
    // Fail early on a wrong service account or an unreachable Keystone, but start anyway:
    // requests then get 503 until Keystone answers.
    await validator.connect().catch((err: FulcrumError) => {
      out.write(`warning: Keystone at ${k.url} cannot validate tokens yet: ${err.detail ?? err.message}\n`);
    });
    return { identityUri: `${k.url.replace(/\/v3$/, '')}/v3`, authenticate: tokenAuthenticator((token) => validator.validateToken(token)) };
  }
  const identity = new Identity({ store: new IdentityStore(store.sqlDialect), tokenTtlSeconds: config.tokenTtlSeconds });
  const identityUri = `${config.publicUrl}/v3`;
  const boot = await bootstrapIdentity(new IdentityStore(store.sqlDialect), { dataDir: config.dataDir, authUrl: identityUri, region: config.region });
  out.write(boot.message);
  const authenticate: Authenticator = tokenAuthenticator((token) => identity.validateToken(token));
  return { identity: { identity, publicUrl: config.publicUrl, region: config.region }, identityUri, authenticate };
}

/** What one process runs: `up` both, `server` the API and the scheduler's sweep, `agent` one node's agent. */
type Role = 'up' | 'server' | 'agent';

const HELP: Record<Role, string> = { up: UP_HELP, server: SERVER_HELP, agent: AGENT_HELP };

/** The providers an API-only server offers (it runs none: agents do). */
const SERVER_PROVIDERS = [
  { name: 'haproxy', description: HaproxyProvider.DESCRIPTION, flavorCapabilities: HAPROXY_FLAVOR_CAPABILITIES, zoneCapabilities: HAPROXY_ZONE_CAPABILITIES },
  { name: 'noop', description: new NoopProvider().description, flavorCapabilities: [], zoneCapabilities: [] },
];

/**
 * Runs until SIGINT/SIGTERM: `up`, the API server and the agent in one process (the embedded
 * default); `server`, an API server only; `agent`, the agent of one node (`--host`).
 */
async function serve(role: Role, argv: readonly string[]): Promise<number> {
  let config: Config | 'help';
  try {
    config = loadConfig(argv);
  } catch (err) {
    process.stderr.write(`fulcrum ${role}: ${(err as Error).message}\n\n${HELP[role]}`);
    return 2;
  }
  if (config === 'help') {
    process.stdout.write(HELP[role]);
    return 0;
  }
  const log = createLogger(config.logLevel);
  const runsAgent = role !== 'server';
  const runsApi = role !== 'agent';
  if (runsAgent && config.interfaceDriver === 'netns' && process.getuid?.() !== 0) {
    process.stderr.write(`fulcrum ${role}: --interface-driver netns needs root (namespaces, bridges); run as root or use --interface-driver host\n`);
    return 2;
  }
  // The database holds password and token hashes, the data dir credentials: owner only.
  process.umask(0o077);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openStore(config.database);
  // One registry for the process: the API, the agent and the HAProxy provider record into it.
  const metrics = new MetricsRegistry();
  let secretKey: Buffer;
  try {
    secretKey = loadSecretKey(config.secretKeyFile, config.isDefaultSecretKey);
  } catch (err) {
    process.stderr.write(`fulcrum ${role}: --secret-key-file: ${(err as Error).message}\n`);
    return 2;
  }
  // The certificate store: the API serves it under /key-manager, the agent reads certificates from
  // it. Every server and agent on one database needs the same key file.
  const secrets = { secrets: new SecretStore(store.sqlDialect, secretKey), pkcs12: new OpensslPkcs12Reader() };
  let agent: Agent | undefined;
  // An API-only server has no agent of its own: availability zones are honoured by the scheduler,
  // which places a load balancer only on its zone's hosts.
  let providerConfig: ProviderConfig = { enabled: SERVER_PROVIDERS, defaultProvider: config.defaultProvider };
  let providers: Map<string, Provider> | undefined;
  if (runsAgent) {
    providers = makeProviders(config, log, metrics);
    if (!providers.has(config.defaultProvider)) {
      process.stderr.write(`fulcrum ${role}: --provider ${config.defaultProvider} is not available (have: ${[...providers.keys()].join(', ')})\n`);
      return 2;
    }
    providerConfig = {
      enabled: [...providers.values()].map((p) => ({
        name: p.name, description: p.description, flavorCapabilities: p.flavorCapabilities ?? [], zoneCapabilities: p.zoneCapabilities ?? [],
      })),
      defaultProvider: config.defaultProvider,
      agentHost: config.host,
    };
    agent = new Agent({
      store, providers, log: log.child({ component: 'agent' }), metrics, tls: tlsResolver(secrets),
      host: config.host, heartbeatMs: config.heartbeatMs,
      // Fence one heartbeat interval before any server can call this agent dead (README: fencing).
      ...(role === 'agent' && config.selfFence ? { fenceAfterMs: Math.max(config.heartbeatMs, config.agentDownMs - config.heartbeatMs) } : {}),
      // Neutron's agents report their tunnel endpoint the same way.
      configurations: {
        interface_driver: config.interfaceDriver,
        ...(config.vxlan ? { tunneling_ip: config.vxlan.localIp, tunnel_types: ['vxlan'], vxlan_group: config.vxlan.group } : {}),
        ...(config.bridgeNetns !== null ? { bridge_netns: config.bridgeNetns } : {}),
      },
    });
  } else if (!SERVER_PROVIDERS.some((p) => p.name === config.defaultProvider)) {
    process.stderr.write(`fulcrum server: --provider ${config.defaultProvider} is not available (have: haproxy, noop)\n`);
    return 2;
  }
  await setQuotaDefaults(store, config.quotaDefaults);
  let ready = false;
  // The event stream's hub: on PostgreSQL it follows the database's event log, which every server
  // and agent writes, so any server streams every commit; on SQLite it hears this process's own
  // commits, which is everything only when the agent runs here too (`up`).
  const hub = runsApi && (runsAgent || store.eventLog) ? new EventHub() : undefined;
  if (hub && store.eventLog) await hub.attachLog(store.eventLog);
  else hub?.attach(store);
  const scheduling = { downAfterMs: config.agentDownMs };
  const app = runsApi
    ? await buildServer({
      store,
      providers: providerConfig,
      auth: config.auth,
      ...await makeAuth(config, store, process.stdout),
      isReady: () => ready,
      metrics,
      // `fulcrum server` on SQLite would stream only its own commits (never an agent's ACTIVE):
      // it serves no stream, and clients poll.
      events: hub ? { hub } : false,
      scheduling,
      vniRange: config.vniRange,
      secrets,
      // Rendered configurations live with the agent that renders them: `fulcrum server` has none.
      ...(providers ? { renderedConfig: async (provider: string, lbId: string) => (await providers!.get(provider)?.renderedConfig(lbId)) ?? null } : {}),
    }, { logger: log.child({ component: 'api' }) })
    : undefined;
  if (app) {
    // The dashboard signs in where clients do: the embedded identity on this server, or the external Keystone.
    const identityUrl = config.auth === 'embedded' ? '/v3' : config.auth === 'keystone' ? `${config.keystone!.url.replace(/\/v3$/, '')}/v3` : null;
    await app.register(async (scope) => dashboardRoutes(scope, { identityUrl }));
  }
  await agent?.start();
  // Every API server sweeps (one at a time, under the database's lock): dead agents' load
  // balancers are rebuilt elsewhere as long as one server runs.
  const stopSweeps = runsApi
    ? startRebuildLoop(store, { ...scheduling, failoverThreshold: config.failoverThreshold }, log.child({ component: 'scheduler' }), Math.min(1000, config.agentDownMs / 4))
    : undefined;
  const address = app ? await app.listen({ host: config.listenHost, port: config.listenPort }) : undefined;
  const metricsApp = config.metricsListen ? await buildMetricsServer(metrics) : null;
  const metricsAddress = metricsApp && config.metricsListen
    ? await metricsApp.listen({ host: config.metricsListen.host, port: config.metricsListen.port })
    : null;
  ready = true;
  const db = config.database.kind === 'sqlite' ? config.database.file : 'postgresql';
  if (role === 'agent') {
    process.stdout.write(`Fulcrum agent is up: host ${config.host} (agent ${agent!.agentId}), database ${db}${metricsAddress ? `, metrics ${metricsAddress}/metrics` : ''}    Stop: Ctrl-C\n`);
  } else {
    const tryIt = config.auth === 'noauth'
      ? `curl -H "X-Project-Id: demo" ${address}/v2/lbaas/loadbalancers`
      : config.auth === 'embedded'
        ? `source ${join(config.dataDir, 'demo-openrc')} && fulcrum loadbalancer list`
        : `openstack --os-auth-url ${config.keystone!.url}/v3 … loadbalancer list (with Fulcrum in the catalog as load-balancer)`;
    process.stdout.write(
      `Fulcrum ${role === 'up' ? 'is up' : 'server is up'}: API ${address}  dashboard ${address}/dashboard${metricsAddress ? `  metrics ${metricsAddress}/metrics` : ''}  (auth ${config.auth}, database ${db}${role === 'up' ? `, provider ${config.defaultProvider}` : ''})\n` +
      `Try: ${tryIt}    Stop: Ctrl-C\n`,
    );
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  ready = false;
  await metricsApp?.close();
  await app?.close();
  await stopSweeps?.();
  await hub?.detach();
  await agent?.stop();
  await store.close();
  return 0;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  // `fulcrum … | head`: a closed pipe ends the output, not with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  if (argv[0] === 'up' || argv[0] === 'server' || argv[0] === 'agent') {
    process.exitCode = await serve(argv[0], argv.slice(1));
    return;
  }
  if (argv[0] === 'demo' || argv[0] === 'host') {
    // The same session as the client commands: OS_* credentials (an openrc), OS_TOKEN, or noauth's
    // project; with none of them, the demo user's openrc that `fulcrum up` wrote in the data dir.
    const dataDir = resolve(process.env.FULCRUM_DATA_DIR ?? './.fulcrum');
    let env: Readonly<Record<string, string | undefined>> = process.env;
    const openrc = join(dataDir, 'demo-openrc');
    if (credentialsFrom(env) === null && env.OS_TOKEN === undefined && existsSync(openrc)) {
      env = { ...parseOpenrc(readFileSync(openrc, 'utf8')), ...(env.FULCRUM_URL !== undefined ? { FULCRUM_URL: env.FULCRUM_URL } : {}) };
      process.stderr.write(`(acting as user demo, credentials from ${openrc})\n`);
    }
    const ep = await openSession({
      credentials: credentialsFrom(env), defaultUrl: DEFAULT_URL,
      ...(env.FULCRUM_URL !== undefined ? { url: env.FULCRUM_URL } : {}),
      ...(env.OS_TOKEN !== undefined ? { token: env.OS_TOKEN } : {}),
      projectId: env.FULCRUM_PROJECT_ID ?? 'demo',
    });
    if (argv[0] === 'host') process.exitCode = await hostCommand(argv.slice(1), ep, process.stdout);
    else if (argv.includes('--down')) process.exitCode = await demoDown(ep, process.stdout);
    else process.exitCode = await demoUp(ep, dataDir, process.stdout);
    return;
  }
  const { runCli } = await import('./cli/main.js');
  process.exitCode = await runCli(argv, {}, [
    { name: 'up', args: '[options]', summary: 'run the API server and the agent in this process (fulcrum up --help)' },
    { name: 'server', args: '[options]', summary: 'run an API server only, for several on one PostgreSQL (fulcrum server --help)' },
    { name: 'agent', args: '--host NAME [options]', summary: "run one network node's agent (fulcrum agent --help)" },
    { name: 'demo', args: '[--down]', summary: "build (or remove) the seed's demo scene on this machine" },
    { name: 'host', args: 'create|delete|list', summary: 'stand-in hosts (namespaces on a subnet) to put behind load balancers' },
  ]);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`fulcrum: ${err.message}\n`);
  else process.stderr.write(`fulcrum: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
