/**
 * @module drivers/sys/proc — what /proc says about the processes Fulcrum runs (HAProxy,
 * keepalived): alive or not, and whether a pidfile still names ours (a pidfile can outlive its
 * process, and PIDs are reused).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/** The state letter and parent PID from /proc/PID/stat, or null when there is no such process. */
export function procStat(pid: number): { state: string; ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // comm may hold spaces and parentheses
    return { state: rest[0] ?? '', ppid: Number(rest[1]) };
  } catch {
    return null;
  }
}

/** True when the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const s = procStat(pid);
  return s !== null && s.state !== 'Z';
}

/** True when the process runs `binary` (by its argv[0]'s name) with `configPath` among its arguments. */
export function runsWith(pid: number, binary: string, configPath: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return basename(argv[0] ?? '').includes(binary) && argv.includes(configPath);
  } catch {
    return false;
  }
}

/** The PID in `pidFile` when it names a live `binary` running `configPath`; else null. */
export function ownPid(pidFile: string, binary: string, configPath: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return null;
  }
  return Number.isInteger(pid) && pid > 1 && isAlive(pid) && runsWith(pid, binary, configPath) ? pid : null;
}
