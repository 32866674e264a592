/** @module drivers/sys/openssl.test — PKCS12 bundles read with the real openssl: the leaf, its key, refusals, and one process per distinct bundle. */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FulcrumError } from '../../domain/errors.js';
import { makePki, type TestPki } from '../../../test/helpers/certs.js';
import { OpensslPkcs12Reader } from './openssl.js';

let pki: TestPki;
before(async () => { pki = await makePki(); });
after(() => pki?.cleanup());

test('a PKCS12 bundle gives its certificate and key; junk is a VALIDATION error with the PKCS12 message', async () => {
  const r = new OpensslPkcs12Reader();
  const b = await r.read(pki.wwwP12);
  assert.equal(b.certificate.trim(), pki.www.cert.trim());
  assert.match(b.privateKey, /^-----BEGIN PRIVATE KEY-----/);
  await assert.rejects(r.read(Buffer.from('not a bundle')), (e: unknown) => e instanceof FulcrumError && e.code === 'VALIDATION' && /PKCS12 bundle is unreadable/.test(e.message));
});

test('the same bundle read twice starts openssl once (content-addressed cache)', async () => {
  const log = join(pki.dir, 'calls');
  const wrapper = join(pki.dir, 'openssl-counting');
  writeFileSync(log, '');
  writeFileSync(wrapper, `#!/bin/sh\necho x >> '${log}'\nexec openssl "$@"\n`);
  chmodSync(wrapper, 0o700);
  const r = new OpensslPkcs12Reader({ opensslBin: wrapper });
  const first = await r.read(pki.wwwP12);
  const second = await r.read(Buffer.from(pki.wwwP12));
  assert.deepEqual(second, first);
  assert.equal(readFileSync(log, 'utf8').trim().split('\n').length, 1);
});
