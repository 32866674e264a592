/**
 * @module bench/ha — failover figures of a multi-node Fulcrum on this machine (root): the
 * cluster of test/e2e/multinode (PostgreSQL, two API servers, two agents on node namespaces with
 * VXLAN, web servers and a client on a third node). Each round creates a load balancer, waits
 * until it serves the client, kills the node it runs on (agent SIGKILLed, its HAProxies killed,
 * its underlay link down), and measures from the kill: the agent reported dead, the load balancer
 * placed on the other agent, ACTIVE again, and the first 200 through the VIP (the prober, a new
 * connection every 20 ms). Then the node returns. Also: an API server killed (time until the
 * client's next request is answered by the other) and a PostgreSQL restart (until the API answers
 * from the database, and a new load balancer's create → ACTIVE after it).
 *
 * ACTIVE_STANDBY (a third agent joins): a load balancer of an ACTIVE_STANDBY flavor with a
 * SOURCE_IP pool; for each of `--vrrp-rounds` rounds of each kill — the VIP holder's HAProxy
 * SIGKILLed, its keepalived stopped (SIGTERM), its whole node killed — the VIP outage as the
 * client sees it (test/helpers/vip-probe: a new connection every 20 ms, each given 250 ms; from
 * the kill to the first answer after the last failure), failed requests, and whether the member
 * stayed the same (stick table replicated over HAProxy peers). A killed node comes back before
 * the next round (its side rebuilt by the sweep on the spare agent meanwhile).
 *
 *   npm run bench:ha -- [--rounds 5] [--down-time 3] [--vrrp-rounds 5] [--only vrrp|agent] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Cluster, until } from '../test/helpers/cluster.js';
import { Prober, wallNow } from './lib/prober-client.js';
import { outageOf, startVipProbe } from '../test/helpers/vip-probe.js';

const { values } = parseArgs({ options: {
  rounds: { type: 'string' }, 'down-time': { type: 'string' }, json: { type: 'string' }, 'vrrp-rounds': { type: 'string' }, only: { type: 'string' },
} });
const rounds = Number(values.rounds ?? 5);
/** Rounds of each ACTIVE_STANDBY kill (HAProxy, keepalived, node). */
const vrrpRounds = Number(values['vrrp-rounds'] ?? 5);
/** `vrrp`: only the ACTIVE_STANDBY VIP moves; `agent`: only the agent failover; default both. */
const only = values.only;
const downTime = Number(values['down-time'] ?? 3);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (xs: number[]): string => `${Math.round(median(xs))} ms (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))}), n=${xs.length}`;

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/ha needs root (namespaces)');
  const c = new Cluster({ prefix: `ha${process.pid % 10000}`, agents: only === 'agent' ? 2 : 3, servers: 2, downTime });
  const octet = 20 + (process.pid % 200);
  let prober: Prober | undefined;
  const result: Record<string, number[]> = {
    detected: [], placed: [], active: [], serving: [], apiFailover: [], pgApiBack: [], pgCreateActive: [],
    vrrpHaproxy: [], vrrpKeepalived: [], vrrpNode: [], vrrpHaproxyFailed: [], vrrpKeepalivedFailed: [], vrrpNodeFailed: [],
  };
  let memberChanged = 0;
  try {
    process.stdout.write(`starting PostgreSQL, 2 API servers, ${only === 'agent' ? 2 : 3} agents on node namespaces (agent down time ${downTime} s)…\n`);
    await c.start();
    const vipNet = await c.subnet('lbaas', `10.221.${octet}.0/24`);
    const web = await c.subnet('webserver', `10.222.${octet}.0/24`);
    await c.host('web1', web, 'web1');
    await c.host('web2', web, 'web2');
    await c.host('cli', vipNet);
    prober = await Prober.start(c.hostNs('cli'), join(tmpdir(), `fulcrum-ha-prober-${process.pid}.sock`));
    const status = async (id: string): Promise<string> => (await c.api('GET', `/v2/lbaas/loadbalancers/${id}`)).body.loadbalancer.provisioning_status;
    const create = async (host: number): Promise<{ id: string; url: string }> => {
      const r = await c.api('POST', '/v2/lbaas/loadbalancers', {
        loadbalancer: {
          vip_subnet_id: vipNet.id, vip_address: `10.221.${octet}.${host}`,
          listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [
            { address: `10.222.${octet}.2`, protocol_port: 80, subnet_id: web.id }, { address: `10.222.${octet}.3`, protocol_port: 80, subnet_id: web.id },
          ] } }],
        },
      });
      if (r.status !== 201) throw new Error(`create: ${r.status} ${JSON.stringify(r.body)}`);
      const id = r.body.loadbalancer.id as string;
      await until('ACTIVE', async () => ((await status(id)) === 'ACTIVE' ? true : undefined), 60_000);
      return { id, url: `http://10.221.${octet}.${host}/` };
    };
    const alive = async (i: number): Promise<boolean> =>
      ((await c.api('GET', '/v2.0/agents')).body.agents as { host: string; alive: boolean }[]).find((a) => a.host === c.agentHost(i))?.alive === true;

    if (only !== 'agent') {
      const vr = await activeStandbyRounds(c, vipNet, web, octet);
      for (const [k, v] of Object.entries(vr.figures)) result[k]!.push(...v);
      memberChanged = vr.memberChanged;
      process.stdout.write(`\nACTIVE_STANDBY VIP move, ${vrrpRounds} rounds per kill (median, min–max; goal ≤ 3 s):\n` +
        `  HAProxy SIGKILLed    ${fmt(result.vrrpHaproxy!)}; failed requests ${fmt(result.vrrpHaproxyFailed!).replace(/ ms/g, '')}\n` +
        `  keepalived stopped   ${fmt(result.vrrpKeepalived!)}; failed requests ${fmt(result.vrrpKeepalivedFailed!).replace(/ ms/g, '')}\n` +
        `  node killed          ${fmt(result.vrrpNode!)}; failed requests ${fmt(result.vrrpNodeFailed!).replace(/ ms/g, '')}\n` +
        `  member changed after a move: ${memberChanged} of ${3 * vrrpRounds}\n`);
      if (only === 'vrrp') {
        if (values.json) writeFileSync(values.json, JSON.stringify({ vrrpRounds, memberChanged, ...result }, null, 2));
        return;
      }
      // The agent-failover rounds below expect two agents: the spare one is disabled.
      const spare = (await c.api('GET', '/v2.0/agents')).body.agents.find((a: { host: string }) => a.host === c.agentHost(2));
      await c.api('PUT', `/v2.0/agents/${spare.id}`, { agent: { admin_state_up: false } });
    }
    for (let r = 0; r < rounds; r++) {
      const lb = await create(10 + r);
      const first = await prober.probe({ url: lb.url, want: 'ok', timeoutMs: 30_000 });
      if (first.at === null) throw new Error('the new load balancer never served');
      const node = (await c.placement(lb.id))!;
      const t0 = wallNow();
      await c.killNode(node);
      const serving = prober.probe({ url: lb.url, want: 'ok', intervalMs: 20, attemptTimeoutMs: 200, timeoutMs: 60_000 });
      const marks: Record<string, number> = {};
      await until('all marks', async () => {
        const now = wallNow();
        if (marks.detected === undefined && !(await alive(node))) marks.detected = now - t0;
        if (marks.placed === undefined && (await c.placement(lb.id)) === 1 - node) marks.placed = now - t0;
        if (marks.placed !== undefined && marks.active === undefined && (await status(lb.id)) === 'ACTIVE') marks.active = now - t0;
        return marks.detected !== undefined && marks.active !== undefined ? true : undefined;
      }, 60_000);
      const s = await serving;
      if (s.at === null) throw new Error('never served again after the node died');
      const line = { detected: marks.detected!, placed: marks.placed!, active: marks.active!, serving: s.at - t0 };
      for (const [k, v] of Object.entries(line)) result[k]!.push(v);
      process.stdout.write(`round ${r + 1}: node ${node + 1} killed → agent dead ${Math.round(line.detected)} ms, placed elsewhere ${Math.round(line.placed)} ms, ACTIVE ${Math.round(line.active)} ms, serving the client again ${Math.round(line.serving)} ms\n`);
      await c.reviveNode(node);
      await until('node back alive', async () => ((await alive(node)) ? true : undefined), 30_000);
    }

    // An API server dies: the client's next request goes to the other one.
    const t1 = wallNow();
    await c.killServer(0);
    const r1 = await c.api('GET', '/v2/lbaas/loadbalancers');
    if (r1.status !== 200) throw new Error(`after an API server died: ${r1.status}`);
    result.apiFailover!.push(wallNow() - t1);
    await c.startServer(0);

    // PostgreSQL restarts.
    const t2 = wallNow();
    await c.pg.restart();
    await until('API answering from the database', async () => ((await c.api('GET', '/v2/lbaas/loadbalancers')).status === 200 ? true : undefined), 60_000);
    result.pgApiBack!.push(wallNow() - t2);
    const t3 = wallNow();
    await create(200);
    result.pgCreateActive!.push(wallNow() - t3);

    process.stdout.write(`\n${rounds} node deaths, agent down time ${downTime} s (median, min–max):\n` +
      `  agent reported dead        ${fmt(result.detected!)}\n` +
      `  placed on the other agent  ${fmt(result.placed!)}\n` +
      `  ACTIVE again               ${fmt(result.active!)}\n` +
      `  serving the client again   ${fmt(result.serving!)}\n` +
      `API server killed → answered by the other: ${fmt(result.apiFailover!)}\n` +
      `PostgreSQL restart → API answering: ${fmt(result.pgApiBack!)}; then create → ACTIVE: ${fmt(result.pgCreateActive!)}\n`);
    if (values.json) writeFileSync(values.json, JSON.stringify({ downTime, rounds, vrrpRounds, memberChanged, ...result }, null, 2));
  } finally {
    await prober?.stop();
    await c.close();
  }
}

