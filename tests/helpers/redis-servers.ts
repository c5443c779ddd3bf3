// The Redis test harness in one import. Each concern lives in its own file: redis-process (child
// processes, watchdog, polling), redis-resp (a raw RESP2 client), redis-ports, redis-standalone,
// redis-cluster, redis-sentinel, and redis-binaries (where redis-server and redis-cli are found).
export { type RedisBinaries, redisBinaries } from './redis-binaries.js';
export {
  type ClusterHandle,
  type ClusterMaster,
  type ClusterOptions,
  startCluster,
} from './redis-cluster.js';
export { freePort } from './redis-ports.js';
export { type RedisServerHandle, runningServerPids, waitUntil } from './redis-process.js';
export { type RedisReply, redisCommand } from './redis-resp.js';
export { type SentinelGroupOptions, type SentinelHandle, startSentinelGroup } from './redis-sentinel.js';
export { type RedisProcessOptions, startRedis, startRedisProcess } from './redis-standalone.js';
