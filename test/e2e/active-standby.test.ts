/**
 * @module test/e2e/active-standby.test — ACTIVE_STANDBY load balancers across nodes: a flavor
 * with `loadbalancer_topology: ACTIVE_STANDBY`, three agents on node namespaces (VXLAN between
 * them), real HAProxy and real keepalived (VRRPv3) in each side's namespace, a real PostgreSQL.
 * A client on the web node sends requests through the VIP with SOURCE_IP persistence; the active
 * side's HAProxy is SIGKILLed, its keepalived stopped, its whole node killed; each time the VIP
 * answers again with the same member (the stick table replicated over HAProxy peers), and the
 * outage is under a generous bound (bench/ha measures it). After the node death the sweep
 * rebuilds the missing side on the third agent. Deleting leaves no namespace, process or port.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { RuntimeApi } from '../../src/drivers/haproxy/runtime-api.js';
import { Cluster, until } from '../helpers/cluster.js';
import { hasPostgres } from '../helpers/postgres.js';
import { outageOf, startVipProbe } from '../helpers/vip-probe.js';

const skip = process.getuid?.() !== 0 ? 'needs root (namespaces)' : !hasPostgres() ? 'PostgreSQL not installed'
  : !existsSync('/usr/sbin/keepalived') ? 'keepalived not installed (scripts/install-system-deps.sh)' : false;

/** The outage bound asserted here: generous, as this VM is shared; the ≤ 3 s goal is bench/ha's. */
const OUTAGE_BOUND_MS = 10_000;

interface Amphora { id: string; role: string; status: string; compute_id: string; vrrp_ip: string; ha_ip: string }

