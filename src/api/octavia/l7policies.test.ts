/**
 * @module api/octavia/l7policies.test — L7 policies and rules end to end on SQLite with the noop
 * agent: Octavia's shapes and defaults (reference bodies 18, 19, 26), positions, validation with
 * the field named and nothing written, cascades, and the fully-populated create.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  activeLoadBalancer, call, holdStatus, makeTestApi, PROJECT, settled, waitFor, type TestApi,
} from '../../../test/helpers/fixtures.js';

let t: TestApi;
before(async () => { t = await makeTestApi(); });
after(async () => { await t.close(); });

const POLICY_KEYS = [
  'action', 'admin_state_up', 'created_at', 'description', 'id', 'listener_id', 'name', 'operating_status', 'position',
  'project_id', 'provisioning_status', 'redirect_http_code', 'redirect_pool_id', 'redirect_prefix', 'redirect_url', 'rules',
  'tags', 'tenant_id', 'updated_at',
];
const RULE_KEYS = [
  'admin_state_up', 'compare_type', 'created_at', 'id', 'invert', 'key', 'operating_status', 'project_id',
  'provisioning_status', 'tags', 'tenant_id', 'type', 'updated_at', 'value',
];

interface Scene { lb: string; listener: string; pool: string; other: string }

/** An ACTIVE load balancer with an HTTP listener (default pool `pool`) and a second HTTP pool `other`. */
async function scene(name: string): Promise<Scene> {
  const lb = await activeLoadBalancer(t, { name });
  const listener = (await call(t.app, 'POST', '/v2/lbaas/listeners', { listener: { protocol: 'HTTP', protocol_port: 80, loadbalancer_id: lb.id } })).body.listener.id;
  await settled(t, lb.id);
  const pool = (await call(t.app, 'POST', '/v2/lbaas/pools', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', listener_id: listener } })).body.pool.id;
  await settled(t, lb.id);
  const other = (await call(t.app, 'POST', '/v2/lbaas/pools', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: lb.id } })).body.pool.id;
  await settled(t, lb.id);
  return { lb: lb.id, listener, pool, other };
}

const postPolicy = (l7policy: Record<string, unknown>, prefix = '/v2/lbaas') => call(t.app, 'POST', `${prefix}/l7policies`, { l7policy });
const postRule = (policy: string, rule: Record<string, unknown>) => call(t.app, 'POST', `/v2/lbaas/l7policies/${policy}/rules`, { rule });

/** Positions of a listener's policies, by name, in position order. */
async function order(listener: string): Promise<string[]> {
  const r = await call(t.app, 'GET', `/v2/lbaas/l7policies?listener_id=${listener}&sort=position:asc`);
  const list = r.body.l7policies as { name: string; position: number }[];
  list.forEach((p, i) => assert.equal(p.position, i + 1, `positions are 1…n: ${JSON.stringify(list)}`));
  return list.map((p) => p.name);
}

