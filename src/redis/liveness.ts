// Finding a connection that answers nothing. A route that silently drops packets leaves the TCP
// connection open: ioredis sees no error and keeps writing into it, so every call times out until the
// kernel gives up on the socket, many minutes later. Two watches replace such a connection instead:
// - a call whose deadline passed sends PING on the same connection; when that also gets no reply within
//   commandTimeoutMs, the connection is dropped and ioredis opens a new one (retryStrategy);
// - a new connection whose handshake (ready check, AUTH, SELECT) gets no reply within connectTimeoutMs is
//   dropped the same way (ioredis bounds only the TCP connect itself).
// A reply of any kind, errors included, proves the connection alive. A server that is merely busy (a long
// script, a stopped process) looks the same from here; replacing its connection costs a reconnect, and the
// calls on it had already failed. The store never closes a client you passed: it logs a warning instead.
// On a Cluster, ioredis manages one connection per node and the store does not watch them.
import { Command, type Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { RedisConnection } from './connection.js';

export class LivenessWatch {
  readonly #client: Redis | undefined;
  readonly #owned: boolean;
  readonly #probeMs: number;
  readonly #handshakeMs: number;
  readonly #logger: Logger;
  /** The socket a probe is out on; undefined when none is. */
  #probing: unknown;
  /** The socket the last warning was about, so a client passed in is reported once per dead socket. */
  #warnedAbout: unknown;
  #handshakeTimer: NodeJS.Timeout | undefined;
  readonly #onConnect = () => {
    clearTimeout(this.#handshakeTimer);
    const client = this.#client as Redis;
    const stream = client.stream;
    this.#handshakeTimer = setTimeout(() => {
      this.#handshakeTimer = undefined;
      if (client.status === 'connect' && client.stream === stream) {
        this.#replace(stream, `no reply to the connection handshake within ${this.#handshakeMs} ms`);
      }
    }, this.#handshakeMs);
    // The watch alone must not keep the process alive.
    this.#handshakeTimer.unref();
  };
  readonly #onSettled = () => {
    clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
  };

  constructor(
    connection: RedisConnection,
    options: { commandTimeoutMs: number; connectTimeoutMs: number },
    logger: Logger,
  ) {
    this.#client = connection.mode === 'cluster' ? undefined : (connection.client as Redis);
    this.#owned = connection.owned;
    this.#probeMs = options.commandTimeoutMs;
    this.#handshakeMs = options.connectTimeoutMs;
    this.#logger = logger;
    if (this.#client !== undefined && this.#owned) {
      this.#client.on('connect', this.#onConnect);
      this.#client.on('ready', this.#onSettled);
      this.#client.on('close', this.#onSettled);
    }
  }

  /** A call's deadline passed without a reply: probe the connection unless a probe is already out. */
  readonly expired = (): void => {
    const client = this.#client;
    // Not ready: ioredis is already reconnecting, or the handshake watch covers it.
    if (client === undefined || client.status !== 'ready' || this.#probing !== undefined) return;
    const stream = client.stream;
    this.#probing = stream;
    let answered = false;
    const timer = setTimeout(() => {
      this.#probing = undefined;
      if (!answered && client.stream === stream && client.status === 'ready') {
        this.#replace(
          stream,
          `a call got no reply within ${this.#probeMs} ms, then PING none within ${this.#probeMs} ms more`,
        );
      }
    }, this.#probeMs);
    timer.unref();
    // A Command of its own: on a client with autopipelining, PING must not wait behind a pipeline.
    const ping = new Command('ping', [], { replyEncoding: 'utf8' });
    client.sendCommand(ping);
    // Any settlement ends the probe: a reply (even an error reply) proves the connection alive, and a
    // rejection without one means ioredis dropped the connection itself.
    ping.promise.then(
      () => {
        answered = true;
        clearTimeout(timer);
        this.#probing = undefined;
      },
      () => {
        answered = true;
        clearTimeout(timer);
        this.#probing = undefined;
      },
    );
  };

  /** Replaces a dead connection the store owns; for a client passed in, says what is wrong, once per socket. */
  #replace(stream: unknown, reason: string): void {
    const client = this.#client as Redis;
    if (this.#owned) {
      this.#logger.warn('redis connection answers nothing: opening a new one', { reason });
      // Drops the socket; retryStrategy reconnects, and calls wait (bounded) for the new connection.
      client.disconnect(true);
      return;
    }
    if (this.#warnedAbout === stream) return;
    this.#warnedAbout = stream;
    this.#logger.warn(
      'redis connection answers nothing; the client was passed in, so the store does not close it: ' +
        'calls fail within commandTimeoutMs until it reconnects (client.disconnect(true) does that)',
      { reason },
    );
  }

  /** Stops watching (on close). */
  stop(): void {
    clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    const client = this.#client;
    if (client === undefined || !this.#owned) return;
    client.off('connect', this.#onConnect);
    client.off('ready', this.#onSettled);
    client.off('close', this.#onSettled);
  }
}
