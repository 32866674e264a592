/**
 * @module drivers/sys/openssl — reads PKCS12 bundles with `openssl pkcs12` (Node's crypto has no
 * PKCS12 parser; openssl is on every host that runs HAProxy, so no npm dependency is needed).
 * The bundle goes through stdin, never a file or the command line; no pass phrase (as Octavia).
 */
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { FulcrumError } from '../../domain/errors.js';
import { pemBlocks, type Pkcs12Reader } from '../../domain/tls.js';
import { run } from './exec.js';

const UNREADABLE = 'The PKCS12 bundle is unreadable. Please check the PKCS12 bundle validity. In addition, make sure it does not require a pass phrase.';

type Bundle = { certificate: string; intermediates: string[]; privateKey: string };

/** How many read bundles are kept (by content hash), so an apply does not start openssl again. */
const CACHE_SIZE = 256;

/**
 * {@link Pkcs12Reader} on the openssl binary. A read costs one openssl process (~0.1–0.5 s on a
 * busy 2-core host), and the agent resolves a load balancer's certificates at every apply: results
 * are kept by the bundle's SHA-256 (content-addressed, so never stale), the latest 256.
 */
export class OpensslPkcs12Reader implements Pkcs12Reader {
  readonly #bin: string;
  readonly #cache = new Map<string, Bundle>();

  constructor(opts: { opensslBin?: string } = {}) {
    this.#bin = opts.opensslBin ?? 'openssl';
  }

  async read(bundle: Buffer): Promise<Bundle> {
    const hash = createHash('sha256').update(bundle).digest('hex');
    const hit = this.#cache.get(hash);
    if (hit) return { ...hit, intermediates: [...hit.intermediates] };
    const read = await this.#read(bundle);
    this.#cache.set(hash, read);
    if (this.#cache.size > CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
    return { ...read, intermediates: [...read.intermediates] };
  }

  async #read(bundle: Buffer): Promise<Bundle> {
    const argv = [this.#bin, 'pkcs12', '-nodes', '-passin', 'pass:'];
    let out = await run(argv, { input: bundle, allowFailure: true, timeoutMs: 10_000 });
    // Bundles made with older tools use RC2/3DES, which OpenSSL 3 reads only with its legacy provider.
    if (out.code !== 0) out = await run([...argv, '-legacy'], { input: bundle, allowFailure: true, timeoutMs: 10_000 });
    if (out.code !== 0) throw new FulcrumError('VALIDATION', `Validation failure: ${UNREADABLE}`, { detail: out.stderr.trim().slice(0, 300) });
    const keys = pemBlocks(out.stdout, 'PRIVATE KEY');
    const certs = pemBlocks(out.stdout, 'CERTIFICATE');
    if (keys.length !== 1 || certs.length === 0) throw new FulcrumError('VALIDATION', `Validation failure: ${UNREADABLE}`, { detail: `${keys.length} keys, ${certs.length} certificates` });
    const spki = createPublicKey(keys[0]!).export({ type: 'spki', format: 'der' });
    const leaf = certs.find((c) => new X509Certificate(c).publicKey.export({ type: 'spki', format: 'der' }).equals(spki));
    if (leaf === undefined) throw new FulcrumError('VALIDATION', 'Validation failure: Key and x509 certificate do not match');
    return { certificate: leaf, intermediates: certs.filter((c) => c !== leaf), privateKey: keys[0]! };
  }
}