test('create, show, list, update and delete a policy and a rule, with Octavia\'s shapes and defaults', async () => {
  const s = await scene('l7-crud');
  const r = await postPolicy({ name: 'pol1', listener_id: s.listener, action: 'REJECT', position: 1 });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const p = r.body.l7policy;
  assert.deepEqual(Object.keys(p).sort(), POLICY_KEYS);
  // As the reference body 18-l7policy-create.json.
  assert.deepEqual({ ...p, id: undefined, created_at: undefined }, {
    id: undefined, name: 'pol1', description: '', provisioning_status: 'PENDING_CREATE', operating_status: 'OFFLINE',
    admin_state_up: true, project_id: PROJECT, action: 'REJECT', listener_id: s.listener, redirect_pool_id: null,
    redirect_url: null, redirect_prefix: null, position: 1, rules: [], created_at: undefined, updated_at: null, tags: [],
    redirect_http_code: null, tenant_id: PROJECT,
  });
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/listeners/${s.listener}`)).body.listener.provisioning_status, 'PENDING_UPDATE');
  await waitFor(t.app, `/v2/lbaas/l7policies/${p.id}`, 'l7policy', 'ACTIVE');
  await settled(t, s.lb);
  assert.deepEqual((await call(t.app, 'GET', `/v2/lbaas/listeners/${s.listener}`)).body.listener.l7policies, [{ id: p.id }]);

  const rr = await postRule(p.id, { type: 'PATH', compare_type: 'STARTS_WITH', value: '/admin' });
  assert.equal(rr.status, 201, JSON.stringify(rr.body));
  const rule = rr.body.rule;
  assert.deepEqual(Object.keys(rule).sort(), RULE_KEYS);
  // As the reference body 19-l7rule-create.json.
  assert.deepEqual({ ...rule, id: undefined, created_at: undefined }, {
    id: undefined, type: 'PATH', compare_type: 'STARTS_WITH', key: null, value: '/admin', invert: false,
    provisioning_status: 'PENDING_CREATE', operating_status: 'OFFLINE', created_at: undefined, updated_at: null,
    project_id: PROJECT, admin_state_up: true, tags: [], tenant_id: PROJECT,
  });
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/l7policies/${p.id}`)).body.l7policy.provisioning_status, 'PENDING_UPDATE');
  await waitFor(t.app, `/v2/lbaas/l7policies/${p.id}/rules/${rule.id}`, 'rule', 'ACTIVE');
  await settled(t, s.lb);
  // As the reference list 26-l7policy-list.json: ONLINE once applied, rules as ids.
  const listed = await call(t.app, 'GET', `/v2/lbaas/l7policies?listener_id=${s.listener}`);
  assert.equal(listed.body.l7policies[0].operating_status, 'ONLINE');
  assert.deepEqual(listed.body.l7policies[0].rules, [{ id: rule.id }]);
  assert.deepEqual(listed.body.l7policies_links, []);
  assert.deepEqual((await call(t.app, 'GET', `/v2.0/lbaas/l7policies/${p.id}/rules?fields=value`)).body, { rules: [{ value: '/admin' }], rules_links: [] });
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/l7policies/${p.id}/rules/${rule.id}`)).body.rule.operating_status, 'ONLINE');

  const up = await call(t.app, 'PUT', `/v2/lbaas/l7policies/${p.id}`, { l7policy: { redirect_url: 'https://example.com/x', name: null, tags: ['a'] } });
  assert.equal(up.status, 200, JSON.stringify(up.body));
  assert.deepEqual([up.body.l7policy.action, up.body.l7policy.redirect_url, up.body.l7policy.redirect_http_code, up.body.l7policy.name, up.body.l7policy.tags],
    ['REDIRECT_TO_URL', 'https://example.com/x', 302, '', ['a']]);
  await settled(t, s.lb);
  const ru = await call(t.app, 'PUT', `/v2/lbaas/l7policies/${p.id}/rules/${rule.id}`, { rule: { type: 'HEADER', key: 'X-A', value: 'b', invert: true } });
  assert.equal(ru.status, 200, JSON.stringify(ru.body));
  assert.deepEqual([ru.body.rule.type, ru.body.rule.compare_type, ru.body.rule.key, ru.body.rule.invert], ['HEADER', 'STARTS_WITH', 'X-A', true]);
  await settled(t, s.lb);
  // A type without a key clears it, as Octavia's repository does; invert null is false.
  const back = await call(t.app, 'PUT', `/v2/lbaas/l7policies/${p.id}/rules/${rule.id}`, { rule: { type: 'HOST_NAME', value: 'a.example', invert: null } });
  assert.deepEqual([back.body.rule.key, back.body.rule.invert], [null, false]);
  await settled(t, s.lb);

  assert.equal((await call(t.app, 'DELETE', `/v2/lbaas/l7policies/${p.id}/rules/${rule.id}`)).status, 204);
  await waitFor(t.app, `/v2/lbaas/l7policies/${p.id}/rules/${rule.id}`, 'rule', 'DELETED');
  await settled(t, s.lb);
  assert.equal((await call(t.app, 'DELETE', `/v2/lbaas/l7policies/${p.id}`)).status, 204);
  await waitFor(t.app, `/v2/lbaas/l7policies/${p.id}`, 'l7policy', 'DELETED');
  const gone = await call(t.app, 'GET', `/v2/lbaas/l7policies/${p.id}`);
  assert.deepEqual(gone.body, { faultcode: 'Client', faultstring: `L7 Policy ${p.id} not found.`, debuginfo: null });
  const rulesGone = await call(t.app, 'GET', `/v2/lbaas/l7policies/${p.id}/rules`);
  assert.deepEqual([rulesGone.status, rulesGone.body.faultstring], [404, `L7Policy ${p.id} not found.`]);
});

test('redirect codes: 302 by default for redirects, one of 301, 302, 303, 307, 308 when given, none for other actions', async () => {
  const s = await scene('l7-codes');
  const cases: [Record<string, unknown>, string, number | null][] = [
    [{ action: 'REDIRECT_TO_URL', redirect_url: 'http://example.com/' }, 'REDIRECT_TO_URL', 302],
    [{ action: 'REDIRECT_PREFIX', redirect_prefix: 'https://example.com', redirect_http_code: 308 }, 'REDIRECT_PREFIX', 308],
    [{ action: 'REDIRECT_TO_URL', redirect_url: 'http://example.com/', redirect_http_code: 301 }, 'REDIRECT_TO_URL', 301],
    [{ action: 'REDIRECT_TO_POOL', redirect_pool_id: s.other, redirect_http_code: 301 }, 'REDIRECT_TO_POOL', null],
    // Octavia's sanitizing: a redirect field implies its action.
    [{ action: 'REJECT', redirect_prefix: 'https://example.net' }, 'REDIRECT_PREFIX', 302],
  ];
  for (const [body, action, code] of cases) {
    const r = await postPolicy({ listener_id: s.listener, ...body });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual([r.body.l7policy.action, r.body.l7policy.redirect_http_code], [action, code], JSON.stringify(body));
    await settled(t, s.lb);
  }
  const bad = await postPolicy({ listener_id: s.listener, action: 'REDIRECT_TO_URL', redirect_url: 'http://x/', redirect_http_code: 304 });
  assert.equal(bad.status, 400);
  assert.match(bad.body.faultstring, /^Invalid input for field\/attribute redirect_http_code\. Value: '304'\. Value should be one of: 301, 302, 303, 307, 308$/);
});

test('positions: inserting at a taken one shifts the rest, past the end appends, updates move, deletes close the gap', async () => {
  const s = await scene('l7-positions');
  const make = async (name: string, position?: number) => {
    const r = await postPolicy({ name, listener_id: s.listener, action: 'REJECT', ...(position === undefined ? {} : { position }) });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await settled(t, s.lb);
    return r.body.l7policy.id as string;
  };
  const a = await make('a');
  await make('b', 1);
  const c = await make('c', 99);
  const d = await make('d', 2);
  assert.deepEqual(await order(s.listener), ['b', 'd', 'a', 'c']);
  const moved = await call(t.app, 'PUT', `/v2/lbaas/l7policies/${c}`, { l7policy: { position: 1 } });
  assert.equal(moved.body.l7policy.position, 1);
  await settled(t, s.lb);
  assert.deepEqual(await order(s.listener), ['c', 'b', 'd', 'a']);
  await call(t.app, 'PUT', `/v2/lbaas/l7policies/${a}`, { l7policy: { position: 2 } });
  await settled(t, s.lb);
  assert.deepEqual(await order(s.listener), ['c', 'a', 'b', 'd']);
  await call(t.app, 'PUT', `/v2/lbaas/l7policies/${c}`, { l7policy: { position: 2147483647 } });
  await settled(t, s.lb);
  assert.deepEqual(await order(s.listener), ['a', 'b', 'd', 'c']);
  assert.equal((await call(t.app, 'DELETE', `/v2/lbaas/l7policies/${d}`)).status, 204);
  await settled(t, s.lb);
  assert.deepEqual(await order(s.listener), ['a', 'b', 'c']);
  const listener = (await call(t.app, 'GET', `/v2/lbaas/listeners/${s.listener}`)).body.listener;
  assert.equal(listener.l7policies.length, 3);
  for (const bad of [0, -1, 2147483648, 1.5]) {
    const r = await postPolicy({ listener_id: s.listener, action: 'REJECT', position: bad });
    assert.equal(r.status, 400, String(bad));
    assert.match(r.body.faultstring, /field\/attribute position/);
  }
});

test('bad policies are refused with 400 (404 for a missing pool) naming the field, and nothing is written', async () => {
  const s = await scene('l7-bad');
  const far = await scene('l7-bad-far');
  const tcp = (await call(t.app, 'POST', '/v2/lbaas/pools', { pool: { protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: s.lb } })).body.pool.id;
  await settled(t, s.lb);
  const tcpListener = (await call(t.app, 'POST', '/v2/lbaas/listeners', { listener: { protocol: 'TCP', protocol_port: 81, loadbalancer_id: s.lb } })).body.listener.id;
  await settled(t, s.lb);
  const L = s.listener;
  const cases: [Record<string, unknown>, number, string, string | RegExp][] = [
    [{ listener_id: L }, 400, 'action', "Invalid input for field/attribute action. Value: 'None'. Mandatory field missing."],
    [{ listener_id: L, action: 'ALLOW' }, 400, 'action', /^Invalid input for field\/attribute action\. Value: 'ALLOW'\. Value should be one of: /],
    [{ action: 'REJECT' }, 400, 'listener_id', "Invalid input for field/attribute listener_id. Value: 'None'. Mandatory field missing."],
    [{ listener_id: L, action: 'REDIRECT_TO_URL' }, 400, 'redirect_url', 'Invalid L7 Policy arguments: redirect_url must not be None'],
    [{ listener_id: L, action: 'REDIRECT_PREFIX' }, 400, 'redirect_prefix', 'Invalid L7 Policy arguments: redirect_prefix must not be None'],
    [{ listener_id: L, action: 'REDIRECT_TO_POOL' }, 400, 'redirect_pool_id', 'Invalid L7 Policy arguments: redirect_pool_id or redirect_pool must not be None'],
    // As Octavia's sanitizing: the action clears redirect_url, not redirect_prefix.
    [{ listener_id: L, action: 'REDIRECT_TO_POOL', redirect_pool_id: s.other, redirect_prefix: 'http://x' }, 400, 'redirect_pool_id',
      'Invalid L7 Policy arguments: Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time'],
    ...['javascript:alert(1)', 'ftp://example.com/', 'http://', 'http://a b/', 'http://x/"', 'http://x/\\', 'http://x/%zz', 'http://x/\nlisten evil', 'http://x/é', '/relative']
      .map((url): [Record<string, unknown>, number, string, string] => [{ listener_id: L, action: 'REDIRECT_TO_URL', redirect_url: url }, 400, 'redirect_url',
        `Invalid input for field/attribute redirect_url. Value: '${url}'. Value must be a valid URL string`]),
    [{ listener_id: L, action: 'REDIRECT_PREFIX', redirect_prefix: 'https://x y' }, 400, 'redirect_prefix',
      "Invalid input for field/attribute redirect_prefix. Value: 'https://x y'. Value must be a valid URL string"],
    [{ listener_id: L, action: 'REDIRECT_TO_POOL', redirect_pool_id: far.other }, 404, 'redirect_pool_id', `Pool ${far.other} not found.`],
    [{ listener_id: L, action: 'REDIRECT_TO_POOL', redirect_pool_id: tcp }, 400, 'pool protocol',
      "Validation failure: The pool protocol 'TCP' is invalid while the listener protocol is 'HTTP'."],
    [{ listener_id: tcpListener, action: 'REJECT' }, 400, 'listener_id',
      `Validation failure: listener_id ${tcpListener} is a TCP listener; L7 policies need an HTTP or TERMINATED_HTTPS listener.`],
    [{ listener_id: far.listener, action: 'REDIRECT_TO_POOL', redirect_pool_id: far.pool, rules: [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '/' }] }, 201, '', ''],
    [{ listener_id: L, action: 'REJECT', rules: [{ type: 'HEADER', compare_type: 'EQUAL_TO', value: 'x' }] }, 400, 'key',
      'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a key'],
    [{ listener_id: L, action: 'REJECT', rules: Array.from({ length: 51 }, () => ({ type: 'PATH', compare_type: 'EQUAL_TO', value: '/' })) }, 409, 'rules',
      /^Too many rules on L7 policy /],
    [{ listener_id: L, action: 'REJECT', bogus: 1 }, 400, 'bogus', 'Unknown attribute for argument l7policy_.l7policy: bogus'],
    [{ listener_id: L, action: 'REJECT', rules: [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '/', project_id: PROJECT }] }, 400, 'project_id',
      'Unknown attribute for argument l7policy_.l7policy.rules: project_id'],
  ];
  const count = async () => (await call(t.app, 'GET', '/v2/lbaas/l7policies')).body.l7policies.length as number;
  for (const [body, status, field, message] of cases) {
    const before = await count();
    const r = await postPolicy(body);
    assert.equal(r.status, status, `${JSON.stringify(body)} → ${JSON.stringify(r.body)}`);
    if (status === 201) {
      await settled(t, far.lb);
      continue;
    }
    assert.equal(r.body.faultcode, 'Client');
    if (typeof message === 'string') assert.equal(r.body.faultstring, message);
    else assert.match(r.body.faultstring, message);
    // Octavia's 404 for a pool is `Pool <id> not found.`; every 400 names its field.
    if (status === 400) assert.ok(r.body.faultstring.includes(field), `${r.body.faultstring} names ${field}`);
    assert.equal(await count(), before, `nothing written for ${JSON.stringify(body).slice(0, 80)}`);
  }
  // far.pool now serves far.listener by default and by policy; another listener may not use it.
  const far2 = (await call(t.app, 'POST', '/v2/lbaas/listeners', { listener: { protocol: 'HTTP', protocol_port: 8080, loadbalancer_id: far.lb } })).body.listener.id;
  await settled(t, far.lb);
  const shared = await postPolicy({ listener_id: far2, action: 'REDIRECT_TO_POOL', redirect_pool_id: far.pool });
  assert.equal(shared.status, 400);
  assert.equal(shared.body.faultstring, `Validation failure: redirect_pool_id ${far.pool} already serves listener ${far.listener}; a pool serves one listener.`);
  // The PROMETHEUS listener has no children at all (Octavia's ListenerNoChildren).
  const prom = (await call(t.app, 'POST', '/v2/lbaas/listeners', { listener: { protocol: 'PROMETHEUS', protocol_port: 9100, loadbalancer_id: s.lb } })).body.listener.id;
  await settled(t, s.lb);
  const pr = await postPolicy({ listener_id: prom, action: 'REJECT' });
  assert.deepEqual([pr.status, pr.body.faultstring], [400, 'Protocol PROMETHEUS listeners cannot have child objects.']);
});

test('rules follow Octavia\'s l7rule_data with the field named; hostile values are refused or kept verbatim', async () => {
  const s = await scene('l7-rules');
  const p = (await postPolicy({ listener_id: s.listener, action: 'REDIRECT_TO_POOL', redirect_pool_id: s.other })).body.l7policy.id;
  await settled(t, s.lb);
  const E = 'Error parsing L7Rule: ';
  const refused: [Record<string, unknown>, string, string | RegExp][] = [
    [{ type: 'HEADER', compare_type: 'EQUAL_TO', value: 'v' }, 'key', `${E}Invalid L7 Rule: L7 rule type requires a key`],
    [{ type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X A', value: 'v' }, 'key', `${E}Invalid characters in key`],
    [{ type: 'HEADER', compare_type: 'EQUAL_TO', key: "X'A", value: 'v' }, 'key', `${E}Invalid characters in key`],
    [{ type: 'COOKIE', compare_type: 'EQUAL_TO', key: 'a,b', value: 'v' }, 'key', `${E}Invalid characters in key`],
    [{ type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-A', value: 'a b' }, 'value', `${E}Invalid characters in header value`],
    [{ type: 'COOKIE', compare_type: 'EQUAL_TO', key: 'c', value: 'a;b' }, 'value', `${E}Invalid characters in cookie value`],
    [{ type: 'COOKIE', compare_type: 'EQUAL_TO', key: 'c', value: 'a"b' }, 'value', `${E}Invalid characters in cookie value`],
    [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '/a b' }, 'value', `${E}Invalid characters in comparison value`],
    [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '' }, 'value', `${E}Invalid L7 Rule: L7 rule type requires a value`],
    [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '/a\nlisten evil' }, 'value', /^Invalid input for field\/attribute value\. .*Value should match the pattern/s],
    [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '/a\u0000b' }, 'value', `${E}Invalid characters in value`],
    [{ type: 'PATH', compare_type: 'REGEX', value: '/a\tb\u001b' }, 'value', `${E}Invalid characters in value`],
    [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '/é' }, 'value', `${E}Invalid characters in value`],
    [{ type: 'PATH', compare_type: 'REGEX', value: '(' }, 'value', /^Error parsing L7Rule: Unable to parse regular expression: /],
    [{ type: 'PATH', compare_type: 'REGEX', value: 'a\\y' }, 'value', /^Error parsing L7Rule: Unable to parse regular expression: /],
    [{ type: 'FILE_TYPE', compare_type: 'CONTAINS', value: 'jpg' }, 'compare_type', `${E}Invalid L7 Rule: invalid comparison type for rule type`],
    [{ type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'false' }, 'value', `${E}Invalid L7 Rule: L7rule value false is not a boolean True string.`],
    [{ type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', key: 'k', value: 'true' }, 'key', `${E}Invalid L7 Rule: L7rule type SSL_CONN_HAS_CERT does not use the "key" field.`],
    [{ type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '-1' }, 'value', `${E}Invalid L7 Rule: L7rule type SSL_VERIFY_RESULT needs a int value, which is >= 0`],
    [{ type: 'SSL_VERIFY_RESULT', compare_type: 'REGEX', value: '1' }, 'compare_type', `${E}Invalid L7 Rule: L7rule type SSL_VERIFY_RESULT only supports the EQUAL_TO compare type.`],
    [{ type: 'SSL_DN_FIELD', compare_type: 'EQUAL_TO', key: '1CN', value: 'x' }, 'key', `${E}Invalid L7 Rule: Invalid L7rule distinguished name field.`],
    [{ type: 'SSL_DN_FIELD', compare_type: 'EQUAL_TO', value: 'x' }, 'key', `${E}Invalid L7 Rule: L7rule type SSL_DN_FIELD needs to specify a key and a value.`],
    [{ type: 'PATH', compare_type: 'EQUAL_TO', value: 'x'.repeat(256) }, 'value', /Value should have a maximum character requirement of 255/],
    [{ type: 'NOPE', compare_type: 'EQUAL_TO', value: 'x' }, 'type', /^Invalid input for field\/attribute type\. Value: 'NOPE'\. Value should be one of: /],
  ];
  for (const [body, field, message] of refused) {
    const r = await postRule(p, body);
    assert.equal(r.status, 400, `${JSON.stringify(body)} → ${JSON.stringify(r.body)}`);
    if (typeof message === 'string') assert.equal(r.body.faultstring, message);
    else assert.match(r.body.faultstring, message);
    assert.ok(['key', 'value', 'type', 'compare_type'].includes(field));
  }
  assert.deepEqual((await call(t.app, 'GET', `/v2/lbaas/l7policies/${p}/rules`)).body.rules, [], 'nothing written');
  // Octavia's characters are kept as given: HAProxy gets them quoted (render.test, e2e/l7.test).
  const kept: Record<string, unknown>[] = [
    { type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-Odd#$%&*+.^_`|~', value: `a#b'c"d\\e%[x]` },
    { type: 'HEADER', compare_type: 'CONTAINS', key: 'X-Q', value: '"quoted with spaces"' },
    { type: 'COOKIE', compare_type: 'STARTS_WITH', key: 'c', value: "#$%&'()*+,-./:<=>?@[]^_`{|}~" },
    { type: 'PATH', compare_type: 'REGEX', value: '^/(a|b) c\\.d["#]$' },
    { type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'TRUE', invert: true },
    { type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '0' },
    { type: 'SSL_DN_FIELD', compare_type: 'STARTS_WITH', key: 'OU-3', value: 'Orgnization Bala' },
    { type: 'FILE_TYPE', compare_type: 'EQUAL_TO', value: 'jpg' },
  ];
  for (const body of kept) {
    const r = await postRule(p, body);
    assert.equal(r.status, 201, `${JSON.stringify(body)} → ${JSON.stringify(r.body)}`);
    assert.equal(r.body.rule.value, body.value);
    await settled(t, s.lb);
  }
  // An update is checked as a whole: a HEADER rule needs its key.
  const path = (await call(t.app, 'GET', `/v2/lbaas/l7policies/${p}/rules?type=FILE_TYPE`)).body.rules[0].id;
  const up = await call(t.app, 'PUT', `/v2/lbaas/l7policies/${p}/rules/${path}`, { rule: { type: 'HEADER', compare_type: 'EQUAL_TO' } });
  assert.deepEqual([up.status, up.body.faultstring], [400, `${E}Invalid L7 Rule: L7 rule type requires a key`]);
  // A rule of a policy that is not ACTIVE waits (Octavia's 409 names the policy).
  const restore = await holdStatus(t.store, 'l7policy', p, 'PENDING_UPDATE');
  const held = await postRule(p, { type: 'PATH', compare_type: 'EQUAL_TO', value: '/' });
  assert.deepEqual([held.status, held.body.faultstring], [409, `L7Policy ${p} is immutable and cannot be updated.`]);
  await restore();
  const unknown = '11111111-2222-3333-4444-555555555555';
  assert.equal((await postRule(unknown, { type: 'PATH', compare_type: 'EQUAL_TO', value: '/' })).body.faultstring, `L7Policy ${unknown} not found.`);
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/l7policies/${p}/rules/${unknown}`)).body.faultstring, `L7 Rule ${unknown} not found.`);
});

test('at most 50 rules on a policy: the 51st is 409', async () => {
  const s = await scene('l7-max');
  const rules = Array.from({ length: 50 }, (_, i) => ({ type: 'PATH', compare_type: 'EQUAL_TO', value: `/${i}` }));
  const p = await postPolicy({ listener_id: s.listener, action: 'REJECT', rules });
  assert.equal(p.status, 201);
  assert.equal(p.body.l7policy.rules.length, 50);
  await settled(t, s.lb);
  const r = await postRule(p.body.l7policy.id, { type: 'PATH', compare_type: 'EQUAL_TO', value: '/51' });
  assert.deepEqual([r.status, r.body.faultstring], [409, `Too many rules on L7 policy ${p.body.l7policy.id}`]);
});

test('cascades: a redirect pool cannot be deleted, a listener takes its policies along, the status tree shows redirect pools', async () => {
  const s = await scene('l7-cascade');
  const p = await postPolicy({
    listener_id: s.listener, action: 'REDIRECT_TO_POOL', redirect_pool_id: s.other,
    rules: [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' }],
  });
  assert.equal(p.status, 201);
  const policy = p.body.l7policy.id;
  const rule = p.body.l7policy.rules[0].id;
  await settled(t, s.lb);
  // Octavia's Pool.listeners and Listener.pools include the L7 way in.
  assert.deepEqual((await call(t.app, 'GET', `/v2/lbaas/pools/${s.other}`)).body.pool.listeners, [{ id: s.listener }]);
  const tree = (await call(t.app, 'GET', `/v2/lbaas/loadbalancers/${s.lb}/status`)).body.statuses.loadbalancer;
  assert.deepEqual(tree.listeners[0].pools.map((x: { id: string }) => x.id), [s.pool, s.other]);
  assert.equal(tree.listeners[0].l7policies, undefined, 'Octavia\'s status tree has no L7 policies');
  const del = await call(t.app, 'DELETE', `/v2/lbaas/pools/${s.other}`);
  assert.deepEqual([del.status, del.body.faultstring], [409, `Pool ${s.other} is in use by L7 policy ${policy}`]);
  // A pool that a policy redirects to cannot become another listener's default pool.
  const l2 = await call(t.app, 'POST', '/v2/lbaas/listeners', { listener: { protocol: 'HTTP', protocol_port: 81, loadbalancer_id: s.lb, default_pool_id: s.other } });
  assert.equal(l2.status, 400);
  assert.match(l2.body.faultstring, /^Validation failure: default_pool_id .* already serves listener .* through L7 policy .*; a pool serves one listener\.$/);

  assert.equal((await call(t.app, 'DELETE', `/v2/lbaas/listeners/${s.listener}`)).status, 204);
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/l7policies/${policy}`)).body.l7policy.provisioning_status, 'PENDING_DELETE');
  await settled(t, s.lb);
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/l7policies/${policy}`)).status, 404);
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/l7policies/${policy}/rules/${rule}`)).status, 404);
  assert.equal((await call(t.app, 'DELETE', `/v2/lbaas/pools/${s.other}`)).status, 204);
  await settled(t, s.lb);

  // A load balancer's cascade delete takes policies and rules along.
  const s2 = await scene('l7-cascade-lb');
  const p2 = await postPolicy({ listener_id: s2.listener, action: 'REJECT', rules: [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '/x' }] });
  await settled(t, s2.lb);
  assert.equal((await call(t.app, 'DELETE', `/v2/lbaas/loadbalancers/${s2.lb}?cascade=true`)).status, 204);
  await waitFor(t.app, `/v2/lbaas/loadbalancers/${s2.lb}`, 'loadbalancer', 'DELETED');
  assert.equal((await call(t.app, 'GET', `/v2/lbaas/l7policies/${p2.body.l7policy.id}`)).status, 404);
});

