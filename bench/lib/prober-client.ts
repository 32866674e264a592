/**
 * @module bench/lib/prober-client — the bench's side of prober.ts: starts the prober once in a
 * client namespace and asks it to wait for VIP events (first 200, a member's first or last answer).
 */
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startAttached, type Attached } from '../../src/drivers/sys/exec.js';
import type { ProbeAnswer, ProbeRequest } from './prober.js';

export type { ProbeAnswer } from './prober.js';

/** Wall-clock ms with sub-ms precision: the clock the prober reports in. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/** Polling defaults: a new connection every 2 ms, each given 100 ms, at most 20 at once, 30 s in all. */
const DEFAULTS = { intervalMs: 2, attemptTimeoutMs: 100, maxInFlight: 20, timeoutMs: 30_000 };

export class Prober {
  readonly #proc: Attached;
  readonly #sock: Socket;
  readonly #pending = new Map<number, (a: ProbeAnswer | Error, id: number) => void>();
  #nextId = 1;

  private constructor(proc: Attached, sock: Socket) {
    this.#proc = proc;
    this.#sock = sock;
    let partial = '';
    sock.on('data', (b: Buffer) => {
      const lines = (partial + b.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        const a = JSON.parse(line) as ProbeAnswer;
        const settle = this.#pending.get(a.id);
        this.#pending.delete(a.id);
        settle?.(a, a.id);
      }
    });
    sock.on('error', () => undefined); // a dead prober is seen through its exit, below
    void proc.exited.then((r) => {
      this.#isGone = true;
      for (const [id, answer] of this.#pending) answer(new Error(`prober exited (${r.code}): ${r.stderr.trim().slice(0, 500)}`), id);
      this.#pending.clear();
    });
  }

  #isGone = false;

  /** The prober's process (`ip netns exec …`), for cleanup by PID. */
  get pid(): number {
    return this.#proc.pid;
  }

  /** Starts the prober in `namespace`, listening on `socketPath`; resolves once connected. */
  static async start(namespace: string, socketPath: string): Promise<Prober> {
    const script = fileURLToPath(new URL('./prober.js', import.meta.url));
    const proc = await startAttached(['ip', 'netns', 'exec', namespace, process.execPath, script, socketPath]);
    try {
      await proc.waitForLine((l) => l === 'ready', 10_000);
      const sock = connect(socketPath);
      await new Promise<void>((resolve, reject) => {
        sock.once('connect', resolve);
        sock.once('error', reject);
      });
      return new Prober(proc, sock);
    } catch (err) {
      proc.signal('SIGKILL');
      throw err;
    }
  }

  /** Waits for one event at `url`; resolves with what the prober saw (`at` null on timeout). */
  probe(req: Pick<ProbeRequest, 'url' | 'want'> & Partial<Omit<ProbeRequest, 'id' | 'url' | 'want'>>): Promise<ProbeAnswer> {
    const id = this.#nextId++;
    const full: ProbeRequest = { ...DEFAULTS, ...req, id };
    if (this.#isGone) return Promise.reject(new Error('prober: not running'));
    return new Promise((resolve, reject) => {
      // The prober gives up at timeoutMs itself; this bound only covers a prober that hangs.
      const guard = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`prober: no answer for ${req.url} within ${full.timeoutMs + 5000} ms`));
      }, full.timeoutMs + 5000);
      this.#pending.set(id, (a) => {
        clearTimeout(guard);
        if (a instanceof Error) reject(a);
        else resolve(a);
      });
      this.#sock.write(`${JSON.stringify(full)}\n`);
    });
  }

  /** Stops the prober (by PID) and waits until it exited. Idempotent. */
  async stop(): Promise<void> {
    this.#sock.destroy();
    this.#proc.signal('SIGTERM');
    const killer = setTimeout(() => this.#proc.signal('SIGKILL'), 3000);
    await this.#proc.exited;
    clearTimeout(killer);
  }
}