describe('ACTIVE_STANDBY: keepalived moves the VIP between two agents, stick tables replicated', { skip }, () => {
  const c = new Cluster({ prefix: `s${process.pid % 100000}`, agents: 3, servers: 1, downTime: 3 });
  const octet = 20 + (process.pid % 200);
  const vip = `10.213.${octet}.10`;
  const url = `http://${vip}/`;
  let lbId = '';
  let member = '';
  let vipNet: { id: string; network_id: string };

  before(async () => {
    await c.start();
    vipNet = await c.subnet('lbaas', `10.213.${octet}.0/24`);
    const web = await c.subnet('webserver', `10.214.${octet}.0/24`);
    await c.host('web1', web, 'web1');
    await c.host('web2', web, 'web2');
    await c.host('cli', vipNet);
    const fp = await c.api('POST', '/v2/lbaas/flavorprofiles', {
      flavorprofile: { name: 'as', provider_name: 'haproxy', flavor_data: JSON.stringify({ loadbalancer_topology: 'ACTIVE_STANDBY' }) },
    });
    assert.equal(fp.status, 201, JSON.stringify(fp.body));
    const fl = await c.api('POST', '/v2/lbaas/flavors', { flavor: { name: 'as', flavor_profile_id: fp.body.flavorprofile.id } });
    assert.equal(fl.status, 201, JSON.stringify(fl.body));
    const r = await c.api('POST', '/v2/lbaas/loadbalancers', {
      loadbalancer: {
        name: 'as', vip_subnet_id: vipNet.id, vip_address: vip, flavor_id: fl.body.flavor.id,
        listeners: [{
          name: 'l', protocol: 'HTTP', protocol_port: 80,
          default_pool: { name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'SOURCE_IP' }, members: [
            { address: `10.214.${octet}.2`, protocol_port: 80, subnet_id: web.id }, { address: `10.214.${octet}.3`, protocol_port: 80, subnet_id: web.id },
          ] },
        }],
      },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    lbId = r.body.loadbalancer.id;
  });
  after(async () => {
    await c.close();
  });

  const status = async (): Promise<string> => (await c.api('GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer.provisioning_status;
  const amphorae = async (): Promise<Amphora[]> => (await c.api('GET', `/v2/octavia/amphorae?loadbalancer_id=${lbId}`)).body.amphorae;
  const hostIndex = (host: string): number => [0, 1, 2].find((i) => c.agentHost(i) === host)!;
  /** Both sides run HAProxy and keepalived, and one of them holds the VIP. */
  const pairReady = async (): Promise<number> => until('both sides running HAProxy and keepalived, one holding the VIP', async () => {
    const sides = (await amphorae()).map((a) => hostIndex(a.compute_id));
    for (const i of sides) {
      if ((await c.processesIn(i, lbId, 'haproxy')).length === 0 || (await c.processesIn(i, lbId, 'keepalived')).length === 0) return undefined;
    }
    return c.vipHolder(lbId, vip, sides);
  }, 60_000);
  /** The standby's stick table holds the client's entry (replicated from the active side). */
  const replicated = async (standby: number): Promise<void> => {
    const sock = `${c.agentDir(standby)}/lb/${lbId}/stats.sock`;
    const pool = (await c.api('GET', `/v2/lbaas/pools?loadbalancer_id=${lbId}`)).body.pools[0].id as string;
    await until(`the client's stick-table entry on the standby (node ${standby + 1})`, async () => {
      const [out = ''] = await new RuntimeApi(sock).execute([`show table ${pool}`]);
      return out.includes('key=') ? true : undefined;
    }, 20_000);
  };
  /** Sends requests while `kill` runs; asserts the VIP answers again, with the same member, within the bound. */
  const survive = async (what: string, kill: () => Promise<void>): Promise<number> => {
    const probe = await startVipProbe(c.hostNs('cli'), url, { intervalMs: 20, timeoutMs: 250, maxMs: 60_000 });
    await new Promise((r) => setTimeout(r, 500));
    const t0 = performance.timeOrigin + performance.now();
    await kill();
    await until(`${what}: the VIP answering again`, async () => ((await c.get('cli', url, 1)) === member ? true : undefined), 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    const attempts = await probe.stop();
    const o = outageOf(attempts, t0);
    process.stdout.write(`# ${what}: outage ${Math.round(o.outageMs)} ms, ${o.failed} failed requests\n`);
    assert.ok(o.outageMs < OUTAGE_BOUND_MS, `${what}: outage ${o.outageMs} ms`);
    assert.ok(o.after.length > 0, `${what}: answers after the outage`);
    assert.deepEqual(new Set(o.after), new Set([member]), `${what}: the persistence session is kept (same member)`);
    return o.outageMs;
  };

  test('placed on two agents (MASTER and BACKUP, different hosts), ACTIVE once both applied, serving with SOURCE_IP persistence', async () => {
    await until('ACTIVE', async () => ((await status()) === 'ACTIVE' ? true : undefined), 90_000);
    const amps = await amphorae();
    assert.deepEqual(amps.map((a) => a.role).sort(), ['BACKUP', 'MASTER']);
    assert.deepEqual(amps.map((a) => a.status), ['ALLOCATED', 'ALLOCATED']);
    assert.notEqual(amps[0]!.compute_id, amps[1]!.compute_id, 'different hosts');
    assert.notEqual(amps[0]!.vrrp_ip, amps[1]!.vrrp_ip);
    for (const a of amps) assert.equal(a.ha_ip, vip);
    // Each side's own address came from the subnet's IPAM: two ports besides the VIP's.
    const ports = (await c.api('GET', `/v2.0/ports?network_id=${vipNet.network_id}`)).body.ports as { fixed_ips: { ip_address: string }[]; device_owner: string }[];
    for (const a of amps) assert.ok(ports.some((p) => p.fixed_ips[0]?.ip_address === a.vrrp_ip && p.device_owner === 'Octavia:vrrp'), `port of ${a.vrrp_ip}`);
    const holder = await pairReady();
    await until('the VIP answering the client', async () => ((await c.get('cli', url)).startsWith('web') ? true : undefined), 60_000);
    member = await c.get('cli', url);
    for (let i = 0; i < 5; i++) assert.equal(await c.get('cli', url), member, 'SOURCE_IP persistence: the same member');
    const standby = amps.map((a) => hostIndex(a.compute_id)).find((i) => i !== holder)!;
    await replicated(standby);
  });

  test('(a) the active side\'s HAProxy SIGKILLed: the VIP answers again, the same member', async () => {
    const holder = await pairReady();
    await survive('HAProxy killed', async () => {
      assert.ok(await c.signalIn(holder, lbId, 'haproxy', 'SIGKILL') > 0);
    });
    // Either the agent restarted HAProxy before keepalived's check (1 s) saw it gone, or the VIP moved.
    const now = await c.vipHolder(lbId, vip);
    process.stdout.write(`# after the HAProxy kill the VIP is on node ${now! + 1} (was ${holder + 1})\n`);
    // The agent saw HAProxy exit and told keepalived (track_file) before restarting it: the VIP moved.
    assert.notEqual(now, holder, 'the VIP moved to the other side');
  });

  test('(b) the active side\'s keepalived stopped: the other side takes the VIP, the same member', async () => {
    const holder = await pairReady();
    const amps = await amphorae();
    await replicated(amps.map((a) => hostIndex(a.compute_id)).find((i) => i !== holder)!);
    await survive('keepalived stopped', async () => {
      assert.ok(await c.signalIn(holder, lbId, 'keepalived', 'SIGTERM') > 0);
    });
    const now = await c.vipHolder(lbId, vip);
    assert.notEqual(now, holder, 'the VIP moved to the other side');
    // The agent starts keepalived again; nopreempt: the VIP stays where it is (no flap).
    await pairReady();
    assert.equal(await c.vipHolder(lbId, vip), now, 'no flap back');
  });

  test('(c) the active side\'s node killed: the survivor serves, the sweep rebuilds the missing side on the third agent', async () => {
    const holder = await pairReady();
    const before = (await amphorae()).map((a) => hostIndex(a.compute_id));
    await replicated(before.find((i) => i !== holder)!);
    await survive('node killed', async () => {
      await c.killNode(holder);
    });
    const third = [0, 1, 2].find((i) => !before.includes(i))!;
    await until('the missing side rebuilt on the third agent', async () => {
      const hosts = (await amphorae()).map((a) => hostIndex(a.compute_id));
      return hosts.includes(third) && !hosts.includes(holder) ? true : undefined;
    }, 60_000);
    await until('ACTIVE again', async () => ((await status()) === 'ACTIVE' ? true : undefined), 60_000);
    await pairReady();
    assert.equal(await c.get('cli', url), member, 'still the same member');
    await c.reviveNode(holder);
    await until('the revived node drops its stale side', async () => (c.namespacesOf(holder).length === 0 ? true : undefined), 30_000);
  });

  test('delete: both sides, keepalived and the VRRP ports go; nothing left behind', async () => {
    const sides = (await amphorae()).map((a) => hostIndex(a.compute_id));
    assert.equal((await c.api('DELETE', `/v2/lbaas/loadbalancers/${lbId}?cascade=true`)).status, 204);
    await until('deleted', async () => ((await c.api('GET', `/v2/lbaas/loadbalancers/${lbId}`)).status === 404 ? true : undefined), 60_000);
    for (const i of sides) await until(`node ${i + 1}'s namespace gone`, async () => (c.namespacesOf(i).length === 0 ? true : undefined), 30_000);
    for (const i of [0, 1, 2]) assert.deepEqual(await c.processesIn(i, lbId, 'keepalived'), []);
    const ports = (await c.api('GET', `/v2.0/ports?network_id=${vipNet.network_id}`)).body.ports as { device_owner: string }[];
    assert.deepEqual(ports.filter((p) => p.device_owner.startsWith('Octavia')), [], 'VIP and VRRP ports freed');
  });
});
