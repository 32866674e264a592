/** @module cli/commands/pool — `fulcrum pool create|list|show|set|delete` (octaviaclient's `loadbalancer pool`). */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { LbAlgorithm, PoolProtocol } from '../../domain/model.js';
import { RESOURCES } from '../client.js';
import { UsageError } from '../errors.js';
import { printList, type Column } from '../output.js';
import {
  adminState, choice, collect, deleteObject, finishCreate, finishSet, given, keyValues, printOptions, resolveOpt,
  showCommand, withEnable, withPrint, withWait, type Context, type EnableOpts, type PrintOpts, type WaitOpts,
} from './common.js';

const POOL = RESOURCES.pool;

/** octaviaclient's `POOL_COLUMNS`. */
const COLUMNS: readonly Column[] = ['id', 'name', 'project_id', 'provisioning_status', 'protocol', 'lb_algorithm', 'admin_state_up']
  .map((field) => ({ field }));

/** octaviaclient's `PROTOCOL_CHOICES` and `ALGORITHM_CHOICES` for pools. */
const PROTOCOLS = ['TCP', 'HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'UDP', 'SCTP'] as const satisfies readonly PoolProtocol[];
const ALGORITHMS = ['SOURCE_IP', 'ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP_PORT'] as const satisfies readonly LbAlgorithm[];

/** `type=HTTP_COOKIE,cookie_name=x,persistence_timeout=60` → the wire object (the timeout as a number). */
function sessionPersistence(value: string): Record<string, unknown> {
  const kv: Record<string, unknown> = keyValues('--session-persistence')(value);
  if (kv.persistence_timeout !== undefined) {
    const n = Number(kv.persistence_timeout);
    if (!Number.isInteger(n)) throw new InvalidArgumentError('persistence_timeout must be an integer.');
    kv.persistence_timeout = n;
  }
  return kv;
}

interface FieldOpts extends EnableOpts, WaitOpts {
  name?: string; description?: string; lbAlgorithm?: string; sessionPersistence?: Record<string, unknown>;
}

interface CreateOpts extends FieldOpts, PrintOpts { protocol: string; listener?: string; loadbalancer?: string; tag?: string[] }

function withFields(cmd: Command, create: boolean): Command {
  const algorithm = choice('--lb-algorithm <algorithm>', 'load balancing algorithm to use', ALGORITHMS);
  return withWait(withEnable(cmd, 'pool'))
    .option('--name <name>', 'pool name')
    .option('--description <description>', 'pool description')
    .option('--session-persistence <session persistence>', 'session persistence: type=<type>[,cookie_name=<name>][,persistence_timeout=<s>]', sessionPersistence)
    .addOption(create ? algorithm.makeOptionMandatory() : algorithm);
}

function fieldsBody(opts: FieldOpts): Record<string, unknown> {
  return given({
    name: opts.name, description: opts.description, lb_algorithm: opts.lbAlgorithm,
    session_persistence: opts.sessionPersistence, ...adminState(opts),
  });
}

/** Registers the `pool` noun. */
export function registerPool(program: Command, ctx: Context): void {
  const noun = program.command('pool').description('pools of members (Octavia v2)');

  withFields(withPrint(noun.command('create').description('create a pool')), true)
    .addOption(choice('--protocol <protocol>', 'the pool protocol', PROTOCOLS).makeOptionMandatory())
    .option('--listener <listener>', 'listener to add the pool to as its default pool (name or ID)')
    .addOption(new Option('--loadbalancer <load_balancer>', 'load balancer to add the pool to (name or ID)').conflicts('listener'))
    .option('--tag <tag>', 'tag to be added to the pool (repeat option to set multiple tags)', collect)
    .action(async (opts: CreateOpts) => {
      if (opts.listener === undefined && opts.loadbalancer === undefined) {
        throw new UsageError('one of the arguments --listener --loadbalancer is required');
      }
      const client = ctx.client();
      const body = {
        ...fieldsBody(opts), protocol: opts.protocol,
        ...given({
          listener_id: await resolveOpt(client, RESOURCES.listener, opts.listener),
          loadbalancer_id: await resolveOpt(client, RESOURCES.loadbalancer, opts.loadbalancer),
          tags: opts.tag,
        }),
      };
      await finishCreate(ctx, POOL, await client.create(POOL, body), opts);
    });

  withPrint(noun.command('list').description('list pools'))
    .option('--loadbalancer <loadbalancer>', 'filter by load balancer (name or ID)')
    .action(async (opts: PrintOpts & { loadbalancer?: string }) => {
      const client = ctx.client();
      const lb = await resolveOpt(client, RESOURCES.loadbalancer, opts.loadbalancer);
      printList(ctx.out, await client.list(POOL, lb === undefined ? {} : { loadbalancer_id: lb }), COLUMNS, printOptions(opts));
    });

  showCommand(noun, ctx, POOL);

  withFields(noun.command('set').description('update a pool'), false)
    .argument('<pool>', 'pool to update (name or ID)')
    .action(async (ref: string, opts: FieldOpts) => {
      const client = ctx.client();
      const id = await client.resolve(POOL, ref);
      await finishSet(ctx, POOL, await client.update(POOL, id, fieldsBody(opts)), opts);
    });

  withWait(noun.command('delete').description('delete a pool'))
    .argument('<pool>', 'pool to delete (name or ID)')
    .action(async (ref: string, opts: WaitOpts) => {
      await deleteObject(ctx, POOL, await ctx.client().resolve(POOL, ref), ref, opts);
    });
}
