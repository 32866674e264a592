/** @module drivers/haproxy/runtime-api.test — member changes through the runtime API of a real HAProxy 2.6, without a reload. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { FulcrumError } from '../../domain/errors.js';
import { HaproxyInstance, isAlive } from './process.js';
import { addServerCommands, RuntimeApi } from './runtime-api.js';
import { SERVER_ADMIN, SERVER_OP_STATE } from './stats.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    }).on('error', reject);
  });
}

/** A backend that answers its own name, after `delayMs` on /slow. */
async function backend(name: string, delayMs = 0): Promise<{ name: string; port: number; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url === '/slow') setTimeout(() => res.end(name), delayMs);
    else res.end(name);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { name, port: (server.address() as { port: number }).port, server };
}

/** One GET on a new connection; resolves with the body (the backend's name) or `HTTP <status>`. */
function get(port: number, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' }, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => resolve(res.statusCode === 200 ? body : `HTTP ${res.statusCode}`));
    });
    req.on('timeout', () => req.destroy(new Error('timeout'))).on('error', reject).end();
  });
}

/** Which backends answered `n` requests (roundrobin: every server in service answers at least once in n ≥ 2 × servers). */
async function answering(port: number, n = 12, path = '/'): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) seen.add(await get(port, path));
  return seen;
}

/**
 * HAProxy with backend `be` (servers a, b; health checked every 200 ms) behind the frontend, and
 * backend `be2` (no servers) for paths under /slow; plus a spare Node backend `c` to add.
 */
