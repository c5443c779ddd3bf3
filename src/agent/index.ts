// CustomerSupportAgent, ToolRunner and helpers: filled in by the agent work.
export {};
