import { Redis } from 'ioredis';
import { HOST, waitUntil } from './redis-process.js';
import { parseInfo, redisCommand } from './redis-resp.js';
import { startRedisProcess } from './redis-standalone.js';

const master = await startRedisProcess();
const replica = await startRedisProcess({ args: ['--replicaof', HOST, String(master.port)] });
await waitUntil(
  'up',
  20000,
  async () =>
    parseInfo(await redisCommand(replica.port, ['INFO', 'replication'])).get('master_link_status') === 'up',
);
const c = new Redis(master.url);
const lat: number[] = [];
const end = Date.now() + Number(process.argv[2] ?? 20000);
while (Date.now() < end) {
  const t = performance.now();
  const r = await c.pipeline().set('k', String(t)).wait(1, 5000).exec();
  lat.push(performance.now() - t);
  if (r?.[1]?.[1] !== 1) console.log('ack', r?.[1]);
}
lat.sort((a, b) => a - b);
const q = (p: number) => lat[Math.floor(p * (lat.length - 1))]!.toFixed(1);
console.log(
  `n=${lat.length} p50=${q(0.5)} p99=${q(0.99)} p999=${q(0.999)} max=${q(1)} over300=${lat.filter((x) => x > 300).length}`,
);
c.disconnect();
await replica.stop();
await master.stop();
