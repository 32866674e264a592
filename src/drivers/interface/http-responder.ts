/**
 * @module drivers/interface/http-responder — a tiny web server for stand-in hosts: answers every
 * request with its text (`web1\n`), as the seed's web servers answer their names. For tests it
 * also writes one JSON line per connection and per request to stdout (what a health check or a
 * proxied request looked like), answers `/_status/NNN` with status NNN, `/_sleep/MS` after MS
 * milliseconds, `/_setcookie/NAME` with a cookie NAME, `/_hc…` with 503 between `/_health/fail`
 * and `/_health/ok`, reads a PROXY protocol v1 or v2 header (`--proxy`), and serves TLS (`--tls`).
 * Usage: node http-responder.js ADDRESS PORT TEXT [--proxy] [--tls CERT_FILE KEY_FILE]
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { createServer as createTcpServer, type Socket } from 'node:net';

const [address = '0.0.0.0', port = '80', text = 'ok', ...flags] = process.argv.slice(2);
const isProxy = flags.includes('--proxy');
const tlsAt = flags.indexOf('--tls');
const tls = tlsAt < 0 ? null : { cert: readFileSync(flags[tlsAt + 1] ?? ''), key: readFileSync(flags[tlsAt + 2] ?? '') };
const body = `${text}\n`;

/** The client a PROXY header named, per socket (the peer address is the load balancer's). */
const proxied = new WeakMap<Socket, { source: string; sourcePort: number; version: 1 | 2 }>();

const log = (entry: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ time: Date.now(), ...entry })}\n`);
};

/** While true (after `/_health/fail`), `/_hc…` answers 503: a member whose health check fails on demand. */
let isFailing = false;

function answer(req: IncomingMessage, res: ServerResponse): void {
  const from = proxied.get(req.socket);
  log({
    event: 'request', method: req.method, url: req.url, version: req.httpVersion, headers: req.headers,
    remote: req.socket.remoteAddress, ...(from ? { proxy: from } : {}),
  });
  const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
  if (path === '/_health/fail' || path === '/_health/ok') isFailing = path === '/_health/fail';
  const status = /^\/_status\/([1-5]\d\d)$/.exec(path);
  const sleep = /^\/_sleep\/(\d{1,6})$/.exec(path);
  const cookie = /^\/_setcookie\/([A-Za-z0-9_-]{1,64})$/.exec(path);
  const headers: Record<string, string | number> = { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) };
  if (cookie) headers['set-cookie'] = `${cookie[1]}=${text}-${Math.random().toString(36).slice(2, 10)}; Path=/`;
  const code = status ? Number(status[1]) : isFailing && path.startsWith('/_hc') ? 503 : 200;
  const reply = (): void => {
    res.writeHead(code, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (sleep) setTimeout(reply, Number(sleep[1]));
  else reply();
}

const http = tls === null ? createServer(answer) : createTlsServer(tls, answer);
http.keepAliveTimeout = 65_000;

const V2_SIGNATURE = Buffer.from('\r\n\r\n\0\r\nQUIT\n', 'latin1');

/**
 * Reads a PROXY header off the front of `buf`: the parsed client and the header's length, null
 * when more bytes are needed. @throws Error on anything that is not a PROXY header.
 */
function parseProxy(buf: Buffer): { source: string; sourcePort: number; version: 1 | 2; length: number } | null {
  if (buf.length >= 16 && buf.subarray(0, 12).equals(V2_SIGNATURE)) {
    const length = 16 + buf.readUInt16BE(14);
    if (buf.length < length) return null;
    const family = buf[13]! >> 4;
    if (family === 1) {
      return { source: [...buf.subarray(16, 20)].join('.'), sourcePort: buf.readUInt16BE(24), version: 2, length };
    }
    if (family === 2) {
      const words = [];
      for (let i = 0; i < 8; i++) words.push(buf.readUInt16BE(16 + 2 * i).toString(16));
      return { source: words.join(':'), sourcePort: buf.readUInt16BE(48), version: 2, length };
    }
    return { source: '', sourcePort: 0, version: 2, length };
  }
  const end = buf.indexOf('\r\n');
  if (end < 0) {
    if (buf.length > 107) throw new Error('no PROXY v1 line');
    return null;
  }
  const parts = buf.subarray(0, end).toString('latin1').split(' ');
  if (parts[0] !== 'PROXY') throw new Error('no PROXY header');
  return { source: parts[2] ?? '', sourcePort: Number(parts[4] ?? 0), version: 1, length: end + 2 };
}

function onConnection(socket: Socket): void {
  log({ event: 'connection', remote: socket.remoteAddress });
  if (!isProxy) {
    http.emit('connection', socket);
    return;
  }
  let buf = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    buf = Buffer.concat([buf, chunk]);
    let header;
    try {
      header = parseProxy(buf);
    } catch (err) {
      log({ event: 'bad-proxy-header', remote: socket.remoteAddress, error: (err as Error).message });
      socket.destroy();
      return;
    }
    if (header === null) return;
    socket.off('data', onData);
    socket.pause();
    proxied.set(socket, { source: header.source, sourcePort: header.sourcePort, version: header.version });
    const rest = buf.subarray(header.length);
    if (rest.length > 0) socket.unshift(rest);
    http.emit('connection', socket);
    socket.resume();
  };
  socket.on('data', onData);
}

const server = createTcpServer(onConnection);
server.listen(Number(port), address);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
