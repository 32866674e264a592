/** @module cli/commands/healthmonitor — `fulcrum healthmonitor create|list|show|set|delete` (octaviaclient's `loadbalancer healthmonitor`). */
import { InvalidArgumentError, type Command } from 'commander';
import type { HealthMonitorType, HttpMethod } from '../../domain/model.js';
import { RESOURCES } from '../client.js';
import { printList, type Column } from '../output.js';
import {
  adminState, choice, collect, deleteObject, finishCreate, finishSet, given, int, printOptions, showCommand, withEnable,
  withPrint, withWait, type Context, type EnableOpts, type PrintOpts, type WaitOpts,
} from './common.js';

const HM = RESOURCES.healthmonitor;

/** octaviaclient's `MONITOR_COLUMNS`. */
const COLUMNS: readonly Column[] = ['id', 'name', 'project_id', 'type', 'admin_state_up'].map((field) => ({ field }));

/** octaviaclient's `TYPE_CHOICES` and `HTTP_METHODS`. */
const TYPES = ['PING', 'HTTP', 'TCP', 'HTTPS', 'TLS-HELLO', 'UDP-CONNECT', 'SCTP'] as const satisfies readonly HealthMonitorType[];
const METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE'] as const satisfies readonly HttpMethod[];

/** `--http-version 1.0|1.1`, sent as a number. */
function httpVersion(value: string): number {
  if (value !== '1.0' && value !== '1.1' && value !== '1') throw new InvalidArgumentError('Allowed choices are 1.0, 1.1.');
  return Number(value);
}

interface FieldOpts extends EnableOpts, WaitOpts {
  name?: string; delay?: number; timeout?: number; maxRetries?: number; maxRetriesDown?: number; domainName?: string;
  expectedCodes?: string; httpMethod?: string; httpVersion?: number; urlPath?: string;
}

interface CreateOpts extends FieldOpts, PrintOpts { type: string; tag?: string[] }

/** The options create and set share; create makes delay, timeout and max retries mandatory. */
function withFields(cmd: Command, create: boolean): Command {
  const opt = create ? cmd.requiredOption.bind(cmd) : cmd.option.bind(cmd);
  opt('--delay <delay>', 'the time in seconds between sending probes to members', int('--delay'));
  opt('--timeout <timeout>', 'the maximum time in seconds a monitor waits to connect before it times out (less than the delay)', int('--timeout'));
  opt('--max-retries <max_retries>', 'the number of successful checks before a member goes ONLINE (1-10)', int('--max-retries'));
  return withWait(withEnable(cmd, 'health monitor'))
    .option('--name <name>', 'health monitor name')
    .option('--max-retries-down <max_retries_down>', 'the number of failed checks before a member goes ERROR (1-10)', int('--max-retries-down'))
    .option('--domain-name <domain_name>', 'the domain name injected into the HTTP Host header of HTTP checks')
    .option('--expected-codes <codes>', 'the HTTP status codes expected from a healthy member (e.g. 200 or 200-204)')
    .addOption(choice('--http-method <method>', 'the HTTP method the health monitor uses for requests', METHODS))
    .option('--http-version <http_version>', 'the HTTP version (1.0 or 1.1)', httpVersion)
    .option('--url-path <url_path>', 'the HTTP URL path of the request sent by the monitor');
}

function fieldsBody(opts: FieldOpts): Record<string, unknown> {
  return given({
    name: opts.name, delay: opts.delay, timeout: opts.timeout, max_retries: opts.maxRetries,
    max_retries_down: opts.maxRetriesDown, domain_name: opts.domainName, expected_codes: opts.expectedCodes,
    http_method: opts.httpMethod, http_version: opts.httpVersion, url_path: opts.urlPath, ...adminState(opts),
  });
}

/** Registers the `healthmonitor` noun. */
export function registerHealthMonitor(program: Command, ctx: Context): void {
  const noun = program.command('healthmonitor').description('health monitors of pools (Octavia v2)');

  withFields(withPrint(noun.command('create').description('create a health monitor')), true)
    .argument('<pool>', 'the pool for the health monitor (name or ID)')
    .addOption(choice('--type <type>', 'the health monitor type', TYPES).makeOptionMandatory())
    .option('--tag <tag>', 'tag to be added to the health monitor (repeat option to set multiple tags)', collect)
    .action(async (poolRef: string, opts: CreateOpts) => {
      const client = ctx.client();
      const body = {
        ...fieldsBody(opts), type: opts.type, pool_id: await client.resolve(RESOURCES.pool, poolRef),
        ...given({ tags: opts.tag }),
      };
      await finishCreate(ctx, HM, await client.create(HM, body), opts);
    });

  withPrint(noun.command('list').description('list health monitors'))
    .action(async (opts: PrintOpts) => {
      printList(ctx.out, await ctx.client().list(HM), COLUMNS, printOptions(opts));
    });

  showCommand(noun, ctx, HM);

  withFields(noun.command('set').description('update a health monitor'), false)
    .argument('<health_monitor>', 'health monitor to modify (name or ID)')
    .action(async (ref: string, opts: FieldOpts) => {
      const client = ctx.client();
      const id = await client.resolve(HM, ref);
      await finishSet(ctx, HM, await client.update(HM, id, fieldsBody(opts)), opts);
    });

  withWait(noun.command('delete').description('delete a health monitor'))
    .argument('<health_monitor>', 'health monitor to delete (name or ID)')
    .action(async (ref: string, opts: WaitOpts) => {
      await deleteObject(ctx, HM, await ctx.client().resolve(HM, ref), ref, opts);
    });
}
