/** @module drivers/haproxy/escape — turns each kind of tenant value into a `CfgToken` that is one HAProxy config word, or throws VALIDATION. */
import ipaddr from 'ipaddr.js';
import { FulcrumError } from '../../domain/errors.js';
import { isUuid } from '../../domain/ids.js';
import { DN_FIELD_PATTERN, HTTP_TOKEN_PATTERN, isHttpUrl, L7_TEXT } from '../../domain/l7.js';
import { DOMAIN_NAME_PATTERN, MAX_L7_STRING } from '../../domain/limits.js';

declare const cfgBrand: unique symbol;
/**
 * Text that is safe to place in an HAProxy config as it is: no newline, no comment, no stray
 * quote, and (unless a printer joined several on purpose) exactly one word. Only this module and
 * {@link cfgJoin} make them, so a raw tenant string cannot reach the rendered text.
 */
export type CfgToken = string & { readonly [cfgBrand]: 'CfgToken' };

/** Where a value comes from, for the error message: `Health monitor <id>` and `url_path`. */
export interface CfgSite {
  /** The object, as a tenant reads it: `Member 6e6141a8-…`. */
  object: string;
  /** The wire (Octavia) name of the field. */
  field: string;
}

/** The longest free-text value (a URL path) we accept; HAProxy lines stay far below 64 kB. */
export const MAX_TEXT_LENGTH = 1024;

/** Words HAProxy reads literally without quotes: no `#` (comment), `$` (env), quotes, `\` or spaces. */
const BARE = /^[A-Za-z0-9_./:@%+=,~-]+$/;
/** Printable ASCII without space: the characters a URL path or a file path may use here. */
const PRINTABLE = /^[\x21-\x7e]+$/;
/** RFC 6265 cookie-name token, less `'`, which HAProxy's sample-argument parser reads as a quote. */
const COOKIE_TOKEN = /^[A-Za-z0-9!#$%&*+.^_`|~-]+$/;
const DOMAIN_NAME = new RegExp(DOMAIN_NAME_PATTERN);
const EXPECTED_LIST = /^\d{3}(\s*,\s*\d{3})*$/;
const EXPECTED_RANGE = /^(\d{3})-(\d{3})$/;

/** The VALIDATION error for a value that cannot be made safe; the value itself is only in `detail`. */
export function invalidCfgValue(site: CfgSite, why: string, value: unknown): FulcrumError {
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 200)) : String(value);
  return new FulcrumError('VALIDATION', `${site.object}: invalid ${site.field}: ${why}.`, {
    field: site.field,
    detail: `${site.object} ${site.field} = ${shown}`,
  });
}

/** Marks text the renderer itself composed from tokens and fixed keywords. */
export function cfgJoin(parts: readonly CfgToken[], sep: ' ' | ',' | '|' = ' '): CfgToken {
  return parts.join(sep) as CfgToken;
}

/**
 * Quotes printable ASCII as one word: bare when it has no special character, otherwise in
 * single quotes (HAProxy interprets nothing inside them), writing `'` as `'\''`.
 */
