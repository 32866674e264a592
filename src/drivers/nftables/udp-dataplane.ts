/**
 * @module drivers/nftables/udp-dataplane — UDP listeners served by the kernel with nftables in the
 * load balancer's namespace, beside its HAProxy (which serves the TCP and HTTP listeners). Rules
 * come from the pure renderer (render.ts) and are applied with one `nft -f` transaction inside
 * the namespace; the members of monitored pools are checked by a child process in the namespace
 * (udp-health-checker.ts), and a member that goes down is taken out of the dispatch map at once
 * (another atomic replacement), put back when it comes up. Counters are nft named counters,
 * carried across replacements.
 */
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import { FulcrumError } from '../../domain/errors.js';
import type { LoadBalancerGraph, Stats } from '../../domain/model.js';
import { memberOperatingStatus, poolOperatingStatus, worstOf, type OperatingStatus } from '../../domain/status.js';
import type { Observation, OperatingReport } from '../provider.js';
import { run, startAttached, type Attached } from '../sys/exec.js';
import { counterNames, hasUdp, marksOf, renderUdpRuleset, UDP_TABLE, udpListenersOf, type CounterValue } from './render.js';
import type { Check } from './udp-health-checker.js';

/** The subset of a pino logger used. */
export interface UdpLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

interface UdpState {
  wrap: readonly string[];
  graph: LoadBalancerGraph;
  /** Member id → up, from the checker (members of monitored pools only). */
  health: Map<string, boolean>;
  checker?: Attached;
  /** The checks the running checker was started with (JSON), to restart it only when they change. */
  checksKey: string;
  /** Serialises rule replacements of this load balancer (apply and health changes). */
  chain: Promise<unknown>;
  /** The last counters read and when (ms): observations come every 500 ms, two processes each. */
  lastCounters?: { at: number; value: NonNullable<Observation['counters']> };
}

/** How long counters read from the kernel are reused (the agent records them every 5 s). */
const COUNTERS_MAX_AGE_MS = 2000;

/** What `nft -j list table` holds that we read back. */
interface NftJson {
  nftables: { counter?: { name: string; packets: number; bytes: number }; set?: { name: string; elem?: number[] } }[];
}

export class NftUdpDataPlane {
  readonly #log: UdpLogger;
  readonly #state = new Map<string, UdpState>();
  readonly #checkerScript = fileURLToPath(new URL('./udp-health-checker.js', import.meta.url));
  /** Told when the rules could not be replaced after a health change: the agent then reconciles (and retries). */
  #onTrouble: ((lbId: string, why: string) => void) | undefined;

  constructor(log: UdpLogger) {
    this.#log = log;
  }

  /** Registers who to tell when a health-driven replacement of the rules failed (null: nobody). */
  watch(fn: ((lbId: string, why: string) => void) | null): void {
    this.#onTrouble = fn ?? undefined;
  }

