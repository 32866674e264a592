/**
 * @module drivers/haproxy/process — one HAProxy master-worker per load balancer: configuration
 * validated (`haproxy -c`) before it is written atomically, start, adoption of a running master
 * from its pidfile, hitless reload over the master CLI with the server state saved first (health
 * survives), and stop. HAProxy daemonises (-D), so it outlives an agent restart.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FulcrumError } from '../../domain/errors.js';
import { run } from '../sys/exec.js';
import { RuntimeApi } from './runtime-api.js';

export interface HaproxyInstanceOptions {
  /** The load balancer's directory: haproxy.cfg, haproxy.pid, master.sock, stats.sock, server-state. */
  dir: string;
  /** Argv prefix that runs HAProxy in the load balancer's network context (`ip netns exec qlbaas-…`). */
  wrap?: readonly string[];
  haproxyBin?: string;
}

/** The files of one instance. */
export interface HaproxyPaths {
  config: string;
  pidFile: string;
  masterSocket: string;
  statsSocket: string;
  serverStateFile: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True when the process exists and is not a zombie (PID 1 here reaps late: haproxy-lab). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export class HaproxyInstance {
  readonly paths: HaproxyPaths;
  readonly api: RuntimeApi;
  readonly #wrap: readonly string[];
  readonly #bin: string;

  constructor(opts: HaproxyInstanceOptions) {
    this.paths = {
      config: join(opts.dir, 'haproxy.cfg'), pidFile: join(opts.dir, 'haproxy.pid'), masterSocket: join(opts.dir, 'master.sock'),
      statsSocket: join(opts.dir, 'stats.sock'), serverStateFile: join(opts.dir, 'server-state'),
    };
    this.api = new RuntimeApi(this.paths.statsSocket);
    this.#wrap = opts.wrap ?? [];
    this.#bin = opts.haproxyBin ?? 'haproxy';
  }

  /** The configuration on disk ('' when there is none). */
  currentConfig(): string {
    try {
      return readFileSync(this.paths.config, 'utf8');
    } catch {
      return '';
    }
  }

  /**
   * Writes the configuration atomically (temp file, fsync, rename). With `validate`, HAProxy checks
   * it first and a rejected configuration is never written: the running one keeps serving.
   * @returns false when the file already had this content.
   * @throws FulcrumError DRIVER_FAILED (not retryable) with HAProxy's complaint in `detail`.
   */
  async writeConfig(text: string, opts: { validate: boolean } = { validate: true }): Promise<boolean> {
    if (this.currentConfig() === text) return false;
    const tmp = `${this.paths.config}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (opts.validate) {
      const r = await run([this.#bin, '-c', '-q', '-f', tmp], { allowFailure: true });
      if (r.code !== 0) {
        rmSync(tmp, { force: true });
        throw new FulcrumError('DRIVER_FAILED', 'The load balancer configuration was rejected by HAProxy.', {
          detail: (r.stderr || r.stdout).trim(),
        });
      }
    }
    renameSync(tmp, this.paths.config);
    return true;
  }

  /** The running master's PID, if its pidfile names a live HAProxy using this configuration. */
  async masterPid(): Promise<number | null> {
    let pid: number;
    try {
      pid = Number(readFileSync(this.paths.pidFile, 'utf8').trim());
    } catch {
      return null;
    }
    if (!Number.isInteger(pid) || pid <= 1 || !isAlive(pid)) return null;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return cmdline.includes(this.paths.config) ? pid : null;
    } catch {
      return null;
    }
  }

  /** Starts HAProxy unless a master already runs (then adopts it); resolves once the worker answers. */
  async ensureRunning(): Promise<{ adopted: boolean; pid: number }> {
    const running = await this.masterPid();
    if (running !== null) return { adopted: true, pid: running };
    for (const f of [this.paths.masterSocket, this.paths.statsSocket, this.paths.pidFile]) rmSync(f, { force: true });
    await run([...this.#wrap, this.#bin, '-W', '-D', '-S', this.paths.masterSocket, '-f', this.paths.config, '-p', this.paths.pidFile]);
    await this.#waitForWorker(null);
    const pid = await this.masterPid();
    if (pid === null) throw new FulcrumError('DRIVER_FAILED', 'HAProxy did not start.', { detail: `no master for ${this.paths.config}`, retryable: true });
    return { adopted: false, pid };
  }

  /** The worker's PID (from `show info`). */
  async workerPid(): Promise<number> {
    return Number((await this.api.showInfo()).Pid);
  }

  async #waitForWorker(notPid: number | null, timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const pid = await this.workerPid();
        if (pid > 0 && pid !== notPid) return pid;
      } catch {
        // socket not there yet
      }
      if (Date.now() > deadline) {
        throw new FulcrumError('DRIVER_FAILED', 'HAProxy did not become ready.', { detail: `${this.paths.statsSocket} after ${timeoutMs} ms`, retryable: true });
      }
      await sleep(5);
    }
  }

  /**
   * Hitless reload: saves the server state (health, weights) for the new worker, asks the master
   * to reload the configuration on disk, and waits until the new worker answers.
   */
  async reload(reason: string): Promise<{ workerPid: number }> {
    const old = await this.workerPid();
    const [state] = await this.api.execute(['show servers state']);
    writeFileSync(this.paths.serverStateFile, state ?? '', { mode: 0o600 });
    await new Promise<void>((resolve, reject) => {
      import('node:net').then(({ connect }) => {
        const sock = connect(this.paths.masterSocket);
        sock.on('error', (err) => reject(new FulcrumError('DRIVER_FAILED', 'HAProxy\'s master does not answer.', {
          detail: `reload (${reason}): ${err.message}`, retryable: true, cause: err,
        })));
        sock.on('data', () => undefined);
        sock.on('close', () => resolve());
        sock.end('reload\n');
      }, reject);
    });
    return { workerPid: await this.#waitForWorker(old) };
  }

  /** Stops master and workers, waits until they are gone, removes runtime files. Idempotent. */
  async stop(): Promise<void> {
    const pid = await this.masterPid();
    if (pid !== null) {
      let workers: number[] = [];
      try {
        workers = [await this.workerPid()];
      } catch {
        // no worker answering
      }
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + 5000;
      while ([pid, ...workers].some(isAlive) && Date.now() < deadline) await sleep(5);
      for (const p of [pid, ...workers]) if (isAlive(p)) process.kill(p, 'SIGKILL');
    }
    for (const f of [this.paths.masterSocket, this.paths.statsSocket, this.paths.pidFile]) rmSync(f, { force: true });
  }
}