function quoteWord(s: string): CfgToken {
  return (BARE.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`) as CfgToken;
}

function text(value: unknown, site: CfgSite, max = MAX_TEXT_LENGTH): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidCfgValue(site, 'a non-empty string is required', value);
  if (value.length > max) throw invalidCfgValue(site, `longer than ${max} characters`, value);
  if (!PRINTABLE.test(value)) throw invalidCfgValue(site, 'only printable ASCII without spaces is allowed', value);
  return value;
}

/** An object ID used as a section, server or cookie name: must be a UUID. */
export function cfgId(value: unknown, site: CfgSite): CfgToken {
  if (!isUuid(value)) throw invalidCfgValue(site, 'not a UUID', value);
  return value as CfgToken;
}

/** An integer within `[min, max]`, printed with an optional unit suffix (`ms`, `s`). */
export function cfgInt(value: unknown, min: number, max: number, site: CfgSite, unit: '' | 'ms' | 's' = ''): CfgToken {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidCfgValue(site, `an integer from ${min} to ${max} is required`, value);
  }
  return `${value}${unit}` as CfgToken;
}

/** One of a fixed set of values, mapped to its HAProxy keyword (`ROUND_ROBIN` → `roundrobin`). */
export function cfgKeyword<K extends string>(value: unknown, map: Readonly<Record<K, string>>, site: CfgSite): CfgToken {
  if (typeof value !== 'string' || !Object.hasOwn(map, value)) throw invalidCfgValue(site, 'not a supported value', value);
  return map[value as K] as CfgToken;
}

/** A parsed IP address in canonical text (RFC 5952 for IPv6) and its family. */
export interface CfgIp {
  /** The address alone, IPv6 in brackets (`[2001:db8::1]`), as `addr` and `bind`/`server` need it. */
  host: CfgToken;
  /** 4 or 6: picks the stick-table key type for source-IP persistence. */
  family: 4 | 6;
}

/** A literal IPv4 (four decimal parts) or IPv6 address without zone; anything else throws. */
export function cfgIp(value: unknown, site: CfgSite): CfgIp {
  if (typeof value === 'string' && value.length <= 45) {
    if (ipaddr.IPv4.isValidFourPartDecimal(value)) return { host: ipaddr.IPv4.parse(value).toString() as CfgToken, family: 4 };
    if (!value.includes('%') && ipaddr.IPv6.isValid(value)) {
      return { host: `[${ipaddr.IPv6.parse(value).toRFC5952String()}]` as CfgToken, family: 6 };
    }
  }
  throw invalidCfgValue(site, 'not an IP address', value);
}

/** `address:port`, with IPv6 in brackets (`[2001:db8::1]:80`), the form HAProxy 2.6 parses for both families. */
export function cfgEndpoint(ip: CfgIp, port: unknown, site: CfgSite): CfgToken {
  return `${ip.host}:${cfgInt(port, 1, 65535, site)}` as CfgToken;
}

/** A CIDR in canonical form (host bits cleared, `10.0.0.0/8`); a bare address is not accepted. */
export function cfgCidr(value: unknown, site: CfgSite): CfgToken {
  if (typeof value === 'string' && value.length <= 49 && /^[0-9A-Fa-f.:]+\/\d{1,3}$/.test(value)) {
    const [addr = '', len = ''] = value.split('/');
    const bits = Number(len);
    if (ipaddr.IPv4.isValidFourPartDecimal(addr) && bits <= 32) {
      return `${ipaddr.IPv4.networkAddressFromCIDR(`${addr}/${bits}`).toString()}/${bits}` as CfgToken;
    }
    if (ipaddr.IPv6.isValid(addr) && bits <= 128) {
      return `${ipaddr.IPv6.networkAddressFromCIDR(`${addr}/${bits}`).toRFC5952String()}/${bits}` as CfgToken;
    }
  }
  throw invalidCfgValue(site, 'not a CIDR', value);
}

/** A cookie name (RFC 6265 token, at most 255 characters) inside a sample fetch: `req.cook(<name>)`. */
export function cfgCookieFetch(fetch: 'req.cook' | 'res.cook', value: unknown, site: CfgSite): CfgToken {
  if (typeof value !== 'string' || value.length > 255 || !COOKIE_TOKEN.test(value)) {
    throw invalidCfgValue(site, 'not a cookie name (an RFC 6265 token without quotes)', value);
  }
  return quoteWord(`${fetch}(${value})`);
}

/** A health-check URL path: starts with `/`, printable ASCII, no spaces; quoted when needed. */
export function cfgUrlPath(value: unknown, site: CfgSite): CfgToken {
  const s = text(value, site);
  if (!s.startsWith('/')) throw invalidCfgValue(site, 'a path must start with /', value);
  return quoteWord(s);
}

/**
 * A file path chosen by the operator (stats socket, state file): absolute, and only letters,
 * digits and `_ . / @ + ~ -`. Quoting is not enough here: HAProxy's address parser, which also
 * reads socket paths, splits on `,` after the quotes are gone.
 */
export function cfgFilePath(value: unknown, site: CfgSite): CfgToken {
  const s = text(value, site, 4096);
  if (!/^\/[A-Za-z0-9_./@+~-]*$/.test(s)) throw invalidCfgValue(site, 'an absolute path of letters, digits and _ . / @ + ~ - is required', value);
  return s as CfgToken;
}

/**
 * A host name for a Host header. Only letters, digits, `-`, `_` and dots pass
 * (`DOMAIN_NAME_PATTERN`), so nothing in it is special to HAProxy's log-format either.
 */
export function cfgHostName(value: unknown, site: CfgSite): CfgToken {
  if (typeof value !== 'string' || value.length > 255 || !DOMAIN_NAME.test(value)) {
    throw invalidCfgValue(site, 'not a domain name', value);
  }
  return value as CfgToken;
}

/**
 * Octavia's `expected_codes` (`200`, `200,202`, `200-204`) as an anchored status regex,
 * `'^(200|202)$'`. Octavia leaves it unanchored; anchored, the regex matches exactly the
 * listed codes whatever the input was.
 */
export function cfgStatusRegex(value: unknown, site: CfgSite): CfgToken {
  if (typeof value !== 'string' || value.length > 1024) throw invalidCfgValue(site, 'not a list or range of HTTP status codes', value);
  const codes = new Set<number>();
  const range = EXPECTED_RANGE.exec(value);
  if (range) {
    const low = Number(range[1]);
    const high = Number(range[2]);
    if (high < low) throw invalidCfgValue(site, 'the range is empty', value);
    for (let c = low; c <= high; c++) codes.add(c);
  } else if (EXPECTED_LIST.test(value)) {
    for (const c of value.split(',')) codes.add(Number(c.trim()));
  } else {
    throw invalidCfgValue(site, 'not a list or range of HTTP status codes', value);
  }
  const sorted = [...codes].sort((a, b) => a - b);
  if (sorted.some((c) => c < 100 || c > 599)) throw invalidCfgValue(site, 'HTTP status codes run from 100 to 599', value);
  return quoteWord(`^(${sorted.join('|')})$`);
}

const HTTP_TOKEN = new RegExp(HTTP_TOKEN_PATTERN);
const DN_FIELD = new RegExp(DN_FIELD_PATTERN);

/**
 * A sample fetch with a name argument, as one word: `req.hdr(<header>)`, `req.cook(<cookie>)`
 * (HTTP token characters without `'` and `,`, which HAProxy's argument parser reads as a quote and
 * a separator) or `ssl_c_s_dn(<field>)` (a distinguished-name field). Quoted when needed (`#`, `$`).
 */
export function cfgNamedFetch(fetch: 'req.hdr' | 'req.cook' | 'ssl_c_s_dn', value: unknown, site: CfgSite): CfgToken {
  const shape = fetch === 'ssl_c_s_dn' ? DN_FIELD : HTTP_TOKEN;
  if (typeof value !== 'string' || value.length > MAX_L7_STRING || !shape.test(value)) {
    throw invalidCfgValue(site, fetch === 'ssl_c_s_dn' ? 'not a distinguished-name field' : 'not an HTTP header or cookie name', value);
  }
  return quoteWord(`${fetch}(${value})`);
}

/**
 * An ACL pattern (an L7 rule's value): printable ASCII, spaces and tabs, as one word in single
 * quotes when it is not a bare word. Inside single quotes HAProxy interprets nothing (`#`, `\`,
 * `"`, `$`, `%[` stay literal; `'` is written `'\''`). Printers put `--` before it, so a pattern
 * that starts with `-` is not read as a flag.
 */
export function cfgPattern(value: unknown, site: CfgSite): CfgToken {
  if (typeof value !== 'string' || value.length === 0) throw invalidCfgValue(site, 'a non-empty string is required', value);
  if (value.length > MAX_L7_STRING) throw invalidCfgValue(site, `longer than ${MAX_L7_STRING} characters`, value);
  if (!L7_TEXT.test(value)) throw invalidCfgValue(site, 'only printable ASCII, spaces and tabs are allowed', value);
  return quoteWord(value);
}

/**
 * A redirect target (`redirect location|prefix <url>`): an http or https URL made only of RFC 3986
 * characters (no space, `"`, `\` or control character), quoted when needed. The `redirect`
 * keyword writes it as it is: `%` is not a log-format escape there.
 */
export function cfgRedirectUrl(value: unknown, site: CfgSite): CfgToken {
  if (typeof value !== 'string' || !isHttpUrl(value)) throw invalidCfgValue(site, 'not an http or https URL', value);
  return quoteWord(value);
}

/**
 * An OpenSSL cipher list (`tls_ciphers`): cipher names joined with `:`, with OpenSSL's `!`, `+`,
 * `-`, `@` and `=` operators; nothing HAProxy would read as another word or a comment.
 */
export function cfgCipherList(value: unknown, site: CfgSite): CfgToken {
  const s = text(value, site, 2048);
  if (!/^[A-Za-z0-9!+@=:._-]+$/.test(s)) throw invalidCfgValue(site, 'an OpenSSL cipher list (names joined by ":") is required', value);
  return s as CfgToken;
}
