/**
 * @module cli/event-stream — the client side of `GET /v2/lbaas/events`: a server-sent events
 * parser over `fetch`'s body (the WHATWG rules: `field: value` lines, a blank line ends a message,
 * `:` starts a comment) and the wire types of the events Fulcrum sends.
 */

/** One message of an event stream; a comment line comes as `event: ':'` with its text as data. */
export interface SseMessage {
  /** `status`, `stats`, `reset`, or `:` for a comment. */
  event: string;
  data: string;
  /** The message's `id:` (null when it had none). */
  id: string | null;
}

/** The data of a `status` event (see the README, API: Event stream). */
export interface StatusEvent {
  kind: 'loadbalancer' | 'listener' | 'pool' | 'member' | 'healthmonitor';
  id: string;
  loadbalancer_id: string;
  pool_id: string | null;
  project_id: string;
  name: string;
  provisioning_status: string;
  operating_status: string;
  previous: { provisioning_status: string; operating_status: string } | null;
  time: string;
}

/** The data of a `stats` event. */
export interface StatsEvent {
  loadbalancer_id: string;
  project_id: string;
  stats: { bytes_in: number; bytes_out: number; active_connections: number; total_connections: number; request_errors: number };
  listeners: Record<string, StatsEvent['stats']>;
  time: string;
}

/** Parses a server-sent events body into messages, as they arrive. Ends when the body ends. */
export async function* readSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | null = null;
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let nl = buffer.search(/\r\n|\r|\n/); nl >= 0; nl = buffer.search(/\r\n|\r|\n/)) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) yield { event: event || 'message', data: data.join('\n'), id };
        event = '';
        data = [];
        id = null;
        continue;
      }
      if (line.startsWith(':')) {
        yield { event: ':', data: line.slice(1).trimStart(), id: null };
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id' && !value.includes('\0')) id = value;
    }
  }
}
