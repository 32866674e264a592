/**
 * @module drivers/haproxy/runtime-api — HAProxy's runtime API over its stats socket. Commands are
 * sent in one connection in prompt mode (~0.05 ms each, haproxy-lab test 4), so a batch of member
 * changes costs one round trip; each answer is split off at the prompt.
 */
import { connect } from 'node:net';
import { FulcrumError } from '../../domain/errors.js';
import { parseServersState, parseShowInfo, parseShowStat, type ServerState, type StatRow } from './stats.js';

/** Answers of mutating commands that mean success (everything else is an error message). */
const OK_ANSWERS = new Set(['', 'New server registered.', 'Server deleted.']);

/** Only names made of these characters reach the socket: no space, newline or `;` can split a command. */
const SAFE = /^[A-Za-z0-9_.:\-/[\]]+$/;

export class RuntimeApi {
  readonly #socket: string;

  constructor(socketPath: string) {
    this.#socket = socketPath;
  }

  /**
   * Runs commands in one session and returns each one's answer. A mutating command (set, add,
   * del, enable, disable) whose answer is an error throws (non-retryable) naming it; the commands
   * before it have been applied.
   * @throws FulcrumError DRIVER_FAILED, retryable when the socket does not answer (process gone).
   */
  async execute(commands: readonly string[]): Promise<string[]> {
    for (const c of commands) {
      if (/[\n\r;]/.test(c) || c.split(' ').some((w) => w !== '' && !SAFE.test(w))) {
        throw new FulcrumError('DRIVER_FAILED', 'An unsafe runtime command was refused.', { detail: JSON.stringify(c) });
      }
    }
    const raw = await this.#session(`prompt\n${commands.map((c) => `${c}\n`).join('')}quit\n`);
    // Each answer ends with "\n> "; the first is the answer to `prompt` itself.
    const parts = raw.split('\n> ').slice(1, commands.length + 1);
    if (parts.length < commands.length) {
      throw new FulcrumError('DRIVER_FAILED', 'HAProxy closed the runtime session early.', { detail: raw.slice(-500), retryable: true });
    }
    commands.forEach((c, i) => {
      const answer = parts[i]!.trim();
      if (/^(set|add|del|enable|disable) /.test(c) && !OK_ANSWERS.has(answer)) {
        throw new FulcrumError('DRIVER_FAILED', 'HAProxy refused a runtime change.', { detail: `${c}: ${answer}` });
      }
    });
    return parts;
  }

  #session(input: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const sock = connect(this.#socket);
      sock.setTimeout(5000, () => sock.destroy(new Error('runtime API timed out')));
      sock.on('data', (d: Buffer) => chunks.push(d));
      sock.on('end', () => resolve(Buffer.concat(chunks).toString()));
      sock.on('error', (err) => reject(new FulcrumError('DRIVER_FAILED', 'HAProxy\'s runtime API does not answer.', {
        detail: `${this.#socket}: ${err.message}`, cause: err, retryable: true,
      })));
      sock.write(input);
    });
  }

  async showInfo(): Promise<Record<string, string>> {
    return parseShowInfo((await this.execute(['show info']))[0]!);
  }

  async showStat(): Promise<StatRow[]> {
    return parseShowStat((await this.execute(['show stat']))[0]!);
  }

  async showServersState(backend?: string): Promise<ServerState[]> {
    return parseServersState((await this.execute([backend ? `show servers state ${backend}` : 'show servers state']))[0]!);
  }
}
