/** @module identity/requests.test — malformed bodies are 400 naming the field; unknown methods 401; good ones parse. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FulcrumError } from '../domain/errors.js';
import {
  parseAuthRequest, parsePasswordChange, parseProjectCreate, parseProjectUpdate, parseRoleCreate, parseUserCreate, parseUserUpdate,
} from './requests.js';

const pw = (user: unknown, extra: Record<string, unknown> = {}): unknown => ({ auth: { identity: { methods: ['password'], password: { user } }, ...extra } });

test('good authentication bodies parse into typed requests', () => {
  assert.deepEqual(parseAuthRequest(pw({ name: 'u', domain: { name: 'Default' }, password: 'p' }, { scope: { project: { name: 'x', domain: { id: 'default' } } } })), {
    methods: ['password'],
    password: { user: { name: 'u', domain: { name: 'Default' } }, password: 'p' },
    scope: { kind: 'project', project: { name: 'x', domain: { id: 'default' } } },
  });
  assert.deepEqual(parseAuthRequest(pw({ id: 'abc', password: 'p' }, { scope: { domain: { id: 'default' } } })).scope, { kind: 'domain', domain: { id: 'default' } });
  assert.deepEqual(parseAuthRequest(pw({ id: 'abc', password: 'p' }, { scope: 'unscoped' })).scope, { kind: 'unscoped' });
  assert.deepEqual(parseAuthRequest(pw({ id: 'abc', password: 'p' })).scope, { kind: 'default' });
  assert.deepEqual(parseAuthRequest({ auth: { identity: { methods: ['token', 'token'], token: { id: 't' } } } }), {
    methods: ['token'], token: { id: 't' }, scope: { kind: 'default' },
  });
});

test('malformed authentication bodies are 400 and name the field; the password never appears in the message', () => {
  const cases: [body: unknown, field: RegExp][] = [
    [undefined, /auth/],
    ['text', /auth/],
    [{}, /auth/],
    [{ auth: [] }, /'auth'/],
    [{ auth: {} }, /identity/],
    [{ auth: { identity: {} } }, /methods/],
    [{ auth: { identity: { methods: [] } } }, /auth\/identity\/methods/],
    [{ auth: { identity: { methods: 'password' } } }, /auth\/identity\/methods/],
    [{ auth: { identity: { methods: ['password'] } } }, /password/],
    [pw({ name: 'u', password: 'p' }), /domain/],
    [pw({ password: 'p' }), /id or name/],
    [pw({ name: 'u', domain: {} , password: 'p' }), /id or name/],
    [pw({ name: 'u', domain: { id: 'default' } }), /password/],
    [pw({ name: 'u', domain: { id: 'default' }, password: 7 }), /auth\/identity\/password\/user\/password/],
    [pw({ name: 'u', domain: { id: 'default' }, password: '' }), /auth\/identity\/password\/user\/password/],
    [pw({ name: 'u', domain: { id: 'default' }, password: 'x'.repeat(5000) }), /auth\/identity\/password\/user\/password/],
    [pw({ name: 7, domain: { id: 'default' }, password: 'p' }), /auth\/identity\/password\/user\/name/],
    [pw({ id: 'u', password: 'p' }, { scope: { project: { name: 'x' } } }), /domain/],
    [pw({ id: 'u', password: 'p' }, { scope: { project: { id: 'a' }, domain: { id: 'b' } } }), /auth\/scope/],
    [pw({ id: 'u', password: 'p' }, { scope: { system: { all: true } } }), /auth\/scope/],
    [pw({ id: 'u', password: 'p' }, { scope: 42 }), /auth\/scope/],
    [{ auth: { identity: { methods: ['token'], token: {} } } }, /id/],
  ];
  for (const [body, field] of cases) {
    assert.throws(() => parseAuthRequest(body), (err: unknown) => {
      assert.ok(err instanceof FulcrumError, String(err));
      assert.equal(err.status, 400, `${JSON.stringify(body)}: ${err.message}`);
      assert.match(err.message, field, JSON.stringify(body));
      assert.ok(!err.message.includes('xxxxxxxx'));
      return true;
    });
  }
});

test('an unsupported method is 401, as Keystone answers', () => {
  assert.throws(() => parseAuthRequest({ auth: { identity: { methods: ['totp'], totp: {} } } }), (err: unknown) => err instanceof FulcrumError && err.status === 401);
});

test('entity bodies: defaults, unknown attributes ignored, bad values 400 naming the field', () => {
  assert.deepEqual(parseProjectCreate({ project: { name: 'web', extra: 1, parent_id: 'default', domain_id: 'default', is_domain: false } }), {
    name: 'web', domainId: 'default', description: '', enabled: true,
  });
  assert.deepEqual(parseUserCreate({ user: { name: 'u', password: 'p', email: 'u@x', description: null } }), {
    name: 'u', password: 'p', enabled: true, defaultProjectId: null, description: '', email: 'u@x',
  });
  assert.deepEqual(parseUserUpdate({ user: { password: 'n', enabled: false } }, { domainId: 'default' }), { password: 'n', enabled: false });
  assert.deepEqual(parseProjectUpdate({ project: { description: 'd' } }, { domainId: 'default' }), { description: 'd' });
  assert.deepEqual(parseRoleCreate({ role: { name: 'r' } }), { name: 'r', description: '' });
  assert.deepEqual(parsePasswordChange({ user: { password: 'n', original_password: 'o' } }), { password: 'n', originalPassword: 'o' });
  const bad: [() => unknown, RegExp][] = [
    [() => parseProjectCreate({}), /project/],
    [() => parseProjectCreate({ project: {} }), /name/],
    [() => parseProjectCreate({ project: { name: '' } }), /project\/name/],
    [() => parseProjectCreate({ project: { name: 'x'.repeat(65) } }), /project\/name/],
    [() => parseProjectCreate({ project: { name: 'x', enabled: 'yes' } }), /project\/enabled/],
    [() => parseProjectCreate({ project: { name: 'x', is_domain: true } }), /project\/is_domain/],
    [() => parseProjectCreate({ project: { name: 'x', parent_id: 'other' } }), /project\/parent_id/],
    [() => parseProjectUpdate({ project: { domain_id: 'other' } }, { domainId: 'default' }), /project\/domain_id/],
    [() => parseUserCreate({ user: { name: 'u', password: 5 } }), /user\/password/],
    [() => parseUserUpdate({ user: { domain_id: 'x' } }, { domainId: 'default' }), /user\/domain_id/],
    [() => parseRoleCreate({ role: { name: 'r', domain_id: 'default' } }), /role\/domain_id/],
    [() => parsePasswordChange({ user: { password: 'n' } }), /original_password/],
  ];
  for (const [fn, field] of bad) {
    assert.throws(fn, (err: unknown) => err instanceof FulcrumError && err.status === 400 && field.test(err.message));
  }
});
