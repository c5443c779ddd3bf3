// How the store puts its scripts on the wire: each call as its own ioredis Command through
// client.sendCommand, the path ioredis takes for any command when autopipelining is off. On a client passed
// in with `enableAutoPipelining`, a script defined with defineCommand would instead wait for the client's
// next auto-pipeline, and ioredis runs one auto-pipeline at a time per connection, settling it only when
// all of it has answered (and builds each pipeline with a copy of every script defined on the client).
// Every call of the store is one command already, so it loses nothing by skipping that batching; the
// store batches its own socket writes instead (batchWrites below). The
// store's plain commands (GET, EXISTS, PING) go through the client's own methods and so ride its
// auto-pipeline, which measured faster for them.
//
// The client's keyPrefix still applies (as ioredis applies it to the commands it builds), so a store keeps
// its keys where it had them. A client from another copy of ioredis keeps the ordinary path: its
// sendCommand may not take our Command class.
import { Cluster, Command, Redis } from 'ioredis';
import type { RedisClient } from './connection.js';

/** Whether `error` is Redis's NOSCRIPT reply: the server has not cached the script, send its source. */
export const isNoScript = (error: unknown): boolean =>
  error instanceof Error && error.message.startsWith('NOSCRIPT');

/** One Redis command of the store; string replies arrive as strings (utf8). */
export type SendFn = (name: string, args: (string | number)[]) => Promise<unknown>;

/** Whether `client` is from the ioredis copy this library imports (then it takes our Command objects). */
export function takesOwnCommands(client: RedisClient): boolean {
  return client instanceof Redis || client instanceof Cluster;
}

/** Sends one command on `client`, outside any auto-pipeline; undefined for a client of another ioredis. */
export function commandSender(client: RedisClient): SendFn | undefined {
  if (!takesOwnCommands(client)) return undefined;
  const keyPrefix = (client.options as { keyPrefix?: string }).keyPrefix;
  const options = keyPrefix
    ? { keyPrefix, replyEncoding: 'utf8' as const }
    : { replyEncoding: 'utf8' as const };
  if (client instanceof Redis) {
    return (name, args) => {
      batchWrites(client);
      return client.sendCommand(new Command(name, args, options)) as Promise<unknown>;
    };
  }
  return (name, args) => client.sendCommand(new Command(name, args, options)) as Promise<unknown>;
}

/**
 * How many of the store's commands made in one tick leave in one socket write. Small enough that Redis
 * starts on the first ones while the app is still making the rest.
 */
export const WRITE_BATCH = 8;

/** Per socket the store wrote to in this tick: how many commands its held write holds (0: none held). */
const heldWrites = new WeakMap<object, number>();

/**
 * Batches the store's writes on `client`'s socket. The first command of a tick leaves at once, so a lone
 * call waits for nothing; the ones after it in the same tick are held (Node's cork) and leave WRITE_BATCH
 * to a write (more when the socket is still busy with an earlier write), the rest when the tick's
 * callbacks and promise jobs have run. Calls an app makes together (many requests in flight) then cost
 * fewer system calls on each side, and Redis reads and answers them together. A cork delays writes and
 * never reorders them. It holds the socket, not only the store's commands: on a client you passed, your
 * own commands made in the same tick after a store call leave with them, by the end of the tick.
 */
function batchWrites(client: Redis): void {
  const stream = client.stream;
  if (stream === undefined) return;
  const held = heldWrites.get(stream);
  if (held === undefined) {
    heldWrites.set(stream, 0);
    process.nextTick(() => {
      if ((heldWrites.get(stream) ?? 0) > 0) stream.uncork();
      heldWrites.delete(stream);
    });
  } else if (held === 0) {
    stream.cork();
    heldWrites.set(stream, 1);
  } else if (held < WRITE_BATCH) {
    heldWrites.set(stream, held + 1);
  } else {
    stream.uncork();
    stream.cork();
    heldWrites.set(stream, 1);
  }
}

/** Per client: how many times it has connected and become ready. */
const readyCounts = new WeakMap<RedisClient, { count: number }>();

/**
 * A function giving how many times `client` has become ready: a new connection (a restart, a failover)
 * may reach a server that has none of the store's scripts cached. One listener per client. A Cluster
 * client becomes ready when it (re)connects as a whole, not when one of its nodes restarts or fails over:
 * there a script meets NOSCRIPT and is sent again with its source, after the calls made behind it.
 */
export function connectionCount(client: RedisClient): () => number {
  let state = readyCounts.get(client);
  if (state === undefined) {
    const counter = { count: 0 };
    client.on('ready', () => {
      counter.count++;
    });
    readyCounts.set(client, counter);
    state = counter;
  }
  const current = state;
  return () => current.count;
}

/**
 * A script as a function of its arguments (the key count first when not fixed, then KEYS, then ARGV).
 * Until one call has succeeded on the current connection, calls send EVAL with the source, which loads the
 * script on the server; from then on EVALSHA, and EVAL again after every reconnect (`connection` counts
 * them). Sending EVALSHA first and EVAL on NOSCRIPT would put the first calls' retries behind the calls
 * sent after them, and a connection keeps its calls in the order they were made. A NOSCRIPT on a live
 * connection (SCRIPT FLUSH, a server that evicts scripts, another Cluster node) still falls back to EVAL.
 */
export function scriptSender(
  send: SendFn,
  script: { sha: string; lua: string; numberOfKeys?: number },
  connection: () => number,
): (...args: (string | number)[]) => Promise<unknown> {
  const { sha, lua, numberOfKeys } = script;
  /** The connection the script last ran on (connection()'s count then); -1 before it ever ran. */
  let loadedOn = -1;
  const withSource = (args: (string | number)[]) => (error: unknown) => {
    if (!isNoScript(error)) throw error;
    return send('eval', [lua, ...args]);
  };
  const call = (args: (string | number)[]) => {
    const on = connection();
    if (loadedOn === on) return send('evalsha', [sha, ...args]).catch(withSource(args));
    return send('eval', [lua, ...args]).then((reply) => {
      loadedOn = on;
      return reply;
    });
  };
  if (numberOfKeys === undefined) return (...args) => call(args);
  return (...args) => call([numberOfKeys, ...args]);
}
