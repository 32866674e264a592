/**
 * @module api/neutron-lbaas/errors — the Neutron error edge of the network endpoint
 * (`/network/...`): every error becomes `{"NeutronError": {"type", "message", "detail"}}`.
 * Errors of the shared services, worded as Octavia words them, are re-worded as neutron-lbaas
 * words them (`EntityNotFound`, `StateInvalid`, `SubnetNotFound`); a route translates the
 * errors only it can word (which listener already has which pool) with {@link translating}.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { FulcrumError, type ErrorCode } from '../../domain/errors.js';
import { KIND_TITLES, type OctaviaKind } from '../../domain/model.js';
import { neutronValidationToError } from '../errors.js';

/** neutron-lbaas model names (`models.LoadBalancer.NAME` …), as its messages print them. */
const MODEL_NAMES: Readonly<Record<OctaviaKind, string>> = {
  loadbalancer: 'loadbalancer', listener: 'listener', pool: 'pool', member: 'member', healthmonitor: 'healthmonitor',
  l7policy: 'l7policy', l7rule: 'l7rule',
};
const BY_TITLE = new Map(Object.entries(KIND_TITLES).map(([kind, title]) => [title, kind as OctaviaKind]));
const OCTAVIA_NOT_FOUND = new RegExp(`^(${Object.values(KIND_TITLES).join('|')}) (.+) not found\\.$`);
const NET_NOT_FOUND = /^(Subnet|Network|Port) (.+) not found\.$/;

/** neutron-lbaas `EntityNotFound` (404): `<model> <id> could not be found`. */
export function entityNotFound(kind: OctaviaKind, id: string): FulcrumError {
  return new FulcrumError('NOT_FOUND', `${MODEL_NAMES[kind]} ${id} could not be found`, { neutronType: 'EntityNotFound' });
}

/** neutron-lbaas `EntityInUse` (409): `<model> <id> is using this <model>`. */
export function entityInUse(using: OctaviaKind, id: string, inUse: OctaviaKind): FulcrumError {
  return new FulcrumError('IN_USE', `${MODEL_NAMES[using]} ${id} is using this ${MODEL_NAMES[inUse]}`, { neutronType: 'EntityInUse' });
}

/** A Neutron error with a type name other than the code's default. */
export function neutronError(code: ErrorCode, type: string, message: string, field?: string): FulcrumError {
  return new FulcrumError(code, message, { neutronType: type, ...(field === undefined ? {} : { field }) });
}

/** Re-words a service error as neutron-lbaas does; others pass unchanged. */
export function lbaasWording(fe: FulcrumError): FulcrumError {
  const octavia = OCTAVIA_NOT_FOUND.exec(fe.message);
  if (fe.code === 'NOT_FOUND' && octavia) return entityNotFound(BY_TITLE.get(octavia[1]!)!, octavia[2]!);
  // Neutron's core plugin answers an unknown subnet 404, also when it is a load balancer's VIP subnet.
  const net = NET_NOT_FOUND.exec(fe.message);
  if ((fe.code === 'NOT_FOUND' || fe.code === 'VALIDATION') && net) {
    return neutronError('NOT_FOUND', `${net[1]}NotFound`, `${net[1]} ${net[2]} could not be found.`, fe.field);
  }
  if (fe.code === 'LB_IMMUTABLE') {
    const id = /^\S+(?: \S+)? (\S+) is immutable/.exec(fe.message)?.[1] ?? '';
    const state = /provisioning_status is (\S+)/.exec(fe.detail ?? '')?.[1] ?? 'PENDING_UPDATE';
    return neutronError('LB_IMMUTABLE', 'StateInvalid', `Invalid state ${state} of loadbalancer resource ${id}`);
  }
  return fe;
}

/** Per-route translations: `CODE` or `CODE:field` → the error to raise instead. */
export type Translations = Partial<Record<string, (fe: FulcrumError) => FulcrumError | Promise<FulcrumError>>>;

/** Awaits `work`; a FulcrumError matching a translation is raised as the translated one. */
export async function translating<T>(work: Promise<T>, rules: Translations): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (!(err instanceof FulcrumError)) throw err;
    const rule = rules[`${err.code}:${err.field ?? ''}`] ?? rules[err.code];
    throw rule ? await rule(err) : err;
  }
}

/** Neutron's type for a code when the error names none (neutron-lib's exception classes). */
function typeOf(fe: FulcrumError): string {
  switch (fe.code) {
    case 'NOT_FOUND': return 'NotFound';
    case 'FORBIDDEN': return 'PolicyNotAuthorized';
    case 'NOT_AUTHENTICATED': return 'HTTPUnauthorized';
    case 'IN_USE': return 'InUse';
    case 'DUPLICATE': case 'IP_IN_USE': case 'IP_EXHAUSTED': return 'Conflict';
    case 'QUOTA_EXCEEDED': return 'OverQuota';
    case 'PAYLOAD_TOO_LARGE': return 'HTTPRequestEntityTooLarge';
    case 'UNSUPPORTED_MEDIA_TYPE': return 'HTTPUnsupportedMediaType';
    case 'STORE_UNAVAILABLE': return 'ServiceUnavailable';
    case 'IDENTITY_UNAVAILABLE': return 'ServiceUnavailable';
    default: return fe.status >= 500 ? 'HTTPInternalServerError' : fe.status === 409 ? 'Conflict' : 'HTTPBadRequest';
  }
}

/** The FulcrumError for any error a route or Fastify raised, or null for a bug. */
function asFulcrumError(err: unknown, request: FastifyRequest): FulcrumError | null {
  if (err instanceof FulcrumError) return err;
  const fz = err as FastifyError & { validation?: Parameters<typeof neutronValidationToError>[0] };
  if (fz.validation && fz.validation.length > 0) return neutronValidationToError(fz.validation, request.body);
  if (fz.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fz.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    (fz instanceof SyntaxError && fz.statusCode === 400)) {
    return new FulcrumError('INVALID_JSON', 'Malformed request body', { neutronType: 'HTTPBadRequest' });
  }
  if (fz.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new FulcrumError('PAYLOAD_TOO_LARGE', 'Request body is too large');
  if (fz.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new FulcrumError('UNSUPPORTED_MEDIA_TYPE', 'The request media type is not supported; send application/json');
  }
  if (typeof fz.statusCode === 'number' && fz.statusCode >= 400 && fz.statusCode < 500) return new FulcrumError('VALIDATION', fz.message);
  return null;
}

/** Renders any error of the network endpoint in Neutron's body (the scope's error handler). */
export function sendNeutronError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let fe = asFulcrumError(err, request);
  if (fe === null) {
    request.log.error({ err }, 'unexpected error');
    return reply.code(500).header('content-type', 'application/json').send({
      NeutronError: { type: 'HTTPInternalServerError', message: 'Request Failed: internal server error while processing your request.', detail: '' },
    });
  }
  if (/^\/network\/v2\.0\/lbaas\//.test(request.url)) fe = lbaasWording(fe);
  if (fe.status >= 500) request.log.error({ err: fe, detail: fe.detail }, fe.message);
  else if (fe.detail) request.log.info({ code: fe.code, detail: fe.detail }, fe.message);
  return reply.code(fe.status).header('content-type', 'application/json').send({
    NeutronError: { type: fe.neutronType ?? typeOf(fe), message: fe.message, detail: '' },
  });
}
