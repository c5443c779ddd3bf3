// Counting what a client sends to a real redis-server, with MONITOR: the commands a call puts on the wire.
import { Redis } from 'ioredis';
import { waitUntil } from './redis-process.js';

export interface CommandMonitor {
  /**
   * The commands (lower case, in order) the server received from clients while `call` ran; commands a
   * Lua script issued with redis.call are left out. ECHO markers on a second connection fence the call.
   */
  commandsOf(call: () => Promise<unknown>): Promise<string[]>;
  /** Closes both connections. */
  close(): void;
}

/** A MONITOR connection and a probe connection to the server at `url`. */
export async function monitorCommands(url: string): Promise<CommandMonitor> {
  const monitor = await new Redis(url).monitor();
  const probe = new Redis(url);
  const seen: { source: string; args: string[] }[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => seen.push({ source, args }));
  let marker = 0;
  return {
    async commandsOf(call) {
      marker += 1;
      const start = `start-${marker}`;
      const end = `end-${marker}`;
      await probe.echo(start);
      await call();
      await probe.echo(end);
      await waitUntil('monitor to see the end marker', 2_000, async () =>
        seen.some((e) => e.args[0]?.toLowerCase() === 'echo' && e.args[1] === end),
      );
      const from = seen.findIndex((e) => e.args[1] === start);
      const to = seen.findIndex((e) => e.args[1] === end);
      return seen
        .slice(from + 1, to)
        .filter((e) => e.source !== 'lua')
        .map((e) => (e.args[0] ?? '').toLowerCase());
    },
    close() {
      monitor.disconnect();
      probe.disconnect();
    },
  };
}
