/**
 * @module drivers/haproxy/process — one HAProxy master-worker per load balancer: configuration
 * written atomically with a last-known-good copy (checked by `haproxy -c` before a reload, by
 * HAProxy itself on a start), start, adoption of a running master from its pidfile, hitless reload
 * over the master CLI with the server state saved first (health survives), and stop. HAProxy
 * daemonises (-D), so it outlives an agent restart.
 *
 * Liveness is read from /proc/PID/stat, never `kill -0`: PID 1 on our hosts reaps daemons about
 * 1.5 s late, and a zombie answers `kill -0` (haproxy-lab, "Notes and surprises").
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { FulcrumError } from '../../domain/errors.js';
import { run } from '../sys/exec.js';
import { isAlive, ownPid, runsWith } from '../sys/proc.js';

export { isAlive };
import { RuntimeApi, type PinnedWorker } from './runtime-api.js';
import { parseShowInfo, parseShowStat, type StatRow } from './stats.js';

export interface HaproxyInstanceOptions {
  /** The load balancer's state directory (absolute or relative to the agent's working directory). */
  dir: string;
  /** Argv prefix that runs HAProxy in the load balancer's network context (`ip netns exec qlbaas-…`); default none. */
  wrap?: readonly string[];
  /** The HAProxy executable; default `haproxy` from PATH. */
  haproxyBin?: string;
}

/** The files of one instance, all inside its directory. The config must name `statsSocket` and `serverStateFile`. */
export interface InstancePaths {
  /** haproxy.cfg: what the master loads on start and reload. */
  config: string;
  /** haproxy.cfg.good: the configuration before the last write (last known good). */
  goodConfig: string;
  /** haproxy.pid: the master's PID. */
  pidFile: string;
  /** master.sock: the master CLI (`reload`). */
  masterSocket: string;
  /** stats.sock: the worker's admin runtime API. */
  statsSocket: string;
  /** server-state: `show servers state` saved before each reload, loaded by the new worker. */
  serverStateFile: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long a master CLI command keeps trying to connect while the master re-executes (measured: 50–120 ms). */
const MASTER_CONNECT_RETRY_MS = 1000;
/** How many workers retired by reloads are remembered (their answers on the stats socket are stale). */
const RETIRED_KEPT = 16;
/** How long a reload waits for an answer from a worker that is not retired (the shared socket hands over in ms). */
const CURRENT_WAIT_MS = 1000;

/** What connecting to the master CLI fails with while the master re-executes. */
const MASTER_NOT_LISTENING = new Set(['ECONNREFUSED', 'EAGAIN', 'ENOENT']);
/** What a connection the re-executing master accepted but never read fails with (Unix socket: our bytes were unread). */
const MASTER_DROPPED_UNREAD = new Set(['ECONNRESET', 'EPIPE']);

/**
 * Writes a file whole, for a rename into place: readers (HAProxy, the next apply) see the old file
 * or the new one, never a part. Not fsynced: these files are derived from the database, which is
 * what must survive a crash. A process crash keeps them in the page cache; after a machine crash no
 * HAProxy runs on them, and the agent renders and writes them again before starting one. An fsync
 * here cost ~20 ms per apply on the shared VM, blocking the event loop.
 */
function writeWhole(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
}

function driverFailed(message: string, detail: string, opts: { retryable: boolean; cause?: unknown }): FulcrumError {
  return new FulcrumError('DRIVER_FAILED', message, { detail, retryable: opts.retryable, cause: opts.cause });
}

/** A configuration HAProxy refuses: trying again cannot help, so the objects go to ERROR. */
function configRejected(said: string): FulcrumError {
  return driverFailed('The load balancer configuration was rejected by HAProxy.', said, { retryable: false });
}

/** What HAProxy printed, without the version NOTICE lines (noise in an error's detail). */
function haproxySaid(r: { stdout: string; stderr: string }): string {
  return `${r.stderr}${r.stdout}`.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('[NOTICE]')).join('\n');
}

/** One load balancer's HAProxy (master + workers) and its files. Holds no process handle: everything is read back from the directory and /proc. */
export class HaproxyInstance {
  /** Where the instance keeps its files. */
  readonly paths: InstancePaths;
  /** The runtime API of the current worker (stats socket). */
  readonly api: RuntimeApi;
  readonly #wrap: readonly string[];
  readonly #bin: string;
  /** Workers this instance retired by a reload, latest last. */
  readonly #retired: number[] = [];

