import { InvalidArgumentError } from '@mb/core';
import { neumfLayout } from '@mb/recsys';
import type { NeuMFConfig, NeuMFTrainer, NeuMFTrainerOptions, StepReport, TrainingBatch } from '@mb/recsys';
import ort from 'onnxruntime-node';

import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { GraphBuilder, attr } from './graph.js';
import type { GraphTensor } from './graph.js';
import { serializeModel } from './onnx_export.js';
import { createSession, resolveExecutionProvider } from './session.js';
import type { SessionOptions } from './session.js';
import { Trainer } from './trainer.js';
import { stepNames } from './training_graph.js';
import type { ModelDefinition } from './training_graph.js';

/**
 * Records the NeuMF forward pass for `users[n]`, `items[n]` pairs and returns the shared output
 * `concat(gmf, mlp)` of shape [n, gmfDim + hidden[last]] (layout as in `neumfLayout`).
 */
export function neumfSharedOutput(
  graph: GraphBuilder,
  config: NeuMFConfig,
  parameters: Readonly<Record<string, GraphTensor>>,
  users: GraphTensor,
  items: GraphTensor,
): GraphTensor {
  const gather = (table: string, ids: GraphTensor) => graph.node('Gather', [parameters[table], ids], { axis: attr.int(0) });
  const gmf = graph.node('Mul', [gather('user_gmf.weight', users), gather('item_gmf.weight', items)]);
  let x = graph.node('Concat', [gather('user_mlp.weight', users), gather('item_mlp.weight', items)], { axis: attr.int(1) });
  config.hidden.forEach((_, i) => {
    const linear = graph.node('Gemm', [x, parameters[`mlp.${i}.weight`], parameters[`mlp.${i}.bias`]], { transB: attr.int(1) });
    x = graph.node('Relu', [linear]);
  });
  return graph.node('Concat', [gmf, x], { axis: attr.int(1) });
}

/** Records task `task`'s logit for each row of the shared output, shape [n]. */
export function neumfLogits(graph: GraphBuilder, parameters: Readonly<Record<string, GraphTensor>>, shared: GraphTensor, task: number): GraphTensor {
  const logits = graph.node('Gemm', [shared, parameters[`heads.${task}.weight`], parameters[`heads.${task}.bias`]], { transB: attr.int(1) });
  return graph.node('Reshape', [logits, graph.intConstant([shared.shape[0]])]);
}

/**
 * Records the mean binary cross-entropy with logits in the numerically stable form
 * `max(x, 0) - x * y + log(1 + exp(-|x|))`, as PyTorch's `binary_cross_entropy_with_logits`.
 */
export function binaryCrossEntropyWithLogits(graph: GraphBuilder, logits: GraphTensor, labels: GraphTensor): GraphTensor {
  const positivePart = graph.node('Relu', [logits]);
  const correction = graph.node('Softplus', [graph.node('Neg', [graph.node('Abs', [logits])])]);
  const perExample = graph.node('Add', [graph.node('Sub', [positivePart, graph.node('Mul', [logits, labels])]), correction]);
  return graph.node('ReduceMean', [perExample], { keepdims: attr.int(0) });
}

/**
 * Returns the NeuMF of `@mb/recsys` as a `ModelDefinition`. Batch inputs: `users` and `items` (int64
 * [batch]) and `labels` (float32 [tasks, batch], task-major).
 */
export function neumfModel(config: NeuMFConfig): ModelDefinition {
  const layout = neumfLayout(config);
  return {
    tasks: config.tasks,
    shared: layout.shared,
    taskSpecific: layout.taskSpecific,
    batchInputs: (batchSize) => [
      { name: 'users', shape: [batchSize], dtype: 'int64' },
      { name: 'items', shape: [batchSize], dtype: 'int64' },
      { name: 'labels', shape: [config.tasks, batchSize], dtype: 'float32' },
    ],
    losses(graph, parameters, batch) {
      const shared = neumfSharedOutput(graph, config, parameters, batch.users, batch.items);
      return Array.from({ length: config.tasks }, (_, k) => {
        const labels = graph.node('Gather', [batch.labels, graph.constant({ dtype: 'int64', shape: [], values: new BigInt64Array([BigInt(k)]) })], {
          axis: attr.int(0),
        });
        return binaryCrossEntropyWithLogits(graph, neumfLogits(graph, parameters, shared, k), labels);
      });
    },
  };
}

