// One concept per file keeps every file in src/ short enough to read in one sitting (issue 12): none over
// 400 lines, and the two classes a newcomer opens first, RedisSessionStore and CustomerSupportAgent, under
// 300. Tests beside the code (`*.test.ts`) are not counted. A file that grows past its limit fails here:
// move a whole concept out to a file of its own rather than compressing code or dropping comments.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const src = path.join(root, 'src');

const LIMIT = 400;
/** Files with a tighter limit than LIMIT, by path from the repository root. */
const TIGHTER: Record<string, number> = {
  'src/redis/RedisSessionStore.ts': 299,
  'src/agent/CustomerSupportAgent.ts': 299,
};

/** Every .ts file under `dir`, tests excluded, as paths from the repository root with `/` separators. */
function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      files.push(path.relative(root, full).split(path.sep).join('/'));
    }
  }
  return files;
}

/** Lines as `wc -l` counts them: newline characters (a last line without one is still a line). */
function lineCount(text: string): number {
  const newlines = text.split('\n').length - 1;
  return text.length > 0 && !text.endsWith('\n') ? newlines + 1 : newlines;
}

describe('file sizes in src/', () => {
  const files = sourceFiles(src);

  it('finds the source files, the tightly limited ones among them', () => {
    expect(files.length).toBeGreaterThan(50);
    for (const file of Object.keys(TIGHTER)) expect(files).toContain(file);
    expect(files.some((file) => file.endsWith('.test.ts'))).toBe(false);
  });

  it('counts lines as wc -l does', () => {
    expect(lineCount('')).toBe(0);
    expect(lineCount('a\n')).toBe(1);
    expect(lineCount('a\nb')).toBe(2);
    expect(lineCount('a\n\nb\n')).toBe(3);
  });

  it(`keeps every file at or under ${LIMIT} lines, RedisSessionStore and CustomerSupportAgent under 300`, () => {
    const over = files
      .map((file) => {
        const lines = lineCount(readFileSync(path.join(root, file), 'utf8'));
        return { file, lines, limit: TIGHTER[file] ?? LIMIT };
      })
      .filter(({ lines, limit }) => lines > limit)
      .map(({ file, lines, limit }) => `${file}: ${lines} lines, limit ${limit}`);
    expect(over).toEqual([]);
  });
});
