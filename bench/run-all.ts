/**
 * @module bench/run-all — `npm run bench`: every benchmark in one run, then the report.
 *
 *   npm run bench [-- --quick] [-- --skip-install] [-- --only api,dataplane,density]
 *
 * 1. installs what is missing (scripts/install-system-deps.sh --bench: Debian's octavia-api,
 *    sqlite3, wrk, haproxy…; the Octavia peer's start.sh needs no RabbitMQ or MariaDB in
 *    MODE=apionly with SQLite);
 * 2. runs bench/api.ts (Fulcrum and Octavia 11 side by side, and the 10/100/1,000 scale steps),
 *    bench/dataplane.ts (every phase; density with 100 load balancers) and its density phase
 *    again with 10, each as a child process writing --json, one after the other;
 * 3. writes bench/results/<date>.json and, through bench/report.ts, bench/REPORT.md and
 *    bench/report/*.svg.
 * Each bench cleans up what it started (processes by PID, namespaces, links, temporary
 * directories), also on failure; Ctrl-C reaches them all (same process group), and this process
 * waits for them to finish cleaning. A bench that fails is recorded in the results and the report,
 * and the others still run. Needs root (the data plane).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine, loadAverage } from './lib/machine.js';
import { renderReport, type DataplaneFile, type RunFile } from './report.js';
import type { ApiResults } from './api.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const STEPS = ['api', 'dataplane', 'density'] as const;
type Step = (typeof STEPS)[number];

/** Runs a command with stderr passed through; resolves with its stdout and exit code. SIGINT reaches it through the process group. */
function runStep(argv: readonly string[], timeoutMs: number): Promise<{ code: number; stdout: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], cwd: REPO });
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); process.stdout.write(b); });
    // A bench that overruns its budget gets SIGINT, which makes it clean up, then SIGKILL.
    const timer = setTimeout(() => {
      process.stderr.write(`bench: ${argv.join(' ')} overran ${timeoutMs / 1000} s; interrupting it\n`);
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 120_000).unref();
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code: code ?? (signal ? 128 : 1), stdout });
    });
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      quick: { type: 'boolean', default: false }, 'skip-install': { type: 'boolean', default: false }, only: { type: 'string', default: STEPS.join(',') },
      reuse: { type: 'string' },
    },
  });
  const only = new Set(values.only.split(',') as Step[]);
  for (const s of only) if (!(STEPS as readonly string[]).includes(s)) throw new Error(`--only takes ${STEPS.join(',')} (got '${s}')`);
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench: needs root (the data-plane bench makes namespaces and bridges; apt-get installs the Octavia API)\n');
    return 2;
  }
  let interrupted = false;
  // The children get the same SIGINT and clean up; this process waits for them, then stops.
  process.on('SIGINT', () => { interrupted = true; process.stderr.write('bench: interrupted; waiting for the running bench to clean up\n'); });
  const started = Date.now();
  const date = new Date();
  const stamp = `${date.toISOString().slice(0, 16).replace(':', '')}Z`;
  const tmp = join(REPO, 'bench', 'results', 'tmp', stamp);
  mkdirSync(tmp, { recursive: true });
  const quick = values.quick ? ['--quick'] : [];
  const run: RunFile = {
    date: date.toISOString(), machine: describeMachine(), command: `npm run bench${values.quick ? ' -- --quick' : ''}`, isQuick: values.quick === true,
    seconds: 0, loadAverage: { before: loadAverage(), after: '' }, density: {}, failures: [], reused: [], stepSeconds: {},
  };
  // Each step's wall time, in the results and the report: the run must fit in 15 minutes.
  const timeStep = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      run.stepSeconds![name] = (Date.now() - t0) / 1000;
    }
  };
  if (!values['skip-install']) {
    process.stderr.write('bench: installing what is missing (octavia-api, sqlite3, wrk, haproxy…)\n');
    const r = await timeStep('install', () => runStep(['bash', join(REPO, 'scripts', 'install-system-deps.sh'), '--bench'], 20 * 60_000));
    if (r.code !== 0) run.failures.push(`install-system-deps.sh --bench exited ${r.code}`);
  }
  const node = (script: string, args: string[]): string[] => [process.execPath, join(REPO, 'dist', 'bench', script), ...args];
  const step = async (name: string, argv: string[], jsonPath: string, budgetMs: number): Promise<{ json: unknown; text: string } | undefined> => {
    if (interrupted) return undefined;
    process.stderr.write(`bench: ${name} (load average ${loadAverage()})\n`);
    const r = await runStep(argv, budgetMs);
    if (r.code !== 0) {
      run.failures.push(`${name} exited ${r.code}`);
      return undefined;
    }
    return { json: JSON.parse(readFileSync(jsonPath, 'utf8')), text: r.stdout };
  };
  if (only.has('api')) {
    const out = await timeStep('api', () => step('API bench: Fulcrum and Octavia 11', node('api.js', [...quick, '--json', join(tmp, 'api.json')]), join(tmp, 'api.json'), 12 * 60_000));
    if (out) {
      run.api = out.json as ApiResults;
      run.apiText = out.text;
    }
  }
  if (only.has('dataplane')) {
    // Fewer reloads (50, not the bench's own 100) and throughput rounds (6, not 10) than the data-plane bench alone: those two
    // phases were 178 of its 260 s at load 4–9 (phaseSeconds), and the whole run must fit in 15 minutes on this 2-core machine.
    const trimmed = values.quick ? [] : ['--reloads', '50', '--rounds', '6'];
    const out = await timeStep('dataplane', () => step('data-plane bench', node('dataplane.js', [...quick, ...trimmed, '--density', '100', '--json', join(tmp, 'dataplane.json')]),
      join(tmp, 'dataplane.json'), 10 * 60_000));
    if (out) {
      run.dataplane = out.json as DataplaneFile;
      run.dataplaneText = /\n(\| # \|[\s\S]*?)\n\n/.exec(out.text)?.[1] ?? out.text;
      const density = run.dataplane.results.density;
      if (density) run.density[String(density.n)] = density;
      // The 1,000-member batch phase (another branch) lands here when bench/dataplane.ts reports it.
      const batch = (run.dataplane.results as { batch?: unknown }).batch;
      if (batch !== undefined) run.batch = batch;
    }
  }
  if (only.has('density')) {
    const out = await timeStep('density', () => step('data-plane density with 10 load balancers', node('dataplane.js', ['--only', 'density', '--density', '10', '--json', join(tmp, 'density10.json')]),
      join(tmp, 'density10.json'), 3 * 60_000));
    const density = (out?.json as DataplaneFile | undefined)?.results.density;
    if (density) run.density[String(density.n)] = density;
  }
  // --reuse FILE: the steps not run now come from an earlier run's results, and the report says so.
  if (values.reuse) {
    const old = JSON.parse(readFileSync(values.reuse, 'utf8')) as RunFile;
    const from = `${old.date.slice(0, 16)}Z (${values.reuse.replace(/^.*\//, '')})`;
    if (!only.has('api') && old.api) { run.api = old.api; run.apiText = old.apiText; run.reused.push(`API bench from ${from}`); }
    if (!only.has('dataplane') && old.dataplane) {
      run.dataplane = old.dataplane; run.dataplaneText = old.dataplaneText; run.reused.push(`data-plane bench from ${from}`);
      if (old.density['100']) run.density['100'] = old.density['100'];
    }
    if (!only.has('density') && old.density['10']) { run.density['10'] = old.density['10']; run.reused.push(`density with 10 from ${from}`); }
    run.command += ` -- --only ${[...only].join(',')} --reuse ${values.reuse}`;
  }
  run.seconds = (Date.now() - started) / 1000;
  run.loadAverage.after = loadAverage();
  if (interrupted) run.failures.push('interrupted (Ctrl-C)');
  const resultsPath = join(REPO, 'bench', 'results', `${stamp}.json`);
  writeFileSync(resultsPath, `${JSON.stringify(run, null, 1)}\n`);
  const { markdown, plots } = renderReport(run, resultsPath);
  mkdirSync(join(REPO, 'bench', 'report'), { recursive: true });
  for (const [name, svg] of plots) writeFileSync(join(REPO, 'bench', 'report', name), svg);
  writeFileSync(join(REPO, 'bench', 'REPORT.md'), markdown);
  rmSync(tmp, { recursive: true, force: true });
  process.stderr.write(`bench: wrote ${resultsPath}, bench/REPORT.md and ${plots.size} plots in ${(run.seconds / 60).toFixed(1)} min`
    + `${run.failures.length > 0 ? `; failed: ${run.failures.join('; ')}` : ''}\n`);
  return interrupted ? 130 : run.failures.length > 0 ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
