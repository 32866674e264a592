/** @module cli/commands/subnet — `fulcrum subnet create|list|show|set|delete` (openstackclient's `subnet`). */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { RESOURCES } from '../client.js';
import { printList, printShow, type Column } from '../output.js';
import { collect, given, keyValues, printOptions, resolveOpt, showCommand, withPrint, type Context, type PrintOpts } from './common.js';

const SUBNET = RESOURCES.subnet;

/** openstackclient's `subnet list` columns. */
const COLUMNS: readonly Column[] = [
  { field: 'id', header: 'ID' }, { field: 'name', header: 'Name' }, { field: 'network_id', header: 'Network' },
  { field: 'cidr', header: 'Subnet' },
];

/** `--gateway <ip>|auto|none`: auto lets the API pick the first address (the field is left out), none is no gateway. */
const gateway = (v: string): string | null | undefined => (v === 'none' ? null : v === 'auto' ? undefined : v);

/** `--allocation-pool start=<ip>,end=<ip>`. */
function allocationPool(value: string, previous: { start: string; end: string }[] = []): { start: string; end: string }[] {
  const kv = keyValues('--allocation-pool')(value);
  if (kv.start === undefined || kv.end === undefined) throw new InvalidArgumentError('--allocation-pool takes start=<ip>,end=<ip>.');
  return [...previous, { start: kv.start, end: kv.end }];
}

interface FieldOpts { description?: string; gateway?: string | null; dhcp?: boolean }

function withFields(cmd: Command): Command {
  return cmd
    .option('--description <description>', 'subnet description')
    .option('--gateway <gateway>', "gateway IP address, 'auto' (the first address of the range) or 'none'", gateway)
    .option('--dhcp', 'enable DHCP')
    .option('--no-dhcp', 'disable DHCP');
}

const fieldsBody = (opts: FieldOpts): Record<string, unknown> =>
  given({ description: opts.description, gateway_ip: opts.gateway, enable_dhcp: opts.dhcp });

interface CreateOpts extends FieldOpts, PrintOpts {
  network: string; subnetRange: string; ipVersion: string; allocationPool?: { start: string; end: string }[];
  dnsNameserver?: string[]; project?: string;
}

/** Registers the `subnet` noun. */
export function registerSubnet(program: Command, ctx: Context): void {
  const noun = program.command('subnet').description('subnets of networks (Neutron v2.0)');

  withFields(withPrint(noun.command('create').description('create a subnet')))
    .argument('<name>', 'new subnet name')
    .requiredOption('--network <network>', 'network this subnet belongs to (name or ID)')
    .requiredOption('--subnet-range <subnet-range>', 'subnet range in CIDR notation')
    .addOption(new Option('--ip-version <ip-version>', 'IP version').choices(['4', '6']).default('4'))
    .option('--allocation-pool <start=ip,end=ip>', 'allocation pool IP addresses (repeat option to add multiple pools)', allocationPool)
    .option('--dns-nameserver <dns-nameserver>', 'DNS server for this subnet (repeat option to set multiple DNS servers)', collect)
    .option('--project <project>', "owner's project (ID)")
    .action(async (name: string, opts: CreateOpts) => {
      const client = ctx.client();
      const body = {
        name, network_id: await client.resolve(RESOURCES.network, opts.network), cidr: opts.subnetRange,
        ip_version: Number(opts.ipVersion), ...fieldsBody(opts),
        ...given({
          project_id: opts.project,
          allocation_pools: opts.allocationPool,
          dns_nameservers: opts.dnsNameserver,
        }),
      };
      printShow(ctx.out, await client.create(SUBNET, body), printOptions(opts));
    });

  withPrint(noun.command('list').description('list subnets'))
    .option('--network <network>', 'list only subnets of this network (name or ID)')
    .option('--name <name>', 'list only subnets with this name')
    .action(async (opts: PrintOpts & { network?: string; name?: string }) => {
      const client = ctx.client();
      const query = given({ name: opts.name, network_id: await resolveOpt(client, RESOURCES.network, opts.network) }) as Record<string, string>;
      printList(ctx.out, await client.list(SUBNET, query), COLUMNS, printOptions(opts));
    });

  showCommand(noun, ctx, SUBNET);

  withFields(noun.command('set').description('set subnet properties'))
    .argument('<subnet>', 'subnet to modify (name or ID)')
    .option('--name <name>', 'updated name of the subnet')
    .action(async (ref: string, opts: FieldOpts & { name?: string }) => {
      const client = ctx.client();
      await client.update(SUBNET, await client.resolve(SUBNET, ref), { ...fieldsBody(opts), ...given({ name: opts.name }) });
    });

  noun.command('delete').description('delete a subnet')
    .argument('<subnet>', 'subnet to delete (name or ID)')
    .action(async (ref: string) => {
      const client = ctx.client();
      await client.remove(SUBNET, await client.resolve(SUBNET, ref));
    });
}
