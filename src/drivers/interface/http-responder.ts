/**
 * @module drivers/interface/http-responder — a tiny web server for stand-in hosts: answers every
 * request with its text (`web1\n`), as the seed's web servers answer their names.
 * Usage: node http-responder.js ADDRESS PORT TEXT
 */
import { createServer } from 'node:http';

const [address = '0.0.0.0', port = '80', text = 'ok'] = process.argv.slice(2);
const body = `${text}\n`;
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(port), address);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
