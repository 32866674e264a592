/**
 * @module api/octavia/events — `GET /v2/lbaas/events`: server-sent events of every status change
 * (and counters sample) of the objects the caller may read, resumable with `Last-Event-ID`.
 * The wire format is documented in the README (API, Event stream).
 */
import type { FastifyInstance } from 'fastify';
import type { Caller } from '../../service/context.js';
import type { EventHub, HubEvent } from '../../service/events.js';
import { callerOf, type Authenticator } from '../auth.js';

/** How the stream behaves; tests shorten the keep-alive. */
export interface EventStreamOptions {
  hub: EventHub;
  /** A comment line this often keeps proxies and clients from timing the stream out (default 15 s). */
  keepAliveMs?: number;
  /**
   * A client that reads slower than events come is cut off once this much is buffered for it
   * (default 1 MiB); it reconnects with its Last-Event-ID and is replayed or reset.
   */
  maxBufferedBytes?: number;
  /**
   * Checks the stream's token again at every keep-alive: a stream ends once its token has expired
   * or been revoked, or its roles changed (the client reconnects with its Last-Event-ID and a
   * valid token, or hears 401). Absent under noauth.
   */
  authenticate?: Authenticator;
}

/** Same project, user and roles: what the subscription's filter was made for. */
const sameCaller = (a: Caller, b: Caller): boolean =>
  a.projectId === b.projectId && a.userId === b.userId && a.roles.join(',') === b.roles.join(',');

/** One SSE frame. `data` is JSON: one line, so no `data:` continuation is ever needed. */
export function sseFrame(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

const frameOf = (e: HubEvent): string => sseFrame(e.type, e.data, e.id);

/** The `Last-Event-ID` header (or `?last_event_id=`, for clients that cannot set headers): null when absent, -1 when not an id. */
function lastEventIdOf(header: string | string[] | undefined, query: unknown): number | null {
  const raw = (Array.isArray(header) ? header[0] : header) ?? (typeof query === 'string' ? query : undefined);
  if (raw === undefined || raw.trim() === '') return null;
  return /^\d{1,16}$/.test(raw.trim()) ? Number(raw.trim()) : -1;
}

/**
 * Registers `GET /events` in an Octavia scope, and ends every open stream when the server closes
 * (an open stream would otherwise hold `close()` forever).
 */
export function eventRoutes(app: FastifyInstance, opts: EventStreamOptions): void {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });
  app.get('/events', async (request, reply) => {
    const caller = callerOf(request);
    const query = (request.query ?? {}) as Record<string, unknown>;
    const lb = typeof query.loadbalancer_id === 'string' && query.loadbalancer_id !== '' ? query.loadbalancer_id : undefined;
    const lastId = lastEventIdOf(request.headers['last-event-id'], query.last_event_id);
    // With a shared log: everything logged so far first, so an id another server already sent is
    // known here (else it would look like an id from the future, and the client would be reset).
    // A database that does not answer: the stream starts from what this server has.
    await opts.hub.catchUp().catch(() => undefined);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'x-openstack-request-id': request.id,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    // HEAD (which Fastify answers for every GET route): the headers, and no stream to hang on.
    if (request.method === 'HEAD') {
      res.end();
      return;
    }
    const limit = opts.maxBufferedBytes ?? 1024 * 1024;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      clearInterval(timer);
      sub.close();
      open.delete(end);
      res.end();
    };
    const write = (text: string): void => {
      if (ended) return;
      res.write(text);
      if (res.writableLength > limit) end();
    };
    // Subscribing and writing the replay happen in one synchronous step: no event falls between.
    const sub = opts.hub.subscribe(caller, lb === undefined ? {} : { loadBalancerId: lb }, lastId, (e) => write(frameOf(e)));
    const timer = setInterval(() => {
      write(': keep-alive\n\n');
      if (opts.authenticate === undefined || ended) return;
      opts.authenticate(request).then((now) => {
        if (now === null || !sameCaller(now, caller)) end();
      }, () => undefined); // identity unreachable: keep the stream; the next tick asks again
    }, opts.keepAliveMs ?? 15_000);
    timer.unref();
    open.add(end);
    res.on('close', end);
    write(`retry: 1000\n: connected, last event ${opts.hub.lastId}\n\n`);
    if (sub.replay.kind === 'reset') {
      write(sseFrame('reset', {
        last_event_id: lastId, reason: 'The events after Last-Event-ID are no longer kept: read the objects again, then follow the stream.',
      }, sub.replay.lastId));
    } else {
      for (const e of sub.replay.events) write(frameOf(e));
    }
  });
}
