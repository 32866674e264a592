/**
 * @module drivers/nftables/render — a load balancer's UDP listeners as an nftables ruleset, served
 * by the kernel in its `qlbaas-<id>` namespace (HAProxy 2.6 does not balance UDP; IPVS is not
 * available): DNAT from VIP:port to the pool's healthy members, round-robin by `numgen inc` (or
 * `jhash ip saddr` for SOURCE_IP), weights as ranges of the modulus, SOURCE_IP persistence in a
 * dynamic map with the pool's timeout, masquerade so replies come back through the namespace.
 * Pure: graph + member health + counters to carry → the text of one `nft -f` transaction that
 * replaces the table atomically. Every value is checked here (UUIDs, IPv4 addresses, integers);
 * names and descriptions are never written.
 */
import { isIP } from 'node:net';
import { FulcrumError } from '../../domain/errors.js';
import { isUuid } from '../../domain/ids.js';
import { MAX_WEIGHT } from '../../domain/limits.js';
import type { HealthMonitor, Listener, LoadBalancerGraph, Member, Pool } from '../../domain/model.js';

/** The table Fulcrum owns in each load balancer's namespace (family ip). */
export const UDP_TABLE = 'fulcrum_udp';
/** Octavia's default `persistence_timeout` for UDP pools (`[haproxy_amphora]`/LVS: 360 s). */
export const DEFAULT_UDP_PERSISTENCE_TIMEOUT = 360;

/** One named counter's values, carried from the table being replaced into the new one. */
export interface CounterValue {
  packets: number;
  bytes: number;
}

/** What the renderer needs besides the graph. */
export interface UdpRenderState {
  /**
   * Health of members of monitored pools, from the agent's own checks: false takes the member
   * out of the map. A member not in the map is taken as up (not checked yet, as HAProxy starts).
   */
  health: ReadonlyMap<string, boolean>;
  /** Counter values of the table being replaced, by counter name (so that counts survive). */
  counters: ReadonlyMap<string, CounterValue>;
  /** Identifies this table's counters across replacements (a new table starts a new epoch). */
  epoch: number;
}

/** The counters of one UDP listener, by what they count. */
export function counterNames(listenerId: string): { flows: string; dropped: string; bytesIn: string; bytesOut: string } {
  const id = ident(listenerId, 'listener id');
  return { flows: `flows_${id}`, dropped: `dropped_${id}`, bytesIn: `in_${id}`, bytesOut: `out_${id}` };
}

/** The listeners this renderer serves: protocol UDP. */
export function udpListenersOf(graph: LoadBalancerGraph): Listener[] {
  return graph.listeners.filter((l) => l.protocol === 'UDP');
}

/** True when the graph has something for this renderer. */
export function hasUdp(graph: LoadBalancerGraph): boolean {
  return udpListenersOf(graph).length > 0;
}

/** The connection mark of a listener's flows: its position among the UDP listeners, from 1. */
export function marksOf(graph: LoadBalancerGraph): Map<string, number> {
  return new Map(udpListenersOf(graph).map((l, i) => [l.id, i + 1]));
}

function refuse(where: string, why: string, value: unknown): never {
  throw new FulcrumError('DRIVER_FAILED', 'A value cannot be written to the UDP ruleset.', { detail: `${where}: ${why}: ${JSON.stringify(value)}` });
}

function unsupported(where: string, value: unknown): never {
  throw new FulcrumError('UNSUPPORTED_OPTION', `${where} ${String(value)} is not supported for UDP by this provider.`, { detail: `${where}: ${JSON.stringify(value)}` });
}

/** A UUID as an nft identifier (letters, digits, `_`). */
function ident(id: string, where: string): string {
  return isUuid(id) ? id.replace(/-/g, '_') : refuse(where, 'not a UUID', id);
}
const ipv4 = (v: string, where: string): string => {
  if (isIP(v) === 4) return v;
  return isIP(v) === 6 ? unsupported(`${where} (IPv6)`, v) : refuse(where, 'not an IPv4 address', v);
};
const int = (v: number, min: number, max: number, where: string): string =>
  (Number.isInteger(v) && v >= min && v <= max ? String(v) : refuse(where, `not an integer in ${min}–${max}`, v));
