/**
 * @module drivers/haproxy/runtime-api — HAProxy's runtime API over its admin stats socket: member
 * add, delete, weight and admin state without a reload (the worker keeps its PID).
 *
 * One connection per batch in prompt mode (~0.05 ms per command, haproxy-lab test 4). Each command
 * is sent only after the previous answer's prompt arrived, so answers are delimited by the prompt,
 * never by blank lines (`show stat`, `show info` and `help` contain some), and a batch stops at
 * the first refused command: the commands before it are applied, none after it.
 * Batches of independent changes (one server each: add, enable, weight, state, delete) go through
 * {@link RuntimeApi.executeGroups}, which keeps up to 64 commands in flight on the one connection
 * (each server's commands still one after another, each sent after the previous one's answer):
 * 1,000 members are 2,000–3,000 commands, and one round trip each costs a context switch to
 * HAProxy and back, several ms apiece when the machine is busy.
 * `set severity-output number` makes HAProxy prefix its messages with a syslog level (`[3]: No such
 * server.`), which is how errors are told from data.
 */
import { connect, isIP, type Socket } from 'node:net';
import { FulcrumError } from '../../domain/errors.js';
import { parseServersState, parseShowInfo, parseShowStat, type ServerState, type StatRow } from './stats.js';

/** Health check settings of a server added at runtime. */
export interface ServerCheck {
  /** Interval between checks, ms. */
  inter: number;
  /** Consecutive failures that mark the server DOWN. */
  fall: number;
  /** Consecutive successes that mark it UP. */
  rise: number;
  /** Check this port instead of the server's (Octavia `monitor_port`). */
  port?: number;
  /** Check this address instead of the server's (Octavia `monitor_address`). */
  addr?: string;
}

/** Options of {@link RuntimeApi.addServer}. */
export interface AddServerOptions {
  /** 0–256; 0 takes no new traffic. */
  weight: number;
  /** Health checking; none when absent (the server is always considered UP). */
  check?: ServerCheck;
  /** Only used when every non-backup server is down. */
  backup?: boolean;
  /** Added but left in maintenance (admin_state_up = false). */
  disabled?: boolean;
  /** Send the PROXY protocol header. */
  proxyProtocol?: 'send-proxy' | 'send-proxy-v2';
}

/** A group of {@link RuntimeApi.executeGroups} that stopped: its index, the refused command's index, HAProxy's answer. */
export interface GroupFailure {
  group: number;
  command: number;
  answer: string;
}

/** Admin states a server can be set to at runtime. */
export type ServerAdminState = 'ready' | 'drain' | 'maint';

/** Backend and server names (UUIDs or simple tokens) and every other argument: nothing that could split a command. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
/** A word of a raw command given to {@link RuntimeApi.execute}; IPv6 addresses need `[`, `]` and `:`. */
const WORD = /^[A-Za-z0-9_.:/[\]-]+$/;
/** A message whose syslog level is warning or worse (but the warning `set server … addr` answers with when it did its job), or the CLI's unknown-command help. */
const ERROR_ANSWER = /^\[[0-3]\]: |^\[4\]: (?!IP changed from |no need to change the addr)|^(\[\d\]: )?Unknown command/;
/** Answer to `del server` while connections are still attached (haproxy 2.6 cli_parse_delete_server). */
const STILL_CONNECTED = /still has connections/i;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function refuse(field: string, value: unknown): never {
  throw new FulcrumError('DRIVER_FAILED', 'An invalid runtime API argument was refused.', { detail: `${field}: ${JSON.stringify(value)}` });
}
const name = (field: string, v: string): string => (NAME.test(v) ? v : refuse(field, v));
const int = (field: string, v: number, min: number, max: number): number =>
  (Number.isInteger(v) && v >= min && v <= max ? v : refuse(field, v));
const address = (field: string, v: string): string => {
  const family = isIP(v);
  return family === 4 ? v : family === 6 ? `[${v}]` : refuse(field, v);
};

/** `<backend>/<server>` after checking both names. */
export function serverRef(backend: string, server: string): string {
  return `${name('backend', backend)}/${name('server', server)}`;
}

