// The logger the library writes to. Silent unless the host injects one. The shape is message first,
// then a context object: `console` and winston take it as it is; for pino or bunyan, whose methods take
// the object first, pass a small adapter such as `{ warn: (msg, ctx) => pino.warn(ctx, msg), … }`.

export interface Logger {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

const noop = (): void => {};

/** A logger that drops everything: the default. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
