/**
 * @module identity/keystone-client — external Keystone mode: validates incoming tokens against a
 * Keystone v3 (`GET /v3/auth/tokens` with a service token), as keystonemiddleware's auth_token
 * does, behind a short, bounded cache keyed by the token's hash. A Keystone that cannot answer
 * makes the API say 503 (retry), never 401: users must not be told their valid token is bad.
 */
import { FulcrumError } from '../domain/errors.js';
import type { ValidatedToken } from './identity.js';
import { hashToken } from './token.js';

/** How long a valid result is cached at most, unless configured (keystonemiddleware: 300 s). */
export const DEFAULT_CACHE_SECONDS = 60;
/** How long an invalid token's answer is cached: long enough to absorb a flood of bad tokens. */
export const NEGATIVE_CACHE_SECONDS = 5;
/** How many tokens the cache holds before the oldest is evicted. */
export const DEFAULT_CACHE_ENTRIES = 10_000;
/** How long one call to Keystone may take, unless configured. */
export const DEFAULT_TIMEOUT_MS = 5_000;
/** The service token is replaced this long before it expires (keystoneauth's stale margin). */
const SERVICE_TOKEN_MARGIN_MS = 30_000;
/** Longer "tokens" are refused without asking Keystone (Fernet tokens are ~200 characters). */
const MAX_TOKEN_LENGTH = 8_192;

/** Options of {@link KeystoneValidator}. */
export interface KeystoneValidatorOptions {
  /** Keystone's base URL, with or without the trailing `/v3` (`http://host:5000`, `http://host/identity/v3`). */
  url: string;
  /** The service user's name (it must be allowed to validate others' tokens: admin or service role). */
  username: string;
  /** The service user's password. */
  password: string;
  /** The project the service token is scoped to. */
  projectName: string;
  /** The service user's domain, by name (default `Default`). */
  userDomainName?: string;
  /** The project's domain, by name (default `Default`). */
  projectDomainName?: string;
  /** Upper bound on how long a valid token is cached (default {@link DEFAULT_CACHE_SECONDS}); 0 disables the cache. */
  cacheSeconds?: number;
  /** Bound on the number of cached tokens (default {@link DEFAULT_CACHE_ENTRIES}); the oldest goes first. */
  cacheEntries?: number;
  /** Time limit of each call to Keystone (default {@link DEFAULT_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** The clock, in ms (tests move it). */
  now?: () => number;
}

interface CacheEntry {
  value: ValidatedToken | null;
  /** ms since the epoch, by the validator's clock. */
  until: number;
}

interface ServiceToken {
  token: string;
  /** When to obtain a new one before use (ms). */
  refreshAt: number;
}

/** Keystone's answer to a validation, as far as it is used. */
interface TokenBody {
  token?: {
    user?: { id?: unknown; name?: unknown };
    project?: { id?: unknown } | null;
    domain?: { id?: unknown } | null;
    roles?: { name?: unknown }[];
    expires_at?: unknown;
    issued_at?: unknown;
  };
}

/** The one error for "Keystone cannot answer now". */
function identityUnavailable(detail: string, opts: { cause?: unknown; retryable?: boolean } = {}): FulcrumError {
  return new FulcrumError('IDENTITY_UNAVAILABLE', 'The identity service is unavailable; retry later.', {
    detail: `Keystone: ${detail}`, retryable: opts.retryable ?? true, ...(opts.cause === undefined ? {} : { cause: opts.cause }),
  });
}

/** `http://host:5000`, `http://host:5000/v3/` → `http://host:5000/v3`. */
function identityBase(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new RangeError(`keystone url is not a URL: ${url}`, { cause: err });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new RangeError(`keystone url must be http(s): ${url}`);
  if (parsed.search || parsed.hash) throw new RangeError(`keystone url must have no query or fragment: ${url}`);
  const base = parsed.href.replace(/\/+$/, '');
  return base.endsWith('/v3') ? base : `${base}/v3`;
}

/** Keystone's `2026-01-01T00:00:00.000000Z` (microseconds; UTC when no zone is given) → ms, or NaN. */
export function parseKeystoneTime(s: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/.exec(s);
  if (!m) return NaN;
  const ms = (m[2] ?? '').padEnd(3, '0').slice(0, 3);
  return Date.parse(`${m[1]!}.${ms}${m[3] ?? 'Z'}`);
}

/** True when a header value may be sent on as a token (visible ASCII, bounded). */
function isSendable(token: string): boolean {
  return token.length > 0 && token.length <= MAX_TOKEN_LENGTH && /^[\x21-\x7e]+$/.test(token);
}

