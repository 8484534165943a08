import type { TensorOps } from './tensor_ops.js';

/**
 * Model description a transform builds its state from. It gives the number of tasks (task 0 is
 * the target) and the shapes of the shared tensors, in the order gradients reach `update`.
 */
export interface TransformSpec {
  readonly tasks: number;
  readonly sharedShapes: readonly (readonly number[])[];
}

/**
 * State of a transform between steps. Every value that changes from step to step is a tensor
 * in `tensors`, keyed by a stable name, so that a graph backend can make each one a graph input
 * and output and a checkpoint can store them by name.
 */
export interface TransformState<T> {
  /** Name of the transform that built the state, for example `metabalance`. */
  readonly method: string;
  /** Options, task count and shapes the state was built for; `update` rejects any other. */
  readonly signature: string;
  /** State tensors by name. */
  readonly tensors: Readonly<Record<string, T>>;
}

/** Inputs of one balancing step. */
export interface TransformInput<T> {
  /**
   * Gradients of each task's loss with respect to each shared tensor, indexed
   * `[task][tensor]`. Task 0 is the target task.
   */
  readonly taskGradients: readonly (readonly T[])[];
  /** Rank-0 loss of each task, for transforms whose `requiresLosses` is true. */
  readonly losses?: readonly T[];
}

/** Outputs of one balancing step. */
export interface TransformResult<T> {
  /** Combined gradient for each shared tensor, to hand to the optimizer. */
  readonly combined: T[];
  /** State for the next step. */
  readonly state: TransformState<T>;
  /**
   * Rank-0 mask: 1 when every input gradient (and loss, where given) was finite. When it is 0
   * the returned state equals the input state and `combined` is all zeros, so a trainer can
   * skip the step without the NaN or infinity reaching parameters or state.
   */
  readonly finite: T;
  /** L2 norm of each input gradient, indexed `[task][tensor]`, for logging. */
  readonly taskNorms: T[][];
  /** Factor each task gradient was multiplied by, indexed `[task][tensor]`, for logging. */
  readonly taskWeights: T[][];
}

/**
 * A gradient-balancing method as a pure transform, in the style of optax: `init` builds the
 * state and `update` maps task gradients and state to combined gradients and the next state.
 * Neither keeps anything between calls, and both use only `ops`, so the same code runs eagerly
 * or is traced into a graph.
 */
export interface GradientTransform {
  /** Short method name, as used by `--method` in the bench. */
  readonly method: string;
  /** True when `update` reads `TransformInput.losses`. */
  readonly requiresLosses: boolean;
  /** Options after defaults were applied, as plain JSON. */
  readonly options: Readonly<Record<string, number | string | boolean>>;
  /** Builds the initial state for a model with the given tasks and shared shapes. */
  init<T>(ops: TensorOps<T>, spec: TransformSpec): TransformState<T>;
  /**
   * Combines one step's task gradients; validates shapes and the state's signature first. The
   * returned state has the same tensor names and shapes as the input state, so a graph backend
   * can declare each state tensor once as a graph input and output.
   */
  update<T>(ops: TensorOps<T>, input: TransformInput<T>, state: TransformState<T>): TransformResult<T>;
}
