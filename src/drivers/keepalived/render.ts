/**
 * @module drivers/keepalived/render — one ACTIVE_STANDBY side's keepalived.conf: VRRPv3 between
 * the pair's own addresses (unicast: pairs never hear each other, so every pair may use router id
 * 1, as Octavia's), the VIP as the virtual address, and two watches on this side's HAProxy
 * that give the VIP up when HAProxy is gone: a file the agent flips the moment it sees HAProxy
 * exit, and a polled check for when the agent itself is not running. Pure: graph → view (every value validated) → text.
 *
 * Timings are those peers/haproxy-lab/RESULTS.md measured (section 8): `advert_int 0.1` with
 * `version 3` moved the VIP in 0.14 s (graceful) and 0.38 s (node death). Both sides start as
 * BACKUP with `nopreempt`: the higher priority (the MASTER role) wins the first election, and a
 * side that comes back never takes the VIP from the one serving (no flapping).
 */
import { FulcrumError } from '../../domain/errors.js';
import { parseCidr } from '../../domain/ipam.js';
import type { LoadBalancerGraph } from '../../domain/model.js';
import { VRRP_ID, VRRP_PRIORITY } from '../../domain/operator.js';
import { cfgFilePath, cfgId, cfgIp, cfgInt, type CfgSite, type CfgToken } from '../haproxy/escape.js';

/** VRRP advertisement interval (s): RESULTS.md section 8. */
export const ADVERT_INT = '0.1';
/** How often the HAProxy check runs (s; keepalived 2.2.7 takes whole seconds only); one failure takes the VIP away. */
export const CHECK_INTERVAL_S = 1;

/** Files keepalived uses, chosen by the provider. */
export interface KeepalivedPaths {
  /** The HAProxy check program this config runs (written from {@link renderHaproxyCheck}). */
  checkScript: string;
  /**
   * A file the agent writes `1` to the moment it sees this side's HAProxy exit, and `0` once it
   * runs again: keepalived watches it (inotify) and gives the VIP up at once.
   */
  downFile: string;
}

/** What only the host knows: the link the side's own port has in the namespace. */
export interface KeepalivedOptions {
  /** The side's VRRP port's link name inside the load balancer's namespace. */
  link: string;
}

interface View {
  lbId: CfgToken;
  amphoraId: CfgToken;
  role: 'MASTER' | 'BACKUP';
  priority: number;
  link: CfgToken;
  selfIp: CfgToken;
  peerIp: CfgToken;
  vip: CfgToken;
  prefix: CfgToken;
  checkScript: CfgToken;
  downFile: CfgToken;
}

const site = (field: string, id: string): CfgSite => ({ object: `Load balancer ${id}`, field });
/** keepalived writes IPv6 addresses bare, not in HAProxy's brackets. */
const bare = (t: CfgToken): CfgToken => (t.startsWith('[') ? t.slice(1, -1) : t) as CfgToken;

function toView(graph: LoadBalancerGraph, paths: KeepalivedPaths, opts: KeepalivedOptions): View {
  const lb = graph.loadBalancer;
  const as = graph.activeStandby;
  if (!as) throw new FulcrumError('VALIDATION', `Load balancer ${lb.id} is not ACTIVE_STANDBY.`, { field: 'flavor_id' });
  const vip = cfgIp(lb.vipAddress, site('vip_address', lb.id));
  const self = cfgIp(as.self.address, site('vrrp_ip', as.self.amphoraId));
  const peer = cfgIp(as.peer.address, site('vrrp_ip', as.peer.amphoraId));
  if (self.family !== vip.family || peer.family !== vip.family) {
    throw new FulcrumError('VALIDATION', 'The VRRP addresses and the VIP must be of one IP version.', { field: 'vip_address' });
  }
  const subnet = graph.subnets.find((s) => s.id === lb.vipSubnetId);
  if (!subnet) throw new FulcrumError('VALIDATION', `The VIP subnet of load balancer ${lb.id} is not in its graph.`, { field: 'vip_subnet_id' });
  if (!/^[A-Za-z0-9_-]{1,15}$/.test(opts.link)) throw new FulcrumError('VALIDATION', `Unsafe link name ${JSON.stringify(opts.link)}.`, { field: 'link' });
  return {
    lbId: cfgId(lb.id, site('id', lb.id)),
    amphoraId: cfgId(as.self.amphoraId, site('amphora_id', as.self.amphoraId)),
    role: as.self.role,
    priority: VRRP_PRIORITY[as.self.role],
    link: opts.link as CfgToken,
    selfIp: bare(self.host), peerIp: bare(peer.host), vip: bare(vip.host),
    prefix: cfgInt(parseCidr(subnet.cidr).prefixLength, 1, 128, site('vip_subnet_id', lb.id)),
    checkScript: cfgFilePath(paths.checkScript, { object: 'keepalived paths', field: 'checkScript' }),
    downFile: cfgFilePath(paths.downFile, { object: 'keepalived paths', field: 'downFile' }),
  };
}

