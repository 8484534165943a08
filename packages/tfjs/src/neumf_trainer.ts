import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, formatShape, shapesEqual } from '@mb/core';
import type { HostTensor } from '@mb/core';
import { neumfLayout } from '@mb/recsys';
import type { NeuMFConfig, NeuMFTrainer, NeuMFTrainerOptions, TrainingBatch } from '@mb/recsys';

import { useBackend } from './backend.js';
import type { TfjsBackendName } from './backend.js';
import { checkEmbeddingIds } from './embedding.js';
import { linear, matMulTransposed } from './linear.js';
import type { MultiTaskModel } from './model.js';
import { fromHostTensor, toHostTensor } from './tfjs_ops.js';
import { createTrainer } from './trainer.js';
import type { MultiTaskTrainer, TrainerStepReport } from './trainer.js';

/** Options of `createNeuMFTrainer`. */
export interface TfjsNeuMFTrainerOptions extends NeuMFTrainerOptions {
  /** tfjs backend, made active for the whole process. Default `cpu`. */
  readonly backend?: TfjsBackendName;
  /** See `TrainerOptions.reportGradients`. Default false. */
  readonly reportGradients?: boolean;
  /**
   * Maximum number of (user, item) pairs `scoreAllItems` evaluates at once, which bounds its
   * memory. Default 65536.
   */
  readonly scoreBatchPairs?: number;
}

/** A NeuMF trainer on tfjs, with checkpoints and the generic trainer's detailed reports. */
export interface TfjsNeuMFTrainer extends NeuMFTrainer {
  step(batch: TrainingBatch): Promise<TrainerStepReport>;
  /** Steps taken so far, skipped ones included. */
  readonly stepCount: number;
  /** Steps skipped because a loss or gradient was NaN or infinite. */
  readonly skippedSteps: number;
  save(directory: string): Promise<void>;
  load(directory: string): Promise<void>;
}

const EMBEDDING_TABLES = ['user_gmf.weight', 'item_gmf.weight', 'user_mlp.weight', 'item_mlp.weight'];

/**
 * Returns the mean binary cross-entropy of `logits` against 0/1 `labels`. The value uses the
 * stable form `max(x, 0) - x * z + log(1 + exp(-|x|))`. The gradient is written out as
 * `sigmoid(x) - z` because differentiating the stable form gives `-z` at exactly `x = 0`.
 */
