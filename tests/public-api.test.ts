// The root entry is a deliberate list: the names of DESIGN.md, the option and result types users write
// down, the errors and their guards. Internals (record helpers, normalized inputs, UI strings) stay out:
// backend helpers live in /backend, the kit in /testing. This test fails when a name leaks back in.
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

function exportsOf(entry: string): { values: string[]; types: string[] } {
  const file = path.join(root, entry);
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (source === undefined) throw new Error(`${entry} not found`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) throw new Error(`${entry} is not a module`);
  const values: string[] = [];
  const types: string[] = [];
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    (target.flags & ts.SymbolFlags.Value ? values : types).push(symbol.getName());
  }
  return { values: values.sort(), types: types.sort() };
}

const DESIGN_NAMES = [
  'SessionData',
  'JsonValue',
  'sessionDataSchema',
  'SessionCodec',
  'SessionStore',
  'SessionStoreStats',
  'SessionStoreError',
  'SessionValidationError',
  'SessionDecodeError',
  'SessionConflictError',
  'SessionStoreUnavailableError',
  'SessionStoreClosedError',
  'InMemorySessionStore',
  'RedisSessionStore',
  'createSessionStore',
  'CustomerSupportAgent',
  'ToolRunner',
  'AgentResponse',
  'AgentEvent',
];

describe('the root entry', () => {
  const { values, types } = exportsOf('src/index.ts');
  const all = [...values, ...types];

  it('exports at most 60 names, values and types together', () => {
    expect(all.length, `root exports: ${all.join(', ')}`).toBeLessThanOrEqual(60);
  });

  it('exports every name DESIGN.md gives', () => {
    expect(DESIGN_NAMES.filter((name) => !all.includes(name))).toEqual([]);
  });

  it('exports a guard beside every error class', () => {
    const errors = values.filter((name) => /^[A-Z]\w*Error$/.test(name));
    expect(errors.length).toBeGreaterThan(6);
    expect(errors.filter((name) => !values.includes(`is${name}`))).toEqual([]);
  });

  it('keeps internals out', () => {
    const internal =
      /^(Normalized|Resolved|Encoded)|^(apply|build|clone|compute|encode|decode|mark|next)[A-Z]|^[A-Z_]+$/;
    expect(all.filter((name) => internal.test(name))).toEqual([]);
  });

  it('has no export * (every name is chosen)', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(path.join(root, 'src/index.ts'), 'utf8');
    expect(text).not.toMatch(/export \*/);
  });
});

describe('the /backend entry', () => {
  it('holds the helpers a custom backend builds on', () => {
    const { values, types } = exportsOf('src/backend/index.ts');
    expect(values).toEqual(
      expect.arrayContaining(['buildSession', 'applyPatch', 'OperationLog', 'encodedSize']),
    );
    expect(types).toEqual(expect.arrayContaining(['NormalizedInput', 'HistoryWriteContext']));
  });
});
