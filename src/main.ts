/**
 * @module main — the composition root: the only file that wires store, providers, agent and API.
 * `fulcrum up` runs here; every other command goes to the CLI client.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Agent } from './agent/agent.js';
import { buildServer } from './api/server.js';
import { ConfigError, loadConfig, UP_HELP, type Config } from './config.js';
import { NoopProvider } from './drivers/noop/noop-provider.js';
import type { Provider } from './drivers/provider.js';
import { createLogger, type Logger } from './log.js';
import { HaproxyProvider } from './drivers/haproxy/haproxy-provider.js';
import { HostInterfaceDriver } from './drivers/interface/host.js';
import { NetnsInterfaceDriver } from './drivers/interface/netns.js';
import { demoDown, demoUp } from './lab/demo.js';
import { hostCommand } from './lab/hosts-command.js';
import { PostgresDialect } from './store/dialect-postgres.js';
import { SqliteDialect } from './store/dialect-sqlite.js';
import { SqlStore } from './store/sql-store.js';
import type { SqlDialect } from './store/sql.js';

/** Opens the configured database, migrated. */
export async function openStore(db: Config['database']): Promise<SqlStore> {
  const dialect: SqlDialect = db.kind === 'sqlite' ? new SqliteDialect(db.file) : new PostgresDialect(db.url);
  return SqlStore.open(dialect);
}

/** The providers this process runs, by name: HAProxy on the configured interface driver, and noop. */
function makeProviders(config: Config, log: Logger): Map<string, Provider> {
  const iface = config.interfaceDriver === 'netns'
    ? new NetnsInterfaceDriver({ log: log.child({ component: 'netns' }) })
    : new HostInterfaceDriver();
  const haproxy = new HaproxyProvider({ stateDir: join(config.dataDir, 'lb'), iface, log: log.child({ component: 'haproxy' }) });
  const noop = new NoopProvider();
  return new Map<string, Provider>([[haproxy.name, haproxy], [noop.name, noop]]);
}

/** Runs API server and agent in one process until SIGINT/SIGTERM. */
async function up(argv: readonly string[]): Promise<number> {
  let config: Config | 'help';
  try {
    config = loadConfig(argv);
  } catch (err) {
    process.stderr.write(`fulcrum up: ${(err as Error).message}\n\n${UP_HELP}`);
    return 2;
  }
  if (config === 'help') {
    process.stdout.write(UP_HELP);
    return 0;
  }
  const log = createLogger(config.logLevel);
  if (config.interfaceDriver === 'netns' && process.getuid?.() !== 0) {
    process.stderr.write('fulcrum up: --interface-driver netns needs root (namespaces, bridges); run as root or use --interface-driver host\n');
    return 2;
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openStore(config.database);
  const providers = makeProviders(config, log);
  if (!providers.has(config.defaultProvider)) {
    process.stderr.write(`fulcrum up: --provider ${config.defaultProvider} is not available (have: ${[...providers.keys()].join(', ')})\n`);
    return 2;
  }
  let ready = false;
  const agent = new Agent({ store, providers, log: log.child({ component: 'agent' }) });
  const app = await buildServer({
    store,
    providers: { enabled: [...providers.values()].map((p) => ({ name: p.name, description: p.description })), defaultProvider: config.defaultProvider },
    auth: config.auth,
    isReady: () => ready,
  }, { logger: log.child({ component: 'api' }) });
  await agent.start();
  const address = await app.listen({ host: config.listenHost, port: config.listenPort });
  ready = true;
  process.stdout.write(
    `Fulcrum is up: API ${address}  (auth ${config.auth}, database ${config.database.kind === 'sqlite' ? config.database.file : 'postgresql'}, provider ${config.defaultProvider})\n` +
    `Try: curl -H "X-Project-Id: demo" ${address}/v2/lbaas/loadbalancers    Stop: Ctrl-C\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  ready = false;
  await app.close();
  await agent.stop();
  await store.close();
  return 0;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === 'up') {
    process.exitCode = await up(argv.slice(1));
    return;
  }
  if (argv[0] === 'demo' || argv[0] === 'host') {
    const ep = { url: process.env.FULCRUM_URL ?? 'http://127.0.0.1:9876', projectId: process.env.FULCRUM_PROJECT_ID ?? 'demo' };
    if (argv[0] === 'host') process.exitCode = await hostCommand(argv.slice(1), ep, process.stdout);
    else if (argv.includes('--down')) process.exitCode = await demoDown(ep, process.stdout);
    else process.exitCode = await demoUp(ep, resolve(process.env.FULCRUM_DATA_DIR ?? './.fulcrum'), process.stdout);
    return;
  }
  const { runCli } = await import('./cli/main.js');
  process.exitCode = await runCli(argv, {}, [
    { name: 'up', args: '[options]', summary: 'run the API server and the agent in this process (fulcrum up --help)' },
    { name: 'demo', args: '[--down]', summary: "build (or remove) the seed's demo scene on this machine" },
    { name: 'host', args: 'create|delete|list', summary: 'stand-in hosts (namespaces on a subnet) to put behind load balancers' },
  ]);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`fulcrum: ${err.message}\n`);
  else process.stderr.write(`fulcrum: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
