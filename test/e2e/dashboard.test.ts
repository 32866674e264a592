/**
 * @module test/e2e/dashboard.test — the dashboard used as a person would, in Debian's chromium
 * driven by playwright-core, against `fulcrum up` as a user starts it (embedded identity, the
 * HAProxy provider on the netns driver): sign in as demo with the credentials `fulcrum up` wrote;
 * a wrong field gets the API's message in the form; create the seed's scene in one form (listener,
 * pool, health monitor, two members) and see it go ACTIVE, its members ONLINE and its traffic
 * (requests sent from a client namespace) without reloading the page; kill a member's web server
 * and see the member turn ERROR and the load balancer DEGRADED live, disable it from the page and
 * see the load balancer ONLINE again; demo sees no configuration,
 * admin reads the rendered haproxy.cfg; delete it from the page. Screenshots go to
 * test-artifacts/dashboard/ (git-ignored); FULCRUM_DOCS_SCREENSHOT=1 also writes docs/dashboard.png.
 *
 * Needs root (namespaces) and /usr/bin/chromium (scripts/install-system-deps.sh --test installs
 * it; the test tries apt-get itself first and skips, saying why, only when it cannot be had).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort, stopChildProcess } from '../../bench/lib/process.js';
import { parseOpenrc } from '../../src/cli/session.js';
import { curlFrom, deleteHost } from '../../src/drivers/interface/hosts.js';
import { bridgeOf, NetnsInterfaceDriver } from '../../src/drivers/interface/netns.js';
import { run } from '../../src/drivers/sys/exec.js';
import { ipBatch, killNamespaceProcesses, linkExists, listNetns, netnsExists } from '../../src/drivers/sys/ip.js';
import { api, type Endpoint } from '../../src/lab/api-client.js';
import { createStandIn } from '../../src/lab/hosts-command.js';
import { until } from '../helpers/scene.js';

const CHROMIUM = '/usr/bin/chromium';
const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const ARTIFACTS = join(REPO, 'test-artifacts', 'dashboard');
/** How long the page may take to show a change the API already made (generous: a loaded 2-core machine). */
const SHOWN_MS = 30_000;

/** Why the file is skipped, or false. Tries to install chromium once when it is missing. */
function skipReason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (namespaces, bridges, HAProxy in namespaces)';
  if (spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status !== 0) return 'haproxy is not installed (bash scripts/install-system-deps.sh)';
  if (!existsSync(CHROMIUM)) {
    spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=120', 'install', '-y', '-qq', '--no-install-recommends', 'chromium'], {
      stdio: 'ignore', timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing and apt-get could not install chromium (bash scripts/install-system-deps.sh --test)`;
  return false;
}
const skip = skipReason();


/** Two distinct random /24s in 10.221–229.x not routed in the root namespace. */
async function pickNets(): Promise<[string, string]> {
  const { stdout } = await run(['ip', '-4', 'route', 'show']);
  for (let i = 0; i < 100; i++) {
    const a = 221 + Math.floor(Math.random() * 9);
    const b = Math.floor(Math.random() * 254);
    const nets = [`10.${a}.${b}`, `10.${a}.${b + 1}`] as const;
    if (!nets.some((n) => stdout.includes(`${n}.`))) return [nets[0], nets[1]];
  }
  throw new Error('no free pair of /24s');
}

/** Everything this run made, removed by `after` even when a test failed. */
const prefix = `dz${randomBytes(3).toString('hex')}`;
let dir = '';
let server: ChildProcess | undefined;
let url = '';
let demo: Endpoint = { url: '' };
let admin: Endpoint = { url: '' };
let demoCreds: Record<string, string> = {};
let adminCreds: Record<string, string> = {};
const networks: string[] = [];
const lbIds = new Set<string>();
let browser: Browser | undefined;
let lbNet = '';
let lbSubnetName = '';
let webSubnetName = '';
const web: Record<string, string> = {};
const client = `${prefix}-cli`;

async function token(creds: Record<string, string>): Promise<string> {
  const r = await fetch(`${url}/v3/auth/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: creds.OS_USERNAME, domain: { name: 'Default' }, password: creds.OS_PASSWORD } } }, scope: { project: { name: creds.OS_PROJECT_NAME, domain: { name: 'Default' } } } } }),
  });
  assert.equal(r.status, 201, await r.clone().text());
  return r.headers.get('x-subject-token')!;
}

