/**
 * @module agent/agent — the reconcile loop: hears of committed changes from the store, makes
 * each load balancer's data plane match its desired generation through its provider, and
 * records the outcome (ACTIVE, or ERROR with the reason logged).
 */
import { FulcrumError } from '../domain/errors.js';
import type { Counter, Histogram, MetricsRegistry } from '../domain/metrics.js';
import type { LoadBalancerGraph } from '../domain/model.js';
import { graphNeedsTls, resolveGraphTls, type TlsResolver } from '../domain/tls.js';
import type { OperatingStatus } from '../domain/status.js';
import type { Store } from '../store/store.js';
import type { PlacementRole } from '../domain/agents.js';
import type { Observation, Provider } from '../drivers/provider.js';
import { observedFamilies } from './metrics.js';
import { WorkQueue, type JobOutcome } from './work-queue.js';

/** The subset of a pino logger the agent uses. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface AgentOptions {
  store: Store;
  /** Providers by name; a load balancer is applied by the one it names. */
  providers: ReadonlyMap<string, Provider>;
  log: Logger;
  /** Full resync period (ms): a safety net behind change notifications. */
  resyncMs?: number;
  /** How often running load balancers are observed for operating status (ms, default 500). */
  observeMs?: number;
  /** How often counters are written to the store (ms, default 5000). */
  countersMs?: number;
  /**
   * Where reconciles are counted and timed; the agent also adds a collector that prints, at each
   * scrape, the per-object series of its latest observations.
   */
  metrics?: MetricsRegistry;
  /**
   * This node's name (`fulcrum agent --host`): the agent registers under it, heartbeats, and
   * reconciles only the load balancers placed on it, removing any other it still runs. Without
   * it (tests of one process), it reconciles every load balancer.
   */
  host?: string;
  /** What the agent reports about itself at registration (its VXLAN endpoint, say). */
  configurations?: Readonly<Record<string, unknown>>;
  /** Heartbeat period (ms, default 1000); an agent silent for the servers' down time is dead. */
  heartbeatMs?: number;
  /**
   * The certificate store, read just before an apply when listeners or pools reference
   * certificates, CAs or CRLs (their material travels in the graph's `tls`, never in the store's rows).
   */
  tls?: TlsResolver;
  /**
   * Self-fencing (host mode): once no heartbeat has reached the store for this long (counted from
   * when the last acknowledged one was sent), the agent assumes the servers are rebuilding its
   * load balancers elsewhere and removes every one it runs, so that a partition never leaves two
   * nodes answering for one VIP; it reconciles nothing until a heartbeat gets through again, then
   * resyncs: what is still placed on it is built again, what moved stays removed. Set it below the
   * servers' down time (by a heartbeat interval or more). Absent: no fencing.
   */
  fenceAfterMs?: number;
}

export class Agent {
  readonly #opts: AgentOptions;
  readonly #queue: WorkQueue;
  #unsubscribe: (() => Promise<void>) | undefined;
  #resync: NodeJS.Timeout | undefined;
  #observer: NodeJS.Timeout | undefined;
  #observing: Promise<void> | undefined;
  #lastCounters = 0;
  /** Graphs this process applied (or adopted), by load balancer: what the observer watches. */
  readonly #applied = new Map<string, LoadBalancerGraph>();
  /** The operating statuses last written, by `kind:id`, so only changes are written. */
  readonly #reported = new Map<string, Map<string, OperatingStatus>>();
  /** The latest observation of each applied load balancer: what a metrics scrape prints. */
  readonly #observed = new Map<string, Observation>();
  /** The ACTIVE_STANDBY side this agent runs, by load balancer. */
  readonly #roles = new Map<string, 'MASTER' | 'BACKUP'>();
  /** Load balancers whose reconcile in flight failed (for the result label). */
  readonly #failedNow = new Set<string>();
  readonly #metrics: { reconciles: Counter; errors: Counter; duration: Histogram } | undefined;
  #uncollect: (() => void) | undefined;
  /** This agent's id once registered (host mode). */
  #agentId: string | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #heartbeating: Promise<void> | undefined;
  /** When the last heartbeat the store acknowledged was sent (performance.now()). */
  #lastBeatSent = 0;
  /** True from a self-fence until a heartbeat gets through again. */
  #fenced = false;
  #fenceTimer: NodeJS.Timeout | undefined;
  #fencing: Promise<void> | undefined;
  #lastFenceLog = 0;
  /** Set when a resync after a fence failed: the next periodic resync is a full one. */
  #needsFullResync = false;
  /** Counts fences: a reconcile that began before one must not apply what it read (the placement may have moved). */
  #fenceEpoch = 0;

