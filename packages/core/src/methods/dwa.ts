import { defineTransform, type TransformStep } from '../define_transform.js';
import type { TensorOps } from '../tensor_ops.js';
import type { GradientTransform, TransformInput, TransformSpec } from '../transform.js';
import { checkInteger, checkOptionNames, checkPositive } from './option_checks.js';
import { divideWherePositive, maxAll, perTensorWeights, sumAll } from './tensor_math.js';

export interface DynamicWeightAverageOptions {
  /** Softmax temperature T, greater than 0. Larger values give more even weights. Default 2. */
  readonly temperature?: number;
  /**
   * Number of steps, from 1 to 1e6, averaged into one loss value in place of the epoch of Liu et
   * al. 1 (the default) compares single steps.
   */
  readonly window?: number;
}

const METHOD = 'dwa';
const OPTION_NAMES = ['temperature', 'window'];
const LOGIT_CAP = 1e30;

/**
 * Dynamic weight average (Liu, Johns and Davison, "End-to-End Multi-Task Learning with
 * Attention", CVPR 2019).
 *
 * Each task's weight follows the rate at which its loss falls:
 * `w_k = K * softmax_k(r_k / T)` with `r_k = L_k(t-1) / L_k(t-2)`, so a task whose loss falls
 * slowly gets more weight. The paper averages losses over epochs. Here `L_k(t)` is the
 * average loss of the t-th completed window of `window` steps (one step by default), and the
 * weights are 1 until two windows are complete. The weights change only when a window
 * completes, and a window's own losses first count in the next window's weights.
 *
 * A previous average of 0 gives ratio 1 for that task instead of a division by zero, and r_k / T
 * is capped at 1e30.
 */
export function dynamicWeightAverage(options: DynamicWeightAverageOptions = {}): GradientTransform {
  const operation = 'dynamicWeightAverage';
  checkOptionNames(operation, options, OPTION_NAMES);
  const temperature = checkPositive(operation, 'options.temperature', options.temperature ?? 2);
  const window = checkInteger(operation, 'options.window', options.window ?? 1, 1, 1_000_000);
  const resolved = { temperature, window };

  function initialState<T>(ops: TensorOps<T>, spec: TransformSpec): Record<string, T> {
    const tensors: Record<string, T> = {
      completedWindows: ops.scalar(0),
      stepsInWindow: ops.scalar(0),
    };
    for (let k = 0; k < spec.tasks; k++) {
      tensors[`windowLossSum/${k}`] = ops.scalar(0);
      tensors[`lastAverageLoss/${k}`] = ops.scalar(0);
      tensors[`previousAverageLoss/${k}`] = ops.scalar(0);
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
    const s = state;
    const one = ops.scalar(1);
    const tasks = spec.tasks;

    // Softmax of r_k / T, shifted by the maximum so that exp stays at or below 1. Logits are
    // capped at 1e30 because an infinite one (a previous loss near 0) would give inf - inf = NaN,
    // and a NaN weight would skip every later step with the state frozen.
    const logits: T[] = [];
    for (let k = 0; k < tasks; k++) {
      const ratio = divideWherePositive(ops, s[`lastAverageLoss/${k}`], s[`previousAverageLoss/${k}`], one);
      logits.push(ops.minimum(ops.div(ratio, ops.scalar(temperature)), ops.scalar(LOGIT_CAP)));
    }
    const largest = maxAll(ops, logits);
    const exponentials = logits.map((x) => ops.exp(ops.sub(x, largest)));
    const normalizer = sumAll(ops, exponentials);
    const ready = ops.greater(s.completedWindows, ops.scalar(1.5));
    const weights = exponentials.map((e) =>
      ops.where(ready, ops.div(ops.mul(ops.scalar(tasks), e), normalizer), one),
    );

    // Window bookkeeping: when this step completes a window, shift the averages.
    const stepsInWindow = ops.add(s.stepsInWindow, one);
    const completes = ops.greater(stepsInWindow, ops.scalar(window - 0.5));
    const next: Record<string, T> = {
      stepsInWindow: ops.where(completes, ops.scalar(0), stepsInWindow),
      // Capped at 2 because only "at least two windows" matters, which keeps it exact in float32.
      completedWindows: ops.minimum(ops.add(s.completedWindows, completes), ops.scalar(2)),
    };
    for (let k = 0; k < tasks; k++) {
      const windowSum = ops.add(s[`windowLossSum/${k}`], losses[k]);
      const average = ops.div(windowSum, ops.scalar(window));
      next[`windowLossSum/${k}`] = ops.where(completes, ops.scalar(0), windowSum);
      next[`lastAverageLoss/${k}`] = ops.where(completes, average, s[`lastAverageLoss/${k}`]);
      next[`previousAverageLoss/${k}`] = ops.where(completes, s[`lastAverageLoss/${k}`], s[`previousAverageLoss/${k}`]);
    }

    const taskWeights = perTensorWeights(weights, spec.sharedShapes.length);
    return { taskWeights, nextState: next };
  }

  return defineTransform({ method: METHOD, operation, options: resolved, requiresLosses: true, initialState, step });
}
