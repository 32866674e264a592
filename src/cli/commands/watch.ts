/**
 * @module cli/commands/watch — `fulcrum watch [loadbalancer]`: prints every status change (and,
 * with `--stats`, counters) of the objects the caller may see, as they happen, until Ctrl-C.
 * A dropped stream is resumed with its Last-Event-ID.
 */
import { Option, type Command } from 'commander';
import { ApiError, RESOURCES } from '../client.js';
import { CliError } from '../errors.js';
import type { StatsEvent, StatusEvent } from '../event-stream.js';
import type { Writer } from '../output.js';
import type { Context } from './common.js';

interface WatchOpts {
  stats?: boolean;
  format: 'text' | 'json';
}

/** `12:34:56.789` of an event's ISO time (UTC, as the server stamped it). */
const clock = (iso: string): string => iso.slice(11, 23);

const titleOf = (kind: StatusEvent['kind']): string => RESOURCES[kind].title;

/** One line for a status event: what changed, from what to what. */
export function describeStatus(e: StatusEvent): string {
  const who = `${titleOf(e.kind)} ${e.name !== '' ? `${e.name} (${e.id})` : e.id}`;
  if (e.provisioning_status === 'DELETED') return `${who}: deleted`;
  if (e.previous === null) return `${who}: created, provisioning_status ${e.provisioning_status}, operating_status ${e.operating_status}`;
  const parts: string[] = [];
  if (e.previous.provisioning_status !== e.provisioning_status) parts.push(`provisioning_status ${e.previous.provisioning_status} → ${e.provisioning_status}`);
  if (e.previous.operating_status !== e.operating_status) parts.push(`operating_status ${e.previous.operating_status} → ${e.operating_status}`);
  return `${who}: ${parts.join(', ')}`;
}

/** One line for a stats event. */
export function describeStats(e: StatsEvent): string {
  const s = e.stats;
  return `load balancer ${e.loadbalancer_id}: active_connections ${s.active_connections}, total_connections ${s.total_connections}, ` +
    `bytes_in ${s.bytes_in}, bytes_out ${s.bytes_out}, request_errors ${s.request_errors}`;
}

/** Ctrl-C as a signal (the process's SIGINT), unless the caller gave one. */
function interrupted(given: AbortSignal | undefined): { signal: AbortSignal; release: () => void } {
  if (given) return { signal: given, release: () => undefined };
  const ac = new AbortController();
  const onSigint = (): void => ac.abort();
  process.once('SIGINT', onSigint);
  return { signal: ac.signal, release: () => void process.off('SIGINT', onSigint) };
}

/**
 * Follows the stream until `signal` aborts, resuming after a dropped connection (1 s later) from
 * the last event id; a `reset` (events missed for good) is printed, since what was shown may be stale.
 */
async function watch(ctx: Context, out: Writer, lbId: string | undefined, opts: WatchOpts, signal: AbortSignal): Promise<void> {
  let lastEventId: string | undefined;
  let renewed = false;
  const client = ctx.client();
  while (!signal.aborted) {
    let stream;
    try {
      stream = await client.events({ ...(lbId ? { loadBalancerId: lbId } : {}), ...(lastEventId ? { lastEventId } : {}), signal });
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && err.status === 404) throw new CliError('This API has no event stream (GET /v2/lbaas/events): fulcrum watch needs a Fulcrum server.');
      // The server ends a stream whose token expired or was revoked: log in again once, and resume.
      if (err instanceof ApiError && err.status === 401 && lastEventId !== undefined && !renewed) {
        renewed = true;
        ctx.relogin();
        client.renew();
        continue;
      }
      if (lastEventId === undefined || (err instanceof ApiError && err.status === 401)) throw err;
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    renewed = false;
    for await (const m of stream) {
      if (m.id !== null) lastEventId = m.id;
      if (m.event === ':' || (m.event === 'stats' && !opts.stats)) continue;
      if (opts.format === 'json') {
        out.write(`${JSON.stringify({ event: m.event, id: m.id, data: JSON.parse(m.data) })}\n`);
        continue;
      }
      if (m.event === 'status') {
        const e = JSON.parse(m.data) as StatusEvent;
        out.write(`[${clock(e.time)}] ${describeStatus(e)}\n`);
      } else if (m.event === 'stats') {
        const e = JSON.parse(m.data) as StatsEvent;
        out.write(`[${clock(e.time)}] ${describeStats(e)}\n`);
      } else if (m.event === 'reset') {
        out.write('(events were missed while disconnected: what was shown before may be out of date)\n');
      }
    }
    if (!signal.aborted) await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Registers `fulcrum watch [loadbalancer]`. `signal` ends it (tests); without one, Ctrl-C does. */
export function registerWatch(program: Command, ctx: Context, signal?: AbortSignal): void {
  program.command('watch')
    .description('print status changes of load balancers and their objects as they happen, until Ctrl-C')
    .argument('[loadbalancer]', 'only this load balancer (name or ID)')
    .option('--stats', 'also print counters when they change (every few seconds under traffic)')
    .addOption(new Option('-f, --format <format>', 'text lines, or one JSON object per event').choices(['text', 'json']).default('text'))
    .action(async (ref: string | undefined, opts: WatchOpts) => {
      const lbId = ref === undefined ? undefined : await ctx.client().resolve(RESOURCES.loadbalancer, ref);
      const stop = interrupted(signal);
      try {
        await watch(ctx, ctx.out, lbId, opts, stop.signal);
      } finally {
        stop.release();
      }
    });
}
