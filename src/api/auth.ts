/**
 * @module api/auth — who a request acts as. `noauth` behaves as Octavia's: every request is
 * an admin; the project comes from `X-Project-Id` (or the body's `project_id`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FulcrumError } from '../domain/errors.js';
import type { Caller } from '../service/context.js';
import type { AuthMode } from './deps.js';
import { makeCaller } from './policy.js';

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
 * Installs the authentication hook: `authenticate` when given (token validation), else the
 * chosen mode's own.
 */
export function installAuth(app: FastifyInstance, mode: AuthMode, authenticate?: Authenticator): void {
  app.decorateRequest('caller', null);
  if (authenticate) {
    app.addHook('onRequest', async (request) => {
      request.caller = await authenticate(request);
    });
    return;
  }
  if (mode !== 'noauth') {
    throw new FulcrumError('VALIDATION', `auth mode ${mode} is not available yet; use --auth noauth`, {
      detail: 'embedded identity and external Keystone come with the identity work',
    });
  }
  app.addHook('onRequest', async (request) => {
    const header = request.headers['x-project-id'];
    const projectId = typeof header === 'string' && header !== '' ? header : null;
    request.caller = makeCaller({ projectId, roles: ['admin'], noauth: true });
  });
}