/** A dotted IPv4 netmask (contiguous ones), as `persistence_granularity` is. */
function netmask(v: string, where: string): string {
  const a = ipv4(v, where).split('.').map(Number);
  const bits = a.reduce((n, x) => n * 256 + x!, 0);
  const inv = (~bits >>> 0);
  return (inv & (inv + 1)) === 0 ? v : refuse(where, 'not a netmask', v);
}

interface ListenerView {
  mark: string;
  vip: string;
  port: string;
  counters: ReturnType<typeof counterNames>;
  chain: string;
  /** null: nothing to forward to (pool missing, disabled or without a usable member): dropped and counted. */
  dispatch: { hash: 'numgen inc' | 'jhash ip saddr'; modulus: number; slots: string[] } | null;
  sticky: { map: string; key: string; timeout: string } | null;
}

/** The members that take new flows: enabled, weight > 0, healthy; backups only when no other one is. */
export function usableMembers(pool: Pool, members: readonly Member[], monitor: HealthMonitor | undefined, health: ReadonlyMap<string, boolean>): Member[] {
  const isUp = (m: Member) => m.adminStateUp && m.weight > 0 && (!monitor || !monitor.adminStateUp || health.get(m.id) !== false);
  const up = members.filter((m) => m.poolId === pool.id && isUp(m));
  const primary = up.filter((m) => !m.backup);
  return primary.length > 0 ? primary : up;
}

function listenerView(graph: LoadBalancerGraph, l: Listener, mark: number, state: UdpRenderState): ListenerView {
  const at = (f: string) => `listener ${l.id} ${f}`;
  if (l.connectionLimit !== -1) unsupported(at('connection_limit'), l.connectionLimit);
  const vip = ipv4(graph.loadBalancer.vipAddress ?? '', 'vip_address');
  const view: ListenerView = {
    mark: int(mark, 1, 65535, 'mark'), vip, port: int(l.protocolPort, 1, 65535, at('protocol_port')),
    counters: counterNames(l.id), chain: `listener_${ident(l.id, at('id'))}`, dispatch: null, sticky: null,
  };
  const pool = graph.pools.find((p) => p.id === l.defaultPoolId);
  if (!pool) return view;
  const pat = (f: string) => `pool ${pool.id} ${f}`;
  if (pool.protocol !== 'UDP') unsupported(pat('protocol'), pool.protocol);
  if (pool.lbAlgorithm !== 'ROUND_ROBIN' && pool.lbAlgorithm !== 'SOURCE_IP') unsupported(pat('lb_algorithm'), pool.lbAlgorithm);
  const monitor = graph.healthMonitors.find((h) => h.poolId === pool.id);
  if (monitor && !['UDP-CONNECT', 'TCP', 'HTTP'].includes(monitor.type)) unsupported(`health monitor ${monitor.id} type`, monitor.type);
  const sp = pool.sessionPersistence;
  if (sp && sp.type !== 'SOURCE_IP') unsupported(pat('session_persistence type'), sp.type);
  if (sp) {
    const mask = sp.persistenceGranularity === null ? null : netmask(sp.persistenceGranularity, pat('persistence_granularity'));
    view.sticky = {
      map: `sticky_${ident(pool.id, pat('id'))}`,
      key: mask === null || mask === '255.255.255.255' ? 'ip saddr' : `ip saddr and ${mask}`,
      timeout: `${int(sp.persistenceTimeout ?? DEFAULT_UDP_PERSISTENCE_TIMEOUT, 1, 2 ** 31 - 1, pat('persistence_timeout'))}s`,
    };
  }
  if (!pool.adminStateUp) return view;
  const members = usableMembers(pool, graph.members, monitor, state.health);
  if (members.length === 0) return view;
  const slots: string[] = [];
  let next = 0;
  for (const m of members) {
    const w = Number(int(m.weight, 1, MAX_WEIGHT, `member ${m.id} weight`));
    const target = `${ipv4(m.address, `member ${m.id} address`)} . ${int(m.protocolPort, 1, 65535, `member ${m.id} protocol_port`)}`;
    slots.push(`${w === 1 ? next : `${next}-${next + w - 1}`} : ${target}`);
    next += w;
  }
  view.dispatch = { hash: pool.lbAlgorithm === 'SOURCE_IP' ? 'jhash ip saddr' : 'numgen inc', modulus: next, slots };
  return view;
}

