/**
 * @module domain/errors — every error Fulcrum raises on purpose, with a tenant-safe message,
 * an operator detail, and whether retrying can help. The codes are documented in docs/errors.md.
 */

/** Every error code, with its HTTP status. Kept in sync with docs/errors.md by a test. */
export const ERROR_CODES = {
  VALIDATION: 400,
  INVALID_JSON: 400,
  UNKNOWN_ATTRIBUTE: 400,
  INVALID_SORT_KEY: 400,
  HAS_CHILDREN: 400,
  NOT_AUTHENTICATED: 401,
  FORBIDDEN: 403,
  QUOTA_EXCEEDED: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  CONFIG_NOT_RENDERED: 404,
  METHOD_NOT_ALLOWED: 405,
  LB_IMMUTABLE: 409,
  DUPLICATE: 409,
  IP_IN_USE: 409,
  IN_USE: 409,
  IP_EXHAUSTED: 409,
  TOO_MANY_RULES: 409,
  NOT_ACCEPTABLE: 406,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNSUPPORTED_OPTION: 400,
  STORE_UNAVAILABLE: 503,
  NO_SEGMENT_AVAILABLE: 503,
  IDENTITY_UNAVAILABLE: 503,
  DRIVER_FAILED: 500,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Options for {@link FulcrumError}. */
export interface FulcrumErrorOptions {
  /** What the operator sees in the log; never sent to a tenant. */
  detail?: string;
  /** The error that caused this one. */
  cause?: unknown;
  /** True when the same call may succeed later (the agent requeues with backoff). */
  retryable?: boolean;
  /** The request field at fault, for validation errors. */
  field?: string;
  /** Neutron's error type name (e.g. `SubnetNotFound`), for the Neutron error body. */
  neutronType?: string;
}

/** An error with a code from {@link ERROR_CODES} and a message a tenant may read. */
export class FulcrumError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string | undefined;
  readonly retryable: boolean;
  readonly field: string | undefined;
  readonly neutronType: string | undefined;

  constructor(code: ErrorCode, message: string, opts: FulcrumErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'FulcrumError';
    this.code = code;
    this.status = ERROR_CODES[code];
    this.detail = opts.detail;
    this.retryable = opts.retryable ?? false;
    this.field = opts.field;
    this.neutronType = opts.neutronType;
  }
}

/** Octavia's wording for a value that failed a field's type or bound check. */
export function invalidField(field: string, value: unknown, why: string): FulcrumError {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  return new FulcrumError('VALIDATION', `Invalid input for field/attribute ${field}. Value: '${shown}'. ${why}`, {
    field,
  });
}

/** Octavia's "Validation failure: …" wording for a rule across fields. */
export function validationFailure(message: string, field?: string): FulcrumError {
  return new FulcrumError('VALIDATION', `Validation failure: ${message}`, field === undefined ? {} : { field });
}

/** Octavia's 404 wording: `<Kind> <id> not found.` */
export function notFound(kind: string, id: string): FulcrumError {
  return new FulcrumError('NOT_FOUND', `${kind} ${id} not found.`, { neutronType: `${kind.replace(/ /g, '')}NotFound` });
}
