// Proves the Redis test helpers start real servers that answer, survive SIGKILL + restart with their
// data, pause and resume, and leave no listening port behind once stopped.

import { existsSync } from 'node:fs';
import net from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import {
  freePort,
  type RedisServerHandle,
  redisCommand,
  startRedis,
  startRedisProcess,
} from './helpers/redis-servers.js';

/** Resolves true when a TCP connect to 127.0.0.1:port is refused (nothing listens there). */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') resolve(true);
      else reject(error);
    });
  });
}

function client(port: number): Redis {
  return new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, lazyConnect: true });
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('freePort', () => {
  it('returns distinct free ports below 55000 whose bus port (+10000) is free too', async () => {
    const a = await freePort();
    const b = await freePort();
    expect(a).not.toBe(b);
    for (const port of [a, b]) {
      expect(port).toBeLessThan(55_000);
      expect(await refused(port)).toBe(true);
      expect(await refused(port + 10_000)).toBe(true);
    }
  });
});

describe.each([
  ['startRedis (redis-memory-server)', startRedis],
  ['startRedisProcess (spawned)', startRedisProcess],
] as const)('%s', (_name, start) => {
  it('answers PING on 127.0.0.1, and after stop() the port refuses connections and the dir is gone', async () => {
    const redis = await start();
    cleanups.push(() => redis.stop());
    expect(redis.host).toBe('127.0.0.1');
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(await redisCommand(redis.port, ['PING'])).toBe('PONG');
    expect(await redisCommand(redis.port, ['CONFIG', 'GET', 'bind'])).toEqual(['bind', '127.0.0.1']);
    expect(await redisCommand(redis.port, ['CONFIG', 'GET', 'dir'])).toEqual(['dir', redis.dir]);

    await redis.stop();
    await redis.stop(); // idempotent
    expect(await refused(redis.port)).toBe(true);
    expect(existsSync(redis.dir)).toBe(false);
    await expect(redis.restart()).rejects.toThrow(/stopped/);
  });

  it('keeps an fsynced key across kill(SIGKILL) + restart() on the same port and dir', async () => {
    const redis: RedisServerHandle = await start({
      args: ['--appendonly', 'yes', '--appendfsync', 'always'],
    });
    cleanups.push(() => redis.stop());
    const { port, dir } = redis;
    const c = client(port);
    cleanups.push(async () => c.disconnect());
    expect(await c.set('survivor', 'v1')).toBe('OK');
    c.disconnect();

    await redis.kill('SIGKILL');
    expect(await refused(port)).toBe(true);
    await redis.restart();
    expect(redis.port).toBe(port);
    expect(redis.dir).toBe(dir);
    expect(await redisCommand(port, ['GET', 'survivor'])).toBe('v1');
  });

  it('pause() makes PING time out and resume() restores it', async () => {
    const redis = await start();
    cleanups.push(() => redis.stop());
    redis.pause();
    await expect(redisCommand(redis.port, ['PING'], 300)).rejects.toThrow(/timed out|timeout/i);
    redis.resume();
    expect(await redisCommand(redis.port, ['PING'], 1_000)).toBe('PONG');
  });
});

describe('startRedisProcess', () => {
  it('does not touch a caller-provided dir on stop and honours an explicit port', async () => {
    const port = await freePort();
    const outer = await startRedisProcess();
    cleanups.push(() => outer.stop());
    // Reuse the first server's dir for a second server: the second must leave it in place.
    const redis = await startRedisProcess({ port, dir: outer.dir });
    cleanups.push(() => redis.stop());
    expect(redis.port).toBe(port);
    await redis.stop();
    expect(existsSync(outer.dir)).toBe(true);
  });

  it('rejects with the reason when redis-server refuses its arguments, leaving nothing behind', async () => {
    const port = await freePort();
    const started = startRedisProcess({ port, args: ['--no-such-option', 'x'] });
    // The error carries redis-server's own complaint, and arrives without waiting out the deadline.
    await expect(started).rejects.toThrow(/did not start: process exited[\s\S]*no-such-option/);
    expect(await refused(port)).toBe(true);
  });
});
