// Finds the Redis executables the harness runs: `redis-server` and `redis-cli` on the PATH, or the files
// named by REDIS_SERVER_BIN and REDIS_CLI_BIN. Sentinels run as `redis-server --sentinel`, so no
// `redis-sentinel` executable is needed. When one is missing, every caller gets the same message: what
// is missing and how to install it.
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

export interface RedisBinaries {
  /** Absolute path of redis-server. */
  server: string;
  /** Absolute path of redis-cli. */
  cli: string;
}

interface Wanted {
  key: keyof RedisBinaries;
  name: string;
  /** Environment variable that overrides the PATH lookup: a path, or a name to look up on the PATH. */
  env: string;
}

const WANTED: readonly Wanted[] = [
  { key: 'server', name: 'redis-server', env: 'REDIS_SERVER_BIN' },
  { key: 'cli', name: 'redis-cli', env: 'REDIS_CLI_BIN' },
];

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.resolve(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Resolves every binary; `problems` has one line per binary that could not be found. */
export function findRedisBinaries(env: NodeJS.ProcessEnv = process.env): {
  found: Partial<RedisBinaries>;
  problems: string[];
} {
  const found: Partial<RedisBinaries> = {};
  const problems: string[] = [];
  const searchPath = env.PATH ?? '';
  for (const { key, name, env: variable } of WANTED) {
    const override = env[variable];
    if (override !== undefined && override !== '') {
      // A value with a slash is a file; a bare name is looked up on the PATH like the default.
      const file = override.includes(path.sep) ? path.resolve(override) : onPath(override, searchPath);
      if (file !== undefined && isExecutableFile(file)) found[key] = file;
      else problems.push(`${name}: ${variable}=${override} is not an executable file`);
      continue;
    }
    const file = onPath(name, searchPath);
    if (file !== undefined) found[key] = file;
    else problems.push(`${name}: not found on the PATH`);
  }
  return { found, problems };
}

/** The one message for missing binaries: what is missing, how to install it, how to point at it. */
export function missingRedisMessage(problems: readonly string[]): string {
  return [
    'The Redis tests start their own servers and need redis-server and redis-cli:',
    ...problems.map((problem) => `  - ${problem}`),
    'Install them:',
    '  Debian/Ubuntu: sudo apt-get install redis-server redis-tools',
    '  macOS:         brew install redis',
    'or set REDIS_SERVER_BIN and REDIS_CLI_BIN to the executables.',
  ].join('\n');
}

/** Raised when a binary is missing; its message is the whole explanation. */
export class RedisBinariesMissingError extends Error {
  override name = 'RedisBinariesMissingError';
}

let cached: RedisBinaries | undefined;

/** The binaries to run, resolved once per process; throws RedisBinariesMissingError when one is missing. */
export function redisBinaries(): RedisBinaries {
  if (cached !== undefined) return cached;
  const { found, problems } = findRedisBinaries();
  if (found.server === undefined || found.cli === undefined) {
    throw new RedisBinariesMissingError(missingRedisMessage(problems));
  }
  cached = { server: found.server, cli: found.cli };
  return cached;
}
