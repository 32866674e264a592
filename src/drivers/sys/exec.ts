/**
 * @module drivers/sys/exec — the only place that starts processes. Argv arrays only, never a
 * shell string: no tenant value can ever be parsed by a shell.
 */
import { spawn } from 'node:child_process';
import { FulcrumError } from '../../domain/errors.js';

/** What a finished command left behind. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Written to the command's stdin, then stdin is closed. */
  input?: string | Buffer;
  /** Kill the command (SIGKILL) after this many ms; default 30 s. */
  timeoutMs?: number;
  /** Extra environment; the agent's own environment is inherited. */
  env?: Record<string, string>;
  /** Resolve with the exit code instead of throwing when it is not 0. */
  allowFailure?: boolean;
}

/**
 * Runs `argv[0]` with the rest as arguments and waits for it.
 * @throws FulcrumError DRIVER_FAILED (retryable) when it cannot start, times out, or exits
 *   non-zero (unless `allowFailure`); `detail` carries the command and its stderr.
 */
export function run(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error('run: empty argv');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new FulcrumError('DRIVER_FAILED', 'A data-plane command could not be started.', {
        detail: `${argv.join(' ')}: ${e.message}`, cause: e, retryable: true,
      }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
      if (timedOut || (result.code !== 0 && !opts.allowFailure)) {
        const why = timedOut ? `timed out after ${opts.timeoutMs ?? 30_000} ms` : `exit ${code ?? signal}`;
        reject(new FulcrumError('DRIVER_FAILED', 'A data-plane command failed.', {
          detail: `${argv.join(' ')}: ${why}: ${result.stderr.trim() || result.stdout.trim()}`, retryable: true,
        }));
        return;
      }
      resolve(result);
    });
    child.stdin.on('error', () => undefined); // a command that exits early closes stdin; its exit code says why
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * Starts a long-running process detached from the agent (its own process group), so that it
 * keeps running when the agent stops or restarts. Resolves once it has been spawned.
 */
export function spawnDetached(argv: readonly string[], opts: { stdoutFile?: number } = {}): Promise<number> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error('spawnDetached: empty argv');
  return new Promise((resolve, reject) => {
    const out = opts.stdoutFile ?? 'ignore';
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out] });
    child.once('error', (e) => reject(new FulcrumError('DRIVER_FAILED', 'A data-plane process could not be started.', {
      detail: `${argv.join(' ')}: ${e.message}`, cause: e, retryable: true,
    })));
    child.once('spawn', () => {
      child.unref();
      resolve(child.pid ?? -1);
    });
  });
}

/** A process started by `startAttached`. */
export interface Attached {
  pid: number;
  /** Resolves with the first stdout line that satisfies `match` (rejects if the process exits first). */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves when the process has exited, with all it wrote. Never rejects. */
  readonly exited: Promise<ExecResult>;
  signal(sig: NodeJS.Signals): void;
}

/**
 * Starts a process that stays attached to this one (killed with it if this process exits) and
 * whose stdout is read line by line: load generators and probes run in client namespaces.
 * @throws FulcrumError DRIVER_FAILED (retryable) when it cannot start.
 */
export function startAttached(argv: readonly string[]): Promise<Attached> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error('startAttached: empty argv');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const waiters = new Set<(line: string | null) => void>();
    let partial = '';
    child.stdout.on('data', (b: Buffer) => {
      out.push(b);
      const lines = (partial + b.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) for (const w of [...waiters]) w(line);
    });
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const exited = new Promise<ExecResult>((res) => child.on('close', (code) => {
      for (const w of [...waiters]) w(null);
      res({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    }));
    child.once('error', (e) => reject(new FulcrumError('DRIVER_FAILED', 'A process could not be started.', {
      detail: `${argv.join(' ')}: ${e.message}`, cause: e, retryable: true,
    })));
    child.once('spawn', () => resolve({
      pid: child.pid ?? -1,
      exited,
      signal: (sig) => { if (child.exitCode === null && child.signalCode === null) child.kill(sig); },
      waitForLine: (match, timeoutMs = 10_000) => new Promise((res, rej) => {
        const timer = setTimeout(() => { waiters.delete(w); rej(new Error(`${argv.join(' ')}: no matching line in ${timeoutMs} ms`)); }, timeoutMs);
        const w = (line: string | null): void => {
          if (line !== null && !match(line)) return;
          clearTimeout(timer);
          waiters.delete(w);
          if (line === null) rej(new Error(`${argv.join(' ')} exited: ${Buffer.concat(err).toString().trim()}`));
          else res(line);
        };
        waiters.add(w);
      }),
    }));
  });
}