/** Options of the onnxruntime NeuMF trainer. */
export interface OnnxNeuMFTrainerOptions extends NeuMFTrainerOptions, SessionOptions {
  /**
   * Maximum number of (user, item) pairs one `scoreAllItems` run scores. Users are split into
   * runs of `max(1, floor(scoreRowsPerRun / items))` to bound memory. Default 65536.
   */
  readonly scoreRowsPerRun?: number;
}

/** The onnxruntime NeuMF trainer: the `NeuMFTrainer` contract plus checkpoints. */
export interface OnnxNeuMFTrainer extends NeuMFTrainer {
  /** The generic trainer underneath, for its counters (`skippedSteps`) and snapshots. */
  readonly trainer: Trainer;
  /** Writes a checkpoint to `directory`. See `saveCheckpoint`. */
  saveCheckpoint(directory: string): Promise<void>;
  /** Restores a checkpoint written by a trainer of the same configuration. */
  restoreCheckpoint(directory: string): Promise<void>;
}

/**
 * Creates a `NeuMFTrainer` whose step is one fused onnxruntime graph (forward, one backward per
 * task, the traced transform, Adam). Training sessions are built per batch size and cached.
 */
export function createNeuMFTrainer(options: OnnxNeuMFTrainerOptions): OnnxNeuMFTrainer {
  const operation = 'createNeuMFTrainer';
  const provider = resolveExecutionProvider(operation, options);
  const config = options.model;
  const scoreRowsPerRun = options.scoreRowsPerRun ?? 65536;
  if (!Number.isInteger(scoreRowsPerRun) || scoreRowsPerRun < 1) {
    throw new InvalidArgumentError(operation, `scoreRowsPerRun must be a positive integer, got ${scoreRowsPerRun}.`);
  }
  const trainer = Trainer.create({
    model: neumfModel(config),
    initialParameters: options.initialParameters,
    transform: options.transform,
    adam: options.adam,
    executionProvider: options.executionProvider,
    intraOpThreads: options.intraOpThreads,
    allowSpinning: options.allowSpinning,
  });
  const usersPerRun = Math.max(1, Math.floor(scoreRowsPerRun / config.items));
  let scoringSession: Promise<ort.InferenceSession> | undefined;
  let disposed = false;

  function checkAlive(name: string): void {
    if (disposed) throw new InvalidArgumentError(name, 'the trainer was disposed; create a new one.');
  }

  async function step(batch: TrainingBatch): Promise<StepReport> {
    checkAlive('NeuMFTrainer.step');
    const feeds = batchFeeds(config, batch);
    const result = await trainer.step(feeds, batch.users.length);
    return { step: result.step, skipped: result.skipped, losses: result.losses, taskNorms: result.taskNorms, taskWeights: result.taskWeights };
  }

  async function scoreAllItems(users: Int32Array): Promise<Float32Array> {
    checkAlive('NeuMFTrainer.scoreAllItems');
    checkIds('NeuMFTrainer.scoreAllItems', 'users', users, config.users);
    scoringSession ??= createSession(operation, serializeModel(buildScoringGraph(config, usersPerRun), 'score_all_items'), options);
    const session = await scoringSession;
    const scores = new Float32Array(users.length * config.items);
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of scoringParameterNames(config)) feeds[stepNames.parameter(name)] = trainer.parameterTensor(name);
    for (let start = 0; start < users.length; start += usersPerRun) {
      const count = Math.min(usersPerRun, users.length - start);
      // The last run is padded with user 0, whose scores are dropped, so one session serves all runs.
      const ids = new BigInt64Array(usersPerRun);
      for (let n = 0; n < count; n++) ids[n] = BigInt(users[start + n]);
      feeds.users = new ort.Tensor('int64', ids, [usersPerRun]);
      const result = await session.run(feeds);
      const logits = result.scores.data as Float32Array;
      scores.set(logits.subarray(0, count * config.items), start * config.items);
    }
    return scores;
  }

  return {
    backendName: `onnx-${provider}`,
    trainer,
    saveCheckpoint: async (directory) => {
      checkAlive('NeuMFTrainer.saveCheckpoint');
      await saveCheckpoint(trainer, directory);
    },
    restoreCheckpoint: async (directory) => {
      checkAlive('NeuMFTrainer.restoreCheckpoint');
      trainer.restore(await loadCheckpoint(directory));
    },
    step,
    scoreAllItems,
    parameters: async () => {
      checkAlive('NeuMFTrainer.parameters');
      return trainer.parameters();
    },
    dispose: async () => {
      if (disposed) return;
      disposed = true;
      await trainer.release();
      if (scoringSession !== undefined) await (await scoringSession).release();
    },
  };
}

