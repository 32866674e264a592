/**
 * @module drivers/haproxy/stats — pure parsers for HAProxy 2.6 runtime API answers: `show stat` (CSV),
 * `show servers state` (format version 1) and `show info`.
 */
import { FulcrumError } from '../../domain/errors.js';

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
  /** Current sessions. */
  scur: number;
  /** Total sessions since the worker started. */
  stot: number;
  /** Bytes in. */
  bin: number;
  /** Bytes out. */
  bout: number;
  /** Request errors (frontends). */
  ereq: number;
  /** Connection errors to servers. */
  econ: number;
  /** Response errors from servers. */
  eresp: number;
  /** Effective weight (servers: scaled; backends: sum of active servers). */
  weight: number;
  /** Last health check result (`L4OK`, `L4CON`, `L7STS`…); '' without checks. */
  checkStatus: string;
  /** Seconds since the last UP/DOWN transition; null when HAProxy leaves it empty. */
  lastChange: number | null;
  /** HTTP responses by status class (`hrsp_1xx` … `hrsp_5xx`, `hrsp_other`); 0 for TCP proxies. */
  responses: HttpResponses;
}

/** HTTP responses by status class. */
export interface HttpResponses {
  '1xx': number;
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
  other: number;
}

/** 0 when empty: HAProxy leaves counters that do not apply to a row empty. */
const num = (s: string | undefined): number => (s === undefined || s === '' ? 0 : Number(s));

/** Splits one CSV line; HAProxy quotes a field (doubling inner quotes) only when it holds `,` or `"`. */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(field); field = ''; } else field += c;
  }
  out.push(field);
  return out;
}

/** Parses `show stat` CSV; its `# ` header names the columns, so column order is not assumed. */
export function parseShowStat(csv: string): StatRow[] {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = lines.shift();
  if (!header?.startsWith('# ')) return [];
  const cols = header.slice(2).split(',');
  return lines.map((line) => {
    const f = splitCsvLine(line);
    const get = (name: string): string | undefined => f[cols.indexOf(name)];
    const lastchg = get('lastchg');
    return {
      pxname: get('pxname') ?? '', svname: get('svname') ?? '', type: num(get('type')), status: get('status') ?? '',
      scur: num(get('scur')), stot: num(get('stot')), bin: num(get('bin')), bout: num(get('bout')), ereq: num(get('ereq')),
      econ: num(get('econ')), eresp: num(get('eresp')), weight: num(get('weight')), checkStatus: get('check_status') ?? '',
      lastChange: lastchg === undefined || lastchg === '' ? null : Number(lastchg),
      responses: {
        '1xx': num(get('hrsp_1xx')), '2xx': num(get('hrsp_2xx')), '3xx': num(get('hrsp_3xx')),
        '4xx': num(get('hrsp_4xx')), '5xx': num(get('hrsp_5xx')), other: num(get('hrsp_other')),
      },
    };
  });
}

/** Parses `show info` (`Name: value` lines; names may hold spaces, as in `Unstoppable Jobs`). */
export function parseShowInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

/** `srv_op_state` values. */
export const SERVER_OP_STATE = { STOPPED: 0, STARTING: 1, RUNNING: 2, STOPPING: 3 } as const;

/** `srv_admin_state` bits. */
export const SERVER_ADMIN = { FORCED_MAINT: 0x01, INHERITED_MAINT: 0x02, CONFIG_MAINT: 0x04, FORCED_DRAIN: 0x08, INHERITED_DRAIN: 0x10, RESOLVER_MAINT: 0x20, HOSTNAME_MAINT: 0x40 } as const;

/** One server of `show servers state`. */
export interface ServerState {
  backend: string;
  server: string;
  address: string;
  port: number;
  /** See {@link SERVER_OP_STATE}: 0 stopped (DOWN) … 2 running (UP). */
  opState: number;
  /** Bit field, see {@link SERVER_ADMIN}; 0 means ready. */
  adminState: number;
  /** The user weight (`weight`, `set server … weight`). */
  weight: number;
  /** Health check health counter (0 … rise+fall-1). */
  checkHealth: number;
}

/**
 * Parses `show servers state` (format version 1: a `1` line, a `# ` header naming space-separated
 * columns, one line per server).
 * @throws FulcrumError DRIVER_FAILED when the format version is not 1.
 */
export function parseServersState(text: string): ServerState[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const version = lines.shift();
  if (version === undefined) return [];
  if (version.trim() !== '1') {
    throw new FulcrumError('DRIVER_FAILED', 'HAProxy answered in an unexpected format.', { detail: `show servers state version ${version}` });
  }
  const header = lines.shift();
  if (!header?.startsWith('# ')) return [];
  const cols = header.slice(2).split(' ');
  return lines.map((l) => {
    const f = l.split(' ');
    const get = (name: string): string | undefined => f[cols.indexOf(name)];
    return {
      backend: get('be_name') ?? '', server: get('srv_name') ?? '', address: get('srv_addr') ?? '', port: num(get('srv_port')),
      opState: num(get('srv_op_state')), adminState: num(get('srv_admin_state')), weight: num(get('srv_uweight')),
      checkHealth: num(get('srv_check_health')),
    };
  });
}
