import { defineTransform } from '../define_transform.js';
import type { GradientTransform } from '../transform.js';

/**
 * Creates the single-task baseline as a transform: every shared tensor receives only the target
 * task's gradient (auxiliary weights 0). The trainers still give each task-specific head its own
 * loss's gradient. Auxiliary heads never feed the target's logit, so the target head and the
 * shared network follow exactly the training of the target loss alone, and the auxiliary losses
 * stay visible in the logs.
 *
 * A non-finite gradient of any task makes `finite` 0 and the step is skipped, as with the other
 * methods, so that a NaN cannot reach an auxiliary head either.
 */
export function targetOnly(): GradientTransform {
  return defineTransform({
    method: 'single',
    operation: 'targetOnly',
    options: {},
    requiresLosses: false,
    step: (ops, input) => {
      const one = ops.scalar(1);
      const zero = ops.scalar(0);
      return {
        taskWeights: input.taskGradients.map((gradients, k) => gradients.map(() => (k === 0 ? one : zero))),
        // Passing the target gradient through saves computing 0 * g_k for every auxiliary task.
        combined: input.taskGradients[0].slice(),
      };
    },
  });
}
