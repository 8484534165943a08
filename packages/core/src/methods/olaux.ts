import { defineTransform, type TransformStep } from '../define_transform.js';
import type { TensorOps } from '../tensor_ops.js';
import type { GradientTransform, TransformInput, TransformSpec } from '../transform.js';
import { checkInteger, checkNumber, checkOptionNames, checkPositive } from './option_checks.js';
import { perTensorWeights, scopedDots } from './tensor_math.js';

export interface OnlineAuxiliaryWeightingOptions {
  /**
   * Step size beta of the weight update, which also absorbs the model's learning rate (see the
   * method's description). Default 0.01.
   */
  readonly learningRate?: number;
  /** Number of steps N, from 1 to 1e6, whose dot products are summed into one weight update. Default 1. */
  readonly horizon?: number;
  /** Starting weight of every auxiliary task, in [-1e6, 1e6]. Default 1. */
  readonly initialWeight?: number;
}

const METHOD = 'olaux';
const OPTION_NAMES = ['learningRate', 'horizon', 'initialWeight'];

/** Name of the state tensor that contains auxiliary task `task`'s weight (task 0 has none). */
export function auxiliaryWeightKey(task: number): string {
  return `weight/${task}`;
}

/**
 * OL-AUX (Lin, Baweja, Kantor and Held, "Adaptive Auxiliary Task Weighting for Reinforcement
 * Learning", NeurIPS 2019).
 *
 * The combined gradient is `g_0 + sum_{k>0} w_k g_k`. The auxiliary weights are trained online
 * to lower the target loss: after N gradient steps on the weighted loss, the gradient of the
 * target loss with respect to w_k is approximately minus the model's learning rate times
 * `sum over the N steps of <g_0, g_k>`. So every N steps the transform applies
 * `w_k <- w_k + learningRate * sum_{N steps} <g_0, g_k>`, with the model's learning rate folded
 * into `learningRate`, and dot products taken over all shared tensors together. The weights
 * are not clipped, so an auxiliary task that keeps conflicting with the target can get a
 * negative weight. Until a horizon completes the weights stay constant.
 */
export function onlineAuxiliaryWeighting(options: OnlineAuxiliaryWeightingOptions = {}): GradientTransform {
  const operation = 'onlineAuxiliaryWeighting';
  checkOptionNames(operation, options, OPTION_NAMES);
  const learningRate = checkPositive(operation, 'options.learningRate', options.learningRate ?? 0.01);
  const horizon = checkInteger(operation, 'options.horizon', options.horizon ?? 1, 1, 1_000_000);
  const initialWeight = checkNumber(operation, 'options.initialWeight', options.initialWeight ?? 1, -1e6, 1e6, true);
  const resolved = { learningRate, horizon, initialWeight };

  function initialState<T>(ops: TensorOps<T>, spec: TransformSpec): Record<string, T> {
    const tensors: Record<string, T> = { stepsInHorizon: ops.scalar(0) };
    for (let k = 1; k < spec.tasks; k++) {
      tensors[auxiliaryWeightKey(k)] = ops.scalar(initialWeight);
      tensors[`dotSum/${k}`] = ops.scalar(0);
    }
    return tensors;
  }

  function step<T>(
    ops: TensorOps<T>,
    input: TransformInput<T>,
    state: Readonly<Record<string, T>>,
    spec: TransformSpec,
  ): TransformStep<T> {
    const gradients = input.taskGradients;
    const s = state;
    const zero = ops.scalar(0);

    const weights = [ops.scalar(1)];
    for (let k = 1; k < spec.tasks; k++) weights.push(s[auxiliaryWeightKey(k)]);

    const stepsInHorizon = ops.add(s.stepsInHorizon, ops.scalar(1));
    const completes = ops.greater(stepsInHorizon, ops.scalar(horizon - 0.5));
    const next: Record<string, T> = { stepsInHorizon: ops.where(completes, zero, stepsInHorizon) };
    for (let k = 1; k < spec.tasks; k++) {
      const dotSum = ops.add(s[`dotSum/${k}`], scopedDots(ops, gradients[0], gradients[k], 'all')[0]);
      const updated = ops.add(weights[k], ops.mul(ops.scalar(learningRate), dotSum));
      next[auxiliaryWeightKey(k)] = ops.where(completes, updated, weights[k]);
      next[`dotSum/${k}`] = ops.where(completes, zero, dotSum);
    }

    const taskWeights = perTensorWeights(weights, spec.sharedShapes.length);
    return { taskWeights, nextState: next };
  }

  return defineTransform({ method: METHOD, operation, options: resolved, requiresLosses: false, initialState, step });
}
