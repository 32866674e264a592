/** @module api/deps — what the API needs from the composition root. */
import type { Store } from '../service/context.js';
import type { ProviderConfig } from '../service/load-balancers.js';

/** How requests are authenticated. */
export type AuthMode = 'noauth' | 'embedded' | 'keystone';

export interface ApiDeps {
  store: Store;
  providers: ProviderConfig;
  auth: AuthMode;
  /** True once the service can answer (store open, agent started). */
  isReady: () => boolean;
}
