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
  input?: string;
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
