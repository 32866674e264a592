/**
 * @module cli/main — `runCli(argv)`: the `fulcrum <noun> <verb>` client, modelled on
 * openstackclient/octaviaclient. It talks to a Fulcrum API over HTTP only, and writes to
 * injectable streams so that tests run it in-process.
 */
import { Command, CommanderError, Help } from 'commander';
import { ApiClient, ApiError } from './client.js';
import { int, type Context } from './commands/common.js';
import { registerHealthMonitor } from './commands/healthmonitor.js';
import { registerIdentity } from './commands/identity.js';
import { registerListener } from './commands/listener.js';
import { registerLoadBalancer } from './commands/loadbalancer.js';
import { registerMember } from './commands/member.js';
import { registerNetwork } from './commands/network.js';
import { registerPool } from './commands/pool.js';
import { registerPort } from './commands/port.js';
import { registerSubnet } from './commands/subnet.js';
import { registerWatch } from './commands/watch.js';
import { CliError, UsageError } from './errors.js';
import { credentialsFrom, DEFAULT_URL, openSession, type Session, type SessionInputs } from './session.js';
import type { Writer } from './output.js';

/** Where the CLI reads its environment and writes its output (the process's by default). */
export interface CliIo {
  /** Results (tables, JSON, values) and help. */
  stdout?: Writer;
  /** Errors and `--wait` progress. */
  stderr?: Writer;
  /** Read for FULCRUM_URL, FULCRUM_PROJECT_ID and the OS_* variables an openrc file sets. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Ends `fulcrum watch` (exit 0) when it aborts; without it, Ctrl-C (SIGINT) does. */
  signal?: AbortSignal;
}

/** A command the `fulcrum` executable runs itself before calling the client (`up`); listed in `--help` only. */
export interface LocalCommand {
  /** The command word (`up`). */
  name: string;
  /** Argument synopsis shown after the name, e.g. `[options]`. */
  args?: string;
  /** One line for the command list. */
  summary: string;
}

/** `--wait` polls this often when the server has no event stream. */
const WAIT_INTERVAL_MS = 200;

interface GlobalOpts {
  osAuthUrl?: string;
  osUsername?: string;
  osPassword?: string;
  osProjectName?: string;
  osUserDomainName: string;
  osProjectDomainName: string;
  osRegionName?: string;
  osUrl?: string;
  osProjectId?: string;
  osToken?: string;
  waitTimeout: number;
}

/** The session inputs from the global options (which already default to the environment). */
function sessionInputs(o: GlobalOpts, env: Readonly<Record<string, string | undefined>>): SessionInputs {
  const credentials = credentialsFrom({
    OS_AUTH_URL: o.osAuthUrl, OS_USERNAME: o.osUsername, OS_PASSWORD: o.osPassword, OS_PROJECT_NAME: o.osProjectName,
    OS_PROJECT_ID: env.OS_PROJECT_ID, OS_USER_DOMAIN_NAME: o.osUserDomainName, OS_PROJECT_DOMAIN_NAME: o.osProjectDomainName,
    OS_REGION_NAME: o.osRegionName, OS_INTERFACE: env.OS_INTERFACE,
  });
  return {
    credentials, defaultUrl: DEFAULT_URL,
    ...(o.osUrl !== undefined ? { url: o.osUrl } : {}),
    ...(o.osToken !== undefined ? { token: o.osToken } : {}),
    ...(o.osProjectId !== undefined ? { projectId: o.osProjectId } : {}),
  };
}

const widthOf = (w: Writer): number => {
  const columns = (w as { isTTY?: boolean; columns?: number }).columns;
  return typeof columns === 'number' && columns > 0 ? columns : 80;
};

