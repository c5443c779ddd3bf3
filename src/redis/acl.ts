// The least-privilege Redis ACL for RedisSessionStore, derived from what the store sends: the commands
// every registered script calls (read from their Lua source, so a new script brings its commands with it)
// and the ones the client sends itself. Also the reverse: naming the command behind an ACL refusal.
import { SessionStoreConfigError, SessionValidationError } from '../errors/errors.js';
import { HISTORY_SCRIPTS } from './historyScripts.js';
import { REDIS_STORE_DEFAULTS } from './options.js';
import { SCRIPTS } from './scripts.js';

/** Every script the store may run, envelope and history, by operation name. */
const ALL_SCRIPTS: Record<string, { lua: string; sha: string }> = { ...SCRIPTS, ...HISTORY_SCRIPTS };

/**
 * Commands sent outside the scripts, lower case as ACL rules name them:
 * - `evalsha` runs every script; `eval` sends its source when the server has not cached it (NOSCRIPT:
 *   first use, restart, failover, SCRIPT FLUSH);
 * - `get` is `get` without touch, `exists` is `exists`, `ping` is `ping()` (and createSessionStore's check);
 * - `info` is ioredis's ready check on every connection (and, under Sentinel, its check of the role).
 */
const CLIENT_COMMANDS = ['evalsha', 'eval', 'get', 'exists', 'ping', 'info'] as const;

/**
 * What ioredis sends on a Cluster besides: `CLUSTER SLOTS` to learn the slot map, `CLUSTER INFO` for its
 * ready check, `ASKING` to follow a slot that is being migrated.
 */
const CLUSTER_COMMANDS = ['cluster|slots', 'cluster|info', 'asking'] as const;

// `redis.call('CMD'` or `redis.pcall("CMD"`: the scripts name each command as a literal.
const CALL = /redis\.p?call\(\s*['"]([A-Za-z]+)['"]/g;

/** The commands one Lua source calls, lower case, in order of first appearance. */
export function scriptCommands(lua: string): string[] {
  const found = new Set<string>();
  for (const match of lua.matchAll(CALL)) found.add((match[1] as string).toLowerCase());
  return [...found];
}

/** Every command the store's scripts call, lower case, sorted. */
export function scriptedCommands(): string[] {
  const all = new Set<string>();
  for (const script of Object.values(ALL_SCRIPTS))
    for (const command of scriptCommands(script.lua)) all.add(command);
  return [...all].sort();
}

export interface RedisAclOptions {
  /** The store's `keyPrefix` (the same string); every key the store touches starts with it. @default 'session:' */
  keyPrefix?: string;
  /** `cluster` adds what ioredis sends to a Cluster. @default 'standalone' (also right for Sentinel) */
  mode?: 'standalone' | 'sentinel' | 'cluster';
  /** Whether the store uses the `durability` option, which sends `WAIT` after its writes. @default false */
  durability?: boolean;
}

/** `prefix` as a literal in an ACL key pattern: the glob characters escaped. */
function globLiteral(prefix: string): string {
  return prefix.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

/**
 * The ACL rules a Redis user needs to run a RedisSessionStore and nothing more, one rule per element, for
 * `ACL SETUSER <name> on ><password> ...rules` (or joined with spaces, for an ACL file line): its keys
 * (`~<keyPrefix>*`, which covers sessions, index shards and operation ids), no Pub/Sub channel, and only
 * the commands the store sends. A prefix holding whitespace cannot be written on an ACL file line; use the
 * elements as separate ACL SETUSER arguments then.
 */
export function redisAclRules(options: RedisAclOptions = {}): string[] {
  const { keyPrefix = REDIS_STORE_DEFAULTS.keyPrefix, mode = 'standalone', durability = false } = options;
  if (typeof keyPrefix !== 'string' || /[{}]/.test(keyPrefix)) {
    throw new SessionValidationError(
      'RedisSessionStore.aclRules: keyPrefix must be a string without { or }, as the store requires',
      { field: 'keyPrefix' },
    );
  }
  const commands = new Set<string>([...CLIENT_COMMANDS, ...scriptedCommands()]);
  if (mode === 'cluster') for (const command of CLUSTER_COMMANDS) commands.add(command);
  if (durability) commands.add('wait');
  return [`~${globLiteral(keyPrefix)}*`, 'resetchannels', '-@all', ...[...commands].map((c) => `+${c}`)];
}

/** The script whose SHA is `sha`, by its operation name. */
function scriptBySha(sha: string): { op: string; lua: string } | undefined {
  for (const [op, script] of Object.entries(ALL_SCRIPTS)) {
    if (script.sha === sha) return { op, lua: script.lua };
  }
  return undefined;
}

const SEE_RULES =
  'grant the Redis user the rules RedisSessionStore.aclRules({ keyPrefix }) prints (docs/operations.md, "Least-privilege ACL")';

/**
 * The configuration error for an ACL refusal in `message` (a Redis error reply), or undefined when it is
 * no ACL refusal. A refusal inside a script names only the script and the line (`script: <sha>, on
 * @user_script:<line>`): the command is read from that line of the script's source.
 */
export function aclRefusal(message: string, cause: unknown): SessionStoreConfigError | undefined {
  const scripted = /can't run this command or subcommand script: ([0-9a-f]{40}), on @user_script:(\d+)/.exec(
    message,
  );
  if (scripted) {
    const script = scriptBySha(scripted[1] as string);
    const line = script?.lua.split('\n')[Number(scripted[2]) - 1];
    const command = line === undefined ? undefined : scriptCommands(line)[0];
    const what =
      command === undefined
        ? `a command of one of the store's scripts${script ? ` (${script.op})` : ''}`
        : `${command.toUpperCase()}, which the store's ${script?.op} script calls`;
    return new SessionStoreConfigError(
      `Redis refused the store's command: the ACL user may not run ${what}; ${SEE_RULES}`,
      { cause },
    );
  }
  if (/can't run this command or subcommand/.test(message)) {
    return new SessionStoreConfigError(
      `Redis refused a command of the store's scripts: the ACL user lacks a command; ${SEE_RULES}`,
      { cause },
    );
  }
  const direct = /^NOPERM .*'([^']+)' command/.exec(message);
  if (direct) {
    return new SessionStoreConfigError(
      `Redis refused the store's command: the ACL user may not run ${(direct[1] as string).toUpperCase()}; ${SEE_RULES}`,
      { cause },
    );
  }
  if (/^NOPERM .*keys|can't access at least one of the keys/i.test(message)) {
    return new SessionStoreConfigError(
      `Redis refused the store's keys: the ACL user's key pattern does not cover the store's keyPrefix; ${SEE_RULES}`,
      { cause },
    );
  }
  if (/^NOPERM/.test(message)) {
    return new SessionStoreConfigError(`Redis refused the store's command (${message}); ${SEE_RULES}`, {
      cause,
    });
  }
  return undefined;
}
