// The library as its users get it: the build in dist/, which `npm run bench` makes first. Measuring src/
// through tsx instead would add tsx's own cost: its keepNames transform wraps every named closure in a
// call that sets the function's name, each time the closure is created (about 4% of a Redis `set`).
import { statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type Library = typeof import('../src/index.js');

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist', 'index.js');

/** Newest modification time, in ms, of what the build reads: src/ (tests aside) and the build's config. */
async function newestInput(): Promise<number> {
  const src = join(ROOT, 'src');
  const files = (await readdir(src, { recursive: true }))
    .filter((name) => !name.endsWith('.test.ts'))
    .map((name) => join(src, name));
  files.push(join(ROOT, 'tsup.config.ts'), join(ROOT, 'package.json'));
  let latest = 0;
  for (const file of files) {
    const stat = statSync(file);
    if (stat.isFile()) latest = Math.max(latest, stat.mtimeMs);
  }
  return latest;
}

/** The built library; fails when dist/ is missing or older than its sources (a benchmark of stale code). */
export async function loadLibrary(): Promise<Library> {
  let built: number;
  try {
    built = statSync(DIST).mtimeMs;
  } catch {
    throw new Error('dist/index.js is missing: run `npm run build` (npm run bench does) before benchmarking');
  }
  if ((await newestInput()) > built) {
    throw new Error('dist/ is older than src/: run `npm run build` (npm run bench does) before benchmarking');
  }
  // A computed specifier: the types come from src/, the code from the build.
  return (await import(pathToFileURL(DIST).href)) as Library;
}