/**
 * The ACTIVE_STANDBY rounds: one load balancer of an ACTIVE_STANDBY flavor, then each kill
 * `vrrpRounds` times on whichever side holds the VIP, waiting between rounds until both sides run
 * HAProxy and keepalived again (and a killed node is back).
 */
async function activeStandbyRounds(
  c: Cluster, vipNet: { id: string }, web: { id: string }, octet: number,
): Promise<{ figures: Record<string, number[]>; memberChanged: number }> {
  const figures: Record<string, number[]> = {
    vrrpHaproxy: [], vrrpKeepalived: [], vrrpNode: [], vrrpHaproxyFailed: [], vrrpKeepalivedFailed: [], vrrpNodeFailed: [],
  };
  const fp = await c.api('POST', '/v2/lbaas/flavorprofiles', {
    flavorprofile: { name: 'as', provider_name: 'haproxy', flavor_data: JSON.stringify({ loadbalancer_topology: 'ACTIVE_STANDBY' }) },
  });
  const fl = await c.api('POST', '/v2/lbaas/flavors', { flavor: { name: 'as', flavor_profile_id: fp.body.flavorprofile.id } });
  const vip = `10.221.${octet}.100`;
  const url = `http://${vip}/`;
  const r = await c.api('POST', '/v2/lbaas/loadbalancers', {
    loadbalancer: {
      vip_subnet_id: vipNet.id, vip_address: vip, flavor_id: fl.body.flavor.id,
      listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'SOURCE_IP' }, members: [
        { address: `10.222.${octet}.2`, protocol_port: 80, subnet_id: web.id }, { address: `10.222.${octet}.3`, protocol_port: 80, subnet_id: web.id },
      ] } }],
    },
  });
  if (r.status !== 201) throw new Error(`create ACTIVE_STANDBY: ${r.status} ${JSON.stringify(r.body)}`);
  const lbId = r.body.loadbalancer.id as string;
  const status = async (): Promise<string> => (await c.api('GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer.provisioning_status;
  await until('ACTIVE_STANDBY ACTIVE', async () => ((await status()) === 'ACTIVE' ? true : undefined), 90_000);
  const sides = async (): Promise<number[]> => ((await c.api('GET', `/v2/octavia/amphorae?loadbalancer_id=${lbId}`)).body.amphorae as { compute_id: string }[])
    .map((a) => [0, 1, 2].find((i) => c.agentHost(i) === a.compute_id)!).filter((i) => i !== undefined);
  const ready = async (): Promise<number> => until('both sides running, one holding the VIP', async () => {
    if ((await status()) !== 'ACTIVE') return undefined;
    const s = await sides();
    if (s.length !== 2) return undefined;
    for (const i of s) {
      if ((await c.processesIn(i, lbId, 'haproxy')).length === 0 || (await c.processesIn(i, lbId, 'keepalived')).length === 0) return undefined;
    }
    return c.vipHolder(lbId, vip, s);
  }, 90_000);
  await ready();
  await until('the VIP answering', async () => ((await c.get('cli', url)).startsWith('web') ? true : undefined), 60_000);
  const member = await c.get('cli', url);
  let memberChanged = 0;
  const kills: [string, (holder: number) => Promise<void>][] = [
    ['vrrpHaproxy', async (h) => { await c.signalIn(h, lbId, 'haproxy', 'SIGKILL'); }],
    ['vrrpKeepalived', async (h) => { await c.signalIn(h, lbId, 'keepalived', 'SIGTERM'); }],
    ['vrrpNode', async (h) => { await c.killNode(h); }],
  ];
  for (const [key, kill] of kills) {
    for (let n = 0; n < vrrpRounds; n++) {
      const holder = await ready();
      // Let the stick-table entry reach the standby and the state settle.
      await new Promise((res) => setTimeout(res, 1500));
      const probe = await startVipProbe(c.hostNs('cli'), url, { intervalMs: 20, timeoutMs: 250, maxMs: 60_000 });
      await new Promise((res) => setTimeout(res, 500));
      const t0 = wallNow();
      await kill(holder);
      await until('the VIP answering again', async () => ((await c.get('cli', url, 1)).startsWith('web') ? true : undefined), 30_000);
      await new Promise((res) => setTimeout(res, 1000));
      const o = outageOf(await probe.stop(), t0);
      const changed = o.after.some((b) => b !== member);
      if (changed) memberChanged++;
      figures[key]!.push(o.outageMs);
      figures[`${key}Failed`]!.push(o.failed);
      process.stdout.write(`${key} round ${n + 1}: node ${holder + 1}'s side killed → VIP answering again after ${Math.round(o.outageMs)} ms (${o.failed} failed requests${changed ? `, MEMBER CHANGED from ${member} to ${[...new Set(o.after)].join('+')}` : ', same member'}); VIP now on node ${((await c.vipHolder(lbId, vip, await sides())) ?? -2) + 1}\n`);
      if (key === 'vrrpNode') {
        await until('the missing side rebuilt', async () => ((await sides()).length === 2 && !(await sides()).includes(holder) && (await status()) === 'ACTIVE' ? true : undefined), 90_000);
        await c.reviveNode(holder);
      }
    }
  }
  await c.api('DELETE', `/v2/lbaas/loadbalancers/${lbId}?cascade=true`);
  await until('ACTIVE_STANDBY deleted', async () => ((await c.api('GET', `/v2/lbaas/loadbalancers/${lbId}`)).status === 404 ? true : undefined), 60_000);
  return { figures, memberChanged };
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/ha: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
