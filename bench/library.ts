// The library as its users get it: the build in dist/, which `npm run bench` makes first. Measuring src/
// through tsx instead would add tsx's own cost: its keepNames transform wraps every named closure in a
// call that sets the function's name, each time the closure is created (about 4% of a Redis `set`).
import { statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

type Library = typeof import('../src/index.js');

const DIST = new URL('../dist/index.js', import.meta.url);
const SRC = new URL('../src/', import.meta.url);

/** Newest modification time of any file under `dir`, in ms. */
async function newest(dir: string): Promise<number> {
  let latest = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(`${entry.parentPath}/${entry.name}`).mtimeMs);
  }
  return latest;
}

/** The built library; fails when dist/ is missing or older than src/ (a benchmark of stale code). */
export async function loadLibrary(): Promise<Library> {
  let built: number;
  try {
    built = statSync(DIST).mtimeMs;
  } catch {
    throw new Error('dist/index.js is missing: run `npm run build` (npm run bench does) before benchmarking');
  }
  if ((await newest(fileURLToPath(SRC))) > built) {
    throw new Error('dist/ is older than src/: run `npm run build` (npm run bench does) before benchmarking');
  }
  // A computed specifier: the types come from src/, the code from the build.
  return (await import(DIST.href)) as Library;
}
