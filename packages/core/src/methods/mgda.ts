import { defineTransform, type TransformStep } from '../define_transform.js';
import type { TensorOps } from '../tensor_ops.js';
import type { GradientTransform, TransformInput, TransformSpec } from '../transform.js';
import { checkChoice, checkInteger, checkOptionNames } from './option_checks.js';
import { GRADIENT_SCOPES, type GradientScope, divideWherePositive, firstArgminOneHot, sumAll } from './tensor_math.js';

export interface MgdaOptions {
  /** Number of Frank-Wolfe iterations, a fixed count so the loop unrolls into a graph. Default 20. */
  readonly iterations?: number;
  /**
   * `all` (the default) solves one problem on the concatenated shared gradients; `tensor`
   * solves one per shared tensor, giving each its own task weights.
   */
  readonly scope?: GradientScope;
}

const METHOD = 'mgda';
const OPTION_NAMES = ['iterations', 'scope'];

/**
 * Solves `min ||sum_k alpha_k g_k||^2` over the probability simplex by Frank-Wolfe on the Gram
 * matrix `gram[a][b] = <g_a, g_b>`, starting from uniform weights. Each iteration moves toward
 * the vertex e_t with the smallest `(gram * alpha)_t`, with the closed-form step
 * `gamma = clip((a - b) / (a - 2b + c), 0, 1)` for `a = alpha' gram alpha`,
 * `b = (gram * alpha)_t` and `c = gram[t][t]`. A zero denominator means the vertex is the
 * current point, so the step is 0.
 */
export function minNormWeights<T>(ops: TensorOps<T>, gram: readonly (readonly T[])[], iterations: number): T[] {
  const tasks = gram.length;
  const zero = ops.scalar(0);
  const one = ops.scalar(1);
  let alpha: T[] = Array.from({ length: tasks }, () => ops.scalar(1 / tasks));

  for (let iteration = 0; iteration < iterations; iteration++) {
    const gramAlpha = gram.map((row) => sumAll(ops, row.map((entry, b) => ops.mul(entry, alpha[b]))));
    const vertex = firstArgminOneHot(ops, gramAlpha);
    const a = sumAll(ops, gramAlpha.map((value, t) => ops.mul(alpha[t], value)));
    const b = sumAll(ops, gramAlpha.map((value, t) => ops.mul(vertex[t], value)));
    const c = sumAll(ops, gram.map((row, t) => ops.mul(vertex[t], row[t])));
    const denominator = ops.add(ops.sub(a, ops.mul(ops.scalar(2), b)), c);
    const gamma = ops.minimum(ops.maximum(divideWherePositive(ops, ops.sub(a, b), denominator, zero), zero), one);
    const keep = ops.sub(one, gamma);
    alpha = alpha.map((value, t) => ops.add(ops.mul(keep, value), ops.mul(gamma, vertex[t])));
  }
  return alpha;
}

/**
 * MGDA-UB (Sener and Koltun, "Multi-Task Learning as Multi-Objective Optimization", NeurIPS
 * 2018).
 *
 * The combined gradient is the minimum-norm point of the convex hull of the task gradients,
 * `sum_k alpha_k g_k` with `alpha` on the simplex, found by `minNormWeights`. The weights sum
 * to 1, so the combined gradient is at most as long as the longest task gradient. The paper's
 * upper-bound variant (UB) uses gradients with respect to the shared representation to save
 * backward passes. A transform only receives parameter gradients, so this is MGDA on the
 * parameter gradients of the shared tensors, with no normalisation of the task gradients. All
 * tasks are treated alike, with no preference for the target.
 */
export function mgda(options: MgdaOptions = {}): GradientTransform {
  const operation = 'mgda';
  checkOptionNames(operation, options, OPTION_NAMES);
  const iterations = checkInteger(operation, 'options.iterations', options.iterations ?? 20, 1, 1000);
  const scope = checkChoice(operation, 'options.scope', options.scope ?? 'all', GRADIENT_SCOPES);
  const resolved = { iterations, scope };

  function step<T>(ops: TensorOps<T>, input: TransformInput<T>, _state: unknown, spec: TransformSpec): TransformStep<T> {
    const gradients = input.taskGradients;
    const tasks = spec.tasks;
    const tensorCount = spec.sharedShapes.length;

    const perTensorGram = (j: number): T[][] =>
      gradients.map((a) => gradients.map((b) => ops.dot(a[j], b[j])));
    let weightsByTensor: T[][];
    if (scope === 'all') {
      const grams = Array.from({ length: tensorCount }, (_, j) => perTensorGram(j));
      const gram = grams[0].map((row, a) => row.map((_, b) => sumAll(ops, grams.map((g) => g[a][b]))));
      const alpha = minNormWeights(ops, gram, iterations);
      weightsByTensor = Array.from({ length: tensorCount }, () => alpha);
    } else {
      weightsByTensor = Array.from({ length: tensorCount }, (_, j) =>
        minNormWeights(ops, perTensorGram(j), iterations),
      );
    }
    const taskWeights = Array.from({ length: tasks }, (_, k) => weightsByTensor.map((alpha) => alpha[k]));

    return { taskWeights };
  }

  return defineTransform({ method: METHOD, operation, options: resolved, requiresLosses: false, step });
}
