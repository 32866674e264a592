/**
 * @module domain/metrics — counters, histograms and per-scrape collectors, printed in the
 * Prometheus text exposition format (version 0.0.4). Pure: no I/O, no module state; one registry
 * is made by the composition root and handed to whoever records. It sits in domain because every
 * layer that records (api, agent, drivers) may import domain and nothing else in common.
 */

/** Label names to values. Values may be any text: they are escaped when printed. */
export type Labels = Readonly<Record<string, string>>;

/** One printed line of a family: `name{labels} value` (`suffix` for `_bucket`, `_sum`, `_count`). */
export interface Sample {
  suffix?: '' | '_bucket' | '_sum' | '_count';
  labels: Labels;
  value: number;
}

/** Everything printed under one `# HELP`/`# TYPE` header. */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  samples: readonly Sample[];
}

/** Builds a collector's family from [labels, value] pairs. */
export function family(name: string, help: string, type: 'counter' | 'gauge', samples: Iterable<readonly [Labels, number]>): MetricFamily {
  return { name, help, type, samples: [...samples].map(([labels, value]) => ({ labels, value })) };
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value as the format wants it: backslash, double quote and newline escaped. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** HELP text: backslash and newline escaped. */
function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function formatLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** Prints families in the text format. Families with no sample print only their header. */
export function renderFamilies(families: readonly MetricFamily[]): string {
  let out = '';
  for (const f of families) {
    out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
    for (const s of f.samples) out += `${f.name}${s.suffix ?? ''}${formatLabels(s.labels)} ${formatValue(s.value)}\n`;
  }
  return out;
}

function checkNames(name: string, labelNames: readonly string[]): void {
  if (!NAME.test(name)) throw new Error(`bad metric name ${name}`);
  for (const l of labelNames) if (!LABEL.test(l) || l.startsWith('__') || l === 'le') throw new Error(`bad label name ${l} on ${name}`);
}

/** The key of a label set in a fixed order, so `{a,b}` and `{b,a}` are one series. */
function keyOf(labelNames: readonly string[], labels: Labels): string {
  return JSON.stringify(labelNames.map((n) => labels[n] ?? ''));
}

function labelsOf(labelNames: readonly string[], key: string): Record<string, string> {
  const values = JSON.parse(key) as string[];
  return Object.fromEntries(labelNames.map((n, i) => [n, values[i]!]));
}

/** A monotonically increasing count per label set. */
export class Counter {
  readonly #values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string, readonly labelNames: readonly string[]) {
    checkNames(name, labelNames);
  }

  /** Adds `by` (≥ 0) to the series of `labels`. */
  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new Error(`${this.name}: a counter only grows`);
    const k = keyOf(this.labelNames, labels);
    this.#values.set(k, (this.#values.get(k) ?? 0) + by);
  }

  /** The current value of one series (0 when never incremented). */
  get(labels: Labels = {}): number {
    return this.#values.get(keyOf(this.labelNames, labels)) ?? 0;
  }

  collect(): MetricFamily {
    return {
      name: this.name, help: this.help, type: 'counter',
      samples: [...this.#values].map(([k, value]) => ({ labels: labelsOf(this.labelNames, k), value })),
    };
  }
}

/** Seconds buckets for request and reconcile durations: 1 ms to 10 s. */
export const DURATION_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Observations counted into cumulative buckets per label set. */
export class Histogram {
  readonly #series = new Map<string, { counts: number[]; sum: number; count: number }>();
  readonly buckets: readonly number[];
  constructor(readonly name: string, readonly help: string, readonly labelNames: readonly string[], buckets: readonly number[] = DURATION_BUCKETS) {
    checkNames(name, labelNames);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  /** Records one observation (seconds, for durations). */
  observe(labels: Labels, value: number): void {
    const k = keyOf(this.labelNames, labels);
    let s = this.#series.get(k);
    if (!s) this.#series.set(k, (s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  /** How many observations one series has. */
  count(labels: Labels = {}): number {
    return this.#series.get(keyOf(this.labelNames, labels))?.count ?? 0;
  }

  collect(): MetricFamily {
    const samples: Sample[] = [];
    for (const [k, s] of this.#series) {
      const labels = labelsOf(this.labelNames, k);
      this.buckets.forEach((le, i) => samples.push({ suffix: '_bucket', labels: { ...labels, le: formatValue(le) }, value: s.counts[i]! }));
      samples.push({ suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: s.count });
      samples.push({ suffix: '_sum', labels, value: s.sum });
      samples.push({ suffix: '_count', labels, value: s.count });
    }
    return { name: this.name, help: this.help, type: 'histogram', samples };
  }
}

/** A function that reads current values at scrape time (gauges of what the agent observed, say). */
export type Collector = () => readonly MetricFamily[];

/** All metrics of one process, printed together. */
export class MetricsRegistry {
  readonly #own: (Counter | Histogram)[] = [];
  readonly #collectors: Collector[] = [];

  /**
   * The counter of this name: a new one, or the one already registered with the same labels (two
   * servers built on one registry share their series). @throws when the name is taken otherwise.
   */
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    const seen = this.#existing(name, Counter, labelNames);
    if (seen) return seen;
    const c = new Counter(name, help, labelNames);
    this.#own.push(c);
    return c;
  }

  /** The histogram of this name, as {@link counter}. */
  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: readonly number[]): Histogram {
    const seen = this.#existing(name, Histogram, labelNames);
    if (seen) return seen;
    const h = new Histogram(name, help, labelNames, buckets);
    this.#own.push(h);
    return h;
  }

  /** Adds a collector called at each scrape; returns the function that removes it. */
  collect(fn: Collector): () => void {
    this.#collectors.push(fn);
    return () => {
      const i = this.#collectors.indexOf(fn);
      if (i >= 0) this.#collectors.splice(i, 1);
    };
  }

  #existing<T extends Counter | Histogram>(name: string, kind: new (...args: never[]) => T, labelNames: readonly string[]): T | undefined {
    const m = this.#own.find((x) => x.name === name);
    if (!m) return undefined;
    if (!(m instanceof kind) || m.labelNames.join() !== labelNames.join()) throw new Error(`metric ${name} registered twice, differently`);
    return m;
  }

  /** Every family, own metrics first, then the collectors' (families of one name merged). */
  families(): MetricFamily[] {
    const byName = new Map<string, MetricFamily>();
    for (const f of [...this.#own.map((m) => m.collect()), ...this.#collectors.flatMap((c) => c())]) {
      const seen = byName.get(f.name);
      if (!seen) byName.set(f.name, f);
      else if (seen.type === f.type) byName.set(f.name, { ...seen, samples: [...seen.samples, ...f.samples] });
      else throw new Error(`metric ${f.name} collected as ${seen.type} and ${f.type}`);
    }
    return [...byName.values()];
  }

  /** The text exposition of every metric. */
  expose(): string {
    return renderFamilies(this.families());
  }
}

/** The Content-Type of {@link MetricsRegistry.expose}'s text. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
