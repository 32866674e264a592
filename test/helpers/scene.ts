/**
 * @module test/helpers/scene — the seed's scene for end-to-end tests: networks `lbaas` and
 * `webserver` on random per-run subnets, stand-in web servers in namespaces on `webserver`, a
 * client namespace on `lbaas` with no route off this machine, and the HAProxy provider on the
 * netns driver behind a real API and agent. `close()` removes all of it.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { MetricsRegistry } from '../../src/domain/metrics.js';
import { HaproxyProvider, type ProviderLogger } from '../../src/drivers/haproxy/haproxy-provider.js';
import type { L7Retries } from '../../src/drivers/haproxy/render.js';
import { createHost, curlFrom, deleteHost, serveHttp, type HostSpec, type ServeOptions } from '../../src/drivers/interface/hosts.js';
import { NetnsInterfaceDriver } from '../../src/drivers/interface/netns.js';
import { run as exec } from '../../src/drivers/sys/exec.js';
import { ipBatch, killNamespaceProcesses, linksIn } from '../../src/drivers/sys/ip.js';
import { call, makeTestApi, type TestApi } from './fixtures.js';

export interface SubnetRef { id: string; network_id: string }

/** What `request` asks for beyond the URL: extra request headers and a Cookie header. */
export interface RequestOptions {
  headers?: Readonly<Record<string, string>>;
  cookie?: string;
  /** The request method (default GET); HEAD asks for the headers only. */
  method?: string;
}

/** One HTTP answer: status, the Location header (null without one) and the body. */
export interface Answer {
  status: number;
  location: string | null;
  body: string;
}

export interface Scene {
  t: TestApi;
  /** The provider the agent runs (tests may swap it when they restart the agent). */
  provider: HaproxyProvider;
  /** The provider's last log lines (it logs why it reloaded): for a failing assertion's message. */
  providerLog: readonly string[];
  lbNet: string;
  webNet: string;
  lbSubnet: SubnetRef;
  webSubnet: SubnetRef;
  /** The client namespace (on `lbaas`, no default route). */
  client: string;
  /** The client namespace's own address on `lbaas`. */
  clientAddress: string;
  /** Adds another address on `lbaas` to the client namespace (for requests from a second client). */
  addClientAddress(address: string): Promise<void>;
  /** A per-run namespace name for a host called `short` (web1, web2…). */
  ns(short: string): string;
  /** Makes a stand-in web server answering `short` on the webserver subnet; returns its address. */
  web(short: string, opts?: ServeOptions & { logFile?: string }): Promise<string>;
  /** Makes a stand-in host on the webserver subnet with nothing running; returns its address. */
  host(short: string): Promise<string>;
  /** Starts another stand-in web server (answering `short`) in host `short`'s namespace on `port`; returns its PID. */
  serve(short: string, port: number, opts?: ServeOptions & { logFile?: string }): Promise<number>;
  /** Kills a web server's process (its host stays: health checks get connection refused). */
  kill(short: string): Promise<void>;
  /** Brings a killed or deleted web server back with the same port and address. */
  revive(short: string): Promise<void>;
  /** Body of GET `url` from the client namespace (throws on failure). */
  get(url: string): Promise<string>;
  /** GET `url` from the client namespace with headers or a cookie (curl, no redirects followed). */
  request(url: string, opts?: RequestOptions): Promise<Answer>;
  close(): Promise<void>;
}

/** A provider logger that keeps its last 200 lines (printed with FULCRUM_TEST_LOG=1). */
function recording(lines: string[]): ProviderLogger {
  const keep = (level: string) => (o: object, m?: string): void => {
    const line = `${level} ${m ?? ''} ${JSON.stringify(o)}`;
    if (process.env.FULCRUM_TEST_LOG) process.stderr.write(`${line}\n`);
    lines.push(line);
    if (lines.length > 200) lines.shift();
  };
  return { info: keep('info'), warn: keep('warn') };
}

