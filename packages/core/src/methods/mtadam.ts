import { taskGradientNorms } from '../combine.js';
import { defineTransform, type TransformStep } from '../define_transform.js';
import type { TensorOps } from '../tensor_ops.js';
import type { GradientTransform, TransformInput, TransformSpec } from '../transform.js';
import { checkNumber, checkOptionNames, checkPositive } from './option_checks.js';
import { divideWherePositive, maxAll, nextBiasCorrection, sumAll } from './tensor_math.js';

export interface MtAdamOptions {
  /** First-moment coefficient in [0, 1). Default 0.9. */
  readonly beta1?: number;
  /** Second-moment coefficient in [0, 1). Default 0.999. */
  readonly beta2?: number;
  /** Coefficient in [0, 1) of the moving average of gradient norms. Default 0.9. */
  readonly beta3?: number;
  /** Term added to the denominator, greater than 0. Default 1e-8. */
  readonly epsilon?: number;
}

const METHOD = 'mtadam';
const OPTION_NAMES = ['beta1', 'beta2', 'beta3', 'epsilon'];
/** Norms at or below this count as zero, the threshold of the authors' PyTorch code. */
const NORM_FLOOR = 1e-10;

/**
 * MTAdam (Malkiel and Wolf, "MTAdam: Automatic Balancing of Multiple Training Loss Terms",
 * EMNLP 2021; arXiv 2006.14683).
 *
 * For each shared tensor P and task k, MTAdam keeps a moving average of gradient norms
 * `n_k(P) <- beta3 * n_k(P) + (1 - beta3) * ||g_k(P)||` (the first step takes the norm itself)
 * and rescales the gradient to the anchor's magnitude, `h_k = g_k * n_0 / n_k`. The anchor is
 * task 0, or the first task whose average exceeds 1e-10 when task 0's does not, and a task with
 * a zero average is not rescaled. Each task then has its own Adam moments,
 * `m_k <- beta1 * m_k + (1 - beta1) * h_k` and `v_k <- beta2 * v_k + (1 - beta2) * h_k^2`, and
 * the step direction is `sum_k m_hat_k / max_k(sqrt(v_hat_k) + epsilon)` with the usual bias
 * corrections. The elementwise maximum over tasks makes the step small wherever any task has
 * a large second moment.
 *
 * MTAdam is an optimizer. As a transform it returns that direction as the combined gradient,
 * which is the step MTAdam would subtract with learning rate 1, and the trainer's Adam still
 * runs on it. The outer Adam rescales the direction again elementwise, so its learning rate
 * sets the step size in place of MTAdam's. The authors' code also accepts per-term weights
 * ("ranks"), but here every task has weight 1.
 *
 * `taskWeights` reports the magnitude factors `n_0 / n_k`.
 */
export function mtAdam(options: MtAdamOptions = {}): GradientTransform {
  const operation = 'mtAdam';
  checkOptionNames(operation, options, OPTION_NAMES);
  const beta1 = checkNumber(operation, 'options.beta1', options.beta1 ?? 0.9, 0, 1, false);
  const beta2 = checkNumber(operation, 'options.beta2', options.beta2 ?? 0.999, 0, 1, false);
  const beta3 = checkNumber(operation, 'options.beta3', options.beta3 ?? 0.9, 0, 1, false);
  const epsilon = checkPositive(operation, 'options.epsilon', options.epsilon ?? 1e-8);
  const resolved = { beta1, beta2, beta3, epsilon };

  function initialState<T>(ops: TensorOps<T>, spec: TransformSpec): Record<string, T> {
    const tensors: Record<string, T> = {
      started: ops.scalar(0),
      firstCorrection: ops.scalar(0),
      secondCorrection: ops.scalar(0),
    };
    for (let k = 0; k < spec.tasks; k++) {
      for (let j = 0; j < spec.sharedShapes.length; j++) {
        tensors[`normAverage/${k}/${j}`] = ops.scalar(0);
        tensors[`firstMoment/${k}/${j}`] = ops.zeros(spec.sharedShapes[j]);
        tensors[`secondMoment/${k}/${j}`] = ops.zeros(spec.sharedShapes[j]);
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
    const gradients = input.taskGradients;
    const s = state;
    const tasks = spec.tasks;
    const zero = ops.scalar(0);
    const one = ops.scalar(1);
    const floor = ops.scalar(NORM_FLOOR);

    const taskNorms = taskGradientNorms(ops, gradients);
    const next: Record<string, T> = {
      started: one,
      firstCorrection: nextBiasCorrection(ops, s.firstCorrection, beta1),
      secondCorrection: nextBiasCorrection(ops, s.secondCorrection, beta2),
    };
    const firstCorrection = next.firstCorrection;
    const secondCorrectionRoot = ops.sqrt(next.secondCorrection);

    const taskWeights: T[][] = Array.from({ length: tasks }, () => []);
    const combined = gradients[0].map((_, j) => {
      const averages = gradients.map((_, k) => {
        const blended = ops.add(
          ops.mul(ops.scalar(beta3), s[`normAverage/${k}/${j}`]),
          ops.mul(ops.scalar(1 - beta3), taskNorms[k][j]),
        );
        const average = ops.where(s.started, blended, taskNorms[k][j]);
        next[`normAverage/${k}/${j}`] = average;
        return average;
      });

      // The anchor is the first task, in index order, whose average exceeds NORM_FLOOR.
      let anchor = zero;
      for (let k = tasks - 1; k >= 0; k--) anchor = ops.where(ops.greater(averages[k], floor), averages[k], anchor);

      const steps: T[] = [];
      const denominators: T[] = [];
      gradients.forEach((taskGradients, k) => {
        const significant = ops.greater(averages[k], floor);
        const factor = ops.where(significant, divideWherePositive(ops, anchor, averages[k], one), one);
        taskWeights[k].push(factor);
        const rescaled = ops.scale(taskGradients[j], factor);

        const first = ops.add(
          ops.mul(ops.scalar(beta1), s[`firstMoment/${k}/${j}`]),
          ops.mul(ops.scalar(1 - beta1), rescaled),
        );
        const second = ops.add(
          ops.mul(ops.scalar(beta2), s[`secondMoment/${k}/${j}`]),
          ops.mul(ops.scalar(1 - beta2), ops.mul(rescaled, rescaled)),
        );
        next[`firstMoment/${k}/${j}`] = first;
        next[`secondMoment/${k}/${j}`] = second;
        steps.push(ops.div(first, firstCorrection));
        denominators.push(ops.add(ops.div(ops.sqrt(second), secondCorrectionRoot), ops.scalar(epsilon)));
      });
      return ops.div(sumAll(ops, steps), maxAll(ops, denominators));
    });

    return { taskWeights, combined, nextState: next, alsoCheck: combined, taskNorms };
  }

  return defineTransform({ method: METHOD, operation, options: resolved, requiresLosses: false, initialState, step });
}