const block = (header: string, body: readonly string[], indent = '    '): string[] =>
  [`${header} {`, ...body.map((l) => `${indent}${l}`), '}'];

function print(v: View): string {
  return [
    `# keepalived for load balancer ${v.lbId}, side ${v.role} (amphora ${v.amphoraId})`,
    ...block('global_defs', [
      `router_id ${v.amphoraId}`,
      // The check runs as root: it is the agent's own file in its 0700 directory, which is what
      // keepalived's script security asks (without it `keepalived -t` fails with a SECURITY VIOLATION).
      'script_user root',
      'enable_script_security',
      // A new master tells the switches (bridges, VXLAN forwarding tables) at once, and again.
      'vrrp_garp_master_delay 1',
      'vrrp_garp_master_repeat 3',
      'vrrp_garp_interval 0.001',
      'vrrp_gna_interval 0.001',
    ]),
    // The agent sees its HAProxy exit at once and writes 1 here: keepalived (inotify) goes to FAULT
    // and hands the VIP over before the agent has restarted HAProxy, whose stick tables would start
    // empty (until the peers resync) and send clients to other members. Without it the agent's
    // restart beat the polled check below and persistence broke in 3 of 5 bench rounds.
    // (`track_process` would see exits itself, but the kernel's process events are not delivered
    // inside a network namespace: keepalived logs "Failed to set/clear process event listen".)
    ...block('vrrp_track_file haproxy_down', [
      `file "${v.downFile}"`,
      'weight 0',
    ]),
    // The backstop when the agent is not there to write the file: polled, whole seconds in 2.2.7.
    ...block('vrrp_script check_haproxy', [
      `script "${v.checkScript}"`,
      `interval ${CHECK_INTERVAL_S}`,
      'timeout 1',
      'fall 1',
      'rise 1',
    ]),
    ...block(`vrrp_instance ${v.lbId}`, [
      // Both sides start BACKUP: nopreempt needs it, and the first election goes by priority.
      'state BACKUP',
      `interface ${v.link}`,
      `virtual_router_id ${VRRP_ID}`,
      'version 3',
      `priority ${v.priority}`,
      `advert_int ${ADVERT_INT}`,
      'nopreempt',
      `unicast_src_ip ${v.selfIp}`,
      ...block('unicast_peer', [v.peerIp]),
      ...block('virtual_ipaddress', [`${v.vip}/${v.prefix} dev ${v.link}`]),
      ...block('track_script', ['check_haproxy']),
      ...block('track_file', ['haproxy_down']),
    ]),
    '',
  ].join('\n');
}

/**
 * Renders one side's keepalived.conf. Pure and deterministic.
 * @throws FulcrumError VALIDATION when the graph is not ACTIVE_STANDBY or a value cannot be made
 *   safe (an address, an id, the link name, the check path).
 */
export function renderKeepalivedConfig(graph: LoadBalancerGraph, paths: KeepalivedPaths, opts: KeepalivedOptions): string {
  return print(toView(graph, paths, opts));
}

/**
 * The HAProxy check keepalived runs (a POSIX shell script): passes while the HAProxy master named
 * by the pidfile is alive and not a zombie (this VM's PID 1 reaps late, RESULTS.md). Pure.
 */
export function renderHaproxyCheck(haproxyPidFile: string): string {
  const pidFile = cfgFilePath(haproxyPidFile, { object: 'HAProxy paths', field: 'pidFile' });
  return [
    '#!/bin/sh',
    "# Fulcrum: is this side's HAProxy running? keepalived gives the VIP up when it is not.",
    `pid=$(cat ${pidFile} 2>/dev/null) || exit 1`,
    'case "$pid" in ""|*[!0-9]*) exit 1 ;; esac',
    '[ -r /proc/$pid/stat ] || exit 1',
    'read -r _ _ state _ < /proc/$pid/stat || exit 1',
    '[ "$state" != Z ]',
    '',
  ].join('\n');
}