/** Polls `fn` every 50 ms until it returns a value other than undefined (errors count as undefined). */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** With `metrics`, the API, agent and HAProxy provider record into it (as `fulcrum up` wires them). */
export async function makeScene(opts: { metrics?: MetricsRegistry; l7Retries?: L7Retries } = {}): Promise<Scene> {
  const run = randomUUID().slice(0, 6);
  const octet = 100 + Math.floor(Math.random() * 150);
  const lbNet = `10.201.${octet}`;
  const webNet = `10.202.${octet}`;
  let provider!: HaproxyProvider;
  const providerLog: string[] = [];
  const t = await makeTestApi({
    providers: (dir) => {
      provider = new HaproxyProvider({
        stateDir: join(dir, 'lb'), iface: new NetnsInterfaceDriver(), log: recording(providerLog),
        ...(opts.metrics ? { metrics: opts.metrics } : {}), ...(opts.l7Retries ? { l7Retries: opts.l7Retries } : {}),
      });
      return [provider];
    },
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  });
  const made = new Set<string>();
  const specs = new Map<string, HostSpec>();
  const ns = (short: string): string => `fx${run}-${short}`;
  const network = async (name: string, cidr: string): Promise<SubnetRef> => {
    const n = (await call(t.app, 'POST', '/v2.0/networks', { network: { name } })).body.network;
    return (await call(t.app, 'POST', '/v2.0/subnets', { subnet: { network_id: n.id, ip_version: 4, cidr, name: `${name}-subnet` } })).body.subnet;
  };
  const host = async (name: string, subnet: SubnetRef, gateway: boolean): Promise<string> => {
    const port = (await call(t.app, 'POST', '/v2.0/ports', { port: { network_id: subnet.network_id, name, device_owner: 'compute:fulcrum-test' } })).body.port;
    const address = port.fixed_ips[0].ip_address as string;
    const spec: HostSpec = {
      namespace: name, networkId: subnet.network_id, portId: port.id, macAddress: port.mac_address, address, prefixLength: 24,
      ...(gateway ? { gateway: address.replace(/\.\d+$/, '.1') } : {}),
    };
    specs.set(name, spec);
    made.add(name);
    await createHost(spec);
    return address;
  };
  const scene: Scene = {
    t, lbNet, webNet, client: ns('cli'), clientAddress: '', ns,
    get provider() { return provider; },
    set provider(p) { provider = p; },
    providerLog,
    lbSubnet: await network('lbaas', `${lbNet}.0/24`),
    webSubnet: undefined as unknown as SubnetRef,
    web: async (short, opts = {}) => {
      const address = await host(ns(short), scene.webSubnet, true);
      await serveHttp(ns(short), address, 80, short, opts.logFile, opts);
      return address;
    },
    host: (short) => host(ns(short), scene.webSubnet, true),
    serve: (short, port, opts = {}) => serveHttp(ns(short), specs.get(ns(short))!.address, port, short, opts.logFile, opts),
    addClientAddress: async (address) => {
      const tap = (await linksIn(ns('cli'))).find((l) => l.name.startsWith('tap'))!.name;
      await ipBatch([`addr add ${address}/24 dev ${tap}`], ns('cli'));
    },
    kill: (short) => killNamespaceProcesses(ns(short)),
    revive: async (short) => {
      const spec = specs.get(ns(short))!;
      await createHost(spec);
      await serveHttp(spec.namespace, spec.address, 80, short);
    },
    get: async (url) => (await curlFrom(ns('cli'), url, 2)).trim(),
    request: async (url, opts = {}) => {
      const argv = ['ip', 'netns', 'exec', ns('cli'), 'curl', '-sS', '-i', '--max-time', '2'];
      for (const [name, value] of Object.entries(opts.headers ?? {})) argv.push('-H', `${name}: ${value}`);
      if (opts.cookie !== undefined) argv.push('--cookie', opts.cookie);
      if (opts.method === 'HEAD') argv.push('--head');
      else if (opts.method !== undefined) argv.push('-X', opts.method);
      const { stdout } = await exec([...argv, url], { timeoutMs: 5000 });
      const [head = '', ...rest] = stdout.split('\r\n\r\n');
      const lines = head.split('\r\n');
      const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(lines[0] ?? '')?.[1]);
      const location = lines.find((l) => /^location:/i.test(l))?.replace(/^location:\s*/i, '') ?? null;
      return { status, location, body: rest.join('\r\n\r\n').trim() };
    },
    close: async () => {
      await t.close();
      for (const n of made) await deleteHost(n);
    },
  };
  scene.webSubnet = await network('webserver', `${webNet}.0/24`);
  scene.clientAddress = await host(ns('cli'), scene.lbSubnet, false);
  return scene;
}

/** The seed's fully-populated load balancer on the scene: listener HTTP:80, pool ROUND_ROBIN, HTTP monitor. */
export function seedLoadBalancer(s: Scene, members: string[], extra: { vipHost?: number; monitor?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    loadbalancer: {
      name: 'lb1', vip_subnet_id: s.lbSubnet.id, vip_address: `${s.lbNet}.${extra.vipHost ?? 7}`, provider: 'haproxy',
      listeners: [{
        name: 'listener1', protocol: 'HTTP', protocol_port: 80,
        default_pool: {
          name: 'pool1', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN',
          healthmonitor: extra.monitor ?? { type: 'HTTP', delay: 1, timeout: 1, max_retries: 2, max_retries_down: 2, url_path: '/' },
          members: members.map((address) => ({ address, protocol_port: 80, subnet_id: s.webSubnet.id })),
        },
      }],
    },
  };
}
