/**
 * @module cli/main — `runCli(argv)`: the `fulcrum <noun> <verb>` client, modelled on
 * openstackclient/octaviaclient. It talks to a Fulcrum API over HTTP only, and writes to
 * injectable streams so that tests run it in-process.
 */
import { Command, CommanderError, Help } from 'commander';
import { ApiClient, ApiError } from './client.js';
import { int, type Context } from './commands/common.js';
import { registerHealthMonitor } from './commands/healthmonitor.js';
import { registerListener } from './commands/listener.js';
import { registerLoadBalancer } from './commands/loadbalancer.js';
import { registerMember } from './commands/member.js';
import { registerNetwork } from './commands/network.js';
import { registerPool } from './commands/pool.js';
import { registerPort } from './commands/port.js';
import { registerSubnet } from './commands/subnet.js';
import { CliError, UsageError } from './errors.js';
import type { Writer } from './output.js';

/** Where the CLI reads its environment and writes its output (the process's by default). */
export interface CliIo {
  /** Results (tables, JSON, values) and help. */
  stdout?: Writer;
  /** Errors and `--wait` progress. */
  stderr?: Writer;
  /** Read for FULCRUM_URL, FULCRUM_PROJECT_ID and OS_TOKEN. */
  env?: Readonly<Record<string, string | undefined>>;
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

/** Where `fulcrum up` listens by default. */
export const DEFAULT_URL = 'http://127.0.0.1:9876';
/** `--wait` polls this often. */
const WAIT_INTERVAL_MS = 200;

interface GlobalOpts {
  osUrl: string;
  osProjectId?: string;
  osToken?: string;
  waitTimeout: number;
}

const widthOf = (w: Writer): number => {
  const columns = (w as { isTTY?: boolean; columns?: number }).columns;
  return typeof columns === 'number' && columns > 0 ? columns : 80;
};

/** Builds the command tree; nothing in it outlives one `runCli` call. */
function buildProgram(io: Required<CliIo>, local: readonly LocalCommand[], startedAt: number): Command {
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
    .option('--os-url <url>', 'Fulcrum API endpoint (env FULCRUM_URL)', io.env.FULCRUM_URL ?? DEFAULT_URL)
    .option('--os-project-id <project-id>', 'project to act as, sent as X-Project-Id (env FULCRUM_PROJECT_ID)', io.env.FULCRUM_PROJECT_ID ?? 'demo')
    .option('--os-token <token>', 'token sent as X-Auth-Token (env OS_TOKEN)', io.env.OS_TOKEN)
    .option('--wait-timeout <seconds>', 'give up --wait after this many seconds', int('--wait-timeout'), 600);

  const opts = (): GlobalOpts => program.opts<GlobalOpts>();
  const ctx: Context = {
    client: () => {
      const o = opts();
      return new ApiClient({
        url: o.osUrl,
        ...(o.osProjectId ? { projectId: o.osProjectId } : {}),
        ...(o.osToken ? { token: o.osToken } : {}),
      });
    },
    out: io.stdout,
    err: io.stderr,
    waitOptions: () => ({ err: io.stderr, startedAt, intervalMs: WAIT_INTERVAL_MS, timeoutMs: opts().waitTimeout * 1000 }),
  };
  for (const register of [
    registerLoadBalancer, registerListener, registerPool, registerMember, registerHealthMonitor,
    registerNetwork, registerSubnet, registerPort,
  ]) register(program, ctx);
  return program;
}

/**
 * Runs one command line (without `node` and the script) and returns its exit code: 0 on success,
 * 1 when the API or a lookup fails (its message on stderr), 2 for usage errors.
 */
export async function runCli(argv: readonly string[], io: CliIo = {}, local: readonly LocalCommand[] = []): Promise<number> {
  const full: Required<CliIo> = { stdout: io.stdout ?? process.stdout, stderr: io.stderr ?? process.stderr, env: io.env ?? process.env };
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
