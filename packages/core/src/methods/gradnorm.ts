import { taskGradientNorms } from '../combine.js';
import { defineTransform, type TransformStep } from '../define_transform.js';
import { InvalidArgumentError } from '../errors.js';
import type { TensorOps } from '../tensor_ops.js';
import type { GradientTransform, TransformInput, TransformSpec } from '../transform.js';
import { checkInteger, checkNumber, checkOptionNames, checkPositive } from './option_checks.js';
import { divideWherePositive, perTensorWeights, sign, sumAll } from './tensor_math.js';

export interface GradNormOptions {
  /** Asymmetry alpha in [0, 100]. Larger values pull lagging tasks harder. Default 1.5. */
  readonly alpha?: number;
  /** Learning rate of the plain gradient step on the task weights. Default 0.025. */
  readonly learningRate?: number;
  /**
   * Index of the shared tensor whose gradient norms are equalised, or -1 (the default) for the
   * last shared tensor. Chen et al. use the weights of the last shared layer. In a layout that
   * lists a bias after its weight, that is index `sharedShapes.length - 2`.
   */
  readonly sharedTensor?: number;
}

const METHOD = 'gradnorm';
const OPTION_NAMES = ['alpha', 'learningRate', 'sharedTensor'];

/** Name of the state tensor that contains task `task`'s loss weight w_k. */
export function gradNormWeightKey(task: number): string {
  return `weight/${task}`;
}

/**
 * GradNorm (Chen, Badrinarayanan, Lee and Rabinovich, "GradNorm: Gradient Normalization for
 * Adaptive Loss Balancing in Deep Multitask Networks", ICML 2018).
 *
 * Task weights w_k (starting at 1) scale the task gradients. On one shared tensor W they are
 * trained to equalise the weighted gradient norms `G_k = w_k * ||g_k(W)||` toward
 * `mean(G) * r_k^alpha`, where `r_k = (L_k / L_k(0)) / mean_j(L_j / L_j(0))` is task k's
 * relative inverse training rate. The loss `sum_k |G_k - mean(G) * r_k^alpha|` is minimised
 * with the target held constant, as in the paper, so its gradient with respect to w_k is
 * `sign(G_k - target_k) * ||g_k(W)||`. After a plain gradient step the weights are clipped at 0
 * and renormalised to sum to K. The combined gradient uses the weights from before this step's
 * update.
 *
 * The first step stores its losses as `L_k(0)`. A task whose `L_k(0)` is 0 gets loss ratio 1,
 * and if every weight is clipped to 0 they are all reset to 1.
 */
export function gradNorm(options: GradNormOptions = {}): GradientTransform {
  const operation = 'gradNorm';
  checkOptionNames(operation, options, OPTION_NAMES);
  const alpha = checkNumber(operation, 'options.alpha', options.alpha ?? 1.5, 0, 100, true);
  const learningRate = checkPositive(operation, 'options.learningRate', options.learningRate ?? 0.025);
  const sharedTensor = checkInteger(operation, 'options.sharedTensor', options.sharedTensor ?? -1, -1, 1_000_000);
  const resolved = { alpha, learningRate, sharedTensor };

  function balancedTensor(operationName: string, spec: TransformSpec): number {
    const count = spec.sharedShapes.length;
    if (sharedTensor >= count) {
      throw new InvalidArgumentError(
        operationName,
        `options.sharedTensor is ${sharedTensor} but there are only ${count} shared tensors; use -1 for the last one.`,
      );
    }
    return sharedTensor === -1 ? count - 1 : sharedTensor;
  }

  function initialState<T>(ops: TensorOps<T>, spec: TransformSpec): Record<string, T> {
    const tensors: Record<string, T> = { started: ops.scalar(0) };
    for (let k = 0; k < spec.tasks; k++) {
      tensors[gradNormWeightKey(k)] = ops.scalar(1);
      tensors[`initialLoss/${k}`] = ops.scalar(0);
    }
    return tensors;
  }

  function step<T>(
    ops: TensorOps<T>,
    input: TransformInput<T>,
    state: Readonly<Record<string, T>>,
    spec: TransformSpec,
  ): TransformStep<T> {
    const j = balancedTensor(`${operation}.update`, spec);
    const losses = input.losses as readonly T[];
    const s = state;
    const tasks = spec.tasks;
    const zero = ops.scalar(0);
    const one = ops.scalar(1);
    const taskCount = ops.scalar(tasks);

    const taskNorms = taskGradientNorms(ops, input.taskGradients);
    const weights = Array.from({ length: tasks }, (_, k) => s[gradNormWeightKey(k)]);
    const isFirstStep = ops.sub(one, s.started);
    const initialLosses = losses.map((loss, k) => ops.where(isFirstStep, loss, s[`initialLoss/${k}`]));

    const weightedNorms = weights.map((w, k) => ops.mul(w, taskNorms[k][j]));
    const meanWeightedNorm = ops.div(sumAll(ops, weightedNorms), taskCount);
    const lossRatios = losses.map((loss, k) => divideWherePositive(ops, loss, initialLosses[k], one));
    const meanLossRatio = ops.div(sumAll(ops, lossRatios), taskCount);

    const nextWeights = weights.map((w, k) => {
      const inverseRate = divideWherePositive(ops, lossRatios[k], meanLossRatio, one);
      // r^alpha as exp(alpha * log r). `where` handles r = 0, where r^alpha is 0 (1 when alpha is 0).
      const positive = ops.greater(inverseRate, zero);
      const powered = ops.where(
        positive,
        ops.exp(ops.mul(ops.scalar(alpha), ops.log(ops.where(positive, inverseRate, one)))),
        alpha === 0 ? one : zero,
      );
      const target = ops.mul(meanWeightedNorm, powered);
      const gradient = ops.mul(sign(ops, ops.sub(weightedNorms[k], target)), taskNorms[k][j]);
      return ops.maximum(ops.sub(w, ops.mul(ops.scalar(learningRate), gradient)), zero);
    });
    const weightSum = sumAll(ops, nextWeights);
    const next: Record<string, T> = { started: one };
    nextWeights.forEach((w, k) => {
      next[gradNormWeightKey(k)] = divideWherePositive(ops, ops.mul(taskCount, w), weightSum, one);
      next[`initialLoss/${k}`] = initialLosses[k];
    });

    const taskWeights = perTensorWeights(weights, spec.sharedShapes.length);
    return { taskWeights, nextState: next, taskNorms };
  }

  return defineTransform({ method: METHOD, operation, options: resolved, requiresLosses: true, initialState, step, checkSpec: (name, spec) => void balancedTensor(name, spec) });
}
