/**
 * @module identity/errors — the identity service's errors, as FulcrumErrors with Keystone's
 * wording. Messages never contain a password or a token.
 */
import { FulcrumError } from '../domain/errors.js';

/** Keystone's one answer to every failed authentication (it does not say which part was wrong). */
export const AUTH_REQUIRED = 'The request you have made requires authentication.';

/** 401: no, or a bad, credential. */
export function unauthorized(message: string = AUTH_REQUIRED, detail?: string): FulcrumError {
  return new FulcrumError('NOT_AUTHENTICATED', message, detail === undefined ? {} : { detail });
}

/** 403: authenticated, but the policy says no. */
export function forbidden(action: string): FulcrumError {
  return new FulcrumError('FORBIDDEN', `You are not authorized to perform the requested action: ${action}.`);
}

/** 404 in Keystone's words: `Could not find project: 1234.` */
export function notFound(kind: string, id: string): FulcrumError {
  return new FulcrumError('NOT_FOUND', `Could not find ${kind}: ${id}.`);
}

/** 400 for a field: `Invalid input for field 'auth/identity/methods': …` */
export function invalidInput(field: string, why: string): FulcrumError {
  return new FulcrumError('VALIDATION', `Invalid input for field '${field}': ${why}`, { field });
}

/** 400 for a missing attribute, in Keystone's words. */
export function missing(attribute: string, target: string): FulcrumError {
  return new FulcrumError('VALIDATION', `Expecting to find ${attribute} in ${target}. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`, { field: attribute });
}

/** 409: a name already taken. */
export function duplicate(kind: string, name: string, where?: string): FulcrumError {
  return new FulcrumError('DUPLICATE', `Conflict occurred attempting to store ${kind} - Duplicate entry found with name ${name}${where ? ` at ${where}` : ''}.`);
}