async function shot(page: Page, name: string, docs = false): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  if (docs && process.env.FULCRUM_DOCS_SCREENSHOT === '1') copyFileSync(file, join(REPO, 'docs', 'dashboard.png'));
}

/** A new page signed in through the form as `creds`, at 1440×900 (a laptop). */
async function signedIn(creds: Record<string, string>): Promise<Page> {
  const context = await browser!.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  // Script errors and anything the Content-Security-Policy refused fail the test (checked in `closed`).
  page.on('pageerror', (err) => pageProblems.push(`page error: ${err.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content.Security.Policy|Refused to/i.test(m.text())) pageProblems.push(`console: ${m.text()}`);
  });
  await page.goto(`${url}/dashboard`);
  await page.getByLabel('User name').fill(creds.OS_USERNAME!);
  await page.getByLabel('Password').fill(creds.OS_PASSWORD!);
  await page.getByLabel('Project').fill(creds.OS_PROJECT_NAME!);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Load balancers' }).waitFor();
  await page.locator('#live.ok').waitFor({ timeout: SHOWN_MS });
  return page;
}

const pageProblems: string[] = [];

/** Closes a page's context, after checking that no script error or CSP refusal happened in it. */
async function closed(page: Page): Promise<void> {
  await page.context().close();
  assert.deepEqual(pageProblems, []);
}

const row = (page: Page, name: string) => page.locator('#lb-rows tr', { has: page.getByRole('button', { name: `${name}: show details` }) });

describe('the dashboard in chromium against fulcrum up (embedded identity, HAProxy on netns)', { skip }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fulcrum-dashboard-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const log = openSync(join(dir, 'fulcrum.log'), 'a');
    try {
      server = spawn(process.execPath, [MAIN, 'up', '--data-dir', join(dir, 'data'), '--listen', `127.0.0.1:${port}`,
        '--provider', 'haproxy', '--interface-driver', 'netns', '--log-level', 'info'], { stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
    await until('fulcrum up answering /healthcheck', async () => {
      if (server!.exitCode !== null) throw new Error(`fulcrum up exited ${server!.exitCode}: ${readFileSync(join(dir, 'fulcrum.log'), 'utf8')}`);
      return (await fetch(`${url}/healthcheck`)).status === 200 ? true : undefined;
    }, 30_000);
    demoCreds = parseOpenrc(readFileSync(join(dir, 'data', 'demo-openrc'), 'utf8')) as Record<string, string>;
    adminCreds = parseOpenrc(readFileSync(join(dir, 'data', 'admin-openrc'), 'utf8')) as Record<string, string>;
    demo = { url, token: await token(demoCreds) };
    admin = { url, token: await token(adminCreds) };
    // The seed's networks, as demo: lbaas for the VIP and the client, webserver for web1 and web2.
    const [a, b] = await pickNets();
    lbNet = a;
    const network = async (name: string, net: string): Promise<string> => {
      const n = (await api(demo, 'POST', '/v2.0/networks', { network: { name: `${prefix}-${name}` } })).network;
      networks.push(n.id);
      const s = (await api(demo, 'POST', '/v2.0/subnets', { subnet: { network_id: n.id, name: `${prefix}-${name}-subnet`, ip_version: 4, cidr: `${net}.0/24` } })).subnet;
      return s.id as string;
    };
    const lbSubnet = await network('lbaas', a);
    const webSubnet = await network('webserver', b);
    lbSubnetName = `${prefix}-lbaas-subnet`;
    webSubnetName = `${prefix}-webserver-subnet`;
    for (const name of ['web1', 'web2']) web[name] = await createStandIn(demo, `${prefix}-${name}`, webSubnet, { serveHttp: name, gateway: false });
    await createStandIn(demo, client, lbSubnet, { gateway: false });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    const up = server !== undefined && server.exitCode === null && server.signalCode === null;
    if (up) {
      for (const id of lbIds) {
        await api(admin, 'DELETE', `/v2/lbaas/loadbalancers/${id}?cascade=true`).catch(() => undefined);
        await until(`${id} deleted`, async () => ((await fetch(`${url}/v2/lbaas/loadbalancers/${id}`, { headers: { 'x-auth-token': admin.token! } })).status === 404 ? true : undefined), 30_000)
          .catch(() => undefined);
      }
    }
    if (server) await stopChildProcess(server, 15_000);
    // Whatever Fulcrum could not remove, and the hosts and bridges this run made.
    const driver = new NetnsInterfaceDriver();
    for (const id of lbIds) {
      if (!netnsExists(`qlbaas-${id}`)) continue;
      await killNamespaceProcesses(`qlbaas-${id}`).catch(() => undefined);
      await driver.unplug(id).catch(() => undefined);
    }
    for (const ns of listNetns().filter((n) => n.startsWith(`${prefix}-`))) await deleteHost(ns).catch(() => undefined);
    for (const net of networks) if (linkExists(bridgeOf(net))) await ipBatch([`link del ${bridgeOf(net)}`]).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
    const left = [
      ...listNetns().filter((n) => n.startsWith(`${prefix}-`) || [...lbIds].some((id) => n === `qlbaas-${id}`)),
      ...networks.map(bridgeOf).filter(linkExists),
    ];
    assert.deepEqual(left, [], 'everything this run made is gone');
  });

  test("demo signs in, creates the seed's scene in one form, sees it ACTIVE and serving live, a killed member ERROR and the load balancer DEGRADED, then deletes it", async () => {
    const page = await signedIn(demoCreds);
    // A marker in the page's global scope: still there at the end means the page never reloaded.
    await page.evaluate(() => { (window as unknown as { fulcrumTestMarker: number }).fulcrumTestMarker = 42; });
    assert.equal(await page.locator('#config').isHidden(), true, 'demo is no admin: no configuration panel');

    await page.getByRole('button', { name: 'Create load balancer' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create load balancer' });
    await dialog.locator('#c-name').fill('lb1');
    const subnetOption = await dialog.getByLabel('VIP subnet').locator('option', { hasText: lbSubnetName }).getAttribute('value');
    await dialog.getByLabel('VIP subnet').selectOption(subnetOption!);
    await dialog.getByLabel('VIP address').fill(`${lbNet}.7`);
    await dialog.locator('#c-l-name').fill('listener1');
    await dialog.locator('#c-p-name').fill('pool1');
    await dialog.getByLabel('Delay (s)').fill('1');
    await dialog.getByLabel('Timeout (s)').fill('1');
    await dialog.getByLabel('Retries up').fill('2');
    await dialog.getByLabel('Retries down').fill('2');
    const webSubnetOption = await dialog.getByLabel('Member 1 subnet').locator('option', { hasText: webSubnetName }).getAttribute('value');
    await dialog.getByLabel('Member 1 name').fill('web1');
    await dialog.getByLabel('Member 1 address').fill(web.web1!);
    await dialog.getByLabel('Member 1 subnet').selectOption(webSubnetOption!);
    // The second member row is added with the keyboard: Enter on the focused button.
    await dialog.getByRole('button', { name: 'Add member' }).focus();
    await page.keyboard.press('Enter');
    await dialog.getByLabel('Member 2 name').fill('web2');
    await dialog.getByLabel('Member 2 address').fill(web.web2!);
    await dialog.getByLabel('Member 2 subnet').selectOption(webSubnetOption!);

    // A wrong port first: the API's own message, naming the field, inside the form; nothing created.
    await dialog.getByLabel('Port', { exact: true }).fill('70000');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    const formError = dialog.getByRole('alert');
    await formError.filter({ hasText: 'protocol_port' }).waitFor({ timeout: SHOWN_MS });
    assert.match(await formError.textContent() ?? '', /protocol_port.*HTTP 400, request req-/);
    assert.deepEqual((await api(demo, 'GET', '/v2/lbaas/loadbalancers')).loadbalancers, []);
    await shot(page, '1-create-error');
    await dialog.getByLabel('Port', { exact: true }).fill('80');
    const createdAt = Date.now();
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await dialog.waitFor({ state: 'hidden', timeout: SHOWN_MS });

    // ACTIVE and both members ONLINE, from the event stream.
    const lb = (await api(demo, 'GET', '/v2/lbaas/loadbalancers?name=lb1')).loadbalancers[0];
    assert.ok(lb, 'lb1 was created');
    lbIds.add(lb.id);
    await row(page, 'lb1').locator('td.prov', { hasText: 'ACTIVE' }).waitFor({ timeout: SHOWN_MS });
    process.stdout.write(`# Create pressed → ACTIVE on the page: ${Date.now() - createdAt} ms\n`);
    const member = (name: string) => page.locator('#tree tr.member', { has: page.getByRole('rowheader', { name }) });
    for (const name of ['web1', 'web2']) await member(name).locator('td.health', { hasText: 'ONLINE' }).waitFor({ timeout: SHOWN_MS });
    await row(page, 'lb1').locator('td.oper', { hasText: 'ONLINE' }).waitFor({ timeout: SHOWN_MS });
    const facts = await page.locator('#detail-facts').textContent();
    assert.match(facts ?? '', new RegExp(`${lbNet.replace(/\./g, '\\.')}\\.7`));

    // Traffic through the VIP from the client namespace: both web servers answer, and the page's
    // counters (the stream's stats events, every 5 s at most) show the connections.
    const answers = new Set<string>();
    for (let i = 0; i < 20; i++) answers.add((await curlFrom(client, `http://${lbNet}.7/`, 2)).trim());
    assert.deepEqual([...answers].sort(), ['web1', 'web2']);
    await page.locator('[data-stat="connections"] .value').filter({ hasText: /^[1-9]\d*$/ }).waitFor({ timeout: SHOWN_MS });
    // A gentle steady flow (one request every 100 ms) shows as a rate and a line.
    let pacing = true;
    const paced = (async () => {
      while (pacing) {
        await curlFrom(client, `http://${lbNet}.7/`, 2).catch(() => '');
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      await page.locator('[data-stat="rate"] .value').filter({ hasText: /^(?!0\.0 )\d+(\.\d)? conn\/s/ }).waitFor({ timeout: SHOWN_MS });
      await page.locator('#detail-traffic svg.spark polyline').waitFor({ timeout: SHOWN_MS });
      await shot(page, '2-active-with-traffic');

      // web2's web server dies: its health check fails, the member goes ERROR, pool and load balancer DEGRADED.
      const killedAt = Date.now();
      await killNamespaceProcesses(`${prefix}-web2`);
      await member('web2').locator('td.health', { hasText: 'ERROR' }).waitFor({ timeout: SHOWN_MS });
      process.stdout.write(`# web server killed → member ERROR on the page: ${Date.now() - killedAt} ms (monitor delay 1 s × 2 retries down)\n`);
      await row(page, 'lb1').locator('td.oper', { hasText: 'DEGRADED' }).waitFor({ timeout: SHOWN_MS });
      assert.equal(await member('web1').locator('td.health').textContent(), 'ONLINE');
      await page.locator('#activity li', { hasText: /member web2: ONLINE → ERROR/ }).waitFor({ timeout: SHOWN_MS });
      await page.locator('#tree li.pool > .head .badge', { hasText: 'DEGRADED' }).waitFor({ timeout: SHOWN_MS });
      await shot(page, '3-member-error-degraded', true);
    } finally {
      pacing = false;
      await paced;
    }

    // As on HAProxy's stats page: take the dead server out of rotation. Disabled, web2 is OFFLINE and
    // no longer counts against the pool, so the load balancer is ONLINE again.
    await page.getByRole('button', { name: 'Edit member web2' }).click();
    const memberDialog = page.getByRole('dialog', { name: 'Member web2' });
    await memberDialog.getByLabel('Enabled').uncheck();
    await memberDialog.getByRole('button', { name: 'Save' }).click();
    await memberDialog.waitFor({ state: 'hidden', timeout: SHOWN_MS });
    await member('web2').locator('td.health', { hasText: 'OFFLINE' }).waitFor({ timeout: SHOWN_MS });
    await row(page, 'lb1').locator('td.oper', { hasText: 'ONLINE' }).waitFor({ timeout: SHOWN_MS });
    await member('web2').locator('td.num', { hasText: '(admin down)' }).waitFor({ timeout: SHOWN_MS });

    // Delete from the page: a confirmation dialog, then the row goes when the stream says DELETED.
    await page.getByRole('button', { name: 'Delete…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete load balancer' });
    assert.match(await confirm.textContent() ?? '', /lb1/);
    await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
    await row(page, 'lb1').waitFor({ state: 'detached', timeout: SHOWN_MS });
    await until('lb1 deleted', async () => ((await fetch(`${url}/v2/lbaas/loadbalancers/${lb.id}`, { headers: { 'x-auth-token': demo.token! } })).status === 404 ? true : undefined), SHOWN_MS);
    lbIds.delete(lb.id);
    assert.equal(netnsExists(`qlbaas-${lb.id}`), false, 'its namespace is gone');
    await page.locator('#lb-empty').waitFor();
    assert.equal(await page.evaluate(() => (window as unknown as { fulcrumTestMarker?: number }).fulcrumTestMarker), 42, 'the page never reloaded');
    await closed(page);
  });

  test('admin sees every project and reads the rendered haproxy.cfg; the token stays out of URLs and localStorage', async () => {
    // A load balancer of demo's, made through the API this time.
    const subnets = (await api(demo, 'GET', `/v2.0/subnets?name=${lbSubnetName}`)).subnets;
    const created = (await api(demo, 'POST', '/v2/lbaas/loadbalancers', {
      loadbalancer: {
        name: 'lb2', vip_subnet_id: subnets[0].id, listeners: [{ name: 'web', protocol: 'HTTP', protocol_port: 8080 }],
        // A pool no listener uses: not in Octavia's status tree, shown apart.
        pools: [{ name: 'spare', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ name: 'web1-spare', address: web.web1, protocol_port: 80 }] }],
      },
    })).loadbalancer;
    lbIds.add(created.id);
    const page = await signedIn(adminCreds);
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    await row(page, 'lb2').locator('td.prov', { hasText: 'ACTIVE' }).waitFor({ timeout: SHOWN_MS });
    await page.getByRole('button', { name: 'lb2: show details' }).click();
    await page.locator('#tree', { hasText: 'Pools without a listener' }).locator('tr.member', { hasText: 'web1-spare' }).waitFor({ timeout: SHOWN_MS });
    await page.locator('#config summary').click();
    const pre = page.locator('#config-text');
    await pre.filter({ hasText: 'frontend' }).waitFor({ timeout: SHOWN_MS });
    const text = await pre.textContent();
    const listenerId = created.listeners[0].id as string;
    assert.match(text ?? '', new RegExp(`frontend ${listenerId}`));
    assert.match(text ?? '', /bind .*:8080/);
    assert.match(await page.locator('#config-meta').textContent() ?? '', /haproxy\.cfg as the haproxy provider wrote it/);
    await shot(page, '4-admin-config');
    const storage = await page.evaluate(() => ({ local: JSON.stringify(localStorage), session: Object.keys(sessionStorage) }));
    assert.equal(storage.local, '{}');
    assert.deepEqual(storage.session, ['fulcrum.dashboard.session']);
    for (const u of requested) assert.doesNotMatch(u, new RegExp(admin.token!.slice(0, 16)), u);
    // Sign out forgets the token and revokes it.
    const pageToken = await page.evaluate(() => JSON.parse(sessionStorage.getItem('fulcrum.dashboard.session')!).token as string);
    assert.equal((await fetch(`${url}/v2/lbaas/loadbalancers`, { headers: { 'x-auth-token': pageToken } })).status, 200);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.deepEqual(await page.evaluate(() => Object.keys(sessionStorage)), []);
    await until('the signed-out token refused', async () =>
      ((await fetch(`${url}/v2/lbaas/loadbalancers`, { headers: { 'x-auth-token': pageToken } })).status === 401 ? true : undefined), SHOWN_MS);
    await closed(page);
  });
});
