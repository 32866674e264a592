/**
 * @module drivers/sys/ip — iproute2 in batches. Each `ip` process costs ~10 ms here
 * (haproxy-lab RESULTS.md), so plumbing is sent as one `ip -batch` per namespace, and
 * existence checks read /sys and /run instead of forking.
 */
import { existsSync, readdirSync } from 'node:fs';
import { run } from './exec.js';

/** Runs iproute2 commands (one per line, without the leading `ip`) in one process, optionally in a namespace. */
export async function ipBatch(commands: readonly string[], netns?: string): Promise<void> {
  if (commands.length === 0) return;
  for (const c of commands) {
    if (/[\n\r]/.test(c)) throw new Error(`ipBatch: a command may not contain a line break: ${JSON.stringify(c)}`);
  }
  const argv = netns === undefined ? ['ip', '-batch', '-'] : ['ip', '-n', netns, '-batch', '-'];
  await run(argv, { input: `${commands.join('\n')}\n`, timeoutMs: 20_000 });
}

/** True when a link of this name exists in the root namespace. */
export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/** The links enslaved to a bridge in the root namespace (empty when it has none or does not exist). */
export function bridgePorts(bridge: string): string[] {
  try {
    return readdirSync(`/sys/class/net/${bridge}/brif`);
  } catch {
    return [];
  }
}

/** True when a named network namespace exists. */
export function netnsExists(name: string): boolean {
  return existsSync(`/run/netns/${name}`);
}

/** Named network namespaces (those `ip netns add` made). */
export function listNetns(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

/** One address of a link, as `ip -j addr` shows it. */
export interface LinkAddress {
  link: string;
  address: string;
  prefixLength: number;
}

/** The addresses and up-state of every link in a namespace (one `ip` call). */
export async function linksIn(netns: string): Promise<{ name: string; up: boolean; mac: string; mtu: number; addresses: LinkAddress[] }[]> {
  const { stdout } = await run(['ip', '-n', netns, '-j', 'addr', 'show']);
  const rows = JSON.parse(stdout) as {
    ifname: string; flags: string[]; address?: string; mtu: number;
    addr_info: { family: string; local: string; prefixlen: number; scope: string }[];
  }[];
  return rows.map((r) => ({
    name: r.ifname,
    up: r.flags.includes('UP'),
    mac: r.address ?? '',
    mtu: r.mtu,
    addresses: r.addr_info.filter((a) => a.scope === 'global').map((a) => ({ link: r.ifname, address: a.local, prefixLength: a.prefixlen })),
  }));
}

/** Process ids running in a namespace. */
export async function pidsIn(netns: string): Promise<number[]> {
  if (!netnsExists(netns)) return [];
  const { stdout } = await run(['ip', 'netns', 'pids', netns]);
  return stdout.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
}

/**
 * SIGKILLs every process left in a namespace that is being removed (they all belong to its owner:
 * a namespace Fulcrum made runs only what Fulcrum started in it), so the namespace can really go.
 */
export async function killNamespaceProcesses(netns: string): Promise<void> {
  for (const pid of await pidsIn(netns)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
