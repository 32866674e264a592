/**
 * @module drivers/nftables/udp-health-checker — the health checks of UDP pools, run by the agent
 * as a child process inside the load balancer's namespace (`ip netns exec qlbaas-<id> node …`),
 * where the members are reachable as the data plane reaches them. Octavia's amphora runs the same
 * checks with keepalived's MISC_CHECK: UDP-CONNECT sends a datagram on a connected socket and
 * counts an ICMP port unreachable (ECONNREFUSED) as down, silence or an answer as up; TCP
 * connects; HTTP sends the monitor's request and checks the status code.
 *
 *   node udp-health-checker.js '<json: {checks: Check[]}>'
 *
 * Prints `started`, then one JSON line `{"id", "up", "why"}` per member whose state changes
 * (rise/fall as HAProxy counts them: `max_retries` successes to go up, `max_retries_down` failures
 * to go down; a member starts in the state given, up when unknown). Exits when its parent (the
 * agent) is gone.
 */
import { createSocket } from 'node:dgram';
import { request } from 'node:http';
import { connect, isIP } from 'node:net';

/** One member's check (the agent validates every value before it writes this). */
export interface Check {
  id: string;
  type: 'UDP-CONNECT' | 'TCP' | 'HTTP';
  address: string;
  port: number;
  /** Seconds between checks; seconds a check may take. */
  delay: number;
  timeout: number;
  rise: number;
  fall: number;
  /** HTTP only. */
  method?: string;
  urlPath?: string;
  expectedCodes?: string;
  /** The state to start in (carried across restarts of the checker). */
  up: boolean;
}

/** True when `code` is in Octavia's `expected_codes` (`200`, `200,202`, `200-204`). Pure. */
export function codeExpected(code: number, expected: string): boolean {
  return expected.split(',').some((part) => {
    const [lo, hi] = part.split('-').map(Number);
    return hi === undefined ? code === lo : code >= lo! && code <= hi;
  });
}

/** One probe: resolves with '' when the member passes, else why it failed. Never rejects. */
export function probe(c: Check): Promise<string> {
  const ms = c.timeout * 1000;
  return new Promise((resolve) => {
    let done = false;
    const finish = (why: string, cleanup: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cleanup();
      resolve(why);
    };
    let cleanup = () => undefined as void;
    // UDP: silence for the whole timeout is up (nothing said "port unreachable").
    const timer = setTimeout(() => finish(c.type === 'UDP-CONNECT' ? '' : 'timeout', cleanup), ms);
    if (c.type === 'UDP-CONNECT') {
      const s = createSocket(isIP(c.address) === 6 ? 'udp6' : 'udp4');
      cleanup = () => s.close();
      s.on('error', (e: NodeJS.ErrnoException) => finish(e.code === 'ECONNREFUSED' ? 'port unreachable' : (e.code ?? e.message), cleanup));
      s.on('message', () => finish('', cleanup));
      s.connect(c.port, c.address, () => s.send('fulcrum-health-check\n'));
    } else if (c.type === 'TCP') {
      const s = connect({ host: c.address, port: c.port });
      cleanup = () => s.destroy();
      s.on('connect', () => finish('', cleanup));
      s.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message, cleanup));
    } else {
      const req = request({ host: c.address, port: c.port, method: c.method ?? 'GET', path: c.urlPath ?? '/', agent: false, headers: { connection: 'close' } }, (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        finish(codeExpected(code, c.expectedCodes ?? '200') ? '' : `HTTP ${code}`, cleanup);
      });
      cleanup = () => req.destroy();
      req.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message, cleanup));
      req.end();
    }
  });
}

/** Runs the checks until the parent goes away. */
function main(): void {
  const { checks } = JSON.parse(process.argv[2] ?? '{"checks":[]}') as { checks: Check[] };
  const parent = process.ppid;
  for (const c of checks) {
    let up = c.up;
    let streak = 0;
    const tick = async (): Promise<void> => {
      const why = await probe(c);
      const ok = why === '';
      if (ok === up) streak = 0;
      else if (++streak >= (ok ? c.rise : c.fall)) {
        up = ok;
        streak = 0;
        process.stdout.write(`${JSON.stringify({ id: c.id, up, why })}\n`);
      }
      setTimeout(() => void tick(), c.delay * 1000);
    };
    void tick();
  }
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 1000);
  process.stdout.write('started\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) main();
