/**
 * @module agent/agent — the reconcile loop: hears of committed changes from the store, makes
 * each load balancer's data plane match its desired generation through its provider, and
 * records the outcome (ACTIVE, or ERROR with the reason logged).
 */
import { FulcrumError } from '../domain/errors.js';
import type { Store } from '../store/store.js';
import type { Provider } from '../drivers/provider.js';
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
}

export class Agent {
  readonly #opts: AgentOptions;
  readonly #queue: WorkQueue;
  #unsubscribe: (() => Promise<void>) | undefined;
  #resync: NodeJS.Timeout | undefined;

  constructor(opts: AgentOptions) {
    this.#opts = opts;
    this.#queue = new WorkQueue({ run: (id) => this.reconcile(id) });
  }

  /** Subscribes to changes and reconciles everything once. */
  async start(): Promise<void> {
    this.#unsubscribe = await this.#opts.store.subscribe((id) => {
      if (id === '*') void this.resyncAll();
      else this.#queue.mark(id);
    });
    await this.resyncAll();
    const period = this.#opts.resyncMs ?? 30_000;
    this.#resync = setInterval(() => void this.resyncPending(), period);
    this.#resync.unref();
  }

  /** Marks every load balancer pending and removes what belongs to none. */
  async resyncAll(): Promise<void> {
    const ids = new Set(await this.#opts.store.allLoadBalancerIds());
    for (const id of ids) this.#queue.mark(id);
    for (const provider of this.#opts.providers.values()) {
      for (const id of await provider.running()) if (!ids.has(id)) this.#queue.mark(id);
    }
  }

  async resyncPending(): Promise<void> {
    for (const id of await this.#opts.store.pendingLoadBalancers()) this.#queue.mark(id);
  }

  /** Resolves once no reconcile is running or queued. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /** Brings one load balancer to its desired generation. Idempotent. */
  async reconcile(lbId: string): Promise<JobOutcome> {
    const { store, log } = this.#opts;
    const graph = await store.loadGraph(lbId);
    if (!graph) {
      for (const p of this.#opts.providers.values()) await p.remove(lbId);
      return 'done';
    }
    const lb = graph.loadBalancer;
    const provider = this.#opts.providers.get(lb.provider);
    const generation = lb.generation;
    if (!provider) {
      log.error({ lb: lbId, provider: lb.provider }, 'no such provider on this agent');
      await store.recordApplied(lbId, { generation, ok: false });
      return 'done';
    }
    if (lb.provisioningStatus === 'PENDING_DELETE') {
      try {
        await provider.remove(lbId);
      } catch (err) {
        return this.#failed(lbId, generation, err);
      }
      await store.recordApplied(lbId, { generation, ok: true });
      log.info({ lb: lbId, generation }, 'load balancer deleted');
      return 'done';
    }
    if (lb.appliedGeneration >= generation && !lb.provisioningStatus.startsWith('PENDING_')) return 'done';
    try {
      const result = await provider.apply(graph);
      await store.recordApplied(lbId, { generation, ok: true, operating: result.operating });
      log.info({ lb: lbId, generation }, 'applied');
      return 'done';
    } catch (err) {
      return this.#failed(lbId, generation, err);
    }
  }

  async #failed(lbId: string, generation: number, err: unknown): Promise<JobOutcome> {
    const fe = err instanceof FulcrumError ? err : undefined;
    if (fe?.retryable) {
      this.#opts.log.warn({ lb: lbId, generation, err: fe.message, detail: fe.detail }, 'apply failed; will retry');
      return 'retry';
    }
    this.#opts.log.error({ lb: lbId, generation, err: (err as Error).message, detail: fe?.detail, stack: (err as Error).stack }, 'apply failed; objects go to ERROR');
    await this.#opts.store.recordApplied(lbId, { generation, ok: false });
    return 'done';
  }

  async stop(): Promise<void> {
    if (this.#resync) clearInterval(this.#resync);
    await this.#unsubscribe?.();
    await this.#queue.stop();
  }
}
