/** @module bench/lib/wrk — runs wrk (inside a client namespace, or on loopback) and reads its report. */
import { run } from '../../src/drivers/sys/exec.js';

/** What one wrk run reports. Errors are counted, not thrown: the bench reports them beside the rate. */
export interface WrkResult {
  rps: number;
  requests: number;
  p50: number;
  p99: number;
  /** connect + read + write + timeout socket errors. */
  socketErrors: number;
  non2xx: number;
}

const UNIT_MS: Record<string, number> = { us: 1e-3, ms: 1, s: 1000, m: 60_000 };

/** Parses `wrk --latency` output. @throws when the output has no rate or latency distribution. */
export function parseWrk(out: string): WrkResult {
  const lat = (p: number): number => {
    const m = new RegExp(`^\\s+${p}(?:\\.000)?%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    if (!m) throw new Error(`wrk output has no ${p}% latency:\n${out}`);
    return Number(m[1]) * UNIT_MS[m[2]!]!;
  };
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  if (!rps) throw new Error(`wrk output has no Requests/sec:\n${out}`);
  const requests = /^\s*(\d+) requests in/m.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return {
    rps: Number(rps[1]), requests: Number(requests?.[1] ?? 0), p50: lat(50), p99: lat(99),
    socketErrors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    non2xx: Number(non2xx?.[1] ?? 0),
  };
}

/** Runs `wrk -t threads -c connections -d seconds --latency url` in `namespace`. */
export async function wrkFrom(namespace: string, url: string, o: { threads: number; connections: number; seconds: number }): Promise<WrkResult> {
  const { stdout } = await run(['ip', 'netns', 'exec', namespace, 'wrk', '-t', String(o.threads), '-c', String(o.connections),
    '-d', `${o.seconds}s`, '--latency', url], { timeoutMs: (o.seconds + 20) * 1000 });
  return parseWrk(stdout);
}

/**
 * Runs `wrk --latency` from the root namespace against a loopback URL (the API benches), with
 * extra request headers; one thread per connection up to 2 (the machine has 2 cores).
 */
export async function wrkLoopback(url: string, o: { connections: number; seconds: number; headers?: Record<string, string> }): Promise<WrkResult> {
  if (!/^http:\/\/127\.\d+\.\d+\.\d+[:/]/.test(url)) throw new Error(`wrkLoopback: ${url} is not a loopback address`);
  // --timeout 10s: Octavia's single sync worker queues requests for seconds at c = 32, and wrk's
  // default 2 s would count them as errors instead of timing them.
  const { stdout } = await run(['wrk', '-t', String(Math.min(2, o.connections)), '-c', String(o.connections), '-d', `${o.seconds}s`, '--timeout', '10s',
    ...Object.entries(o.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), '--latency', url], { timeoutMs: (o.seconds + 20) * 1000 });
  return parseWrk(stdout);
}