  constructor(opts: HaproxyInstanceOptions) {
    const dir = resolve(opts.dir); // the master's argv must hold the same path masterPid() looks for
    this.paths = {
      config: join(dir, 'haproxy.cfg'), goodConfig: join(dir, 'haproxy.cfg.good'), pidFile: join(dir, 'haproxy.pid'),
      masterSocket: join(dir, 'master.sock'), statsSocket: join(dir, 'stats.sock'), serverStateFile: join(dir, 'server-state'),
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
   * Checks the configuration with `haproxy -c` (unless `validate` is false: the caller knows HAProxy
   * already runs this exact state), then writes it atomically (temp file, rename; no fsync: see writeWhole) after
   * copying the current one to haproxy.cfg.good. Does not reload.
   * @returns false when the file already had this content (nothing is written).
   * @throws FulcrumError DRIVER_FAILED, not retryable, with HAProxy's complaint in `detail`; the
   *   configuration on disk is then untouched.
   */
  async writeConfig(text: string, opts: { validate: boolean } = { validate: true }): Promise<boolean> {
    if (this.currentConfig() === text) return false;
    const tmp = `${this.paths.config}.tmp`;
    writeWhole(tmp, text);
    if (opts.validate) {
      const r = await this.#check(tmp);
      if (r.code !== 0) {
        rmSync(tmp, { force: true });
        throw configRejected(haproxySaid(r));
      }
    }
    if (existsSync(this.paths.config)) {
      copyFileSync(this.paths.config, `${this.paths.goodConfig}.tmp`);
      renameSync(`${this.paths.goodConfig}.tmp`, this.paths.goodConfig);
    }
    renameSync(tmp, this.paths.config);
    return true;
  }

  /** The running master's PID: the pidfile names a live (not zombie) HAProxy whose argv holds our config path. Else null. */
  async masterPid(): Promise<number | null> {
    return ownPid(this.paths.pidFile, 'haproxy', this.paths.config);
  }

  /** True when the process runs HAProxy with our configuration (a pidfile can outlive its process, and PIDs are reused). */
  #isOurs(pid: number): boolean {
    return runsWith(pid, 'haproxy', this.paths.config);
  }

  /**
   * Calls `onExit` as soon as the master dies: holds an idle prompt-mode session on the master
   * CLI, which the kernel closes when the master goes. A close while the master lives (a reload
   * re-executes it) just reconnects. Returns a function that stops watching.
   */
  watch(onExit: () => void): () => void {
    let stopped = false;
    let sock: Socket | undefined;
    const connectOnce = (): void => {
      if (stopped) return;
      sock = connect(this.paths.masterSocket);
      sock.on('error', () => undefined); // 'close' follows and decides
      sock.on('data', () => undefined);
      sock.on('close', () => {
        if (stopped) return;
        void this.masterPid().then((pid) => {
          if (stopped) return;
          if (pid === null) {
            stopped = true;
            onExit();
          } else setTimeout(connectOnce, 50).unref();
        });
      });
      sock.write('prompt\n');
      sock.unref();
    };
    connectOnce();
    return () => {
      stopped = true;
      sock?.destroy();
    };
  }

  /** Every live HAProxy process (master, workers, old workers, orphans) started with our configuration. */
  #ourProcesses(): number[] {
    return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((p) => this.#isOurs(p) && isAlive(p));
  }

  /**
   * Starts HAProxy with the configuration on disk unless our master already runs, in which case it
   * is adopted untouched. Resolves once a worker answers on the stats socket. Idempotent.
   * @throws FulcrumError DRIVER_FAILED, not retryable, when HAProxy refuses the configuration
   *   (`detail`: its complaint; no process is left); retryable when it exits at start for another
   *   reason (a port in use…) or no worker answers within 10 s.
   */
  async ensureRunning(opts: { isFirst?: boolean } = {}): Promise<{ adopted: boolean; pid: number }> {
    const running = await this.masterPid();
    if (running !== null) {
      await this.#waitForWorker(null, 'adopt');
      return { adopted: true, pid: running };
    }
    if (!existsSync(this.paths.config)) throw driverFailed('HAProxy could not be started.', `no ${this.paths.config}`, { retryable: false });
    // Orphaned workers of a dead master would still hold the listeners. Finding them reads every
    // process's cmdline (synchronously, 2–30 ms here): not for a first start, which has none.
    if (opts.isFirst !== true) await this.#killAll();
    this.#removeRuntimeFiles();
    const r = await run([...this.#wrap, this.#bin, '-W', '-D', '-S', this.paths.masterSocket, '-f', this.paths.config, '-p', this.paths.pidFile],
      { allowFailure: true });
    if (r.code !== 0) {
      // HAProxy parses the whole file before it binds or forks, so a refused configuration leaves
      // no process; anything that did start (a failure after the fork) is stopped all the same.
      await this.#killAll();
      this.#removeRuntimeFiles();
      const said = haproxySaid(r);
      // Told apart only on this failure path: a file `haproxy -c` accepts failed for another reason
      // (an address in use, a limit), which a later attempt may not meet.
      if ((await this.#check(this.paths.config)).code !== 0) throw configRejected(said);
      throw driverFailed('HAProxy could not be started.', `start (exit ${r.code}): ${said}`, { retryable: true });
    }
    await this.#waitForWorker(null, 'start');
    const pid = await this.masterPid();
    if (pid === null) throw driverFailed('HAProxy could not be started.', `no live master in ${this.paths.pidFile}`, { retryable: true });
    return { adopted: false, pid };
  }

  /**
   * Starts HAProxy on `text` (or adopts our running master, see {@link ensureRunning}) without a
   * separate `haproxy -c`: HAProxy reads the file before it binds or forks and exits non-zero on
   * one it refuses, so the check would cost a process start (~30 ms) for nothing. A refused
   * configuration does not stay: the previous file (if any) is put back, and the refused one is
   * kept as haproxy.cfg.rejected for the operator. Never leaves a process behind on failure.
   * @throws FulcrumError DRIVER_FAILED, not retryable, with HAProxy's complaint in `detail`, when
   *   HAProxy refuses the configuration; retryable when it fails to start for another reason.
   */
  async startWith(text: string): Promise<{ adopted: boolean; pid: number }> {
    const hadPrevious = existsSync(this.paths.config);
    const isWritten = await this.writeConfig(text, { validate: false });
    try {
      // No configuration before this one: no HAProxy can ever have run on it.
      return await this.ensureRunning({ isFirst: !hadPrevious && !existsSync(this.paths.goodConfig) && !existsSync(this.paths.pidFile) });
    } catch (err) {
      if (isWritten && err instanceof FulcrumError && !err.retryable) {
        renameSync(this.paths.config, `${this.paths.config}.rejected`);
        // writeConfig copied the previous file to haproxy.cfg.good just before it wrote this one.
        if (hadPrevious) copyFileSync(this.paths.goodConfig, this.paths.config);
      }
      throw err;
    }
  }

  /** `haproxy -c` on a file. Not -q: it silences the alerts too. */
  #check(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return run([this.#bin, '-c', '-f', file], { allowFailure: true });
  }

  /**
   * True for a worker this instance retired by a reload. For a few milliseconds after a reload,
   * such a worker still answers on the shared stats socket: its state and counters are stale.
   */
  isRetired(pid: number): boolean {
    return this.#retired.includes(pid);
  }

  /** The current worker's PID (`show info`). @throws FulcrumError DRIVER_FAILED (retryable) when no worker answers. */
  async workerPid(): Promise<number> {
    const pid = Number((await this.api.showInfo()).Pid);
    if (!Number.isInteger(pid) || pid <= 0) throw driverFailed('HAProxy answered unexpectedly.', 'show info without Pid', { retryable: true });
    return pid;
  }

  async #waitForWorker(notPid: number | null, why: string, timeoutMs = 10_000): Promise<number> {
    return (await this.#waitForNewWorker(notPid, why, timeoutMs, () => this.workerPid().then((pid) => ({ pid, rows: [] })))).pid;
  }

  /**
   * Polls the stats socket every 5 ms until a worker other than `notPid` answers. Returns it, and
   * the last answer the old worker gave (both workers may answer on the shared socket for a few
   * milliseconds during a reload).
   */
  async #waitForNewWorker(
    notPid: number | null, why: string, timeoutMs: number, ask: () => Promise<{ pid: number; rows: StatRow[] }>,
  ): Promise<{ pid: number; lastOld: { pid: number; rows: StatRow[] } | null }> {
    const deadline = Date.now() + timeoutMs;
    let lastOld: { pid: number; rows: StatRow[] } | null = null;
    for (;;) {
      let last: unknown;
      try {
        const answer = await ask();
        if (answer.pid !== notPid && !this.isRetired(answer.pid)) return { pid: answer.pid, lastOld };
        if (answer.pid === notPid) lastOld = answer;
      } catch (err) {
        last = err; // socket not bound yet, or the old worker just closed it
      }
      if (Date.now() > deadline) {
        throw driverFailed('HAProxy did not become ready.', `${why}: no ${notPid === null ? '' : 'new '}worker on ${this.paths.statsSocket} after ${timeoutMs} ms`,
          { retryable: true, cause: last });
      }
      await sleep(5);
    }
  }

  /**
   * Hitless reload of the configuration on disk: saves `show servers state` to the server-state
   * file (the new worker loads it, so health, weights and admin states survive), sends `reload`
   * on the master CLI (listeners are handed over; the old worker finishes its connections) and
   * waits until a new worker answers. The master keeps its PID. Also returns the retiring
   * worker's `show stat` rows, read through a session opened before the reload once that worker
   * has stopped accepting connections (its counters die with it; connections it accepts after
   * the new worker is up would otherwise be lost).
   * @param reason why, for the caller's log; it is also in every error's `detail`.
   * @throws FulcrumError DRIVER_FAILED (retryable) when the worker or master does not answer, or
   *   no new worker answers within 10 s.
   */
  async reload(reason: string): Promise<{ workerPid: number; retiring: { pid: number; rows: StatRow[] } }> {
    let pinned: PinnedWorker | null = null;
    try {
      pinned = await this.#pinCurrent();
      // Counters and server state from one answer of the current worker: a worker retired by the
      // previous reload may still answer for a few ms, and its state would be loaded, its
      // counters recorded twice.
      const [info, stat, state] = await this.#askCurrent(['show info', 'show stat', 'show servers state']);
      let retiring = { pid: Number(parseShowInfo(info!).Pid), rows: parseShowStat(stat!) };
      writeWhole(`${this.paths.serverStateFile}.tmp`, `${state ?? ''}\n`);
      renameSync(`${this.paths.serverStateFile}.tmp`, this.paths.serverStateFile);
      await this.#masterCommand('reload');
      const next = await this.#waitForNewWorker(retiring.pid, 'reload', 10_000, () => this.api.snapshot());
      if (next.lastOld) retiring = next.lastOld;
      if (pinned.pid === retiring.pid) {
        // Exact counters when the old worker is still there (it is, while the pinned session is
        // open); otherwise the last answer it gave on the stats socket.
        const rows = await pinned.finalCounters(1000).catch(() => null);
        if (rows && rows.length > 0) retiring = { pid: pinned.pid, rows };
      }
      this.#retired.push(retiring.pid);
      this.#retired.splice(0, Math.max(0, this.#retired.length - RETIRED_KEPT));
      return { workerPid: next.pid, retiring };
    } catch (err) {
      const inner = err instanceof FulcrumError ? err : null;
      throw driverFailed(inner?.message ?? 'HAProxy could not be reloaded.', `reload (${reason}): ${inner?.detail ?? (err as Error).message}`,
        { retryable: inner?.retryable ?? true, cause: err });
    } finally {
      pinned?.close();
    }
  }

  /** A session pinned to the current worker (not one a reload retired), tried for up to {@link CURRENT_WAIT_MS}. */
  async #pinCurrent(): Promise<PinnedWorker> {
    const deadline = Date.now() + CURRENT_WAIT_MS;
    for (;;) {
      const pinned = await this.api.pin();
      if (!this.isRetired(pinned.pid) || Date.now() > deadline) return pinned;
      pinned.close();
      await sleep(5);
    }
  }

  /** Runs commands (the first `show info`) on the stats socket until a worker that is not retired answers (up to {@link CURRENT_WAIT_MS}). */
  async #askCurrent(commands: readonly string[]): Promise<string[]> {
    const deadline = Date.now() + CURRENT_WAIT_MS;
    for (;;) {
      const answers = await this.api.execute(commands);
      const pid = Number(parseShowInfo(answers[0] ?? '').Pid);
      if (!this.isRetired(pid)) return answers;
      if (Date.now() > deadline) throw driverFailed('HAProxy did not become ready.', `only retired worker ${pid} answers on ${this.paths.statsSocket}`, { retryable: true });
      await sleep(5);
    }
  }

