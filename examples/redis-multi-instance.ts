// Two app instances sharing one conversation through Redis: each store below stands for a separate
// process. Uses REDIS_URL when set; otherwise starts a throwaway redis-server on a free loopback port.
// Run: npx tsx examples/redis-multi-instance.ts
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { RedisSessionStore } from '../src/index.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Starts redis-server on 127.0.0.1 and waits until it accepts connections (5 s at most). */
async function startLocalRedis(): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 5_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error('redis-server did not start; install it or set REDIS_URL');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

const local = process.env.REDIS_URL ? undefined : await startLocalRedis();
const url = process.env.REDIS_URL ?? (local?.url as string);
const keyPrefix = `demo-${process.pid}:`;

// Instance A and instance B: separate connections, same Redis, same key prefix.
const a = new RedisSessionStore({ url, keyPrefix, defaultTtlSeconds: 30 * 60 });
const b = new RedisSessionStore({ url, keyPrefix, defaultTtlSeconds: 30 * 60 });

try {
  // A user's first message lands on instance A.
  const first = await a.getOrCreate('chat-42', { userId: 'user-7', metadata: { channel: 'web' } });
  console.log(`A: getOrCreate created=${first.created} thread=${first.session.threadId}`);

  // Their second message lands on instance B: same session, counted atomically.
  const seenByB = await b.getOrCreate('chat-42');
  const countOnB = await b.incrementCounter('chat-42', 'messageCount');
  console.log(`B: getOrCreate created=${seenByB.created} thread=${seenByB.session.threadId}`);
  console.log(`B: messageCount is now ${countOnB}`);

  // A records what it learned; B reads it back.
  await a.incrementCounter('chat-42', 'messageCount');
  await a.update('chat-42', { metadata: { plan: 'pro', lastTopic: 'billing' } });
  const onB = await b.get('chat-42');
  const onA = await a.get('chat-42', { touch: false });
  console.log('B reads:', {
    threadId: onB?.threadId,
    messageCount: onB?.messageCount,
    metadata: onB?.metadata,
    version: onB?.version,
  });

  const agree =
    onA?.threadId === onB?.threadId &&
    onA?.threadId === first.session.threadId &&
    onA?.messageCount === 2 &&
    onB?.messageCount === 2 &&
    onB?.metadata.plan === 'pro';
  console.log(`A and B agree on threadId and counts: ${agree}`);
  console.log(`active sessions (A: ${await a.countActive()}, B: ${await b.countActive()})`);
  await a.delete('chat-42');
  if (!agree) process.exitCode = 1;
} finally {
  await a.close();
  await b.close();
  local?.stop();
}
