// Free loopback ports for test servers, never handed out twice by one process.
import net from 'node:net';
import { HOST } from './redis-process.js';

/** Ports handed out by this process, so that two callers never get the same one. */
const reservedPorts = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: HOST, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A free loopback port below 55000 whose port+10000 (the Cluster bus port) is free as well. Picked at
 * random from 15000–22767 so that port+10000 stays below the kernel's ephemeral range (32768+), where
 * outgoing client connections could take it, and so that parallel test workers rarely collide.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = 15_000 + Math.floor(Math.random() * 7_768);
    if (reservedPorts.has(port)) continue;
    if ((await canListen(port)) && (await canListen(port + 10_000))) {
      reservedPorts.add(port);
      return port;
    }
  }
  throw new Error('freePort: no free loopback port pair (port, port+10000) found in 200 attempts');
}
