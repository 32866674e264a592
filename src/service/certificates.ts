/**
 * @module service/certificates — Octavia's checks of the certificate references a listener or
 * pool is given (`_validate_tls_refs`, `_validate_client_ca_and_crl_refs`): each must resolve in
 * the certificate store, belong to the object's project and hold usable material, or the request
 * is refused (400) before anything is written.
 */
import { certificateRetrieval, checkRefs, listenerRefs, poolRefs, type TlsResolver } from '../domain/tls.js';
import type { Listener, Pool } from '../domain/model.js';



/** Refuses every reference when there is no certificate store (nothing can be retrieved). */
async function check(tls: TlsResolver | undefined, projectId: string, refs: ReturnType<typeof listenerRefs>, what: { ca: string; crl: string }): Promise<void> {
  const first = refs.certificates[0] ?? refs.ca ?? refs.crl;
  if (first === undefined || first === null) return;
  if (tls === undefined) throw certificateRetrieval(first.ref, first.field, 'no certificate store');
  await checkRefs(tls, projectId, refs, what);
}

/** Checks a new or changed listener's certificate, SNI, client CA and CRL references. */
export async function checkListenerTls(tls: TlsResolver | undefined, l: Listener): Promise<void> {
  await check(tls, l.projectId, listenerRefs(l), { ca: 'client authentication CA', crl: 'client authentication certificate' });
}

/** Checks a new or changed pool's client certificate, CA and CRL references. */
export async function checkPoolTls(tls: TlsResolver | undefined, p: Pool): Promise<void> {
  await check(tls, p.projectId, poolRefs(p), { ca: 'pool CA', crl: 'pool CA certificate' });
}

/** Certificate references in a fully-populated create's listeners and pools (read before its transaction). */
export async function checkGraphTls(
  tls: TlsResolver | undefined, projectId: string,
  input: { listeners?: readonly Partial<Pick<Listener, 'defaultTlsContainerRef' | 'clientCaTlsContainerRef' | 'clientCrlContainerRef'> & { sniContainerRefs: readonly string[] }>[]; pools?: readonly Partial<Pick<Pool, 'tlsContainerRef' | 'caTlsContainerRef' | 'crlContainerRef'>>[] },
): Promise<void> {
  for (const l of input.listeners ?? []) {
    await check(tls, projectId, listenerRefs({
      defaultTlsContainerRef: l.defaultTlsContainerRef ?? null, sniContainerRefs: [...(l.sniContainerRefs ?? [])],
      clientCaTlsContainerRef: l.clientCaTlsContainerRef ?? null, clientCrlContainerRef: l.clientCrlContainerRef ?? null,
    }), { ca: 'client authentication CA', crl: 'client authentication certificate' });
  }
  for (const p of input.pools ?? []) {
    await check(tls, projectId, poolRefs({ tlsContainerRef: p.tlsContainerRef ?? null, caTlsContainerRef: p.caTlsContainerRef ?? null, crlContainerRef: p.crlContainerRef ?? null }),
      { ca: 'pool CA', crl: 'pool CA certificate' });
  }
}