/**
 * The commands that add a server and bring it into service: `add server` (dynamic servers start in
 * maintenance with checks off), then `enable health` when checked, then `enable server` unless disabled.
 * @throws FulcrumError DRIVER_FAILED when an argument is not a name, address or in range.
 */
export function addServerCommands(backend: string, server: string, addr: string, port: number, opts: AddServerOptions): string[] {
  const ref = serverRef(backend, server);
  const args = [`${address('address', addr)}:${int('port', port, 1, 65535)}`, 'weight', `${int('weight', opts.weight, 0, 256)}`];
  if (opts.proxyProtocol !== undefined) {
    args.push(opts.proxyProtocol === 'send-proxy' || opts.proxyProtocol === 'send-proxy-v2' ? opts.proxyProtocol : refuse('proxyProtocol', opts.proxyProtocol));
  }
  if (opts.backup) args.push('backup');
  const c = opts.check;
  if (c) {
    args.push('check', 'inter', `${int('inter', c.inter, 1, 86_400_000)}ms`, 'fall', `${int('fall', c.fall, 1, 100)}`, 'rise', `${int('rise', c.rise, 1, 100)}`);
    if (c.addr !== undefined) args.push('addr', address('check.addr', c.addr));
    if (c.port !== undefined) args.push('port', `${int('check.port', c.port, 1, 65535)}`);
  }
  return [`add server ${ref} ${args.join(' ')}`, ...(c ? [`enable health ${ref}`] : []), ...(opts.disabled ? [] : [`enable server ${ref}`])];
}

/** A client for one HAProxy worker's admin stats socket. Holds no connection between calls. */
export class RuntimeApi {
  readonly #socket: string;

  constructor(socketPath: string) {
    this.#socket = socketPath;
  }

