// How RedisSessionStore sends one call: once its connections are ready, under the store's deadline
// (deadlines.ts), with every failure mapped to the library's errors (replies.ts). The storage hooks and
// the history calls (history.ts) all go through `run`.
import type { RedisClient, RedisConnection } from './connection.js';
import type { Deadlines } from './deadlines.js';
import { UnconfirmedWrite } from './durability.js';
import { mapRedisError } from './replies.js';

export class CallRunner {
  readonly #connection: RedisConnection;
  /** The connection durable writes go through (durability.ts); undefined without the option. */
  readonly #writer: RedisConnection | undefined;
  readonly #client: RedisClient;
  readonly #deadlines: Deadlines;
  /** The commandTimeoutMs option: how long a call may take, from the moment it is made. */
  readonly #timeoutMs: number;

  constructor(
    connection: RedisConnection,
    writer: RedisConnection | undefined,
    deadlines: Deadlines,
    timeoutMs: number,
  ) {
    this.#connection = connection;
    this.#writer = writer;
    this.#client = connection.client;
    this.#deadlines = deadlines;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Runs one Redis call under the store's deadline and maps every failure: Redis and ioredis errors become
   * SessionStoreUnavailableError, our own SESS* replies the typed errors (`replyError`), WRONGTYPE a
   * SessionDecodeError (replies.ts).
   */
  run<T>(
    id: string | undefined,
    call: () => Promise<T>,
    replyError?: (message: string) => Error | undefined,
  ): Promise<T> {
    const deadline = performance.now() + this.#timeoutMs;
    // Never throws: a replyError that throws (assertSize does) gives the error it threw.
    const mapError = (error: unknown): unknown => {
      if (error instanceof UnconfirmedWrite) return error.forSession(id);
      const message = error instanceof Error ? error.message : '';
      try {
        return (message.startsWith('SESS') ? replyError?.(message) : undefined) ?? mapRedisError(id, error);
      } catch (thrown) {
        return thrown;
      }
    };
    const writer = this.#writer;
    if (writer !== undefined && writer.client.status !== 'ready') {
      // Any call may be a durable write: wait for both connections (they go to the same servers).
      return Promise.all([this.#connection.whenReady(deadline), writer.whenReady(deadline)]).then(
        () => this.#deadlines.send(call, deadline, mapError),
        (error: unknown) => Promise.reject(mapError(error)),
      );
    }
    if (this.#client.status !== 'ready') {
      return this.#connection.whenReady(deadline).then(
        () => this.#deadlines.send(call, deadline, mapError),
        (error: unknown) => Promise.reject(mapError(error)),
      );
    }
    // The common case without an async frame of its own: one promise between the caller and ioredis.
    return this.#deadlines.send(call, deadline, mapError);
  }
}
