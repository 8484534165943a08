/**
 * Inputs shared by the baseline transform tests. The same numbers are in
 * `reference_values.py`, which computes the expected outputs in float64.
 */
import { hostTensor, referenceOps } from '../reference/reference_ops.js';
import type { HostTensor } from '../tensor_ops.js';
import type { GradientTransform, TransformInput, TransformResult, TransformSpec, TransformState } from '../transform.js';

/** Shapes of the two shared tensors of the two-task fixture. */
export const FIXTURE_SHAPES: readonly number[][] = [[3], [2, 2]];

export const FIXTURE_SPEC: TransformSpec = { tasks: 2, sharedShapes: FIXTURE_SHAPES };

/** One step: gradients `[task][tensor][element]` and one loss per task. */
export interface FixtureStep {
  readonly gradients: number[][][];
  readonly losses: number[];
}

/** Two tasks, two shared tensors, three steps. */
export const FIXTURE_STEPS: readonly FixtureStep[] = [
  {
    gradients: [
      [[1.0, -2.0, 0.5], [0.3, 0.1, -0.4, 2.0]],
      [[-0.5, 1.0, 2.0], [1.0, 0.0, 0.5, -1.0]],
    ],
    losses: [0.7, 1.2],
  },
  {
    gradients: [
      [[0.8, -1.0, 0.2], [0.1, 0.3, -0.2, 1.0]],
      [[0.4, 0.6, -1.5], [0.5, -0.25, 0.75, 0.5]],
    ],
    losses: [0.6, 0.9],
  },
  {
    gradients: [
      [[-0.3, 0.5, 1.0], [0.2, -0.6, 0.1, 0.4]],
      [[1.2, -0.7, 0.3], [-0.4, 0.2, 0.9, -0.1]],
    ],
    losses: [0.5, 1.0],
  },
];

/** Three tasks, one shared tensor of shape [3]. */
export const THREE_TASK_GRADIENTS: readonly number[][][] = [[[1.0, 0.0, 0.5]], [[-1.0, 1.0, 0.0]], [[0.2, -0.8, 1.0]]];

/** Builds reference-backend inputs for gradients `[task][tensor][element]` with the given shapes. */
export function hostInput(
  gradients: readonly (readonly (readonly number[])[])[],
  shapes: readonly (readonly number[])[],
  losses?: readonly number[],
): TransformInput<HostTensor> {
  return {
    taskGradients: gradients.map((task) => task.map((values, j) => hostTensor(values, shapes[j]))),
    losses: losses?.map((loss) => hostTensor([loss], [])),
  };
}

/** Values of a host tensor as plain numbers. */
export function valuesOf(x: HostTensor): number[] {
  return Array.from(x.values);
}

/** Runs `transform` over fixture steps with the reference backend, returning every result. */
export function runFixtureSteps(
  transform: GradientTransform,
  steps: readonly FixtureStep[] = FIXTURE_STEPS,
  shapes: readonly (readonly number[])[] = FIXTURE_SHAPES,
): TransformResult<HostTensor>[] {
  let state: TransformState<HostTensor> = transform.init(referenceOps, {
    tasks: steps[0].gradients.length,
    sharedShapes: shapes,
  });
  const results: TransformResult<HostTensor>[] = [];
  for (const step of steps) {
    const result = transform.update(referenceOps, hostInput(step.gradients, shapes, step.losses), state);
    results.push(result);
    state = result.state;
  }
  return results;
}

/** Values of a state tensor by name. */
export function stateValues(result: TransformResult<HostTensor>, name: string): number[] {
  const tensor = result.state.tensors[name];
  if (tensor === undefined) throw new Error(`state has no tensor named ${name}`);
  return valuesOf(tensor);
}
