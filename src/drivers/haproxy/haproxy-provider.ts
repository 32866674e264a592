/**
 * @module drivers/haproxy/haproxy-provider — the reference data plane: one HAProxy (master-worker)
 * per load balancer, in the network context its interface driver plugs (`qlbaas-<id>` for netns).
 * Member changes go through the runtime API without a reload; anything else is a hitless reload
 * with a logged reason; a configuration HAProxy rejects is never loaded. UDP listeners (which
 * HAProxy 2.6 cannot balance) are served beside it by nftables in the same namespace
 * (drivers/nftables); their statuses and counters join HAProxy's.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FulcrumError } from '../../domain/errors.js';
import { isUuid } from '../../domain/ids.js';
import type { LoadBalancerGraph, Member, Stats } from '../../domain/model.js';
import {
  memberOperatingStatus, poolOperatingStatus, worstOf, type MemberHealth, type OperatingStatus,
} from '../../domain/status.js';
import { portsToPlug, type InterfaceDriver, type PlugResult, type PortPlug } from '../interface/interface-driver.js';
import { l7OperatingStatuses, type ApplyResult, type ObjectCounters, type Observation, type OperatingReport, type Provider, type RenderedConfig } from '../provider.js';
import type { Counter, MetricsRegistry } from '../../domain/metrics.js';
import { NftUdpDataPlane } from '../nftables/udp-dataplane.js';
import { HAPROXY_FLAVOR_CAPABILITIES, HAPROXY_ZONE_CAPABILITIES } from '../../domain/operator.js';
import { planChange, type ReloadCause } from './plan.js';
import { HaproxyInstance } from './process.js';
import { renderConfig, renderPingCheck, type L7Retries } from './render.js';
import { KeepalivedInstance } from '../keepalived/process.js';
import { renderHaproxyCheck, renderKeepalivedConfig } from '../keepalived/render.js';
import { run } from '../sys/exec.js';
import { tlsFiles } from './render-tls.js';
import type { RuntimeApi } from './runtime-api.js';
import type { StatRow } from './stats.js';

/** The subset of a pino logger the provider uses. */
export interface ProviderLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface HaproxyProviderOptions {
  /** Where each load balancer's directory (config, sockets, pidfile, server state) lives. */
  stateDir: string;
  iface: InterfaceDriver;
  log: ProviderLogger;
  haproxyBin?: string;
  /** Where starts, adoptions, reloads (by cause) and runtime changes are counted. */
  metrics?: MetricsRegistry;
  /** HTTP backends' L7 retries (render.ts); default off. */
  l7Retries?: L7Retries;
  /** keepalived (ACTIVE_STANDBY load balancers); default `keepalived` on the PATH. */
  keepalivedBin?: string;
}

/** Writes `text` to `path` (temp file and rename) unless the file already holds it. */
function writeIfChanged(path: string, text: string, mode: number): void {
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  writeFileSync(`${path}.tmp`, text, { mode });
  chmodSync(`${path}.tmp`, mode);
  renameSync(`${path}.tmp`, path);
}

/** Counts of what the provider did, for logs, tests and metrics. */
export interface ProviderCounters {
  /** Calls to the interface driver's `plug` (an apply that changes no port skips it). */
  plugs: number;
  starts: number;
  adoptions: number;
  reloads: number;
  runtimeChanges: number;
}

interface Running {
  instance: HaproxyInstance;
  api: RuntimeApi;
  /** Stops watching the master (set while a watch is on). */
  unwatch?: () => void;
}

export class HaproxyProvider implements Provider {
  readonly name = 'haproxy';
  static readonly DESCRIPTION = 'HAProxy in its own network namespace on a network node (the reference provider)';
  readonly description = HaproxyProvider.DESCRIPTION;
  readonly flavorCapabilities = HAPROXY_FLAVOR_CAPABILITIES;
  readonly zoneCapabilities = HAPROXY_ZONE_CAPABILITIES;
  readonly counters: ProviderCounters = { plugs: 0, starts: 0, adoptions: 0, reloads: 0, runtimeChanges: 0 };
  readonly #opts: HaproxyProviderOptions;
  readonly #running = new Map<string, Running>();
  readonly #metrics: { starts: Counter; adoptions: Counter; reloads: Counter; runtimeChanges: Counter } | undefined;
  /** The ports this process last plugged for each load balancer (as a key) and what the driver answered. */
  readonly #plugged = new Map<string, { key: string; result: PlugResult }>();
  #onTrouble: ((lbId: string, why: string) => void) | undefined;
  readonly #udp: NftUdpDataPlane;