  /**
   * Makes the namespace serve the graph's UDP listeners (none: removes the table and the checker).
   * Idempotent. Needs a namespace: `wrap` is the interface driver's command prefix into it.
   * @throws FulcrumError UNSUPPORTED_OPTION when the load balancer has UDP listeners and no
   *   namespace of its own (the `host` driver), or for what the renderer refuses; DRIVER_FAILED
   *   (retryable) when nft fails.
   */
  async apply(graph: LoadBalancerGraph, wrap: readonly string[]): Promise<void> {
    const lbId = graph.loadBalancer.id;
    if (!hasUdp(graph)) {
      if (this.#state.has(lbId)) await this.remove(lbId);
      return;
    }
    if (wrap.length === 0) {
      throw new FulcrumError('UNSUPPORTED_OPTION', 'UDP listeners need the netns interface driver.', { detail: `load balancer ${lbId} has UDP listeners and no namespace` });
    }
    let st = this.#state.get(lbId);
    if (!st) {
      st = { wrap, graph, health: new Map(), checksKey: '', chain: Promise.resolve() };
      this.#state.set(lbId, st);
      // Forwarding is per namespace: this one's only.
      await run([...wrap, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    }
    st.wrap = wrap;
    st.graph = graph;
    const members = new Set<string>(graph.members.map((m) => m.id));
    for (const id of st.health.keys()) if (!members.has(id)) st.health.delete(id);
    await this.#replace(lbId, st);
    this.#startChecker(lbId, st);
  }

  /** Replaces the table (in this load balancer's queue); the new rules carry the old counters. */
  #replace(lbId: string, st: UdpState): Promise<void> {
    const next = st.chain.catch(() => undefined).then(async () => {
      const old = await this.#read(st.wrap);
      const text = renderUdpRuleset(st.graph, { health: st.health, counters: old.counters, epoch: old.epoch ?? randomInt(1, 2 ** 31) });
      await run([...st.wrap, 'nft', '-f', '-'], { input: text });
    });
    st.chain = next;
    return next;
  }

  /** The current table's counters and epoch (none when there is no table). */
  async #read(wrap: readonly string[]): Promise<{ counters: Map<string, CounterValue>; epoch: number | null }> {
    const r = await run([...wrap, 'nft', '-j', 'list', 'table', 'ip', UDP_TABLE], { allowFailure: true });
    const counters = new Map<string, CounterValue>();
    if (r.code !== 0) return { counters, epoch: null };
    let epoch: number | null = null;
    for (const o of (JSON.parse(r.stdout) as NftJson).nftables) {
      if (o.counter) counters.set(o.counter.name, { packets: o.counter.packets, bytes: o.counter.bytes });
      if (o.set?.name === 'epoch' && typeof o.set.elem?.[0] === 'number') epoch = o.set.elem[0];
    }
    return { counters, epoch };
  }

  /** The checks of the graph's monitored UDP pools (values checked: they go on a command line). */
  #checks(st: UdpState): Check[] {
    const g = st.graph;
    const udpPools = new Set(udpListenersOf(g).map((l) => l.defaultPoolId));
    const out: Check[] = [];
    for (const hm of g.healthMonitors) {
      if (!hm.adminStateUp || !udpPools.has(hm.poolId)) continue;
      if (hm.type !== 'UDP-CONNECT' && hm.type !== 'TCP' && hm.type !== 'HTTP') continue;
      for (const m of g.members.filter((x) => x.poolId === hm.poolId && x.adminStateUp)) {
        const address = m.monitorAddress ?? m.address;
        if (isIP(address) === 0) continue;
        out.push({
          id: m.id, type: hm.type, address, port: m.monitorPort ?? m.protocolPort, delay: hm.delay, timeout: hm.timeout,
          rise: hm.maxRetries, fall: hm.maxRetriesDown, up: st.health.get(m.id) ?? true,
          ...(hm.type === 'HTTP' ? { method: hm.httpMethod ?? 'GET', urlPath: hm.urlPath ?? '/', expectedCodes: hm.expectedCodes ?? '200' } : {}),
        });
      }
    }
    return out;
  }

