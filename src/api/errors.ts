/**
 * @module api/errors — one edge mapper per API family: Octavia's `{faultcode, faultstring, debuginfo}`
 * and Neutron's `{NeutronError: {type, message, detail}}`. Unknown errors become a generic 500,
 * with the stack only in the log.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { FulcrumError } from '../domain/errors.js';

export type ApiFamily = 'octavia' | 'neutron' | 'barbican' | 'plain';

/** Which error format a request's path calls for. */
export function familyOf(url: string): ApiFamily {
  if (/^\/v2(\.0)?\/(lbaas|octavia)(\/|\?|$)/.test(url)) return 'octavia';
  if (/^\/v2\.0\//.test(url)) return 'neutron';
  if (/^\/key-manager(\/|\?|$)/.test(url)) return 'barbican';
  return 'plain';
}

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

function valueAt(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const part of path.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

/** Python's repr-ish rendering that wsme uses in its messages. */
function shown(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return 'Unset';
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  return JSON.stringify(v);
}

/** The field name an Ajv error is about (the last non-index path segment). */
function fieldOf(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && !/^\d+$/.test(p));
  return parts[parts.length - 1] ?? '';
}

/** Turns the first schema violation into Octavia's (wsme's) wording, naming the field. */
export function validationToError(errors: readonly AjvError[], body: unknown, argName: string): FulcrumError {
  const e = errors[0]!;
  if (e.keyword === 'additionalProperties') {
    const extra = String(e.params.additionalProperty);
    // wsme names a nested object by its path below the envelope (`load_balancer.loadbalancer.listeners.default_pool`).
    const below = e.instancePath.split('/').slice(2).filter((p) => p !== '' && !/^\d+$/.test(p));
    const arg = [argName, ...below].join('.');
    return new FulcrumError('UNKNOWN_ATTRIBUTE', `Unknown attribute for argument ${arg}: ${extra}`, { field: extra });
  }
  if (e.keyword === 'required') {
    const field = String(e.params.missingProperty);
    return new FulcrumError('VALIDATION', `Invalid input for field/attribute ${field}. Value: 'None'. Mandatory field missing.`, { field });
  }
  const field = fieldOf(e.instancePath);
  const value = valueAt(body, e.instancePath);
  let why: string;
  switch (e.keyword) {
    case 'format':
      why = e.params.format === 'uuid' ? 'Value should be UUID format'
        : e.params.format === 'ip' ? 'Value should be IPv4 or IPv6 format'
        : e.params.format === 'cidr' ? 'Value should be IPv4 or IPv6 CIDR format'
        : `Value should be ${String(e.params.format)} format`;
      break;
    case 'enum':
      why = `Value should be one of: ${(e.params.allowedValues as unknown[]).join(', ')}`;
      break;
    case 'minimum': why = `Value should be greater or equal to ${String(e.params.limit)}`; break;
    case 'maximum': why = `Value should be lower or equal to ${String(e.params.limit)}`; break;
    case 'maxLength': why = `Value should have a maximum character requirement of ${String(e.params.limit)}`; break;
    case 'minLength': why = `Value should have a minimum character requirement of ${String(e.params.limit)}`; break;
    case 'maxItems': why = `Value should have no more than ${String(e.params.limit)} items`; break;
    case 'pattern': why = `Value should match the pattern ${String(e.params.pattern)}`; break;
    case 'type': {
      const t = String(e.params.type);
      why = t === 'null' ? 'Value should be null'
        : t.includes('integer') ? 'Value should be an integer'
        : t.includes('number') ? 'Value should be a number'
        : t.includes('boolean') ? 'Value should be a boolean'
        : t.includes('array') ? 'Value should be a list'
        : t.includes('object') ? 'Value should be an object'
        : 'Value should be a string';
      break;
    }
    default:
      why = e.message ?? 'Invalid value';
  }
  if (field === '' && e.keyword === 'type') {
    return new FulcrumError('INVALID_JSON', 'Request is not in valid JSON format');
  }
  return new FulcrumError('VALIDATION', `Invalid input for field/attribute ${field}. Value: '${shown(value)}'. ${why}`, { field });
}

/** Turns the first schema violation into Neutron's wording (neutron-lib validators), naming the field. */
export function neutronValidationToError(errors: readonly AjvError[], body: unknown): FulcrumError {
  const e = errors[0]!;
  const depth = e.instancePath.split('/').length - 1;
  if (e.keyword === 'additionalProperties') {
    const extra = String(e.params.additionalProperty);
    if (depth === 0) return new FulcrumError('VALIDATION', `Unable to find '${extra}' in request body`, { field: extra });
    return new FulcrumError('UNKNOWN_ATTRIBUTE', `Unrecognized attribute(s) '${extra}'`, { field: extra });
  }
  if (e.keyword === 'required') {
    const field = String(e.params.missingProperty);
    if (depth === 0) return new FulcrumError('VALIDATION', `Unable to find '${field}' in request body`, { field });
    return new FulcrumError('VALIDATION', `Failed to parse request. Required attribute '${field}' not specified`, { field });
  }
  const field = fieldOf(e.instancePath);
  const value = valueAt(body, e.instancePath);
  if (field === '' && e.keyword === 'type') return new FulcrumError('INVALID_JSON', 'Malformed request body');
  const v = `'${shown(value)}'`;
  let reason: string;
  switch (e.keyword) {
    case 'format':
      reason = e.params.format === 'uuid' ? `${v} is not a valid UUID` : e.params.format === 'ip' ? `${v} is not a valid IP address` : `${v} is not valid`;
      break;
    case 'maxLength': reason = `${v} exceeds maximum length of ${String(e.params.limit)}`; break;
    case 'minimum': case 'maximum': reason = `${v} is not in range`; break;
    case 'pattern': reason = `${v} is not a valid ${field === 'mac_address' ? 'MAC address' : 'value'}`; break;
    case 'maxItems': reason = `too many items (at most ${String(e.params.limit)})`; break;
    case 'type': {
      const t = String(e.params.type);
      reason = t.includes('boolean') ? `${v} cannot be converted to boolean`
        : t.includes('integer') ? `${v} is not an integer`
        : t.includes('array') ? `${v} is not a list`
        : t.includes('object') ? `${v} is not a dictionary`
        : `${v} is not a valid string`;
      break;
    }
    default: reason = `${v} is not an allowed value`;
  }
  return new FulcrumError('VALIDATION', `Invalid input for ${field}. Reason: ${reason}.`, { field });
}

/** Renders any error in the request's API family and status. */
export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let fe: FulcrumError;
  if (err instanceof FulcrumError) fe = err;
  else {
    const fz = err as FastifyError & { validation?: AjvError[] };
    if (fz.validation && fz.validation.length > 0) {
      const arg = (request.routeOptions.config as { argName?: string } | undefined)?.argName ?? 'body';
      fe = familyOf(request.url) === 'neutron'
        ? neutronValidationToError(fz.validation, request.body)
        : validationToError(fz.validation, request.body, arg);
    } else if (fz.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fz.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
      (fz instanceof SyntaxError && fz.statusCode === 400)) {
      fe = new FulcrumError('INVALID_JSON', 'Request is not in valid JSON format');
    } else if (fz.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      fe = new FulcrumError('PAYLOAD_TOO_LARGE', 'Request body is too large');
    } else if (fz.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      fe = new FulcrumError('UNSUPPORTED_MEDIA_TYPE', 'The request media type is not supported; send application/json');
    } else if (typeof fz.statusCode === 'number' && fz.statusCode >= 400 && fz.statusCode < 500) {
      fe = new FulcrumError('VALIDATION', fz.message);
    } else {
      request.log.error({ err }, 'unexpected error');
      if (process.env.FULCRUM_DEBUG_ERRORS) process.stderr.write(`${(err as Error).stack}\n`);
      fe = new FulcrumError('INTERNAL', 'An unknown exception occurred.');
    }
  }
  if (fe.status >= 500 && fe.code !== 'INTERNAL') request.log.error({ err: fe, detail: fe.detail }, fe.message);
  else if (fe.detail) request.log.info({ code: fe.code, detail: fe.detail }, fe.message);
  const family = familyOf(request.url);
  reply.code(fe.status).header('content-type', 'application/json');
  if (family === 'barbican') return reply.send({ code: fe.status, title: HTTP_TITLES[fe.status] ?? 'Error', description: fe.message });
  if (family === 'neutron') {
    return reply.send({ NeutronError: { type: fe.neutronType ?? neutronTypeOf(fe), message: fe.message, detail: '' } });
  }
  return reply.send({ faultcode: fe.status >= 500 ? 'Server' : 'Client', faultstring: fe.message, debuginfo: null });
}

/** The reason phrases Barbican's error bodies carry as `title`. */
const HTTP_TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 409: 'Conflict', 413: 'Request Entity Too Large', 415: 'Unsupported Media Type',
  500: 'Internal Server Error', 503: 'Service Unavailable',
};

function neutronTypeOf(fe: FulcrumError): string {
  switch (fe.code) {
    case 'NOT_FOUND': return 'NotFound';
    case 'FORBIDDEN': return 'PolicyNotAuthorized';
    case 'NOT_AUTHENTICATED': return 'NotAuthenticated';
    case 'IN_USE': return 'InUse';
    case 'DUPLICATE': return 'Conflict';
    case 'INTERNAL': return 'InternalServerError';
    default: return fe.status === 409 ? 'Conflict' : 'HTTPBadRequest';
  }
}

/** The webob-style body pecan answers for an unknown path or method (as Octavia does). */
export function routeError(status: 404 | 405): { code: number; title: string; description: string } {
  return { code: status, title: status === 404 ? 'Not Found' : 'Method Not Allowed', description: '' };
}
