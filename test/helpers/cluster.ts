/**
 * @module test/helpers/cluster — a multi-node Fulcrum on this machine, for test/e2e/multinode
 * and bench/ha: a real PostgreSQL, `fulcrum server` processes on loopback ports, one
 * `fulcrum agent` per node (test/helpers/nodes: node namespaces joined by a private underlay,
 * bridges and VXLAN in the nodes), stand-in web servers and a client namespace (no route out) on a
 * node of their own. The client talks to whichever API server answers, as a client behind a load
 * balancer would. Every process is stopped by its PID, every namespace and link removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHost, curlFrom, deleteHost, serveHttp } from '../../src/drivers/interface/hosts.js';
import { run } from '../../src/drivers/sys/exec.js';
import { ipBatch, killNamespaceProcesses, listNetns, pidsIn } from '../../src/drivers/sys/ip.js';
import { makeNodes, type Node } from './nodes.js';
import { startPostgres, type PostgresServer } from './postgres.js';
import { TcpProxy } from './tcp-proxy.js';
import { freePort } from '../../bench/lib/process.js';
import { until } from './scene.js';

export { until };

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));


/** A Fulcrum process this helper started. */
interface Proc { child: ChildProcess; output: string; args: string[] }

export interface ClusterOptions {
  /** Per-run prefix (lowercase letters and digits, at most 6). */
  prefix: string;
  agents: number;
  servers: number;
  /** `--agent-down-time` of the servers (seconds). */
  downTime: number;
  failoverThreshold?: number;
}

export interface Reply { status: number; body: any }

export class Cluster {
  readonly prefix: string;
  pg!: PostgresServer;
  nodes: Node[] = [];
  /** The node of the web servers and the client (no agent). */
  get webNode(): Node { return this.nodes[this.nodes.length - 1]!; }
  readonly hosts: string[] = [];
  readonly serverUrls: string[] = [];
  readonly #opts: ClusterOptions;
  readonly #dir: string;
  readonly #servers: (Proc | undefined)[] = [];
  readonly #agents: (Proc | undefined)[] = [];
  readonly #hosts = new Set<string>();
  /** Each agent reaches PostgreSQL through a proxy of its own, so a test can cut it off alone. */
  readonly #dbProxies: TcpProxy[] = [];
  #removeNodes: (() => Promise<void>) | undefined;

  constructor(opts: ClusterOptions) {
    if (!/^[a-z0-9]{1,6}$/.test(opts.prefix)) throw new Error('cluster prefix: 1–6 lowercase letters or digits');
    this.#opts = opts;
    this.prefix = opts.prefix;
    this.#dir = mkdtempSync(join(tmpdir(), `fulcrum-cluster-${opts.prefix}-`));
  }

  /** Node `i`'s agent host name and its load balancers' namespace prefix. */
  agentHost(i: number): string { return `${this.prefix}-node${i + 1}`; }
  nsPrefix(i: number): string { return `${this.prefix}a${i + 1}-`; }

