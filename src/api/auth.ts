/**
 * @module api/auth — who a request acts as. `noauth` behaves as Octavia's: every request is
 * an admin; the project comes from `X-Project-Id` (or the body's `project_id`). `embedded` and
 * `keystone` read `X-Auth-Token` and validate it (with the embedded identity service or an
 * external Keystone); the roles the token carries now make the caller.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FulcrumError } from '../domain/errors.js';
import type { Caller } from '../service/context.js';
import type { ValidatedToken } from '../identity/identity.js';
import type { AuthMode } from './deps.js';
import { isIdentityUrl, makeCaller } from './policy.js';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

/** The caller of a request (set by the auth hook). */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new FulcrumError('NOT_AUTHENTICATED', 'Authentication required');
  return request.caller;
}

/** Paths anyone may read without a token: version documents and the health check. */
export function isPublicPath(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return path === '/' || path === '/v2' || path === '/v2/' || path === '/v2.0' || path === '/healthcheck';
}

/** Finds who a request acts as (null: anonymous, which only open routes accept). */
export type Authenticator = (request: FastifyRequest) => Promise<Caller | null>;

/**
 * An authenticator reading `X-Auth-Token` (as keystonemiddleware does): no header or a token
 * `validate` does not know → anonymous (the policy answers 401 on protected routes). Errors of
 * `validate` (identity service unreachable) propagate, so the API answers 503, not 401.
 */
export function tokenAuthenticator(validate: (token: string) => Promise<ValidatedToken | null>): Authenticator {
  return async (request) => {
    const header = request.headers['x-auth-token'];
    const token = Array.isArray(header) ? header[0] : header;
    if (token === undefined || token === '') return null;
    const v = await validate(token);
    return v === null ? null : makeCaller({ projectId: v.projectId, roles: v.roles, userId: v.userId });
  };
}

/**
 * Installs the authentication hook: `authenticate` when given (token validation), else the
 * chosen mode's own (only `noauth` has one: the token modes need a validator).
 */
export function installAuth(app: FastifyInstance, mode: AuthMode, authenticate?: Authenticator): void {
  app.decorateRequest('caller', null);
  if (authenticate) {
    app.addHook('onRequest', async (request) => {
      // The identity API checks its own tokens, in Keystone's way.
      if (isIdentityUrl(request.url)) return;
      request.caller = await authenticate(request);
    });
    return;
  }
  if (mode !== 'noauth') {
    throw new FulcrumError('VALIDATION', `auth mode ${mode} needs a token validator`);
  }
  app.addHook('onRequest', async (request) => {
    const header = request.headers['x-project-id'];
    const projectId = typeof header === 'string' && header !== '' ? header : null;
    request.caller = makeCaller({ projectId, roles: ['admin'], noauth: true });
  });
}
