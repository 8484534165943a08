import { InvalidArgumentError, formatShape } from '@mb/core';
import type { GradientTransform, HostTensor, TransformState } from '@mb/core';
import type { ParameterSpec } from '@mb/recsys';

import { adamStepFactors, adamUpdate } from './adam.js';
import type { ResolvedAdamOptions } from './adam.js';
import { gradients, taskGradients as perTaskGradients } from './autodiff.js';
import { GraphBuilder, attr } from './graph.js';
import type { DataType, GraphTensor } from './graph.js';
import { GraphOps } from './graph_ops.js';

/** A batch input of a model: its name, shape for a given batch size, and element type. */
export interface BatchInputSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DataType;
}

/**
 * A model the trainer can train: its parameters, split into tensors shared by every task and
 * task-specific ones, and a function that records the forward pass and the per-task losses.
 */
export interface ModelDefinition {
  /** Number of tasks. Task 0 is the target. */
  readonly tasks: number;
  readonly shared: readonly ParameterSpec[];
  readonly taskSpecific: readonly ParameterSpec[];
  /** Batch inputs for a batch of `batchSize` examples. */
  batchInputs(batchSize: number): BatchInputSpec[];
  /**
   * Records the forward pass into `graph` and returns each task's rank-0 loss. Parameters and
   * batch inputs are graph tensors keyed by name.
   */
  losses(graph: GraphBuilder, parameters: Readonly<Record<string, GraphTensor>>, batch: Readonly<Record<string, GraphTensor>>): GraphTensor[];
}

/** Graph input and output names of the training step. */
export const stepNames = {
  parameter: (name: string) => `param/${name}`,
  firstMoment: (name: string) => `adam_m/${name}`,
  secondMoment: (name: string) => `adam_v/${name}`,
  transformState: (key: string) => `transform/${key}`,
  /** Output name of the next value of the state input `input`. */
  next: (input: string) => `next/${input}`,
  gradient: (name: string) => `grad/${name}`,
  /** Input holding `adamBiasCorrectedFactors` of the step being taken. */
  step: 'adam_factors',
  losses: 'losses',
  taskNorms: 'task_norms',
  taskWeights: 'task_weights',
  finite: 'finite',
} as const;

/** Options of `buildTrainingGraph`. */
export interface TrainingGraphOptions {
  readonly model: ModelDefinition;
  /**
   * Balancing method for the shared parameters, or `null` for one backward pass of the summed
   * loss (the plain multi-task baseline with no per-task gradients).
   */
  readonly transform: GradientTransform | null;
  /** Initial transform state on the host. Its tensor names and shapes become graph inputs. */
  readonly transformState: TransformState<HostTensor> | null;
  readonly adam: ResolvedAdamOptions;
  readonly batchSize: number;
  /** Also output the gradient handed to Adam for every parameter (for tests). Default false. */
  readonly outputGradients?: boolean;
  /**
   * Run the per-task backward passes as one pass with a leading task axis (`taskGradients`)
   * instead of one `gradients` call per task. Same values, fewer and larger operations.
   * Default true.
   */
  readonly batchedBackward?: boolean;
}

/** A built training-step graph and the names of its state inputs, each paired with an output. */
export interface TrainingGraph {
  readonly graph: GraphBuilder;
  /** State input names; `stepNames.next(name)` is the matching output. */
  readonly stateInputs: readonly string[];
  readonly batchInputs: readonly BatchInputSpec[];
}

/**
 * Records one whole training step as a graph: the forward pass, one backward pass per task for
 * the shared parameters (or one of the summed loss when `transform` is null), the traced
 * transform's `update`, and Adam for every parameter.
 *
 * Inputs: parameters, both Adam moments, the transform state, `adam_step` (rank-0 float, the
 * 1-based count of applied updates including this one) and the batch. Outputs: the next value
 * of every state input, `losses` [tasks], `task_norms` and `task_weights` [tasks * shared]
 * (empty without a transform), and `finite` (rank-0, 1 when the update was applied).
 *
 * When any task gradient, head gradient or loss is NaN or infinite, `finite` is 0 and the
 * parameters, moments and transform state come out unchanged.
 */