/**
 * Validates tokens against an external Keystone v3. One instance per process: it holds the
 * service token and the cache. Callers' tokens are never kept or logged, only their SHA-256.
 */
export class KeystoneValidator {
  readonly #base: string;
  readonly #authBody: string;
  readonly #cacheMs: number;
  readonly #maxEntries: number;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  /** Token hash → answer; Map order is insertion order, so the first key is the oldest. */
  readonly #cache = new Map<string, CacheEntry>();
  /** Token hash → the validation under way, shared by concurrent callers. */
  readonly #inflight = new Map<string, Promise<ValidatedToken | null>>();
  #service: ServiceToken | null = null;
  #serviceInflight: Promise<ServiceToken> | null = null;

  constructor(opts: KeystoneValidatorOptions) {
    this.#base = identityBase(opts.url);
    const cacheSeconds = opts.cacheSeconds ?? DEFAULT_CACHE_SECONDS;
    if (!(cacheSeconds >= 0)) throw new RangeError('cacheSeconds must be 0 or more');
    this.#cacheMs = Math.round(cacheSeconds * 1000);
    this.#maxEntries = opts.cacheEntries ?? DEFAULT_CACHE_ENTRIES;
    if (!(this.#maxEntries >= 1)) throw new RangeError('cacheEntries must be 1 or more');
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(this.#timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');
    this.#now = opts.now ?? Date.now;
    this.#authBody = JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: opts.username, domain: { name: opts.userDomainName ?? 'Default' }, password: opts.password } },
        },
        scope: { project: { name: opts.projectName, domain: { name: opts.projectDomainName ?? 'Default' } } },
      },
    });
  }

  /**
   * Logs the service account in (if not already): a start-up check that Keystone is reachable
   * and the credentials are right.
   * @throws FulcrumError IDENTITY_UNAVAILABLE otherwise.
   */
  async connect(): Promise<void> {
    await this.#serviceToken();
  }

  /**
   * Who a token acts as, or null when Keystone does not know it (invalid, expired, revoked).
   * Answers from the cache when it can; concurrent calls for one token share one request.
   * Throws a 503 FulcrumError when Keystone cannot say: unreachable, slower than the timeout,
   * 5xx or a malformed answer (retryable), or it refuses the service account (not retryable).
   */
  async validateToken(token: string): Promise<ValidatedToken | null> {
    if (!isSendable(token)) return null;
    const key = hashToken(token);
    const cached = this.#cache.get(key);
    if (cached) {
      if (this.#now() < cached.until) return copy(cached.value);
      this.#cache.delete(key);
    }
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = this.#fetchAndCache(key, token).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    return copy(await pending);
  }

  async #fetchAndCache(key: string, token: string): Promise<ValidatedToken | null> {
    let value = await this.#validateRemotely(token);
    const now = this.#now();
    // An answer Keystone gave for a token that has expired by our clock is not trusted either.
    if (value && Date.parse(value.expiresAt) <= now) value = null;
    if (this.#cacheMs > 0) {
      const until = value ? Math.min(now + this.#cacheMs, Date.parse(value.expiresAt)) : now + Math.min(this.#cacheMs, NEGATIVE_CACHE_SECONDS * 1000);
      this.#cache.delete(key);
      this.#cache.set(key, { value, until });
      while (this.#cache.size > this.#maxEntries) {
        const oldest = this.#cache.keys().next();
        if (oldest.done) break;
        this.#cache.delete(oldest.value);
      }
    }
    return value;
  }

  async #validateRemotely(token: string): Promise<ValidatedToken | null> {
    const what = 'validating a token';
    let service = await this.#serviceToken();
    let res = await this.#validateWith(service, token);
    if (res.status === 401) {
      // Keystone answers 401 about the service token (404 about the subject): get a new one, once.
      await drain(res);
      this.#dropServiceToken(service);
      service = await this.#serviceToken();
      res = await this.#validateWith(service, token);
    }
    switch (res.status) {
      case 200:
        return toValidated(await readJson(res, what));
      case 401: // even with a service token minted just now: then it can only be about the subject
      case 404:
        await drain(res);
        return null;
      case 403:
        await drain(res);
        throw identityUnavailable(`403 ${what}: the service user may not validate tokens (give it the admin or service role)`, { retryable: false });
      default:
        throw await unexpected(res, what);
    }
  }

  #validateWith(service: ServiceToken, token: string): Promise<Response> {
    return this.#fetch('validating a token', `${this.#base}/auth/tokens?nocatalog`, {
      method: 'GET',
      headers: { accept: 'application/json', 'x-auth-token': service.token, 'x-subject-token': token },
    });
  }

  /** The current service token, obtained (once, for all concurrent callers) when missing or about to expire. */
  async #serviceToken(): Promise<ServiceToken> {
    if (this.#service && this.#now() < this.#service.refreshAt) return this.#service;
    if (!this.#serviceInflight) {
      this.#serviceInflight = this.#obtainServiceToken().then((s) => {
        this.#service = s;
        return s;
      }).finally(() => {
        this.#serviceInflight = null;
      });
    }
    return this.#serviceInflight;
  }

  /** Forgets a service token Keystone refused, unless another caller has already replaced it. */
  #dropServiceToken(refused: ServiceToken): void {
    if (this.#service === refused) this.#service = null;
  }

  async #obtainServiceToken(): Promise<ServiceToken> {
    const what = 'obtaining the service token';
    const res = await this.#fetch(what, `${this.#base}/auth/tokens?nocatalog`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: this.#authBody,
    });
    if (res.status === 401 || res.status === 403) {
      await drain(res);
      throw identityUnavailable(`${res.status} ${what}: Keystone refuses the service credentials (user, password, project or domains)`, { retryable: false });
    }
    if (res.status !== 201 && res.status !== 200) throw await unexpected(res, what);
    const token = res.headers.get('x-subject-token');
    const body = (await readJson(res, what)) as TokenBody;
    const expiresAt = typeof body.token?.expires_at === 'string' ? parseKeystoneTime(body.token.expires_at) : NaN;
    if (!token || Number.isNaN(expiresAt)) throw identityUnavailable(`${what}: the answer has no X-Subject-Token or no token.expires_at`);
    // Its lifetime by Keystone's own times, so that a skewed local clock neither renews it on
    // every call nor keeps it past its end.
    const now = this.#now();
    const issuedAt = typeof body.token?.issued_at === 'string' ? parseKeystoneTime(body.token.issued_at) : NaN;
    const lifetime = Number.isNaN(issuedAt) ? expiresAt - now : expiresAt - issuedAt;
    const margin = Math.min(SERVICE_TOKEN_MARGIN_MS, Math.max(0, lifetime / 2));
    return { token, refreshAt: now + lifetime - margin };
  }

  async #fetch(what: string, url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (err) {
      const why = err instanceof Error && err.name === 'TimeoutError' ? `gave no answer within ${this.#timeoutMs} ms` : `is unreachable (${reasonOf(err)})`;
      throw identityUnavailable(`${what}: ${this.#base} ${why}`, { cause: err });
    }
  }
}

