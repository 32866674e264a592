/**
 * @module bench/report — writes bench/REPORT.md and its plots (bench/report/*.svg, by
 * bench/lib/svg.ts) from one results file of `npm run bench` (bench/results/<date>.json).
 *
 *   node dist/bench/report.js bench/results/2026-12-03T1740Z.json
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiResults, Row, ScaleRow, Side } from './api.js';
import { formatRatio, goalMark, goalOf } from './lib/goals.js';
import type { DensityResult, Results as DataplaneResults } from './dataplane.js';
import { formatMachine, type Machine } from './lib/machine.js';
import { barChart, lineChart, type BarGroup } from './lib/svg.js';
import { distribution, median, type AcrossRounds } from './lib/stats.js';

const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench');

/** What the dataplane bench writes with --json (the subset the report reads). */
export interface DataplaneFile {
  date: string; loadAverage: { before: string; after: string };
  options: { isQuick: boolean; lbs: number; rounds: number; reloads: number; density: number };
  results: DataplaneResults;
}

/** One `npm run bench` run: what each bench wrote, and how the run went. */
export interface RunFile {
  date: string; machine: Machine; command: string; isQuick: boolean; seconds: number;
  loadAverage: { before: string; after: string };
  api?: ApiResults;
  /** The API bench's own printed report (markdown). */
  apiText?: string;
  dataplane?: DataplaneFile;
  dataplaneText?: string;
  /** Density (memory, resync) by number of load balancers: the dataplane bench's density phase at 10 and at 100. */
  density: Record<string, DensityResult>;
  /** Reserved for the 1,000-member batch phase (another branch adds it to bench/dataplane.ts). */
  batch?: unknown;
  /** Steps that failed: the report says so instead of leaving a figure out silently. */
  failures: string[];
  /** Steps taken from an earlier run (`npm run bench -- --reuse FILE`), said in the report. */
  reused: string[];
  /** Wall time of each step (install, api, dataplane, density), seconds; absent in older files. */
  stepSeconds?: Record<string, number>;
}

const fmt = (x: number, d: number): string => (Number.isFinite(x) ? x.toFixed(d) : '–');
const fmtRounds = (a: AcrossRounds, d: number): string => `${fmt(a.median, d)} (${fmt(a.min, d)}–${fmt(a.max, d)})`;

/** Least-squares slope of y over x. */
function slope(points: readonly { x: number; y: number }[]): number {
  const ps = points.filter((p) => Number.isFinite(p.y));
  const mx = ps.reduce((a, p) => a + p.x, 0) / ps.length;
  const my = ps.reduce((a, p) => a + p.y, 0) / ps.length;
  const num = ps.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const den = ps.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return den === 0 ? NaN : num / den;
}

/** Rounds in which Octavia completed no request under wrk for a rate figure (their ratio is a lower bound). */
function zeroRounds(a: ApiResults, row: Row): number {
  return row.unit === 'req/s' ? a.perRound.octavia.filter((x) => x.wrk[row.key as keyof typeof x.wrk]?.requests === 0).length : 0;
}

/** Results files written before Row.boundedRounds existed left such rounds out of the ratio: no ratio from them is trusted. */
function checkedRow(a: ApiResults, row: Row): Row {
  const zero = zeroRounds(a, row);
  if (zero === 0 || row.boundedRounds !== undefined) return row;
  const { ratio: _dropped, ...rest } = row;
  return rest;
}

const NAMES = { fulcrum: 'Fulcrum', octavia: 'Octavia 11' } as const;
const COLOUR = { fulcrum: '#1f77b4', octavia: '#d62728' } as const;