  /**
   * Runs commands in one session, in order, and returns each one's answer (without HAProxy's
   * severity prefix). Stops at the first answer that is an error.
   * @throws FulcrumError DRIVER_FAILED, not retryable, naming the refused command and HAProxy's
   *   answer in `detail` (earlier commands are applied, later ones are not sent); also when a
   *   command holds a character that could split it (newline, `;`, space runs, quotes…).
   * @throws FulcrumError DRIVER_FAILED, retryable, when the socket does not answer (process gone).
   */
  async execute(commands: readonly string[]): Promise<string[]> {
    for (const c of commands) if (!c.split(' ').every((w) => WORD.test(w))) refuse('command', c);
    if (commands.length === 0) return [];
    const session = await CliSession.open(this.#socket);
    try {
      await session.ask('prompt');
      await session.ask('set severity-output number');
      const answers: string[] = [];
      for (const c of commands) {
        const answer = await session.ask(c);
        if (ERROR_ANSWER.test(answer)) {
          throw new FulcrumError('DRIVER_FAILED', 'HAProxy refused a runtime command.', { detail: `${c}: ${answer.split('\n')[0]}` });
        }
        answers.push(answer.replace(/^\[\d\]: /, ''));
      }
      return answers;
    } finally {
      session.close();
    }
  }

  /**
   * Runs groups of commands in one session: the commands of a group in order, each sent once the
   * previous one was answered, and a group stops at its first refused command; groups are
   * independent (they name different servers) and are interleaved, up to `window` commands in
   * flight. For changes only: their answers never hold the prompt.
   * @returns the groups that stopped on a refused command (the commands before it applied, none after).
   * @throws FulcrumError DRIVER_FAILED, not retryable, when a command holds a character that could
   *   split it (nothing is sent then); retryable when the socket does not answer.
   */
  async executeGroups(groups: readonly (readonly string[])[], window = 64): Promise<GroupFailure[]> {
    for (const g of groups) for (const c of g) if (!c.split(' ').every((w) => WORD.test(w))) refuse('command', c);
    const todo = groups.filter((g) => g.length > 0);
    if (todo.length === 0) return [];
    const session = await CliSession.open(this.#socket);
    try {
      await session.ask('prompt');
      await session.ask('set severity-output number');
      return await session.pipeline(todo, window);
    } finally {
      session.close();
    }
  }

  /** `show info` as name → value (`Pid` is the worker's PID). */
  async showInfo(): Promise<Record<string, string>> {
    return parseShowInfo((await this.execute(['show info']))[0]!);
  }

  /** `show info` and `show stat` in one session, so both come from the same worker: its PID and its rows. */
  async snapshot(): Promise<{ pid: number; rows: StatRow[] }> {
    const [info, stat] = await this.execute(['show info', 'show stat']);
    return { pid: Number(parseShowInfo(info!).Pid), rows: parseShowStat(stat!) };
  }

  /**
   * Opens a session that stays with the worker answering now, even after a reload hands the
   * socket to a new one. Through it, {@link PinnedWorker.finalCounters} reads that worker's
   * counters once it no longer accepts connections. Close it promptly: a retiring worker stays
   * alive while the session is open.
   * @throws FulcrumError DRIVER_FAILED (retryable) when no worker answers.
   */
  async pin(): Promise<PinnedWorker> {
    const session = await CliSession.open(this.#socket);
    try {
      await session.ask('prompt');
      const pid = Number(parseShowInfo(await session.ask('show info')).Pid);
      return new PinnedWorker(session, pid);
    } catch (err) {
      session.close();
      throw err;
    }
  }

  /** `show stat`: frontends, backends and servers with counters and status. */
  async showStat(): Promise<StatRow[]> {
    return parseShowStat((await this.execute(['show stat']))[0]!);
  }

  /** `show servers state`, of one backend or all. @throws FulcrumError DRIVER_FAILED for an unknown backend. */
  async showServersState(backend?: string): Promise<ServerState[]> {
    const cmd = backend === undefined ? 'show servers state' : `show servers state ${name('backend', backend)}`;
    return parseServersState((await this.execute([cmd]))[0]!);
  }

  /** Adds a server and brings it into service (see {@link addServerCommands}). Not idempotent: an existing name is refused. */
  async addServer(backend: string, server: string, addr: string, port: number, opts: AddServerOptions): Promise<void> {
    await this.execute(addServerCommands(backend, server, addr, port, opts));
  }

  /**
   * Puts a server in maintenance, then deletes it. HAProxy refuses to delete a server that still
   * has connections attached, so the delete is retried for up to `waitMs`.
   * @throws FulcrumError DRIVER_FAILED for an unknown server (not retryable) or, retryable, when
   *   connections are still attached after `waitMs`.
   */
  async deleteServer(backend: string, server: string, waitMs = 1000): Promise<void> {
    const ref = serverRef(backend, server);
    await this.execute([`set server ${ref} state maint`]);
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        await this.execute([`del server ${ref}`]);
        return;
      } catch (err) {
        const busy = err instanceof FulcrumError && STILL_CONNECTED.test(err.detail ?? '');
        if (!busy) throw err;
        if (Date.now() >= deadline) {
          throw new FulcrumError('DRIVER_FAILED', 'HAProxy refused a runtime command.', { detail: (err as FulcrumError).detail, cause: err, retryable: true });
        }
        await sleep(20);
      }
    }
  }

  /** Sets a server's weight (0–256). Idempotent. */
  async setWeight(backend: string, server: string, weight: number): Promise<void> {
    await this.execute([`set server ${serverRef(backend, server)} weight ${int('weight', weight, 0, 256)}`]);
  }

  /** Sets a server's admin state: `ready` serves, `drain` keeps only existing and persistent sessions, `maint` takes nothing. Idempotent. */
  async setState(backend: string, server: string, state: ServerAdminState): Promise<void> {
    const ok = state === 'ready' || state === 'drain' || state === 'maint';
    await this.execute([`set server ${serverRef(backend, server)} state ${ok ? state : refuse('state', state)}`]);
  }
}

/** One prompt-mode connection: `ask` sends a line and resolves with the answer before the next prompt. */
class CliSession {
  #buf = '';
  #failure: Error | null = null;
  #waiter: (() => void) | null = null;

