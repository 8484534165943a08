import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** One step of a golden MetaBalance transform case. */
export interface GoldenTransformStep {
  /** Indexed `[task][tensor][element]`, row-major. */
  readonly taskGradients: number[][][];
  /** Indexed `[tensor][element]`. */
  readonly combined: number[][];
  /** Indexed `[task][tensor]`, after this step. */
  readonly movingAverageNorms: number[][];
}

/** A golden case for the MetaBalance transform alone. */
export interface GoldenTransformCase {
  readonly name: string;
  readonly relaxFactor: number;
  readonly beta: number;
  readonly shapes: number[][];
  readonly tasks: number;
  readonly steps: GoldenTransformStep[];
}

/** A golden file: float64 reference values computed with PyTorch. */
export interface GoldenFile {
  readonly description: string;
  readonly seed: number;
  /** Transform cases, plus full training cases (those with a `model` field). */
  readonly cases: (GoldenTransformCase | Record<string, unknown>)[];
}

/** Reads a golden file. */
export function readGoldenFile(path: string): GoldenFile {
  return JSON.parse(readFileSync(path, 'utf8')) as GoldenFile;
}

/** Cases of a golden file that test the transform alone (those with `taskGradients` steps). */
export function goldenTransformCases(file: GoldenFile): GoldenTransformCase[] {
  return file.cases.filter(
    (c): c is GoldenTransformCase => !('model' in c) && Array.isArray((c as { steps?: unknown }).steps),
  );
}

/**
 * Finds the project's shared data folder: `MB_SHARED_DIR` when set, else the first folder named
 * `shared` beside the current directory or one of its parents. Returns `null` when there is none,
 * so tests can skip with a message.
 */
export function findSharedDir(start: string = process.cwd()): string | null {
  const fromEnv = process.env.MB_SHARED_DIR;
  if (fromEnv) return existsSync(fromEnv) ? resolve(fromEnv) : null;

  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, '..', 'shared');
    if (existsSync(join(candidate, 'golden')) || existsSync(join(candidate, 'data'))) return resolve(candidate);
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}
