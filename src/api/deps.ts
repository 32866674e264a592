/** @module api/deps — what the API needs from the composition root. */
import type { Store } from '../service/context.js';
import type { ProviderConfig } from '../service/load-balancers.js';
import type { Authenticator } from './auth.js';
import type { EventStreamOptions } from './octavia/events.js';
import type { MetricsRegistry } from '../domain/metrics.js';
import type { IdentityRouteDeps } from './identity/routes.js';
import { tlsResolver, type SecretDeps } from '../service/secrets.js';
import type { TlsResolver } from '../domain/tls.js';

/** How requests are authenticated. */
export type AuthMode = 'noauth' | 'embedded' | 'keystone';

export interface ApiDeps {
  store: Store;
  providers: ProviderConfig;
  auth: AuthMode;
  /** Overrides the mode's authentication (token validation; tests pass their own). */
  authenticate?: Authenticator;
  /** The embedded identity service, served under `/identity/v3` and `/v3` (`--auth embedded`). */
  identity?: IdentityRouteDeps;
  /** Where clients get tokens (`…/v3`), named in a 401's `WWW-Authenticate`. */
  identityUri?: string;
  /**
   * The event stream's hub and settings; without it the server makes a hub of its own over
   * `store` (enough when one process serves the API).
   */
  events?: EventStreamOptions;
  /** Where the API counts its requests and what `GET /metrics` prints (default: a registry of its own). */
  metrics?: MetricsRegistry;
  /**
   * The certificate store (Barbican v1 subset under `/key-manager`) and the PKCS12 reader. Without
   * it there is no `/key-manager`, and every certificate reference is refused as unretrievable.
   */
  secrets?: SecretDeps;
  /** True once the service can answer (store open, agent started). */
  isReady: () => boolean;
}

/** The certificate store as the listener and pool checks read it (none without a store). */
export function tlsOf(deps: ApiDeps): TlsResolver | undefined {
  return deps.secrets && tlsResolver(deps.secrets);
}