  private constructor(readonly socket: Socket, readonly path: string) {
    socket.setEncoding('utf8');
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (d: string) => { this.#buf += d; this.#waiter?.(); });
    socket.on('error', (e) => { this.#failure = e; this.#waiter?.(); });
    socket.on('close', () => { this.#failure ??= new Error('connection closed'); this.#waiter?.(); });
  }

  static open(path: string): Promise<CliSession> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      const fail = (e: Error) => reject(unreachable(path, e));
      socket.once('error', fail);
      socket.once('connect', () => { socket.removeListener('error', fail); resolve(new CliSession(socket, path)); });
    });
  }

  /** Every answer in prompt mode ends with a newline and then the `> ` prompt. */
  async ask(line: string): Promise<string> {
    this.socket.write(`${line}\n`);
    while (!this.#buf.endsWith('\n> ')) {
      if (this.#failure) throw unreachable(this.path, this.#failure, line);
      await new Promise<void>((r) => { this.#waiter = r; });
      this.#waiter = null;
    }
    const answer = this.#buf.slice(0, -3).replace(/\n+$/, '');
    this.#buf = '';
    return answer;
  }

  /**
   * Sends the groups' commands with up to `window` in flight and reads the answers in order (each
   * ends at the next prompt). A group's next command is written when its previous answer arrived
   * and was not an error.
   */
  async pipeline(groups: readonly (readonly string[])[], window: number): Promise<GroupFailure[]> {
    const failures: GroupFailure[] = [];
    /** Commands written and not yet answered, oldest first. */
    const inFlight: { group: number; command: number }[] = [];
    const next = groups.map(() => 0);
    let waiting = 0; // groups not started yet, in order
    const send = (group: number): void => {
      const command = next[group]!;
      next[group] = command + 1;
      inFlight.push({ group, command });
      this.socket.write(`${groups[group]![command]}\n`);
    };
    while (waiting < groups.length && inFlight.length < window) send(waiting++);
    while (inFlight.length > 0) {
      const at = this.#buf.indexOf('\n> ');
      if (at < 0) {
        if (this.#failure) throw unreachable(this.path, this.#failure, groups[inFlight[0]!.group]![inFlight[0]!.command]);
        await new Promise<void>((r) => { this.#waiter = r; });
        this.#waiter = null;
        continue;
      }
      const answer = this.#buf.slice(0, at).replace(/\n+$/, '');
      this.#buf = this.#buf.slice(at + 3);
      const done = inFlight.shift()!;
      if (ERROR_ANSWER.test(answer)) {
        failures.push({ group: done.group, command: done.command, answer: answer.split('\n')[0]! });
      } else if (next[done.group]! < groups[done.group]!.length) {
        send(done.group);
        continue;
      }
      if (waiting < groups.length) send(waiting++);
    }
    return failures;
  }

  close(): void {
    this.socket.end('quit\n');
  }
}

/** One worker, held through a session opened before a reload (see {@link RuntimeApi.pin}). */
export class PinnedWorker {
  readonly #session: CliSession;

  constructor(session: CliSession, readonly pid: number) {
    this.#session = session;
  }

  /**
   * The worker's `show stat` once it reports `Stopping: 1`: it has unbound its listeners, so
   * every connection it will ever accept is counted (a reload's new worker answers on the stats
   * socket a few milliseconds before the old one stops accepting on the shared listeners).
   * @throws FulcrumError DRIVER_FAILED (retryable) when the worker is gone or not stopping within `waitMs`.
   */
  async finalCounters(waitMs: number): Promise<StatRow[]> {
    const deadline = Date.now() + waitMs;
    while (parseShowInfo(await this.#session.ask('show info')).Stopping !== '1') {
      if (Date.now() > deadline) throw new FulcrumError('DRIVER_FAILED', 'HAProxy\'s old worker did not stop.', { detail: `${this.pid} still accepting after ${waitMs} ms`, retryable: true });
      await new Promise((r) => setTimeout(r, 5));
    }
    return parseShowStat(await this.#session.ask('show stat'));
  }

  /** Ends the session; a retiring worker with no other connection then exits. */
  close(): void {
    this.#session.close();
  }
}

function unreachable(path: string, err: Error, during?: string): FulcrumError {
  return new FulcrumError('DRIVER_FAILED', 'HAProxy\'s runtime API does not answer.', {
    detail: `${path}${during === undefined ? '' : ` (${during})`}: ${err.message}`, cause: err, retryable: true,
  });
}
