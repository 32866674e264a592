/**
 * @module api/neutron-lbaas/bad-input.test — bad requests to the Neutron LBaaS v2 view: an
 * unknown attribute, a wrong type, a bad UUID, a value out of range, for every resource and
 * for create and update; each is a 400 in Neutron's body naming the attribute, and nothing is
 * written (checked with lists and shows through both views).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, makeTestApi, waitFor, type TestApi } from '../../../test/helpers/fixtures.js';

const N = '/network/v2.0/lbaas';

let t: TestApi;
let lbId = '';
let listenerId = '';
let poolId = '';
let memberId = '';
let hmId = '';

async function settle(): Promise<void> {
  await waitFor(t.app, `${N}/loadbalancers/${lbId}`, 'loadbalancer', 'ACTIVE');
}

before(async () => {
  t = await makeTestApi();
  const post = async (path: string, body: Record<string, unknown>) => {
    const r = await call(t.app, 'POST', path, body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body[Object.keys(body)[0]!].id as string;
  };
  lbId = await post(`${N}/loadbalancers`, { loadbalancer: { name: 'lb', vip_subnet_id: t.subnetId } });
  await settle();
  listenerId = await post(`${N}/listeners`, { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 } });
  await settle();
  poolId = await post(`${N}/pools`, { pool: { listener_id: listenerId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
  await settle();
  memberId = await post(`${N}/pools/${poolId}/members`, { member: { subnet_id: t.subnetId, address: '10.115.54.30', protocol_port: 80 } });
  await settle();
  hmId = await post(`${N}/healthmonitors`, { healthmonitor: { pool_id: poolId, type: 'HTTP', delay: 5, timeout: 2, max_retries: 3 } });
  await settle();
});
after(async () => { await t.close(); });

/** Everything the API holds, through both views, to show a refused request wrote nothing. */
async function snapshot(): Promise<unknown> {
  const get = async (path: string) => (await call(t.app, 'GET', path)).body;
  return {
    neutron: await Promise.all(['loadbalancers', 'listeners', 'pools', 'healthmonitors', `pools/${poolId}/members`].map((c) => get(`${N}/${c}`))),
    octavia: await Promise.all(['loadbalancers', 'listeners', 'pools', 'healthmonitors'].map((c) => get(`/v2/lbaas/${c}`))),
    ports: await get('/network/v2.0/ports'),
  };
}

/** Paths and bodies are functions: the ids exist only once `before` ran. */
type Case = [method: 'POST' | 'PUT', path: () => string, body: () => unknown, field: string, message: RegExp];

