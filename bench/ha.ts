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
 *   npm run bench:ha -- [--rounds 5] [--down-time 3] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Cluster, until } from '../test/helpers/cluster.js';
import { Prober, wallNow } from './lib/prober-client.js';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, 'down-time': { type: 'string' }, json: { type: 'string' } } });
const rounds = Number(values.rounds ?? 5);
const downTime = Number(values['down-time'] ?? 3);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (xs: number[]): string => `${Math.round(median(xs))} ms (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))})`;

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/ha needs root (namespaces)');
  const c = new Cluster({ prefix: `ha${process.pid % 10000}`, agents: 2, servers: 2, downTime });
  const octet = 20 + (process.pid % 200);
  let prober: Prober | undefined;
  const result: Record<string, number[]> = { detected: [], placed: [], active: [], serving: [], apiFailover: [], pgApiBack: [], pgCreateActive: [] };
  try {
    process.stdout.write(`starting PostgreSQL, 2 API servers, 2 agents on node namespaces (agent down time ${downTime} s)…\n`);
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
    if (values.json) writeFileSync(values.json, JSON.stringify({ downTime, rounds, ...result }, null, 2));
  } finally {
    await prober?.stop();
    await c.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/ha: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
