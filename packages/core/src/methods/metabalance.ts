import { taskGradientNorms } from '../combine.js';
import { defineTransform, type TransformStep } from '../define_transform.js';
import { InvalidArgumentError } from '../errors.js';
import type { TensorOps } from '../tensor_ops.js';
import type { GradientTransform, TransformInput, TransformSpec } from '../transform.js';
import { checkRange } from '../validation.js';
import { checkOptionNames } from './option_checks.js';

/**
 * Rescaling strategy of MetaBalance. `both` moves every auxiliary gradient toward the target's
 * magnitude, `reduce` only shrinks those larger than the target's, and `enlarge` only grows
 * those smaller than it.
 */
export type MetaBalanceStrategy = 'both' | 'reduce' | 'enlarge';

export interface MetaBalanceOptions {
  /**
   * Relax factor r in [0, 1]. 0 gives the plain sum of task gradients; 1 scales every auxiliary
   * gradient to the target's moving-average magnitude. Default 0.7.
   */
  readonly relaxFactor?: number;
  /** Moving-average coefficient beta in [0, 1). 0 uses only the current norm. Default 0.9. */
  readonly beta?: number;
  /** Rescaling strategy. Default `both`. */
  readonly strategy?: MetaBalanceStrategy;
}

const METHOD = 'metabalance';
const STRATEGIES: readonly MetaBalanceStrategy[] = ['both', 'reduce', 'enlarge'];

/** Returns the state key of task `task`'s moving-average norm of shared tensor `tensor`. */
export function movingAverageNormKey(task: number, tensor: number): string {
  return `movingAverageNorm/${task}/${tensor}`;
}

/**
 * MetaBalance (He et al., "MetaBalance: Improving Multi-Task Recommendations via Adapting
 * Gradient Magnitudes of Auxiliary Tasks", The Web Conference 2022).
 *
 * For every shared tensor P and task k it keeps a moving average of gradient norms,
 * `m_k(P) <- beta * m_k(P) + (1 - beta) * ||g_k(P)||` starting at 0, and combines
 * `g(P) = sum_k g_k(P) * (r * m_0(P) / m_k(P) + (1 - r))`, task 0 being the target.
 *
 * Where the published formula divides by zero, this implementation deviates on purpose:
 * - a task whose moving average `m_k(P)` is 0 gets weight 1. Because `m_k(P) >= (1 - beta) *
 *   ||g_k(P)||`, its current gradient is then zero too, so it contributes nothing and never NaN;
 * - when the target's moving average `m_0(P)` is 0, every task gets weight 1. The target has then
 *   never produced a gradient for P (for example a tensor only auxiliary tasks use), so P
 *   receives the plain sum instead of auxiliary gradients shrunk by `1 - r`;
 * - a non-finite gradient (or a moving average that overflows) makes `finite` 0, returns zero
 *   combined gradients and leaves the state unchanged.
 */
export function metaBalance(options: MetaBalanceOptions = {}): GradientTransform {
  const operation = 'metaBalance';
  checkOptionNames(operation, options, ['relaxFactor', 'beta', 'strategy']);
  const relaxFactor = options.relaxFactor ?? 0.7;
  const beta = options.beta ?? 0.9;
  const strategy = options.strategy ?? 'both';

  checkRange(operation, 'options.relaxFactor', relaxFactor, 0, 1, true);
  checkRange(operation, 'options.beta', beta, 0, 1, false);
  if (!STRATEGIES.includes(strategy)) {
    throw new InvalidArgumentError(
      operation,
      `options.strategy must be one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(strategy)}.`,
    );
  }
  const resolved = { relaxFactor, beta, strategy };

  function initialState<T>(ops: TensorOps<T>, spec: TransformSpec): Record<string, T> {
    const tensors: Record<string, T> = {};
    for (let k = 0; k < spec.tasks; k++) {
      for (let j = 0; j < spec.sharedShapes.length; j++) {
        tensors[movingAverageNormKey(k, j)] = ops.scalar(0);
      }
    }
    return tensors;
  }

  function step<T>(
    ops: TensorOps<T>,
    input: TransformInput<T>,
    state: Readonly<Record<string, T>>,
    spec: TransformSpec,
  ): TransformStep<T> {
    const tasks = spec.tasks;
    const tensorCount = spec.sharedShapes.length;
    const one = ops.scalar(1);
    const zero = ops.scalar(0);
    const betaTensor = ops.scalar(beta);
    const oneMinusBeta = ops.scalar(1 - beta);
    const relax = ops.scalar(relaxFactor);
    const oneMinusRelax = ops.scalar(1 - relaxFactor);

    const taskNorms = taskGradientNorms(ops, input.taskGradients);

    // Moving averages for this step; `defineTransform` keeps the old ones if the step is skipped.
    const nextState: Record<string, T> = {};
    const averages: T[][] = [];
    for (let k = 0; k < tasks; k++) {
      averages.push([]);
      for (let j = 0; j < tensorCount; j++) {
        const key = movingAverageNormKey(k, j);
        const average = ops.add(ops.mul(betaTensor, state[key]), ops.mul(oneMinusBeta, taskNorms[k][j]));
        averages[k].push(average);
        nextState[key] = average;
      }
    }

    function auxiliaryWeight(target: T, auxiliary: T): T {
      const auxiliaryPositive = ops.greater(auxiliary, zero);
      const safeAuxiliary = ops.where(auxiliaryPositive, auxiliary, one);
      const rescaled = ops.add(ops.div(ops.mul(relax, target), safeAuxiliary), oneMinusRelax);

      // Rescale only where the strategy applies; elsewhere the gradient passes unchanged.
      let applies = ops.mul(auxiliaryPositive, ops.greater(target, zero));
      if (strategy === 'reduce') applies = ops.mul(applies, ops.greater(auxiliary, target));
      if (strategy === 'enlarge') applies = ops.mul(applies, ops.greater(target, auxiliary));
      return ops.where(applies, rescaled, one);
    }

    const taskWeights: T[][] = [];
    for (let k = 0; k < tasks; k++) {
      taskWeights.push([]);
      for (let j = 0; j < tensorCount; j++) {
        taskWeights[k].push(k === 0 ? one : auxiliaryWeight(averages[0][j], averages[k][j]));
      }
    }

    return { taskWeights, nextState, taskNorms };
  }

  return defineTransform({ method: METHOD, operation, options: resolved, requiresLosses: false, initialState, step });
}
