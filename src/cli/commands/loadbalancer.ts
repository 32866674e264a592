/**
 * @module cli/commands/loadbalancer — `fulcrum loadbalancer create|list|show|set|delete` (octaviaclient's
 * `loadbalancer`), and Fulcrum's `config` (the rendered data-plane configuration, for admins).
 */
import type { Command } from 'commander';
import type { OperatingStatus, ProvisioningStatus } from '../../domain/status.js';
import { RESOURCES } from '../client.js';
import { printList, type Column } from '../output.js';
import {
  adminState, choice, collect, deleteObject, finishCreate, finishSet, given, printOptions, resolveOpt, showCommand, withEnable, withPrint,
  withWait, type Context, type EnableOpts, type PrintOpts, type WaitOpts,
} from './common.js';

const LB = RESOURCES.loadbalancer;

/** octaviaclient's `LOAD_BALANCER_COLUMNS`. */
const COLUMNS: readonly Column[] = ['id', 'name', 'project_id', 'vip_address', 'provisioning_status', 'operating_status', 'provider']
  .map((field) => ({ field }));

const PROVISIONING = ['ACTIVE', 'DELETED', 'ERROR', 'PENDING_CREATE', 'PENDING_UPDATE', 'PENDING_DELETE'] as const satisfies readonly ProvisioningStatus[];
const OPERATING = ['ONLINE', 'DRAINING', 'OFFLINE', 'DEGRADED', 'ERROR', 'NO_MONITOR'] as const satisfies readonly OperatingStatus[];

interface CreateOpts extends PrintOpts, WaitOpts, EnableOpts {
  name?: string; description?: string; vipAddress?: string; vipPortId?: string; vipSubnetId?: string;
  vipNetworkId?: string; vipQosPolicyId?: string; project?: string; provider?: string; availabilityZone?: string;
  flavor?: string; tag?: string[];
}

interface ListOpts extends PrintOpts, EnableOpts {
  name?: string; project?: string; vipSubnetId?: string; vipNetworkId?: string; vipPortId?: string;
  provisioningStatus?: string; operatingStatus?: string; provider?: string;
}

interface SetOpts extends WaitOpts, EnableOpts { name?: string; description?: string; vipQosPolicyId?: string }

/** Registers the `loadbalancer` noun. */
export function registerLoadBalancer(program: Command, ctx: Context): void {
  const noun = program.command('loadbalancer').description('load balancers (Octavia v2)');

  withWait(withEnable(withPrint(noun.command('create').description('create a load balancer')), 'load balancer'))
    .option('--name <name>', 'new load balancer name')
    .option('--description <description>', 'set load balancer description')
    .option('--vip-address <vip_address>', 'the VIP IP address')
    .option('--vip-port-id <vip_port_id>', 'port for the load balancer (name or ID)')
    .option('--vip-subnet-id <vip_subnet_id>', 'subnet for the load balancer (name or ID)')
    .option('--vip-network-id <vip_network_id>', 'network for the load balancer (name or ID)')
    .option('--vip-qos-policy-id <vip_qos_policy_id>', 'QoS policy ID for the VIP port')
    .option('--project <project>', 'project for the load balancer (ID)')
    .option('--provider <provider>', 'provider name for the load balancer')
    .option('--availability-zone <availability_zone>', 'availability zone for the load balancer')
    .option('--flavor <flavor>', 'flavor ID for the load balancer')
    .option('--tag <tag>', 'tag to be added to the load balancer (repeat option to set multiple tags)', collect)
    .action(async (opts: CreateOpts) => {
      const client = ctx.client();
      const body = given({
        name: opts.name, description: opts.description, vip_address: opts.vipAddress,
        vip_port_id: await resolveOpt(client, RESOURCES.port, opts.vipPortId),
        vip_subnet_id: await resolveOpt(client, RESOURCES.subnet, opts.vipSubnetId),
        vip_network_id: await resolveOpt(client, RESOURCES.network, opts.vipNetworkId),
        vip_qos_policy_id: opts.vipQosPolicyId, project_id: opts.project, provider: opts.provider,
        availability_zone: opts.availabilityZone, flavor_id: opts.flavor, tags: opts.tag,
        ...adminState(opts),
      });
      await finishCreate(ctx, LB, await client.create(LB, body), opts);
    });

  withEnable(withPrint(noun.command('list').description('list load balancers')), 'load balancers')
    .option('--name <name>', 'list load balancers according to their name')
    .option('--project <project-id>', 'list load balancers according to their project (ID)')
    .option('--vip-network-id <vip_network_id>', 'list load balancers according to their VIP network (ID)')
    .option('--vip-subnet-id <vip_subnet_id>', 'list load balancers according to their VIP subnet (ID)')
    .option('--vip-port-id <vip_port_id>', 'list load balancers according to their VIP port (ID)')
    .addOption(choice('--provisioning-status <status>', 'list load balancers according to their provisioning status', PROVISIONING))
    .addOption(choice('--operating-status <status>', 'list load balancers according to their operating status', OPERATING))
    .option('--provider <provider>', 'list load balancers according to their provider')
    .action(async (opts: ListOpts) => {
      const admin = adminState(opts).admin_state_up;
      const query = given({
        name: opts.name, project_id: opts.project, vip_network_id: opts.vipNetworkId, vip_subnet_id: opts.vipSubnetId,
        vip_port_id: opts.vipPortId, provisioning_status: opts.provisioningStatus, operating_status: opts.operatingStatus,
        provider: opts.provider, admin_state_up: admin === undefined ? undefined : String(admin),
      }) as Record<string, string>;
      printList(ctx.out, await ctx.client().list(LB, query), COLUMNS, printOptions(opts));
    });

  showCommand(noun, ctx, LB);

  withWait(withEnable(noun.command('set').description('update a load balancer'), 'load balancer'))
    .argument('<loadbalancer>', 'load balancer to update (name or ID)')
    .option('--name <name>', 'set load balancer name')
    .option('--description <description>', 'set load balancer description')
    .option('--vip-qos-policy-id <vip_qos_policy_id>', 'set QoS policy ID for VIP port')
    .action(async (ref: string, opts: SetOpts) => {
      const client = ctx.client();
      const id = await client.resolve(LB, ref);
      const body = given({ name: opts.name, description: opts.description, vip_qos_policy_id: opts.vipQosPolicyId, ...adminState(opts) });
      await finishSet(ctx, LB, await client.update(LB, id, body), opts);
    });

  noun.command('config').description("print the configuration the provider rendered for a load balancer (HAProxy's haproxy.cfg; admins only)")
    .argument('<loadbalancer>', 'load balancer (name or ID)')
    .action(async (ref: string) => {
      const client = ctx.client();
      const id = await client.resolve(LB, ref);
      const body = await client.request('GET', `${LB.path()}/${encodeURIComponent(id)}/config`) as { config: { text: string } };
      ctx.out.write(body.config.text);
    });

  withWait(noun.command('delete').description('delete a load balancer'))
    .argument('<loadbalancer>', 'load balancer to delete (name or ID)')
    .option('--cascade', 'cascade the delete to all child elements of the load balancer')
    .action(async (ref: string, opts: WaitOpts & { cascade?: boolean }) => {
      const id = await ctx.client().resolve(LB, ref);
      await deleteObject(ctx, LB, id, ref, opts, undefined, opts.cascade ? '?cascade=true' : '');
    });
}
