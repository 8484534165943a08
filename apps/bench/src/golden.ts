import { metaBalance, movingAverageNormKey, referenceOps } from '@mb/core';
import type { GradientTransform, HostTensor, TensorOps, TransformState } from '@mb/core';
import type { ConformanceBackend, GoldenFile, GoldenTrainingCase, GoldenTransformCase } from '@mb/core/testing';
import type { NeuMFConfig } from '@mb/recsys';

import type { LoadedBackend } from './backends/types.js';

/**
 * Expected magnitudes below this are compared as if they were this large, so that values near
 * zero, which float32 cannot match to a relative 1e-4 after cancellation, are compared with an
 * absolute error of this size times the relative tolerance.
 */
export const RELATIVE_ERROR_FLOOR = 1e-3;

/** Outcome of one golden case. */
export interface GoldenCaseResult {
  readonly name: string;
  readonly kind: 'transform' | 'training';
  readonly ran: boolean;
  /** Reason the case did not run. */
  readonly reason?: string;
  /** Largest relative error over every compared value; NaN when a value was not finite. */
  readonly maxRelativeError: number;
  /** Location of the largest error, for example `step 2 combined[1][5]`. */
  readonly worstAt: string;
  /** Quantities compared, for example `losses`. */
  readonly compared: readonly string[];
}

/** Relative error `|a - e| / max(|e|, RELATIVE_ERROR_FLOOR)`; NaN when either value is not finite. */
export function relativeError(actual: number, expected: number): number {
  if (!Number.isFinite(actual) || !Number.isFinite(expected)) return Number.NaN;
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), RELATIVE_ERROR_FLOOR);
}

/** Tracks the largest error and its location. A NaN error counts as larger than any number. */
class ErrorTracker {
  max = 0;
  worstAt = '';

  compare(label: string, actual: ArrayLike<number>, expected: readonly number[]): void {
    if (actual.length !== expected.length) {
      throw new Error(`${label} has ${actual.length} values, expected ${expected.length}.`);
    }
    for (let i = 0; i < expected.length; i++) {
      const error = relativeError(actual[i], expected[i]);
      if (Number.isNaN(this.max)) return;
      if (Number.isNaN(error) || error > this.max) {
        this.max = error;
        this.worstAt = `${label}[${i}] = ${actual[i]}, expected ${expected[i]}`;
      }
    }
  }
}

/** Checks the top level of a parsed golden file, naming the first malformed field. */
export function validateGoldenFile(file: unknown): asserts file is GoldenFile {
  if (typeof file !== 'object' || file === null || !Array.isArray((file as { cases?: unknown }).cases)) {
    throw new Error('the golden file must be a JSON object with a "cases" array.');
  }
  (file as GoldenFile).cases.forEach((c, n) => {
    const entry = c as { name?: unknown; steps?: unknown };
    if (typeof entry.name !== 'string') throw new Error(`cases[${n}].name must be a string.`);
    if (!Array.isArray(entry.steps)) throw new Error(`case ${entry.name}: "steps" must be an array.`);
  });
}

/** Returns true for a training case (one with a `model`) and false for a transform case. */
export function isTrainingCase(testCase: GoldenFile['cases'][number]): boolean {
  return 'model' in testCase;
}

/** Runs every case of a golden file that the backend supports. */
export async function runGoldenFile(file: GoldenFile, backend: LoadedBackend): Promise<GoldenCaseResult[]> {
  const results: GoldenCaseResult[] = [];
  let transformBackend: ConformanceBackend<unknown> | undefined;
  for (const testCase of file.cases) {
    if (isTrainingCase(testCase)) {
      const training = testCase as unknown as GoldenTrainingCase;
      const weightDecayMode = training.adam.weightDecayMode;
      if (backend.createTrainer === undefined) {
        results.push(notRun(training.name, 'training', `backend ${backend.name} has no NeuMF trainer`));
      } else if (weightDecayMode !== undefined && !weightDecayMode.startsWith('L2')) {
        // The trainers implement PyTorch Adam's L2 weight decay only, not decoupled (AdamW) decay.
        results.push(notRun(training.name, 'training', `its weight decay mode "${weightDecayMode}" is not the L2 mode the trainers implement`));
      } else {
        results.push(await runTrainingCase(training, backend));
      }
    } else {
      const transformCase = testCase as GoldenTransformCase;
      if (backend.createTransformBackend === undefined) {
        results.push(notRun(transformCase.name, 'transform', `backend ${backend.name} cannot run a bare transform`));
      } else {
        transformBackend ??= await backend.createTransformBackend();
        results.push(await runTransformCase(transformCase, transformBackend));
      }
    }
  }
  return results;
}

function notRun(name: string, kind: GoldenCaseResult['kind'], reason: string): GoldenCaseResult {
  return { name, kind, ran: false, reason, maxRelativeError: Number.NaN, worstAt: '', compared: [] };
}

/**
 * Runs a MetaBalance transform case: each step's update runs on the backend with the task
 * gradients and the previous state as inputs, and the combined gradients and moving-average
 * norms are compared. The initial state (all zeros) is built on the host.
 */