export const binaryCrossEntropyWithLogits = tf.customGrad(((logits: tf.Tensor, labels: tf.Tensor, save: tf.GradSaveFunc) => {
  save([logits, labels]);
  const elementwise = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
  return {
    value: tf.mean(elementwise),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [x, z] = saved;
      const perElement = tf.div(dy, x.size);
      return [tf.mul(tf.sub(tf.sigmoid(x), z), perElement), tf.mul(tf.neg(x), perElement)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (logits: tf.Tensor, labels: tf.Tensor) => tf.Scalar;

/**
 * The shared output `concat(gmf, mlp)`, kept as its two parts. Heads and the first MLP layer
 * multiply each part by a column block of their weights instead of concatenating activations,
 * because the gradient of a concat is a split, which the cpu backend copies element by element.
 */
interface SharedOutput {
  /** `user_gmf[u] * item_gmf[i]`, [batch, gmfDim]. */
  readonly gmf: tf.Tensor2D;
  /** Output of the last MLP layer, [batch, hidden[last]]. */
  readonly mlp: tf.Tensor2D;
}

/** Returns columns `[start, start + width)` of a rank-2 weight. */
function columns(weight: tf.Tensor, start: number, width: number): tf.Tensor2D {
  return tf.slice(weight as tf.Tensor2D, [0, start], [-1, width]);
}

/** Computes the shared output for gathered rows. */
function sharedOutput(config: NeuMFConfig, inputs: Readonly<Record<string, tf.Tensor>>): SharedOutput {
  const gmf = tf.mul(inputs['user_gmf.weight'], inputs['item_gmf.weight']) as tf.Tensor2D;

  // concat(user, item) @ W0^T = user @ W0[:, :mlpDim]^T + item @ W0[:, mlpDim:]^T
  const w0 = inputs['mlp.0.weight'];
  const userPart = matMulTransposed(inputs['user_mlp.weight'], columns(w0, 0, config.mlpDim));
  const itemPart = matMulTransposed(inputs['item_mlp.weight'], columns(w0, config.mlpDim, config.mlpDim));
  let mlp = tf.relu(tf.add(tf.add(userPart, itemPart), inputs['mlp.0.bias'])) as tf.Tensor2D;
  for (let i = 1; i < config.hidden.length; i++) {
    mlp = tf.relu(linear(mlp, inputs[`mlp.${i}.weight`], inputs[`mlp.${i}.bias`]));
  }
  return { gmf, mlp };
}

/** Computes task `task`'s logits [batch] from the shared output. */
function taskLogits(config: NeuMFConfig, shared: SharedOutput, inputs: Readonly<Record<string, tf.Tensor>>, task: number): tf.Tensor1D {
  const weight = inputs[`heads.${task}.weight`];
  const mlpWidth = config.hidden[config.hidden.length - 1];
  const gmfPart = matMulTransposed(shared.gmf, columns(weight, 0, config.gmfDim));
  const mlpPart = matMulTransposed(shared.mlp, columns(weight, config.gmfDim, mlpWidth));
  return tf.reshape(tf.add(tf.add(gmfPart, mlpPart), inputs[`heads.${task}.bias`]), [-1]) as tf.Tensor1D;
}

/** Computes the item side of the first MLP layer, `item_mlp @ W0i^T + b0` [items, hidden[0]]. */
function firstLayerItemPart(config: NeuMFConfig, variables: Readonly<Record<string, tf.Variable>>): tf.Tensor {
  const w0 = variables['mlp.0.weight'];
  return tf.tidy(() =>
    tf.add(tf.matMul(variables['item_mlp.weight'], tf.transpose(tf.slice(w0, [0, config.mlpDim], [-1, config.mlpDim]))), variables['mlp.0.bias']),
  );
}

/**
 * Computes target logits [users.length, items] for a chunk of users against every item without
 * gathering a row per pair. The first MLP layer is split into a user part and an item part,
 * `W0 @ concat(u, i) = W0u @ u + W0i @ i`. Each side is multiplied once, and a broadcasting add
 * forms the pairs. `itemPart` comes from `firstLayerItemPart`. Call inside `tf.tidy`.
 */
function scoreChunk(
  config: NeuMFConfig,
  variables: Readonly<Record<string, tf.Variable>>,
  itemPart: tf.Tensor,
  users: tf.Tensor1D,
): tf.Tensor2D {
  const chunk = users.shape[0];
  const items = config.items;
  const w0 = variables['mlp.0.weight'];
  const userPart = tf.matMul(tf.gather(variables['user_mlp.weight'], users), tf.transpose(tf.slice(w0, [0, 0], [-1, config.mlpDim])));
  const firstWidth = config.hidden[0];
  let x = tf.relu(
    tf.reshape(tf.add(tf.reshape(userPart, [chunk, 1, firstWidth]), tf.reshape(itemPart, [1, items, firstWidth])), [chunk * items, firstWidth]),
  ) as tf.Tensor2D;
  for (let i = 1; i < config.hidden.length; i++) {
    x = tf.relu(tf.add(tf.matMul(x, tf.transpose(variables[`mlp.${i}.weight`])), variables[`mlp.${i}.bias`])) as tf.Tensor2D;
  }

  const head = variables['heads.0.weight'];
  const gmfDim = config.gmfDim;
  const userGmf = tf.gather(variables['user_gmf.weight'], users);
  // head . concat(u * i, mlp) = sum((u * head_gmf) * i) + head_mlp . mlp + bias
  const weightedUsers = tf.mul(userGmf, tf.slice(head, [0, 0], [1, gmfDim]));
  const gmfLogits = tf.matMul(weightedUsers, tf.transpose(variables['item_gmf.weight']));
  const mlpLogits = tf.reshape(tf.matMul(x, tf.transpose(tf.slice(head, [0, gmfDim], [1, -1]))), [chunk, items]);
  return tf.add(tf.add(gmfLogits, mlpLogits), variables['heads.0.bias']) as tf.Tensor2D;
}

/** Builds the NeuMF as a `MultiTaskModel` over the given variables. */
export function neumfModel(config: NeuMFConfig, variables: Readonly<Record<string, tf.Variable>>): MultiTaskModel<TrainingBatch> {
  const layout = neumfLayout(config);
  const shared: Record<string, tf.Variable> = {};
  const taskSpecific: Record<string, tf.Variable> = {};
  for (const { name } of layout.shared) shared[name] = variables[name];
  for (const { name } of layout.taskSpecific) taskSpecific[name] = variables[name];

  return {
    tasks: config.tasks,
    shared,
    taskSpecific,
    embeddingTables: EMBEDDING_TABLES,
    embeddingIds: (batch) => ({
      'user_gmf.weight': batch.users,
      'item_gmf.weight': batch.items,
      'user_mlp.weight': batch.users,
      'item_mlp.weight': batch.items,
    }),
    losses: (inputs, batch) => {
      const h = sharedOutput(config, inputs);
      const losses: tf.Tensor[] = [];
      for (let k = 0; k < config.tasks; k++) {
        losses.push(binaryCrossEntropyWithLogits(taskLogits(config, h, inputs, k), tf.tensor1d(batch.labels[k], 'float32')));
      }
      return losses;
    },
  };
}

/** Checks a batch against the model: equal lengths, one label array per task, ids in range. */
export function checkTrainingBatch(config: NeuMFConfig, batch: TrainingBatch): void {
  const operation = 'NeuMFTrainer.step';
  const size = batch.users.length;
  if (size === 0) throw new InvalidArgumentError(operation, 'batch.users must not be empty.');
  if (batch.items.length !== size) {
    throw new InvalidArgumentError(operation, `batch.items has ${batch.items.length} entries but batch.users has ${size}.`);
  }
  if (batch.labels.length !== config.tasks) {
    throw new InvalidArgumentError(operation, `batch.labels has ${batch.labels.length} tasks but the model has ${config.tasks}.`);
  }
  batch.labels.forEach((labels, k) => {
    if (!(labels instanceof Float32Array) || labels.length !== size) {
      throw new InvalidArgumentError(
        operation,
        `batch.labels[${k}] must be a Float32Array of ${size} labels, got ${labels instanceof Float32Array ? labels.length : typeof labels}.`,
      );
    }
  });
  checkEmbeddingIds(operation, 'user tables', batch.users, config.users);
  checkEmbeddingIds(operation, 'item tables', batch.items, config.items);
}

/** Creates the NeuMF's variables from `initialParameters`, checking names and shapes. */
function createVariables(config: NeuMFConfig, initialParameters: Readonly<Record<string, HostTensor>>): Record<string, tf.Variable> {
  const layout = neumfLayout(config);
  const variables: Record<string, tf.Variable> = {};
  try {
    for (const { name, shape } of [...layout.shared, ...layout.taskSpecific]) {
      const host = initialParameters[name];
      if (host === undefined) {
        throw new InvalidArgumentError('createNeuMFTrainer', `initialParameters has no "${name}".`);
      }
      if (!shapesEqual(host.shape, shape) || host.values.length !== host.shape.reduce((a, b) => a * b, 1)) {
        throw new InvalidArgumentError(
          'createNeuMFTrainer',
          `initialParameters["${name}"] must have shape ${formatShape(shape)} and as many values, got shape ` +
            `${formatShape(host.shape)} with ${host.values.length} values.`,
        );
      }
      variables[name] = tf.tidy(() => tf.variable(fromHostTensor(host), true));
    }
  } catch (error) {
    tf.dispose(Object.values(variables));
    throw error;
  }
  return variables;
}

/**
 * Creates a NeuMF trainer on tfjs (the `NeuMFTrainer` contract of `@mb/recsys`): it makes
 * `options.backend` active, builds the variables from `initialParameters`, and trains the four
 * embedding tables and the MLP as shared variables and the heads as task-specific ones.
 */
export async function createNeuMFTrainer(options: TfjsNeuMFTrainerOptions): Promise<TfjsNeuMFTrainer> {
  const config = options.model;
  neumfLayout(config);
  const scoreBatchPairs = options.scoreBatchPairs ?? 65536;
  if (!Number.isInteger(scoreBatchPairs) || scoreBatchPairs < 1) {
    throw new InvalidArgumentError('createNeuMFTrainer', `scoreBatchPairs must be a positive integer, got ${scoreBatchPairs}.`);
  }
  const backendName = await useBackend(options.backend ?? 'cpu');

  const variables = createVariables(config, options.initialParameters);
  let trainer: MultiTaskTrainer<TrainingBatch>;
  try {
    trainer = createTrainer({
      model: neumfModel(config, variables),
      transform: options.transform,
      adam: options.adam,
      reportGradients: options.reportGradients,
    });
  } catch (error) {
    tf.dispose(Object.values(variables));
    throw error;
  }

  let disposed = false;

  function checkNotDisposed(method: string): void {
    if (disposed) throw new InvalidArgumentError(method, 'the trainer was disposed.');
  }

  async function scoreAllItems(users: Int32Array): Promise<Float32Array> {
    checkNotDisposed('NeuMFTrainer.scoreAllItems');
    checkEmbeddingIds('NeuMFTrainer.scoreAllItems', 'user tables', users, config.users);
    const items = config.items;
    const scores = new Float32Array(users.length * items);
    const usersPerChunk = Math.max(1, Math.floor(scoreBatchPairs / items));
    const itemPart = firstLayerItemPart(config, variables);
    try {
      for (let start = 0; start < users.length; start += usersPerChunk) {
        const chunk = users.subarray(start, Math.min(users.length, start + usersPerChunk));
        const logits = tf.tidy(() => scoreChunk(config, variables, itemPart, tf.tensor1d(chunk, 'int32')));
        const values = await logits.data();
        logits.dispose();
        scores.set(values as Float32Array, start * items);
      }
    } finally {
      itemPart.dispose();
    }
    return scores;
  }

  async function parameters(): Promise<Record<string, HostTensor>> {
    checkNotDisposed('NeuMFTrainer.parameters');
    const result: Record<string, HostTensor> = {};
    for (const [name, variable] of Object.entries(variables)) result[name] = await toHostTensor(variable);
    return result;
  }

  return {
    backendName,
    get stepCount() {
      return trainer.stepCount;
    },
    get skippedSteps() {
      return trainer.skippedSteps;
    },
    step: async (batch) => {
      checkTrainingBatch(config, batch);
      return trainer.step(batch);
    },
    scoreAllItems,
    parameters,
    save: (directory) => trainer.save(directory),
    load: (directory) => trainer.load(directory),
    async dispose() {
      if (disposed) return;
      trainer.dispose();
      tf.dispose(Object.values(variables));
      disposed = true;
    },
  };
}
