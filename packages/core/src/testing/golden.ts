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

/** One step of a golden training case; tensors are row-major values by parameter name. */
export interface GoldenTrainingStep {
  readonly users: number[];
  readonly items: number[];
  /** Indexed `[task][example]`. */
  readonly labels: number[][];
  readonly losses: number[];
  readonly combinedSharedGradients: Record<string, number[]>;
  readonly headGradients: Record<string, number[]>;
  readonly parametersAfter: Record<string, number[]>;
}

/** A golden training case: a tiny NeuMF, its initial parameters, Adam settings and steps. */
export interface GoldenTrainingCase {
  readonly name: string;
  readonly relaxFactor: number;
  readonly beta: number;
  readonly adam: {
    readonly learningRate: number;
    readonly beta1: number;
    readonly beta2: number;
    readonly epsilon: number;
    readonly weightDecay: number;
    readonly weightDecayMode?: string;
  };
  /** NeuMF size; its `layout` text describes the parameters. */
  readonly model: {
    readonly users: number;
    readonly items: number;
    readonly gmfDim: number;
    readonly mlpDim: number;
    readonly hidden: number[];
    readonly tasks: number;
    readonly layout?: string;
    readonly sharedParameters?: string[];
    readonly taskParameters?: string[];
  };
  readonly initialParameters: Record<string, { shape: number[]; values: number[] }>;
  readonly steps: GoldenTrainingStep[];
}

/** A golden file: float64 reference values computed with PyTorch. */
export interface GoldenFile {
  readonly description: string;
  readonly seed: number;
  /** Transform cases, plus full training cases (those with a `model` field). */
  readonly cases: (GoldenTransformCase | GoldenTrainingCase | Record<string, unknown>)[];
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

/** Cases of a golden file that train a model (those with a `model` field). */
export function goldenTrainingCases(file: GoldenFile): GoldenTrainingCase[] {
  return file.cases.filter((c): c is GoldenTrainingCase => 'model' in c && Array.isArray((c as { steps?: unknown }).steps));
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
