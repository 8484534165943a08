import { inputsFinite, taskGradientNorms, weightedTaskSum, zeroUnlessFinite } from './combine.js';
import type { TensorOps } from './tensor_ops.js';
import type {
  GradientTransform,
  TransformInput,
  TransformResult,
  TransformSpec,
  TransformState,
} from './transform.js';
import { checkStateSignature, specFromGradients, stateSignature, validateLosses, validateSpec } from './validation.js';

/** Output of one method step; `defineTransform` adds the rest of `TransformResult`. */
export interface TransformStep<T> {
  /** Factor applied to each task gradient, indexed `[task][tensor]`, rank 0 each. */
  readonly taskWeights: T[][];
  /** Combined gradients, when they are not the weighted sum of task gradients by `taskWeights`. */
  readonly combined?: T[];
  /** Next value of every state tensor that changes; tensors left out keep their value. */
  readonly nextState?: Readonly<Record<string, T>>;
  /** Further tensors that must be finite for the step to be kept, for example `combined`. */
  readonly alsoCheck?: readonly T[];
  /** Task gradient norms, when the step computed them already. */
  readonly taskNorms?: T[][];
}

/** The parts that make one balancing method. */
export interface TransformDefinition {
  readonly method: string;
  /** Name used in error messages, usually the factory's name. */
  readonly operation: string;
  /** Options after defaults were applied; they enter the state signature. */
  readonly options: Readonly<Record<string, number | string | boolean>>;
  readonly requiresLosses: boolean;
  /** Extra checks of the spec, beyond task count and shapes. */
  checkSpec?(operation: string, spec: TransformSpec): void;
  /** Initial state tensors by name; none when omitted. */
  initialState?<T>(ops: TensorOps<T>, spec: TransformSpec): Record<string, T>;
  /** Computes one step from validated inputs and the current state tensors. */
  step<T>(ops: TensorOps<T>, input: TransformInput<T>, state: Readonly<Record<string, T>>, spec: TransformSpec): TransformStep<T>;
}

/**
 * Builds a `GradientTransform` from a method's step and adds what every method shares. It
 * validates the spec, gradients, losses and state signature. It checks that inputs, task
 * weights, next state and `alsoCheck` are finite, and when they are not it returns zero combined
 * gradients and the unchanged state. It also returns the task gradient norms for logging.
 */
export function defineTransform(definition: TransformDefinition): GradientTransform {
  const { method, operation, options, requiresLosses } = definition;

  function init<T>(ops: TensorOps<T>, spec: TransformSpec): TransformState<T> {
    validateSpec(`${operation}.init`, spec);
    definition.checkSpec?.(`${operation}.init`, spec);
    const tensors = definition.initialState?.(ops, spec) ?? {};
    return { method, signature: stateSignature(method, options, spec), tensors };
  }

  function update<T>(ops: TensorOps<T>, input: TransformInput<T>, state: TransformState<T>): TransformResult<T> {
    const spec = specFromGradients(`${operation}.update`, ops, input);
    if (requiresLosses) validateLosses(`${operation}.update`, ops, input);
    checkStateSignature(`${operation}.update`, state, stateSignature(method, options, spec));
    definition.checkSpec?.(`${operation}.update`, spec);

    const step = definition.step(ops, input, state.tensors, spec);
    const nextState = step.nextState ?? {};
    const finite = inputsFinite(ops, input, [
      ...step.taskWeights.flat(),
      ...Object.values(nextState),
      ...(step.alsoCheck ?? []),
    ]);
    const combined = step.combined ?? weightedTaskSum(ops, input.taskGradients, step.taskWeights);

    // Tensors the step did not change are passed through, so they need no `where`.
    const tensors: Record<string, T> = { ...state.tensors };
    for (const [key, next] of Object.entries(nextState)) tensors[key] = ops.where(finite, next, state.tensors[key]);

    return {
      combined: zeroUnlessFinite(ops, finite, combined),
      state: { method, signature: state.signature, tensors },
      finite,
      taskNorms: step.taskNorms ?? taskGradientNorms(ops, input.taskGradients),
      taskWeights: step.taskWeights,
    };
  }

  return { method, requiresLosses, options, init, update };
}