const counterLine = (name: string, c: CounterValue | undefined): string =>
  `  counter ${name} { packets ${int(c?.packets ?? 0, 0, Number.MAX_SAFE_INTEGER, name)} bytes ${int(c?.bytes ?? 0, 0, Number.MAX_SAFE_INTEGER, name)} }`;

/**
 * The `nft -f` text that replaces the load balancer's UDP table with one serving `graph`'s UDP
 * listeners (or removes it when there are none). One transaction: the kernel switches from the
 * old rules to the new ones atomically, and a refused ruleset changes nothing.
 * @throws FulcrumError DRIVER_FAILED for a value that cannot be written safely, UNSUPPORTED_OPTION
 *   for what UDP listeners here cannot do (IPv6, LEAST_CONNECTIONS, a connection limit, SCTP…).
 */
export function renderUdpRuleset(graph: LoadBalancerGraph, state: UdpRenderState): string {
  const head = [`table ip ${UDP_TABLE} {}`, `delete table ip ${UDP_TABLE}`];
  const listeners = udpListenersOf(graph).filter((l) => l.adminStateUp);
  if (udpListenersOf(graph).length === 0) return `${head.join('\n')}\n`;
  const marks = marksOf(graph);
  const views = listeners.map((l) => listenerView(graph, l, marks.get(l.id)!, state));
  const out = [...head, `table ip ${UDP_TABLE} {`];
  out.push(`  set epoch { type mark; elements = { ${int(state.epoch, 1, 2 ** 32 - 1, 'epoch')} } }`);
  for (const l of udpListenersOf(graph)) {
    for (const name of Object.values(counterNames(l.id))) out.push(counterLine(name, state.counters.get(name)));
  }
  const stickies = new Map(views.filter((v) => v.sticky).map((v) => [v.sticky!.map, v.sticky!]));
  for (const s of stickies.values()) {
    out.push(`  map ${s.map} { type ipv4_addr : ipv4_addr . inet_service; flags dynamic, timeout; timeout ${s.timeout}; }`);
  }
  out.push('  chain prerouting {', '    type nat hook prerouting priority dstnat; policy accept;');
  for (const v of views) out.push(`    ip daddr ${v.vip} udp dport ${v.port} ct mark set ${v.mark} counter name ${v.counters.flows} jump ${v.chain}`);
  out.push('  }');
  for (const v of views) {
    out.push(`  chain ${v.chain} {`);
    if (v.dispatch) {
      if (v.sticky) out.push(`    meta l4proto udp ${v.sticky.key} @${v.sticky.map} dnat ip to ${v.sticky.key} map @${v.sticky.map}`);
      out.push(`    meta l4proto udp dnat ip to ${v.dispatch.hash} mod ${v.dispatch.modulus} map { ${v.dispatch.slots.join(', ')} }`);
    }
    out.push(`    counter name ${v.counters.dropped} drop`, '  }');
  }
  out.push('  chain forward {', '    type filter hook forward priority filter; policy accept;');
  for (const v of views) {
    out.push(`    ct mark ${v.mark} ct direction original counter name ${v.counters.bytesIn}`);
    out.push(`    ct mark ${v.mark} ct direction reply counter name ${v.counters.bytesOut}`);
  }
  out.push('  }');
  out.push('  chain postrouting {', '    type nat hook postrouting priority srcnat; policy accept;');
  for (const v of views) out.push(`    ct mark ${v.mark} masquerade`);
  out.push('  }');
  const sticky = views.filter((v) => v.sticky && v.dispatch);
  if (sticky.length > 0) {
    // After DNAT (daddr is the member), before masquerade (saddr is still the client's).
    out.push('  chain remember {', '    type filter hook postrouting priority srcnat - 1; policy accept;');
    for (const v of sticky) {
      out.push(`    ct mark ${v.mark} ct direction original meta l4proto udp update @${v.sticky!.map} { ${v.sticky!.key} timeout ${v.sticky!.timeout} : ip daddr . udp dport }`);
    }
    out.push('  }');
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
