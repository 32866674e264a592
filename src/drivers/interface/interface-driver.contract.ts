/**
 * @module drivers/interface/interface-driver.contract — the behaviour every InterfaceDriver must
 * have for a load balancer to work on it, checked with real servers and real HTTP answers.
 * Called from netns.contract.test.ts and host.contract.test.ts; the environment says what differs
 * between drivers: how ports are addressed, how a client on a network reaches a bind address, and
 * what the driver's context owns (processes, kernel objects).
 */
import assert from 'node:assert/strict';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { run, startAttached, type Attached } from '../sys/exec.js';
import type { LoadRun } from './hosts.js';
import type { InterfaceDriver, PlugResult, PortPlug } from './interface-driver.js';

/** Names made by one run of the contract: all share a random prefix, so two runs never collide and leftovers can be swept. */
export interface RunNames {
  /** Six hex characters at the start of every id and name of this run. */
  readonly prefix: string;
  /** A fresh id in UUID form starting with the prefix; its first 11 characters (link names) are unique within the run. */
  id(): string;
  /** A fresh short name `<tag>-<prefix>-<n>` (client namespaces). */
  name(tag: string): string;
  /** A fresh unicast MAC address in Neutron's range (`fa:16:3e`). */
  mac(): string;
}

/** Makes the names of one run. */
export function runNames(): RunNames {
  const prefix = randomBytes(3).toString('hex');
  const macBase = randomBytes(2).toString('hex');
  let n = 0;
  const next = (): number => {
    if (n >= 256) throw new Error('runNames: more than 256 names in one run');
    return n++;
  };
  return {
    prefix,
    id: () => `${prefix}${next().toString(16).padStart(2, '0')}-${randomUUID().slice(9)}`,
    name: (tag) => `${tag}-${prefix}-${next()}`,
    mac: () => `fa:16:3e:${macBase.slice(0, 2)}:${macBase.slice(2)}:${next().toString(16).padStart(2, '0')}`,
  };
}

/** A test network made by the environment. */
export interface ContractNetwork {
  readonly id: string;
  readonly ipVersion: 4 | 6;
  readonly prefixLength: number;
  /** The address of host number `n` (1 to 254) on this network; 1 is the gateway, 250 and up belong to the environment. */
  addressAt(n: number): string;
}

/** What `network()` can be asked for. */
export interface NetworkOptions {
  /** Default 4. */
  ipVersion?: 4 | 6;
  /** Another network with the same addresses (tenant networks overlap in Neutron). */
  sameAddressesAs?: ContractNetwork;
  /** Default true. False: nothing of the environment's is on the network, so only ports plugged by the driver use it. */
  hasClient?: boolean;
}

/** The kernel objects a driver makes, for drivers that make some (netns). */
export interface KernelView {
  /** Whether the load balancer's own context (its namespace) exists. */
  hasContext(lbId: string): boolean;
  /** The links of these ports that exist now (host side). */
  linksOf(ports: readonly PortPlug[]): string[];
  /** Whether a network's shared object (its bridge) exists. */
  hasNetwork(networkId: string): boolean;
}

/** What the contract needs from one driver's world. */
export interface InterfaceDriverEnv {
  readonly driver: InterfaceDriver;
  readonly capabilities: {
    /** The load balancer's context owns its processes: unplug alone stops them (netns: they die with the namespace). */
    ownsProcesses: boolean;
    /** Load balancers on two networks with the same addresses each get their own bind address. */
    hasOverlappingNetworks: boolean;
  };
  /** Present when the driver makes kernel objects whose lifetime the contract checks. */
  readonly kernel?: KernelView;
  /** Makes a network with a client on it (unless `hasClient: false`). */
  network(opts?: NetworkOptions): Promise<ContractNetwork>;
  /** GET `url` from a client on `network` (never from outside it); resolves with the body, rejects when nothing answers within about a second. */
  get(network: ContractNetwork, url: string): Promise<string>;
  /** Starts continuous HTTP load on `url` from a client on `network` (new connection per request); resolves after the first answer. */
  startLoad(network: ContractNetwork, url: string): Promise<LoadRun>;
  /** Starts a web server answering `text` on a host of `network` (a member); resolves with the address a load balancer uses to reach it. */
  serveMember(network: ContractNetwork, port: number, text: string): Promise<string>;
  /** Removes everything the environment made, and anything left with this run's prefix. Idempotent. */
  cleanup(): Promise<void>;
}

