/**
 * @module drivers/haproxy/plan — what it takes to go from the applied configuration to the
 * desired one: nothing, runtime-API commands (member add, delete, weight, admin state: no
 * reload, the worker keeps its PID), or a reload with a reason. Pure: it compares two rendered
 * configurations, so it also works for a process adopted after an agent restart, whose applied
 * state is the configuration file on disk.
 */

/**
 * What a reload was for, in a few words fit for a metric label (the reason itself names ids):
 * a listener (frontend), pool (backend) or member change, the global/defaults sections, anything
 * else in the configuration, or a runtime change HAProxy refused.
 */
export type ReloadCause = 'listener' | 'pool' | 'member' | 'global' | 'configuration' | 'runtime-failed';

/** The outcome of planning. */
export type Plan =
  | { kind: 'none' }
  | { kind: 'runtime'; commands: string[]; summary: string }
  | { kind: 'reload'; reason: string; cause: ReloadCause };

/** The cause of a change in a section (`frontend <id>`, `backend <id>`, `global`…). */
function causeOf(section: string): ReloadCause {
  const word = section.split(/\s+/)[0];
  return word === 'frontend' ? 'listener' : word === 'backend' ? 'pool' : word === 'global' || word === 'defaults' ? 'global' : 'configuration';
}

interface Parsed {
  /** The configuration without its server lines, for "did anything else change". */
  skeleton: string[];
  /** backend name → server name → the server line's arguments after the name. */
  servers: Map<string, Map<string, string[]>>;
  /** Section header of each skeleton line, to name what changed. */
  sectionOf: string[];
}

function parse(text: string): Parsed {
  const skeleton: string[] = [];
  const sectionOf: string[] = [];
  const servers = new Map<string, Map<string, string[]>>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line !== '' && !/^\s/.test(line)) {
      section = line.trim();
      // A backend with no server line yet is known too: its last member's delete is a runtime change.
      if (section.startsWith('backend ')) servers.set(section.slice('backend '.length).trim(), new Map());
    }
    const m = /^\s+server\s+(\S+)\s+(.*)$/.exec(line);
    if (m && section.startsWith('backend ')) {
      const backend = section.slice('backend '.length).trim();
      servers.get(backend)!.set(m[1]!, m[2]!.split(/\s+/));
      continue;
    }
    skeleton.push(line);
    sectionOf.push(section);
  }
  return { skeleton, servers, sectionOf };
}

/** The value after a keyword in server arguments (`weight 3` → '3'), or undefined. */
const valueOf = (args: readonly string[], key: string): string | undefined => {
  const i = args.indexOf(key);
  return i >= 0 ? args[i + 1] : undefined;
};

/** The arguments without `weight N` and `disabled`: what must match for an in-place change. */
const identity = (args: readonly string[]): string => {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === 'weight') { i++; continue; }
    if (args[i] === 'disabled') continue;
    out.push(args[i]!);
  }
  return out.join(' ');
};

/**
 * The commands that take a server out: maintenance (no new requests, no checks), then a change of
 * its port, then `del server`. HAProxy 2.6 refuses to delete a server that still holds idle
 * keep-alive connections, and keeps them after `state maint` until its idle-connection purge
 * (pool-purge-delay, 5 s, halving an estimate that decays over several rounds) closes them: a
 * member deleted under load stayed undeletable for seconds, measured. A new address closes them at
 * once (HAProxy resets a server's idle connections when its address changes); the server takes no
 * traffic any more, so the port it points at is never used.
 */
function removeCommands(backend: string, name: string, args: readonly string[]): string[] {
  const ref = `${backend}/${name}`;
  const endpoint = args[0] ?? '';
  const colon = endpoint.lastIndexOf(':');
  const port = Number(endpoint.slice(colon + 1));
  const purge = colon > 0 && Number.isInteger(port) && port >= 1 && port <= 65535
    ? [`set server ${ref} addr ${endpoint.slice(0, colon)} port ${port === 65535 ? 1 : port + 1}`]
    : [];
  return [`set server ${ref} state maint`, ...purge, `del server ${ref}`];
}