/** Converts a `TrainingBatch` to the training graph's feeds, checking lengths and id ranges. */
export function batchFeeds(config: NeuMFConfig, batch: TrainingBatch): Record<string, ort.Tensor> {
  const operation = 'NeuMFTrainer.step';
  const size = batch.users.length;
  if (size === 0) throw new InvalidArgumentError(operation, 'batch.users must not be empty.');
  if (batch.items.length !== size) {
    throw new InvalidArgumentError(operation, `batch.items has ${batch.items.length} entries but batch.users has ${size}.`);
  }
  if (batch.labels.length !== config.tasks) {
    throw new InvalidArgumentError(operation, `batch.labels has ${batch.labels.length} tasks, expected ${config.tasks}.`);
  }
  checkIds(operation, 'batch.users', batch.users, config.users);
  checkIds(operation, 'batch.items', batch.items, config.items);
  const labels = new Float32Array(config.tasks * size);
  batch.labels.forEach((taskLabels, k) => {
    if (taskLabels.length !== size) {
      throw new InvalidArgumentError(operation, `batch.labels[${k}] has ${taskLabels.length} entries but batch.users has ${size}.`);
    }
    labels.set(taskLabels, k * size);
  });
  return {
    users: new ort.Tensor('int64', BigInt64Array.from(batch.users, BigInt), [size]),
    items: new ort.Tensor('int64', BigInt64Array.from(batch.items, BigInt), [size]),
    labels: new ort.Tensor('float32', labels, [config.tasks, size]),
  };
}

function checkIds(operation: string, name: string, ids: Int32Array, limit: number): void {
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n];
    if (!(id >= 0 && id < limit)) {
      throw new InvalidArgumentError(operation, `${name}[${n}] is ${id}, outside [0, ${limit}).`);
    }
  }
}

function scoringParameterNames(config: NeuMFConfig): string[] {
  return neumfLayout(config)
    .shared.map((spec) => spec.name)
    .concat(['heads.0.weight', 'heads.0.bias']);
}

/**
 * Builds the scoring graph: input `users` (int64 [usersPerRun]) and the parameters it reads,
 * output `scores` [usersPerRun, items], the target head's logit for every item.
 */
export function buildScoringGraph(config: NeuMFConfig, usersPerRun: number): GraphBuilder {
  const graph = new GraphBuilder();
  const layout = neumfLayout(config);
  const shapes = new Map([...layout.shared, ...layout.taskSpecific].map((spec) => [spec.name, spec.shape]));
  const parameters: Record<string, GraphTensor> = {};
  for (const name of scoringParameterNames(config)) parameters[name] = graph.input(stepNames.parameter(name), shapes.get(name)!);

  const users = graph.input('users', [usersPerRun], 'int64');
  const pairs = usersPerRun * config.items;
  const grid = graph.intConstant([usersPerRun, config.items]);
  const userColumn = graph.node('Unsqueeze', [users, graph.intConstant([1])]);
  const pairUsers = graph.node('Reshape', [graph.node('Expand', [userColumn, grid]), graph.intConstant([pairs])]);
  const itemRow = graph.intConstant(Array.from({ length: config.items }, (_, i) => i), [1, config.items]);
  const pairItems = graph.node('Reshape', [graph.node('Expand', [itemRow, grid]), graph.intConstant([pairs])]);

  const shared = neumfSharedOutput(graph, config, parameters, pairUsers, pairItems);
  const logits = neumfLogits(graph, parameters, shared, 0);
  graph.output('scores', graph.node('Reshape', [logits, grid]));
  return graph;
}
