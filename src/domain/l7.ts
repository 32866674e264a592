/**
 * @module domain/l7 — what makes an L7 rule or a redirect URL valid: Octavia's `validate.l7rule_data`,
 * `validate_l7rule_ssl_types` and `validate.url`, with character rules strict enough that no
 * accepted value can be special to HAProxy once quoted (the renderer checks them again).
 */
import { MAX_L7_STRING } from './limits.js';
import type { L7RuleCompareType, L7RuleType } from './model.js';

/**
 * An HTTP header or cookie name: RFC 7230 `tchar`s without `'` (HAProxy's sample-argument parser
 * reads it as a quote). Octavia's `HTTP_HEADER_NAME_REGEX` also lets `,` through by a character
 * range (`+-.`); `,` separates HAProxy fetch arguments, so it is refused here.
 */
export const HTTP_TOKEN_PATTERN = "^[A-Za-z0-9!#$%&*+.^_`|~-]+$";
/** Octavia's `HTTP_HEADER_VALUE_REGEX`: visible ASCII, no spaces. */
const HEADER_VALUE = /^[\x21-\x7e]+$/;
/**
 * Octavia's `HTTP_QUOTED_HEADER_VALUE_REGEX`: a double-quoted string that may hold spaces and
 * tabs; here not empty (`""` would leave HAProxy no pattern to compare with).
 */
const QUOTED_HEADER_VALUE = /^"[\t\x20-\x7e]+"$/;
/** Octavia's `HTTP_COOKIE_VALUE_REGEX`: visible ASCII but `"`, `;` and `\`. */
const COOKIE_VALUE = /^[\x21\x23-\x3a\x3c-\x5b\x5d-\x7e]+$/;
/** Octavia's `DISTINGUISHED_NAME_FIELD_REGEX` (`ssl_c_s_dn(<field>)`). */
export const DN_FIELD_PATTERN = '^[a-zA-Z][A-Za-z0-9-]*$';
/** What any rule value may hold: printable ASCII, spaces and tabs; never a line break or control character. */
export const L7_TEXT = /^[\t\x20-\x7e]*$/;

/** The fields of a rule that decide whether it is valid. */
export interface L7RuleFields {
  type: L7RuleType;
  compareType: L7RuleCompareType;
  key: string | null;
  value: string;
}

/** What is wrong with a rule: Octavia's message (without the `Error parsing L7Rule: ` prefix) and the field. */
export interface L7RuleProblem {
  message: string;
  field: 'type' | 'compare_type' | 'key' | 'value';
}

const SSL_TYPES: readonly L7RuleType[] = ['SSL_CONN_HAS_CERT', 'SSL_VERIFY_RESULT', 'SSL_DN_FIELD'];

/** True for the rule types that read the client's TLS certificate. */
export function isSslRuleType(t: L7RuleType): boolean {
  return SSL_TYPES.includes(t);
}

const invalid = (msg: string, field: L7RuleProblem['field']): L7RuleProblem => ({ message: `Invalid L7 Rule: ${msg}`, field });
const badChars = (what: string, field: L7RuleProblem['field']): L7RuleProblem => ({ message: `Invalid characters in ${what}`, field });

/**
 * Octavia's `regex()` (Python's `re.compile`): the message of a pattern that does not compile, or
 * null. HAProxy compiles with PCRE; JavaScript's `u` mode is the closer of the two: it refuses the
 * unknown escapes (`\y`) and stray braces PCRE refuses, which plain mode would let through to a
 * configuration `haproxy -c` rejects.
 */
function regexProblem(value: string): L7RuleProblem | null {
  try {
    new RegExp(value, 'u');
    return null;
  } catch (err) {
    return { message: `Unable to parse regular expression: ${(err as Error).message}`, field: 'value' };
  }
}

/** True when the pattern compiles (see {@link regexProblem}). */
export function isValidRegex(value: string): boolean {
  return regexProblem(value) === null;
}

/** A header-type value (HOST_NAME, PATH, FILE_TYPE, HEADER) compared as a string: Octavia's `header_value_string`. */
function isHeaderValue(v: string): boolean {
  return HEADER_VALUE.test(v) || QUOTED_HEADER_VALUE.test(v);
}

/**
 * Checks a rule as Octavia's `l7rule_data` does, in its order and with its messages; every value
 * must also be printable ASCII (Octavia only refuses line breaks). Null when the rule is valid.
 */