/** What a reader must know about a rate row in which Octavia completed no request in some rounds. */
function boundNote(a: ApiResults, row: Row, zero: number): string {
  const d = a.options.duration;
  if (row.boundedRounds === undefined) {
    return `${row.figure}: in ${zero} of ${a.perRound.octavia.length} rounds Octavia completed no request within wrk's ${d} s; this results file `
      + 'predates lower bounds, so no ratio is shown for it.';
  }
  return `${row.figure}: in ${zero} of ${a.perRound.octavia.length} rounds Octavia completed no request within wrk's ${d} s, so its rate there was`
    + ` under 1 request per run (< ${fmt(1 / d, 2)} req/s) and that round's ratio is Fulcrum's rate over that bound: a lower bound. The ratio`
    + ' shown (median and min–max over all rounds, with those bounds) is therefore a lower bound too ("≥"); the goal is marked met only'
    + ' when even the bound reaches it.';
}

function apiSection(r: RunFile, plots: Map<string, string>): string[] {
  const a = r.api;
  if (!a) return ['## Control plane: Fulcrum and Octavia 11', '', `Not measured in this run (${r.failures.join('; ') || 'skipped'}).`, ''];
  const o = a.options;
  const rows = a.rows.map((row) => checkedRow(a, row));
  const latency = rows.filter((x) => x.unit === 'ms');
  const rates = rows.filter((x) => x.unit === 'req/s');
  const bars = (rows: Row[]): BarGroup[] => rows.map((row) => ({
    label: row.figure.replace(' (listener, pool, 2 members, monitor)', '').replace(', req/s at concurrency', ', c ='),
    bars: (['fulcrum', 'octavia'] as const).filter((t) => row.sides[t]).map((t) => {
      const s = row.sides[t]!;
      return { series: NAMES[t], value: s.value.median, min: s.value.min, max: s.value.max };
    }),
    ...(row.ratio ? { note: `Fulcrum ${row.boundedRounds ? 'at least ' : ''}${fmt(row.ratio.median, 0)}× better (rounds ${fmt(row.ratio.min, 0)}–${fmt(row.ratio.max, 0)}×; goal ≥ ${row.goal}×)` } : {}),
  }));
  plots.set('api-latency.svg', barChart({ title: 'API latency, median of rounds (whiskers: min–max of rounds) — shorter is better', unit: 'ms', groups: bars(latency), isLog: true }));
  plots.set('api-throughput.svg', barChart({ title: 'API requests per second (wrk) — longer is better', unit: 'req/s', groups: bars(rates), isLog: true }));
  const ratioRows = rows.filter((x) => x.ratio);
  plots.set('api-ratio.svg', barChart({
    title: 'How many times better Fulcrum is, per figure (paired rounds; goal 10× latency, 50× rate)', unit: '× (Octavia / Fulcrum latency; Fulcrum / Octavia rate)', isLog: true,
    groups: ratioRows.map((row) => ({
      label: row.figure.replace(' (listener, pool, 2 members, monitor)', '').replace(', req/s at concurrency', ', c ='),
      bars: [{
        series: { met: 'goal met', missed: 'goal not met', undecided: 'lower bound, below the goal' }[goalOf(row) ?? 'missed'],
        value: row.ratio!.median, min: row.ratio!.min, max: row.ratio!.max, label: `${row.boundedRounds ? '≥ ' : ''}${fmt(row.ratio!.median, 1)}× (goal ${row.goal}×)`,
      }],
    })),
  }));
  const lines = [
    '## Control plane: Fulcrum and Octavia 11, same run, same client',
    '',
    `Fulcrum: \`fulcrum up --auth noauth --provider noop\` on SQLite. Octavia 11: Debian's \`octavia-api\` (python3-octavia 11.0.0) started by`,
    '`../shared/peers/octavia/start.sh` with `MODE=apionly DB=sqlite` (schema by its `init_db.py`), one gunicorn sync worker, noauth, noop',
    `provider. ${o.rounds} rounds; round k runs every figure on Fulcrum then on Octavia, round k+1 in the other order. Each request`,
    'goes the same way to both: Node\'s http client, one request in flight, a **new TCP connection per request** (gunicorn closes',
    `every connection anyway), timed from the request to the last byte of the answer; ${o.n} requests per figure per round (writes: ${o.nWrite}).`,
    `Rates: \`wrk\` ${o.duration} s per line per round (keep-alive where the server keeps connections). A figure is the median of the`,
    'rounds\' medians with the min–max of the rounds; p99 pools every sample; "better by" is Octavia\'s latency / Fulcrum\'s (or',
    'Fulcrum\'s rate / Octavia\'s) **per round**, then median and min–max of those ratios.',
    '',
    '![API latency](report/api-latency.svg)',
    '',
    '![API throughput](report/api-throughput.svg)',
    '',
    '![Ratios against the goals](report/api-ratio.svg)',
    '',
    '| figure | Fulcrum, median (min–max of rounds) | p99 | Octavia 11, median (min–max) | p99 | Fulcrum better by | goal |',
    '|---|---|---|---|---|---|---|',
  ];
  const notes: string[] = [];
  for (const row of rows) {
    const d = row.unit === 'ms' ? 2 : 0;
    const zero = zeroRounds(a, row);
    if (zero > 0) notes.push(boundNote(a, row, zero));
    const cell = (s: Side | undefined): string => (s ? `${fmtRounds(s.value, d)} ${row.unit} | ${fmt(s.p99, 1)} ms` : '– | –');
    lines.push(`| ${row.figure} | ${cell(row.sides.fulcrum)} | ${cell(row.sides.octavia)} | ${formatRatio(row, 1)} | ≥ ${row.goal}×${goalMark(row)} |`);
  }
  lines.push(...notes.map((n) => `\n- ${n}`));
  lines.push('', `For rates, the p99 column is wrk's latency p99. API process memory (RSS) at the end, with 1,000 load balancers: `
    + `Fulcrum ${fmt((a.rssKb.fulcrum ?? NaN) / 1024, 0)} MB (one Node process: API and agent), Octavia ${fmt((a.rssKb.octavia ?? NaN) / 1024, 0)} MB (gunicorn master and worker).`,
  '', 'How Octavia is driven, and why:',
  '- Its noop provider never moves an object out of `PENDING_*`, so a second write on a load balancer would get 409. As Octavia\'s',
  '  functional tests do, the bench sets the load balancer and its children to `ACTIVE` directly in Octavia\'s SQLite file',
  '  (`bench/lib/octavia-peer.ts`, `settle`) between timed requests, never inside one. On Fulcrum it waits for the agent instead (untimed).',
  '- Past 100 load balancers Octavia is grown by copying one load balancer\'s `load_balancer` and `vip` rows with new IDs (900 POSTs',
  '  take 20–150 s there); Fulcrum is grown through its API. Only reads are timed at 1,000.',
  '- One gunicorn worker against one Node process: each side gets one server process. Octavia with more workers would serve more',
  '  requests per second on more cores (RECIPE.md: 19 → 35 req/s on the list with 2 workers); its latency would not change.', '');
  return lines;
}

