/** @module cli/commands/port — `fulcrum port create|list|show|set|delete` (openstackclient's `port`). */
import type { Command } from 'commander';
import { RESOURCES } from '../client.js';
import { printList, printShow, type Column } from '../output.js';
import {
  adminState, given, keyValues, printOptions, resolveOpt, showCommand, withEnable, withPrint, type Context, type EnableOpts,
  type PrintOpts,
} from './common.js';

const PORT = RESOURCES.port;

/** openstackclient's `port list` columns. */
const COLUMNS: readonly Column[] = [
  { field: 'id', header: 'ID' }, { field: 'name', header: 'Name' }, { field: 'mac_address', header: 'MAC Address' },
  { field: 'fixed_ips', header: 'Fixed IP Addresses' }, { field: 'status', header: 'Status' },
];

/** `--fixed-ip subnet=<subnet>,ip-address=<ip>` (repeatable), as openstackclient spells it. */
const fixedIp = (value: string, previous: Record<string, string>[] = []): Record<string, string>[] =>
  [...previous, keyValues('--fixed-ip')(value)];

interface FieldOpts extends EnableOpts { description?: string; device?: string; deviceOwner?: string }

function withFields(cmd: Command): Command {
  return withEnable(cmd, 'port')
    .option('--description <description>', 'description of this port')
    .option('--device <device-id>', 'port device ID')
    .option('--device-owner <device-owner>', 'device owner of this port');
}

const fieldsBody = (opts: FieldOpts): Record<string, unknown> =>
  given({ description: opts.description, device_id: opts.device, device_owner: opts.deviceOwner, ...adminState(opts) });

interface CreateOpts extends FieldOpts, PrintOpts { network: string; fixedIp?: Record<string, string>[]; macAddress?: string; project?: string }

/** Registers the `port` noun. */
export function registerPort(program: Command, ctx: Context): void {
  const noun = program.command('port').description('ports on networks (Neutron v2.0)');

  withFields(withPrint(noun.command('create').description('create a port')))
    .argument('<name>', 'name of this port')
    .requiredOption('--network <network>', 'network this port belongs to (name or ID)')
    .option('--fixed-ip <subnet=subnet,ip-address=ip-address>', 'desired IP and/or subnet for this port (name or ID); repeat for multiple', fixedIp)
    .option('--mac-address <mac-address>', 'MAC address of this port')
    .option('--project <project>', "owner's project (ID)")
    .action(async (name: string, opts: CreateOpts) => {
      const client = ctx.client();
      const fixedIps = [];
      for (const f of opts.fixedIp ?? []) {
        fixedIps.push(given({ subnet_id: await resolveOpt(client, RESOURCES.subnet, f.subnet), ip_address: f['ip-address'] }));
      }
      const body = {
        name, network_id: await client.resolve(RESOURCES.network, opts.network), ...fieldsBody(opts),
        ...given({ mac_address: opts.macAddress, project_id: opts.project, fixed_ips: fixedIps.length > 0 ? fixedIps : undefined }),
      };
      printShow(ctx.out, await client.create(PORT, body), printOptions(opts));
    });

  withPrint(noun.command('list').description('list ports'))
    .option('--network <network>', 'list only ports connected to this network (name or ID)')
    .action(async (opts: PrintOpts & { network?: string }) => {
      const client = ctx.client();
      const net = await resolveOpt(client, RESOURCES.network, opts.network);
      printList(ctx.out, await client.list(PORT, net === undefined ? {} : { network_id: net }), COLUMNS, printOptions(opts));
    });

  showCommand(noun, ctx, PORT);

  withFields(noun.command('set').description('set port properties'))
    .argument('<port>', 'port to modify (name or ID)')
    .option('--name <name>', 'set port name')
    .action(async (ref: string, opts: FieldOpts & { name?: string }) => {
      const client = ctx.client();
      await client.update(PORT, await client.resolve(PORT, ref), { ...fieldsBody(opts), ...given({ name: opts.name }) });
    });

  noun.command('delete').description('delete a port')
    .argument('<port>', 'port to delete (name or ID)')
    .action(async (ref: string) => {
      const client = ctx.client();
      await client.remove(PORT, await client.resolve(PORT, ref));
    });
}
