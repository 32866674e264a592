/**
 * @module api/neutron-lbaas/attributes — Neutron's request-body rules as data: an attribute map
 * per resource (neutron-lbaas `RESOURCE_ATTRIBUTE_MAP`) read the way Neutron's API layer reads it
 * (`Controller.prepare_request_body` + neutron-lib `AttributeInfo`): envelope, owner, unknown
 * attributes, POST/PUT permission, required attributes, then convert and validate in map order,
 * with neutron-lib's validator wording.
 *
 * Why not a TypeBox schema as the Octavia view uses: Neutron converts before it validates
 * (neutronclient sends `"protocol_port": "80"` as a string, which `convert_to_int` accepts),
 * and its messages come per validator; Ajv runs without coercion for the whole server.
 */
import { isIP } from 'node:net';
import { FulcrumError } from '../../domain/errors.js';

/** A converter returns the converted value or throws {@link ConversionError} with Neutron's reason. */
export type Converter = (value: unknown) => unknown;
/** A validator returns Neutron's reason when the value is not valid. */
export type Validator = (value: unknown) => string | undefined;

/** One attribute of a resource (neutron-lib's attribute spec). */
export interface AttributeSpec {
  /** May be given on create. */
  post: boolean;
  /** May be given on update. */
  put: boolean;
  /** Optional on create (Neutron's `'default'` key); absent means required when `post`. */
  optional?: boolean;
  convert?: Converter;
  validate?: readonly Validator[];
}

export type AttributeMap = Readonly<Record<string, AttributeSpec>>;

/** A value that cannot be converted (neutron-lib's converters raise `InvalidInput`). */
export class ConversionError extends Error {}

/** Python's `'%s' % value`, as Neutron's messages print values. */
export function py(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `'${k}': ${pyRepr(v)}`).join(', ')}}`;
}

function pyRepr(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : py(value);
}

const badRequest = (message: string, field?: string): FulcrumError =>
  new FulcrumError('VALIDATION', message, { neutronType: 'HTTPBadRequest', ...(field === undefined ? {} : { field }) });

// --- converters (neutron_lib.api.converters) ---

/** `convert_to_int`: integers, integral strings (`"80"`), booleans. */
export const toInt: Converter = (v) => {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v)) return Number(v);
  throw new ConversionError(`'${py(v)}' is not an integer`);
};

/** `convert_to_boolean`: booleans, `"true"`/`"false"`/`"1"`/`"0"` in any case, 0 and 1. */
export const toBoolean: Converter = (v) => {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
  }
  if (v === 0 || v === 1) return v === 1;
  throw new ConversionError(`'${py(v)}' cannot be converted to boolean`);
};

/** `convert_to_list`: null is an empty list, a single value a list of one. */
export const toList: Converter = (v) => (v === null ? [] : Array.isArray(v) ? v : [v]);

/** `convert_none_to_empty_dict`. */
export const noneToEmptyDict: Converter = (v) => (v === null ? {} : v);

// --- validators (neutron_lib.api.validators) ---

/** `type:string` with a maximum length. */
export const string = (maxLen?: number): Validator => (v) => {
  if (typeof v !== 'string') return `'${py(v)}' is not a valid string`;
  if (maxLen !== undefined && v.length > maxLen) return `'${v}' exceeds maximum length of ${maxLen}`;
  return undefined;
};

/** `type:string_or_none`. */
export const stringOrNone = (maxLen?: number): Validator => (v) => (v === null ? undefined : string(maxLen)(v));

/** `type:not_empty_string`. */
export const notEmptyString = (maxLen?: number): Validator => (v) =>
  string(maxLen)(v) ?? ((v as string).trim() === '' ? `'${py(v)}' Blank strings are not permitted` : undefined);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `type:uuid`. */
export const uuid: Validator = (v) => (typeof v === 'string' && UUID.test(v) ? undefined : `'${py(v)}' is not a valid UUID`);

/** `type:uuid_or_none`. */
export const uuidOrNone: Validator = (v) => (v === null ? undefined : uuid(v));

/** `type:ip_address`. */
export const ipAddress: Validator = (v) => (typeof v === 'string' && isIP(v) !== 0 ? undefined : `'${py(v)}' is not a valid IP address`);

/** `type:ip_address_or_none`. */
export const ipAddressOrNone: Validator = (v) => (v === null ? undefined : ipAddress(v));

/** `type:range` (after `convert_to_int`). */
export const range = (min: number, max: number): Validator => (v) => {
  if (typeof v !== 'number' || !Number.isInteger(v)) return `'${py(v)}' is not an integer`;
  if (v < min) return `'${v}' is too small - must be at least '${min}'`;
  if (v > max) return `'${v}' is too large - must be no larger than '${max}'`;
  return undefined;
};

/** `type:values`, printing the allowed values as Python prints a tuple. */
export const values = (allowed: readonly string[]): Validator => (v) =>
  typeof v === 'string' && allowed.includes(v) ? undefined : `'${py(v)}' is not in (${allowed.map((a) => `'${a}'`).join(', ')})`;

/** `type:regex`. */
export const regex = (pattern: RegExp): Validator => (v) => (typeof v === 'string' && pattern.test(v) ? undefined : `'${py(v)}' is not a valid input`);

/** `type:regex_or_none`. */
export const regexOrNone = (pattern: RegExp): Validator => (v) => (v === null ? undefined : regex(pattern)(v));

/** neutron-lbaas `type:connection_limit`. */
export const atLeast = (min: number): Validator => (v) =>
  typeof v === 'number' && v < min ? `'${v}' is not a valid value, because it cannot be less than ${min}` : undefined;

/** neutron-lbaas `type:db_out_of_bounds` (the columns are 32-bit). */
export const DB_INTEGER_MAX_VALUE = 2147483647;
export const atMostDbInteger: Validator = (v) =>
  typeof v === 'number' && v > DB_INTEGER_MAX_VALUE ? `'${v}' is not a valid value, because it is more than ${DB_INTEGER_MAX_VALUE}` : undefined;

/** Every item a string (neutron-lbaas leaves `sni_container_refs` unchecked; the store needs strings). */
export const listOfStrings = (maxLen: number): Validator => (v) => {
  for (const item of v as unknown[]) {
    const why = string(maxLen)(item);
    if (why) return why;
  }
  return undefined;
};

/**
 * `type:dict_or_empty` with key specs: `{}` is allowed; otherwise the required keys must be
 * present, no other keys may be, and each value passes its validator.
 */
export const dictOrEmpty = (keys: Readonly<Record<string, { required: boolean; validate: Validator }>>): Validator => (v) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return `'${py(v)}' is not a dictionary`;
  const given = Object.keys(v);
  if (given.length === 0) return undefined;
  const expected = Object.keys(keys);
  const required = expected.filter((k) => keys[k]!.required);
  if (required.some((k) => !given.includes(k)) || given.some((k) => !expected.includes(k))) {
    const set = (xs: string[]) => `{${[...xs].sort().map((x) => `'${x}'`).join(', ')}}`;
    return `Validation of dictionary's keys failed. Expected keys: ${set(required)} Provided keys: ${set(given)}`;
  }
  for (const [k, value] of Object.entries(v)) {
    const why = keys[k]!.validate(value);
    if (why) return why;
  }
  return undefined;
};

