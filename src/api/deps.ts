/** @module api/deps — what the API needs from the composition root. */
import type { Store } from '../service/context.js';
import type { ProviderConfig } from '../service/load-balancers.js';
import type { SchedulingOptions } from '../service/scheduler.js';
import type { Authenticator } from './auth.js';
import type { EventStreamOptions } from './octavia/events.js';
import type { MetricsRegistry } from '../domain/metrics.js';
import type { IdentityRouteDeps } from './identity/routes.js';
import { tlsResolver, type SecretDeps } from '../service/secrets.js';
import type { TlsResolver } from '../domain/tls.js';

/** A load balancer's configuration as its data plane runs it (a provider's `renderedConfig`). */
export interface RenderedConfig {
  /** The file's name as the data plane knows it (`haproxy.cfg`). */
  name: string;
  text: string;
  /** When it was last written (UTC ISO-8601). */
  writtenAt: string;
}

/** Reads what a provider rendered for a load balancer on this host; null when nothing (or no such provider here). */
export type RenderedConfigReader = (provider: string, lbId: string) => Promise<RenderedConfig | null>;

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
   * `store` (enough when one process serves the API). `false`: no event stream, for an API server
   * without an agent in its process: it never sees the agents' commits (ACTIVE, ERROR, operating
   * status), so clients get 404 and poll instead (`fulcrum … --wait` does).
   */
  events?: EventStreamOptions | false;
  /** Where the API counts its requests and what `GET /metrics` prints (default: a registry of its own). */
  metrics?: MetricsRegistry;
  /**
   * The providers' rendered configurations, for `GET …/loadbalancers/{id}/config` (admins). Without
   * it every load balancer answers CONFIG_NOT_RENDERED.
   */
  renderedConfig?: RenderedConfigReader;
  /** How new load balancers are placed on agents, and when an agent counts as dead (default 10 s). */
  scheduling?: SchedulingOptions;
  /** The VXLAN ids (VNIs) new networks take, lowest free first (default 1–16777215). */
  vniRange?: readonly [number, number];
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
