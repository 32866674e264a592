/**
 * @module drivers/interface/host.contract.test — the interface driver contract on the unprivileged
 * host driver, twice: with loopback VIPs (bound as they are) and with ordinary VIPs (mapped to a
 * 127.x address per load balancer). Clients are this process; all traffic stays in 127.0.0.0/8.
 */
import { randomInt } from 'node:crypto';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { startAttached, type Attached } from '../sys/exec.js';
import { HostInterfaceDriver } from './host.js';
import { startLoad } from './hosts.js';
import { runInterfaceDriverContract, type ContractNetwork, type EnvFactory } from './interface-driver.contract.js';

const RESPONDER = fileURLToPath(new URL('./http-responder.js', import.meta.url));

/** GET with a fresh connection and a one-second limit; resolves with the body of a 200 answer. */
function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close' }, timeout: 1000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200
        ? resolve(Buffer.concat(chunks).toString())
        : reject(new Error(`${url}: HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer in 1 s`)));
    req.on('error', reject);
    req.end();
  });
}


/**
 * `loopback`: IPv4 VIPs in 127.0.R.0/24 (R distinct per network), which the driver binds as they
 * are; `mapped`: VIPs in 10.x, which it maps to a 127.x address of the load balancer's own.
 * IPv6 VIPs are always mapped.
 */
function hostEnv(vips: 'loopback' | 'mapped'): EnvFactory {
  return (names) => {
    const driver = new HostInterfaceDriver();
    const members = new Set<Attached>();
    const base = randomInt(254);
    let networks = 0;
    const hex = (): string => randomInt(0x10000).toString(16);
    return {
      driver,
      // Two networks cannot both have a loopback address: it is the host's own.
      capabilities: { ownsProcesses: false, hasOverlappingNetworks: vips === 'mapped' },
      async network(opts = {}) {
        if (opts.sameAddressesAs) return { ...opts.sameAddressesAs, id: names.id() };
        const id = names.id();
        if (opts.ipVersion === 6) {
          const prefix = `fd${randomInt(256).toString(16).padStart(2, '0')}:${hex()}:${hex()}`;
          return { id, ipVersion: 6, prefixLength: 64, addressAt: (n) => `${prefix}::${n.toString(16)}` } satisfies ContractNetwork;
        }
        const third = 1 + ((base + networks++) % 254);
        const [a, b] = [200 + randomInt(50), randomInt(256)];
        return {
          id, ipVersion: 4, prefixLength: 24,
          addressAt: (n) => (vips === 'loopback' ? `127.0.${third}.${n}` : `10.${a}.${b}.${n}`),
        } satisfies ContractNetwork;
      },
      get: (_net, url) => get(url),
      startLoad: (_net, url) => startLoad(null, url, { concurrency: 2, mode: 'close', maxMs: 30_000 }),
      // Members of a host-driver load balancer are local processes.
      async serveMember(_net, port, text) {
        const p = await startAttached([process.execPath, RESPONDER, '127.0.0.1', String(port), text]);
        members.add(p);
        return '127.0.0.1';
      },
      async cleanup() {
        for (const p of members) p.signal('SIGKILL');
        const bounded = (p: Attached) => Promise.race([p.exited, new Promise((r) => setTimeout(r, 5000).unref())]);
        await Promise.all([...members].map(bounded));
        members.clear();
      },
    };
  };
}

runInterfaceDriverContract('host (loopback VIPs)', hostEnv('loopback'));
runInterfaceDriverContract('host (mapped VIPs)', hostEnv('mapped'));