export function buildTrainingGraph(options: TrainingGraphOptions): TrainingGraph {
  const operation = 'buildTrainingGraph';
  const { model, transform, adam, batchSize } = options;
  const batchedBackward = options.batchedBackward ?? true;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new InvalidArgumentError(operation, `batchSize must be a positive integer, got ${batchSize}.`);
  }
  if ((transform === null) !== (options.transformState === null)) {
    throw new InvalidArgumentError(operation, 'transform and transformState must both be given or both be null.');
  }

  const graph = new GraphBuilder();
  const ops = new GraphOps(graph);
  const stateInputs: string[] = [];
  const stateInput = (name: string, shape: readonly number[]) => {
    stateInputs.push(name);
    return graph.input(name, shape);
  };

  const allSpecs = [...model.shared, ...model.taskSpecific];
  const parameters: Record<string, GraphTensor> = {};
  const firstMoments: Record<string, GraphTensor> = {};
  const secondMoments: Record<string, GraphTensor> = {};
  for (const spec of allSpecs) {
    parameters[spec.name] = stateInput(stepNames.parameter(spec.name), spec.shape);
  }
  for (const spec of allSpecs) {
    firstMoments[spec.name] = stateInput(stepNames.firstMoment(spec.name), spec.shape);
    secondMoments[spec.name] = stateInput(stepNames.secondMoment(spec.name), spec.shape);
  }
  const stateKeys = options.transformState === null ? [] : Object.keys(options.transformState.tensors).sort();
  const transformTensors: Record<string, GraphTensor> = {};
  for (const key of stateKeys) {
    transformTensors[key] = stateInput(stepNames.transformState(key), options.transformState!.tensors[key].shape);
  }
  const step = graph.input(stepNames.step, [2]);

  const batchInputs = model.batchInputs(batchSize);
  const batch: Record<string, GraphTensor> = {};
  for (const spec of batchInputs) batch[spec.name] = graph.input(spec.name, spec.shape, spec.dtype);

  // Forward pass, shared by every backward pass.
  const losses = model.losses(graph, parameters, batch);
  if (losses.length !== model.tasks) {
    throw new InvalidArgumentError(operation, `model.losses returned ${losses.length} losses for ${model.tasks} tasks.`);
  }
  losses.forEach((loss, k) => {
    if (loss.shape.length !== 0) throw new InvalidArgumentError(operation, `loss ${k} must be rank 0, got shape ${formatShape(loss.shape)}.`);
  });
  let totalLoss = losses[0];
  for (let k = 1; k < losses.length; k++) totalLoss = graph.node('Add', [totalLoss, losses[k]]);

  const sharedTensors = model.shared.map((spec) => parameters[spec.name]);
  const headTensors = model.taskSpecific.map((spec) => parameters[spec.name]);
  const headGradients = gradients(graph, totalLoss, headTensors);

  let finite = ops.scalar(1);
  let sharedGradients: GraphTensor[];
  let taskNorms: GraphTensor[][] = [];
  let taskWeights: GraphTensor[][] = [];
  let nextTransformState: Readonly<Record<string, GraphTensor>> = {};
  if (transform === null) {
    sharedGradients = gradients(graph, totalLoss, sharedTensors);
    for (const g of sharedGradients) finite = ops.mul(finite, ops.allFinite(g));
  } else {
    const taskGradients = batchedBackward ? perTaskGradients(graph, losses, sharedTensors) : losses.map((loss) => gradients(graph, loss, sharedTensors));
    const state: TransformState<GraphTensor> = {
      method: options.transformState!.method,
      signature: options.transformState!.signature,
      tensors: transformTensors,
    };
    const result = transform.update(ops, { taskGradients, losses: transform.requiresLosses ? losses : undefined }, state);
    sharedGradients = result.combined;
    finite = result.finite;
    taskNorms = result.taskNorms;
    taskWeights = result.taskWeights;
    nextTransformState = result.state.tensors;
  }
  for (const g of headGradients) finite = ops.mul(finite, ops.allFinite(g));
  for (const loss of losses) finite = ops.mul(finite, ops.allFinite(loss));

  // The transform keeps its state when its own check fails. A step skipped for a head gradient
  // or a loss must keep it too.
  for (const key of stateKeys) {
    const next = ops.where(finite, nextTransformState[key], transformTensors[key]);
    graph.output(stepNames.next(stepNames.transformState(key)), next);
  }

  // Adam. The factors' identity update for a skipped step needs finite gradients, so head
  // gradients (and all gradients without a transform) are zeroed when the step is skipped.
  // Combined gradients are not, because a transform returns zeros when its own check fails.
  // NOTE: a step skipped only for a head or a loss keeps the combined gradients, which are
  // finite unless a transform weight overflowed float32; that case is not guarded.
  const apply = graph.node('Cast', [finite], { to: attr.int(9) });
  const factors = adamStepFactors(graph, adam, step, apply);
  const allGradients = [...sharedGradients, ...headGradients];
  const alreadyFinite = transform === null ? 0 : sharedGradients.length;
  allSpecs.forEach((spec, n) => {
    const raw = allGradients[n];
    const gradient = n < alreadyFinite ? raw : ops.where(finite, raw, ops.zerosLike(raw));
    const update = adamUpdate(graph, factors, parameters[spec.name], gradient, firstMoments[spec.name], secondMoments[spec.name]);
    graph.output(stepNames.next(stepNames.parameter(spec.name)), update.parameter);
    graph.output(stepNames.next(stepNames.firstMoment(spec.name)), update.firstMoment);
    graph.output(stepNames.next(stepNames.secondMoment(spec.name)), update.secondMoment);
    if (options.outputGradients === true) graph.output(stepNames.gradient(spec.name), allGradients[n]);
  });

  graph.output(stepNames.losses, stack(graph, losses));
  graph.output(stepNames.taskNorms, stack(graph, taskNorms.flat()));
  graph.output(stepNames.taskWeights, stack(graph, taskWeights.flat()));
  graph.output(stepNames.finite, finite);
  return { graph, stateInputs, batchInputs };
}

/** Stacks rank-0 tensors into a rank-1 tensor. An empty list gives an empty tensor. */
function stack(graph: GraphBuilder, scalars: readonly GraphTensor[]): GraphTensor {
  if (scalars.length === 0) return graph.constant({ dtype: 'float32', shape: [0], values: new Float32Array(0) });
  const one = graph.intConstant([1]);
  return graph.node('Concat', scalars.map((x) => graph.node('Reshape', [x, one])), { axis: attr.int(0) });
}
