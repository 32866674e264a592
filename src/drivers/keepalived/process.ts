/**
 * @module drivers/keepalived/process — one ACTIVE_STANDBY side's keepalived, run in the load
 * balancer's network context: started detached (it outlives an agent restart) with its own
 * pidfiles in the load balancer's directory, adopted from its pidfile after a restart, reloaded
 * (SIGHUP) when its configuration changes, stopped (SIGTERM: it sends a priority-0 advert, so the
 * other side takes the VIP at once, and removes the VIP) when the load balancer goes.
 */
import { existsSync, openSync, closeSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FulcrumError } from '../../domain/errors.js';
import { run, spawnDetached } from '../sys/exec.js';
import { isAlive, ownPid } from '../sys/proc.js';

export interface KeepalivedPathsOnDisk {
  config: string;
  /** The parent process's PID (what is adopted and signalled). */
  pidFile: string;
  /** The VRRP child's PID. */
  vrrpPidFile: string;
  /** Its console log (`-l -D`): state changes, for operators and failing tests. */
  log: string;
}

export class KeepalivedInstance {
  readonly paths: KeepalivedPathsOnDisk;
  readonly #wrap: readonly string[];
  readonly #bin: string;

  constructor(opts: { dir: string; wrap: readonly string[]; keepalivedBin?: string }) {
    this.paths = {
      config: join(opts.dir, 'keepalived.conf'), pidFile: join(opts.dir, 'keepalived.pid'),
      vrrpPidFile: join(opts.dir, 'keepalived-vrrp.pid'), log: join(opts.dir, 'keepalived.log'),
    };
    this.#wrap = opts.wrap;
    this.#bin = opts.keepalivedBin ?? 'keepalived';
  }

  /** The running parent's PID: the pidfile names a live keepalived whose argv holds our config path. Else null. */
  pid(): number | null {
    return ownPid(this.paths.pidFile, 'keepalived', this.paths.config);
  }

  /**
   * Makes keepalived run `text`: writes it (temp file and rename) after `keepalived -t` accepts
   * it, then starts keepalived, or reloads it (SIGHUP) when the text changed, or adopts it as is.
   * Idempotent. @throws FulcrumError DRIVER_FAILED (retryable) when keepalived refuses to start.
   */
  async apply(text: string): Promise<'started' | 'reloaded' | 'adopted'> {
    const changed = !existsSync(this.paths.config) || readFileSync(this.paths.config, 'utf8') !== text;
    if (changed) {
      const tmp = `${this.paths.config}.tmp`;
      writeFileSync(tmp, text, { mode: 0o600 });
      // In the namespace: keepalived checks that the interface exists.
      const check = await run([...this.#wrap, this.#bin, '-t', '-f', tmp], { allowFailure: true });
      if (check.code !== 0) {
        rmSync(tmp, { force: true });
        throw new FulcrumError('DRIVER_FAILED', 'keepalived refused the rendered configuration.', { detail: check.stderr.trim() || check.stdout.trim() });
      }
      renameSync(tmp, this.paths.config);
    }
    const pid = this.pid();
    if (pid !== null) {
      if (!changed) return 'adopted';
      process.kill(pid, 'SIGHUP');
      return 'reloaded';
    }
    const out = openSync(this.paths.log, 'a', 0o600);
    try {
      await spawnDetached([...this.#wrap, this.#bin, '-n', '-l', '-D', '-P', '-f', this.paths.config, '-p', this.paths.pidFile, '-r', this.paths.vrrpPidFile], { stdoutFile: out });
    } finally {
      closeSync(out);
    }
    const deadline = Date.now() + 5000;
    while (this.pid() === null) {
      if (Date.now() > deadline) {
        const tail = existsSync(this.paths.log) ? readFileSync(this.paths.log, 'utf8').slice(-2000) : '';
        throw new FulcrumError('DRIVER_FAILED', 'keepalived did not start.', { detail: tail, retryable: true });
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return 'started';
  }

  /** True when keepalived and its VRRP child both run (the parent respawns a dead child). */
  isRunning(): boolean {
    if (this.pid() === null) return false;
    try {
      const child = Number(readFileSync(this.paths.vrrpPidFile, 'utf8').trim());
      return Number.isInteger(child) && child > 1 && isAlive(child);
    } catch {
      return false;
    }
  }

  /** Stops keepalived (SIGTERM, then SIGKILL after 3 s) and waits until it is gone. Idempotent. */
  async stop(): Promise<void> {
    const pids = [this.pid(), this.#vrrpPid()].filter((p): p is number => p !== null);
    if (pids.length === 0) return;
    for (const p of pids) this.#signal(p, 'SIGTERM');
    const deadline = Date.now() + 3000;
    while (pids.some(isAlive)) {
      if (Date.now() > deadline) {
        for (const p of pids) this.#signal(p, 'SIGKILL');
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    while (pids.some(isAlive) && Date.now() < deadline + 2000) await new Promise((r) => setTimeout(r, 20));
  }

  #vrrpPid(): number | null {
    if (this.pid() === null) return null;
    try {
      const pid = Number(readFileSync(this.paths.vrrpPidFile, 'utf8').trim());
      return Number.isInteger(pid) && pid > 1 && isAlive(pid) ? pid : null;
    } catch {
      return null;
    }
  }

  #signal(pid: number, sig: NodeJS.Signals): void {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}
