/** @module drivers/nftables/udp-health-checker.test — the probes of UDP pools against real sockets on 127.0.0.1. */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { test } from 'node:test';
import { codeExpected, probe, type Check } from './udp-health-checker.js';

const check = (over: Partial<Check>): Check => ({ id: 'm', type: 'UDP-CONNECT', address: '127.0.0.1', port: 9, delay: 1, timeout: 1, rise: 1, fall: 1, up: true, ...over });

/** A free UDP port on 127.0.0.1, closed again: a datagram there gets ICMP port unreachable. */
async function closedUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(r));
  return port;
}

test('expected_codes: single, list and range', () => {
  assert.ok(codeExpected(200, '200'));
  assert.ok(codeExpected(202, '200,202'));
  assert.ok(codeExpected(204, '200-204'));
  assert.ok(!codeExpected(301, '200-204'));
  assert.ok(!codeExpected(500, '200,202'));
});

test('UDP-CONNECT: port unreachable is down; an answer is up; silence for the timeout is up (keepalived udp_check)', async () => {
  assert.equal(await probe(check({ port: await closedUdpPort() })), 'port unreachable');
  const answering = createSocket('udp4');
  answering.on('message', (_m, r) => answering.send('hi', r.port, r.address));
  await new Promise<void>((r) => answering.bind(0, '127.0.0.1', r));
  const silent = createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
  try {
    assert.equal(await probe(check({ port: answering.address().port })), '');
    assert.equal(await probe(check({ port: silent.address().port })), '');
  } finally {
    answering.close();
    silent.close();
  }
});

test('TCP and HTTP probes', async () => {
  const tcp = createTcpServer((c) => c.end()).listen(0, '127.0.0.1');
  const http = createServer((req, res) => { res.statusCode = req.url === '/ok' ? 200 : 503; res.end(); }).listen(0, '127.0.0.1');
  await Promise.all([new Promise((r) => tcp.once('listening', r)), new Promise((r) => http.once('listening', r))]);
  try {
    const tcpPort = (tcp.address() as { port: number }).port;
    const httpPort = (http.address() as { port: number }).port;
    assert.equal(await probe(check({ type: 'TCP', port: tcpPort })), '');
    assert.equal(await probe(check({ type: 'TCP', port: await closedUdpPort() })), 'ECONNREFUSED');
    assert.equal(await probe(check({ type: 'HTTP', port: httpPort, urlPath: '/ok', expectedCodes: '200' })), '');
    assert.equal(await probe(check({ type: 'HTTP', port: httpPort, urlPath: '/down', expectedCodes: '200-299' })), 'HTTP 503');
  } finally {
    tcp.close();
    http.close();
  }
});
