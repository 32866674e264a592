/** @module identity/password.test — scrypt hashes: salted, self-describing, verified in constant time. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_KDF, hashPassword, randomPassword, verifyNothing, verifyPassword } from './password.js';

test('a hash verifies its password only, carries its parameters, and differs per salt', async () => {
  const a = await hashPassword('correct horse');
  const b = await hashPassword('correct horse');
  assert.match(a, new RegExp(`^scrypt\\$N=${DEFAULT_KDF.N},r=8,p=1\\$[\\w-]{22}\\$[\\w-]{43}$`));
  assert.notEqual(a, b, 'random salt');
  assert.ok(!a.includes('correct horse'));
  assert.equal(await verifyPassword('correct horse', a), true);
  assert.equal(await verifyPassword('correct horsE', a), false);
  assert.equal(await verifyPassword('', a), false);
});

test('a hash made with other parameters still verifies (they are read from the hash)', async () => {
  const cheap = await hashPassword('pw', { N: 1024, r: 8, p: 1 });
  assert.match(cheap, /^scrypt\$N=1024,r=8,p=1\$/);
  assert.equal(await verifyPassword('pw', cheap), true);
});

test('malformed or hostile hashes verify nothing', async () => {
  const good = await hashPassword('pw', { N: 1024, r: 8, p: 1 });
  for (const bad of ['', 'plain', 'scrypt$N=1000,r=8,p=1$abc$def', good.replace('N=1024', 'N=1073741824'), good.slice(0, -2), 'bcrypt$2b$10$abc']) {
    assert.equal(await verifyPassword('pw', bad), false, bad);
  }
});

test('unicode passwords are normalised (NFC), so the same text typed two ways matches', async () => {
  const h = await hashPassword('caf\u00e9', { N: 1024, r: 8, p: 1 });
  assert.equal(await verifyPassword('cafe\u0301', h), true);
});

test('verifyNothing takes a real verification\'s time and is always false; random passwords are long', async () => {
  assert.equal(await verifyNothing('anything'), false);
  const p = randomPassword();
  assert.match(p, /^[\w-]{24}$/);
  assert.notEqual(p, randomPassword());
});
