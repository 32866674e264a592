/**
 * @module test/helpers/tls-responder — stand-in servers for the TLS e2e test, run inside a host
 * namespace: `echo ADDRESS PORT` answers HTTP with the request's headers as JSON (what the
 * backend saw), `https ADDRESS PORT CERT KEY TEXT` answers HTTPS with TEXT (a re-encryption member).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';

const [mode, address = '', port = '', cert = '', key = '', text = 'secure'] = process.argv.slice(2);
// `node --test dist/test` loads every file here: without its arguments this is no server and exits at once.
if ((mode !== 'echo' && mode !== 'https') || address === '' || port === '') process.exit(0);
const server = mode === 'https'
  ? createTlsServer({ cert: readFileSync(cert), key: readFileSync(key) }, (_req, res) => res.end(`${text}\n`))
  : createServer((req, res) => {
    const body = JSON.stringify(req.headers);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
server.listen(Number(port), address);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
