/**
 * @module test/helpers/tcp-proxy — a TCP proxy on 127.0.0.1 in front of a local server (for a
 * test, PostgreSQL), that the test can cut like a network partition: `cut()` stops forwarding on
 * every open connection and holds new ones without answering (a black hole: nothing is refused,
 * nothing arrives), `restore()` breaks every connection the cut held, as a partition that heals
 * leaves them, and forwards again. Only loopback; every socket is closed by `close()`.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  readonly #server: Server;
  readonly #pairs = new Set<[Socket, Socket | undefined]>();
  #isCut = false;
  port = 0;

  private constructor(targetPort: number) {
    this.#server = createServer((client) => {
      const pair: [Socket, Socket | undefined] = [client, undefined];
      this.#pairs.add(pair);
      const drop = (): void => {
        client.destroy();
        pair[1]?.destroy();
        this.#pairs.delete(pair);
      };
      client.on('error', drop);
      client.on('close', drop);
      if (this.#isCut) return; // held: no upstream, no answer
      const upstream = connect(targetPort, '127.0.0.1');
      pair[1] = upstream;
      upstream.on('error', drop);
      upstream.on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const p = new TcpProxy(targetPort);
    await new Promise<void>((resolve) => p.#server.listen(0, '127.0.0.1', resolve));
    p.port = (p.#server.address() as { port: number }).port;
    return p;
  }

  /** Partitions: open connections stop carrying bytes either way; new ones are held silent. */
  cut(): void {
    this.#isCut = true;
    for (const [client, upstream] of this.#pairs) {
      client.unpipe();
      upstream?.unpipe();
      client.pause();
      upstream?.pause();
    }
  }

  /** Heals: the connections held by the cut are broken (their peers see an error), new ones forwarded. */
  restore(): void {
    this.#isCut = false;
    for (const [client, upstream] of [...this.#pairs]) {
      client.destroy();
      upstream?.destroy();
    }
    this.#pairs.clear();
  }

  async close(): Promise<void> {
    this.restore();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
