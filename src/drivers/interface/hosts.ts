/**
 * @module drivers/interface/hosts — stand-in hosts in namespaces on a network's bridge: the
 * seed's web servers for demos and tests (`fulcrum host create`), and client namespaces that
 * send traffic to VIPs with no route off this machine.
 */
import { openSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { run, spawnDetached, startAttached } from '../sys/exec.js';
import type { LoadResult } from './http-load.js';
import { ipBatch, killNamespaceProcesses, linksIn, netnsExists } from '../sys/ip.js';
import { attachPorts, removeEmptyBridges, tapOf, type BridgeOptions } from './netns.js';

/** A host: its namespace and one port on a network. */
export interface HostSpec {
  /** The namespace name (callers prefix it per run or per demo). */
  namespace: string;
  networkId: string;
  portId: string;
  macAddress: string;
  address: string;
  prefixLength: number;
  /** Default route; leave it out for a client that must not reach anything beyond its subnet. */
  gateway?: string;
  /** The network's MTU (default 1500). */
  mtu?: number;
  /** The network's VXLAN id, when the host's bridge must span nodes (with `bridge.vxlan`). */
  segmentationId?: number | null;
  /** Where the bridge lives and how it spans nodes (default: the root namespace, local). */
  bridge?: BridgeOptions;
}

/** Creates the namespace, its port on the network's bridge, address and route. Idempotent. */
export async function createHost(h: HostSpec): Promise<void> {
  const tap = tapOf(h.portId);
  await attachPorts(h.namespace, [{ portId: h.portId, networkId: h.networkId, mtu: h.mtu ?? 1500, segmentationId: h.segmentationId ?? null }],
    h.bridge ?? {}, netnsExists(h.namespace) ? [] : [`netns add ${h.namespace}`]);
  const links = await linksIn(h.namespace);
  const has = links.find((l) => l.name === tap)?.addresses.some((a) => a.address === h.address);
  await ipBatch([
    'link set lo up',
    `link set ${tap} address ${h.macAddress} up`,
    ...(has ? [] : [`addr add ${h.address}/${h.prefixLength} dev ${tap}${h.address.includes(':') ? ' nodad' : ''}`]),
    ...(h.gateway ? [`route replace default via ${h.gateway} dev ${tap}`] : []),
  ], h.namespace);
}

/** How a stand-in web server speaks beyond plain HTTP (see http-responder.ts). */
export interface ServeOptions {
  /** Expect a PROXY protocol header (v1 or v2) before each connection's first request. */
  proxy?: boolean;
  /** Serve HTTPS with this certificate and key (PEM files). */
  tls?: { certFile: string; keyFile: string };
}

/**
 * Starts the HTTP responder in a host's namespace; resolves with its PID once it answers there.
 * Node takes 50–150 ms to listen: a member added before that refuses connections, and HAProxy
 * sends its requests to the other members (a flaky "every member answers" check otherwise).
 * `logFile` receives its JSON lines (one per connection and per request).
 */
export async function serveHttp(namespace: string, address: string, port: number, text: string, logFile = '/dev/null', opts: ServeOptions = {}): Promise<number> {
  if (!/^[\w .:-]{1,64}$/.test(text)) throw new Error(`serveHttp: text must be printable words (got ${JSON.stringify(text)})`);
  const script = fileURLToPath(new URL('./http-responder.js', import.meta.url));
  const extra = [...(opts.proxy ? ['--proxy'] : []), ...(opts.tls ? ['--tls', opts.tls.certFile, opts.tls.keyFile] : [])];
  const fd = openSync(logFile, 'a');
  let pid: number;
  try {
    pid = await spawnDetached(['ip', 'netns', 'exec', namespace, process.execPath, script, address, String(port), text, ...extra], { stdoutFile: fd });
  } finally {
    closeSync(fd);
  }
  const host = address.includes(':') ? `[${address}]` : address;
  const probe = [...(opts.proxy ? ['--haproxy-protocol'] : []), ...(opts.tls ? ['-k'] : [])];
  await untilAnswers(namespace, `${opts.tls ? 'https' : 'http'}://${host}:${port}/`, 10_000, probe);
  return pid;
}

/**
 * Starts a UDP stand-in in `namespace` answering every datagram on `address`:`port` with `text`
 * (udp-echo.ts); resolves once it is bound. Returns its PID.
 */
export async function serveUdp(namespace: string, address: string, port: number, text: string): Promise<number> {
  if (!/^[\w .:-]{1,64}$/.test(text)) throw new Error(`serveUdp: text must be printable words (got ${JSON.stringify(text)})`);
  const script = fileURLToPath(new URL('./udp-echo.js', import.meta.url));
  const pid = await spawnDetached(['ip', 'netns', 'exec', namespace, process.execPath, script, 'serve', address, String(port), text]);
  const deadline = Date.now() + 10_000;
  // Bound once it answers from inside its own namespace.
  while ((await askUdp(namespace, address, port, 1, 200))[0] !== text) {
    if (Date.now() > deadline) throw new Error(`serveUdp: nothing answers ${address}:${port} in ${namespace}`);
  }
  return pid;
}

/**
 * Sends `n` datagrams to `address`:`port` from inside `namespace`, each from a new socket (a new
 * flow), one after the other; resolves with each answer (null: none within `timeoutMs`).
 */
export async function askUdp(namespace: string, address: string, port: number, n: number, timeoutMs: number): Promise<(string | null)[]> {
  const script = fileURLToPath(new URL('./udp-echo.js', import.meta.url));
  const { stdout } = await run(['ip', 'netns', 'exec', namespace, process.execPath, script, 'ask', address, String(port), String(n), String(timeoutMs)],
    { timeoutMs: 10_000 + n * timeoutMs });
  return JSON.parse(stdout.trim()) as (string | null)[];
}

/** Polls `url` from inside `namespace` (curl, one second each) until it answers, for up to `timeoutMs`. */
async function untilAnswers(namespace: string, url: string, timeoutMs: number, curlFlags: readonly string[] = []): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await run(['ip', 'netns', 'exec', namespace, 'curl', '-s', '-o', '/dev/null', '--max-time', '1', ...curlFlags, url], { allowFailure: true, timeoutMs: 5000 });
    if (r.code === 0) return;
    if (Date.now() > deadline) throw new Error(`serveHttp: nothing answers ${url} in ${namespace} after ${timeoutMs} ms (curl exit ${r.code})`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** Stops the host's processes, removes its links and namespace, and its bridge when nothing else uses it. Idempotent. */
export async function deleteHost(namespace: string, bridge: BridgeOptions = {}): Promise<void> {
  if (!netnsExists(namespace)) return;
  await killNamespaceProcesses(namespace);
  const taps = (await linksIn(namespace)).map((l) => l.name).filter((n) => n.startsWith('tap'));
  const bridges = new Set<string>();
  for (const tap of bridge.bridgeNetns === undefined ? taps : []) {
    const { stdout } = await run(['ip', '-j', 'link', 'show', 'dev', tap], { allowFailure: true });
    const master = (JSON.parse(stdout || '[]') as { master?: string }[])[0]?.master;
    if (master) bridges.add(master);
  }
  await ipBatch(taps.map((t) => `link del ${t}`), namespace);
  await ipBatch([`netns del ${namespace}`]);
  await removeEmptyBridges(bridges, bridge);
}

/** Fetches a URL from inside a namespace with curl; returns the body, or throws with curl's error. */
export async function curlFrom(namespace: string, url: string, timeoutS = 2): Promise<string> {
  const { stdout } = await run(['ip', 'netns', 'exec', namespace, 'curl', '-sS', '--max-time', String(timeoutS), url], { timeoutMs: (timeoutS + 3) * 1000 });
  return stdout;
}

/** A load run in progress (`startLoad`). */
export interface LoadRun {
  pid: number;
  /** Stops the load and resolves with what it saw. */
  stop(): Promise<LoadResult>;
}

/**
 * Sends continuous HTTP load to `url` from inside `namespace` (a client namespace with no route
 * off this machine; null: from this host, for 127.0.0.0/8 only) until `stop()` or `maxMs`;
 * resolves once the first answer arrived.
 * `close`: a new connection per request; `keepalive`: reused connections (see http-load.ts).
 */
export async function startLoad(namespace: string | null, url: string, opts: { concurrency?: number; mode?: 'close' | 'keepalive'; maxMs?: number } = {}): Promise<LoadRun> {
  const script = fileURLToPath(new URL('./http-load.js', import.meta.url));
  const inNs = namespace === null ? [] : ['ip', 'netns', 'exec', namespace];
  const p = await startAttached([...inNs, process.execPath, script, url,
    String(opts.concurrency ?? 4), opts.mode ?? 'close', String(opts.maxMs ?? 60_000)]);
  try {
    await p.waitForLine((l) => l === 'started', 10_000);
  } catch (err) {
    p.signal('SIGKILL');
    throw err;
  }
  return {
    pid: p.pid,
    stop: async () => {
      p.signal('SIGTERM');
      const { stdout, stderr } = await p.exited;
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (!last.startsWith('{')) throw new Error(`load generator in ${namespace ?? 'the host'} gave no result: ${stderr.trim()}`);
      return JSON.parse(last) as LoadResult;
    },
  };
}
