import type { TensorOps } from './tensor_ops.js';
import type { TransformInput } from './transform.js';

/**
 * Returns a rank-0 mask that is 1 when every task gradient, every extra tensor in `alsoCheck`
 * and every loss (where given) is finite.
 */
export function inputsFinite<T>(ops: TensorOps<T>, input: TransformInput<T>, alsoCheck: readonly T[] = []): T {
  let finite = ops.scalar(1);
  for (const gradients of input.taskGradients) {
    for (const g of gradients) finite = ops.mul(finite, ops.allFinite(g));
  }
  for (const loss of input.losses ?? []) finite = ops.mul(finite, ops.allFinite(loss));
  for (const x of alsoCheck) finite = ops.mul(finite, ops.allFinite(x));
  return finite;
}

/**
 * Sums `weights[k][j] * taskGradients[k][j]` over tasks for each shared tensor `j`. Weights are
 * rank-0 tensors.
 */
export function weightedTaskSum<T>(
  ops: TensorOps<T>,
  taskGradients: readonly (readonly T[])[],
  weights: readonly (readonly T[])[],
): T[] {
  return taskGradients[0].map((_, j) => {
    let total = ops.scale(taskGradients[0][j], weights[0][j]);
    for (let k = 1; k < taskGradients.length; k++) {
      total = ops.add(total, ops.scale(taskGradients[k][j], weights[k][j]));
    }
    return total;
  });
}

/** Replaces every combined gradient by zeros where `finite` is 0, so no NaN reaches the optimizer. */
export function zeroUnlessFinite<T>(ops: TensorOps<T>, finite: T, combined: readonly T[]): T[] {
  return combined.map((g) => ops.where(finite, g, ops.zerosLike(g)));
}

/** L2 norm of each task gradient, indexed `[task][tensor]`. */
export function taskGradientNorms<T>(ops: TensorOps<T>, taskGradients: readonly (readonly T[])[]): T[][] {
  return taskGradients.map((gradients) => gradients.map((g) => ops.norm(g)));
}
