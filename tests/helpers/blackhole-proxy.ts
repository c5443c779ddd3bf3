// A loopback TCP proxy in front of Redis that can lose the route without closing anything: while
// "blackholed", every connection (open or new) stays established but nothing goes through, as when packets
// are silently dropped somewhere between the app and Redis. When the route comes back, only connections
// opened afterwards work: the ones that lived through the outage stay dead forever, as a connection does
// whose state a NAT, firewall or load balancer forgot. Optionally the bytes a client sent during the
// outage reach Redis when the route returns (its replies never come back), which is how a command that
// timed out can still be applied later.
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

interface Link {
  client: Socket;
  upstream: Socket;
  /** Client bytes held during an outage, for restore({ deliverHeld: true }). */
  held: Buffer[];
  /** Lived through an outage: forwards nothing, ever again. */
  dead: boolean;
}

export interface BlackholeProxy {
  /** `redis://127.0.0.1:<port>` of the proxy. */
  readonly url: string;
  readonly port: number;
  /** Connections the proxy has accepted so far. */
  readonly accepted: number;
  /** Stops forwarding on every connection, open or new, without closing any. */
  blackhole(): void;
  /**
   * The route is back for new connections; every connection opened before stays dead. With
   * `deliverHeld`, what the clients sent during the outage is delivered to Redis now (replies dropped).
   */
  restore(options?: { deliverHeld?: boolean }): void;
  close(): Promise<void>;
}

export async function startBlackholeProxy(target: { host: string; port: number }): Promise<BlackholeProxy> {
  const links = new Set<Link>();
  let blackholed = false;
  let accepted = 0;

  const server: Server = createServer((client) => {
    accepted++;
    const upstream = tcpConnect(target.port, target.host);
    const link: Link = { client, upstream, held: [], dead: blackholed };
    links.add(link);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (chunk: Buffer) => {
      if (link.dead || blackholed) link.held.push(chunk);
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!link.dead && !blackholed) client.write(chunk);
    });
    // A client that gives up on its connection closes only its own side: the upstream half stays open
    // while held bytes may still be delivered, as packets in flight would be.
    client.on('close', () => {
      if (!link.dead && !blackholed) {
        upstream.destroy();
        links.delete(link);
      }
    });
    upstream.on('close', () => {
      if (!link.dead && !blackholed) client.destroy();
    });
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get accepted() {
      return accepted;
    },
    blackhole() {
      blackholed = true;
      for (const link of links) link.dead = true;
    },
    restore({ deliverHeld = false } = {}) {
      blackholed = false;
      for (const link of links) {
        if (!link.dead) continue;
        if (deliverHeld) for (const chunk of link.held) link.upstream.write(chunk);
        link.held = [];
      }
    },
    async close() {
      for (const link of links) {
        link.client.destroy();
        link.upstream.destroy();
      }
      links.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