/** Builds the command tree; nothing in it outlives one `runCli` call. */
function buildProgram(io: Required<Omit<CliIo, 'signal'>> & Pick<CliIo, 'signal'>, local: readonly LocalCommand[], startedAt: number): Command {
  const program = new Command('fulcrum');
  const shownLocal = local.map((c) => {
    const cmd = new Command(c.name).description(c.summary);
    return c.args === undefined ? cmd : cmd.argument(c.args);
  });
  program
    .description('Fulcrum: load balancing as a service. The client commands talk to a Fulcrum API over HTTP.')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Help wraps to the terminal's width when writing to one, else to 80 columns.
      getOutHelpWidth: () => widthOf(io.stdout),
      getErrHelpWidth: () => widthOf(io.stderr),
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .configureHelp({
      visibleCommands(cmd: Command): Command[] {
        const shown = Help.prototype.visibleCommands.call(this, cmd);
        return cmd === program ? [...shownLocal, ...shown] : shown;
      },
    })
    .showHelpAfterError('(add --help for usage)')
    .option('--os-auth-url <url>', 'identity (Keystone v3) URL to log in at (env OS_AUTH_URL)', io.env.OS_AUTH_URL)
    .option('--os-username <name>', 'user to log in as (env OS_USERNAME)', io.env.OS_USERNAME)
    .option('--os-password <password>', 'its password (env OS_PASSWORD)', io.env.OS_PASSWORD)
    .option('--os-project-name <name>', 'project to scope the login to (env OS_PROJECT_NAME)', io.env.OS_PROJECT_NAME)
    .option('--os-user-domain-name <name>', "the user's domain (env OS_USER_DOMAIN_NAME)", io.env.OS_USER_DOMAIN_NAME ?? 'Default')
    .option('--os-project-domain-name <name>', "the project's domain (env OS_PROJECT_DOMAIN_NAME)", io.env.OS_PROJECT_DOMAIN_NAME ?? 'Default')
    .option('--os-region-name <name>', 'catalog region (env OS_REGION_NAME)', io.env.OS_REGION_NAME)
    .option('--os-token <token>', 'token sent as X-Auth-Token instead of a login (env OS_TOKEN)', io.env.OS_TOKEN)
    .option('--os-url <url>', 'Fulcrum API endpoint, instead of the catalog\'s (env FULCRUM_URL; default ' + DEFAULT_URL + ')', io.env.FULCRUM_URL)
    .option('--os-project-id <project-id>', 'without a login (fulcrum up --auth noauth): project to act as, sent as X-Project-Id (env FULCRUM_PROJECT_ID)',
      io.env.FULCRUM_PROJECT_ID ?? 'demo')
    .option('--wait-timeout <seconds>', 'give up --wait after this many seconds', int('--wait-timeout'), 600);

  const opts = (): GlobalOpts => program.opts<GlobalOpts>();
  /** One session per run: the login happens on the first request, once. */
  let session: Promise<Session> | null = null;
  const sessionOf = (): Promise<Session> => (session ??= openSession(sessionInputs(opts(), io.env)));
  const ctx: Context = {
    client: () => new ApiClient(() => sessionOf()),
    identityClient: () => new ApiClient(async () => {
      const s = await sessionOf();
      if (s.identityUrl === undefined) throw new CliError('identity commands need a login: source an openrc file (OS_AUTH_URL, OS_USERNAME, OS_PASSWORD…)');
      return { url: s.identityUrl, ...(s.token !== undefined ? { token: s.token } : {}) };
    }),
    relogin: () => {
      session = null;
    },
    out: io.stdout,
    err: io.stderr,
    waitOptions: () => ({ err: io.stderr, startedAt, intervalMs: WAIT_INTERVAL_MS, timeoutMs: opts().waitTimeout * 1000 }),
  };
  for (const register of [
    registerLoadBalancer, registerListener, registerPool, registerMember, registerHealthMonitor,
    registerNetwork, registerSubnet, registerPort, registerIdentity,
  ]) register(program, ctx);
  registerWatch(program, ctx, io.signal);
  return program;
}

/**
 * Runs one command line (without `node` and the script) and returns its exit code: 0 on success,
 * 1 when the API or a lookup fails (its message on stderr), 2 for usage errors.
 */
export async function runCli(argv: readonly string[], io: CliIo = {}, local: readonly LocalCommand[] = []): Promise<number> {
  const full = {
    stdout: io.stdout ?? process.stdout, stderr: io.stderr ?? process.stderr, env: io.env ?? process.env,
    ...(io.signal ? { signal: io.signal } : {}),
  };
  const program = buildProgram(full, local, Date.now());
  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    // Commander has already printed its own message (or the help) by now.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      full.stderr.write(`fulcrum: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ApiError) {
      full.stderr.write(`${err.message} (HTTP ${err.status})${err.requestId ? ` (Request-ID: ${err.requestId})` : ''}\n`);
      return 1;
    }
    if (err instanceof CliError) {
      full.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
