/**
 * @module bench/lib/prober — a long-lived HTTP prober for the data-plane bench, run once inside
 * the client namespace (`ip netns exec <client> node prober.js SOCKET`), so that polling a VIP
 * costs a new TCP connection per attempt and no process spawn (~10 ms each for `ip netns exec`).
 *
 * It listens on the Unix socket SOCKET (a path, so it is reachable from the root namespace; the
 * attached-process helper gives it no stdin) and prints `ready`. Each JSON line it reads is a
 * {@link ProbeRequest}; each target is polled on its own (a new connection every `intervalMs`,
 * at most `maxInFlight` at once, each given up after `attemptTimeoutMs`) until what it waits for
 * happens or `timeoutMs` passes; then one {@link ProbeAnswer} line goes back. Times are wall-clock
 * ms with sub-ms precision (`performance.timeOrigin + performance.now()`), the clock the bench
 * uses too, so the bench measures from its own start mark whatever the socket's latency.
 *
 * Runs until SIGTERM, its socket's peer closes, or 30 minutes.
 */
import { createServer, type Socket } from 'node:net';
import { request, type ClientRequest } from 'node:http';
import { rmSync } from 'node:fs';

/** What the bench asks for. */
export interface ProbeRequest {
  id: number;
  url: string;
  /**
   * `ok`: the first 2xx answer. `body`: the first 2xx answer whose trimmed body is `body` (each
   * stand-in web server answers its own name). `absent`: `run` 2xx answers in a row whose body is
   * not `body`; the answer's `at` is the first of them (the member stopped answering then).
   */
  want: 'ok' | 'body' | 'absent';
  body?: string;
  run?: number;
  /** A new attempt starts this often (ms). */
  intervalMs: number;
  /** An attempt is given up after this long (ms). */
  attemptTimeoutMs: number;
  /** At most this many attempts at once. */
  maxInFlight: number;
  /** The whole wait is given up after this long (ms). */
  timeoutMs: number;
}

/** What the prober saw for one request. */
export interface ProbeAnswer {
  id: number;
  /** When the awaited event happened (wall-clock ms), or null on timeout. */
  at: number | null;
  /** When the prober started polling (wall-clock ms). */
  startedAt: number;
  /**
   * When an attempt was first refused (RST), or null: the address answered before anything
   * listened (for a new load balancer: namespace plumbed and ARP resolved, HAProxy not yet up).
   */
  firstRefusedAt: number | null;
  attempts: number;
  /** 2xx answers seen. */
  answers: number;
  /** Failed attempts by cause (`ECONNREFUSED`, `TIMEOUT`, `status 503`…). */
  errors: Record<string, number>;
  timedOut: boolean;
}

const now = (): number => performance.timeOrigin + performance.now();
const MAX_LIFE_MS = 30 * 60_000;

/** Polls one target until its event; resolves with the answer. Never rejects. */
function poll(r: ProbeRequest): Promise<ProbeAnswer> {
  return new Promise((resolve) => {
    const answer: ProbeAnswer = { id: r.id, at: null, startedAt: now(), firstRefusedAt: null, attempts: 0, answers: 0, errors: {}, timedOut: false };
    const inFlight = new Set<ClientRequest>();
    let runStart: number | null = null;
    let runLength = 0;
    let done = false;
    const finish = (at: number | null): void => {
      if (done) return;
      done = true;
      answer.at = at;
      answer.timedOut = at === null;
      clearInterval(ticker);
      clearTimeout(deadline);
      for (const req of inFlight) req.destroy();
      resolve(answer);
    };
    const fail = (why: string, at: number): void => {
      answer.errors[why] = (answer.errors[why] ?? 0) + 1;
      if (why === 'ECONNREFUSED') answer.firstRefusedAt ??= at;
    };
    const seen = (body: string, at: number): void => {
      answer.answers++;
      if (r.want === 'ok' || (r.want === 'body' && body === r.body)) { finish(at); return; }
      if (r.want !== 'absent') return;
      if (body === r.body) { runStart = null; runLength = 0; return; }
      runStart ??= at;
      if (++runLength >= (r.run ?? 20)) finish(runStart);
    };
    const attempt = (): void => {
      if (done || inFlight.size >= r.maxInFlight) return;
      answer.attempts++;
      let isSettled = false;
      const settle = (why: string | null, body = '', at = now()): void => {
        if (isSettled) return;
        isSettled = true;
        clearTimeout(timer);
        inFlight.delete(req);
        if (done) return;
        if (why === null) seen(body, at);
        else fail(why, at);
      };
      const req = request(r.url, { agent: false, headers: { connection: 'close' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          settle(status >= 200 && status < 300 ? null : `status ${status}`, Buffer.concat(chunks).toString().trim());
        });
        res.on('error', (e: NodeJS.ErrnoException) => settle(e.code ?? e.message));
      });
      const timer = setTimeout(() => { settle('TIMEOUT'); req.destroy(); }, r.attemptTimeoutMs);
      req.on('error', (e: NodeJS.ErrnoException) => settle(e.code ?? e.message));
      inFlight.add(req);
      req.end();
    };
    const ticker = setInterval(attempt, r.intervalMs);
    const deadline = setTimeout(() => finish(null), r.timeoutMs);
    attempt();
  });
}

function serve(socketPath: string): void {
  rmSync(socketPath, { force: true });
  const server = createServer((conn: Socket) => {
    let partial = '';
    conn.on('data', (b: Buffer) => {
      const lines = (partial + b.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        const req = JSON.parse(line) as ProbeRequest;
        void poll(req).then((a) => { if (!conn.destroyed) conn.write(`${JSON.stringify(a)}\n`); });
      }
    });
    // The bench went away: nothing more to do here.
    conn.on('close', () => process.exit(0));
    conn.on('error', () => process.exit(0));
  });
  server.listen(socketPath, () => process.stdout.write('ready\n'));
  const stop = (): void => {
    rmSync(socketPath, { force: true });
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  setTimeout(stop, MAX_LIFE_MS).unref();
}

const socketArg = process.argv[2];
if (!socketArg) {
  process.stderr.write('usage: node prober.js SOCKET\n');
  process.exit(2);
}
serve(socketArg);
