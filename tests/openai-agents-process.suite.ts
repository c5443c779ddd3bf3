// `run(agent, input, { session })` continuing one conversation across two processes over a real
// redis-server: each turn is a separate Node process (tsx) with its own RedisSessionStore, as two app
// instances would be. Call describeOpenAIAgentsAcrossProcesses(() => server.url) from a test file that
// starts the server (tests/helpers/redis-servers.ts); it needs RedisSessionStore's history methods.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const worker = fileURLToPath(new URL('./openai-agents-worker.ts', import.meta.url));
const execFileAsync = promisify(execFile);

interface Turn {
  pid: number;
  input: { role?: string; content?: unknown }[];
  output: string;
}

async function turn(url: string, keyPrefix: string, sessionId: string, message: string): Promise<Turn> {
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--import', 'tsx', worker, url, keyPrefix, sessionId, message],
    { timeout: 60_000 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as Turn;
}

export function describeOpenAIAgentsAcrossProcesses(name: string, redisUrl: () => string): void {
  describe(`OpenAIAgentsSession across processes (${name})`, () => {
    it("the second process's model input holds the first process's turn", async () => {
      const keyPrefix = `oa-proc-${process.pid}-${Date.now()}:`;
      const first = await turn(redisUrl(), keyPrefix, 'conv-1', 'my order is late');
      const second = await turn(redisUrl(), keyPrefix, 'conv-1', 'any news?');
      expect(second.pid).not.toBe(first.pid);
      expect(first.output).toBe('reply 1 to my order is late');
      expect(first.input).toEqual([expect.objectContaining({ role: 'user', content: 'my order is late' })]);
      expect(second.input).toEqual([
        expect.objectContaining({ role: 'user', content: 'my order is late' }),
        expect.objectContaining({
          role: 'assistant',
          content: [expect.objectContaining({ text: first.output })],
        }),
        expect.objectContaining({ role: 'user', content: 'any news?' }),
      ]);
      expect(second.output).toBe('reply 2 to any news?');
    });
  });
}
