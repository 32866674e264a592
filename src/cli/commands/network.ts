/** @module cli/commands/network — `fulcrum network create|list|show|set|delete` (openstackclient's `network`). */
import type { Command } from 'commander';
import { RESOURCES } from '../client.js';
import { printList, printShow, type Column } from '../output.js';
import { adminState, given, int, printOptions, showCommand, withEnable, withPrint, type Context, type EnableOpts, type PrintOpts } from './common.js';

const NETWORK = RESOURCES.network;

/** openstackclient's `network list` columns. */
const COLUMNS: readonly Column[] = [
  { field: 'id', header: 'ID' }, { field: 'name', header: 'Name' },
  { field: 'subnets', header: 'Subnets', format: (v) => (Array.isArray(v) ? v.join(', ') : '') },
];

interface FieldOpts extends EnableOpts { description?: string; share?: boolean; mtu?: number }

function withFields(cmd: Command): Command {
  return withEnable(cmd, 'network')
    .option('--description <description>', 'network description')
    .option('--share', 'share the network between projects')
    .option('--no-share', 'do not share the network between projects')
    .option('--mtu <mtu>', 'MTU of the network', int('--mtu'));
}

const fieldsBody = (opts: FieldOpts): Record<string, unknown> =>
  given({ description: opts.description, shared: opts.share, mtu: opts.mtu, ...adminState(opts) });

/** Registers the `network` noun. */
export function registerNetwork(program: Command, ctx: Context): void {
  const noun = program.command('network').description('networks (Neutron v2.0)');

  withFields(withPrint(noun.command('create').description('create a network')))
    .argument('<name>', 'new network name')
    .option('--project <project>', "owner's project (ID)")
    .action(async (name: string, opts: FieldOpts & PrintOpts & { project?: string }) => {
      const net = await ctx.client().create(NETWORK, { name, ...fieldsBody(opts), ...given({ project_id: opts.project }) });
      printShow(ctx.out, net, printOptions(opts));
    });

  withPrint(noun.command('list').description('list networks'))
    .option('--name <name>', 'list only networks with this name')
    .action(async (opts: PrintOpts & { name?: string }) => {
      printList(ctx.out, await ctx.client().list(NETWORK, given({ name: opts.name }) as Record<string, string>), COLUMNS, printOptions(opts));
    });

  showCommand(noun, ctx, NETWORK);

  withFields(noun.command('set').description('set network properties'))
    .argument('<network>', 'network to modify (name or ID)')
    .option('--name <name>', 'set network name')
    .action(async (ref: string, opts: FieldOpts & { name?: string }) => {
      const client = ctx.client();
      await client.update(NETWORK, await client.resolve(NETWORK, ref), { ...fieldsBody(opts), ...given({ name: opts.name }) });
    });

  noun.command('delete').description('delete a network')
    .argument('<network>', 'network to delete (name or ID)')
    .action(async (ref: string) => {
      const client = ctx.client();
      await client.remove(NETWORK, await client.resolve(NETWORK, ref));
    });
}
