/**
 * @module test/helpers/certs — certificates made with openssl at test time: a CA, server
 * certificates for two names, a client certificate, a revoked client certificate with the CA's
 * CRL, a PKCS12 bundle, and a second CA whose certificates the first one does not trust.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/drivers/sys/exec.js';

export interface TestPki {
  dir: string;
  caCert: string;
  /** www.example.com, signed by the CA, with its key. */
  www: { cert: string; key: string };
  /** other.example.com, signed by the CA. */
  other: { cert: string; key: string };
  /** A client certificate (CN client-one) signed by the CA. */
  client: { cert: string; key: string; certFile: string; keyFile: string };
  /** A client certificate (CN client-revoked) signed by the CA and revoked in `crl`. */
  revoked: { cert: string; key: string; certFile: string; keyFile: string };
  /** A client certificate from another CA. */
  stranger: { certFile: string; keyFile: string };
  crl: string;
  /** www.example.com's certificate and key as PKCS12 (no pass phrase). */
  wwwP12: Buffer;
  /** backend.test signed by the CA (a TLS member). */
  backend: { cert: string; key: string; certFile: string; keyFile: string };
  caFile: string;
  cleanup(): void;
}

const ossl = async (args: string[], cwd: string): Promise<void> => {
  await run(['openssl', ...args.map((a) => a.replace('@', `${cwd}/`))]);
};

/** Makes the whole PKI in a temporary directory (about 1 s). */
export async function makePki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-pki-'));
  const p = (n: string): string => join(dir, n);
  writeFileSync(p('index.txt'), '');
  writeFileSync(p('crlnumber'), '01\n');
  writeFileSync(p('ca.cnf'), [
    '[ca]', 'default_ca = test', '[test]', `database = ${p('index.txt')}`, `crlnumber = ${p('crlnumber')}`,
    'default_md = sha256', 'default_crl_days = 30', '',
  ].join('\n'));
  await ossl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', '@ca.key', '-out', '@ca.crt', '-days', '30', '-subj', '/CN=Fulcrum Test CA'], dir);
  await ossl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', '@ca2.key', '-out', '@ca2.crt', '-days', '30', '-subj', '/CN=Other CA'], dir);
  const issue = async (name: string, cn: string, ca: 'ca' | 'ca2', san?: string): Promise<void> => {
    await ossl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `@${name}.key`, '-out', `@${name}.csr`, '-subj', `/CN=${cn}/O=Fulcrum Tests`], dir);
    const ext = p(`${name}.ext`);
    writeFileSync(ext, san ? `subjectAltName=DNS:${san}\n` : 'basicConstraints=CA:FALSE\n');
    await ossl(['x509', '-req', '-in', `@${name}.csr`, '-CA', `@${ca}.crt`, '-CAkey', `@${ca}.key`, '-CAcreateserial', '-out', `@${name}.crt`, '-days', '30', '-extfile', ext], dir);
  };
  await issue('www', 'www.example.com', 'ca', 'www.example.com');
  await issue('other', 'other.example.com', 'ca', 'other.example.com');
  await issue('client', 'client-one', 'ca');
  await issue('revoked', 'client-revoked', 'ca');
  await issue('stranger', 'stranger', 'ca2');
  await issue('backend', 'backend.test', 'ca', 'backend.test');
  await ossl(['ca', '-config', '@ca.cnf', '-keyfile', '@ca.key', '-cert', '@ca.crt', '-revoke', '@revoked.crt'], dir);
  await ossl(['ca', '-config', '@ca.cnf', '-keyfile', '@ca.key', '-cert', '@ca.crt', '-gencrl', '-out', '@ca.crl'], dir);
  await ossl(['pkcs12', '-export', '-in', '@www.crt', '-inkey', '@www.key', '-out', '@www.p12', '-passout', 'pass:'], dir);
  const read = (n: string): string => readFileSync(p(n), 'utf8');
  const pair = (n: string) => ({ cert: read(`${n}.crt`), key: read(`${n}.key`), certFile: p(`${n}.crt`), keyFile: p(`${n}.key`) });
  return {
    dir, caCert: read('ca.crt'), caFile: p('ca.crt'), www: pair('www'), other: pair('other'), client: pair('client'),
    revoked: pair('revoked'), stranger: pair('stranger'), backend: pair('backend'), crl: read('ca.crl'),
    wwwP12: readFileSync(p('www.p12')),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
