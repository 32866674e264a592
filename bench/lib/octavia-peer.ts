/**
 * @module bench/lib/octavia-peer — the real Octavia 11 API (Debian's `octavia-api`) as a bench
 * target, run with the peer's own scripts (../shared/peers/octavia: start.sh, stop.sh, RECIPE.md):
 * MODE=apionly, DB=sqlite, one gunicorn sync worker, noauth, in a state directory of our own.
 *
 * Its noop provider never moves an object out of PENDING_*, so a second write on a load balancer
 * gets 409. As Octavia's functional tests do (they set statuses in the database between steps),
 * {@link OctaviaPeer.settle} sets the load balancer and its children to ACTIVE directly in
 * Octavia's SQLite file; the bench calls it between timed requests, never inside one.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { run } from '../../src/drivers/sys/exec.js';

/** What the bench needs installed for this peer (apt package names). */
export const OCTAVIA_PACKAGES = ['octavia-api', 'sqlite3'] as const;

/** True when Debian's octavia-api (and the worker binary start.sh checks for) is installed. */
export function isOctaviaInstalled(): boolean {
  return existsSync('/usr/bin/octavia-api') && existsSync('/usr/bin/octavia-worker');
}

export class OctaviaPeer {
  readonly base: string;
  readonly #peerDir: string;
  readonly #state: string;
  #db: Database.Database | undefined;
  #isStopped = false;

  private constructor(peerDir: string, state: string, port: number) {
    this.#peerDir = peerDir;
    this.#state = state;
    this.base = `http://127.0.0.1:${port}`;
  }

  /**
   * Runs the peer's start.sh (about 10 s; 30 s on a loaded machine) and resolves once the API
   * answers. On failure the processes it started are stopped (stop.sh, by the PIDs it recorded).
   */
  static async start(peerDir: string, port: number): Promise<OctaviaPeer> {
    const state = mkdtempSync(join(tmpdir(), 'fulcrum-bench-octavia-'));
    const peer = new OctaviaPeer(peerDir, state, port);
    try {
      await run(['bash', join(peerDir, 'start.sh')], {
        env: { MODE: 'apionly', DB: 'sqlite', RUNNER: 'gunicorn', API_WORKERS: '1', STATE: state, PORT: String(port) },
        timeoutMs: 180_000,
      });
      return peer;
    } catch (err) {
      await peer.stop();
      throw new Error(`Octavia peer did not start (logs were in ${state}/log)`, { cause: err });
    }
  }

  /** Octavia's SQLite file, opened lazily (the API holds it open too: writes wait for its lock). */
  #database(): Database.Database {
    if (!this.#db) {
      this.#db = new Database(join(this.#state, 'octavia.sqlite'));
      this.#db.pragma('busy_timeout = 10000');
    }
    return this.#db;
  }

  /**
   * Sets the load balancer and everything under it to provisioning_status ACTIVE in Octavia's
   * database (what a provider would report), so that the next write on it is accepted.
   */
  settle(lbId: string): void {
    const db = this.#database();
    db.transaction(() => {
      db.prepare("UPDATE load_balancer SET provisioning_status = 'ACTIVE' WHERE id = ?").run(lbId);
      db.prepare("UPDATE listener SET provisioning_status = 'ACTIVE' WHERE load_balancer_id = ?").run(lbId);
      db.prepare("UPDATE pool SET provisioning_status = 'ACTIVE' WHERE load_balancer_id = ?").run(lbId);
      db.prepare("UPDATE member SET provisioning_status = 'ACTIVE' WHERE pool_id IN (SELECT id FROM pool WHERE load_balancer_id = ?)").run(lbId);
      db.prepare("UPDATE health_monitor SET provisioning_status = 'ACTIVE' WHERE pool_id IN (SELECT id FROM pool WHERE load_balancer_id = ?)").run(lbId);
    })();
  }

  /**
   * Adds `count` copies of a load balancer created through the API (its `load_balancer` and `vip`
   * rows, new IDs), straight into Octavia's database: growing to 1,000 through the API takes
   * 20–150 s on this machine, and the bench measures reads at that size, not these writes.
   */
  cloneLoadBalancer(templateId: string, count: number): void {
    const db = this.#database();
    const lbCols = (db.prepare('PRAGMA table_info(load_balancer)').all() as { name: string }[]).map((c) => c.name);
    const vipCols = (db.prepare('PRAGMA table_info(vip)').all() as { name: string }[]).map((c) => c.name);
    const pick = (cols: string[], repl: Record<string, string>): string => cols.map((c) => (c in repl ? repl[c] : c)).join(', ');
    const lb = db.prepare(`INSERT INTO load_balancer (${lbCols.join(', ')}) SELECT ${pick(lbCols, { id: '@id', name: '@name' })} FROM load_balancer WHERE id = @template`);
    const vip = db.prepare(`INSERT INTO vip (${vipCols.join(', ')}) SELECT ${pick(vipCols, { load_balancer_id: '@id', port_id: '@port' })} FROM vip WHERE load_balancer_id = @template`);
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const id = randomUUID();
        lb.run({ id, name: `clone-${i}`, template: templateId });
        vip.run({ id, port: randomUUID(), template: templateId });
      }
    })();
  }

  /** The API's processes: the gunicorn master (start.sh recorded it) and its worker(s). */
  apiPids(): number[] {
    const master = Number(readFileSync(join(this.#state, 'pids', 'api.pid'), 'utf8').trim());
    let workers: number[] = [];
    try {
      workers = readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      // gone
    }
    return [master, ...workers];
  }

  /** Runs stop.sh (kills exactly the PIDs start.sh recorded) and removes the state directory. Idempotent. */
  async stop(): Promise<void> {
    if (this.#isStopped) return;
    this.#isStopped = true;
    this.#db?.close();
    try {
      await run(['bash', join(this.#peerDir, 'stop.sh')], { env: { STATE: this.#state }, timeoutMs: 60_000 });
    } finally {
      rmSync(this.#state, { recursive: true, force: true });
    }
  }
}
