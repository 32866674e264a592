/**
 * @module drivers/haproxy/stats — parsers for HAProxy's runtime API answers: `show stat` (CSV),
 * `show info` and `show servers state` (format 1). Pure.
 */

/** One `show stat` line: a frontend, a backend or a server, with the fields Fulcrum reads. */
export interface StatRow {
  /** Proxy name: a listener id (frontend) or a pool id (backend). */
  pxname: string;
  /** `FRONTEND`, `BACKEND`, or the server name (a member id). */
  svname: string;
  /** 0 frontend, 1 backend, 2 server, 3 listener. */
  type: number;
  /** `OPEN`, `FULL`, `UP`, `UP 1/3`, `DOWN`, `DOWN 1/2`, `NOLB`, `MAINT`, `DRAIN`, `no check`… */
  status: string;
  scur: number;
  stot: number;
  bin: number;
  bout: number;
  ereq: number;
  econ: number;
  eresp: number;
  weight: number;
  checkStatus: string;
}

const num = (s: string | undefined): number => (s === undefined || s === '' ? 0 : Number(s));

/** Parses `show stat` CSV (its header names the columns). */
export function parseShowStat(csv: string): StatRow[] {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = lines.shift();
  if (!header?.startsWith('# ')) return [];
  const cols = header.slice(2).split(',');
  const idx = (name: string) => cols.indexOf(name);
  const at = { px: idx('pxname'), sv: idx('svname'), type: idx('type'), status: idx('status'), scur: idx('scur'), stot: idx('stot'),
    bin: idx('bin'), bout: idx('bout'), ereq: idx('ereq'), econ: idx('econ'), eresp: idx('eresp'), weight: idx('weight'), check: idx('check_status') };
  return lines.map((line) => {
    const f = line.split(',');
    return {
      pxname: f[at.px] ?? '', svname: f[at.sv] ?? '', type: num(f[at.type]), status: f[at.status] ?? '',
      scur: num(f[at.scur]), stot: num(f[at.stot]), bin: num(f[at.bin]), bout: num(f[at.bout]), ereq: num(f[at.ereq]),
      econ: num(f[at.econ]), eresp: num(f[at.eresp]), weight: num(f[at.weight]), checkStatus: f[at.check] ?? '',
    };
  });
}

/** Parses `show info` (`Name: value` lines). */
export function parseShowInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

/** One server of `show servers state`. */
export interface ServerState {
  backend: string;
  server: string;
  address: string;
  port: number;
  /** 0 stopped (DOWN), 1 starting, 2 running (UP), 3 stopping. */
  opState: number;
  /** Bit field: 0x01 forced maintenance, 0x08 forced drain, 0x20 maintenance from the config (`disabled`)… */
  adminState: number;
  weight: number;
}

/** Parses `show servers state` (format version 1). */
export function parseServersState(text: string): ServerState[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines.find((l) => l.startsWith('# '));
  if (!header) return [];
  const cols = header.slice(2).split(' ');
  const at = (name: string) => cols.indexOf(name);
  return lines.filter((l) => !l.startsWith('#') && l.includes(' ')).map((l) => {
    const f = l.split(' ');
    return {
      backend: f[at('be_name')] ?? '', server: f[at('srv_name')] ?? '', address: f[at('srv_addr')] ?? '',
      port: num(f[at('srv_port')]), opState: num(f[at('srv_op_state')]), adminState: num(f[at('srv_admin_state')]),
      weight: num(f[at('srv_uweight')]),
    };
  });
}
