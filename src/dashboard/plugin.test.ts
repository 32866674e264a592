/**
 * @module dashboard/plugin.test — the dashboard's files behind the real API server (embedded
 * identity): served without a token, from the build (dist/) as from the sources, each with the
 * Content-Security-Policy; nothing else under /dashboard; and the page's own rules checked on its
 * source: no inline script or style (the CSP would block them), no HTML parsing of strings, the
 * token kept out of URLs and localStorage.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { makeTestApi, type TestApi } from '../../test/helpers/fixtures.js';
import { contentSecurityPolicy, dashboardRoutes, defaultPublicDir } from './plugin.js';

let t: TestApi;

before(async () => {
  t = await makeTestApi({ identity: true });
  await t.app.register(async (scope) => dashboardRoutes(scope, { identityUrl: '/v3' }));
});
after(() => t?.close());

test('the page, its script and style are served without a token, with the CSP, from the build', async () => {
  const expected = [
    ['/dashboard', 'text/html; charset=utf-8', 'index.html'],
    ['/dashboard/', 'text/html; charset=utf-8', 'index.html'],
    ['/dashboard/app.js', 'text/javascript; charset=utf-8', 'app.js'],
    ['/dashboard/style.css', 'text/css; charset=utf-8', 'style.css'],
  ] as const;
  // This test runs from dist/src/dashboard: the files come from src/dashboard/public.
  assert.match(defaultPublicDir(), /\/src\/dashboard\/public\/$/);
  for (const [url, type, file] of expected) {
    const r = await t.app.inject({ method: 'GET', url });
    assert.equal(r.statusCode, 200, url);
    assert.equal(r.headers['content-type'], type, url);
    assert.equal(r.body, readFileSync(`${defaultPublicDir()}${file}`, 'utf8'), url);
    assert.equal(r.headers['content-security-policy'], contentSecurityPolicy('/v3'), url);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
  }
  const cfg = await t.app.inject({ method: 'GET', url: '/dashboard/config.json' });
  assert.deepEqual(cfg.json(), { identity_url: '/v3' });
  // The API itself still needs a token.
  assert.equal((await t.app.inject({ method: 'GET', url: '/v2/lbaas/loadbalancers' })).statusCode, 401);
});

test('only those files: anything else under /dashboard is 404, paths do not reach the file system', async () => {
  for (const url of ['/dashboard/plugin.js', '/dashboard/..%2F..%2Fpackage.json', '/dashboard/../package.json', '/dashboard/index.htm']) {
    const r = await t.app.inject({ method: 'GET', url });
    assert.equal(r.statusCode, 404, url);
    assert.doesNotMatch(r.body, /fulcrum|"name"/, url);
  }
});

test('the CSP allows this origin only, plus an external Keystone\'s origin for signing in', () => {
  const csp = contentSecurityPolicy('/v3');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /connect-src 'self'(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(contentSecurityPolicy('https://keystone.example:5000/v3'), /connect-src 'self' https:\/\/keystone\.example:5000(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
});

test("the page's source keeps its rules: no inline script or style, no HTML from strings, the token never in a URL or localStorage", () => {
  const dir = defaultPublicDir();
  const html = readFileSync(`${dir}index.html`, 'utf8');
  const js = readFileSync(`${dir}app.js`, 'utf8');
  for (const m of html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)) {
    assert.match(m[0], /\bsrc="\/dashboard\/app\.js"/);
    assert.equal(m[1]!.trim(), '');
  }
  assert.doesNotMatch(html, /\sstyle=|<style|\son[a-z]+=/i);
  assert.doesNotMatch(js, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  assert.doesNotMatch(js, /localStorage/);
  assert.doesNotMatch(js, /[?&](token|auth_token|x-auth-token)=/i);
  // Every input and select of the page has a label.
  for (const m of html.matchAll(/<(input|select)\b[^>]*\bid="([^"]+)"/g)) {
    assert.match(html, new RegExp(`<label for="${m[2]}"`), `label for #${m[2]}`);
  }
});