  constructor(opts: HaproxyProviderOptions) {
    this.#opts = opts;
    this.#udp = new NftUdpDataPlane(opts.log);
    mkdirSync(opts.stateDir, { recursive: true, mode: 0o700 });
    const m = opts.metrics;
    this.#metrics = m && {
      starts: m.counter('fulcrum_haproxy_starts_total', 'HAProxy processes started.'),
      adoptions: m.counter('fulcrum_haproxy_adoptions_total', 'Running HAProxy processes adopted (after an agent restart).'),
      reloads: m.counter('fulcrum_haproxy_reloads_total', 'HAProxy reloads, by what changed (listener, pool, member, global, configuration, runtime-failed).', ['reason']),
      runtimeChanges: m.counter('fulcrum_haproxy_runtime_changes_total', 'Changes applied through the runtime API without a reload.'),
    };
  }

  watch(onTrouble: ((lbId: string, why: string) => void) | null): void {
    this.#onTrouble = onTrouble ?? undefined;
    this.#udp.watch(onTrouble);
  }

  /** Watches the load balancer's master, so that its death is handled at once. */
  #watch(lbId: string, r: Running): void {
    if (r.unwatch || !this.#onTrouble) return;
    r.unwatch = r.instance.watch(() => {
      r.unwatch = undefined;
      // An ACTIVE_STANDBY side hands the VIP over first (keepalived watches the file), so that
      // clients go to the other side's HAProxy, whose stick tables are complete, not to the
      // HAProxy about to be restarted here with empty ones.
      if (this.#activeStandby.has(lbId)) {
        try {
          writeFileSync(join(this.dirOf(lbId), HAPROXY_DOWN), '1\n', { mode: 0o600 });
        } catch (err) {
          this.#opts.log.warn({ lb: lbId, err: (err as Error).message }, 'could not tell keepalived that HAProxy is down; its own check will');
        }
      }
      this.#onTrouble?.(lbId, 'haproxy master exited');
    });
  }

  /** The directory of one load balancer's HAProxy. */
  dirOf(lbId: string): string {
    if (!isUuid(lbId)) throw new Error(`not a load balancer id: ${lbId}`);
    return join(this.#opts.stateDir, lbId);
  }

  #instance(lbId: string, wrap: readonly string[]): Running {
    let r = this.#running.get(lbId);
    if (!r) {
      const instance = new HaproxyInstance({
        dir: this.dirOf(lbId), wrap, ...(this.#opts.haproxyBin ? { haproxyBin: this.#opts.haproxyBin } : {}),
      });
      r = { instance, api: instance.api };
      this.#running.set(lbId, r);
    }
    return r;
  }

  async apply(graph: LoadBalancerGraph): Promise<ApplyResult> {
    const lbId = graph.loadBalancer.id;
    const { log } = this.#opts;
    const failedOver = await this.#failover(graph);
    mkdirSync(this.dirOf(lbId), { recursive: true, mode: 0o700 });
    const result = await this.#apply(graph);
    if (graph.amphoraId !== undefined) writeFileSync(join(this.dirOf(lbId), AMPHORA_FILE), `${graph.amphoraId}\n`, { mode: 0o600 });
    // The torn-down worker's last counters come first: nothing it counted since the last sample is lost.
    return failedOver ? { ...result, retiredCounters: failedOver } : result;
  }

  /**
   * A failover: when the graph names another instance (amphora) than the one running here, the
   * running one is torn down — HAProxy stopped, namespace and links removed, its directory
   * deleted — so that the apply builds everything again from the desired state. Returns the
   * stopped worker's last counters (null when it could not be read or nothing was torn down).
   */
  async #failover(graph: LoadBalancerGraph): Promise<Observation['counters'] | null> {
    const lbId = graph.loadBalancer.id;
    if (graph.amphoraId === undefined) return null;
    const file = join(this.dirOf(lbId), AMPHORA_FILE);
    const running = existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
    if (running === null || running === graph.amphoraId) return null;
    let last: Observation['counters'] = null;
    try {
      const r = this.#running.get(lbId);
      if (r) {
        const { pid, rows } = await r.api.snapshot();
        last = countersOf(pid, rows);
      }
    } catch {
      last = null; // nothing running to read: nothing to lose
    }
    this.#opts.log.info({ lb: lbId, from: running, to: graph.amphoraId }, 'failover: tearing the instance down to build it again');
    await this.remove(lbId);
    return last;
  }

  async #apply(graph: LoadBalancerGraph): Promise<ApplyResult> {
    const lbId = graph.loadBalancer.id;
    const { log } = this.#opts;
    const as = graph.activeStandby;
    if (as && !this.#opts.iface.linkOf) {
      throw new FulcrumError('UNSUPPORTED_OPTION', `The ${this.#opts.iface.name} interface driver cannot run ACTIVE_STANDBY load balancers.`, { field: 'flavor_id' });
    }
    // ACTIVE_STANDBY: this side plugs its own port on the VIP network (its address, the gateway);
    // keepalived adds and removes the VIP on it, and HAProxy binds the VIP whether it is there or not.
    const ports = portsToPlug(as ? { ...graph, vipPort: as.self.port } : graph);
    if (as && ports[0] && graph.loadBalancer.vipAddress) ports[0] = { ...ports[0], floating: [graph.loadBalancer.vipAddress] };
    // A driver that can make the namespace first (netns) lets HAProxy's start (the slowest step,
    // ~60 ms) run while the ports are plugged (~30 ms): HAProxy binds the VIP transparently before
    // it is on an interface. A running HAProxy waits for the plug instead: a runtime change may
    // add a server on a subnet that is being plugged. ACTIVE_STANDBY sides plug first.
    const early = !as && this.#opts.iface.prepare ? await this.#opts.iface.prepare(lbId, ports) : null;
    const isStart = early !== null && (await this.#instance(lbId, early.wrap).instance.masterPid()) === null;
    const plugging = this.#plug(lbId, ports);
    if (isStart) plugging.catch(() => undefined); // settled below, beside the start
    const plug = isStart ? early : await plugging;
    if (as) await this.#allowNonlocalBind(lbId, plug.wrap);
    const bindAddress = as && graph.loadBalancer.vipAddress ? graph.loadBalancer.vipAddress : plug.bindAddress;
    const { instance, api } = this.#instance(lbId, plug.wrap);
    const tlsDir = join(this.dirOf(lbId), 'tls');
    // Rendering validates every value again: a graph that cannot be rendered safely is an ERROR.
    // Beside haproxy.cfg, an absolute path (the state directory may be given relative).
    const pingCheck = join(dirname(instance.paths.config), 'ping-check');
    // UDP listeners are the kernel's (nftables): HAProxy gets the rest.
    const tcp = withoutUdp(graph);
    const text = renderConfig(tcp, { ...instance.paths, pingCheck, tlsDir }, {
      bindAddress, transparentBind: early !== null, l7Retries: this.#opts.l7Retries ?? 'off',
    });
    // Rendered (validated) before anything changes: a graph keepalived cannot take fails the apply here.
    const vrrp = as ? {
      check: renderHaproxyCheck(instance.paths.pidFile),
      config: renderKeepalivedConfig(graph, { checkScript: join(this.dirOf(lbId), KEEPALIVED_CHECK), downFile: join(this.dirOf(lbId), HAPROXY_DOWN) },
        { link: this.#opts.iface.linkOf!(as.self.port.id) }),
    } : null;
    writeIfChanged(pingCheck, renderPingCheck(tcp), 0o755);
    // The files the configuration reads are in place before HAProxy reads it (or `haproxy -c` checks it).
    const stale = writeTlsFiles(tlsDir, tlsFiles(tcp, tlsDir));
    const [started, plugged] = await Promise.allSettled([this.#applyHaproxy(lbId, graph, instance, api, text), plugging]);
    // HAProxy's complaint first: a refused configuration is the object's ERROR; a plug is retried.
    if (started.status === 'rejected') throw started.reason;
    if (plugged.status === 'rejected') throw plugged.reason;
    const result = started.value;
    for (const f of stale) rmSync(f, { force: true });
    await this.#udp.apply(graph, plug.wrap);
    if (vrrp) {
      // After HAProxy serves: a side takes the VIP only once it can serve it.
      writeIfChanged(join(this.dirOf(lbId), KEEPALIVED_CHECK), vrrp.check, 0o700);
      // HAProxy runs (again): this side may take the VIP when the other side fails.
      writeIfChanged(join(this.dirOf(lbId), HAPROXY_DOWN), '0\n', 0o600);
      this.#activeStandby.add(lbId);
      const how = await this.#keepalived(lbId, plug.wrap).apply(vrrp.config);
      if (how !== 'adopted' || !this.#keepalivedSeen.has(lbId)) log.info({ lb: lbId, role: as!.self.role, how }, `keepalived ${how}`);
      this.#keepalivedSeen.add(lbId);
    }
    return { ...result, operating: this.#merge(graph, result.operating) };
  }

  async #applyHaproxy(lbId: string, graph: LoadBalancerGraph, instance: HaproxyInstance, api: RuntimeApi, text: string): Promise<ApplyResult> {
    const { log } = this.#opts;
    const pid = await instance.masterPid();
    if (pid === null) {
      // No separate `haproxy -c` here: HAProxy refuses a bad file as it starts (see startWith).
      const started = await instance.startWith(text);
      if (started.adopted) {
        this.counters.adoptions++;
        this.#metrics?.adoptions.inc();
      } else {
        this.counters.starts++;
        this.#metrics?.starts.inc();
      }
      log.info({ lb: lbId, pid: started.pid, adopted: started.adopted }, started.adopted ? 'haproxy adopted' : 'haproxy started');
      this.#watch(lbId, this.#running.get(lbId)!);
      return { operating: await this.#operatingAfterApply(withoutUdp(graph), api) };
    }
    const plan = planChange(instance.currentConfig(), text);
    let retired: Observation['counters'] = null;
    if (plan.kind === 'none') {
      if (!this.#adopted.has(lbId)) {
        this.#adopted.add(lbId);
        this.counters.adoptions++;
        this.#metrics?.adoptions.inc();
        log.info({ lb: lbId, pid }, 'haproxy adopted');
      }
    } else if (plan.kind === 'runtime') {
      try {
        await executeWaitingForDrain(api, plan.commands);
        // Written after HAProxy took the same server lines at runtime, so the next reload keeps them.
        await instance.writeConfig(text, { validate: false });
        this.counters.runtimeChanges++;
        this.#metrics?.runtimeChanges.inc();
        log.info({ lb: lbId, change: plan.summary }, 'runtime change');
      } catch (err) {
        // A step refused (a server still holding connections cannot be deleted): a hitless reload
        // brings the worker to the desired configuration instead.
        await instance.writeConfig(text);
        const why = err instanceof FulcrumError && err.detail ? err.detail : (err as Error).message;
        retired = await this.#reload(lbId, instance, `runtime change failed (${why}); ${plan.summary}`, 'runtime-failed');
      }
    } else {
      await instance.writeConfig(text);
      retired = await this.#reload(lbId, instance, plan.reason, plan.cause);
    }
    this.#adopted.add(lbId);
    this.#watch(lbId, this.#running.get(lbId)!);
    return { operating: await this.#operatingAfterApply(withoutUdp(graph), api), ...(retired ? { retiredCounters: retired } : {}) };
  }

  /**
   * HAProxy's reports for its part of the graph, with the UDP part's, and the load balancer's
   * status rolled up over both kinds of listener.
   */
  #merge(graph: LoadBalancerGraph, haproxy: readonly OperatingReport[]): OperatingReport[] {
    const udp = this.#udp.operating(graph);
    const own = haproxy.filter((r) => r.kind !== 'loadbalancer');
    const listeners = [...own.filter((r) => r.kind === 'listener').map((r) => r.status), ...udp.listeners];
    return [...own, ...udp.reports, { kind: 'loadbalancer', id: graph.loadBalancer.id, status: worstOf(graph.loadBalancer.adminStateUp, listeners) }];
  }

  /**
   * Plugs the load balancer's ports unless this process last plugged exactly these for it and its
   * HAProxy still runs: an apply that changes no port (members on subnets already plugged,
   * listeners, pools) saves the driver's `ip` processes (~3, ~10 ms each). After an agent restart,
   * or when HAProxy has to be started again, the driver plugs (checks) them anyway.
   */
  async #plug(lbId: string, ports: readonly PortPlug[]): Promise<PlugResult> {
    const key = JSON.stringify(ports);
    const last = this.#plugged.get(lbId);
    const running = this.#running.get(lbId);
    if (last?.key === key && running && (await running.instance.masterPid()) !== null) return last.result;
    this.#plugged.delete(lbId); // a plug that fails half way leaves the ports somewhere in between
    const result = await this.#opts.iface.plug(lbId, ports);
    this.counters.plugs++;
    this.#plugged.set(lbId, { key, result });
    return result;
  }

  /** The keepalived of an ACTIVE_STANDBY side. */
  #keepalived(lbId: string, wrap: readonly string[]): KeepalivedInstance {
    return new KeepalivedInstance({ dir: this.dirOf(lbId), wrap, ...(this.#opts.keepalivedBin ? { keepalivedBin: this.#opts.keepalivedBin } : {}) });
  }

  /** ACTIVE_STANDBY load balancers this process applied (whose HAProxy exit must move the VIP). */
  readonly #activeStandby = new Set<string>();

  /** Load balancers whose keepalived this process has applied or adopted (for the log). */
  readonly #keepalivedSeen = new Set<string>();

  /**
   * Lets HAProxy bind the VIP while keepalived has it on the other side (the standby's listeners
   * are ready the moment the VIP arrives). A namespace's own sysctls, set in it.
   */
  async #allowNonlocalBind(lbId: string, wrap: readonly string[]): Promise<void> {
    if (this.#nonlocal.has(lbId)) return;
    await run([...wrap, 'sysctl', '-qw', 'net.ipv4.ip_nonlocal_bind=1', 'net.ipv6.ip_nonlocal_bind=1']);
    this.#nonlocal.add(lbId);
  }

  readonly #nonlocal = new Set<string>();

  /** Load balancers whose running HAProxy this process has already checked (adopted or applied). */
  readonly #adopted = new Set<string>();

  /** Reloads hitlessly; returns the retiring worker's last counters. */
  async #reload(lbId: string, instance: HaproxyInstance, reason: string, cause: ReloadCause): Promise<Observation['counters']> {
    const { workerPid, retiring } = await instance.reload(reason);
    this.counters.reloads++;
    this.#metrics?.reloads.inc({ reason: cause });
    this.#opts.log.info({ lb: lbId, reason, worker: workerPid }, 'haproxy reloaded');
    return countersOf(retiring.pid, retiring.rows);
  }

  /** Operating statuses right after an apply (health checks have not run yet for new members). */
  async #operatingAfterApply(graph: LoadBalancerGraph, api: RuntimeApi): Promise<OperatingReport[]> {
    try {
      return operatingFromStats(graph, await api.showStat());
    } catch {
      return operatingFromStats(graph, []);
    }
  }

  async observe(graph: LoadBalancerGraph): Promise<Observation | null> {
    const r = this.#running.get(graph.loadBalancer.id);
    if (!r) return null;
    if (graph.activeStandby && !this.#keepalived(graph.loadBalancer.id, []).isRunning()) {
      // Throws as a dead HAProxy does: the agent reconciles, which starts keepalived again.
      throw new Error('keepalived is not running');
    }
    const udpCounters = await this.#udp.counters(graph);
    const more = udpCounters ? { otherCounters: [udpCounters] } : {};
    const hap = withoutUdp(graph);
    const listeners = hap.listeners.filter((l) => l.adminStateUp);
    if (listeners.length === 0) return { operating: this.#merge(graph, operatingFromStats(hap, [])), counters: null, ...more };
    // Throws when the process is gone: the agent then reconciles, which restarts it.
    const { pid, rows } = await r.api.snapshot();
    const operating = this.#merge(graph, operatingFromStats(hap, rows));
    // A worker retired by a reload answers for a few ms more: its counters were recorded when it
    // retired, and recording them again after the next worker's would count them twice.
    if (r.instance.isRetired(pid)) return { operating, counters: null, objects: objectCountersOf(hap, rows), ...more };
    return { operating, counters: countersOf(pid, rows), objects: objectCountersOf(hap, rows), ...more };
  }

  /**
   * The `haproxy.cfg` the master loads (what the last apply wrote, or the last known good one
   * after a rejected write). Read from disk, so it is exact even for an adopted HAProxy.
   */
  async renderedConfig(lbId: string): Promise<RenderedConfig | null> {
    if (!isUuid(lbId)) return null;
    const file = join(this.dirOf(lbId), 'haproxy.cfg');
    try {
      const [text, st] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
      return { name: 'haproxy.cfg', text, writtenAt: st.mtime.toISOString() };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async remove(lbId: string): Promise<void> {
    const r = this.#running.get(lbId) ?? this.#instance(lbId, []);
    r.unwatch?.();
    r.unwatch = undefined;
    // keepalived first: its SIGTERM hands the VIP to the other side at once (a priority-0 advert).
    await this.#keepalived(lbId, []).stop();
    this.#keepalivedSeen.delete(lbId);
    this.#activeStandby.delete(lbId);
    this.#nonlocal.delete(lbId);
    await r.instance.stop();
    await this.#udp.remove(lbId);
    this.#running.delete(lbId);
    this.#adopted.delete(lbId);
    this.#plugged.delete(lbId);
    await this.#opts.iface.unplug(lbId);
    rmSync(this.dirOf(lbId), { recursive: true, force: true });
  }

  /**
   * The load balancers with a directory here. A directory is made before anything is plugged or
   * started and removed last, so it covers every namespace and process this provider made, and
   * only those: another Fulcrum on the same host (a test run, say) is never touched.
   */
  async running(): Promise<string[]> {
    return readdirSync(this.#opts.stateDir).filter((d) => isUuid(d));
  }

  async close(): Promise<void> {
    this.#udp.close();
    for (const r of this.#running.values()) r.unwatch?.();
    this.#running.clear();
    this.#plugged.clear();
  }
}

/**
 * The part of the graph HAProxy serves: without UDP listeners, UDP pools and their members and
 * monitors (nftables serves those). Pure.
 */
export function withoutUdp(graph: LoadBalancerGraph): LoadBalancerGraph {
  const udpPools = new Set<string>(graph.pools.filter((p) => p.protocol === 'UDP').map((p) => p.id));
  if (udpPools.size === 0 && !graph.listeners.some((l) => l.protocol === 'UDP')) return graph;
  return {
    ...graph,
    listeners: graph.listeners.filter((l) => l.protocol !== 'UDP'),
    pools: graph.pools.filter((p) => !udpPools.has(p.id)),
    members: graph.members.filter((m) => !udpPools.has(m.poolId)),
    healthMonitors: graph.healthMonitors.filter((h) => !udpPools.has(h.poolId)),
  };
}

/** keepalived's HAProxy check, in the load balancer's directory. */
const KEEPALIVED_CHECK = 'keepalived-check';
/** The file the provider flips when it sees HAProxy exit (keepalived's `track_file`). */
const HAPROXY_DOWN = 'haproxy-down';

/** The file in a load balancer's directory naming the instance (amphora id) running there. */
const AMPHORA_FILE = 'amphora-id';

/**
 * Writes the TLS files (certificates with their keys, CAs, CRLs, crt-lists) owner-only (0600)
 * in an owner-only directory, each atomically and only when its content changed; returns the
 * files in the directory that are no longer needed (removed once the new configuration runs).
 */
function writeTlsFiles(dir: string, files: readonly { path: string; content: string }[]): string[] {
  if (files.length === 0 && !existsSync(dir)) return [];
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const wanted = new Set(files.map((f) => f.path));
  for (const f of files) writeIfChanged(f.path, f.content, 0o600);
  return readdirSync(dir).map((n) => join(dir, n)).filter((p) => !wanted.has(p));
}

/** How long a `del server` waits for the server's last request to finish before a reload does the job. */
const DRAIN_WAIT_MS = 1000;

/**
 * The plan's commands as groups, one per server (`<verb> <noun> <backend>/<server> …`): the commands
 * of one server stay in order, different servers' are independent. Pure.
 */
export function groupByServer(commands: readonly string[]): string[][] {
  const groups: string[][] = [];
  let last: string | undefined;
  for (const c of commands) {
    const ref = c.split(' ')[2];
    if (ref !== undefined && ref === last) groups[groups.length - 1]!.push(c);
    else groups.push([c]);
    last = ref;
  }
  return groups;
}

/**
 * Runs runtime commands, one group per server, pipelined on one session. A `del server` refused
 * because a request is still in flight on that (already disabled) server is tried again every
 * 20 ms, with its server's commands after it, for up to {@link DRAIN_WAIT_MS}; the other servers'
 * commands are not sent twice.
 * @throws FulcrumError DRIVER_FAILED naming the first refused command and HAProxy's answer.
 */
async function executeWaitingForDrain(api: RuntimeApi, commands: readonly string[]): Promise<void> {
  const deadline = Date.now() + DRAIN_WAIT_MS;
  let groups = groupByServer(commands);
  for (;;) {
    const failures = await api.executeGroups(groups);
    if (failures.length === 0) return;
    const retry: string[][] = [];
    for (const f of failures) {
      const rest = groups[f.group]!.slice(f.command);
      const busy = rest[0]!.startsWith('del server ') && /still has connections/i.test(f.answer);
      if (!busy || Date.now() > deadline) {
        const conns = busy ? await connectionsOf(api, rest[0]!.split(' ')[2]!) : '';
        throw new FulcrumError('DRIVER_FAILED', 'HAProxy refused a runtime command.', { detail: `${rest[0]}: ${f.answer}${conns}` });
      }
      retry.push(rest);
    }
    groups = retry;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The server's line of `show servers conn` (used, idle and safe connection counts), for an error's detail. */
async function connectionsOf(api: RuntimeApi, ref: string): Promise<string> {
  const [backend = '', server = ''] = ref.split('/');
  try {
    const [answer = ''] = await api.execute([`show servers conn ${backend}`]);
    const head = answer.split('\n')[0] ?? '';
    const line = answer.split('\n').find((l) => l.startsWith(`${ref} `) || l.split(' ')[0] === `${backend}/${server}`);
    return line ? ` (show servers conn: ${head.replace(/^# /, '')} = ${line})` : '';
  } catch {
    return '';
  }
}

/** The listeners' cumulative counters in one worker's `show stat` rows (epoch: the worker's PID). */
function countersOf(pid: number, rows: readonly StatRow[]): NonNullable<Observation['counters']> {
  const byListener = new Map<string, Stats>();
  for (const row of rows) {
    if (row.svname !== 'FRONTEND') continue;
    byListener.set(row.pxname, {
      bytesIn: row.bin, bytesOut: row.bout, activeConnections: row.scur, totalConnections: row.stot, requestErrors: row.ereq,
    });
  }
  return { epoch: String(pid), byListener };
}

/**
 * The graph's listeners (frontends), pools (backends) and members (servers) in `show stat` rows,
 * as metrics read them. Rows of objects the graph does not hold are left out.
 */
export function objectCountersOf(graph: LoadBalancerGraph, rows: readonly StatRow[]): ObjectCounters[] {
  const listeners = new Set<string>(graph.listeners.map((l) => l.id));
  const pools = new Set<string>(graph.pools.map((p) => p.id));
  const members = new Map(graph.members.map((m) => [`${m.poolId}/${m.id}`, m]));
  const out: ObjectCounters[] = [];
  for (const r of rows) {
    const base = {
      currentSessions: r.scur, totalSessions: r.stot, bytesIn: r.bin, bytesOut: r.bout, responses: r.responses,
    };
    if (r.svname === 'FRONTEND' && listeners.has(r.pxname)) out.push({ kind: 'listener', id: r.pxname, poolId: null, ...base });
    else if (r.svname === 'BACKEND' && pools.has(r.pxname)) out.push({ kind: 'pool', id: r.pxname, poolId: null, ...base });
    else if (r.type === 2 && members.has(`${r.pxname}/${r.svname}`)) {
      const s = r.status.toUpperCase();
      out.push({
        kind: 'member', id: r.svname, poolId: r.pxname, ...base,
        up: s.startsWith('UP') || s.startsWith('NO CHECK') || s.startsWith('DRAIN'), checkStatus: r.checkStatus,
      });
    }
  }
  return out;
}

/**
 * HAProxy's server status (`UP`, `UP 1/3`, `DOWN`, `MAINT`, `DRAIN`, `no check`) as a member's
 * health. A healthy member with weight 0 takes no new connections: HAProxy still says `UP`, but
 * Fulcrum reports it as draining, which is what Octavia's DRAINING means.
 */
function healthOf(row: StatRow | undefined, adminStateUp: boolean, weight: number): MemberHealth {
  if (!row) return { adminStateUp, status: null };
  const s = row.status.toUpperCase();
  const status = s.startsWith('MAINT') ? 'MAINT' : s.startsWith('DRAIN') ? 'DRAIN' : s.startsWith('UP') ? (weight === 0 ? 'DRAIN' : 'UP')
    : s.startsWith('DOWN') ? 'DOWN' : s.startsWith('NO CHECK') ? 'NO_CHECK' : null;
  return { adminStateUp, status };
}

/**
 * Octavia's rollup from HAProxy's stats rows: member → pool → listener → load balancer. Pure.
 * Rows are `show stat` lines: backend = pool id, server = member id, frontend = listener id.
 */
export function operatingFromStats(graph: LoadBalancerGraph, rows: readonly StatRow[]): OperatingReport[] {
  // Indexed once: a pool of 1,000 members looked up row by row was 1,000,000 comparisons per observation.
  const byName = new Map(rows.map((r) => [`${r.pxname}/${r.svname}`, r]));
  const row = (px: string, sv: string) => byName.get(`${px}/${sv}`);
  const out: OperatingReport[] = [];
  const poolStatus = new Map<string, OperatingStatus>();
  const monitored = new Set(graph.healthMonitors.filter((h) => h.adminStateUp).map((h) => h.poolId));
  const membersOf = new Map<string, Member[]>();
  for (const m of graph.members) {
    const list = membersOf.get(m.poolId);
    if (list) list.push(m);
    else membersOf.set(m.poolId, [m]);
  }
  for (const pool of graph.pools) {
    const members = membersOf.get(pool.id) ?? [];
    const statuses = members.map((m) => {
      const st = memberOperatingStatus(healthOf(row(pool.id, m.id), m.adminStateUp, m.weight), monitored.has(pool.id));
      out.push({ kind: 'member', id: m.id, status: st });
      return st;
    });
    const ps = poolOperatingStatus(pool.adminStateUp, statuses);
    poolStatus.set(pool.id, ps);
    out.push({ kind: 'pool', id: pool.id, status: ps });
  }
  for (const hm of graph.healthMonitors) out.push({ kind: 'healthmonitor', id: hm.id, status: hm.adminStateUp ? 'ONLINE' : 'OFFLINE' });
  out.push(...l7OperatingStatuses(graph));
  const listenerStatuses: OperatingStatus[] = [];
  for (const l of graph.listeners) {
    const fe = row(l.id, 'FRONTEND');
    let st: OperatingStatus;
    if (!l.adminStateUp) st = 'OFFLINE';
    else if (rows.length > 0 && !fe) st = 'OFFLINE';
    else if (fe && fe.status.toUpperCase() === 'FULL') st = 'DEGRADED';
    else st = worstOf(true, l.defaultPoolId ? [poolStatus.get(l.defaultPoolId) ?? 'ONLINE'] : []);
    out.push({ kind: 'listener', id: l.id, status: st });
    listenerStatuses.push(st);
  }
  out.push({ kind: 'loadbalancer', id: graph.loadBalancer.id, status: worstOf(graph.loadBalancer.adminStateUp, listenerStatuses) });
  return out;
}