export async function runTransformCase(testCase: GoldenTransformCase, backend: ConformanceBackend<unknown>): Promise<GoldenCaseResult> {
  const transform = metaBalance({ relaxFactor: testCase.relaxFactor, beta: testCase.beta });
  const spec = { tasks: testCase.tasks, sharedShapes: testCase.shapes };
  const initial = transform.init(referenceOps, spec);
  const keys = Object.keys(initial.tensors).sort();
  let stateValues: HostTensor[] = keys.map((key) => initial.tensors[key]);
  const tracker = new ErrorTracker();

  for (const [n, step] of testCase.steps.entries()) {
    const gradients = step.taskGradients.flatMap((tensors) => tensors.map((values, j) => host(values, testCase.shapes[j])));
    const outputs = await backend.evaluate(
      (ops, inputs) => transformStep(ops, transform, initial.signature, keys, testCase.tasks, testCase.shapes.length, inputs),
      [...gradients, ...stateValues],
    );
    const combined = outputs.slice(0, testCase.shapes.length);
    stateValues = outputs.slice(testCase.shapes.length);

    combined.forEach((tensor, j) => tracker.compare(`step ${n + 1} combined[${j}]`, tensor.values, step.combined[j]));
    for (let k = 0; k < testCase.tasks; k++) {
      for (let j = 0; j < testCase.shapes.length; j++) {
        const value = stateValues[keys.indexOf(movingAverageNormKey(k, j))].values;
        tracker.compare(`step ${n + 1} movingAverageNorms[${k}][${j}]`, value, [step.movingAverageNorms[k][j]]);
      }
    }
  }
  return {
    name: testCase.name,
    kind: 'transform',
    ran: true,
    maxRelativeError: tracker.max,
    worstAt: tracker.worstAt,
    compared: ['combined gradients', 'moving-average norms'],
  };
}

/**
 * Runs one update on backend tensors. The inputs are the task gradients `[task][tensor]`
 * flattened, then the state tensors in `keys` order.
 */
function transformStep<T>(
  ops: TensorOps<T>,
  transform: GradientTransform,
  signature: string,
  keys: readonly string[],
  tasks: number,
  tensorCount: number,
  inputs: T[],
): T[] {
  const taskGradients: T[][] = [];
  for (let k = 0; k < tasks; k++) taskGradients.push(inputs.slice(k * tensorCount, (k + 1) * tensorCount));
  const tensors: Record<string, T> = {};
  keys.forEach((key, n) => (tensors[key] = inputs[tasks * tensorCount + n]));
  const state: TransformState<T> = { method: transform.method, signature, tensors };

  const result = transform.update(ops, { taskGradients }, state);
  return [...result.combined, ...keys.map((key) => result.state.tensors[key])];
}

/** Step gradients that some adapters add to the step report (see `TrainerExtras`). */
interface ReportedGradients {
  readonly combinedShared: Record<string, HostTensor>;
  readonly taskSpecific: Record<string, HostTensor>;
}

/**
 * Runs the NeuMF training case through the backend's trainer with MetaBalance and the case's
 * Adam settings, comparing each step's losses and the parameters after it. The combined shared
 * gradients and head gradients are compared too when the adapter reports gradients, because the
 * trainer contract alone does not expose them.
 */
export async function runTrainingCase(testCase: GoldenTrainingCase, backend: LoadedBackend): Promise<GoldenCaseResult> {
  const model: NeuMFConfig = { ...testCase.model };
  const initialParameters: Record<string, HostTensor> = {};
  for (const [name, parameter] of Object.entries(testCase.initialParameters)) {
    initialParameters[name] = host(parameter.values, parameter.shape);
  }
  const { learningRate, beta1, beta2, epsilon, weightDecay } = testCase.adam;
  const trainer = await backend.createTrainer!(
    {
      model,
      initialParameters,
      transform: metaBalance({ relaxFactor: testCase.relaxFactor, beta: testCase.beta }),
      adam: { learningRate, beta1, beta2, epsilon, weightDecay },
    },
    { reportGradients: true },
  );

  const tracker = new ErrorTracker();
  let gradientSteps = 0;
  try {
    for (const [n, step] of testCase.steps.entries()) {
      const report = await trainer.step({
        users: Int32Array.from(step.users),
        items: Int32Array.from(step.items),
        labels: step.labels.map((labels) => Float32Array.from(labels)),
      });
      tracker.compare(`step ${n + 1} losses`, report.losses, step.losses);

      const gradients = (report as { gradients?: ReportedGradients }).gradients;
      if (gradients !== undefined && step.combinedSharedGradients !== undefined && step.headGradients !== undefined) {
        compareByName(tracker, `step ${n + 1} combined gradient of`, gradients.combinedShared, step.combinedSharedGradients);
        compareByName(tracker, `step ${n + 1} gradient of`, gradients.taskSpecific, step.headGradients);
        gradientSteps += 1;
      }

      const parameters = await trainer.parameters();
      compareByName(tracker, `step ${n + 1}`, parameters, step.parametersAfter);
    }
  } finally {
    await trainer.dispose();
  }
  return {
    name: testCase.name,
    kind: 'training',
    ran: true,
    maxRelativeError: tracker.max,
    worstAt: tracker.worstAt,
    compared: [
      'losses',
      ...(gradientSteps === testCase.steps.length ? ['combined shared gradients', 'head gradients'] : []),
      'parameters after each step',
    ],
  };
}

function compareByName(
  tracker: ErrorTracker,
  label: string,
  actual: Readonly<Record<string, HostTensor>>,
  expected: Readonly<Record<string, number[]>>,
): void {
  for (const [name, values] of Object.entries(expected)) {
    const tensor = actual[name];
    if (tensor === undefined) throw new Error(`the trainer reported no tensor named ${name} (${label}).`);
    tracker.compare(`${label} ${name}`, tensor.values, values);
  }
}

function host(values: readonly number[], shape: readonly number[]): HostTensor {
  return { shape: [...shape], values: Float32Array.from(values) };
}