test('a fully-populated create takes listeners[].l7policies[] with rules and redirect pools by name or defined inline', async () => {
  const r = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', {
    loadbalancer: {
      name: 'l7-graph', vip_subnet_id: t.subnetId,
      pools: [{ name: 'api', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '192.0.2.10', protocol_port: 80 }] }],
      listeners: [{
        protocol: 'HTTP', protocol_port: 80,
        default_pool: { name: 'web', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' },
        l7policies: [
          { name: 'to-api', action: 'REDIRECT_TO_POOL', redirect_pool: { name: 'api' }, rules: [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' }] },
          { name: 'to-static', action: 'REDIRECT_TO_POOL', position: 1, redirect_pool: { name: 'static', protocol: 'HTTP', lb_algorithm: 'LEAST_CONNECTIONS' },
            rules: [{ type: 'FILE_TYPE', compare_type: 'EQUAL_TO', value: 'css' }, { type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-S', value: '1', invert: true }] },
          { name: 'old', action: 'REDIRECT_TO_URL', redirect_url: 'https://example.com/new', redirect_http_code: 301 },
        ],
      }],
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const lb = r.body.loadbalancer;
  const l = lb.listeners[0];
  assert.deepEqual(Object.keys(l)[0], 'l7policies');
  assert.deepEqual(l.l7policies.map((p: { name: string; position: number }) => [p.name, p.position]), [['to-static', 1], ['to-api', 2], ['old', 3]]);
  const byName = Object.fromEntries(lb.pools.map((p: { name: string; id: string }) => [p.name, p]));
  assert.deepEqual(Object.keys(byName).sort(), ['api', 'static', 'web']);
  assert.equal(l.l7policies[0].redirect_pool_id, byName.static.id);
  assert.equal(l.l7policies[1].redirect_pool_id, byName.api.id);
  assert.deepEqual(Object.keys(l.l7policies[0].rules[0]).sort(), RULE_KEYS, 'full rules, as L7PolicyFullResponse');
  assert.deepEqual(l.l7policies[0].rules.map((x: { type: string; invert: boolean }) => [x.type, x.invert]), [['FILE_TYPE', false], ['HEADER', true]]);
  assert.equal(l.l7policies[2].redirect_http_code, 301);
  assert.deepEqual(byName.api.listeners, [{ id: l.id }]);
  await settled(t, lb.id);
  const shown = (await call(t.app, 'GET', `/v2/lbaas/l7policies/${l.l7policies[0].id}`)).body.l7policy;
  assert.deepEqual([shown.provisioning_status, shown.rules.length], ['ACTIVE', 2]);
  const rules = (await call(t.app, 'GET', `/v2/lbaas/l7policies/${shown.id}/rules`)).body.rules;
  assert.deepEqual(rules.map((x: { provisioning_status: string }) => x.provisioning_status), ['ACTIVE', 'ACTIVE']);

  const before = (await call(t.app, 'GET', '/v2/lbaas/loadbalancers')).body.loadbalancers.length;
  const bad: [Record<string, unknown>, string][] = [
    [{ action: 'REDIRECT_TO_POOL', redirect_pool: { name: 'nowhere' } }, "Validation failure: Pool 'nowhere' was referenced but no full definition was found."],
    [{ action: 'REDIRECT_TO_POOL', redirect_pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }, 'Validation failure: Pools must be named when creating a fully populated loadbalancer.'],
    [{ action: 'REDIRECT_TO_POOL', redirect_pool_id: byName.api.id }, 'Unknown attribute for argument load_balancer.loadbalancer.listeners.l7policies: redirect_pool_id'],
    [{ action: 'REJECT', rules: [{ type: 'COOKIE', compare_type: 'EQUAL_TO', value: 'x' }] }, 'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a key'],
  ];
  for (const [policy, message] of bad) {
    const x = await call(t.app, 'POST', '/v2/lbaas/loadbalancers', {
      loadbalancer: { vip_subnet_id: t.subnetId, listeners: [{ protocol: 'HTTP', protocol_port: 80, l7policies: [policy] }] },
    });
    assert.deepEqual([x.status, x.body.faultstring], [400, message]);
  }
  assert.equal((await call(t.app, 'GET', '/v2/lbaas/loadbalancers')).body.loadbalancers.length, before);
});
