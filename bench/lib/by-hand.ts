/**
 * @module bench/lib/by-hand — HAProxy without Fulcrum, for the data-plane bench's comparisons: a
 * namespace plugged the way the netns driver plugs a load balancer (one veth per port into the
 * network's bridge, two `ip -batch` calls, a gratuitous ARP), the seed's configuration, and the
 * two ways of starting and reloading it (master-worker; the seed's old
 * `haproxy -D -p pid -sf $(cat pid)`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { run, type ExecResult } from '../../src/drivers/sys/exec.js';
import { ipBatch } from '../../src/drivers/sys/ip.js';
import { bridgeOf, tapOf } from '../../src/drivers/interface/netns.js';

/** A port allocated through Fulcrum's Neutron API (so addresses and MACs never collide with Fulcrum's). */
export interface HandPort {
  id: string;
  networkId: string;
  macAddress: string;
  address: string;
  prefixLength: number;
}

/**
 * Creates namespace `ns` with one veth per port into its network's bridge (which must exist),
 * addresses up, no route: the netns driver's two `ip -batch` calls. Sends a gratuitous ARP for
 * the first port's address as the driver does, without waiting for it (arping takes ~1 s);
 * the returned promise settles when arping is done.
 */
export async function plumbByHand(ns: string, ports: readonly HandPort[]): Promise<{ garp: Promise<unknown> }> {
  const root = [`netns add ${ns}`];
  for (const p of ports) {
    const tap = tapOf(p.id);
    root.push(`link add ${tap} type veth peer name ${tap} netns ${ns}`, `link set ${tap} master ${bridgeOf(p.networkId)} up`);
  }
  await ipBatch(root);
  await ipBatch(['link set lo up', ...ports.flatMap((p) => [
    `link set ${tapOf(p.id)} address ${p.macAddress} up`,
    `addr add ${p.address}/${p.prefixLength} dev ${tapOf(p.id)}`,
  ])], ns);
  const vip = ports[0]!;
  const garp = run(['ip', 'netns', 'exec', ns, 'arping', '-U', '-c', '1', '-I', tapOf(vip.id), vip.address], { timeoutMs: 5000 })
    .catch(() => undefined); // a lost announcement only delays the first packets, as in the driver
  return { garp };
}

/** What a hand-written configuration holds. */
export interface HandConfig {
  vip: string;
  servers: readonly string[];
  /** `timeout client` in ms: the bench alternates it to force reloads. */
  timeoutClientMs?: number;
  /** An admin stats socket (master-worker needs none to hand over listeners in 2.6). */
  statsSocket?: string;
}

/**
 * The seed's configuration for two web servers behind a VIP (neutron-lbaas's haproxy.conf in
 * shared/seed: `option forwardfor`, `retries 3`, `option redispatch`, its timeouts), so that a
 * comparison with Fulcrum's has the same options on both sides. Left out, as Fulcrum does not do
 * them either: the syslog lines and `option tcplog` (no request is logged), `user`/`group` and
 * `daemon` (the command line says how to run). Added, as Fulcrum's load balancers in the bench
 * have a health monitor: `check` on the servers. `maxconn` is Fulcrum's (the fd limit here).
 */
export function handConfig(c: HandConfig): string {
  return [
    'global',
    '    maxconn 9000',
    ...(c.statsSocket ? [`    stats socket ${c.statsSocket} mode 600 level admin`] : []),
    '',
    'defaults',
    '    retries 3',
    '    option redispatch',
    '    timeout connect 5000',
    `    timeout client ${c.timeoutClientMs ?? 50_000}`,
    '    timeout server 50000',
    '',
    'frontend www',
    '    option forwardfor',
    `    bind ${c.vip}:80`,
    '    mode http',
    '    default_backend web',
    '',
    'backend web',
    '    mode http',
    '    balance roundrobin',
    '    option forwardfor',
    ...c.servers.map((s, i) => `    server web${i + 1} ${s}:80 weight 1 check`),
    '',
  ].join('\n');
}

/** Starts HAProxy master-worker (`-W -D -S master.sock`) in `ns`; resolves when the command returns (the master daemonised). */
export function startMasterWorker(ns: string, files: { config: string; pidFile: string; masterSocket: string }): Promise<ExecResult> {
  return run(['ip', 'netns', 'exec', ns, 'haproxy', '-W', '-D', '-S', files.masterSocket, '-f', files.config, '-p', files.pidFile]);
}

/**
 * The seed's start and reload: `haproxy -f cfg -p pid -D [-sf $(cat pid)]`, no master: the new
 * process binds the port itself (SO_REUSEPORT) and tells the old one to finish and leave.
 * @returns the PIDs the pidfile holds afterwards (the new process).
 */
export async function legacyStartOrReload(ns: string, files: { config: string; pidFile: string }, config: string): Promise<number[]> {
  writeFileSync(files.config, config);
  let old: string[] = [];
  try {
    old = readFileSync(files.pidFile, 'utf8').split(/\s+/).filter((x) => /^\d+$/.test(x));
  } catch {
    // first start
  }
  await run(['ip', 'netns', 'exec', ns, 'haproxy', '-f', files.config, '-p', files.pidFile, '-D', ...(old.length > 0 ? ['-sf', ...old] : [])]);
  return readFileSync(files.pidFile, 'utf8').split(/\s+/).filter((x) => /^\d+$/.test(x)).map(Number);
}