/**
 * Reads `{"<resource>": {...}}` as Neutron does and returns the resource's attributes: only the
 * given ones (defaults stay with the service), converted and validated. On create, `project_id`
 * and `tenant_id` become one `projectId`; `callerProject` fills it, and `requireProject` makes its
 * absence Neutron's noauth error.
 * @throws FulcrumError VALIDATION / UNKNOWN_ATTRIBUTE / INVALID_JSON with Neutron's messages.
 */
export function prepareBody(
  resource: string, body: unknown, attributes: AttributeMap,
  op: { create: true; callerProject: string | null; requireProject: boolean } | { create: false },
): { attrs: Record<string, unknown>; projectId: string | undefined } {
  if (body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0)) {
    throw badRequest('Resource body required');
  }
  if (typeof body !== 'object' || Array.isArray(body)) throw new FulcrumError('INVALID_JSON', 'Malformed request body', { neutronType: 'HTTPBadRequest' });
  if (`${resource}s` in body) throw badRequest('Bulk operation not supported');
  const res = (body as Record<string, unknown>)[resource];
  if (res === undefined || res === null) throw badRequest(`Unable to find '${resource}' in request body`);
  if (typeof res !== 'object' || Array.isArray(res)) throw badRequest(`Invalid format: ${py(res)}`);
  const attrs = { ...(res as Record<string, unknown>) };

  // The owner (neutron-lib `populate_project_info` / `populate_project_id`).
  let projectId: string | undefined;
  if ('tenant_id' in attrs || 'project_id' in attrs) {
    const tenant = 'tenant_id' in attrs ? attrs.tenant_id : attrs.project_id;
    const project = 'project_id' in attrs ? attrs.project_id : attrs.tenant_id;
    if (tenant !== project) throw badRequest("'project_id' and 'tenant_id' do not match");
    if (op.create) {
      const why = notEmptyString(255)(tenant);
      if (why) throw badRequest(`Invalid input for tenant_id. Reason: ${why}.`, 'tenant_id');
      projectId = tenant as string;
    }
  } else if (op.create) {
    projectId = op.callerProject ?? undefined;
    if (projectId === undefined && op.requireProject) {
      throw badRequest('Running without keystone AuthN requires that tenant_id is specified', 'tenant_id');
    }
  }
  const { tenant_id: _t, project_id: _p, ...rest } = attrs;
  if (!op.create && ('tenant_id' in attrs || 'project_id' in attrs)) {
    throw badRequest(`Cannot update read-only attribute ${'tenant_id' in attrs ? 'tenant_id' : 'project_id'}`, 'tenant_id');
  }

  const unknown = Object.keys(rest).filter((k) => !(k in attributes)).sort();
  if (unknown.length > 0) {
    throw new FulcrumError('UNKNOWN_ATTRIBUTE', `Unrecognized attribute(s) '${unknown.join(', ')}'`, {
      neutronType: 'HTTPBadRequest', field: unknown[0]!,
    });
  }
  for (const [name, spec] of Object.entries(attributes)) {
    const given = name in rest;
    if (op.create) {
      if (spec.post && !spec.optional && !given) throw badRequest(`Failed to parse request. Required attribute '${name}' not specified`, name);
      if (!spec.post && given) throw badRequest(`Attribute '${name}' not allowed in POST`, name);
    } else if (given && !spec.put) {
      throw badRequest(`Cannot update read-only attribute ${name}`, name);
    }
  }
  for (const [name, spec] of Object.entries(attributes)) {
    if (!(name in rest)) continue;
    let value = rest[name];
    if (spec.convert) {
      try {
        value = spec.convert(value);
      } catch (err) {
        if (!(err instanceof ConversionError)) throw err;
        // neutron-lib says "Invalid input for operation: …"; the house style names the field.
        throw new FulcrumError('VALIDATION', `Invalid input for ${name}. Reason: ${err.message}.`, { neutronType: 'InvalidInput', field: name });
      }
    }
    for (const check of spec.validate ?? []) {
      const why = check(value);
      if (why) throw badRequest(`Invalid input for ${name}. Reason: ${why}.`, name);
    }
    rest[name] = value;
  }
  return { attrs: rest, projectId };
}
