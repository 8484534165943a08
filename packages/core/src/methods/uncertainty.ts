import { defineTransform, type TransformStep } from '../define_transform.js';
import type { TensorOps } from '../tensor_ops.js';
import type { GradientTransform, TransformInput, TransformSpec } from '../transform.js';
import { checkChoice, checkNumber, checkOptionNames, checkPositive } from './option_checks.js';
import { nextBiasCorrection, perTensorWeights } from './tensor_math.js';

/** Optimizer that trains the log-variances inside the transform. */
export type LogVarianceOptimizer = 'adam' | 'sgd';

export interface UncertaintyWeightingOptions {
  /** Learning rate of the log-variance optimizer. Default 1e-3. */
  readonly learningRate?: number;
  /** `adam` (default) or plain `sgd` for the log-variances. */
  readonly optimizer?: LogVarianceOptimizer;
  /** Initial log-variance s_k of every task, in [-20, 20]. 0 gives weight 1. Default 0. */
  readonly initialLogVariance?: number;
  /** Adam first-moment coefficient in [0, 1). Default 0.9. */
  readonly beta1?: number;
  /** Adam second-moment coefficient in [0, 1). Default 0.999. */
  readonly beta2?: number;
  /** Adam denominator term, greater than 0. Default 1e-8. */
  readonly epsilon?: number;
}

const METHOD = 'uncertainty';
const OPTION_NAMES = ['learningRate', 'optimizer', 'initialLogVariance', 'beta1', 'beta2', 'epsilon'];
const OPTIMIZERS: readonly LogVarianceOptimizer[] = ['adam', 'sgd'];

/** Name of the state tensor that contains task `task`'s log-variance s_k. */
export function logVarianceKey(task: number): string {
  return `logVariance/${task}`;
}

/**
 * Uncertainty weighting (Kendall, Gal and Cipolla, "Multi-Task Learning Using Uncertainty to
 * Weigh Losses for Scene Geometry and Semantics", CVPR 2018).
 *
 * Each task k has a learnable log-variance s_k and the total loss is
 * `sum_k exp(-s_k) * L_k + s_k`. The gradient for shared tensors is therefore
 * `sum_k exp(-s_k) * g_k`, and the gradient with respect to s_k is `1 - exp(-s_k) * L_k`,
 * which the transform applies with its own optimizer (Adam or SGD) inside `update`. The
 * combined gradient uses s_k from before this step's update, as a joint gradient step on
 * parameters and log-variances does.
 *
 * The paper's derivations for regression and classification losses carry factors of 1/2 on
 * some terms. This form drops them, which rescales the learned s_k but keeps the weighting.
 * Task-specific tensors never pass through the transform, so their weighting is the trainer's
 * choice.
 */
export function uncertaintyWeighting(options: UncertaintyWeightingOptions = {}): GradientTransform {
  const operation = 'uncertaintyWeighting';
  checkOptionNames(operation, options, OPTION_NAMES);
  const learningRate = checkPositive(operation, 'options.learningRate', options.learningRate ?? 1e-3);
  const optimizer = checkChoice(operation, 'options.optimizer', options.optimizer ?? 'adam', OPTIMIZERS);
  const initialLogVariance = checkNumber(
    operation,
    'options.initialLogVariance',
    options.initialLogVariance ?? 0,
    -20,
    20,
    true,
  );
  const beta1 = checkNumber(operation, 'options.beta1', options.beta1 ?? 0.9, 0, 1, false);
  const beta2 = checkNumber(operation, 'options.beta2', options.beta2 ?? 0.999, 0, 1, false);
  const epsilon = checkPositive(operation, 'options.epsilon', options.epsilon ?? 1e-8);
  const resolved = { learningRate, optimizer, initialLogVariance, beta1, beta2, epsilon };

  function initialState<T>(ops: TensorOps<T>, spec: TransformSpec): Record<string, T> {
    const tensors: Record<string, T> = {};
    for (let k = 0; k < spec.tasks; k++) {
      tensors[logVarianceKey(k)] = ops.scalar(initialLogVariance);
      if (optimizer === 'adam') {
        tensors[`firstMoment/${k}`] = ops.scalar(0);
        tensors[`secondMoment/${k}`] = ops.scalar(0);
      }
    }
    if (optimizer === 'adam') {
      tensors.firstCorrection = ops.scalar(0);
      tensors.secondCorrection = ops.scalar(0);
    }
    return tensors;
  }

  function step<T>(
    ops: TensorOps<T>,
    input: TransformInput<T>,
    state: Readonly<Record<string, T>>,
    spec: TransformSpec,
  ): TransformStep<T> {
    const losses = input.losses as readonly T[];
    const one = ops.scalar(1);
    const rate = ops.scalar(learningRate);

    const weights: T[] = [];
    const next: Record<string, T> = {};
    if (optimizer === 'adam') {
      next.firstCorrection = nextBiasCorrection(ops, state.firstCorrection, beta1);
      next.secondCorrection = nextBiasCorrection(ops, state.secondCorrection, beta2);
    }
    for (let k = 0; k < spec.tasks; k++) {
      const logVariance = state[logVarianceKey(k)];
      const weight = ops.exp(ops.neg(logVariance));
      weights.push(weight);

      // d/ds_k of exp(-s_k) * L_k + s_k.
      const gradient = ops.sub(one, ops.mul(weight, losses[k]));
      let step = ops.mul(rate, gradient);
      if (optimizer === 'adam') {
        const first = ops.add(
          ops.mul(ops.scalar(beta1), state[`firstMoment/${k}`]),
          ops.mul(ops.scalar(1 - beta1), gradient),
        );
        const second = ops.add(
          ops.mul(ops.scalar(beta2), state[`secondMoment/${k}`]),
          ops.mul(ops.scalar(1 - beta2), ops.mul(gradient, gradient)),
        );
        next[`firstMoment/${k}`] = first;
        next[`secondMoment/${k}`] = second;
        const firstCorrected = ops.div(first, next.firstCorrection);
        const secondCorrected = ops.div(second, next.secondCorrection);
        step = ops.mul(rate, ops.div(firstCorrected, ops.add(ops.sqrt(secondCorrected), ops.scalar(epsilon))));
      }
      next[logVarianceKey(k)] = ops.sub(logVariance, step);
    }

    const taskWeights = perTensorWeights(weights, spec.sharedShapes.length);
    return { taskWeights, nextState: next };
  }

  return defineTransform({ method: METHOD, operation, options: resolved, requiresLosses: true, initialState, step });
}