export type EnvFactory = (names: RunNames) => InterfaceDriverEnv | Promise<InterfaceDriverEnv>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const RESPONDER = fileURLToPath(new URL('./http-responder.js', import.meta.url));
/** Host numbers the contract gives its ports (the environment keeps 250 and up). */
const FIRST_PORT_HOST = 10;

/** The URL of `address:port`, with brackets for IPv6. */
export const urlOf = (address: string, port: number): string =>
  isIP(address) === 6 ? `http://[${address}]:${port}/` : `http://${address}:${port}/`;

/** Resolves when `p` settles or after `ms`, whichever is first; true when it settled. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => { timer = setTimeout(() => r(false), ms); });
  try {
    return await Promise.race([p.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Registers the contract tests for one driver. `skip`: a reason to skip the whole suite (one
 * skipped test is reported). The environment is made once, in `before`; every resource a test
 * makes is tracked and removed in `after`, whether the test passed or not.
 */
export function runInterfaceDriverContract(name: string, makeEnv: EnvFactory, opts: { skip?: string } = {}): void {
  const title = `${name}: interface driver contract`;
  if (opts.skip) {
    test(title, { skip: opts.skip }, () => undefined);
    return;
  }
  describe(title, () => {
    const names = runNames();
    const port = 20_000 + randomInt(20_000);
    let maybeEnv: InterfaceDriverEnv | undefined;
    const lbIds = new Set<string>();
    const processes = new Set<Attached>();
    const loads = new Set<LoadRun>();
    const hostNumbers = new Map<string, number>();

    const env = (): InterfaceDriverEnv => maybeEnv ?? assert.fail('environment not made');

    before(async () => {
      maybeEnv = await makeEnv(names);
    });

    after(async () => {
      const errors: unknown[] = [];
      for (const l of loads) {
        try {
          process.kill(l.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      for (const p of processes) {
        p.signal('SIGKILL');
        if (!(await settlesWithin(p.exited, 5000))) errors.push(new Error(`process ${p.pid} still alive after SIGKILL`));
      }
      for (const id of lbIds) await maybeEnv?.driver.unplug(id).catch((err: unknown) => errors.push(err));
      await maybeEnv?.cleanup().catch((err: unknown) => errors.push(err));
      if (errors.length > 0) throw new AggregateError(errors, `${title}: cleanup failed`);
    });

    /** A port on `net`: the VIP port (with the network's gateway, as portsToPlug gives it) or a member port. */
    const portOn = (net: ContractNetwork, o: { isVip: boolean; host?: number }): PortPlug => {
      const host = o.host ?? hostNumbers.get(net.id) ?? FIRST_PORT_HOST;
      if (o.host === undefined) hostNumbers.set(net.id, host + 1);
      assert.ok(host >= FIRST_PORT_HOST && host < 250, 'the contract numbers its ports 10 to 249');
      return {
        portId: names.id(), networkId: net.id, macAddress: names.mac(), mtu: 1500,
        addresses: [{ address: net.addressAt(host), prefixLength: net.prefixLength }],
        gateways: o.isVip ? [net.addressAt(1)] : [], routes: [],
      };
    };

    const plug = (lbId: string, ports: readonly PortPlug[]): Promise<PlugResult> => {
      lbIds.add(lbId);
      return env().driver.plug(lbId, ports);
    };

    /** Starts the HTTP responder with the plug's wrap on its bind address; it answers `text\n`. */
    const serve = async (r: PlugResult, text: string): Promise<Attached> => {
      const p = await startAttached([...r.wrap, process.execPath, RESPONDER, r.bindAddress, String(port), text]);
      processes.add(p);
      return p;
    };

    /** Starts a process with the plug's wrap and resolves once it runs in the load balancer's context. */
    const runIn = async (r: PlugResult): Promise<Attached> => {
      const p = await startAttached([...r.wrap, process.execPath, '-e', 'console.log("up"); setInterval(() => undefined, 1000)']);
      processes.add(p);
      await p.waitForLine((l) => l === 'up', 10_000);
      return p;
    };

    /** Stops a process as its owner would: SIGTERM, then SIGKILL; bounded. */
    const stop = async (p: Attached): Promise<void> => {
      p.signal('SIGTERM');
      if (await settlesWithin(p.exited, 5000)) return;
      p.signal('SIGKILL');
      assert.ok(await settlesWithin(p.exited, 5000), `process ${p.pid} did not stop`);
    };

    /** Asks from a client on `net` until `url` answers (at most 50 tries, 200 ms apart), then checks the answer. */
    const assertAnswers = async (net: ContractNetwork, url: string, text: string): Promise<void> => {
      let last: unknown;
      for (let i = 0; i < 50; i++) {
        try {
          const body = await env().get(net, url);
          assert.equal(body, `${text}\n`, `answer from ${url}`);
          return;
        } catch (err) {
          if (err instanceof assert.AssertionError) throw err;
          last = err;
        }
        await sleep(200);
      }
      assert.fail(`${url} never answered a client on network ${net.id}: ${(last as Error)?.message}`);
    };

    const assertSilent = async (net: ContractNetwork, url: string): Promise<void> => {
      await assert.rejects(env().get(net, url), `${url} should not answer a client on network ${net.id}`);
    };

    test('plug returns a wrap and a bind address; a server started with the wrap on that address answers a client', async () => {
      const net = await env().network();
      const lb = names.id();
      const r = await plug(lb, [portOn(net, { isVip: true })]);
      assert.ok(Array.isArray(r.wrap) && r.wrap.every((a) => typeof a === 'string'), 'wrap is an argv prefix');
      assert.notEqual(isIP(r.bindAddress), 0, `bind address ${r.bindAddress} is an IP address`);
      await serve(r, 'first');
      await assertAnswers(net, urlOf(r.bindAddress, port), 'first');
      assert.ok((await env().driver.plugged()).includes(lb), 'plugged() lists the load balancer');
    });

    test('plugging the same ports again returns the same result, and the server keeps answering throughout', async () => {
      const net = await env().network();
      const lb = names.id();
      const ports = [portOn(net, { isVip: true })];
      const r = await plug(lb, ports);
      await serve(r, 'steady');
      const url = urlOf(r.bindAddress, port);
      await assertAnswers(net, url, 'steady');
      const load = await env().startLoad(net, url);
      loads.add(load);
      const again = await plug(lb, ports);
      const third = await plug(lb, structuredClone(ports));
      await sleep(300); // let the load run on past the re-plugs
      const seen = await load.stop();
      loads.delete(load);
      assert.deepEqual(again, r);
      assert.deepEqual(third, r);
      assert.equal(seen.failed, 0, `no request failed during the re-plugs: ${JSON.stringify(seen.errors)} ${JSON.stringify(seen.statuses)}`);
      assert.ok(seen.ok > 0);
      assert.deepEqual(Object.keys(seen.bodies), ['steady']);
      assert.equal((await env().driver.plugged()).filter((id) => id === lb).length, 1, 'listed once');
    });

    test('two load balancers plugged at once get their own bind addresses, each answering with its own server', async () => {
      const net = await env().network();
      const [a, b] = [names.id(), names.id()];
      const [ra, rb] = await Promise.all([plug(a, [portOn(net, { isVip: true })]), plug(b, [portOn(net, { isVip: true })])]);
      assert.notEqual(ra.bindAddress, rb.bindAddress);
      await serve(ra, 'lb-a');
      await serve(rb, 'lb-b'); // the same port: only possible when the addresses or contexts are apart
      await assertAnswers(net, urlOf(ra.bindAddress, port), 'lb-a');
      await assertAnswers(net, urlOf(rb.bindAddress, port), 'lb-b');
      const listed = await env().driver.plugged();
      assert.ok(listed.includes(a) && listed.includes(b));
    });

    test('unplug stops the load balancer answering and drops it from plugged(), leaves the other working, and is idempotent', async () => {
      const net = await env().network();
      const [a, b] = [names.id(), names.id()];
      const ra = await plug(a, [portOn(net, { isVip: true })]);
      const rb = await plug(b, [portOn(net, { isVip: true })]);
      const serverA = await serve(ra, 'gone');
      await serve(rb, 'stays');
      await assertAnswers(net, urlOf(ra.bindAddress, port), 'gone');
      await assertAnswers(net, urlOf(rb.bindAddress, port), 'stays');

      // Without a context of its own the owner stops the processes first, as HaproxyProvider.remove does.
      if (!env().capabilities.ownsProcesses) await stop(serverA);
      await env().driver.unplug(a);
      if (env().capabilities.ownsProcesses) {
        assert.ok(await settlesWithin(serverA.exited, 10_000), 'the server in the unplugged context is gone');
      }
      await assertSilent(net, urlOf(ra.bindAddress, port));
      const listed = await env().driver.plugged();
      assert.ok(!listed.includes(a), 'unplugged: not listed');
      assert.ok(listed.includes(b), 'the other load balancer is still listed');
      await assertAnswers(net, urlOf(rb.bindAddress, port), 'stays');

      await env().driver.unplug(a);
      await env().driver.unplug(names.id()); // never plugged
      await assertAnswers(net, urlOf(rb.bindAddress, port), 'stays');
    });

    test('a load balancer plugged again after unplug answers again', async () => {
      const net = await env().network();
      const lb = names.id();
      const ports = [portOn(net, { isVip: true })];
      const first = await plug(lb, ports);
      await env().driver.unplug(lb);
      const r = await plug(lb, ports);
      assert.deepEqual(r, first, 'same ports, same result');
      await serve(r, 'back');
      await assertAnswers(net, urlOf(r.bindAddress, port), 'back');
      assert.ok((await env().driver.plugged()).includes(lb));
    });

    test('a load balancer reaches a member on its member port\'s network from its context', async () => {
      const vipNet = await env().network();
      const memberNet = await env().network();
      const memberAddress = await env().serveMember(memberNet, port + 1, 'member');
      const r = await plug(names.id(), [portOn(vipNet, { isVip: true }), portOn(memberNet, { isVip: false })]);
      let body = '';
      let last = '';
      for (let i = 0; i < 50 && body === ''; i++) {
        const out = await run([...r.wrap, 'curl', '-sS', '--max-time', '1', urlOf(memberAddress, port + 1)], { allowFailure: true, timeoutMs: 5000 });
        body = out.code === 0 ? out.stdout : '';
        last = out.stderr.trim();
        if (body === '') await sleep(200);
      }
      assert.equal(body, 'member\n', `the member answers the load balancer's context (${last})`);
      await serve(r, 'front');
      await assertAnswers(vipNet, urlOf(r.bindAddress, port), 'front');
    });

    test('an IPv6 VIP: the server on the bind address answers a client', async () => {
      const net = await env().network({ ipVersion: 6 });
      const r = await plug(names.id(), [portOn(net, { isVip: true })]);
      await serve(r, 'six');
      await assertAnswers(net, urlOf(r.bindAddress, port), 'six');
    });

    test('two networks with the same addresses: each load balancer answers the clients of its own network', async (t) => {
      if (!env().capabilities.hasOverlappingNetworks) {
        t.skip('the driver cannot give load balancers on overlapping networks their own addresses');
        return;
      }
      const one = await env().network();
      const two = await env().network({ sameAddressesAs: one });
      const [a, b] = [names.id(), names.id()];
      const ra = await plug(a, [portOn(one, { isVip: true, host: 100 })]);
      const rb = await plug(b, [portOn(two, { isVip: true, host: 100 })]);
      await serve(ra, 'tenant-one');
      await serve(rb, 'tenant-two');
      await assertAnswers(one, urlOf(ra.bindAddress, port), 'tenant-one');
      await assertAnswers(two, urlOf(rb.bindAddress, port), 'tenant-two');
    });

    // Kernel objects: only for drivers that make some (the environment is made in `before`, so
    // the decision is taken when the test runs).
    const kernelTest = (name: string, fn: (kernel: KernelView) => Promise<void>): void => {
      test(name, async (t) => {
        const kernel = env().kernel;
        if (!kernel) {
          t.skip('the driver makes no kernel objects');
          return;
        }
        await fn(kernel);
      });
    };

    kernelTest('unplug removes the context with its processes and links, and each network\'s bridge with its last port', async (kernel) => {
      const vipNet = await env().network({ hasClient: false });
      const memberNet = await env().network({ hasClient: false });
      const lb = names.id();
      const ports = [portOn(vipNet, { isVip: true }), portOn(memberNet, { isVip: false })];
      const r = await plug(lb, ports);
      assert.ok(kernel.hasContext(lb));
      assert.equal(kernel.linksOf(ports).length, ports.length, 'a link per port');
      assert.ok(kernel.hasNetwork(vipNet.id) && kernel.hasNetwork(memberNet.id));
      const inside = await runIn(r);
      await env().driver.unplug(lb);
      assert.ok(await settlesWithin(inside.exited, 10_000), 'a process started in the context is gone');
      assert.ok(!kernel.hasContext(lb), 'the context is gone');
      assert.deepEqual(kernel.linksOf(ports), [], 'the links are gone');
      assert.ok(!kernel.hasNetwork(vipNet.id), 'the VIP network\'s bridge went with its last port');
      assert.ok(!kernel.hasNetwork(memberNet.id), 'the member network\'s bridge went with its last port');
    });

    kernelTest('a bridge shared by two load balancers stays until the last of them is unplugged', async (kernel) => {
      const net = await env().network({ hasClient: false });
      const [a, b] = [names.id(), names.id()];
      const pa = [portOn(net, { isVip: true })];
      const pb = [portOn(net, { isVip: true })];
      await Promise.all([plug(a, pa), plug(b, pb)]);
      await env().driver.unplug(a);
      assert.ok(!kernel.hasContext(a));
      assert.deepEqual(kernel.linksOf(pa), []);
      assert.ok(kernel.hasContext(b));
      assert.equal(kernel.linksOf(pb).length, 1);
      assert.ok(kernel.hasNetwork(net.id), 'b still uses the bridge');
      await env().driver.unplug(b);
      assert.ok(!kernel.hasNetwork(net.id));
    });

    kernelTest('a port dropped from the list loses its link, and its network\'s bridge when nothing else uses it', async (kernel) => {
      // Bug: plug deleted a dropped port's veth pair but never its bridge, and unplug only looks at
      // the bridges of ports still plugged, so the bridge of a dropped member network leaked.
      const vipNet = await env().network();
      const memberNet = await env().network({ hasClient: false });
      const lb = names.id();
      const vip = portOn(vipNet, { isVip: true });
      const member = portOn(memberNet, { isVip: false });
      await plug(lb, [vip, member]);
      assert.ok(kernel.hasNetwork(memberNet.id));
      const r = await plug(lb, [vip]);
      assert.deepEqual(kernel.linksOf([member]), [], 'the dropped port\'s link is gone');
      assert.ok(!kernel.hasNetwork(memberNet.id), 'the dropped port\'s bridge is gone');
      assert.equal(kernel.linksOf([vip]).length, 1, 'the VIP port stays');
      await serve(r, 'vip-only');
      await assertAnswers(vipNet, urlOf(r.bindAddress, port), 'vip-only');
      await env().driver.unplug(lb);
      assert.ok(!kernel.hasContext(lb));
      assert.deepEqual(kernel.linksOf([vip, member]), []);
      assert.ok(!kernel.hasNetwork(memberNet.id));
    });
  });
}