/** Keywords HAProxy 2.6 refuses on `add server` (dynamic servers): a member add needs a reload. */
const NOT_DYNAMIC = new Set(['cookie']);

function addCommands(backend: string, name: string, args: readonly string[]): string[] | null {
  if (args.some((a) => NOT_DYNAMIC.has(a))) return null;
  const cmds = [`add server ${backend}/${name} ${args.join(' ')}`];
  if (args.includes('check')) cmds.push(`enable health ${backend}/${name}`);
  // Dynamic servers start in maintenance; a member with admin_state_up=false stays there.
  if (!args.includes('disabled')) cmds.push(`enable server ${backend}/${name}`);
  return cmds;
}

/**
 * Plans the change from `applied` to `desired` (both rendered by renderConfig).
 * Member-only differences become runtime commands; anything else is a reload whose reason names
 * the section that changed.
 */
export function planChange(applied: string, desired: string): Plan {
  if (applied === desired) return { kind: 'none' };
  const a = parse(applied);
  const d = parse(desired);
  const n = Math.max(a.skeleton.length, d.skeleton.length);
  for (let i = 0; i < n; i++) {
    if (a.skeleton[i] !== d.skeleton[i]) {
      const where = d.sectionOf[i] ?? a.sectionOf[i] ?? 'configuration';
      return { kind: 'reload', reason: `${where || 'configuration'} changed`, cause: causeOf(where) };
    }
  }
  const commands: string[] = [];
  const done: string[] = [];
  for (const [backend, want] of d.servers) {
    const have = a.servers.get(backend) ?? new Map<string, string[]>();
    for (const [name, args] of want) {
      const old = have.get(name);
      if (!old) {
        const add = addCommands(backend, name, args);
        if (!add) return { kind: 'reload', reason: `member ${name} added to backend ${backend} with options HAProxy cannot add at runtime`, cause: 'member' };
        commands.push(...add);
        done.push(`add ${name}`);
        continue;
      }
      if (old.join(' ') === args.join(' ')) continue;
      if (identity(old) !== identity(args)) {
        const add = addCommands(backend, name, args);
        if (!add) return { kind: 'reload', reason: `member ${name} of backend ${backend} changed options HAProxy cannot change at runtime`, cause: 'member' };
        commands.push(...removeCommands(backend, name, old), ...add);
        done.push(`replace ${name}`);
        continue;
      }
      const w = valueOf(args, 'weight');
      if (w !== undefined && w !== valueOf(old, 'weight')) {
        commands.push(`set server ${backend}/${name} weight ${w}`);
        done.push(`weight ${name} ${w}`);
      }
      if (old.includes('disabled') !== args.includes('disabled')) {
        commands.push(`set server ${backend}/${name} state ${args.includes('disabled') ? 'maint' : 'ready'}`);
        done.push(`${args.includes('disabled') ? 'disable' : 'enable'} ${name}`);
      }
    }
    for (const name of have.keys()) {
      if (want.has(name)) continue;
      commands.push(...removeCommands(backend, name, have.get(name)!));
      done.push(`delete ${name}`);
    }
  }
  for (const backend of a.servers.keys()) {
    if (!d.servers.has(backend)) return { kind: 'reload', reason: `backend ${backend} removed`, cause: 'pool' };
  }
  if (commands.length === 0) return { kind: 'reload', reason: 'configuration text changed', cause: 'configuration' };
  return { kind: 'runtime', commands, summary: summarize(done) };
}

/** The changes for a log line: all of them when few, else counts by verb (a batch adds 1,000). */
function summarize(done: readonly string[]): string {
  if (done.length <= 10) return done.join(', ');
  const counts = new Map<string, number>();
  for (const d of done) {
    const verb = d.split(' ')[0]!;
    counts.set(verb, (counts.get(verb) ?? 0) + 1);
  }
  return [...counts].map(([verb, n]) => `${verb} ×${n}`).join(', ');
}