/** Releases the connection of a response whose body is not needed. */
async function drain(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}

/** What went wrong under fetch's generic `fetch failed` (ECONNREFUSED, ENOTFOUND, a redirect…). */
function reasonOf(err: unknown): string {
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause && typeof cause === 'object' && 'code' in cause && typeof cause.code === 'string') return cause.code;
  if (cause instanceof Error) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** The error for a status Keystone should not have answered, with the start of its body for the operator. */
async function unexpected(res: Response, what: string): Promise<FulcrumError> {
  const text = await res.text().catch(() => '');
  return identityUnavailable(`${res.status} ${what}: ${text.slice(0, 200)}`, { retryable: res.status >= 500 });
}

async function readJson(res: Response, what: string): Promise<unknown> {
  try {
    return await res.json();
  } catch (err) {
    throw identityUnavailable(`${what}: the answer is not JSON`, { cause: err });
  }
}

/** Keystone's token body → what the auth hook needs; a 503 when it lacks the essentials. */
function toValidated(raw: unknown): ValidatedToken {
  const t = (raw as TokenBody | null)?.token;
  const expiresAt = typeof t?.expires_at === 'string' ? parseKeystoneTime(t.expires_at) : NaN;
  if (!t || typeof t.user?.id !== 'string' || typeof t.user.name !== 'string' || Number.isNaN(expiresAt)) {
    throw identityUnavailable('validating a token: the answer lacks token.user or token.expires_at');
  }
  const roles = Array.isArray(t.roles) ? t.roles.map((r) => r.name).filter((n): n is string => typeof n === 'string') : [];
  return {
    userId: t.user.id,
    userName: t.user.name,
    projectId: typeof t.project?.id === 'string' ? t.project.id : null,
    domainId: typeof t.domain?.id === 'string' ? t.domain.id : null,
    roles,
    expiresAt: new Date(expiresAt).toISOString(),
  };
}

/** A copy, so that no caller can change what the cache holds. */
function copy(v: ValidatedToken | null): ValidatedToken | null {
  return v && { ...v, roles: [...v.roles] };
}
