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

/** Why the example cannot run, said in one line, and what to do about it. */
class SetupError extends Error {}

/** Starts redis-server on 127.0.0.1 and waits until it accepts connections (5 s at most). */
async function startLocalRedis(): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  // A missing binary is reported through this event, not thrown by spawn().
  let spawnError: NodeJS.ErrnoException | undefined;
  child.once('error', (error: NodeJS.ErrnoException) => {
    spawnError = error;
  });
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
    if (spawnError !== undefined || Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new SetupError(
        spawnError?.code === 'ENOENT'
          ? 'redis-server is not on the PATH: install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL=redis://host:port to use a running Redis.'
          : `redis-server did not start on port ${port} within 5 s${spawnError ? ` (${spawnError.message})` : ''}: run \`redis-server --port ${port}\` by hand to see why, or set REDIS_URL=redis://host:port.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

let local: { url: string; stop: () => void } | undefined;
try {
  local = process.env.REDIS_URL ? undefined : await startLocalRedis();
} catch (error) {
  if (!(error instanceof SetupError)) throw error;
  console.error(error.message);
  process.exit(1);
}
const url = process.env.REDIS_URL || (local?.url as string);
const keyPrefix = `demo-${process.pid}:`;

// Instance A and instance B: separate connections, same Redis, same key prefix.
const a = new RedisSessionStore({ url, keyPrefix, defaultTtlSeconds: 30 * 60 });
const b = new RedisSessionStore({ url, keyPrefix, defaultTtlSeconds: 30 * 60 });

// A Redis named by REDIS_URL may not be there: say so in one line instead of failing on the first call.
if (!(await Promise.all([a.ping(), b.ping()])).every(Boolean)) {
  await Promise.all([a.close(), b.close()]);
  local?.stop();
  console.error(
    `Cannot reach Redis at ${url}: start a redis-server there, or unset REDIS_URL to let this example start its own.`,
  );
  process.exit(1);
}

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
