/**
 * @module drivers/interface/http-load — a bounded HTTP load generator for tests, demos and
 * benchmarks, run inside a client namespace (`startLoad` in hosts.ts) so that nothing it sends
 * can leave the machine. It counts every failed request, by cause.
 *
 * Usage: node http-load.js URL CONCURRENCY MODE MAX_MS
 *   MODE `close`: a new TCP connection per request (`Connection: close`).
 *   MODE `keepalive`: reused connections; a request that fails on a reused connection before any
 *     byte of its answer is sent once more on a new connection, as HTTP/1.1 allows for idempotent
 *     requests (RFC 9112 §9.3.1) and as browsers, curl and most HTTP libraries do. Such retries are
 *     counted apart (`retried`); `failed` counts what a user would see.
 * Runs until SIGTERM or MAX_MS (at most 300 s), then prints one JSON line: LoadResult.
 * Prints `started` once the first answer arrived.
 */
import { Agent, request, type ClientRequest } from 'node:http';

/** What a load run saw. */
export interface LoadResult {
  requests: number;
  /** Answers with a 2xx status. */
  ok: number;
  /** Requests a user would have seen fail: non-2xx answers and errors after any retry. */
  failed: number;
  /** Keep-alive requests sent again after their reused connection closed under them. */
  retried: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  /** Answers by body (trimmed, first 32 characters): which member served. */
  bodies: Record<string, number>;
  latencyMs: { p50: number; p99: number; max: number };
  durationMs: number;
}

const MAX_RUN_MS = 300_000;
const REQUEST_TIMEOUT_MS = 5000;

interface Outcome { status?: number; body?: string; error?: string; reused: boolean; gotBytes: boolean }

function once(url: URL, agent: Agent | undefined): Promise<Outcome> {
  return new Promise((resolve) => {
    let req: ClientRequest;
    let gotBytes = false;
    const done = (o: Omit<Outcome, 'reused' | 'gotBytes'>): void => resolve({ ...o, reused: req.reusedSocket, gotBytes });
    req = request(url, {
      agent: agent ?? false,
      headers: agent ? {} : { connection: 'close' },
      timeout: REQUEST_TIMEOUT_MS,
    }, (res) => {
      gotBytes = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString().trim().slice(0, 32) }));
      res.on('error', (e: NodeJS.ErrnoException) => done({ error: e.code ?? e.message }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => done({ error: e.code ?? e.message }));
    req.end();
  });
}

const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function main(): Promise<void> {
  const [urlArg, concArg = '4', mode = 'close', maxArg = '60000'] = process.argv.slice(2);
  if (!urlArg || (mode !== 'close' && mode !== 'keepalive')) {
    process.stderr.write('usage: node http-load.js URL CONCURRENCY close|keepalive MAX_MS\n');
    process.exit(2);
  }
  const url = new URL(urlArg);
  const concurrency = Math.max(1, Math.min(256, Number(concArg)));
  const maxMs = Math.max(100, Math.min(MAX_RUN_MS, Number(maxArg)));
  const agent = mode === 'keepalive' ? new Agent({ keepAlive: true, maxSockets: concurrency }) : undefined;
  const r: LoadResult = { requests: 0, ok: 0, failed: 0, retried: 0, statuses: {}, errors: {}, bodies: {}, latencyMs: { p50: 0, p99: 0, max: 0 }, durationMs: 0 };
  const latencies: number[] = [];
  let stopping = false;
  let started = false;
  const t0 = performance.now();
  const stop = (): void => { stopping = true; };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const timer = setTimeout(stop, maxMs);

  const worker = async (): Promise<void> => {
    while (!stopping) {
      const t = performance.now();
      let o = await once(url, agent);
      let why = o.reused ? ' on a reused connection' : '';
      if (agent && o.error && o.reused && !o.gotBytes) {
        r.retried++;
        o = await once(url, undefined); // on a new connection, as browsers do
        why = ' on the retry';
      }
      r.requests++;
      latencies.push(performance.now() - t);
      if (o.error) {
        r.failed++;
        const key = `${o.error}${why}${o.gotBytes ? ' mid-answer' : ''}`;
        r.errors[key] = (r.errors[key] ?? 0) + 1;
      } else {
        const s = String(o.status);
        r.statuses[s] = (r.statuses[s] ?? 0) + 1;
        if (o.status! >= 200 && o.status! < 300) {
          r.ok++;
          r.bodies[o.body!] = (r.bodies[o.body!] ?? 0) + 1;
        } else r.failed++;
      }
      if (!started) {
        started = true;
        process.stdout.write('started\n');
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  clearTimeout(timer);
  agent?.destroy();
  r.durationMs = Math.round(performance.now() - t0);
  latencies.sort((a, b) => a - b);
  const round = (x: number): number => Math.round(x * 100) / 100;
  r.latencyMs = { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)), max: round(latencies.at(-1) ?? 0) };
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

void main();
