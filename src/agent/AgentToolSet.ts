// The agent's tools over their lifetime: factories built and `initialize()` run concurrently once, the
// failures remembered (every turn reports them), and `cleanup()` run concurrently at close.
import type { Logger } from '../logger.js';
import { redactError } from './facts.js';
import { badOption } from './optionChecks.js';
import type {
  AgentTools,
  AttachmentTool,
  EscalationTool,
  KnowledgeBaseTool,
  MemoryTool,
  ToolName,
} from './tools.js';

/** What `initialize()` reports: tools that are ready and tools whose factory or initialize() failed. */
export interface AgentInitReport {
  ready: ToolName[];
  failed: { tool: ToolName; error: string }[];
}

/** The tools that initialized; a tool that failed is absent. */
export interface ResolvedTools {
  knowledgeBase?: KnowledgeBaseTool;
  memory?: MemoryTool;
  attachments?: AttachmentTool;
  escalation?: EscalationTool;
}

export class AgentToolSet {
  readonly #sources: AgentTools;
  readonly #logger: Logger;
  #tools: ResolvedTools = {};
  #failures: AgentInitReport['failed'] = [];
  #initializing: Promise<AgentInitReport> | undefined;

  constructor(sources: AgentTools, logger: Logger) {
    this.#sources = sources;
    this.#logger = logger;
  }

  /** Empty until `initialize()` settles. */
  get tools(): ResolvedTools {
    return this.#tools;
  }

  /** The tools that failed to initialize; empty until `initialize()` settles. */
  get failures(): AgentInitReport['failed'] {
    return this.#failures;
  }

  /** Idempotent: every call returns the first call's promise. Never rejects. */
  initialize(): Promise<AgentInitReport> {
    this.#initializing ??= this.#initialize();
    return this.#initializing;
  }

  async #initialize(): Promise<AgentInitReport> {
    const entries = (Object.entries(this.#sources) as [ToolName, unknown][]).filter(
      ([, source]) => source !== undefined,
    );
    const settled = await Promise.allSettled(
      entries.map(async ([name, source]) => {
        const tool = (typeof source === 'function' ? await (source as () => unknown)() : source) as {
          initialize?: () => unknown;
        };
        if (typeof tool !== 'object' || tool === null) {
          badOption(`tools.${name}`, `tools.${name} must be an object or a factory returning one`);
        }
        await tool.initialize?.();
        return tool;
      }),
    );
    const report: AgentInitReport = { ready: [], failed: [] };
    settled.forEach((result, i) => {
      const name = (entries[i] as [ToolName, unknown])[0];
      if (result.status === 'fulfilled') {
        (this.#tools as Record<string, unknown>)[name] = result.value;
        report.ready.push(name);
      } else {
        const error = redactError(result.reason);
        report.failed.push({ tool: name, error });
        this.#logger.warn('agent tool failed to initialize; turns continue without it', {
          tool: name,
          error,
        });
      }
    });
    this.#failures = report.failed;
    return report;
  }

  /** Waits for a running initialize, then runs every tool's `cleanup()` concurrently. Never rejects. */
  async cleanup(): Promise<void> {
    if (this.#initializing !== undefined) await this.#initializing.catch(() => undefined);
    const tools = Object.entries(this.#tools) as [string, { cleanup?: () => unknown }][];
    const settled = await Promise.allSettled(tools.map(async ([, tool]) => tool.cleanup?.()));
    settled.forEach((result, i) => {
      if (result.status === 'rejected') {
        const error = redactError(result.reason);
        this.#logger.warn('agent tool cleanup failed', { tool: tools[i]?.[0], error });
      }
    });
  }
}
