/** @module api/neutron-lbaas/attributes.test — Neutron's request-body reading, one rule per row. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FulcrumError } from '../../domain/errors.js';
import { prepareBody, py } from './attributes.js';
import { ATTRIBUTES } from './wire.js';

const create = { create: true, callerProject: 'p1', requireProject: true } as const;
const LB = '0b5e4a2c-3a55-4f5e-9d1e-3f1c2b9a7e10';

function error(fn: () => unknown): FulcrumError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FulcrumError, String(err));
    return err;
  }
  assert.fail('no error');
}

test('converts as neutron-lib does before validating: "80" is 80, "false" is false', () => {
  const { attrs } = prepareBody('listener', {
    listener: { loadbalancer_id: LB, protocol: 'HTTP', protocol_port: '80', admin_state_up: 'False', connection_limit: '100' },
  }, ATTRIBUTES.listener, create);
  assert.deepEqual(attrs, { loadbalancer_id: LB, protocol: 'HTTP', protocol_port: 80, admin_state_up: false, connection_limit: 100 });
});

test('only given attributes come back (defaults stay with the service); the owner is read apart', () => {
  const r = prepareBody('loadbalancer', { loadbalancer: { vip_subnet_id: LB, tenant_id: 't9' } }, ATTRIBUTES.loadbalancer, create);
  assert.deepEqual(r, { attrs: { vip_subnet_id: LB }, projectId: 't9' });
  const fromCaller = prepareBody('loadbalancer', { loadbalancer: { vip_subnet_id: LB } }, ATTRIBUTES.loadbalancer, create);
  assert.equal(fromCaller.projectId, 'p1');
});

test('every rule gives Neutron\'s wording and type, naming the attribute', () => {
  const lb = (body: unknown, op: Parameters<typeof prepareBody>[3] = create) => error(() => prepareBody('loadbalancer', body, ATTRIBUTES.loadbalancer, op));
  const hm = (fields: Record<string, unknown>) => error(() => prepareBody('healthmonitor', {
    healthmonitor: { pool_id: LB, type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, ...fields },
  }, ATTRIBUTES.healthmonitor, create));
  const rows: [FulcrumError, number, string, string][] = [
    [lb(undefined), 400, 'HTTPBadRequest', 'Resource body required'],
    [lb({ pool: {} }), 400, 'HTTPBadRequest', "Unable to find 'loadbalancer' in request body"],
    [lb({ loadbalancers: [] }), 400, 'HTTPBadRequest', 'Bulk operation not supported'],
    [lb({ loadbalancer: { vip_subnet_id: LB } }, { create: true, callerProject: null, requireProject: true }), 400, 'HTTPBadRequest',
      'Running without keystone AuthN requires that tenant_id is specified'],
    [lb({ loadbalancer: { tenant_id: 'a', project_id: 'b' } }), 400, 'HTTPBadRequest', "'project_id' and 'tenant_id' do not match"],
    [lb({ loadbalancer: { colour: 'red', size: 1 } }), 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'colour, size'"],
    [lb({ loadbalancer: { id: LB } }), 400, 'HTTPBadRequest', "Attribute 'id' not allowed in POST"],
    [lb({ loadbalancer: { vip_subnet_id: LB } }, { create: false }), 400, 'HTTPBadRequest', 'Cannot update read-only attribute vip_subnet_id'],
    [lb({ loadbalancer: { vip_subnet_id: 'subnet-1' } }), 400, 'HTTPBadRequest', "Invalid input for vip_subnet_id. Reason: 'subnet-1' is not a valid UUID."],
    [lb({ loadbalancer: { vip_subnet_id: LB, vip_address: '10.0.0.300' } }), 400, 'HTTPBadRequest',
      "Invalid input for vip_address. Reason: '10.0.0.300' is not a valid IP address."],
    [lb({ loadbalancer: { vip_subnet_id: LB, name: 7 } }), 400, 'HTTPBadRequest', "Invalid input for name. Reason: '7' is not a valid string."],
    [lb({ loadbalancer: { vip_subnet_id: LB, name: 'x'.repeat(256) } }), 400, 'HTTPBadRequest',
      `Invalid input for name. Reason: '${'x'.repeat(256)}' exceeds maximum length of 255.`],
    [lb({ loadbalancer: { vip_subnet_id: LB, admin_state_up: 'yes' } }), 400, 'InvalidInput',
      "Invalid input for admin_state_up. Reason: 'yes' cannot be converted to boolean."],
    [hm({ max_retries: 11 }), 400, 'HTTPBadRequest', "Invalid input for max_retries. Reason: '11' is too large - must be no larger than '10'."],
    [hm({ delay: '0' }), 400, 'HTTPBadRequest', "Invalid input for delay. Reason: '0' is too small - must be at least '1'."],
    [hm({ timeout: 'soon' }), 400, 'InvalidInput', "Invalid input for timeout. Reason: 'soon' is not an integer."],
    [hm({ type: 'UDP' }), 400, 'HTTPBadRequest', "Invalid input for type. Reason: 'UDP' is not in ('HTTP', 'HTTPS', 'PING', 'TCP')."],
    [hm({ url_path: 'health' }), 400, 'HTTPBadRequest', "Invalid input for url_path. Reason: 'health' is not a valid input."],
    [error(() => prepareBody('pool', { pool: { protocol: 'HTTP' } }, ATTRIBUTES.pool, create)), 400, 'HTTPBadRequest',
      "Failed to parse request. Required attribute 'lb_algorithm' not specified"],
    [error(() => prepareBody('pool', {
      pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', session_persistence: { cookie_name: 'c' } },
    }, ATTRIBUTES.pool, create)), 400, 'HTTPBadRequest',
    "Invalid input for session_persistence. Reason: Validation of dictionary's keys failed. Expected keys: {'type'} Provided keys: {'cookie_name'}."],
    [error(() => prepareBody('listener', {
      listener: { protocol: 'HTTP', protocol_port: 80, connection_limit: -2 },
    }, ATTRIBUTES.listener, create)), 400, 'HTTPBadRequest',
    "Invalid input for connection_limit. Reason: '-2' is not a valid value, because it cannot be less than -1."],
  ];
  for (const [e, status, type, message] of rows) {
    assert.deepEqual([e.status, e.neutronType, e.message], [status, type, message]);
  }
});

test('a field-level error names its field for the log and the tests', () => {
  const e = error(() => prepareBody('member', { member: { address: '10.0.0.5', protocol_port: 99999, subnet_id: LB } }, ATTRIBUTES.member, create));
  assert.equal(e.field, 'protocol_port');
});

test('values print as Python prints them', () => {
  assert.deepEqual([py(null), py(true), py(['a', 1]), py({ k: 'v' })], ['None', 'True', "['a', 1]", "{'k': 'v'}"]);
});
