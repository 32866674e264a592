/**
 * @module test/helpers/vip-probe — measures a VIP outage from inside a client namespace (run there
 * by `startVipProbe`, so nothing it sends leaves the machine): a new-connection GET every
 * `intervalMs`, each given `timeoutMs`, at most 20 in flight, for at most `maxMs` (bounded) or
 * until SIGTERM; then prints one JSON line with every attempt (wall-clock start, ok, body).
 *
 * Usage: node vip-probe.js URL INTERVAL_MS TIMEOUT_MS MAX_MS
 */
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { startAttached } from '../../src/drivers/sys/exec.js';

/** One attempt: when it started (wall-clock ms), whether it got a 2xx, and the trimmed body. */
export interface Attempt { at: number; ok: boolean; body: string }

/**
 * What an outage looked like around `killAt`: `outageMs` from `killAt` to the start of the first
 * successful attempt after the last failed one (0 when nothing failed after `killAt`), the
 * failures, and the bodies answered after the outage.
 */
export function outageOf(attempts: readonly Attempt[], killAt: number): { outageMs: number; failed: number; after: string[] } {
  const since = [...attempts].filter((a) => a.at >= killAt).sort((a, b) => a.at - b.at);
  const lastFail = since.reduce((i, a, k) => (a.ok ? i : k), -1);
  if (lastFail < 0) return { outageMs: 0, failed: 0, after: since.map((a) => a.body) };
  const rest = since.slice(lastFail + 1);
  const recovered = rest.find((a) => a.ok);
  return {
    outageMs: recovered ? recovered.at - killAt : Infinity,
    failed: since.filter((a) => !a.ok).length,
    after: rest.filter((a) => a.ok).map((a) => a.body),
  };
}

/** A probe running in a namespace. */
export interface VipProbe {
  /** Stops it (SIGTERM) and returns every attempt. */
  stop(): Promise<Attempt[]>;
}

/** Starts the probe in `namespace` against `url`. */
export async function startVipProbe(namespace: string, url: string, opts: { intervalMs?: number; timeoutMs?: number; maxMs?: number } = {}): Promise<VipProbe> {
  const script = fileURLToPath(import.meta.url);
  const proc = await startAttached(['ip', 'netns', 'exec', namespace, process.execPath, script, url,
    String(opts.intervalMs ?? 20), String(opts.timeoutMs ?? 200), String(opts.maxMs ?? 60_000)]);
  await proc.waitForLine((l) => l === 'started', 10_000);
  return {
    async stop() {
      proc.signal('SIGTERM');
      const r = await proc.exited;
      const line = r.stdout.trim().split('\n').pop() ?? '[]';
      return JSON.parse(line) as Attempt[];
    },
  };
}

function attempt(url: string, timeoutMs: number): Promise<Attempt> {
  const at = performance.timeOrigin + performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean, body: string): void => {
      if (done) return;
      done = true;
      resolve({ at, ok, body });
    };
    const req = request(url, { agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => finish((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300, body.trim()));
      res.on('error', () => finish(false, ''));
    });
    req.on('timeout', () => { req.destroy(); finish(false, 'timeout'); });
    req.on('error', (e) => finish(false, (e as NodeJS.ErrnoException).code ?? 'error'));
    req.end();
  });
}

async function main(): Promise<void> {
  const [url = '', interval = '20', timeout = '200', max = '60000'] = process.argv.slice(2);
  const attempts: Attempt[] = [];
  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  process.on('SIGTERM', () => { stopping = true; });
  const end = Date.now() + Math.min(Number(max), 300_000);
  process.stdout.write('started\n');
  while (!stopping && Date.now() < end) {
    if (inFlight.size < 20) {
      const p = attempt(url, Number(timeout)).then((a) => { attempts.push(a); inFlight.delete(p); });
      inFlight.add(p);
    }
    await new Promise((r) => setTimeout(r, Number(interval)));
  }
  await Promise.all(inFlight);
  process.stdout.write(`${JSON.stringify(attempts)}\n`);
}

// Only as the probe process (with its URL): the test runner, which runs every file under
// dist/test, starts this one without arguments.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] !== undefined) void main();