function scaleSection(r: RunFile, plots: Map<string, string>): string[] {
  const lines = ['## Scale: 10, 100 and 1,000 load balancers', ''];
  const a = r.api;
  if (a && a.scale.length > 0) {
    const pts = (t: 'fulcrum' | 'octavia', k: 'getOne' | 'list') => a.scale.filter((s: ScaleRow) => s.sides[t]).map((s) => {
      const v = s.sides[t]![k].value;
      return { x: s.size, y: v.median, min: v.min, max: v.max };
    });
    const series = (['fulcrum', 'octavia'] as const).filter((t) => a.scale[0]!.sides[t]).flatMap((t) => [
      { name: `${NAMES[t]}: list (all)`, points: pts(t, 'list'), colour: COLOUR[t] },
      { name: `${NAMES[t]}: GET one`, points: pts(t, 'getOne'), isDashed: true, colour: COLOUR[t] },
    ]);
    plots.set('scale-api.svg', lineChart({ title: 'API latency as load balancers accumulate', xLabel: 'load balancers in the database', yLabel: 'ms (median of rounds)', series, isLogX: true, isLogY: true }));
    lines.push('![API latency by number of load balancers](report/scale-api.svg)', '',
      '| load balancers | Fulcrum GET one | Fulcrum GET list (all) | Octavia GET one | Octavia GET list (all) |', '|---|---|---|---|---|');
    for (const s of a.scale) {
      const c = (t: 'fulcrum' | 'octavia', k: 'getOne' | 'list'): string => (s.sides[t] ? `${fmtRounds(s.sides[t]![k].value, 2)} ms` : '–');
      lines.push(`| ${s.size} | ${c('fulcrum', 'getOne')} | ${c('fulcrum', 'list')} | ${c('octavia', 'getOne')} | ${c('octavia', 'list')} |`);
    }
    const slopeLine = (t: 'fulcrum' | 'octavia'): string => {
      const list = slope(pts(t, 'list'));
      const one = slope(pts(t, 'getOne'));
      return `${NAMES[t]}: the whole list costs ${fmt(list * 1000, 0)} µs more per load balancer listed, GET one ${fmt(one * 1000, 2)} µs per load balancer present`;
    };
    lines.push('', `Slopes (least squares over the three sizes): ${(['fulcrum', 'octavia'] as const).filter((t) => a.scale[0]!.sides[t]).map(slopeLine).join('; ')}.`,
      `Each size: ${Math.min(a.options.rounds, 3)} interleaved rounds × ${a.options.scaleN} requests per figure.`, '');
  }
  const sizes = Object.keys(r.density).map(Number).sort((x, y) => x - y);
  if (sizes.length > 0) {
    const d = sizes.map((n) => ({ n, x: r.density[String(n)]! }));
    const mb = (kb: number): number => kb / 1024;
    plots.set('scale-memory.svg', lineChart({
      title: 'Data-plane memory per load balancer', xLabel: 'load balancers running', yLabel: 'MB per load balancer', isLogX: true,
      series: [
        { name: 'HAProxy PSS', points: d.map(({ n, x }) => ({ x: n, y: mb(x.haproxyPssKb) })) },
        { name: 'HAProxy RSS', points: d.map(({ n, x }) => ({ x: n, y: mb(x.haproxyRssKb) })), isDashed: true },
        { name: 'MemAvailable drop', points: d.map(({ n, x }) => ({ x: n, y: mb(x.memAvailableDropKb) })) },
      ],
    }));
    plots.set('scale-resync.svg', lineChart({
      title: 'Agent restart: time until every load balancer is applied again', xLabel: 'load balancers running', yLabel: 's', isLogX: true,
      series: [
        { name: 'all applied', points: d.map(({ n, x }) => ({ x: n, y: x.resync.allAppliedMs / 1000 })) },
        { name: 'API answers', points: d.map(({ n, x }) => ({ x: n, y: x.resync.healthyMs / 1000 })), isDashed: true },
        { name: 'create all', points: d.map(({ n, x }) => ({ x: n, y: x.createServingMs / 1000 })), isDashed: true },
      ],
    }));
    lines.push('![Memory per load balancer](report/scale-memory.svg) ![Resync after a restart](report/scale-resync.svg)', '',
      '| load balancers running | HAProxy RSS per LB (master + worker) | PSS per LB | MemAvailable drop per LB | Fulcrum RSS | create all → serving | agent restart → API / all applied (workers kept) | delete all |',
      '|---|---|---|---|---|---|---|---|');
    for (const { n, x } of d) {
      lines.push(`| ${n} | ${fmt(mb(x.haproxyRssKb), 1)} MB (${fmt(mb(x.masterRssKb), 1)} + ${fmt(mb(x.workerRssKb), 1)}) | ${fmt(mb(x.haproxyPssKb), 1)} MB | ${fmt(mb(x.memAvailableDropKb), 1)} MB | `
        + `${fmt(mb(x.fulcrumRssAfterKb), 0)} MB | ${fmt(x.createServingMs / 1000, 1)} s (${x.serving}/${n}) | ${fmt(x.resync.healthyMs / 1000, 2)} / ${fmt(x.resync.allAppliedMs / 1000, 2)} s (${x.resync.workersKept}/${n}) | ${fmt(x.deleteMs / 1000, 1)} s |`);
    }
      if (d.length >= 2) {
      const resyncSlope = slope(d.map(({ n, x }) => ({ x: n, y: x.resync.allAppliedMs })));
      const pssSlope = slope(d.map(({ n, x }) => ({ x: n, y: x.haproxyPssKb * n })));
      const createSlope = slope(d.map(({ n, x }) => ({ x: n, y: x.createServingMs })));
      lines.push('', `Slopes between ${sizes.join(' and ')} running: resync ${fmt(resyncSlope, 1)} ms per load balancer; HAProxy PSS ${fmt(pssSlope / 1024, 1)} MB per load balancer added; `
        + `create-to-serving ${fmt(createSlope, 0)} ms per load balancer. One run each.`);
    }
    lines.push('', '1,000 load balancers with their HAProxies are not measured: the bench puts all VIPs on one /24 (at most 200),',
      'the kernel\'s ARP table is host-wide (`gc_thresh3` = 1024: 300 load balancers already took every VIP down in',
      '`../shared/peers/haproxy-lab/RESULTS.md`, test 7), and a Linux bridge holds at most 1,024 ports. By the slopes above, 1,000 would',
      `need about ${fmt(mb(d.at(-1)!.x.haproxyPssKb) * 1000 / 1024, 1)} GB of HAProxy PSS and a resync of about `
        + `${fmt((d.at(-1)!.x.resync.allAppliedMs + slope(d.map(({ n, x }) => ({ x: n, y: x.resync.allAppliedMs }))) * (1000 - d.at(-1)!.n)) / 1000, 0)} s at this machine's load; `
        + 'that is an extrapolation, not a measurement.', '');
  } else {
    lines.push('Data-plane scale figures were not measured in this run.', '');
  }
  return lines;
}

