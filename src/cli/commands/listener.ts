/** @module cli/commands/listener — `fulcrum listener create|list|show|set|delete` (octaviaclient's `loadbalancer listener`). */
import type { Command } from 'commander';
import type { ListenerProtocol } from '../../domain/model.js';
import { RESOURCES, type ApiClient } from '../client.js';
import { printList, type Column } from '../output.js';
import {
  adminState, choice, collect, deleteObject, finishCreate, finishSet, given, int, keyValues, printOptions, resolveOpt,
  showCommand, withEnable, withPrint, withWait, type Context, type EnableOpts, type PrintOpts, type WaitOpts,
} from './common.js';

const LISTENER = RESOURCES.listener;

/** octaviaclient's `LISTENER_COLUMNS`. */
const COLUMNS: readonly Column[] = ['id', 'default_pool_id', 'name', 'project_id', 'protocol', 'protocol_port', 'admin_state_up']
  .map((field) => ({ field }));

/** octaviaclient's `PROTOCOL_CHOICES` for listeners. */
const PROTOCOLS = ['TCP', 'HTTP', 'HTTPS', 'TERMINATED_HTTPS', 'UDP', 'SCTP', 'PROMETHEUS'] as const satisfies readonly ListenerProtocol[];

/** Options that create and set share. */
interface FieldOpts extends EnableOpts, WaitOpts {
  name?: string; description?: string; connectionLimit?: number; defaultPool?: string;
  insertHeaders?: Record<string, string>; timeoutClientData?: number; timeoutMemberConnect?: number;
  timeoutMemberData?: number; timeoutTcpInspect?: number; allowedCidr?: string[];
}

interface CreateOpts extends FieldOpts, PrintOpts { protocol: string; protocolPort: number; tag?: string[] }

function withFields(cmd: Command): Command {
  return withWait(withEnable(cmd, 'listener'))
    .option('--name <name>', 'listener name')
    .option('--description <description>', 'listener description')
    .option('--connection-limit <limit>', 'the maximum number of connections permitted for this listener (-1: unlimited)', int('--connection-limit'))
    .option('--default-pool <pool>', 'the pool used when no L7 policy matches (name or ID)')
    .option('--insert-headers <header=value,...>', 'a dictionary of optional headers to insert into the request', keyValues('--insert-headers'))
    .option('--timeout-client-data <timeout>', 'frontend client inactivity timeout in milliseconds', int('--timeout-client-data'))
    .option('--timeout-member-connect <timeout>', 'backend member connection timeout in milliseconds', int('--timeout-member-connect'))
    .option('--timeout-member-data <timeout>', 'backend member inactivity timeout in milliseconds', int('--timeout-member-data'))
    .option('--timeout-tcp-inspect <timeout>', 'time to wait for TCP packets for content inspection in milliseconds', int('--timeout-tcp-inspect'))
    .option('--allowed-cidr <allowed_cidr>', 'CIDR to allow access to the listener (can be repeated)', collect);
}

async function fieldsBody(client: ApiClient, opts: FieldOpts): Promise<Record<string, unknown>> {
  return given({
    name: opts.name, description: opts.description, connection_limit: opts.connectionLimit,
    default_pool_id: await resolveOpt(client, RESOURCES.pool, opts.defaultPool), insert_headers: opts.insertHeaders,
    timeout_client_data: opts.timeoutClientData, timeout_member_connect: opts.timeoutMemberConnect,
    timeout_member_data: opts.timeoutMemberData, timeout_tcp_inspect: opts.timeoutTcpInspect,
    allowed_cidrs: opts.allowedCidr, ...adminState(opts),
  });
}

/** Registers the `listener` noun. */
export function registerListener(program: Command, ctx: Context): void {
  const noun = program.command('listener').description('listeners of load balancers (Octavia v2)');

  withFields(withPrint(noun.command('create').description('create a listener')))
    .argument('<loadbalancer>', 'load balancer for the listener (name or ID)')
    .addOption(choice('--protocol <protocol>', 'the protocol for the listener', PROTOCOLS).makeOptionMandatory())
    .requiredOption('--protocol-port <port>', 'the protocol port number for the listener', int('--protocol-port'))
    .option('--tag <tag>', 'tag to be added to the listener (repeat option to set multiple tags)', collect)
    .action(async (lbRef: string, opts: CreateOpts) => {
      const client = ctx.client();
      const body = {
        ...(await fieldsBody(client, opts)),
        loadbalancer_id: await client.resolve(RESOURCES.loadbalancer, lbRef),
        protocol: opts.protocol, protocol_port: opts.protocolPort,
        ...given({ tags: opts.tag }),
      };
      await finishCreate(ctx, LISTENER, await client.create(LISTENER, body), opts);
    });

  withEnable(withPrint(noun.command('list').description('list listeners')), 'listeners')
    .option('--name <name>', 'list listeners by listener name')
    .option('--loadbalancer <loadbalancer>', 'filter by load balancer (name or ID)')
    .option('--project <project>', 'list listeners by project ID')
    .action(async (opts: PrintOpts & EnableOpts & { name?: string; loadbalancer?: string; project?: string }) => {
      const client = ctx.client();
      const admin = adminState(opts).admin_state_up;
      const query = given({
        name: opts.name, project_id: opts.project, admin_state_up: admin === undefined ? undefined : String(admin),
        loadbalancer_id: await resolveOpt(client, RESOURCES.loadbalancer, opts.loadbalancer),
      }) as Record<string, string>;
      printList(ctx.out, await client.list(LISTENER, query), COLUMNS, printOptions(opts));
    });

  showCommand(noun, ctx, LISTENER);

  withFields(noun.command('set').description('update a listener'))
    .argument('<listener>', 'listener to modify (name or ID)')
    .action(async (ref: string, opts: FieldOpts) => {
      const client = ctx.client();
      const id = await client.resolve(LISTENER, ref);
      await finishSet(ctx, LISTENER, await client.update(LISTENER, id, await fieldsBody(client, opts)), opts);
    });

  withWait(noun.command('delete').description('delete a listener'))
    .argument('<listener>', 'listener to delete (name or ID)')
    .action(async (ref: string, opts: WaitOpts) => {
      await deleteObject(ctx, LISTENER, await ctx.client().resolve(LISTENER, ref), ref, opts);
    });
}