async function fixture(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-rt-'));
  const [a, b, c] = [await backend('a'), await backend('b'), await backend('c', 400)];
  const port = await freePort();
  const inst = new HaproxyInstance({ dir });
  const pids: number[] = [];
  t.after(async () => {
    try {
      await inst.stop();
    } finally {
      for (const p of pids) if (isAlive(p)) process.kill(p, 'SIGKILL');
      for (const s of [a, b, c]) s.server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
  await inst.writeConfig(`global
    stats socket ${dir}/stats.sock mode 600 level admin expose-fd listeners
    server-state-file ${dir}/server-state
    hard-stop-after 5s
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    load-server-state-from-file global
frontend fe
    bind 127.0.0.1:${port}
    use_backend be2 if { path_beg /slow }
    default_backend be
backend be
    balance roundrobin
${[a, b].map((s) => `    server ${s.name} 127.0.0.1:${s.port} weight 1 check inter 200ms fall 2 rise 2`).join('\n')}
backend be2
    balance roundrobin
`);
  const { pid } = await inst.ensureRunning();
  const worker = await inst.workerPid();
  pids.push(pid, worker);
  const api = new RuntimeApi(inst.paths.statsSocket);
  const server = async (name: string) => (await api.showServersState('be')).find((s) => s.server === name);
  const status = async (name: string) => (await api.showStat()).find((r) => r.pxname === 'be' && r.svname === name)?.status;
  return { dir, port, inst, api, worker, pids, a, c, server, status };
}

const isDriverFailed = (detail: RegExp, retryable = false) => (err: unknown) => {
  assert.ok(err instanceof FulcrumError, String(err));
  assert.equal(err.code, 'DRIVER_FAILED');
  assert.equal(err.retryable, retryable);
  assert.match(err.detail ?? '', detail);
  return true;
};

test('addServer: in show servers state at once, takes traffic, the worker keeps its PID', async (t) => {
  const { port, inst, api, worker, c, server } = await fixture(t);
  await api.addServer('be', 'c', '127.0.0.1', c.port, { weight: 1, check: { inter: 200, fall: 2, rise: 2 } });
  const added = await server('c');
  assert.deepEqual(added && [added.address, added.port, added.adminState, added.weight], ['127.0.0.1', c.port, 0, 1]);
  assert.deepEqual(await answering(port), new Set(['a', 'b', 'c']));
  await assert.rejects(api.addServer('be', 'c', '127.0.0.1', c.port, { weight: 1 }), isDriverFailed(/^add server be\/c .*: \[3\]: Already exists/));
  await api.addServer('be', 'held', '::1', c.port, { weight: 1, disabled: true, backup: true });
  assert.equal((await server('held'))!.address, '::1');
  assert.equal((await server('held'))!.adminState & SERVER_ADMIN.FORCED_MAINT, SERVER_ADMIN.FORCED_MAINT, 'disabled stays in maintenance');
  assert.equal(await inst.workerPid(), worker);
});

test('addServerCommands: every option, IPv6 in brackets; enable health only with a check, enable server unless disabled', () => {
  const opts = { weight: 2, backup: true, proxyProtocol: 'send-proxy-v2', check: { inter: 5000, fall: 3, rise: 2, addr: '2001:db8::2', port: 8443 } } as const;
  assert.deepEqual(addServerCommands('be', 'm1', '2001:db8::1', 443, opts), [
    'add server be/m1 [2001:db8::1]:443 weight 2 send-proxy-v2 backup check inter 5000ms fall 3 rise 2 addr [2001:db8::2] port 8443',
    'enable health be/m1', 'enable server be/m1',
  ]);
  assert.deepEqual(addServerCommands('be', 'm1', '10.0.0.1', 80, { weight: 0, disabled: true }), ['add server be/m1 10.0.0.1:80 weight 0']);
});

test('setWeight, drain, maint and ready decide who takes new connections, without a reload', async (t) => {
  const { port, inst, api, worker, server, status } = await fixture(t);
  await api.setWeight('be', 'b', 0);
  assert.equal((await server('b'))!.weight, 0);
  assert.deepEqual(await answering(port), new Set(['a']));
  await api.setWeight('be', 'b', 5);
  assert.equal((await api.showStat()).find((r) => r.svname === 'b')!.weight, 5);
  await api.setState('be', 'b', 'drain');
  assert.match((await status('b')) ?? '', /^DRAIN/);
  assert.deepEqual(await answering(port), new Set(['a']));
  await api.setState('be', 'b', 'maint');
  assert.match((await status('b')) ?? '', /^MAINT/);
  assert.deepEqual(await answering(port), new Set(['a']));
  await api.setState('be', 'b', 'ready');
  assert.match((await status('b')) ?? '', /^UP/);
  assert.deepEqual(await answering(port), new Set(['a', 'b']));
  assert.equal(await inst.workerPid(), worker);
});

test('deleteServer takes a server out; it waits for a request still in flight', async (t) => {
  const { port, inst, api, worker, c, server } = await fixture(t);
  await api.addServer('be', 'c', '127.0.0.1', c.port, { weight: 1 });
  await api.deleteServer('be', 'c');
  assert.equal(await server('c'), undefined);
  assert.deepEqual(await answering(port), new Set(['a', 'b']));
  await assert.rejects(api.deleteServer('be', 'c'), isDriverFailed(/No such server/));

  // be2/c answers /slow after 400 ms: `del server` is refused while that request holds a connection.
  await api.addServer('be2', 'c', '127.0.0.1', c.port, { weight: 1 });
  const inFlight = get(port, '/slow');
  await sleep(100);
  const t0 = Date.now();
  await api.deleteServer('be2', 'c', 2000);
  assert.ok(Date.now() - t0 >= 150, `waited ${Date.now() - t0} ms for the connection to end`);
  assert.equal(await inFlight, 'c', 'the request in flight completed');
  assert.deepEqual(await api.showServersState('be2'), []);
  assert.equal(await inst.workerPid(), worker);
});

test('errors: unknown names and commands throw DRIVER_FAILED; a batch stops at the first error; nothing unsafe reaches the socket', async (t) => {
  const { port, api, server } = await fixture(t);
  await assert.rejects(api.setWeight('be', 'nope', 1), isDriverFailed(/No such server/));
  await assert.rejects(api.setState('nope', 'a', 'drain'), isDriverFailed(/No such (backend|server)|can't find/i));
  await assert.rejects(api.showServersState('nope'), isDriverFailed(/Can't find backend/));
  await assert.rejects(api.execute(['frobnicate now']), isDriverFailed(/Unknown command/));
  await assert.rejects(api.execute(['set server be/a weight 7', 'set server be/zz weight 7', 'set server be/b weight 9']), isDriverFailed(/be\/zz/));
  assert.equal((await server('a'))!.weight, 7, 'commands before the error are applied');
  assert.equal((await server('b'))!.weight, 1, 'commands after the error are not sent');

  const unsafe = [
    () => api.setWeight('be', 'a;shutdown frontend fe', 1), () => api.setState('be x', 'a', 'maint'), () => api.deleteServer('be', 'a\nset'),
    () => api.addServer('be', 'x', '127.0.0.1 weight 0', 80, { weight: 1 }), () => api.addServer('be', 'x', '127.0.0.1', 80, { weight: 300 }),
    () => api.addServer('be', 'x', '127.0.0.1', 80.5, { weight: 1 }), () => api.setState('be', 'a', 'stopped' as 'maint'),
    () => api.execute(['show info;shutdown frontend fe']), () => api.execute(['show  info']), () => api.execute(['show "info"']),
  ];
  for (const call of unsafe) await assert.rejects(call(), isDriverFailed(/./));
  assert.equal((await get(port)).length, 1, 'the frontend still serves');
  assert.equal((await server('a'))!.adminState, 0);
});

test('execute returns one answer per command, even for answers with blank lines', async (t) => {
  const { api, worker } = await fixture(t);
  const [help, info, state, stat] = await api.execute(['help', 'show info', 'show servers state be', 'show stat']);
  assert.match(help!, /^The following commands are valid/);
  assert.match(info!, new RegExp(`^Name: HAProxy\nVersion: 2\\.6.*\nPid: ${worker}\n`, 's'));
  assert.match(state!, /^1\n# be_id /);
  assert.match(stat!, /^# pxname,svname,/);
});

test('a DOWN server is still DOWN right after a reload: its state goes through the server-state file', async (t) => {
  const { inst, api, a, server, status, pids } = await fixture(t);
  a.server.close();
  a.server.closeAllConnections();
  const deadline = Date.now() + 5000;
  while ((await server('a'))!.opState !== SERVER_OP_STATE.STOPPED && Date.now() < deadline) await sleep(20);
  assert.equal((await server('a'))!.opState, SERVER_OP_STATE.STOPPED);
  const { workerPid } = await inst.reload('test: health survives');
  pids.push(workerPid);
  // Checks every 200 ms with fall 2: a new worker without the saved state would show UP here.
  assert.equal((await server('a'))!.opState, SERVER_OP_STATE.STOPPED);
  assert.match((await status('a')) ?? '', /^DOWN/);
  assert.match(readFileSync(inst.paths.serverStateFile, 'utf8'), new RegExp(`^\\d+ be \\d+ a 127\\.0\\.0\\.1 0 `, 'm'));
  assert.equal((await api.showServersState('be')).find((s) => s.server === 'b')!.opState, SERVER_OP_STATE.RUNNING);
});

test('100 addServer calls in one execute batch', async (t) => {
  const { inst, api, worker, c } = await fixture(t);
  const commands = Array.from({ length: 100 }, (_, i) => addServerCommands('be', `m${i}`, '127.0.0.1', c.port, { weight: 1 })).flat();
  const t0 = performance.now();
  await api.execute(commands);
  console.log(`100 add server + enable server (${commands.length} commands) in one session: ${(performance.now() - t0).toFixed(1)} ms`);
  const state = await api.showServersState('be');
  assert.equal(state.length, 102);
  assert.ok(state.filter((s) => s.server.startsWith('m')).every((s) => s.adminState === 0));
  assert.equal(await inst.workerPid(), worker);
});

test('executeGroups: 1,000 servers pipelined; a refused command stops its own group only', async (t) => {
  const { inst, api, worker, c } = await fixture(t);
  const groups = Array.from({ length: 1000 }, (_, i) => addServerCommands('be', `m${i}`, '127.0.0.1', c.port, { weight: 1 + (i % 3) }));
  const t0 = performance.now();
  assert.deepEqual(await api.executeGroups(groups), []);
  console.log(`1,000 add server + enable server (${groups.flat().length} commands), pipelined: ${(performance.now() - t0).toFixed(1)} ms`);
  const state = await api.showServersState('be');
  assert.equal(state.length, 1002);
  assert.ok(state.filter((s) => s.server.startsWith('m')).every((s) => s.adminState === 0), 'every added server enabled');
  assert.equal(state.find((s) => s.server === 'm4')!.weight, 2);
  // Group 1's first command is refused (no such server): its later command is not sent; groups 0 and 2 complete.
  const failures = await api.executeGroups([
    ['set server be/m1 weight 9'],
    ['set server be/zz state maint', 'set server be/m2 weight 9'],
    ['set server be/m3 state maint', 'set server be/m3 addr 127.0.0.1 port 1', 'set server be/m3 addr 127.0.0.1 port 1', 'set server be/m3 addr ::1 port 2', 'del server be/m3'],
  ]);
  assert.equal(failures.length, 1);
  assert.deepEqual({ ...failures[0], answer: undefined }, { group: 1, command: 0, answer: undefined });
  assert.match(failures[0]!.answer, /No such server/);
  // `set server … addr` answers with a warning-level message when it did its job ("IP changed",
  // "no need to change the addr"): not a refusal, so group 2 went on to its `del server`.
  const after = await api.showServersState('be');
  assert.equal(after.find((s) => s.server === 'm1')!.weight, 9);
  assert.equal(after.find((s) => s.server === 'm2')!.weight, 3, 'not sent after its group\'s refused command');
  assert.equal(after.find((s) => s.server === 'm3'), undefined);
  await assert.rejects(api.executeGroups([['set server be/m1 weight 1;shutdown frontend fe']]), isDriverFailed(/./));
  assert.equal(await inst.workerPid(), worker);
});