function dataplaneSection(r: RunFile, plots: Map<string, string>): string[] {
  const f = r.dataplane;
  const lines = ['## Data plane: Fulcrum against hand-written HAProxy', ''];
  if (!f) return [...lines, `Not measured in this run (${r.failures.join('; ') || 'skipped'}).`, ''];
  const x = f.results;
  const groups: BarGroup[] = [];
  if (x.create) {
    const fu = distribution(x.create.fulcrum.map((s) => s.first200Ms).filter(Number.isFinite));
    const fl = distribution(x.create.floor.map((s) => s.first200Ms).filter(Number.isFinite));
    groups.push({ label: 'create → first 200 through the VIP', bars: [
      { series: 'Fulcrum', value: fu.median, min: fu.min, max: fu.max },
      { series: 'by hand', value: fl.median, min: fl.min, max: fl.max, label: `${fmt(fl.median, 0)} (floor: netns + haproxy -W -D)` },
    ] });
  }
  if (x.members) {
    for (const kind of ['add', 'weight0', 'delete'] as const) {
      const d = distribution(x.members.samples.filter((s) => s.kind === kind).map((s) => s.vipMs).filter(Number.isFinite));
      groups.push({ label: `member ${kind === 'weight0' ? 'weight 0' : kind} → seen at the VIP`, bars: [{ series: 'Fulcrum', value: d.median, min: d.min, max: d.max }] });
    }
  }
  if (x.reloads) {
    const fu = distribution(x.reloads.fulcrum.changeMs);
    const le = distribution(x.reloads.legacy.changeMs);
    groups.push({ label: 'config change that reloads', bars: [
      { series: 'Fulcrum', value: fu.median, min: fu.min, max: fu.max, label: `${fmt(fu.median, 0)} (API → ACTIVE)` },
      { series: 'by hand', value: le.median, min: le.min, max: le.max, label: `${fmt(le.median, 0)} (haproxy -sf alone)` },
    ] });
  }
  if (groups.length > 0) plots.set('dataplane-latency.svg', barChart({ title: 'Data plane: time to take effect (median, whiskers min–max)', unit: 'ms', groups }));
  const more: string[] = [];
  if (x.throughput) {
    const t = x.throughput;
    const rps = (xs: { rps: number }[]): { value: number; min: number; max: number } => {
      const v = xs.map((y) => y.rps);
      return { value: median(v), min: Math.min(...v), max: Math.max(...v) };
    };
    const ratios = t.fulcrum.map((y, i) => y.rps / t.hand[i]!.rps);
    plots.set('dataplane-throughput.svg', barChart({
      title: 'req/s through the VIP, wrk -t2 -c50 keep-alive (whiskers: min–max of rounds)', unit: 'req/s', groups: [{
        label: 'HTTP through the VIP', note: `ratio per round ${fmt(median(ratios), 3)} (${fmt(Math.min(...ratios), 3)}–${fmt(Math.max(...ratios), 3)}), goal ≥ 0.97`,
        bars: [{ series: 'Fulcrum', ...rps(t.fulcrum) }, { series: 'by hand', ...rps(t.hand), label: `${fmt(rps(t.hand).value, 0)} (seed's haproxy.cfg)` }],
      }],
    }));
    more.push('![req/s](report/dataplane-throughput.svg)');
  }
  if (x.reloads) {
    const fails = (y: { close: { failed: number }; keepalive: { failed: number } }, k: 'close' | 'keepalive'): number => y[k].failed;
    plots.set('dataplane-reloads.svg', barChart({
      title: `Failed requests across ${x.reloads.fulcrum.reloads} reloads under load (4 + 4 clients)`, unit: 'failed requests',
      groups: (['close', 'keepalive'] as const).map((k) => ({
        label: k === 'close' ? 'new connection per request' : 'keep-alive',
        bars: [
          { series: 'Fulcrum', value: fails(x.reloads!.fulcrum, k), label: `${fails(x.reloads!.fulcrum, k)} of ${x.reloads!.fulcrum[k].requests}` },
          { series: 'by hand', value: fails(x.reloads!.legacy, k), label: `${fails(x.reloads!.legacy, k)} of ${x.reloads!.legacy[k].requests} (seed's -sf)` },
        ],
      })),
    }));
    more.push('![reload failures](report/dataplane-reloads.svg)');
  }
  lines.push(`\`bench/dataplane.ts\`${f.options.isQuick ? ' (--quick)' : ''}: \`fulcrum up\` with the HAProxy provider on the netns driver, traffic from a client`,
    'namespace with no route out, each figure beside the same thing done by hand (HAProxy 2.6 on the seed\'s configuration, plumbed as the',
    `driver plumbs) in the same run. Load average before ${f.loadAverage.before}, after ${f.loadAverage.after}.`, '',
    ...(groups.length > 0 ? ['![data-plane latency](report/dataplane-latency.svg)', ''] : []), ...more.flatMap((m) => [m, '']),
    'The bench\'s own table (median (min–max) over the samples, n per row):', '', (r.dataplaneText ?? '').trim(), '');
  return lines;
}

