/** @module cli/commands/member — `fulcrum member create|list|show|set|delete <pool> …` (octaviaclient's `loadbalancer member`). */
import { Option, type Command } from 'commander';
import { RESOURCES } from '../client.js';
import { printList, printShow, type Column } from '../output.js';
import {
  adminState, collect, deleteObject, finishCreate, finishSet, given, int, printOptions, resolveOpt, withEnable,
  withPrint, withWait, type Context, type EnableOpts, type PrintOpts, type WaitOpts,
} from './common.js';

const MEMBER = RESOURCES.member;

/** octaviaclient's `MEMBER_COLUMNS`. */
const COLUMNS: readonly Column[] = [
  'id', 'name', 'project_id', 'provisioning_status', 'address', 'protocol_port', 'operating_status', 'weight',
].map((field) => ({ field }));

interface FieldOpts extends EnableOpts, WaitOpts {
  name?: string; weight?: number; monitorPort?: number; monitorAddress?: string; enableBackup?: boolean; disableBackup?: boolean;
}

interface CreateOpts extends FieldOpts, PrintOpts { address: string; protocolPort: number; subnetId?: string; tag?: string[] }

function withFields(cmd: Command): Command {
  return withWait(withEnable(cmd, 'member'))
    .option('--name <name>', 'name of the member')
    .option('--weight <weight>', 'the weight of a member, determining its portion of requests (0-256)', int('--weight'))
    .option('--monitor-port <monitor_port>', 'an alternate protocol port used for health monitoring', int('--monitor-port'))
    .option('--monitor-address <monitor_address>', 'an alternate IP address used for health monitoring')
    .addOption(new Option('--enable-backup', 'make the member a backup member'))
    .addOption(new Option('--disable-backup', 'make the member a regular member').conflicts('enableBackup'));
}

function fieldsBody(opts: FieldOpts): Record<string, unknown> {
  return given({
    name: opts.name, weight: opts.weight, monitor_port: opts.monitorPort, monitor_address: opts.monitorAddress,
    backup: opts.enableBackup ? true : opts.disableBackup ? false : undefined, ...adminState(opts),
  });
}

/** Registers the `member` noun; every verb names the pool first. */
export function registerMember(program: Command, ctx: Context): void {
  const noun = program.command('member').description('members of pools (Octavia v2)');
  const pool = (ref: string): Promise<string> => ctx.client().resolve(RESOURCES.pool, ref);

  withFields(withPrint(noun.command('create').description('create a member')))
    .argument('<pool>', 'pool to add the member to (name or ID)')
    .requiredOption('--address <ip_address>', 'the IP address of the backend member server')
    .requiredOption('--protocol-port <protocol_port>', 'the protocol port number the backend member server listens on', int('--protocol-port'))
    .option('--subnet-id <subnet_id>', 'the subnet the member is on (name or ID)')
    .option('--tag <tag>', 'tag to be added to the member (repeat option to set multiple tags)', collect)
    .action(async (poolRef: string, opts: CreateOpts) => {
      const client = ctx.client();
      const poolId = await pool(poolRef);
      const body = {
        ...fieldsBody(opts), address: opts.address, protocol_port: opts.protocolPort,
        ...given({
          subnet_id: await resolveOpt(client, RESOURCES.subnet, opts.subnetId), tags: opts.tag,
        }),
      };
      await finishCreate(ctx, MEMBER, await client.create(MEMBER, body, poolId), opts, poolId);
    });

  withPrint(noun.command('list').description('list members in a pool'))
    .argument('<pool>', 'pool name or ID to list the members of')
    .action(async (poolRef: string, opts: PrintOpts) => {
      printList(ctx.out, await ctx.client().list(MEMBER, {}, await pool(poolRef)), COLUMNS, printOptions(opts));
    });

  withPrint(noun.command('show').description('show the details of a single member'))
    .argument('<pool>', 'pool name or ID to show the members of')
    .argument('<member>', 'name or ID of the member to show')
    .action(async (poolRef: string, ref: string, opts: PrintOpts) => {
      const client = ctx.client();
      const poolId = await pool(poolRef);
      printShow(ctx.out, await client.get(MEMBER, await client.resolve(MEMBER, ref, poolId), poolId), printOptions(opts));
    });

  withFields(noun.command('set').description('update a member'))
    .argument('<pool>', 'pool that the member to update belongs to (name or ID)')
    .argument('<member>', 'name or ID of the member to update')
    .action(async (poolRef: string, ref: string, opts: FieldOpts) => {
      const client = ctx.client();
      const poolId = await pool(poolRef);
      const id = await client.resolve(MEMBER, ref, poolId);
      await finishSet(ctx, MEMBER, await client.update(MEMBER, id, fieldsBody(opts), poolId), opts, poolId);
    });

  withWait(noun.command('delete').description('delete a member from a pool'))
    .argument('<pool>', 'pool name or ID to delete the member from')
    .argument('<member>', 'name or ID of the member to be deleted')
    .action(async (poolRef: string, ref: string, opts: WaitOpts) => {
      const poolId = await pool(poolRef);
      await deleteObject(ctx, MEMBER, await ctx.client().resolve(MEMBER, ref, poolId), ref, opts, poolId);
    });
}
