/**
 * @module agent/work-queue — one job in flight per key; a key marked while its job runs runs
 * once more afterwards (latest wins, so bursts coalesce); failures retry with backoff.
 */

/** What a job says about its outcome. */
export type JobOutcome = 'done' | 'retry';

export interface WorkQueueOptions {
  /** Runs the work for one key. */
  run: (key: string) => Promise<JobOutcome>;
  /** Jobs running at once across keys. */
  concurrency?: number;
  /** First retry delay in ms (doubles up to maxBackoffMs). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export class WorkQueue {
  readonly #opts: Required<WorkQueueOptions>;
  readonly #dirty = new Set<string>();
  readonly #running = new Set<string>();
  readonly #ready: string[] = [];
  readonly #backoff = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #idleWaiters: (() => void)[] = [];
  #stopped = false;

  constructor(opts: WorkQueueOptions) {
    this.#opts = { concurrency: 8, initialBackoffMs: 100, maxBackoffMs: 30_000, ...opts };
  }

  /** Asks for `key` to be worked on as soon as possible. */
  mark(key: string): void {
    if (this.#stopped) return;
    const timer = this.#timers.get(key);
    if (timer) {
      clearTimeout(timer);
      this.#timers.delete(key);
    }
    if (this.#running.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (!this.#ready.includes(key)) this.#ready.push(key);
    this.#pump();
  }

  #pump(): void {
    while (!this.#stopped && this.#running.size < this.#opts.concurrency && this.#ready.length > 0) {
      const key = this.#ready.shift()!;
      this.#running.add(key);
      void this.#runOne(key);
    }
    if (this.#running.size === 0 && this.#ready.length === 0) {
      for (const w of this.#idleWaiters.splice(0)) w();
    }
  }

  async #runOne(key: string): Promise<void> {
    let outcome: JobOutcome;
    try {
      outcome = await this.#opts.run(key);
    } catch {
      outcome = 'retry';
    }
    this.#running.delete(key);
    if (outcome === 'retry' && !this.#stopped) {
      const delay = Math.min(this.#backoff.get(key) ?? this.#opts.initialBackoffMs, this.#opts.maxBackoffMs);
      this.#backoff.set(key, delay * 2);
      if (this.#dirty.delete(key)) this.#ready.push(key);
      else this.#timers.set(key, setTimeout(() => { this.#timers.delete(key); this.mark(key); }, delay));
    } else {
      this.#backoff.delete(key);
      if (this.#dirty.delete(key)) this.#ready.push(key);
    }
    this.#pump();
  }

  /** Resolves when nothing is running or ready (retries waiting on a timer do not count). */
  idle(): Promise<void> {
    if (this.#running.size === 0 && this.#ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops taking work; running jobs finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#ready.length = 0;
    while (this.#running.size > 0) await new Promise((r) => setTimeout(r, 10));
  }
}
