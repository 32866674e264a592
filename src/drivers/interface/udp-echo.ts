/**
 * @module drivers/interface/udp-echo — UDP for stand-in hosts and clients. `serve` answers every
 * datagram with its text (`web1\n`), as the seed's web servers answer their names; `ask` sends N
 * datagrams, each from a new socket (a new source port: a new flow for the load balancer), and
 * prints one JSON array of the answers (`null` for no answer within the timeout).
 * Usage: node udp-echo.js serve ADDRESS PORT TEXT | node udp-echo.js ask ADDRESS PORT N TIMEOUT_MS
 */
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';

const [mode, address = '0.0.0.0', port = '53', a = 'ok', b = '1000'] = process.argv.slice(2);
const family = isIP(address) === 6 ? 'udp6' : 'udp4';

function askOnce(timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const s = createSocket(family);
    const done = (v: string | null) => { clearTimeout(timer); s.close(); resolve(v); };
    const timer = setTimeout(() => done(null), timeoutMs);
    s.on('message', (m) => done(m.toString().trim()));
    s.on('error', () => done(null));
    s.send('who\n', Number(port), address);
  });
}

if (mode === 'serve') {
  const s = createSocket(family);
  s.on('message', (_m, rinfo) => s.send(`${a}\n`, rinfo.port, rinfo.address));
  s.bind(Number(port), address, () => process.stdout.write('started\n'));
  process.on('SIGTERM', () => s.close(() => process.exit(0)));
} else if (mode === 'ask') {
  const answers: (string | null)[] = [];
  for (let i = 0; i < Number(a); i++) answers.push(await askOnce(Number(b)));
  process.stdout.write(`${JSON.stringify(answers)}\n`);
} else {
  process.stderr.write('usage: udp-echo.js serve ADDRESS PORT TEXT | ask ADDRESS PORT N TIMEOUT_MS\n');
  process.exit(2);
}