  /**
   * Sends one command on the master CLI and resolves with its output when the master closes the
   * connection. While the master re-executes itself after a `reload` (50–120 ms here) its socket
   * refuses connections (ECONNREFUSED, EAGAIN, or ENOENT before it is bound again), or accepts one
   * into a listener that is then closed (ECONNRESET): the command is sent again every 10 ms for up
   * to {@link MASTER_CONNECT_RETRY_MS}. It is never sent twice to a master that read it: on a Unix
   * socket, ECONNRESET and EPIPE mean the peer went away with our bytes unread.
   */
  async #masterCommand(command: string): Promise<string> {
    const deadline = Date.now() + MASTER_CONNECT_RETRY_MS;
    for (;;) {
      const r = await this.#masterCommandOnce(command);
      if (r.ok) return r.output;
      const { err, isConnected, hasAnswer } = r;
      const code = (err as NodeJS.ErrnoException).code ?? '';
      const isUnread = isConnected ? !hasAnswer && MASTER_DROPPED_UNREAD.has(code) : MASTER_NOT_LISTENING.has(code);
      if (!isUnread || Date.now() >= deadline) {
        throw driverFailed('HAProxy\'s master does not answer.', `${this.paths.masterSocket} ${command}: ${err.message}`, { retryable: true, cause: err });
      }
      await sleep(10);
    }
  }

  #masterCommandOnce(command: string): Promise<{ ok: true; output: string } | { ok: false; err: Error; isConnected: boolean; hasAnswer: boolean }> {
    return new Promise((resolvePromise) => {
      const chunks: Buffer[] = [];
      let isConnected = false;
      const sock = connect(this.paths.masterSocket);
      sock.setTimeout(5000, () => sock.destroy(new Error('no answer within 5 s')));
      sock.on('connect', () => { isConnected = true; });
      sock.on('data', (d: Buffer) => chunks.push(d));
      sock.on('error', (err) => resolvePromise({ ok: false, err, isConnected, hasAnswer: chunks.length > 0 }));
      sock.on('close', (hadError) => { if (!hadError) resolvePromise({ ok: true, output: Buffer.concat(chunks).toString() }); });
      sock.end(`${command}\n`);
    });
  }

  /** Stops master and workers, waits until they are really gone, removes sockets and pidfile. Keeps the configuration. Idempotent. */
  async stop(): Promise<void> {
    await this.#killAll();
    this.#removeRuntimeFiles();
  }

  /** SIGTERM to the master (it stops its workers), or to every process of ours when there is no master; SIGKILL what is still alive after 5 s. */
  async #killAll(): Promise<void> {
    const signal = (pids: number[], sig: NodeJS.Signals) => {
      for (const p of pids) {
        try {
          process.kill(p, sig);
        } catch {
          // already gone
        }
      }
    };
    const master = await this.masterPid();
    // Listed before signalling: an exiting process's cmdline reads empty before it is a zombie.
    let left = this.#ourProcesses();
    for (const [sig, waitMs] of [['SIGTERM', 5000], ['SIGKILL', 2000]] as const) {
      signal(sig === 'SIGTERM' && master !== null ? [master] : left, sig);
      const deadline = Date.now() + waitMs;
      while (left.length > 0 && Date.now() < deadline) {
        await sleep(5);
        left = left.filter(isAlive);
      }
      if (left.length === 0) return;
    }
    throw driverFailed('HAProxy could not be stopped.', `still alive: ${left.join(' ')}`, { retryable: true });
  }

  #removeRuntimeFiles(): void {
    for (const f of [this.paths.masterSocket, this.paths.statsSocket, this.paths.pidFile]) rmSync(f, { force: true });
  }
}
