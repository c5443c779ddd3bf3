// A local stand-in for an LLM, implementing the `Model` interface of @openai/agents-core: no network.
// It answers with a message that counts the user messages it was given and records every request's
// input, so a test can check what history the runner sent. With `toolFirst`, a turn whose last input
// item is a user message first calls the `lookup` tool, and answers once the tool's output is in.
import {
  type AgentInputItem,
  type AgentOutputItem,
  type Model,
  type ModelRequest,
  type ModelResponse,
  Usage,
} from '@openai/agents-core';

function userText(item: AgentInputItem): string | undefined {
  if (!('role' in item) || item.role !== 'user') return undefined;
  if (typeof item.content === 'string') return item.content;
  return item.content.map((part) => ('text' in part ? part.text : '')).join('');
}

export class StandInModel implements Model {
  /** The input of every request, as the runner sent it. */
  readonly inputs: AgentInputItem[][] = [];
  #calls = 0;

  constructor(private readonly options: { toolFirst?: boolean; name?: string } = {}) {}

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const input: AgentInputItem[] =
      typeof request.input === 'string' ? [{ role: 'user', content: request.input }] : request.input;
    this.inputs.push(structuredClone(input));
    const last = input[input.length - 1];
    if (this.options.toolFirst && last && userText(last) !== undefined) {
      this.#calls += 1;
      const callId = `call-${this.options.name ?? 'model'}-${this.#calls}`;
      return {
        usage: new Usage(),
        output: [
          { type: 'function_call', callId, name: 'lookup', status: 'completed', arguments: '{"q":"status"}' },
        ],
      };
    }
    const users = input.map(userText).filter((text) => text !== undefined);
    const output: AgentOutputItem[] = [
      {
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: `reply ${users.length} to ${users.at(-1)}` }],
      },
    ];
    return { usage: new Usage(), output };
  }

  // biome-ignore lint/correctness/useYield: the stand-in does not stream; the runner only calls getResponse here.
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('StandInModel does not stream');
  }
}
