/**
 * @module bench/lib/haproxy-procs — what the data-plane bench reads about running HAProxy
 * processes: the master CLI's `show proc` (reload count, worker PIDs), their memory and CPU time, and
 * the host's memory figures, all from /proc.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';

/** Sends one command on a master CLI socket and resolves with the answer (the master closes the connection). */
export function masterCommand(socketPath: string, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = connect(socketPath);
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`${socketPath}: no answer to '${command}' within ${timeoutMs} ms`)));
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', reject);
    sock.on('close', (hadError) => { if (!hadError) resolve(Buffer.concat(chunks).toString()); });
    sock.end(`${command}\n`);
  });
}

/** The master CLI's `show proc`: the master, how often it reloaded, and its current workers. */
export interface ProcTable {
  masterPid: number;
  reloads: number;
  workers: number[];
  oldWorkers: number[];
}

/** Parses `show proc` (HAProxy 2.6: `<pid> <type> <reloads> <uptime> <version>`, sections `# workers`, `# old workers`). */
export function parseShowProc(text: string): ProcTable {
  const t: ProcTable = { masterPid: 0, reloads: 0, workers: [], oldWorkers: [] };
  let section: 'master' | 'workers' | 'old' | 'other' = 'master';
  for (const line of text.split('\n')) {
    if (line.startsWith('# workers')) { section = 'workers'; continue; }
    if (line.startsWith('# old workers')) { section = 'old'; continue; }
    if (line.startsWith('#')) { if (!line.startsWith('#<PID>')) section = 'other'; continue; }
    const [pid, type, reloads] = line.trim().split(/\s+/);
    if (!pid || !/^\d+$/.test(pid)) continue;
    if (type === 'master') { t.masterPid = Number(pid); t.reloads = Number(reloads); } else if (type === 'worker') {
      if (section === 'workers') t.workers.push(Number(pid));
      else if (section === 'old') t.oldWorkers.push(Number(pid));
    }
  }
  return t;
}

/**
 * `show proc` on a master CLI socket. Retried for up to `retryMs` while the socket refuses: in
 * 2.6 the master re-executes itself ("wait mode") after it forked a worker, at start and after
 * each reload, and its CLI does not accept during that moment, though the worker already serves.
 */
export async function showProc(masterSocket: string, retryMs = 3000): Promise<ProcTable> {
  const deadline = Date.now() + retryMs;
  for (;;) {
    try {
      return parseShowProc(await masterCommand(masterSocket, 'show proc'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ECONNREFUSED' && code !== 'ENOENT') || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

/** Resident and proportional set size of one process, kB (/proc/PID/smaps_rollup); zeros when it is gone. */
export function memoryOf(pid: number): { rssKb: number; pssKb: number } {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
    return { rssKb: field('Rss'), pssKb: field('Pss') };
  } catch {
    return { rssKb: 0, pssKb: 0 };
  }
}

/** A field of /proc/meminfo (`MemAvailable`, `Slab`…), kB. */
export function meminfoKb(field: string): number {
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? NaN);
}

/** CPU time a process has used so far, ns, summed over its threads (/proc/PID/task/*\/schedstat); 0 when it is gone. */
export function cpuNsOf(pid: number): number {
  let total = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    return 0;
  }
  return total;
}
