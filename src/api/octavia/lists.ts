/**
 * @module api/octavia/lists — Octavia's list query language: filters by attribute, tags,
 * `sort` / `sort_key`+`sort_dir`, `limit` / `marker` / `page_reverse` with links, and `fields`.
 */
import type { FastifyRequest } from 'fastify';
import { FulcrumError } from '../../domain/errors.js';
import type { ListQuery, FilterValue } from '../../service/context.js';
import type { FieldMap } from './wire.js';

/** Octavia's default and largest page (`pagination_max_limit`). */
export const MAX_PAGE = 1000;

const AUX = new Set(['limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'fields', 'page_reverse']);
const TAG_KEYS = { tags: 'all', 'tags-any': 'any', 'not-tags': 'notAll', 'not-tags-any': 'notAny' } as const;

type Raw = Record<string, string | string[] | undefined>;

/** A parsed list request. */
export interface ParsedList {
  query: ListQuery;
  limit: number | null;
  fields: string[] | null;
  raw: Raw;
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[v.length - 1] : v);
const all = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function convert(value: string, type: 'str' | 'int' | 'bool'): FilterValue {
  if (type === 'int') {
    if (!/^-?\d+$/.test(value)) throw new FulcrumError('VALIDATION', 'One or more arguments are either duplicate or invalid');
    return Number(value);
  }
  if (type === 'bool') {
    const v = value.toLowerCase();
    if (['true', '1', 'yes', 'on', 't', 'y'].includes(v)) return true;
    if (['false', '0', 'no', 'off', 'f', 'n'].includes(v)) return false;
    throw new FulcrumError('VALIDATION', 'One or more arguments are either duplicate or invalid');
  }
  return value;
}

function sortDir(d: string): 'asc' | 'desc' {
  const v = d.toLowerCase();
  if (v !== 'asc' && v !== 'desc') throw new FulcrumError('VALIDATION', `Supplied sort direction '${v}' is not valid.`);
  return v;
}

/** Parses a list request's query string against a kind's fields. `extraFilters` are fixed by the route. */
export function parseList(raw: Raw, fields: FieldMap, extraFilters: Record<string, FilterValue[]> = {}): ParsedList {
  const filters: Record<string, FilterValue[]> = { ...extraFilters };
  const tags: NonNullable<ListQuery['tags']> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined || AUX.has(key)) continue;
    if (key in TAG_KEYS) {
      const list = all(value).flatMap((v) => v.split(',')).filter((t) => t !== '');
      (tags as Record<string, string[]>)[TAG_KEYS[key as keyof typeof TAG_KEYS]] = list;
      continue;
    }
    const f = fields[key];
    if (!f) throw new FulcrumError('VALIDATION', 'One or more arguments are either duplicate or invalid', { field: key });
    filters[f[0]] = all(value).map((v) => convert(v, f[1]));
  }
  const sort: { key: string; dir: 'asc' | 'desc' }[] = [];
  const sortParam = first(raw.sort);
  const keyOf = (wire: string): string => {
    const f = fields[wire];
    if (!f) throw new FulcrumError('INVALID_SORT_KEY', `Supplied sort key '${wire}' is not valid.`);
    return f[0];
  };
  if (sortParam) {
    for (const part of sortParam.split(',')) {
      const comps = part.split(':');
      if (comps.length > 2) throw new FulcrumError('INVALID_SORT_KEY', `Supplied sort key '${part}' is not valid.`);
      sort.push({ key: keyOf(comps[0]!), dir: comps[1] === undefined ? 'asc' : sortDir(comps[1]) });
    }
  } else if (first(raw.sort_key)) {
    const keys = first(raw.sort_key)!.split(',');
    const dirs = (first(raw.sort_dir) ?? '').split(',').filter((d) => d !== '');
    keys.forEach((k, i) => sort.push({ key: keyOf(k), dir: sortDir(dirs[i] ?? 'asc') }));
  }
  let limit: number | null = MAX_PAGE;
  const limitParam = first(raw.limit);
  if (limitParam !== undefined) {
    if (limitParam === 'infinite') limit = MAX_PAGE;
    else if (!/^-?\d+$/.test(limitParam)) {
      throw new FulcrumError('VALIDATION', `Supplied pagination limit '${limitParam}' is not valid.`, { field: 'limit' });
    } else limit = Number(limitParam) < 1 ? MAX_PAGE : Math.min(Number(limitParam), MAX_PAGE);
  }
  const marker = first(raw.marker);
  const pageReverse = (first(raw.page_reverse) ?? '').toLowerCase() === 'true';
  const fieldsParam = all(raw.fields).flatMap((f) => f.split(',')).filter((f) => f !== '');
  const query: ListQuery = {
    filters, sort, limit,
    ...(Object.keys(tags).length ? { tags } : {}),
    ...(marker !== undefined ? { marker } : {}),
    ...(pageReverse ? { pageReverse } : {}),
  };
  return { query, limit, fields: fieldsParam.length ? fieldsParam : null, raw };
}

/** Octavia's `<kind>_links`: previous when a marker was given, next when the page is full. */
export function pageLinks(request: FastifyRequest, parsed: ParsedList, items: readonly { id: string }[]): { href: string; rel: string }[] {
  const links: { href: string; rel: string }[] = [];
  if (items.length === 0) return links;
  const host = request.headers['x-forwarded-host'] ?? request.headers.host ?? 'localhost';
  const proto = (request.headers['x-forwarded-proto'] as string | undefined) ?? 'http';
  const path = `${proto}://${String(host)}${request.url.split('?')[0]}`;
  const attrs = [`limit=${parsed.limit ?? MAX_PAGE}`];
  const sort = first(parsed.raw.sort);
  const sortKey = first(parsed.raw.sort_key);
  if (sort) attrs.push(`sort=${sort}`);
  if (sortKey) attrs.push(`sort_key=${sortKey}`);
  if (parsed.query.marker !== undefined) {
    links.push({ href: `${path}?${[...attrs, `marker=${items[0]!.id}`, 'page_reverse=True'].join('&')}`, rel: 'previous' });
  }
  if (parsed.limit !== null && items.length >= parsed.limit) {
    links.push({ href: `${path}?${[...attrs, `marker=${items[items.length - 1]!.id}`].join('&')}`, rel: 'next' });
  }
  return links;
}

/** Keeps only the asked fields of each object (Octavia's `fields=`). */
export function selectFields(objects: Record<string, unknown>[], fields: string[] | null): Record<string, unknown>[] {
  if (!fields) return objects;
  return objects.map((o) => Object.fromEntries(Object.entries(o).filter(([k]) => fields.includes(k))));
}

/** The query string of a request, as a plain record. */
export function rawQuery(request: FastifyRequest): Raw {
  return (request.query ?? {}) as Raw;
}