export function l7RuleProblem(r: L7RuleFields): L7RuleProblem | null {
  if (!r.value) return invalid('L7 rule type requires a value', 'value');
  if (r.value.length > MAX_L7_STRING || (r.key !== null && r.key.length > MAX_L7_STRING)) {
    return invalid(`keys and values are at most ${MAX_L7_STRING} characters`, r.value.length > MAX_L7_STRING ? 'value' : 'key');
  }
  if (!L7_TEXT.test(r.value)) return badChars('value', 'value');
  if (r.key !== null && !L7_TEXT.test(r.key)) return badChars('key', 'key');
  const cmp = r.compareType;
  switch (r.type) {
    case 'HEADER':
    case 'COOKIE': {
      if (!r.key) return invalid('L7 rule type requires a key', 'key');
      if (!new RegExp(HTTP_TOKEN_PATTERN).test(r.key)) return badChars('key', 'key');
      if (cmp === 'REGEX') return regexProblem(r.value);
      if (r.type === 'HEADER') return isHeaderValue(r.value) ? null : badChars('header value', 'value');
      return COOKIE_VALUE.test(r.value) ? null : badChars('cookie value', 'value');
    }
    case 'HOST_NAME':
    case 'PATH':
      if (cmp === 'REGEX') return regexProblem(r.value);
      return isHeaderValue(r.value) ? null : badChars('comparison value', 'value');
    case 'FILE_TYPE':
      if (cmp === 'REGEX') return regexProblem(r.value);
      if (cmp !== 'EQUAL_TO') return invalid('invalid comparison type for rule type', 'compare_type');
      return isHeaderValue(r.value) ? null : badChars('comparison value', 'value');
    case 'SSL_CONN_HAS_CERT':
      if (r.key) return invalid(`L7rule type ${r.type} does not use the "key" field.`, 'key');
      if (r.value.toLowerCase() !== 'true') return invalid(`L7rule value ${r.value} is not a boolean True string.`, 'value');
      if (cmp !== 'EQUAL_TO') return invalid(`L7rule type ${r.type} only supports the EQUAL_TO compare type.`, 'compare_type');
      return null;
    case 'SSL_VERIFY_RESULT':
      if (r.key) return invalid(`L7rule type ${r.type} does not use the "key" field.`, 'key');
      // HAProxy reads the code as a 32-bit integer; Octavia sets no upper bound.
      if (!/^\d{1,10}$/.test(r.value) || Number(r.value) > 2147483647) {
        return invalid(`L7rule type ${r.type} needs a int value, which is >= 0`, 'value');
      }
      if (cmp !== 'EQUAL_TO') return invalid(`L7rule type ${r.type} only supports the EQUAL_TO compare type.`, 'compare_type');
      return null;
    case 'SSL_DN_FIELD': {
      if (cmp === 'REGEX') {
        const p = regexProblem(r.value);
        if (p) return p;
      }
      if (!r.key) return invalid(`L7rule type ${r.type} needs to specify a key and a value.`, 'key');
      if (!new RegExp(DN_FIELD_PATTERN).test(r.key)) return invalid('Invalid L7rule distinguished name field.', 'key');
      return null;
    }
    default:
      return invalid('invalid rule type', 'type');
  }
}

/** True for the types whose `key` Octavia clears on update (they have no use for one). */
export function ruleTypeIgnoresKey(t: L7RuleType): boolean {
  return t === 'HOST_NAME' || t === 'PATH' || t === 'FILE_TYPE';
}

/**
 * The string HAProxy should compare a header-type value with. Octavia writes a quoted value
 * (`"a b"`) into the config where HAProxy takes the double quotes as quoting, so it matches `a b`;
 * Fulcrum keeps that meaning.
 */
export function comparedText(type: L7RuleType, value: string): string {
  if ((type === 'HEADER' || type === 'HOST_NAME' || type === 'PATH' || type === 'FILE_TYPE') && QUOTED_HEADER_VALUE.test(value)) {
    return value.slice(1, -1);
  }
  return value;
}

const URL_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/?#[\]]+$/;
const URL_SHAPE = /^(https?):\/\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:%]*@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::(\d{1,5}))?((?:\/[A-Za-z0-9\-._~!$&'()*+,;=:@%]*)*)(\?[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*)?(#[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*)?$/i;

/**
 * Octavia's `validate.url` (rfc3986: scheme http or https, a host), here over the whole URL:
 * every character must be one RFC 3986 allows and every `%` must start a percent-encoding, so
 * a URL never holds a space, a quote other than `'`, a backslash or a control character.
 */
export function isHttpUrl(value: string): boolean {
  if (value.length === 0 || value.length > MAX_L7_STRING || !URL_CHARS.test(value)) return false;
  if (/%(?![0-9A-Fa-f]{2})/.test(value)) return false;
  const m = URL_SHAPE.exec(value);
  if (!m) return false;
  const port = m[3];
  return port === undefined || Number(port) <= 65535;
}