function batchSection(r: RunFile): string[] {
  return ['## Batch member update: 1,000 members', '',
    r.batch === undefined
      ? 'Reserved for the batch phase of `bench/dataplane.ts` (1,000 members in one `PUT …/members`), which another branch adds; '
        + 'when the dataplane results carry `batch`, `bench/run-all.ts` copies it to the results file and this section shows it.'
      : 'Measured by the data-plane bench in this run: rows 2b of its table above (one `PUT …/members` of 1,000 members, then of an '
        + 'empty list, each → HAProxy\'s `show servers state` and → ACTIVE, with reloads and the worker PID). Every sample is in the results file, `batch`.', ''];
}

/** " (install 0.0, API 4.1, … min)", or nothing for files without step times. */
function stepTimes(r: RunFile): string {
  const names: Record<string, string> = { install: 'install', api: 'API', dataplane: 'data plane', density: 'density at 10' };
  const parts = Object.entries(r.stepSeconds ?? {}).map(([k, v]) => `${names[k] ?? k} ${fmt(v / 60, 1)}`);
  return parts.length > 0 ? ` (${parts.join(', ')} min)` : '';
}

/** Renders the report and its plots; returns the markdown and the SVG files by name. */
export function renderReport(r: RunFile, resultsPath: string): { markdown: string; plots: Map<string, string> } {
  const plots = new Map<string, string>();
  const api = apiSection(r, plots);
  const scale = scaleSection(r, plots);
  const dp = dataplaneSection(r, plots);
  const headline = r.api?.rows.map((row) => checkedRow(r.api!, row)).filter((x) => x.ratio) ?? [];
  const md = [
    '# Fulcrum benchmarks: against Octavia 11 and hand-written HAProxy',
    '',
    `Measured ${r.date.slice(0, 16).replace('T', ' ')} UTC on ${formatMachine(r.machine)}${r.isQuick ? ', **--quick** (a smoke run: few samples)' : ''}, by`,
    `\`${r.command}\` in ${fmt(r.seconds / 60, 1)} min${stepTimes(r)}. Load average (1/5/15 min) before ${r.loadAverage.before}, after ${r.loadAverage.after}`,
    'on a machine shared with other work: figures here are noisy, which is why every comparison is interleaved in the same run and',
    `paired per round, with the spread shown. Raw figures: [${relative(BENCH, resultsPath)}](${relative(BENCH, resultsPath)}).`,
    ...(r.failures.length > 0 ? ['', `**Steps that failed in this run:** ${r.failures.join('; ')}`] : []),
    ...((r.reused ?? []).length > 0 ? ['', `**Taken from an earlier run** (its own date, machine and load average are in its section): ${r.reused!.join('; ')}.`] : []),
    '',
    '## Headline',
    '',
    '| figure | Fulcrum | Octavia 11 | Fulcrum better by (min–max of rounds) | goal |',
    '|---|---|---|---|---|',
    ...headline.map((row) => {
      const d = row.unit === 'ms' ? 2 : 0;
      const zero = r.api ? zeroRounds(r.api, row) : 0;
      const n = r.api!.perRound.octavia.length;
      const of = zero > 0 ? `; a lower bound: in ${zero} of ${n} rounds Octavia completed no request in wrk's ${r.api!.options.duration} s (< ${fmt(1 / r.api!.options.duration, 2)} req/s)` : '';
      const octavia = zero > n / 2 ? `< ${fmt(1 / r.api!.options.duration, 2)}` : fmt(row.sides.octavia!.value.median, d);
      return `| ${row.figure} | ${fmt(row.sides.fulcrum!.value.median, d)} ${row.unit} | ${octavia} ${row.unit} | `
        + `**${zero > 0 ? '≥ ' : ''}${fmt(row.ratio!.median, 1)}×** (${fmt(row.ratio!.min, 1)}–${fmt(row.ratio!.max, 1)}${of}) | ≥ ${row.goal}×${goalMark(row)} |`;
    }),
    '',
    `${r.api ? `${r.api.options.rounds} rounds per figure (scale steps: ${Math.min(r.api.options.rounds, 3)}), ${r.api.options.n} requests per figure per round (writes ${r.api.options.nWrite}), wrk ${r.api.options.duration} s per round; ` : ''}`
      + "medians of the rounds' medians, ratios per round.",
    '',
    ...api, ...scale, ...dp, ...batchSection(r),
  ].join('\n');
  return { markdown: `${md}\n`, plots };
}

function main(): number {
  const path = process.argv[2];
  if (!path) {
    process.stderr.write('usage: node dist/bench/report.js bench/results/<date>.json\n');
    return 2;
  }
  const full = resolve(path);
  const r = JSON.parse(readFileSync(full, 'utf8')) as RunFile;
  const { markdown, plots } = renderReport(r, full);
  mkdirSync(join(BENCH, 'report'), { recursive: true });
  for (const [name, svg] of plots) writeFileSync(join(BENCH, 'report', name), svg);
  writeFileSync(join(BENCH, 'REPORT.md'), markdown);
  process.stderr.write(`bench/report: wrote bench/REPORT.md and ${plots.size} plots in bench/report/\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
