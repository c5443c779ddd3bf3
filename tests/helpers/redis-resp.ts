// A minimal RESP2 client for the harness: one command per fresh connection, with a deadline, so that it
// doubles as a health probe. Plus the parsers for the text and pair replies the harness reads.
import net from 'node:net';
import { HOST } from './redis-process.js';

/** A decoded RESP2 reply; an error reply only appears nested in an array (top-level ones reject). */
export type RedisReply = string | number | null | Error | RedisReply[];
type Reply = RedisReply;

/** Parses one RESP2 reply from `buf` at `at`; undefined while the reply is still incomplete. */
function parseReply(buf: Buffer, at: number): { value: Reply; next: number } | undefined {
  const lineEnd = buf.indexOf('\r\n', at);
  if (lineEnd === -1) return undefined;
  const type = String.fromCharCode(buf[at] ?? 0);
  const line = buf.toString('utf8', at + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, next: afterLine };
    case '-':
      return { value: new Error(line), next: afterLine };
    case ':':
      return { value: Number(line), next: afterLine };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next: afterLine };
      if (buf.length < afterLine + length + 2) return undefined;
      return { value: buf.toString('utf8', afterLine, afterLine + length), next: afterLine + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: afterLine };
      const items: Reply[] = [];
      let next = afterLine;
      for (let i = 0; i < count; i += 1) {
        const item = parseReply(buf, next);
        if (item === undefined) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

/**
 * Runs one command against 127.0.0.1:port on a fresh RESP2 connection and closes it; an error reply
 * rejects. Rejects as well when no full reply arrives within `timeoutMs` (connect included), so it
 * doubles as a health probe that a paused server fails. A raw socket rather than ioredis keeps the
 * probe free of handshakes (HELLO, CLIENT SETINFO) and of reconnect logic.
 */
export function redisCommand(port: number, args: (string | number)[], timeoutMs = 1_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port });
    let received = Buffer.alloc(0);
    const finish = (error: Error | undefined, value?: Reply) => {
      clearTimeout(timer);
      socket.destroy();
      if (error !== undefined) reject(error);
      else resolve(value ?? null);
    };
    const timer = setTimeout(
      () => finish(new Error(`${String(args[0])} on port ${port} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once('error', (error) => finish(error));
    socket.once('connect', () => {
      const parts = args.map((arg) => Buffer.from(String(arg), 'utf8'));
      const header = `*${parts.length}\r\n`;
      const body = parts.map((part) =>
        Buffer.concat([Buffer.from(`$${part.length}\r\n`), part, Buffer.from('\r\n')]),
      );
      socket.write(Buffer.concat([Buffer.from(header), ...body]));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      try {
        const reply = parseReply(received, 0);
        if (reply === undefined) return;
        if (reply.value instanceof Error) finish(reply.value);
        else finish(undefined, reply.value);
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

/** True when the server on `port` answers PING within 500 ms. */
export async function pingOk(port: number): Promise<boolean> {
  return (await redisCommand(port, ['PING'], 500)) === 'PONG';
}

/** Parses `INFO` / `CLUSTER INFO` text into field → value. */
export function parseInfo(text: unknown): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of String(text).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** Turns a flat `[key, value, key, value, …]` reply (SENTINEL MASTER and friends) into a map. */
export function pairs(reply: unknown): Map<string, string> {
  const fields = new Map<string, string>();
  if (!Array.isArray(reply)) return fields;
  for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), String(reply[i + 1]));
  return fields;
}

/**
 * Whether the master on `port` has `replicas` replicas that WAIT counts right away: each in state
 * `online` (a replica whose link is up can still be waiting for the master to stream to it) and having
 * acknowledged the master's whole replication offset. `connected_slaves` alone also counts replicas still
 * syncing. Replicas acknowledge once a second, so this can take about a second to become true.
 */
export async function replicasCaughtUp(port: number, replicas: number): Promise<boolean> {
  const info = parseInfo(await redisCommand(port, ['INFO', 'replication']));
  if (info.get('role') !== 'master') return false;
  const offset = info.get('master_repl_offset');
  let caughtUp = 0;
  for (let i = 0; info.has(`slave${i}`); i += 1) {
    const fields = new Map(
      String(info.get(`slave${i}`))
        .split(',')
        .map((pair) => pair.split('=') as [string, string]),
    );
    if (fields.get('state') === 'online' && fields.get('offset') === offset) caughtUp += 1;
  }
  return caughtUp >= replicas;
}
