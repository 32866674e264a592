/** @module drivers/keepalived/render.test — golden files, `keepalived -t` and injection of the keepalived renderer. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import type { LoadBalancer, LoadBalancerGraph } from '../../domain/model.js';
import { FulcrumError } from '../../domain/errors.js';
import { run } from '../sys/exec.js';
import { ipBatch } from '../sys/ip.js';
import { withActiveStandby } from '../../../test/helpers/active-standby.js';
import { renderHaproxyCheck, renderKeepalivedConfig } from './render.js';

const TESTDATA = fileURLToPath(new URL('../../../../src/drivers/keepalived/testdata/', import.meta.url));
const LB = 'c3d947b7-5f3b-4a16-96f1-20b989451ec2';
const LINK = 'tapb8a3c2d1-00';
const CHECK = '/run/fulcrum/lb/keepalived-check';
const DOWN = '/run/fulcrum/lb/haproxy-down';

function graph(): LoadBalancerGraph {
  const loadBalancer = {
    id: LB, projectId: 'p', name: '', description: '', adminStateUp: true, provisioningStatus: 'ACTIVE', operatingStatus: 'ONLINE',
    tags: [], createdAt: '2024-01-01T00:00:00', updatedAt: null, vipAddress: '10.115.54.7', vipPortId: null, vipSubnetId: null,
    vipNetworkId: null, vipQosPolicyId: null, provider: 'haproxy', flavorId: null, availabilityZone: null, generation: 1, appliedGeneration: 0,
  } as unknown as LoadBalancer;
  return {
    loadBalancer, listeners: [], pools: [], members: [], healthMonitors: [], l7Policies: [], l7Rules: [],
    vipPort: null, memberPorts: [], subnets: [], networks: [],
  };
}

const SCENES: Record<string, () => string> = {
  'master.conf': () => renderKeepalivedConfig(withActiveStandby(graph(), 'MASTER'), { checkScript: CHECK, downFile: DOWN }, { link: LINK }),
  'backup.conf': () => renderKeepalivedConfig(withActiveStandby(graph(), 'BACKUP'), { checkScript: CHECK, downFile: DOWN }, { link: LINK }),
  'haproxy-check.sh': () => renderHaproxyCheck('/run/fulcrum/lb/haproxy.pid'),
};

const isRoot = process.getuid?.() === 0;
const hasKeepalived = existsSync('/usr/sbin/keepalived');

describe('keepalived renderer', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'fulcrum-keepalived-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  for (const [name, render] of Object.entries(SCENES)) {
    test(`golden: ${name}`, () => {
      const text = render();
      const file = join(TESTDATA, name);
      if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, text);
      assert.equal(text, readFileSync(file, 'utf8'));
    });
  }

  test('the sides differ only in who they are: priority, own address, peer', () => {
    const m = SCENES['master.conf']!();
    const b = SCENES['backup.conf']!();
    assert.match(m, /priority 100\n/);
    assert.match(b, /priority 90\n/);
    assert.match(m, /unicast_src_ip 10\.115\.54\.21\n {4}unicast_peer \{\n {8}10\.115\.54\.22\n/);
    assert.match(b, /unicast_src_ip 10\.115\.54\.22\n {4}unicast_peer \{\n {8}10\.115\.54\.21\n/);
    for (const t of [m, b]) {
      assert.match(t, /state BACKUP\n/);
      assert.match(t, /nopreempt\n/);
      assert.match(t, /10\.115\.54\.7\/24 dev tapb8a3c2d1-00\n/);
      assert.match(t, /track_file \{\n {8}haproxy_down\n/);
    }
  });

  test('keepalived -t accepts both golden configurations (in a namespace with the link, as the agent runs it)', { skip: !isRoot ? 'needs root' : !hasKeepalived ? 'keepalived not installed' : false }, async () => {
    const ns = `fulcrum-kt-${process.pid}`;
    const dir = mkdtempSync(join(tmp, 'c-'));
    const check = join(dir, 'keepalived-check');
    writeFileSync(check, SCENES['haproxy-check.sh']!(), { mode: 0o700 });
    writeFileSync(join(dir, 'haproxy-down'), '0\n', { mode: 0o600 });
    await ipBatch([`netns add ${ns}`]);
    try {
      await ipBatch([`link add ${LINK} type veth peer name ktpeer0`], ns);
      for (const name of ['master.conf', 'backup.conf']) {
        const file = join(dir, name);
        writeFileSync(file, readFileSync(join(TESTDATA, name), 'utf8').replaceAll(CHECK, check).replaceAll(DOWN, join(dir, 'haproxy-down')));
        const r = await run(['ip', 'netns', 'exec', ns, 'keepalived', '-t', '-f', file], { allowFailure: true });
        assert.equal(r.code, 0, `${name}: ${r.stdout}${r.stderr}`);
      }
    } finally {
      await ipBatch([`netns del ${ns}`]).catch(() => undefined);
    }
  });

  test('values that could inject a line are refused (VALIDATION), never rendered', () => {
    const g = withActiveStandby(graph(), 'MASTER');
    const bad: [LoadBalancerGraph, { link: string }, string][] = [
      [{ ...g, loadBalancer: { ...g.loadBalancer, vipAddress: '10.0.0.1\n}\nvrrp_script x {' } }, { link: LINK }, 'vip_address'],
      [{ ...g, activeStandby: { ...g.activeStandby!, peer: { ...g.activeStandby!.peer, address: '10.0.0.2 }' } } }, { link: LINK }, 'vrrp_ip'],
      [g, { link: 'eth0 }\nglobal_defs {' }, 'link'],
      [{ ...g, activeStandby: undefined } as LoadBalancerGraph, { link: LINK }, 'flavor_id'],
    ];
    for (const [gr, opts, field] of bad) {
      assert.throws(() => renderKeepalivedConfig(gr, { checkScript: CHECK, downFile: DOWN }, opts), (e: unknown) => e instanceof FulcrumError && e.code === 'VALIDATION' && JSON.stringify(e).includes(field) || (e as Error).message.includes(field), field);
    }
    assert.throws(() => renderKeepalivedConfig(g, { checkScript: '/tmp/x"; y', downFile: DOWN }, { link: LINK }), FulcrumError);
    assert.throws(() => renderKeepalivedConfig(g, { checkScript: CHECK, downFile: '/tmp/d"\n}' }, { link: LINK }), FulcrumError);
    assert.throws(() => renderHaproxyCheck('/run/x $(reboot)'), FulcrumError);
  });
});