  async start(): Promise<void> {
    this.pg = await startPostgres();
    const made = await makeNodes(this.prefix, this.#opts.agents + 1);
    this.nodes = made.nodes;
    this.#removeNodes = made.remove;
    for (let i = 0; i < this.#opts.servers; i++) {
      this.serverUrls.push(`http://127.0.0.1:${await freePort()}`);
      await this.startServer(i);
    }
    const pgPort = Number(new URL(this.pg.url).port);
    for (let i = 0; i < this.#opts.agents; i++) this.#dbProxies.push(await TcpProxy.start(pgPort));
    for (let i = 0; i < this.#opts.agents; i++) await this.startAgent(i);
  }

  /** Agent `i`'s database URL: through its proxy. */
  #agentDbUrl(i: number): string {
    const u = new URL(this.pg.url);
    u.port = String(this.#dbProxies[i]!.port);
    return u.toString();
  }

  /** Node `i` loses the database (a partition: its connections go silent), its agent and data plane keep running. */
  cutAgentDb(i: number): void { this.#dbProxies[i]!.cut(); }

  /** The partition heals: its held connections break, new ones get through. */
  restoreAgentDb(i: number): void { this.#dbProxies[i]!.restore(); }

  #spawn(args: string[]): Proc {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FULCRUM_LOG_LEVEL: process.env.FULCRUM_TEST_LOG ? 'info' : 'warn' } });
    const p: Proc = { child, output: '', args };
    const keep = (d: Buffer): void => {
      p.output = (p.output + d.toString()).slice(-20_000);
      if (process.env.FULCRUM_TEST_LOG) process.stderr.write(d);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    return p;
  }

  async startServer(i: number): Promise<void> {
    const url = this.serverUrls[i]!;
    const p = this.#spawn(['server', '--auth', 'noauth', '--database', this.pg.url, '--listen', url.replace('http://', ''),
      '--data-dir', join(this.#dir, `server${i + 1}`), '--agent-down-time', String(this.#opts.downTime),
      '--failover-threshold', String(this.#opts.failoverThreshold ?? 20)]);
    this.#servers[i] = p;
    await until(`server ${i + 1} answering`, async () => {
      if (p.child.exitCode !== null) throw new Error(`fulcrum server exited ${p.child.exitCode}: ${p.output}`);
      return (await fetch(`${url}/healthcheck`)).status === 200 ? true : undefined;
    }, 30_000).catch((err: Error) => { throw new Error(`${err.message}: ${p.output}`); });
  }

  async startAgent(i: number): Promise<void> {
    const node = this.nodes[i]!;
    const p = this.#spawn(['agent', '--host', this.agentHost(i), '--database', this.#agentDbUrl(i), '--data-dir', join(this.#dir, `agent${i + 1}`),
      '--agent-down-time', String(this.#opts.downTime),
      '--bridge-netns', node.netns, '--namespace-prefix', this.nsPrefix(i), '--vxlan-local-ip', node.underlayIp, '--vxlan-dev', 'ul0',
      '--vxlan-group', node.bridge.vxlan.group, '--heartbeat-interval', '1']);
    this.#agents[i] = p;
    await until(`agent ${i + 1} registered`, async () => {
      if (p.child.exitCode !== null) throw new Error(`fulcrum agent exited ${p.child.exitCode}: ${p.output}`);
      return p.output.includes('Fulcrum agent is up') ? true : undefined;
    }, 30_000).catch((err: Error) => { throw new Error(`${err.message}: ${p.output}`); });
  }

  /** SIGKILLs a process this helper started and waits for it to be gone. */
  async #kill(p: Proc | undefined): Promise<void> {
    if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => p.child.once('exit', () => resolve()));
    p.child.kill('SIGKILL');
    await gone;
  }

  /** An API server crashes. */
  async killServer(i: number): Promise<void> { await this.#kill(this.#servers[i]); }

  /**
   * Node `i` dies: its agent is SIGKILLed, every process in its load balancers' namespaces too,
   * and its underlay link goes down (what a powered-off node looks like to the others).
   */
  async killNode(i: number): Promise<void> {
    await this.#kill(this.#agents[i]);
    for (const ns of listNetns().filter((n) => n.startsWith(this.nsPrefix(i)))) await killNamespaceProcesses(ns);
    await ipBatch(['link set ul0 down'], this.nodes[i]!.netns);
  }

  /** Node `i` comes back: its agent starts (and removes what is no longer its own), then its underlay link. */
  async reviveNode(i: number): Promise<void> {
    await this.startAgent(i);
    await until(`node ${i + 1}'s stale namespaces removed`, async () => this.namespacesOf(i).length === 0 || await this.#ownsAll(i) ? true : undefined, 30_000);
    await ipBatch(['link set ul0 up'], this.nodes[i]!.netns);
  }

  async #ownsAll(i: number): Promise<boolean> {
    const agents = (await this.api('GET', '/v2.0/agents')).body.agents as { host: string; loadbalancers: string[] }[];
    const mine = new Set(agents.find((a) => a.host === this.agentHost(i))?.loadbalancers ?? []);
    return this.namespacesOf(i).every((ns) => mine.has(ns.slice(this.nsPrefix(i).length)));
  }

  /** The load balancer namespaces on node `i`. */
  namespacesOf(i: number): string[] {
    return listNetns().filter((n) => n.startsWith(this.nsPrefix(i)));
  }

  /** The namespace of load balancer `lbId` on node `i`. */
  lbNamespace(i: number, lbId: string): string { return `${this.nsPrefix(i)}${lbId}`; }

  /**
   * The node (agent index) whose namespace of `lbId` holds `vip` now (keepalived put it there), or
   * undefined; only among `nodes` when given (a killed node's namespace keeps the address its
   * SIGKILLed keepalived could not remove).
   */
  async vipHolder(lbId: string, vip: string, nodes?: readonly number[]): Promise<number | undefined> {
    for (let i = 0; i < this.#opts.agents; i++) {
      if (nodes && !nodes.includes(i)) continue;
      const ns = this.lbNamespace(i, lbId);
      if (!listNetns().includes(ns)) continue;
      const out = await run(['ip', '-n', ns, '-o', 'addr', 'show'], { allowFailure: true });
      if (out.stdout.includes(` ${vip}/`)) return i;
    }
    return undefined;
  }

  /** PIDs of the processes named `comm` (haproxy, keepalived) in load balancer `lbId`'s namespace on node `i`. */
  async processesIn(i: number, lbId: string, comm: string): Promise<number[]> {
    const ns = this.lbNamespace(i, lbId);
    if (!listNetns().includes(ns)) return [];
    const out: number[] = [];
    for (const pid of await pidsIn(ns)) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
        if (name === comm && state !== 'Z') out.push(pid);
      } catch {
        // gone meanwhile
      }
    }
    return out;
  }

  /** Sends `sig` to every `comm` process in `lbId`'s namespace on node `i` (processes the test's agents started); returns how many. */
  async signalIn(i: number, lbId: string, comm: string, sig: NodeJS.Signals): Promise<number> {
    const pids = await this.processesIn(i, lbId, comm);
    for (const pid of pids) {
      try { process.kill(pid, sig); } catch { /* gone */ }
    }
    return pids.length;
  }

  /** Sends a request to the first API server that answers (a connection refused goes to the next). */
  async api(method: string, path: string, body?: unknown): Promise<Reply> {
    let last: unknown;
    for (let i = 0; i < this.serverUrls.length; i++) {
      try {
        return await this.apiOn(i, method, path, body);
      } catch (err) {
        last = err;
      }
    }
    throw new Error(`no API server answers: ${(last as Error).message}`);
  }

  /** Sends a request to API server `i` (throws when it does not answer). */
  async apiOn(i: number, method: string, path: string, body?: unknown): Promise<Reply> {
    const r = await fetch(`${this.serverUrls[i]!}${path}`, {
      method, headers: { 'x-project-id': 'demo', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    return { status: r.status, body: text === '' ? null : JSON.parse(text) };
  }

  /** A network and a /24 subnet on it; returns the subnet (wire shape). */
  async subnet(name: string, cidr: string): Promise<{ id: string; network_id: string }> {
    const n = (await this.api('POST', '/v2.0/networks', { network: { name } })).body.network;
    return (await this.api('POST', '/v2.0/subnets', { subnet: { network_id: n.id, ip_version: 4, cidr, name: `${name}-subnet` } })).body.subnet;
  }

  /** The VNI the store gave a network (an admin-only fact Fulcrum does not show on the wire). */
  async vniOf(networkId: string): Promise<number> {
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: this.pg.url });
    await c.connect();
    try {
      return Number((await c.query('SELECT segmentation_id FROM networks WHERE id = $1', [networkId])).rows[0]?.segmentation_id);
    } finally {
      await c.end();
    }
  }

  /**
   * A stand-in host on the web node's bridge for the subnet's network (VXLAN to the other nodes):
   * a web server answering `text` when given, else a client with no route. Returns its address.
   */
  async host(short: string, subnet: { id: string; network_id: string }, text?: string): Promise<string> {
    const namespace = `${this.prefix}h-${short}`;
    const port = (await this.api('POST', '/v2.0/ports', { port: { network_id: subnet.network_id, name: short, device_owner: 'compute:fulcrum-test' } })).body.port;
    const address = port.fixed_ips[0].ip_address as string;
    this.#hosts.add(namespace);
    await createHost({
      namespace, networkId: subnet.network_id, portId: port.id, macAddress: port.mac_address, address, prefixLength: 24,
      segmentationId: await this.vniOf(subnet.network_id), bridge: this.webNode.bridge,
    });
    if (text !== undefined) await serveHttp(namespace, address, 80, text);
    return address;
  }

  hostNs(short: string): string { return `${this.prefix}h-${short}`; }

  /** GET from a host namespace; the body trimmed, or throws. */
  async get(fromShort: string, url: string, timeoutS = 1): Promise<string> {
    return (await curlFrom(this.hostNs(fromShort), url, timeoutS)).trim();
  }

  /** The data directory of agent `i` (its load balancers' files are under `lb/<id>`). */
  agentDir(i: number): string { return join(this.#dir, `agent${i + 1}`); }

  /** Where a load balancer is placed (agent index), from the agents API. */
  async placement(lbId: string): Promise<number | undefined> {
    const agents = (await this.api('GET', '/v2.0/agents')).body.agents as { host: string; loadbalancers: string[] }[];
    const a = agents.find((x) => x.loadbalancers.includes(lbId));
    if (!a) return undefined;
    const i = Array.from({ length: this.#opts.agents }, (_, k) => k).find((k) => this.agentHost(k) === a.host);
    return i;
  }

  /** The PID of node `i`'s agent process (for failure messages), or undefined. */
  agentPid(i: number): number | undefined { return this.#agents[i]?.child.pid; }

  /** What a process wrote lately (for failure messages). */
  output(kind: 'server' | 'agent', i: number): string {
    return (kind === 'server' ? this.#servers[i] : this.#agents[i])?.output ?? '';
  }

  async close(): Promise<void> {
    for (const p of this.#servers) await this.#kill(p);
    for (const p of this.#agents) await this.#kill(p);
    // What the agents made: HAProxy processes and the load balancer namespaces.
    for (let i = 0; i < this.#opts.agents; i++) {
      for (const ns of this.namespacesOf(i)) {
        await killNamespaceProcesses(ns);
        await run(['ip', 'netns', 'del', ns], { allowFailure: true });
      }
    }
    for (const h of this.#hosts) await deleteHost(h, this.webNode.bridge).catch(() => undefined);
    await this.#removeNodes?.();
    for (const p of this.#dbProxies) await p.close();
    await this.pg?.stop();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
