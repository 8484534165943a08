import { inputsFinite, taskGradientNorms, zeroUnlessFinite } from '../combine.js';
import type { TensorOps } from '../tensor_ops.js';
import type {
  GradientTransform,
  TransformInput,
  TransformResult,
  TransformSpec,
  TransformState,
} from '../transform.js';
import { checkStateSignature, specFromGradients, stateSignature, validateSpec } from '../validation.js';

const METHOD = 'single';

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
  const operation = 'targetOnly';
  const options = {};

  function init<T>(ops: TensorOps<T>, spec: TransformSpec): TransformState<T> {
    validateSpec(`${operation}.init`, spec);
    return { method: METHOD, signature: stateSignature(METHOD, options, spec), tensors: {} };
  }

  function update<T>(ops: TensorOps<T>, input: TransformInput<T>, state: TransformState<T>): TransformResult<T> {
    const spec = specFromGradients(`${operation}.update`, ops, input);
    checkStateSignature(`${operation}.update`, state, stateSignature(METHOD, options, spec));

    const one = ops.scalar(1);
    const zero = ops.scalar(0);
    const weights = input.taskGradients.map((gradients, k) => gradients.map(() => (k === 0 ? one : zero)));
    const finite = inputsFinite(ops, input);

    // Passing the target gradient through saves computing 0 * g_k for every auxiliary task.
    return {
      combined: zeroUnlessFinite(ops, finite, input.taskGradients[0]),
      state,
      finite,
      taskNorms: taskGradientNorms(ops, input.taskGradients),
      taskWeights: weights,
    };
  }

  return { method: METHOD, requiresLosses: false, options, init, update };
}