const GHOST = '6f0c2f8e-0a57-4a7e-9d5c-2d1b9c0e4a11';
const lbPath = () => `${N}/loadbalancers`;
const cases: Case[] = [
  // load balancers
  ['POST', lbPath, () => ({ loadbalancer: { vip_subnet_id: GHOST, flavour: 'x' } }), 'flavour', /^Unrecognized attribute\(s\) 'flavour'$/],
  ['POST', lbPath, () => ({ loadbalancer: { vip_subnet_id: GHOST.slice(1) } }), 'vip_subnet_id', /^Invalid input for vip_subnet_id\. Reason: '.*' is not a valid UUID\.$/],
  ['POST', lbPath, () => ({ loadbalancer: { vip_subnet_id: GHOST, admin_state_up: 'up' } }), 'admin_state_up', /^Invalid input for admin_state_up\. Reason: 'up' cannot be converted to boolean\.$/],
  ['POST', lbPath, () => ({ loadbalancer: { name: 'no-subnet' } }), 'vip_subnet_id', /^Failed to parse request\. Required attribute 'vip_subnet_id' not specified$/],
  ['POST', lbPath, () => ({ loadbalancer: { vip_subnet_id: GHOST, vip_address: 'ten' } }), 'vip_address', /^Invalid input for vip_address\. Reason: 'ten' is not a valid IP address\.$/],
  ['PUT', () => `${N}/loadbalancers/${lbId}`, () => ({ loadbalancer: { name: ['a'] } }), 'name', /^Invalid input for name\. Reason: '\['a'\]' is not a valid string\.$/],
  ['PUT', () => `${N}/loadbalancers/${lbId}`, () => ({ loadbalancer: { vip_address: '10.115.54.99' } }), 'vip_address', /^Cannot update read-only attribute vip_address$/],
  // listeners
  ['POST', () => `${N}/listeners`, () => ({ listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 65536 } }), 'protocol_port',
    /^Invalid input for protocol_port\. Reason: '65536' is too large - must be no larger than '65535'\.$/],
  ['POST', () => `${N}/listeners`, () => ({ listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 'eighty' } }), 'protocol_port',
    /^Invalid input for protocol_port\. Reason: 'eighty' is not an integer\.$/],
  ['POST', () => `${N}/listeners`, () => ({ listener: { loadbalancer_id: 'lb1', protocol: 'HTTP', protocol_port: 81 } }), 'loadbalancer_id',
    /^Invalid input for loadbalancer_id\. Reason: 'lb1' is not a valid UUID\.$/],
  ['POST', () => `${N}/listeners`, () => ({ listener: { loadbalancer_id: lbId, protocol: 'UDP', protocol_port: 81 } }), 'protocol',
    /^Invalid input for protocol\. Reason: 'UDP' is not in \('TCP', 'HTTPS', 'HTTP', 'TERMINATED_HTTPS'\)\.$/],
  ['POST', () => `${N}/listeners`, () => ({ listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 81, timeout_client_data: 5 } }), 'timeout_client_data',
    /^Unrecognized attribute\(s\) 'timeout_client_data'$/],
  ['PUT', () => `${N}/listeners/${listenerId}`, () => ({ listener: { connection_limit: 2147483648 } }), 'connection_limit',
    /^Invalid input for connection_limit\. Reason: '2147483648' is not a valid value, because it is more than 2147483647\.$/],
  ['PUT', () => `${N}/listeners/${listenerId}`, () => ({ listener: { protocol_port: 81 } }), 'protocol_port', /^Cannot update read-only attribute protocol_port$/],
  // pools
  ['POST', () => `${N}/pools`, () => ({ pool: { loadbalancer_id: lbId, protocol: 'HTTP', lb_algorithm: 'SOURCE_IP_PORT' } }), 'lb_algorithm',
    /^Invalid input for lb_algorithm\. Reason: 'SOURCE_IP_PORT' is not in \('LEAST_CONNECTIONS', 'ROUND_ROBIN', 'SOURCE_IP'\)\.$/],
  ['POST', () => `${N}/pools`, () => ({ pool: { loadbalancer_id: lbId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', session_persistence: 'cookie' } }), 'session_persistence',
    /^Invalid input for session_persistence\. Reason: 'cookie' is not a dictionary\.$/],
  ['POST', () => `${N}/pools`, () => ({ pool: { loadbalancer_id: lbId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', tls_enabled: true } }), 'tls_enabled',
    /^Unrecognized attribute\(s\) 'tls_enabled'$/],
  ['PUT', () => `${N}/pools/${poolId}`, () => ({ pool: { admin_state_up: 2 } }), 'admin_state_up', /^Invalid input for admin_state_up\. Reason: '2' cannot be converted to boolean\.$/],
  // members
  ['POST', () => `${N}/pools/${poolId}/members`, () => ({ member: { subnet_id: t.subnetId, address: '10.115.54.31', protocol_port: 0 } }), 'protocol_port',
    /^Invalid input for protocol_port\. Reason: '0' is too small - must be at least '1'\.$/],
  ['POST', () => `${N}/pools/${poolId}/members`, () => ({ member: { subnet_id: 'web', address: '10.115.54.31', protocol_port: 80 } }), 'subnet_id',
    /^Invalid input for subnet_id\. Reason: 'web' is not a valid UUID\.$/],
  ['POST', () => `${N}/pools/${poolId}/members`, () => ({ member: { address: '10.115.54.31', protocol_port: 80 } }), 'subnet_id',
    /^Failed to parse request\. Required attribute 'subnet_id' not specified$/],
  ['POST', () => `${N}/pools/${poolId}/members`, () => ({ member: { subnet_id: t.subnetId, address: '10.115.54.31', protocol_port: 80, backup: true } }), 'backup',
    /^Unrecognized attribute\(s\) 'backup'$/],
  ['PUT', () => `${N}/pools/${poolId}/members/${memberId}`, () => ({ member: { weight: 257 } }), 'weight',
    /^Invalid input for weight\. Reason: '257' is too large - must be no larger than '256'\.$/],
  // health monitors
  ['POST', () => `${N}/healthmonitors`, () => ({ healthmonitor: { pool_id: 'pool1', type: 'HTTP', delay: 5, timeout: 2, max_retries: 3 } }), 'pool_id',
    /^Invalid input for pool_id\. Reason: 'pool1' is not a valid UUID\.$/],
  ['POST', () => `${N}/healthmonitors`, () => ({ healthmonitor: { pool_id: poolId, type: 'HTTP', delay: 5, timeout: 2, max_retries: 0 } }), 'max_retries',
    /^Invalid input for max_retries\. Reason: '0' is too small - must be at least '1'\.$/],
  ['PUT', () => `${N}/healthmonitors/${hmId}`, () => ({ healthmonitor: { expected_codes: '2xx' } }), 'expected_codes',
    /^Invalid input for expected_codes\. Reason: '2xx' is not a valid input\.$/],
  ['PUT', () => `${N}/healthmonitors/${hmId}`, () => ({ healthmonitor: { delay: true, colour: 1 } }), 'colour', /^Unrecognized attribute\(s\) 'colour'$/],
  ['PUT', () => `${N}/healthmonitors/${hmId}`, () => ({ healthmonitor: { type: 'TCP' } }), 'type', /^Cannot update read-only attribute type$/],
];

test('each bad request is a 400 in Neutron\'s body naming the attribute, and writes nothing', async () => {
  const before = await snapshot();
  for (const [method, path, body, field, message] of cases) {
    const r = await call(t.app, method, path(), body());
    const what = `${method} ${path()} ${JSON.stringify(body())} → ${r.status} ${JSON.stringify(r.body)}`;
    assert.equal(r.status, 400, what);
    assert.deepEqual(Object.keys(r.body), ['NeutronError'], what);
    assert.deepEqual(Object.keys(r.body.NeutronError).sort(), ['detail', 'message', 'type'], what);
    assert.match(r.body.NeutronError.type, /^(HTTPBadRequest|InvalidInput)$/, what);
    assert.match(r.body.NeutronError.message, message, what);
    assert.ok(r.body.NeutronError.message.includes(field), `${what}: the message names ${field}`);
  }
  assert.deepEqual(await snapshot(), before, 'nothing was written');
});

test('bodies that are not a resource: none, the wrong envelope, not JSON', async () => {
  const before = await snapshot();
  const raw = await t.app.inject({ method: 'POST', url: `${N}/loadbalancers`, headers: { 'content-type': 'application/json', 'x-project-id': 'p' }, payload: '{"loadbalancer": ' });
  assert.equal(raw.statusCode, 400);
  assert.deepEqual(raw.json(), { NeutronError: { type: 'HTTPBadRequest', message: 'Malformed request body', detail: '' } });
  const none = await call(t.app, 'POST', `${N}/pools`);
  assert.deepEqual([none.status, none.body.NeutronError.message], [400, 'Resource body required']);
  const wrong = await call(t.app, 'PUT', `${N}/listeners/${listenerId}`, { pool: { name: 'x' } });
  assert.deepEqual([wrong.status, wrong.body.NeutronError.message], [400, "Unable to find 'listener' in request body"]);
  assert.deepEqual(await snapshot(), before);
});