  /** (Re)starts the checker when the checks changed; stops it when there are none. */
  #startChecker(lbId: string, st: UdpState): void {
    const checks = this.#checks(st);
    const key = JSON.stringify(checks.map((c) => ({ ...c, up: undefined })));
    if (key === st.checksKey && st.checker) return;
    st.checker?.signal('SIGTERM');
    st.checker = undefined;
    st.checksKey = key;
    if (checks.length === 0) return;
    const argv = [...st.wrap, process.execPath, this.#checkerScript, JSON.stringify({ checks })];
    void startAttached(argv).then((p) => {
      if (st.checksKey !== key || this.#state.get(lbId) !== st) {
        p.signal('SIGTERM');
        return;
      }
      st.checker = p;
      // A checker that dies on its own leaves health frozen: the agent reconciles, which starts another.
      void p.exited.then(({ code, stderr }) => {
        if (st.checker !== p || this.#state.get(lbId) !== st) return;
        st.checker = undefined;
        st.checksKey = '';
        this.#onTrouble?.(lbId, `udp health checker exited (${code}): ${stderr.trim().slice(0, 200)}`);
      });
      void p.waitForLine((line) => {
        if (line.startsWith('{')) this.#onHealth(lbId, st, line);
        return false;
      }, 2 ** 31 - 1).catch(() => undefined);
    }, (err: unknown) => this.#log.warn({ lb: lbId, err: (err as Error).message }, 'udp health checker did not start'));
  }

  #onHealth(lbId: string, st: UdpState, line: string): void {
    const { id, up, why } = JSON.parse(line) as { id: string; up: boolean; why: string };
    st.health.set(id, up);
    this.#log.info({ lb: lbId, member: id, up, why }, 'udp member health changed');
    this.#replace(lbId, st).catch((err: unknown) => {
      const why = (err as FulcrumError).detail ?? (err as Error).message;
      this.#log.warn({ lb: lbId, err: why }, 'udp rules not replaced after a health change');
      this.#onTrouble?.(lbId, `udp rules not replaced after a health change: ${why}`);
    });
  }

  /**
   * Operating status of the UDP listeners, their pools and members (Octavia's rollup): a member
   * of a monitored pool is ONLINE or ERROR from the checks, NO_MONITOR otherwise.
   */
  operating(graph: LoadBalancerGraph): { reports: OperatingReport[]; listeners: OperatingStatus[] } {
    const st = this.#state.get(graph.loadBalancer.id);
    const health = st?.health ?? new Map<string, boolean>();
    const reports: OperatingReport[] = [];
    const listeners: OperatingStatus[] = [];
    for (const l of udpListenersOf(graph)) {
      const pool = graph.pools.find((p) => p.id === l.defaultPoolId);
      let poolStatus: OperatingStatus | null = null;
      if (pool) {
        const monitor = graph.healthMonitors.find((h) => h.poolId === pool.id && h.adminStateUp);
        const statuses = graph.members.filter((m) => m.poolId === pool.id).map((m) => {
          const h = health.get(m.id);
          const s = memberOperatingStatus({
            adminStateUp: m.adminStateUp, status: !monitor ? null : h === false ? 'DOWN' : m.weight === 0 ? 'DRAIN' : 'UP',
          }, monitor !== undefined);
          reports.push({ kind: 'member', id: m.id, status: s });
          return s;
        });
        poolStatus = poolOperatingStatus(pool.adminStateUp, statuses);
        reports.push({ kind: 'pool', id: pool.id, status: poolStatus });
        for (const hm of graph.healthMonitors.filter((h) => h.poolId === pool.id)) {
          reports.push({ kind: 'healthmonitor', id: hm.id, status: hm.adminStateUp ? 'ONLINE' : 'OFFLINE' });
        }
      }
      const ls = !l.adminStateUp || !st ? 'OFFLINE' : worstOf(true, poolStatus ? [poolStatus] : []);
      reports.push({ kind: 'listener', id: l.id, status: ls });
      listeners.push(ls);
    }
    return { reports, listeners };
  }

  /**
   * The UDP listeners' counters (flows, datagram bytes each way, datagrams dropped for want of a
   * member; active flows from conntrack), with the table's epoch. Null when nothing is applied.
   */
  async counters(graph: LoadBalancerGraph): Promise<NonNullable<Observation['counters']> | null> {
    const st = this.#state.get(graph.loadBalancer.id);
    if (!st) return null;
    if (st.lastCounters && Date.now() - st.lastCounters.at < COUNTERS_MAX_AGE_MS) return st.lastCounters.value;
    const { counters, epoch } = await this.#read(st.wrap);
    if (epoch === null) return null;
    const ct = await run([...st.wrap, 'cat', '/proc/net/nf_conntrack'], { allowFailure: true });
    const active = new Map<number, number>();
    for (const line of ct.stdout.split('\n')) {
      const m = / udp .* mark=(\d+)/.exec(line);
      if (m) active.set(Number(m[1]), (active.get(Number(m[1])) ?? 0) + 1);
    }
    const marks = marksOf(graph);
    const byListener = new Map<string, Stats>();
    for (const l of udpListenersOf(graph)) {
      const n = counterNames(l.id);
      const v = (name: string) => counters.get(name) ?? { packets: 0, bytes: 0 };
      byListener.set(l.id, {
        bytesIn: v(n.bytesIn).bytes, bytesOut: v(n.bytesOut).bytes, activeConnections: active.get(marks.get(l.id) ?? -1) ?? 0,
        totalConnections: v(n.flows).packets, requestErrors: v(n.dropped).packets,
      });
    }
    const value = { epoch: `nft-${epoch}`, byListener };
    st.lastCounters = { at: Date.now(), value };
    return value;
  }

  /** Stops the checker and removes the table (the namespace itself is the interface driver's). Idempotent. */
  async remove(lbId: string, wrap?: readonly string[]): Promise<void> {
    const st = this.#state.get(lbId);
    this.#state.delete(lbId);
    st?.checker?.signal('SIGTERM');
    const w = wrap ?? st?.wrap;
    if (w && w.length > 0) await run([...w, 'nft', '-f', '-'], { input: `table ip ${UDP_TABLE} {}\ndelete table ip ${UDP_TABLE}\n`, allowFailure: true });
  }

  /** Stops every checker (the rules keep serving). */
  close(): void {
    for (const st of this.#state.values()) st.checker?.signal('SIGTERM');
    this.#state.clear();
  }
}
