import { inputsFinite, taskGradientNorms, weightedTaskSum, zeroUnlessFinite } from '../combine.js';
import type { TensorOps } from '../tensor_ops.js';
import type {
  GradientTransform,
  TransformInput,
  TransformResult,
  TransformSpec,
  TransformState,
} from '../transform.js';
import { checkStateSignature, specFromGradients, stateSignature, validateSpec } from '../validation.js';

const METHOD = 'equal';

/**
 * Equal weighting: the combined gradient is the plain sum of the task gradients, which is the
 * gradient of the summed loss. It keeps no state and serves as the baseline that every other
 * method is compared with.
 */
export function equalWeighting(): GradientTransform {
  const operation = 'equalWeighting';
  const options = {};

  function init<T>(ops: TensorOps<T>, spec: TransformSpec): TransformState<T> {
    validateSpec(`${operation}.init`, spec);
    return { method: METHOD, signature: stateSignature(METHOD, options, spec), tensors: {} };
  }

  function update<T>(ops: TensorOps<T>, input: TransformInput<T>, state: TransformState<T>): TransformResult<T> {
    const spec = specFromGradients(`${operation}.update`, ops, input);
    checkStateSignature(`${operation}.update`, state, stateSignature(METHOD, options, spec));

    const one = ops.scalar(1);
    const weights = input.taskGradients.map((gradients) => gradients.map(() => one));
    const finite = inputsFinite(ops, input);
    return {
      combined: zeroUnlessFinite(ops, finite, weightedTaskSum(ops, input.taskGradients, weights)),
      state,
      finite,
      taskNorms: taskGradientNorms(ops, input.taskGradients),
      taskWeights: weights,
    };
  }

  return { method: METHOD, requiresLosses: false, options, init, update };
}
