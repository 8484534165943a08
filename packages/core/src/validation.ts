import { InvalidArgumentError, formatShape, shapesEqual } from './errors.js';
import type { TensorOps } from './tensor_ops.js';
import type { TransformInput, TransformSpec, TransformState } from './transform.js';

/** Checks that a spec has at least two tasks and well-formed shapes. */
export function validateSpec(operation: string, spec: TransformSpec): void {
  if (!Number.isInteger(spec.tasks) || spec.tasks < 2) {
    throw new InvalidArgumentError(
      operation,
      `spec.tasks must be an integer of at least 2 (one target and one auxiliary task), got ${spec.tasks}.`,
    );
  }
  if (spec.sharedShapes.length === 0) {
    throw new InvalidArgumentError(operation, 'spec.sharedShapes must list at least one shared tensor, got none.');
  }
  spec.sharedShapes.forEach((shape, j) => {
    if (!shape.every((dim) => Number.isInteger(dim) && dim > 0)) {
      throw new InvalidArgumentError(
        operation,
        `spec.sharedShapes[${j}] must contain positive integers, got ${formatShape(shape)}.`,
      );
    }
  });
}

/**
 * Checks the task gradients of one step: at least two tasks, the same number of tensors for
 * every task, and the same shapes across tasks. Returns the spec they describe.
 */
export function specFromGradients<T>(
  operation: string,
  ops: TensorOps<T>,
  input: TransformInput<T>,
): TransformSpec {
  const gradients = input.taskGradients;
  if (gradients.length < 2) {
    throw new InvalidArgumentError(
      operation,
      `taskGradients must hold at least 2 tasks (one target and one auxiliary task), got ${gradients.length}.`,
    );
  }

  gradients.forEach((task, k) => {
    if (!Array.isArray(task)) {
      throw new InvalidArgumentError(operation, `taskGradients[${k}] must be an array of tensors, one per shared tensor.`);
    }
    task.forEach((g, j) => checkTensorArgument(operation, `taskGradients[${k}][${j}]`, g));
  });
  const sharedShapes = gradients[0].map((g) => ops.shape(g));
  for (let k = 1; k < gradients.length; k++) {
    if (gradients[k].length !== sharedShapes.length) {
      throw new InvalidArgumentError(
        operation,
        `taskGradients[${k}] has ${gradients[k].length} tensors but taskGradients[0] has ${sharedShapes.length}.`,
      );
    }
    gradients[k].forEach((g, j) => {
      const shape = ops.shape(g);
      if (!shapesEqual(shape, sharedShapes[j])) {
        throw new InvalidArgumentError(
          operation,
          `taskGradients[${k}][${j}] has shape ${formatShape(shape)} but taskGradients[0][${j}] has shape ${formatShape(sharedShapes[j])}.`,
        );
      }
    });
  }
  return { tasks: gradients.length, sharedShapes };
}

/**
 * Rejects a value that cannot be a backend tensor (a number, an array, null or undefined), which
 * is the usual mistake when plain numbers are passed where tensors are expected.
 */
export function checkTensorArgument(operation: string, name: string, value: unknown): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const description = Array.isArray(value) ? 'an array' : `${typeof value} ${JSON.stringify(value)}`;
    throw new InvalidArgumentError(
      operation,
      `${name} must be a tensor of the backend (create it with the backend, e.g. hostTensor() for referenceOps), got ${description}.`,
    );
  }
}

/** Checks that `losses`, when required, contains one rank-0 tensor per task. */
export function validateLosses<T>(operation: string, ops: TensorOps<T>, input: TransformInput<T>): void {
  const losses = input.losses;
  if (losses === undefined) {
    throw new InvalidArgumentError(operation, 'losses are required by this method but were not given.');
  }
  if (losses.length !== input.taskGradients.length) {
    throw new InvalidArgumentError(
      operation,
      `losses has ${losses.length} entries but taskGradients has ${input.taskGradients.length} tasks.`,
    );
  }
  losses.forEach((loss, k) => {
    checkTensorArgument(operation, `losses[${k}]`, loss);
    const shape = ops.shape(loss);
    if (shape.length !== 0) {
      throw new InvalidArgumentError(operation, `losses[${k}] must be rank 0, got shape ${formatShape(shape)}.`);
    }
  });
}

/**
 * Builds the signature string that ties a state to its method, options, task count and shapes.
 * Options are written in key order so that equal options always give equal signatures.
 */
export function stateSignature(
  method: string,
  options: Readonly<Record<string, number | string | boolean>>,
  spec: TransformSpec,
): string {
  const optionText = Object.keys(options)
    .sort()
    .map((key) => `${key}=${options[key]}`)
    .join(',');
  const shapeText = spec.sharedShapes.map(formatShape).join(' ');
  return `${method}(${optionText}) tasks=${spec.tasks} shapes=${shapeText}`;
}

/** Rejects a state that was built by another method or for another configuration. */
export function checkStateSignature<T>(operation: string, state: TransformState<T>, expected: string): void {
  if (state.signature !== expected) {
    throw new InvalidArgumentError(
      operation,
      `state was built for "${state.signature}" but this call is "${expected}". ` +
        'Build the state with init() of the same transform, task count and shared shapes.',
    );
  }
}

/** Checks that a number lies in a range, naming the option and the value when it does not. */
export function checkRange(
  operation: string,
  name: string,
  value: number,
  min: number,
  max: number,
  maxInclusive: boolean,
): void {
  if (typeof value !== 'number') {
    throw new InvalidArgumentError(operation, `${name} must be a number, got ${typeof value} ${JSON.stringify(value)}.`);
  }
  const inRange = Number.isFinite(value) && value >= min && (maxInclusive ? value <= max : value < max);
  if (!inRange) {
    const interval = `[${min}, ${max}${maxInclusive ? ']' : ')'}`;
    throw new InvalidArgumentError(operation, `${name} must be in ${interval}, got ${value}.`);
  }
}