  constructor(opts: AgentOptions) {
    this.#opts = opts;
    this.#queue = new WorkQueue({ run: (id) => this.#timed(id) });
    const m = opts.metrics;
    if (m) {
      this.#metrics = {
        reconciles: m.counter('fulcrum_agent_reconciles_total', 'Reconciles of a load balancer, by result (ok, retry: a retryable failure, error: objects went to ERROR).', ['result']),
        errors: m.counter('fulcrum_agent_reconcile_errors_total', 'Reconciles that failed, by whether they will be retried.', ['retryable']),
        duration: m.histogram('fulcrum_agent_reconcile_duration_seconds', 'Time one reconcile took, by result.', ['result']),
      };
      this.#uncollect = m.collect(() => observedFamilies(this.#observations()));
    }
  }

  /** The applied load balancers with their latest observation. */
  *#observations(): Generator<{ graph: LoadBalancerGraph; observation: Observation }> {
    for (const [lbId, graph] of this.#applied) {
      const observation = this.#observed.get(lbId);
      if (observation) yield { graph, observation };
    }
  }

  /** One reconcile, counted and timed. */
  async #timed(lbId: string): Promise<JobOutcome> {
    const started = performance.now();
    let result: 'ok' | 'retry' | 'error' = 'retry';
    try {
      const outcome = await this.reconcile(lbId);
      result = outcome === 'retry' ? 'retry' : this.#failedNow.has(lbId) ? 'error' : 'ok';
      return outcome;
    } catch (err) {
      // The work queue retries a reconcile that threw (the store did not answer, say).
      this.#metrics?.errors.inc({ retryable: 'true' });
      throw err;
    } finally {
      this.#failedNow.delete(lbId);
      this.#metrics?.reconciles.inc({ result });
      this.#metrics?.duration.observe({ result }, (performance.now() - started) / 1000);
    }
  }

  /** The id this agent registered under (host mode), else undefined. */
  get agentId(): string | undefined {
    return this.#agentId;
  }

  /** Registers (host mode), subscribes to changes and reconciles everything once. */
  async start(): Promise<void> {
    if (this.#opts.host !== undefined) {
      const sent = performance.now();
      this.#agentId = (await this.#opts.store.registerAgent(this.#opts.host, this.#opts.configurations ?? {})).id;
      this.#lastBeatSent = sent;
      this.#opts.log.info({ agent: this.#agentId, host: this.#opts.host, fenceAfterMs: this.#opts.fenceAfterMs ?? null }, 'agent registered');
      this.#heartbeat = setInterval(() => {
        if (!this.#heartbeating) this.#heartbeating = this.#beat().finally(() => { this.#heartbeating = undefined; });
      }, this.#opts.heartbeatMs ?? 1000);
      this.#heartbeat.unref();
      const fenceAfter = this.#opts.fenceAfterMs;
      if (fenceAfter !== undefined) {
        // Timed apart from the heartbeat itself: a heartbeat hung on a dead connection fences too.
        this.#fenceTimer = setInterval(() => {
          if (!this.#fencing && (this.#fenced || performance.now() - this.#lastBeatSent > fenceAfter)) {
            this.#fencing = this.#fence()
              .catch((err: Error) => this.#opts.log.error({ err: err.message }, 'self-fence check failed; the next one retries'))
              .finally(() => { this.#fencing = undefined; });
          }
        }, Math.max(50, Math.min(250, fenceAfter / 8)));
        this.#fenceTimer.unref();
      }
    }
    this.#unsubscribe = await this.#opts.store.subscribe((id) => {
      if (id === '*') this.#resyncAllLogged();
      else this.#queue.mark(id);
    });
    for (const provider of this.#opts.providers.values()) {
      provider.watch?.((lbId, why) => {
        this.#opts.log.warn({ lb: lbId, why }, 'data plane died; reconciling');
        this.#applied.delete(lbId);
        this.#queue.mark(lbId);
      });
    }
    await this.resyncAll();
    const period = this.#opts.resyncMs ?? 30_000;
    this.#resync = setInterval(() => {
      (this.#needsFullResync ? this.resyncAll().then(() => { this.#needsFullResync = false; }) : this.resyncPending()).catch((err: Error) => this.#opts.log.warn({ err: err.message }, 'resync failed (store not answering); the next one retries'));
    }, period);
    this.#resync.unref();
    this.#observer = setInterval(() => {
      if (!this.#observing) {
        // A store that stops answering mid-observation (a partition, a restart) must not end the
        // process: the next observation tries again.
        this.#observing = this.observeAll()
          .catch((err: Error) => this.#opts.log.warn({ err: err.message }, 'observation failed (store not answering); the next one retries'))
          .finally(() => { this.#observing = undefined; });
      }
    }, this.#opts.observeMs ?? 500);
    this.#observer.unref();
  }

  /**
   * Reads every applied load balancer's operating status (and, every `countersMs`, its counters)
   * from its provider and writes what changed. A load balancer whose data plane cannot be
   * observed (its HAProxy died) is reconciled again, which restarts it.
   */
  async observeAll(): Promise<void> {
    const { store, log } = this.#opts;
    const withCounters = Date.now() - this.#lastCounters >= (this.#opts.countersMs ?? 5000);
    if (withCounters) this.#lastCounters = Date.now();
    for (const [lbId, graph] of this.#applied) {
      const provider = this.#opts.providers.get(graph.loadBalancer.provider);
      if (!provider) continue;
      let seen;
      try {
        seen = await provider.observe(graph);
      } catch (err) {
        log.warn({ lb: lbId, err: (err as Error).message }, 'data plane not answering; reconciling');
        this.#applied.delete(lbId);
        this.#observed.delete(lbId);
        this.#queue.mark(lbId);
        continue;
      }
      if (!seen || this.#applied.get(lbId) !== graph) continue;
      this.#observed.set(lbId, seen);
      if (this.#roles.get(lbId) === 'BACKUP') continue;
      const last = this.#reported.get(lbId) ?? new Map<string, OperatingStatus>();
      const changed = seen.operating.filter((o) => last.get(`${o.kind}:${o.id}`) !== o.status);
      if (changed.length > 0) {
        await store.recordOperating(lbId, changed);
        for (const o of changed) last.set(`${o.kind}:${o.id}`, o.status);
        this.#reported.set(lbId, last);
      }
      if (withCounters && seen.counters) await store.recordCounters(lbId, seen.counters.epoch, seen.counters.byListener);
      if (withCounters) for (const c of seen.otherCounters ?? []) await store.recordCounters(lbId, c.epoch, c.byListener);
    }
  }

  /**
   * One heartbeat. A failure (the database restarting) is logged and the next beat tries again;
   * a missing row (an admin deleted the agent) registers again and resyncs.
   */
  async #beat(): Promise<void> {
    const { store, log, host } = this.#opts;
    const sent = performance.now();
    try {
      if (await store.heartbeatAgent(this.#agentId!)) {
        this.#lastBeatSent = sent;
        // A heartbeat that took longer than the fence time (sent before or during a partition,
        // acknowledged after) proves too little: lifting the fence on it would fence again at once.
        if (this.#fenced && performance.now() - sent < (this.#opts.fenceAfterMs ?? Infinity)) await this.#unfence();
        return;
      }
      this.#agentId = (await store.registerAgent(host!, this.#opts.configurations ?? {})).id;
      this.#lastBeatSent = sent;
      log.warn({ agent: this.#agentId, host }, 'agent was not registered any more; registered again');
      if (this.#fenced) await this.#unfence();
      else await this.resyncAll();
    } catch (err) {
      log.warn({ agent: this.#agentId, err: (err as Error).message }, 'heartbeat failed; will retry');
    }
  }

  /**
   * The self-fence: every load balancer this node runs is removed (its HAProxy stopped, its
   * namespace and VIP gone), since the servers are rebuilding them elsewhere. Runs again at each
   * check while fenced, so that nothing an apply in flight started keeps serving.
   */
  async #fence(): Promise<void> {
    const { log } = this.#opts;
    const running = new Map<string, Provider>();
    for (const p of this.#opts.providers.values()) for (const id of await p.running()) running.set(id, p);
    for (const id of this.#applied.keys()) if (!running.has(id)) running.set(id, this.#opts.providers.get(this.#applied.get(id)!.loadBalancer.provider)!);
    if (this.#fenced && performance.now() - this.#lastFenceLog >= 10_000) {
      this.#lastFenceLog = performance.now();
      log.warn({ agent: this.#agentId, silentMs: Math.round(performance.now() - this.#lastBeatSent), heartbeatInFlight: this.#heartbeating !== undefined }, 'still self-fenced: no heartbeat has reached the database');
    }
    if (!this.#fenced) {
      this.#fenced = true;
      this.#fenceEpoch++;
      this.#lastFenceLog = performance.now();
      log.error({
        agent: this.#agentId, host: this.#opts.host, silentMs: Math.round(performance.now() - this.#lastBeatSent),
        fenceAfterMs: this.#opts.fenceAfterMs, loadbalancers: [...running.keys()],
      }, 'self-fencing: no heartbeat reached the database; this agent counts as dead and its load balancers are being rebuilt elsewhere, so it stops serving every one of them');
    } else if (running.size === 0) {
      return;
    }
    // All at once (the work queue also runs different load balancers in parallel): the servers may
    // start rebuilding them elsewhere about one heartbeat interval from now.
    await Promise.all([...running].map(async ([id, provider]) => {
      this.#forget(id);
      try {
        await provider?.remove(id);
        log.warn({ lb: id }, 'self-fenced: load balancer stopped here');
      } catch (err) {
        // The next check (a few hundred ms later) tries again: fencing must not give up.
        log.error({ lb: id, err: (err as Error).message }, 'self-fence could not stop a load balancer; retrying');
      }
    }));
  }

  /** A heartbeat got through after a fence: reconcile against the store (what is still ours is built again). */
  async #unfence(): Promise<void> {
    await this.#fencing;
    this.#fenced = false;
    this.#opts.log.warn({ agent: this.#agentId, host: this.#opts.host }, 'heartbeat reached the database again: fence lifted; reconciling against the database');
    // Until this resync succeeds, the periodic one is a full one: the fence removed load balancers
    // that are not pending, which a pending-only resync would never build again.
    this.#needsFullResync = true;
    await this.resyncAll();
    this.#needsFullResync = false;
  }

  /** True while self-fenced (tests, metrics). */
  get isFenced(): boolean {
    return this.#fenced;
  }

  #resyncAllLogged(): void {
    this.resyncAll().catch((err: Error) => this.#opts.log.warn({ err: err.message }, 'resync failed (store not answering); the next one retries'));
  }

  /** Marks every load balancer pending (this agent's, in host mode) and removes what belongs to none. */
  async resyncAll(): Promise<void> {
    const ids = new Set(await this.#opts.store.allLoadBalancerIds(this.#agentId));
    for (const id of ids) this.#queue.mark(id);
    for (const provider of this.#opts.providers.values()) {
      for (const id of await provider.running()) if (!ids.has(id)) this.#queue.mark(id);
    }
  }

  async resyncPending(): Promise<void> {
    for (const id of await this.#opts.store.pendingLoadBalancers(this.#agentId)) this.#queue.mark(id);
  }

  /** Resolves once no reconcile is running or queued. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /** Brings one load balancer to its desired generation. Idempotent. */
  async reconcile(lbId: string): Promise<JobOutcome> {
    const { store, log } = this.#opts;
    // Fenced: nothing is built until a heartbeat gets through (then everything is resynced).
    if (this.#fenced) return 'retry';
    const epoch = this.#fenceEpoch;
    let role: PlacementRole | undefined;
    if (this.#agentId !== undefined) {
      const placements = await store.placementsOf(lbId);
      // Not placed yet (made before any agent was alive, or before agents existed): left alone,
      // running or not, until the scheduler's sweep places it (then this agent adopts it if it is its own).
      if (placements.length === 0 && (await store.get('loadbalancer', lbId)) !== undefined) return 'done';
      const mine = placements.find((p) => p.agentId === this.#agentId);
      if (!mine) return this.#notMine(lbId);
      role = mine.role;
    }
    // An ACTIVE_STANDBY side records its own apply (the load balancer finishes when both sides
    // have) and only the MASTER side reports operating statuses, as Octavia reports the MASTER's.
    const side = role === 'MASTER' || role === 'BACKUP' ? role : undefined;
    if (side) this.#roles.set(lbId, side);
    else this.#roles.delete(lbId);
    const graph = await store.loadGraph(lbId, side);
    if (!graph) {
      this.#forget(lbId);
      for (const p of this.#opts.providers.values()) await p.remove(lbId);
      return 'done';
    }
    const lb = graph.loadBalancer;
    const provider = this.#opts.providers.get(lb.provider);
    const generation = lb.generation;
    if (!provider) {
      log.error({ lb: lbId, provider: lb.provider }, 'no such provider on this agent');
      this.#failedNow.add(lbId);
      await store.recordApplied(lbId, { generation, ok: false });
      return 'done';
    }
    if (lb.provisioningStatus === 'PENDING_DELETE') {
      this.#forget(lbId);
      try {
        await provider.remove(lbId);
      } catch (err) {
        return this.#failed(lbId, generation, err);
      }
      await store.recordApplied(lbId, { generation, ok: true });
      log.info({ lb: lbId, generation }, 'load balancer deleted');
      return 'done';
    }
    // Up to date and applied by this process: nothing to do. After a restart the graph is applied
    // once more (idempotent): that adopts a running data plane, or restarts one that died.
    const mine = this.#applied.get(lbId);
    if (mine && mine.loadBalancer.generation === generation && lb.appliedGeneration >= generation &&
      !lb.provisioningStatus.startsWith('PENDING_')) return 'done';
    try {
      const withTls = await this.#withTls(graph);
      // A fence since this reconcile began: what it read (its placement) may be stale; start over.
      if (this.#fenced || epoch !== this.#fenceEpoch) return 'retry';
      const result = await provider.apply(withTls);
      if (result.retiredCounters) await store.recordCounters(lbId, result.retiredCounters.epoch, result.retiredCounters.byListener);
      await store.recordApplied(lbId, { generation, ok: true, ...(side !== 'BACKUP' ? { operating: result.operating } : {}), ...(side ? { role: side } : {}) });
      this.#applied.set(lbId, graph);
      this.#reported.set(lbId, new Map(result.operating.map((o) => [`${o.kind}:${o.id}`, o.status])));
      log.info({ lb: lbId, generation }, 'applied');
      return 'done';
    } catch (err) {
      return this.#failed(lbId, generation, err);
    }
  }

  /**
   * A load balancer placed on another agent (or on none): heard of through a notification, or
   * still running here after it was rebuilt elsewhere while this agent was cut off. Whatever runs
   * here is removed; nothing is recorded, since the store's state belongs to its owner.
   */
  async #notMine(lbId: string): Promise<JobOutcome> {
    let here = this.#applied.has(lbId);
    for (const p of this.#opts.providers.values()) if (!here && (await p.running()).includes(lbId)) here = true;
    if (!here) return 'done';
    this.#forget(lbId);
    try {
      for (const p of this.#opts.providers.values()) await p.remove(lbId);
    } catch (err) {
      this.#opts.log.warn({ lb: lbId, err: (err as Error).message }, 'could not remove a load balancer placed elsewhere; will retry');
      return 'retry';
    }
    this.#opts.log.info({ lb: lbId }, 'load balancer is placed on another agent; removed here');
    return 'done';
  }

  /**
   * The graph with its TLS material. A reference that no longer resolves (its secret deleted)
   * fails the apply: the objects go to ERROR, the running configuration keeps serving.
   */
  async #withTls(graph: LoadBalancerGraph): Promise<LoadBalancerGraph> {
    if (!graphNeedsTls(graph)) return graph;
    if (!this.#opts.tls) throw new FulcrumError('VALIDATION', 'This agent has no certificate store to read certificates from.');
    return { ...graph, tls: await resolveGraphTls(this.#opts.tls, graph) };
  }

  #forget(lbId: string): void {
    this.#applied.delete(lbId);
    this.#reported.delete(lbId);
    this.#observed.delete(lbId);
  }

  async #failed(lbId: string, generation: number, err: unknown): Promise<JobOutcome> {
    const fe = err instanceof FulcrumError ? err : undefined;
    this.#metrics?.errors.inc({ retryable: String(fe?.retryable === true) });
    if (fe?.retryable) {
      this.#opts.log.warn({ lb: lbId, generation, err: fe.message, detail: fe.detail }, 'apply failed; will retry');
      return 'retry';
    }
    this.#opts.log.error({ lb: lbId, generation, err: (err as Error).message, detail: fe?.detail, stack: (err as Error).stack }, 'apply failed; objects go to ERROR');
    this.#failedNow.add(lbId);
    await this.#opts.store.recordApplied(lbId, { generation, ok: false });
    return 'done';
  }

  async stop(): Promise<void> {
    this.#uncollect?.();
    for (const provider of this.#opts.providers.values()) provider.watch?.(null);
    if (this.#resync) clearInterval(this.#resync);
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#fenceTimer) clearInterval(this.#fenceTimer);
    await this.#heartbeating;
    await this.#fencing;
    if (this.#observer) clearInterval(this.#observer);
    await this.#observing;
    await this.#unsubscribe?.();
    await this.#queue.stop();
  }
}
