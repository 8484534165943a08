import { defineTransform } from '../define_transform.js';
import type { GradientTransform } from '../transform.js';

/**
 * Equal weighting: the combined gradient is the plain sum of the task gradients, which is the
 * gradient of the summed loss. It keeps no state and serves as the baseline that every other
 * method is compared with.
 */
export function equalWeighting(): GradientTransform {
  return defineTransform({
    method: 'equal',
    operation: 'equalWeighting',
    options: {},
    requiresLosses: false,
    step: (ops, input) => {
      const one = ops.scalar(1);
      return { taskWeights: input.taskGradients.map((gradients) => gradients.map(() => one)) };
    },
  });
}
