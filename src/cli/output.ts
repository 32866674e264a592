/**
 * @module cli/output — prints objects as openstackclient (cliff) does: `-f table` (ASCII tables,
 * Field/Value for one object), `-f json` (raw values), `-f value` (bare values), `-c` to pick columns.
 */
import Table from 'cli-table3';
import { UsageError } from './errors.js';

/** Output formats, as cliff names them. */
export const FORMATS = ['table', 'json', 'value'] as const;
/** One of {@link FORMATS}. */
export type Format = (typeof FORMATS)[number];

/** Somewhere to write text (process.stdout, or a buffer in tests). */
export interface Writer {
  /** Writes text as is (no newline added). */
  write(chunk: string): unknown;
}

/** What `-f` and `-c` asked for. */
export interface OutputOptions {
  /** `-f`. */
  format: Format;
  /** Columns to keep (header or field name); empty keeps all. */
  columns: readonly string[];
}

/** One column of a list: the wire field it shows and, when it differs, its header. */
export interface Column {
  /** Wire name of the field (`vip_address`). */
  field: string;
  /** Header text (openstackclient's network lists say `ID`, `Subnet`); defaults to the field name. */
  header?: string;
  /** Cell text for table and value output; defaults to {@link formatValue}. */
  format?: (value: unknown) => string;
}

/** Fields never shown: `tenant_id` repeats `project_id`, and the OpenStack clients leave it out too. */
const HIDDEN = new Set(['tenant_id']);

/** cliff's table: ASCII borders, a rule under the header only, no colours. */
const TABLE_STYLE = {
  style: { head: [], border: [], compact: true },
  chars: {
    top: '-', 'top-mid': '+', 'top-left': '+', 'top-right': '+', bottom: '-', 'bottom-mid': '+', 'bottom-left': '+',
    'bottom-right': '+', left: '|', 'left-mid': '+', mid: '-', 'mid-mid': '+', right: '|', 'right-mid': '+', middle: '|',
  },
};

/**
 * A wire value as the OpenStack clients print it: `None`, `True`/`False`, references (`[{id}]`) as
 * IDs one per line, other lists one item per line, objects as `key=value` lines.
 */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) return v.map((item) => (isRef(item) ? item.id : typeof item === 'object' && item !== null ? inline(item) : formatValue(item))).join('\n');
  if (typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k}=${formatValue(x)}`).join('\n');
  return String(v);
}

const isRef = (x: unknown): x is { id: string } =>
  typeof x === 'object' && x !== null && Object.keys(x).length === 1 && typeof (x as { id?: unknown }).id === 'string';

/** `ip_address='10.0.0.5', subnet_id='…'`, openstackclient's form for an object inside a list (fixed IPs, pools). */
const inline = (o: object): string => Object.entries(o).map(([k, x]) => `${k}='${formatValue(x)}'`).join(', ');

const headerOf = (c: Column): string => c.header ?? c.field;

/** Keeps the asked columns in the asked order; an unknown one is a usage error naming the known ones. */
function pick(all: readonly Column[], wanted: readonly string[]): Column[] {
  if (wanted.length === 0) return [...all];
  return wanted.map((w) => {
    const c = all.find((x) => headerOf(x) === w) ?? all.find((x) => x.field === w);
    if (!c) throw new UsageError(`No recognized column name '${w}'. Recognized columns are (${all.map((x) => `'${headerOf(x)}'`).join(', ')}).`);
    return c;
  });
}

const cell = (c: Column, row: Record<string, unknown>): string => (c.format ?? formatValue)(row[c.field]);

/** Prints a list: a table (nothing at all when empty, as cliff), a JSON array keyed by header, or one line per row. */
export function printList(out: Writer, rows: readonly Record<string, unknown>[], columns: readonly Column[], opts: OutputOptions): void {
  const cols = pick(columns, opts.columns);
  if (opts.format === 'json') {
    const json = rows.map((r) => Object.fromEntries(cols.map((c) => [headerOf(c), r[c.field] ?? null])));
    out.write(`${JSON.stringify(json, null, 4)}\n`);
  } else if (opts.format === 'value') {
    for (const r of rows) out.write(`${cols.map((c) => cell(c, r)).join(' ')}\n`);
  } else if (rows.length > 0) {
    const table = new Table({ ...TABLE_STYLE, head: cols.map(headerOf) });
    for (const r of rows) table.push(cols.map((c) => cell(c, r)));
    out.write(`${table.toString()}\n`);
  }
}

/** Prints one object: its fields sorted, as a Field/Value table, a JSON object, or one value per line. */
export function printShow(out: Writer, obj: Record<string, unknown>, opts: OutputOptions): void {
  const fields = Object.keys(obj).filter((k) => !HIDDEN.has(k)).sort();
  const cols = pick(fields.map((field) => ({ field })), opts.columns);
  if (opts.format === 'json') {
    out.write(`${JSON.stringify(Object.fromEntries(cols.map((c) => [c.field, obj[c.field] ?? null])), null, 4)}\n`);
  } else if (opts.format === 'value') {
    for (const c of cols) out.write(`${cell(c, obj)}\n`);
  } else {
    const table = new Table({ ...TABLE_STYLE, head: ['Field', 'Value'] });
    for (const c of cols) table.push([c.field, cell(c, obj)]);
    out.write(`${table.toString()}\n`);
  }
}
